//! A notebook whose sessions a Redis store keeps: restart the server, or let a session
//! expire, and `reinit = "restore"` brings it back exactly as the client left it, including
//! what the client said about itself in `initialize`.
//!
//! `cargo run --features redis --example notebook -- --http 127.0.0.1:8080 --store redis://127.0.0.1/`
//!
//! Its command line is a program's own: a `clap` parser with a flag of the notebook's
//! (`--max-notes`) and the serving flags flattened in, each also read from the environment.
//! With `--log-to-client`, the `tracing` events of `note` reach the client as log messages.

use clap::Parser;
use mcp_runtime::ServeFlags;
use mcp_runtime::prelude::*;

/// A notebook per session, kept across restarts and expiry.
#[derive(Parser)]
#[command(version)]
struct Cli {
    /// Keep at most this many notes per session, dropping the oldest.
    #[arg(long, env = "NOTEBOOK_MAX_NOTES", default_value_t = 1000)]
    max_notes: usize,
    #[command(flatten)]
    serve: ServeFlags,
}

struct Notebook {
    max_notes: usize,
}

/// What a session carries.
#[derive(Default, Serialize, Deserialize)]
struct Notes {
    lines: Vec<String>,
}

/// The session's notes so far.
#[derive(Serialize, JsonSchema)]
struct Page {
    /// The client that opened the session, from its `initialize`.
    client: Option<String>,
    /// Every note of this session, oldest first.
    notes: Vec<String>,
}

#[mcp_server(session = Notes, reinit = "restore")]
impl Notebook {
    /// Append a note to this session's page and return the page.
    #[tool]
    async fn note(&self, session: Session<Notes>, text: String) -> Result<Page, StateError> {
        let max = self.max_notes;
        let notes = session
            .update(|notes| {
                notes.lines.push(text.clone());
                let excess = notes.lines.len().saturating_sub(max);
                notes.lines.drain(..excess);
                notes.lines.clone()
            })
            .await?;
        tracing::info!(notes = notes.len(), "noted");
        let client = session
            .initialize_record()
            .client_info
            .as_ref()
            .map(|c| c.name.clone());
        Ok(Page { client, notes })
    }
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let notebook = Notebook {
        max_notes: cli.max_notes,
    };
    notebook.serve_flags(cli.serve, |router| router).await
}
