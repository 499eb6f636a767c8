//! The two-tool server that benchmarks compare across frameworks.
//!
//! `cargo run --release --example hello -- --http 127.0.0.1:8080` serves it at `/mcp`.

use mcp_runtime::prelude::*;

/// Adds and echoes.
struct Hello;

/// The sum of two integers.
#[derive(Serialize, JsonSchema)]
struct Sum {
    /// `a + b`.
    sum: i64,
}

#[mcp_server]
impl Hello {
    /// Add two integers.
    #[tool(read_only, idempotent)]
    fn add(
        &self,
        /// The first addend.
        a: i64,
        /// The second addend.
        b: i64,
    ) -> Sum {
        Sum {
            sum: a.wrapping_add(b),
        }
    }

    /// Return the text unchanged.
    #[tool(read_only, idempotent)]
    fn echo(
        &self,
        /// The text to echo.
        text: String,
    ) -> String {
        text
    }
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    Hello.serve().await
}
