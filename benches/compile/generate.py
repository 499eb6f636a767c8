#!/usr/bin/env python3
"""Generate a standalone MCP server of N tools, in this framework's syntax or in rmcp's.

    generate.py --framework {ours,rmcp} --tools N --out DIR [--runtime-path PATH]

writes DIR/Cargo.toml (with its own `[workspace]` table) and DIR/src/main.rs: a server whose N
tools all take `a: i64`, `b: i64` and `label: Option<String>` (each documented) and return a
string, served over streamable HTTP. Tool `i`'s body adds a per-tool constant, so bodies differ;
`edit.py DIR` bumps the constant of tool 0 in place (one real edit of one tool body).

Both servers carry the same tools, names, descriptions, parameters and parameter descriptions:
- ours: `#[mcp_server]` on an impl block, `#[tool]` methods with plain documented parameters
  (the framework's parameter syntax), `Server.serve()` in main (`--http ADDR` selects HTTP);
- rmcp 3.11: one `Parameters<T>` struct per tool (`Deserialize + JsonSchema`, documented
  fields), `#[tool_router]` on the impl, `#[tool(description = ...)]` on the methods,
  `#[tool_handler]` on the `ServerHandler` impl, `StreamableHttpService` under axum in main.
"""

from __future__ import annotations

import argparse
from pathlib import Path
import os
import sys

# The marker edit.py looks for: the line of tool 0's body holding its constant.
EDIT_MARKER = "// bench-edit"

# This checkout's runtime: benches/compile/ is two levels below the repository root.
DEFAULT_RUNTIME = str(Path(__file__).resolve().parents[2] / "mcp-runtime")


def constant(i: int) -> int:
    """The per-tool constant that makes each body different."""
    return 1000 + 7 * i


def description(i: int) -> str:
    return f"Add two integers and a constant of tool {i}, and label the result."


DOC_A = "The first addend."
DOC_B = "The second addend."
DOC_LABEL = "A label to prefix the result with."


def body(i: int, indent: str) -> str:
    """The body shared by both frameworks; tool 0's constant line carries the edit marker."""
    marker = f" {EDIT_MARKER}" if i == 0 else ""
    return (
        f"{indent}let sum = a.wrapping_add(b).wrapping_add({constant(i)});{marker}\n"
        f'{indent}match label {{\n'
        f'{indent}    Some(label) => format!("{{label}}: {{sum}}"),\n'
        f"{indent}    None => sum.to_string(),\n"
        f"{indent}}}\n"
    )


# ---------------------------------------------------------------------------------------- ours

def ours_cargo(runtime: str) -> str:
    return f"""[package]
name = "compile-bench-ours"
version = "0.1.0"
edition = "2024"
publish = false

[dependencies]
mcp-runtime = {{ path = "{runtime}" }}
serde = {{ version = "1", features = ["derive"] }}
schemars = "1.2"
tokio = {{ version = "1.48", features = ["rt-multi-thread", "macros"] }}

# Its own workspace: built on its own, never as a member of the framework's workspace.
[workspace]
"""


def ours_tool(i: int) -> str:
    return f"""    /// {description(i)}
    #[tool]
    fn tool_{i}(
        &self,
        /// {DOC_A}
        a: i64,
        /// {DOC_B}
        b: i64,
        /// {DOC_LABEL}
        label: Option<String>,
    ) -> String {{
{body(i, "        ")}    }}
"""


def ours_main(n: int) -> str:
    tools = "\n".join(ours_tool(i) for i in range(n))
    return f"""//! A generated server of {n} tools for the compile-time benchmark (benches/compile).
//! `cargo run -- --http 127.0.0.1:8080` serves it over streamable HTTP at `/mcp`.

use mcp_runtime::prelude::*;

/// The server.
struct Bench;

#[mcp_server(name = "compile-bench", version = "0.1.0")]
impl Bench {{
{tools}}}

#[tokio::main]
async fn main() -> std::process::ExitCode {{
    Bench.serve().await
}}
"""


# ---------------------------------------------------------------------------------------- rmcp

def rmcp_cargo() -> str:
    return """[package]
name = "compile-bench-rmcp"
version = "0.1.0"
edition = "2024"
publish = false

[dependencies]
rmcp = { version = "=3.11.0", features = ["server", "macros", "transport-streamable-http-server"] }
axum = { version = "0.8", default-features = false, features = ["http1", "tokio"] }
tokio = { version = "1", features = ["rt-multi-thread", "macros", "net"] }
serde = { version = "1", features = ["derive"] }
schemars = "1"

# Its own workspace: built on its own, never as a member of the framework's workspace.
[workspace]
"""


def rmcp_args(i: int) -> str:
    return f"""/// The parameters of `tool_{i}`.
#[derive(serde::Deserialize, schemars::JsonSchema)]
struct Tool{i}Args {{
    /// {DOC_A}
    a: i64,
    /// {DOC_B}
    b: i64,
    /// {DOC_LABEL}
    label: Option<String>,
}}
"""


def rmcp_tool(i: int) -> str:
    return f"""    #[tool(description = "{description(i)}")]
    fn tool_{i}(
        &self,
        Parameters(Tool{i}Args {{ a, b, label }}): Parameters<Tool{i}Args>,
    ) -> String {{
{body(i, "        ")}    }}
"""


def rmcp_main(n: int) -> str:
    args = "\n".join(rmcp_args(i) for i in range(n))
    tools = "\n".join(rmcp_tool(i) for i in range(n))
    return f"""//! A generated server of {n} tools for the compile-time benchmark (benches/compile), on the
//! official Rust SDK (rmcp 3.11). Serves streamable HTTP at `http://ADDR/mcp`
//! (`compile-bench-rmcp [ADDR]`, 127.0.0.1:8080 by default).

use std::sync::Arc;

use rmcp::handler::server::{{router::tool::ToolRouter, wrapper::Parameters}};
use rmcp::model::{{Implementation, ServerCapabilities, ServerConfig}};
use rmcp::transport::streamable_http_server::{{
    StreamableHttpServerConfig, StreamableHttpService, session::local::LocalSessionManager,
}};
use rmcp::{{ServerHandler, tool, tool_handler, tool_router}};

{args}
/// The server.
#[derive(Clone)]
struct Bench {{
    tool_router: ToolRouter<Self>,
}}

#[tool_router]
impl Bench {{
{tools}}}

#[tool_handler(router = self.tool_router)]
impl ServerHandler for Bench {{
    fn get_info(&self) -> ServerConfig {{
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new("compile-bench", "0.1.0"))
    }}
}}

#[tokio::main]
async fn main() {{
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8080".to_owned());
    let service = StreamableHttpService::new(
        || {{
            Ok(Bench {{
                tool_router: Bench::tool_router(),
            }})
        }},
        Arc::new(LocalSessionManager::default()),
        StreamableHttpServerConfig::default(),
    );
    let router = axum::Router::new().nest_service("/mcp", service);
    let listener = tokio::net::TcpListener::bind(&addr).await.unwrap();
    eprintln!("compile-bench-rmcp serving MCP at http://{{addr}}/mcp");
    axum::serve(listener, router).await.unwrap();
}}
"""


# ---------------------------------------------------------------------------------------- main

def write(path: str, text: str) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    # Rewrite only when the text changes, so regenerating an unchanged project keeps its mtimes.
    try:
        with open(path, encoding="utf-8") as f:
            if f.read() == text:
                return
    except FileNotFoundError:
        pass
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--framework", choices=["ours", "rmcp"], required=True)
    p.add_argument("--tools", type=int, required=True, metavar="N")
    p.add_argument("--out", required=True, metavar="DIR")
    p.add_argument(
        "--runtime-path",
        default=DEFAULT_RUNTIME,
        help=f"path of the mcp-runtime crate (ours only; default {DEFAULT_RUNTIME})",
    )
    a = p.parse_args()
    if a.tools < 1:
        p.error("--tools must be at least 1")

    if a.framework == "ours":
        cargo, main_rs = ours_cargo(os.path.abspath(a.runtime_path)), ours_main(a.tools)
    else:
        cargo, main_rs = rmcp_cargo(), rmcp_main(a.tools)
    write(os.path.join(a.out, "Cargo.toml"), cargo)
    write(os.path.join(a.out, "src", "main.rs"), main_rs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
