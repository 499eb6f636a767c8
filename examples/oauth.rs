//! A notes server that is an OAuth 2.1 protected resource: every request carries an access
//! token (a JWT) from the authorization server named by `--oauth-issuer`, and `add_note` needs
//! the scope `notes:write`.
//!
//! `cargo run --features oauth --example oauth -- --http 127.0.0.1:8080 \
//!     --oauth-issuer https://auth.example.com --public-url http://127.0.0.1:8080/mcp`
//!
//! A client that calls without a token gets 401 with a link to this server's protected
//! resource metadata (`/.well-known/oauth-protected-resource/mcp`), which names the
//! authorization server; one whose token lacks `notes:write` gets 403 with the scope it needs.
//!
//! Each caller's notes are its `User<MyNotes>` state: kept by issuer and subject in the session
//! store (`--store redis://...` keeps them across restarts and replicas), the same for a
//! 2026-07-28 client, which has no session, as for a legacy client of the same user.

use mcp_runtime::prelude::*;

/// The longest note, and how many notes a caller keeps (the newest).
const MAX_NOTE_CHARS: usize = 4096;
const MAX_NOTES: usize = 1000;

/// The notes server. It holds nothing itself: the notes are each caller's `User` state.
struct Notes;

/// Who the caller is, as its access token says.
#[derive(Serialize, JsonSchema)]
struct WhoAmI {
    /// The token's subject (`sub`).
    subject: String,
    /// The authorization server that issued it (`iss`).
    issuer: Option<String>,
    /// The scopes it grants.
    scopes: Vec<String>,
}

/// A caller's notes: its state, and what the note tools return.
#[derive(Default, Serialize, Deserialize, JsonSchema)]
struct MyNotes {
    /// Oldest first.
    notes: Vec<String>,
}

#[mcp_server(user = MyNotes)]
impl Notes {
    /// Who is calling: the access token's subject, issuer and scopes.
    #[tool(read_only)]
    fn whoami(&self, ctx: Context) -> WhoAmI {
        let principal = ctx.principal();
        WhoAmI {
            subject: principal.map_or_else(String::new, |p| p.subject().to_owned()),
            issuer: principal.and_then(|p| p.issuer().map(str::to_owned)),
            scopes: principal.map_or_else(Vec::new, |p| p.scopes().map(str::to_owned).collect()),
        }
    }

    /// Add a note (at most 4096 characters) to the caller's notes, which keep the newest
    /// 1000; returns them all.
    #[tool(scopes = ["notes:write"])]
    async fn add_note(&self, user: User<MyNotes>, text: String) -> Result<MyNotes, String> {
        // Whatever a caller sends, its state stays bounded.
        if text.chars().count() > MAX_NOTE_CHARS {
            return Err(format!("a note is at most {MAX_NOTE_CHARS} characters"));
        }
        let all = user.update(|mine| {
            mine.notes.push(text.clone());
            let excess = mine.notes.len().saturating_sub(MAX_NOTES);
            mine.notes.drain(..excess);
            mine.notes.clone()
        });
        Ok(MyNotes {
            notes: all.await.map_err(|e| e.to_string())?,
        })
    }

    /// The caller's notes, as a resource: only for callers granted `notes:read`.
    #[resource("notes://mine", mime_type = "application/json", scopes = ["notes:read"])]
    async fn mine(&self, user: User<MyNotes>) -> Result<String, UserStateError> {
        let mine = user.get().await?;
        Ok(serde_json::json!({ "notes": mine.notes }).to_string())
    }

    /// Ask the model to review the caller's notes: only for callers granted `notes:read`.
    #[prompt(scopes = ["notes:read"])]
    fn review(&self) -> String {
        "Review my notes and suggest which to keep.".into()
    }

    /// The caller's notes.
    #[tool(read_only)]
    async fn notes(&self, user: User<MyNotes>) -> Result<MyNotes, UserStateError> {
        user.get().await
    }
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    Notes.serve().await
}
