//! What the unit tests share: a small server written with the real macros, a dispatcher over
//! any server, and messages handed to it as the transports hand them, without sockets.

use std::time::Duration;

use axum::http::{HeaderMap, HeaderName, HeaderValue};
use mcp_runtime::prelude::*;
use serde_json::{Value, json};

use crate::protocol::Incoming;
use crate::server::Server;
use crate::server::dispatch::Dispatcher;
use crate::server::reply::{Body, Fault};
use crate::server::request::{HeaderView, Message, Request, era_of};
use crate::session::resolve::Sessions;
use crate::session::{MemoryStore, SessionId, SessionMap, SessionStore};

/// The structured output of `add`.
#[derive(Serialize, JsonSchema)]
pub(crate) struct Sum {
    sum: i64,
}

/// Two tools, a resource and a prompt: enough to reach every method of both eras.
pub(crate) struct Demo;

#[mcp_server(name = "demo", version = "1.2.3")]
impl Demo {
    /// Add two integers.
    #[tool(read_only)]
    fn add(&self, a: i64, b: i64) -> Sum {
        Sum { sum: a + b }
    }

    /// Tell listening clients that the tool list changed.
    #[tool]
    fn announce(&self, ctx: Context) -> String {
        ctx.notify(Change::Tools);
        "announced".into()
    }

    /// A fixed note.
    #[resource("demo://note")]
    fn note(&self) -> String {
        "a note".into()
    }

    /// Greet someone.
    #[prompt]
    fn greet(&self, name: String) -> String {
        format!("Hello, {name}")
    }
}

/// The default store, retaining expired sessions for `retention`.
pub(crate) fn memory_store(retention: Duration) -> &'static dyn SessionStore {
    Box::leak(Box::new(MemoryStore::new(retention)))
}

/// A dispatcher as `serve` builds one: leaked, so that its call futures are `'static`.
pub(crate) fn dispatcher<S: Server>(
    server: S,
    store: &'static dyn SessionStore,
    idle: Duration,
) -> &'static Dispatcher<S> {
    let sessions = Sessions::new(SessionMap::new(idle, 100), store);
    Box::leak(Box::new(Dispatcher::new(server, sessions, 100)))
}

/// Headers as an HTTP client sends them.
pub(crate) fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
    pairs
        .iter()
        .map(|(n, v)| {
            let name = HeaderName::from_bytes(n.as_bytes()).expect("header name");
            (name, HeaderValue::from_str(v).expect("header value"))
        })
        .collect()
}

/// The headers a 2026-07-28 client sends with `method` (and `Mcp-Name`, when it names one).
pub(crate) fn modern_headers(method: &str, name: Option<&str>) -> HeaderMap {
    let mut pairs = vec![
        ("mcp-protocol-version", "2026-07-28"),
        ("mcp-method", method),
    ];
    pairs.extend(name.map(|n| ("mcp-name", n)));
    headers(&pairs)
}

/// A 2026-07-28 request: `params` with the `_meta` every such request carries.
pub(crate) fn modern(id: u64, method: &str, mut params: Value) -> Value {
    params["_meta"] = json!({
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientCapabilities": {},
    });
    json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params })
}

/// A legacy `initialize` asking for `version`.
pub(crate) fn initialize(id: u64, version: &str) -> Value {
    json!({
        "jsonrpc": "2.0",
        "id": id,
        "method": "initialize",
        "params": {
            "protocolVersion": version,
            "capabilities": {},
            "clientInfo": { "name": "unit", "version": "0" },
        },
    })
}

/// How a message reaches the server: the session it names, the caller, and the HTTP headers
/// (`None`: stdio, which has none).
#[derive(Clone, Copy, Default)]
pub(crate) struct Via<'a> {
    pub session: Option<&'a str>,
    pub caller: Option<&'a Principal>,
    pub headers: Option<&'a HeaderMap>,
}

impl<'a> Via<'a> {
    /// Over HTTP, with these headers and no session.
    pub(crate) fn http(headers: &'a HeaderMap) -> Self {
        Self {
            headers: Some(headers),
            ..Self::default()
        }
    }
}

/// What the server answered, decoded.
#[derive(Debug)]
pub(crate) struct Sent {
    pub fault: Option<Fault>,
    /// The one JSON-RPC message; `None` for an empty reply.
    pub body: Option<Value>,
    pub session: Option<SessionId>,
}

impl Sent {
    /// The result; panics on an error or an empty reply.
    pub(crate) fn result(&self) -> &Value {
        let body = self.body.as_ref().expect("a reply with a body");
        assert!(body.get("error").is_none(), "an error: {body}");
        &body["result"]
    }

    /// The error's code and message; panics on a result or an empty reply.
    pub(crate) fn error(&self) -> (i64, &str) {
        let body = self.body.as_ref().expect("a reply with a body");
        let error = &body["error"];
        let code = error["code"]
            .as_i64()
            .unwrap_or_else(|| panic!("no error: {body}"));
        (code, error["message"].as_str().expect("a message"))
    }
}

/// Hands `message` to the dispatcher as a transport would, deciding its era the same way.
pub(crate) async fn send<S: Server>(
    dispatcher: &'static Dispatcher<S>,
    via: Via<'_>,
    message: &Value,
) -> Sent {
    let bytes = serde_json::to_vec(message).expect("JSON");
    let incoming = Incoming::parse(&bytes).expect("a JSON-RPC message");
    let view = via.headers.map(|h| HeaderView {
        protocol_version: value(h, "mcp-protocol-version"),
        method: value(h, "mcp-method"),
        name: value(h, "mcp-name"),
        all: h,
    });
    let version = view.and_then(|v| v.protocol_version);
    let request = Request {
        era: era_of(&incoming, version, via.session.is_some()),
        message: Message::Rpc(incoming),
        session: via.session,
        caller: via.caller,
        headers: view,
        pinned: via.headers.is_none(),
    };
    let reply = dispatcher.handle(request).await;
    let body = match reply.body {
        Body::Json(bytes) => Some(serde_json::from_slice(&bytes).expect("a JSON reply")),
        Body::Empty => None,
        Body::Stream(frames) => panic!("a stream where one message was expected: {frames:?}"),
    };
    Sent {
        fault: reply.fault,
        body,
        session: reply.session,
    }
}

fn value<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}
