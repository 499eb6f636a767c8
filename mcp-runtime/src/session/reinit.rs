//! The re-initialization policy: what a request on an unknown or expired session gets.

use axum::http::HeaderMap;
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;

use super::InitializeRecord;
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
#[derive(Debug)]
pub struct ReinitRequest {
    /// The session id the client sent.
    pub session_id: String,
    /// The request's HTTP headers.
    pub headers: HeaderMap,
    /// The authenticated caller, if an authentication layer ran.
    pub principal: Option<Principal>,
    /// The revision the request's `MCP-Protocol-Version` header names, if any.
    pub protocol_version: Option<ProtocolVersion>,
    /// What the client sent in `initialize`, when the store still has the expired record.
    pub initialize: Option<InitializeRecord>,
    pub(crate) stored_state: Option<Box<RawValue>>,
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
pub struct NewSession {
    /// What the client sent in `initialize`.
    pub initialize: InitializeRecord,
    /// The authenticated caller, if an authentication layer ran.
    pub principal: Option<Principal>,
    /// The request's HTTP headers (empty on stdio).
    pub headers: HeaderMap,
}
