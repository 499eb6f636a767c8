//! The seam between transports and the server, request side: a transport turns bytes into one
//! [`Request`] and hands it to [`Dispatcher::handle`](super::Dispatcher::handle).
//!
//! A request carries the parsed JSON-RPC message, its era, the session it names, the caller,
//! and the few headers the server reads, as plain data. How the era is decided lives here
//! once, for every transport.

use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_json::value::RawValue;

use crate::auth::Principal;
use crate::protocol::version::is_legacy_version_string;
use crate::protocol::{Era, Incoming};
use crate::session::Headers;

/// What a transport asks of the server.
#[derive(Debug)]
pub(crate) enum Message<'a> {
    /// A JSON-RPC message.
    Rpc(Incoming<'a>),
    /// Open the session's stream of server-initiated messages (legacy HTTP GET).
    OpenStream,
    /// End the session (legacy HTTP DELETE).
    EndSession,
}

/// One message, as every transport hands it to the server.
#[derive(Debug)]
pub(crate) struct Request<'a> {
    pub message: Message<'a>,
    /// Decided by [`era_of`] (JSON-RPC messages) or by the HTTP method (streams, DELETE).
    pub era: Era,
    /// The session the message names: `Mcp-Session-Id` on HTTP, the connection's on stdio.
    pub session: Option<&'a str>,
    /// The authenticated caller, when an authentication layer ran.
    pub caller: Option<&'a Principal>,
    /// The headers the server reads; `None` on stdio, which has none.
    pub headers: Option<HeaderView<'a>>,
    /// The one client of a stdio process: its session lives as long as the connection.
    pub pinned: bool,
}

/// The headers the server reads, looked up once by the transport, and the rest on demand.
#[derive(Clone, Copy)]
pub(crate) struct HeaderView<'a> {
    /// `MCP-Protocol-Version`.
    pub protocol_version: Option<&'a str>,
    /// `Mcp-Method` (2026-07-28).
    pub method: Option<&'a str>,
    /// `Mcp-Name` (2026-07-28).
    pub name: Option<&'a str>,
    /// All of them, for `Mcp-Param-*` checks and the session handlers.
    pub all: &'a dyn HeaderSource,
}

impl std::fmt::Debug for HeaderView<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HeaderView")
            .field("protocol_version", &self.protocol_version)
            .field("method", &self.method)
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// A transport's own header map, read only where a method needs more than [`HeaderView`]'s
/// fields, so the request path copies no header it does not use.
pub(crate) trait HeaderSource: Sync {
    /// The value of the header `name` (lowercase); `Err` when it is not visible ASCII.
    fn value(&self, name: &str) -> Option<Result<&str, ()>>;
    /// All of them, owned, for the session handlers.
    fn to_headers(&self) -> Headers;
}

/// The era of a JSON-RPC message. A revision header decides; without one, a session header
/// means legacy; then `server/discover`, or a `_meta` that names a protocol version, means
/// 2026-07-28; anything else is legacy. stdio has no headers, so only the body decides there.
pub(crate) fn era_of(incoming: &Incoming<'_>, version: Option<&str>, session_header: bool) -> Era {
    if let Some(v) = version {
        return if is_legacy_version_string(v) {
            Era::Legacy
        } else {
            Era::Modern
        };
    }
    if session_header {
        return Era::Legacy;
    }
    let (method, params) = match incoming {
        Incoming::Request { method, params, .. } | Incoming::Notification { method, params } => {
            (method, params)
        }
        Incoming::Response { .. } => return Era::Legacy,
    };
    if method == "server/discover" || names_version(*params) {
        Era::Modern
    } else {
        Era::Legacy
    }
}

fn names_version(params: Option<&RawValue>) -> bool {
    #[derive(Deserialize)]
    struct Probe {
        #[serde(rename = "_meta")]
        meta: Option<MetaProbe>,
    }
    #[derive(Deserialize)]
    struct MetaProbe {
        #[serde(rename = "io.modelcontextprotocol/protocolVersion")]
        version: Option<IgnoredAny>,
    }
    params
        .and_then(|p| serde_json::from_str::<Probe>(p.get()).ok())
        .and_then(|p| p.meta)
        .is_some_and(|m| m.version.is_some())
}
