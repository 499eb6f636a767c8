//! A notebook whose sessions a Redis store keeps: restart the server, or let a session
//! expire, and `reinit = "restore"` brings it back exactly as the client left it, including
//! what the client said about itself in `initialize`.
//!
//! `cargo run --features redis --example notebook -- --http 127.0.0.1:8080 --store redis://127.0.0.1/`

use mcp_runtime::prelude::*;

struct Notebook;

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
    async fn note(&self, session: Session<Notes>, text: String) -> Page {
        let notes = session
            .update(|notes| {
                notes.lines.push(text);
                notes.lines.clone()
            })
            .await;
        let client = session
            .initialize_record()
            .client_info
            .as_ref()
            .map(|c| c.name.clone());
        Page { client, notes }
    }
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    Notebook.serve().await
}
