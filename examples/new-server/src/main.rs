//! A new MCP server. `cargo run -- --http 127.0.0.1:8080` serves it at
//! `http://127.0.0.1:8080/mcp`; `cargo run` alone serves stdio.

use mcp_runtime::prelude::*;

/// The server: its state lives here, its tools are the methods below.
pub struct Notes;

/// What `count_words` answers.
#[derive(Serialize, JsonSchema)]
pub struct Count {
    /// How many words the text has.
    pub words: usize,
}

#[mcp_server]
impl Notes {
    /// Count the words of a text.
    #[tool(read_only, idempotent)]
    pub fn count_words(
        &self,
        /// The text to count.
        text: String,
    ) -> Count {
        Count {
            words: text.split_whitespace().count(),
        }
    }
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    Notes.serve().await
}
