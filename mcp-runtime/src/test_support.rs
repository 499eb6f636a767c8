//! What the unit tests share: a small server written with the real macros, a dispatcher over
//! any server, and messages handed to it as the transports hand them, without sockets.

use std::time::Duration;

use axum::http::{HeaderMap, HeaderName, HeaderValue};
use mcp_runtime::prelude::*;
use serde_json::{Value, json};

use crate::protocol::Incoming;
use crate::server::Server;
use crate::server::dispatch::Dispatcher;
use crate::server::reply::{Body, Fault, Reply};
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

/// Handlers that misbehave or report who called them: the reliability matrix's server.
pub(crate) struct Faulty;

/// What a panicking handler says, which no answer may repeat.
pub(crate) const SECRET: &str = "secret internals";

#[mcp_server(name = "faulty", session = u64, reinit = "reject")]
impl Faulty {
    /// Panics.
    #[tool]
    fn boom(&self) -> String {
        panic!("{SECRET}")
    }

    /// Panics in a call that can ask for input.
    #[tool]
    async fn boom_asking(&self, ctx: Context) -> String {
        tokio::task::yield_now().await;
        panic!("{SECRET} {}", ctx.protocol_version())
    }

    /// Panics at once, or after `wait_ms`, as a task for clients of the extension.
    #[tool(task = "optional")]
    async fn boom_task(&self, wait_ms: u64) -> String {
        if wait_ms > 0 {
            tokio::time::sleep(Duration::from_millis(wait_ms)).await;
        }
        panic!("{SECRET}")
    }

    /// Answers after `ms` milliseconds.
    #[tool]
    async fn slow(&self, ms: u64) -> String {
        tokio::time::sleep(Duration::from_millis(ms)).await;
        format!("slept {ms} ms")
    }

    /// Who called, as the context and the session see it.
    #[tool]
    fn whoami(&self, ctx: Context, session: Session<u64>) -> String {
        let name = |p: Option<&Principal>| p.map_or("anonymous".to_owned(), ToString::to_string);
        format!("{} {}", name(ctx.principal()), name(session.principal()))
    }

    /// Asks whether to go on, in `region` (mirrored in `Mcp-Param-Region`).
    #[tool]
    async fn ask(&self, ctx: Context, #[header("Region")] region: String) -> String {
        let schema = json!({ "type": "object", "properties": {} });
        match ctx.elicit_keyed("go", "Go on?", schema).await {
            Ok(answer) => format!("{region}: {}", answer.action),
            Err(e) => format!("{region}: {e}"),
        }
    }

    /// Panics.
    #[resource("faulty://boom")]
    fn broken(&self) -> String {
        panic!("{SECRET}")
    }

    /// Panics.
    #[prompt]
    fn spoiled(&self, x: String) -> String {
        panic!("{SECRET} {x}")
    }

    #[complete(prompt = "spoiled", argument = "x")]
    fn complete_x(&self, value: String) -> Vec<String> {
        panic!("{SECRET} {value}")
    }

    #[on_initialize]
    async fn start(&self, new: NewSession) -> u64 {
        if new
            .initialize
            .client_info
            .is_some_and(|c| c.name == "panic")
        {
            panic!("{SECRET}");
        }
        0
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
    sent(reply(dispatcher, via, &bytes).await)
}

/// [`send`] for a message written by hand (JSON that `Value` cannot hold).
pub(crate) async fn send_text<S: Server>(
    dispatcher: &'static Dispatcher<S>,
    via: Via<'_>,
    message: &str,
) -> Sent {
    sent(reply(dispatcher, via, message.as_bytes()).await)
}

/// The reply to `bytes`, undecoded (for streams).
pub(crate) async fn reply<S: Server>(
    dispatcher: &'static Dispatcher<S>,
    via: Via<'_>,
    bytes: &[u8],
) -> Reply {
    let incoming = Incoming::parse(bytes).expect("a JSON-RPC message");
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
    dispatcher.handle(request).await
}

fn sent(reply: Reply) -> Sent {
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
