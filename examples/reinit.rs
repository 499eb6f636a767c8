//! Sessions that survive expiry, as production needs them.
//!
//! Clients authenticate with API keys (`MCP_API_KEYS=alice=k1,k2`, sent as
//! `Authorization: Bearer k1`), checked by a tower layer in front of MCP; a key may grant OAuth
//! scopes (`alice(visits:reset)=k1`), which `reset` needs. Each session counts
//! its caller's visits. When a session is gone (idle timeout, restart, another replica), the
//! `#[on_reinit]` handler resumes it for any authenticated caller, under the same id, with the
//! state the store retained or rebuilt from the caller's running total; the client never
//! notices.
//!
//! `MCP_API_KEYS=k1,k2 cargo run --example reinit -- --http 127.0.0.1:8080 --session-idle 60`

use std::collections::HashMap;
use std::sync::Mutex;

use mcp_runtime::auth::ApiKeys;
use mcp_runtime::prelude::*;

/// Per-caller totals that outlive sessions (a real server keeps them in its database).
#[derive(Default)]
struct Counter {
    totals: Mutex<HashMap<String, u64>>,
}

/// What a session carries.
#[derive(Default, Serialize, Deserialize)]
struct Visits {
    count: u64,
}

/// The sum of two integers.
#[derive(Serialize, JsonSchema)]
struct Sum {
    sum: i64,
}

/// A caller's visits.
#[derive(Serialize, JsonSchema)]
struct Tally {
    /// Who is counting.
    caller: String,
    /// Visits in this session, across re-initializations.
    session: u64,
    /// Visits by this caller in all sessions since the server started.
    total: u64,
}

#[mcp_server(session = Visits)]
impl Counter {
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

    /// Count a visit by the caller.
    #[tool]
    async fn count(&self, ctx: Context, session: Session<Visits>) -> Result<Tally, StateError> {
        // The request's caller, in both eras: a 2026-07-28 request has no session to carry it.
        let caller = ctx
            .principal()
            .map_or_else(|| "anonymous".to_owned(), ToString::to_string);
        let total = {
            let mut totals = self.totals.lock().expect("totals");
            let total = totals.entry(caller.clone()).or_default();
            *total += 1;
            *total
        };
        let session = session
            .update(|visits| {
                visits.count += 1;
                visits.count
            })
            .await?;
        Ok(Tally {
            caller,
            session,
            total,
        })
    }

    /// Forget every caller's running total: only for callers granted `visits:reset`.
    #[tool(destructive, scopes = ["visits:reset"])]
    fn reset(&self, ctx: Context) -> String {
        self.totals.lock().expect("totals").clear();
        let by = ctx.principal().map_or("", |p| p.subject()).to_owned();
        format!("totals reset by {by}")
    }

    /// A request named a session this server no longer has: resume it for an authenticated
    /// caller, with the state the store retained, or else rebuilt from the caller's total.
    #[on_reinit]
    async fn resume(&self, req: ReinitRequest) -> Reinit<Visits> {
        let Some(caller) = req.principal.as_ref() else {
            return Reinit::Reject;
        };
        let visits = req.stored_state::<Visits>().unwrap_or_else(|| {
            let totals = self.totals.lock().expect("totals");
            Visits {
                count: totals.get(caller.as_str()).copied().unwrap_or(0),
            }
        });
        Reinit::Resume(visits)
    }
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let keys = ApiKeys::from_env("MCP_API_KEYS");
    if keys.is_empty() {
        eprintln!("warning: MCP_API_KEYS is empty, so every HTTP request will get 401");
    }
    Counter::default()
        .serve_layered(|router| router.layer(keys))
        .await
}
