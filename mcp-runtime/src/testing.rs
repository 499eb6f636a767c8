//! An in-process client for tests (feature `testing`): your server, served through the same
//! entry point the transports use, with no socket, in either era.
//!
//! ```
//! use mcp_runtime::prelude::*;
//! use mcp_runtime::testing::TestClient;
//!
//! struct Calculator;
//!
//! #[mcp_server]
//! impl Calculator {
//!     /// Add two integers.
//!     #[tool]
//!     fn add(&self, a: i64, b: i64) -> String {
//!         (a + b).to_string()
//!     }
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! for client in [TestClient::legacy(Calculator).await, TestClient::stateless(Calculator).await] {
//!     let result = client.call_tool("add", serde_json::json!({"a": 2, "b": 40})).await.unwrap();
//!     assert_eq!(result.content, vec![Content::text("42")]);
//! }
//! # }
//! ```
//!
//! Questions a tool asks the client (elicitation, sampling, roots) get the answers you script
//! with [`Builder`]; progress, log messages and change notifications are captured and read
//! with [`TestClient::notifications`]; [`TestClient::expire_session`] makes a legacy client come
//! back to a gone session, so that your `#[on_reinit]` handler runs.

use std::fmt;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};

use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::auth::Principal;
use crate::protocol::{
    CallToolResult, Completion, Era, ErrorObject, GetPromptResult, Incoming, ProtocolVersion,
};
use crate::server::Server;
use crate::server::dispatch::Dispatcher;
use crate::server::reply::Body;
use crate::server::request::{Message, Request};
use crate::{Options, Result};

type Answer = Box<dyn Fn(&Value) -> Value + Send + Sync>;

/// Scripts a [`TestClient`] before it connects: who it is and what it answers.
pub struct Builder<S> {
    server: S,
    caller: Option<Principal>,
    elicit: Option<Answer>,
    sample: Option<Answer>,
    roots: Option<Value>,
    options: Options,
}

impl<S> fmt::Debug for Builder<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Builder")
            .field("caller", &self.caller)
            .finish_non_exhaustive()
    }
}

impl<S: Server> Builder<S> {
    /// Calls as this authenticated caller (what an authentication layer would insert).
    pub fn caller(mut self, principal: Principal) -> Self {
        self.caller = Some(principal);
        self
    }

    /// Answers `elicitation/create` with what `answer` returns for its params (an
    /// `ElicitResult` as JSON), and declares the capability.
    pub fn on_elicit(mut self, answer: impl Fn(&Value) -> Value + Send + Sync + 'static) -> Self {
        self.elicit = Some(Box::new(answer));
        self
    }

    /// Answers `sampling/createMessage` with what `answer` returns for its params, and
    /// declares the capability.
    pub fn on_sample(mut self, answer: impl Fn(&Value) -> Value + Send + Sync + 'static) -> Self {
        self.sample = Some(Box::new(answer));
        self
    }

    /// Answers `roots/list` with these roots (`[{"uri": ..., "name": ...}]`).
    pub fn roots(mut self, roots: Value) -> Self {
        self.roots = Some(roots);
        self
    }

    /// Serves with these options (session idle time, page size, ...); the transport's are
    /// unused.
    pub fn options(mut self, options: Options) -> Self {
        self.options = options;
        self
    }

    /// A client of the session-based revisions: `initialize` is sent, and the session's stream
    /// is read into [`TestClient::notifications`].
    pub async fn legacy(self) -> TestClient<S> {
        let client = self.connect(Era::Legacy).await;
        let capabilities = client.capabilities();
        let init = json!({"protocolVersion": ProtocolVersion::LATEST_LEGACY.as_str(),
            "capabilities": capabilities, "clientInfo": {"name": "mcp-runtime-test-client", "version": "0"}});
        client
            .request("initialize", init)
            .await
            .expect("the server answers `initialize`");
        client.open_stream().await;
        client
    }

    /// A client of the stateless 2026-07-28 revision: every request carries `_meta`.
    pub async fn stateless(self) -> TestClient<S> {
        self.connect(Era::Modern).await
    }

    async fn connect(self, era: Era) -> TestClient<S> {
        let (dispatcher, _) = crate::serve::start(self.server, &self.options)
            .await
            .expect("the memory store opens");
        TestClient {
            dispatcher,
            era,
            session: Mutex::new(None),
            next: AtomicI64::new(1),
            caller: self.caller,
            elicit: self.elicit,
            sample: self.sample,
            roots: self.roots,
            seen: Arc::default(),
        }
    }
}

/// A client of one server, in process. See the [module docs](self).
pub struct TestClient<S: Server> {
    dispatcher: &'static Dispatcher<S>,
    era: Era,
    session: Mutex<Option<String>>,
    next: AtomicI64,
    caller: Option<Principal>,
    elicit: Option<Answer>,
    sample: Option<Answer>,
    roots: Option<Value>,
    seen: Arc<Mutex<Vec<Value>>>,
}

impl<S: Server> fmt::Debug for TestClient<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestClient")
            .field("era", &self.era)
            .field("session", &self.session)
            .finish_non_exhaustive()
    }
}

impl<S: Server> TestClient<S> {
    /// Scripts a client of `server`.
    pub fn builder(server: S) -> Builder<S> {
        Builder {
            server,
            caller: None,
            elicit: None,
            sample: None,
            roots: None,
            options: Options::default(),
        }
    }

    /// A legacy client with nothing scripted.
    pub async fn legacy(server: S) -> Self {
        Self::builder(server).legacy().await
    }

    /// A 2026-07-28 client with nothing scripted.
    pub async fn stateless(server: S) -> Self {
        Self::builder(server).stateless().await
    }

    /// `tools/list`: the tools, as the client sees them.
    pub async fn list_tools(&self) -> Result<Vec<Value>, ErrorObject> {
        let result = self.request("tools/list", json!({})).await?;
        Ok(result["tools"].as_array().cloned().unwrap_or_default())
    }

    /// `tools/call`. A tool's own failure is an `Ok` result with `is_error`; protocol errors
    /// (an unknown tool) are `Err`.
    pub async fn call_tool(
        &self,
        name: &str,
        arguments: Value,
    ) -> Result<CallToolResult, ErrorObject> {
        let params = json!({"name": name, "arguments": arguments});
        self.typed(self.request("tools/call", params).await?)
    }

    /// `resources/read`: the result (`contents`).
    pub async fn read_resource(&self, uri: &str) -> Result<Value, ErrorObject> {
        self.request("resources/read", json!({"uri": uri})).await
    }

    /// `prompts/get`.
    pub async fn get_prompt(
        &self,
        name: &str,
        arguments: Value,
    ) -> Result<GetPromptResult, ErrorObject> {
        let params = json!({"name": name, "arguments": arguments});
        self.typed(self.request("prompts/get", params).await?)
    }

    /// `completion/complete` for `reference` (`{"type": "ref/prompt", "name": ..}` or
    /// `{"type": "ref/resource", "uri": ..}`).
    pub async fn complete(
        &self,
        reference: Value,
        argument: &str,
        value: &str,
    ) -> Result<Completion, ErrorObject> {
        let params = json!({"ref": reference, "argument": {"name": argument, "value": value}});
        let result = self.request("completion/complete", params).await?;
        self.typed(result["completion"].clone())
    }

    /// Every notification received so far: progress, log messages, list changes, resource
    /// updates, in order.
    pub fn notifications(&self) -> Vec<Value> {
        self.seen.lock().expect("notifications").clone()
    }

    /// The legacy session's id, once `initialize` created it.
    pub fn session_id(&self) -> Option<String> {
        self.session.lock().expect("session").clone()
    }

    /// Ends the legacy session in the server as the idle sweep would, while this client keeps
    /// its id: its next request is one on a gone session, for the compiled policy (your
    /// `#[on_reinit]` handler, `restore`, or 404) to answer.
    pub async fn expire_session(&self) {
        if let Some(id) = self.session_id() {
            self.dispatcher.sessions.expire(&id).await;
        }
    }

    /// Any request; the result, or the JSON-RPC error the server answered. Questions the
    /// server asks on the way are answered as scripted; a 2026-07-28 input-required result is
    /// answered and the request sent again, as a client would.
    pub async fn request(&self, method: &str, params: Value) -> Result<Value, ErrorObject> {
        let mut params = params;
        if self.era == Era::Modern {
            params["_meta"] = json!({
                "io.modelcontextprotocol/protocolVersion": ProtocolVersion::V2026_07_28.as_str(),
                "io.modelcontextprotocol/clientCapabilities": self.capabilities(),
            });
        }
        // A tool may ask again after it got its answers; a few rounds are plenty for a test.
        for _ in 0..8 {
            let id = self.next.fetch_add(1, Ordering::Relaxed);
            let message = json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params});
            let response = self.exchange(&message).await;
            if let Some(error) = response.get("error") {
                return Err(serde_json::from_value(error.clone())
                    .unwrap_or_else(|e| ErrorObject::internal(e.to_string())));
            }
            let result = response["result"].clone();
            if result["resultType"] != "input_required" {
                return Ok(result);
            }
            let mut answers = serde_json::Map::new();
            for (key, asked) in result["inputRequests"].as_object().into_iter().flatten() {
                answers.insert(key.clone(), self.answer(&asked["method"], &asked["params"]));
            }
            params["inputResponses"] = Value::Object(answers);
            params["requestState"] = result["requestState"].clone();
        }
        Err(ErrorObject::internal(
            "the server asked for input eight times over",
        ))
    }

    /// Sends one message and reads its reply to the end: the response, after answering what
    /// the server asked and noting what it announced.
    async fn exchange(&self, message: &Value) -> Value {
        let reply = self.send(message).await;
        let session = reply.session.map(|id| id.to_string());
        if session.is_some() {
            *self.session.lock().expect("session") = session;
        }
        match reply.body {
            Body::Json(bytes) => parse(&bytes),
            Body::Empty => json!({"error": {"code": -32603, "message": "no answer"}}),
            Body::Stream(mut frames) => {
                let mut response = Value::Null;
                while let Some(frame) = frames.next().await {
                    let frame = parse(&frame);
                    match (frame.get("method"), frame.get("id")) {
                        (Some(method), Some(id)) => {
                            let result = self.answer(method, &frame["params"]);
                            let answer = json!({"jsonrpc": "2.0", "id": id, "result": result});
                            self.send(&answer).await;
                        }
                        (Some(_), None) => self.seen.lock().expect("notifications").push(frame),
                        _ => response = frame,
                    }
                }
                response
            }
        }
    }

    async fn send(&self, message: &Value) -> crate::server::reply::Reply {
        let bytes = serde_json::to_vec(message).expect("messages serialize");
        let incoming = Incoming::parse(&bytes).expect("the test client writes valid messages");
        let session = self.session_id();
        let request = Request {
            message: Message::Rpc(incoming),
            era: self.era,
            session: session.as_deref(),
            caller: self.caller.as_ref(),
            headers: None,
            pinned: false,
        };
        self.dispatcher.handle(request).await
    }

    /// Reads the session's stream (change notifications) into [`notifications`](Self::notifications).
    async fn open_stream(&self) {
        let session = self.session_id();
        let request = Request {
            message: Message::OpenStream,
            era: Era::Legacy,
            session: session.as_deref(),
            caller: self.caller.as_ref(),
            headers: None,
            pinned: false,
        };
        if let Body::Stream(mut frames) = self.dispatcher.handle(request).await.body {
            let seen = self.seen.clone();
            tokio::spawn(async move {
                while let Some(frame) = frames.next().await {
                    seen.lock().expect("notifications").push(parse(&frame));
                }
            });
        }
    }

    /// The scripted answer to a question from the server.
    fn answer(&self, method: &Value, params: &Value) -> Value {
        match method.as_str() {
            Some("elicitation/create") => self
                .elicit
                .as_ref()
                .map_or(json!({"action": "decline"}), |f| f(params)),
            Some("sampling/createMessage") => {
                self.sample.as_ref().map_or(Value::Null, |f| f(params))
            }
            Some("roots/list") => json!({"roots": self.roots.clone().unwrap_or_else(|| json!([]))}),
            _ => Value::Null,
        }
    }

    /// What the scripted answers let the client declare.
    fn capabilities(&self) -> Value {
        let mut caps = serde_json::Map::new();
        if self.elicit.is_some() {
            caps.insert("elicitation".into(), json!({}));
        }
        if self.sample.is_some() {
            caps.insert("sampling".into(), json!({}));
        }
        if self.roots.is_some() {
            caps.insert("roots".into(), json!({}));
        }
        Value::Object(caps)
    }

    fn typed<T: DeserializeOwned>(&self, value: Value) -> Result<T, ErrorObject> {
        // Through text: results may hold raw JSON (structured content).
        serde_json::from_str(&value.to_string()).map_err(|e| ErrorObject::internal(e.to_string()))
    }
}

fn parse(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).unwrap_or(Value::Null)
}
