//! A framework server for the legacy-SSE row: `hello`'s two tools plus one that reports a
//! progress step before its result, which turns the reply into an SSE stream.

use std::net::SocketAddr;

use mcp_runtime::prelude::*;
use mcp_runtime::{Options, Transport};

/// Adds and echoes, with and without progress.
struct BenchProgress;

/// The sum of two integers.
#[derive(Serialize, JsonSchema)]
struct Sum {
    /// `a + b`.
    sum: i64,
}

#[mcp_server(name = "bench-progress")]
impl BenchProgress {
    /// Add two integers.
    #[tool(read_only, idempotent)]
    fn add(&self, a: i64, b: i64) -> Sum {
        Sum {
            sum: a.wrapping_add(b),
        }
    }

    /// Return the text unchanged.
    #[tool(read_only, idempotent)]
    fn echo(&self, text: String) -> String {
        text
    }

    /// Add two integers, reporting one progress step first.
    #[tool(read_only, idempotent)]
    fn add_with_progress(&self, ctx: Context, a: i64, b: i64) -> Sum {
        ctx.progress(1.0, Some(1.0), None);
        Sum {
            sum: a.wrapping_add(b),
        }
    }
}

/// Serves on `addr` on the runtime `#[tokio::main]` would build.
pub(crate) fn serve(addr: SocketAddr) -> Result<(), String> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let options = Options {
        transport: Transport::Http(addr),
        ..Options::default()
    };
    rt.block_on(BenchProgress.serve_with(options, |router| router))
        .map_err(|e| e.to_string())
}
