//! What a session is made of, in memory and in a store.

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::protocol::{ClientCapabilities, Implementation, LoggingLevel, ProtocolVersion};

/// What a client said about itself in `initialize`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct InitializeRecord {
    /// The negotiated revision.
    pub protocol_version: ProtocolVersion,
    /// The client's name and version; `None` for a session resumed without a record.
    pub client_info: Option<Implementation>,
    /// The client's capabilities; empty (none) for a session resumed without a record.
    pub capabilities: ClientCapabilities,
}

/// A session as a store keeps it: JSON, readable by any process of any version of the server
/// that has the same state type.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct StoredSession {
    /// The session id.
    pub id: String,
    /// What `initialize` said.
    pub initialize: InitializeRecord,
    /// The principal the session is bound to.
    pub principal: Option<String>,
    /// The level set by `logging/setLevel`.
    pub log_level: Option<LoggingLevel>,
    /// When it was created, in Unix milliseconds.
    pub created_ms: u64,
    /// The user's session state, serialized.
    pub state: Box<RawValue>,
    /// How many times the state was committed: a conditional save
    /// ([`SessionStore::save_if`](super::SessionStore::save_if)) writes only over the version it
    /// read, so that concurrent updates on different replicas are never lost.
    #[serde(default)]
    pub version: u64,
    /// The resources the client subscribed to (`resources/subscribe`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub subscriptions: Vec<String>,
}
