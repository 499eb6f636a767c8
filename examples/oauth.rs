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

use std::collections::HashMap;
use std::sync::Mutex;

use mcp_runtime::prelude::*;

/// Each caller's notes, by issuer and subject (in this process's memory).
#[derive(Default)]
struct Notes {
    by_caller: Mutex<HashMap<String, Vec<String>>>,
}

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

/// A caller's notes.
#[derive(Serialize, JsonSchema)]
struct Page {
    /// Oldest first.
    notes: Vec<String>,
}

fn caller(ctx: &Context) -> String {
    ctx.principal()
        .map_or_else(String::new, |p| p.as_str().to_owned())
}

#[mcp_server]
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

    /// Add a note to the caller's notes.
    #[tool(scopes = ["notes:write"])]
    fn add_note(&self, ctx: Context, text: String) -> Page {
        let mut by_caller = self.by_caller.lock().expect("notes");
        let notes = by_caller.entry(caller(&ctx)).or_default();
        notes.push(text);
        Page {
            notes: notes.clone(),
        }
    }

    /// The caller's notes, as a resource: only for callers granted `notes:read`.
    #[resource("notes://mine", mime_type = "application/json", scopes = ["notes:read"])]
    fn mine(&self, ctx: Context) -> String {
        let by_caller = self.by_caller.lock().expect("notes");
        let notes = by_caller.get(&caller(&ctx)).cloned().unwrap_or_default();
        serde_json::json!({ "notes": notes }).to_string()
    }

    /// Ask the model to review the caller's notes: only for callers granted `notes:read`.
    #[prompt(scopes = ["notes:read"])]
    fn review(&self) -> String {
        "Review my notes and suggest which to keep.".into()
    }

    /// The caller's notes.
    #[tool(read_only)]
    fn notes(&self, ctx: Context) -> Page {
        let by_caller = self.by_caller.lock().expect("notes");
        Page {
            notes: by_caller.get(&caller(&ctx)).cloned().unwrap_or_default(),
        }
    }
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    Notes::default().serve().await
}
