//! The re-initialization policy: what a request on an unknown or expired session gets.

use serde::de::DeserializeOwned;
use serde_json::value::RawValue;

use super::{Headers, InitializeRecord};
use crate::auth::Principal;
use crate::protocol::ProtocolVersion;

/// Which policy a server compiled in; `#[mcp_server]` sets it, and the runtime branches on it
/// as a constant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReinitPolicy {
    /// HTTP 404 with a JSON-RPC error: the client must initialize again (the spec's answer).
    Reject,
    /// Replay the expired session's record that the store retains; 404 when it has none.
    Restore,
    /// Ask the server's `#[on_reinit]` handler.
    Handler,
}

/// What an `#[on_reinit]` handler decides.
///
/// ```no_run
/// use mcp_runtime::prelude::*;
///
/// #[derive(Default, Serialize, Deserialize)]
/// struct Progress {
///     step: u32,
/// }
///
/// struct Wizard;
///
/// #[mcp_server(session = Progress)]
/// impl Wizard {
///     /// The next step.
///     #[tool]
///     async fn next(&self, session: Session<Progress>) -> Result<String, StateError> {
///         Ok(session.update(|p| { p.step += 1; p.step }).await?.to_string())
///     }
///
///     /// A session that is gone comes back where the store left it, or at the start; only
///     /// clients that say who they are may come back.
///     #[on_reinit]
///     async fn resume(&self, req: ReinitRequest) -> Reinit<Progress> {
///         if req.headers.get("x-client-id").is_none() {
///             return Reinit::Reject;
///         }
///         Reinit::Resume(req.stored_state().unwrap_or_default())
///     }
/// }
///
/// #[tokio::main]
/// async fn main() -> std::process::ExitCode {
///     Wizard.serve().await
/// }
/// ```
#[derive(Debug)]
pub enum Reinit<T> {
    /// Recreate the session under the same id with this state, mark it initialized, and serve
    /// the request that arrived.
    Resume(T),
    /// Answer 404: the client must initialize again.
    Reject,
}

/// A request that named a session this server does not have (expired, deleted, lost in a
/// restart, or held by no replica), as an `#[on_reinit]` handler sees it.
///
/// What it knows: the session id the client sent, which process issued it, the request's
/// headers, the authenticated caller, the revision it asked for, and, when the store still has
/// the expired record, what the client said in `initialize` and the state the session had.
///
/// Only ids this deployment issued get here: an id whose tag does not verify under the
/// deployment secret (made up, altered, or issued under another secret) is answered 404 before
/// the store or the handler is asked. With the default secret, random per process, that
/// includes every id issued before a restart; set `MCP_STATE_KEY` for sessions to survive one.
///
/// ```
/// # #![allow(dead_code)]
/// # use mcp_runtime::{Reinit, ReinitRequest};
/// #[derive(Default, serde::Deserialize)]
/// struct Visits {
///     count: u64,
/// }
///
/// fn decide(req: &ReinitRequest) -> Reinit<Visits> {
///     match (&req.principal, req.stored_state::<Visits>()) {
///         // The caller's own session, as the store retained it.
///         (Some(_), Some(visits)) => Reinit::Resume(visits),
///         // An authenticated caller whose record is gone: start again, same session id.
///         (Some(_), None) => Reinit::Resume(Visits::default()),
///         // Nobody we know.
///         (None, _) => Reinit::Reject,
///     }
/// }
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub struct ReinitRequest {
    /// The session id the client sent.
    pub session_id: String,
    /// Which process of this deployment issued the id.
    pub issued_by: Issuer,
    /// The request's HTTP headers (empty on stdio).
    pub headers: Headers,
    /// The authenticated caller, if an authentication layer ran.
    pub principal: Option<Principal>,
    /// The revision the request's `MCP-Protocol-Version` header names, if any.
    pub protocol_version: Option<ProtocolVersion>,
    /// What the client sent in `initialize`, when the store still has the expired record.
    pub initialize: Option<InitializeRecord>,
    pub(crate) stored_state: Option<Box<RawValue>>,
}

/// Which process issued a session id that reached an `#[on_reinit]` handler. Either way the
/// id verified: it was issued by a process holding this deployment's secret, and the session
/// existed, though perhaps under another principal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Issuer {
    /// This process: the session expired here or was deleted, and any record of it is gone
    /// when [`ReinitRequest::initialize`] is `None`.
    ThisProcess,
    /// Another process sharing the secret: this server before a restart, or another replica.
    /// Without a persistent store, this process never saw the session.
    OtherProcess,
}

impl ReinitRequest {
    /// The expired session's state, when the store still has it and it deserializes as `T`.
    pub fn stored_state<T: DeserializeOwned>(&self) -> Option<T> {
        self.stored_state
            .as_ref()
            .and_then(|raw| serde_json::from_str(raw.get()).ok())
    }
}

/// A session being created by `initialize`, as an `#[on_initialize]` handler sees it: the
/// handler builds the session's first state from it.
#[derive(Debug)]
#[non_exhaustive]
pub struct NewSession {
    /// What the client sent in `initialize`.
    pub initialize: InitializeRecord,
    /// The authenticated caller, if an authentication layer ran.
    pub principal: Option<Principal>,
    /// The request's HTTP headers (empty on stdio).
    pub headers: Headers,
}
