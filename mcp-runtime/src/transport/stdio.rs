//! Newline-delimited JSON-RPC on stdin and stdout. Stdout carries only protocol messages;
//! diagnostics go to stderr through `tracing`.
//!
//! The process is one legacy session, created by `initialize`; requests whose `_meta` names a
//! protocol version, and `server/discover`, are served statelessly (2026-07-28).

use std::future::Future;
use std::sync::{Arc, OnceLock};

use serde::Deserialize;
use serde_json::value::RawValue;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::sync::mpsc;

use super::WireLog;
use crate::protocol::jsonrpc::{self, Incoming, RequestId};
use crate::protocol::{CallToolResult, ErrorObject, ProtocolVersion};
use crate::server::Server;
use crate::server::dispatch::{Answer, Dispatcher, Failure, call_response};
use crate::server::rounds::Outcome;
use crate::session::{SessionEntry, SessionId};

/// Serves `dispatcher` on the process's stdin and stdout until stdin closes.
pub(crate) async fn serve<S: Server>(
    dispatcher: &'static Dispatcher<S>,
    wire: Option<&'static WireLog>,
) -> std::io::Result<()> {
    serve_on(dispatcher, tokio::io::stdin(), tokio::io::stdout(), wire).await
}

/// Serves on any pair of byte streams (stdio in production, pipes in tests).
pub(crate) async fn serve_on<S: Server>(
    dispatcher: &'static Dispatcher<S>,
    input: impl AsyncRead + Unpin,
    mut output: impl AsyncWrite + Unpin + Send + 'static,
    wire: Option<&'static WireLog>,
) -> std::io::Result<()> {
    let (out_tx, mut out_rx) = mpsc::unbounded_channel::<Vec<u8>>();
    let writer = tokio::spawn(async move {
        while let Some(mut line) = out_rx.recv().await {
            line.push(b'\n');
            output.write_all(&line).await?;
            output.flush().await?;
        }
        Ok::<_, std::io::Error>(())
    });
    let conn = Arc::new(Connection {
        dispatcher,
        session: OnceLock::new(),
        out: out_tx,
        wire,
    });
    let mut lines = BufReader::new(input).lines();
    while let Some(line) = lines.next_line().await? {
        if line.trim().is_empty() {
            continue;
        }
        let conn = conn.clone();
        // Each message runs on its own task so that a slow tool does not hold up a ping.
        tokio::spawn(async move { conn.handle(line.into_bytes()).await });
    }
    drop(conn);
    writer.await.expect("the stdout writer does not panic")
}

struct Connection<S: Server> {
    dispatcher: &'static Dispatcher<S>,
    session: OnceLock<Arc<SessionEntry<S::Session>>>,
    out: mpsc::UnboundedSender<Vec<u8>>,
    wire: Option<&'static WireLog>,
}

impl<S: Server> Connection<S> {
    fn send(&self, version: Option<ProtocolVersion>, message: Vec<u8>) {
        if let Some(wire) = self.wire {
            wire.record(version, &message);
        }
        // The writer ends only when stdout is gone; nothing is left to tell then.
        let _ = self.out.send(message);
    }

    async fn handle(&self, line: Vec<u8>) {
        let incoming = match Incoming::parse(&line) {
            Ok(incoming) => incoming,
            Err(invalid) => {
                return self.send(
                    None,
                    jsonrpc::error_response(invalid.id.as_ref(), &invalid.error),
                );
            }
        };
        match incoming {
            Incoming::Request { id, method, params } => {
                let version = self.version_of(&method, params);
                let reply = self.request(&id, &method, params, version).await;
                // `initialize` has just negotiated the revision its own response is sent under.
                let version = version.or_else(|| self.session.get().map(|s| s.version()));
                let reply = reply.unwrap_or_else(|f| jsonrpc::error_response(Some(&id), &f.error));
                self.send(version, reply);
            }
            Incoming::Notification { method, params } => {
                if let Some(session) = self.session.get() {
                    self.dispatcher
                        .legacy_notification(session, &method, params);
                }
            }
            Incoming::Response { id, outcome } => {
                if let Some(session) = self.session.get() {
                    self.dispatcher.legacy_response(session, id, outcome);
                }
            }
        }
    }

    /// The revision a request is served under, for the wire log.
    fn version_of(&self, method: &str, params: Option<&RawValue>) -> Option<ProtocolVersion> {
        if is_modern(method, params) {
            Some(ProtocolVersion::V2026_07_28)
        } else {
            self.session.get().map(|s| s.version())
        }
    }

    async fn request(
        &self,
        id: &RequestId,
        method: &str,
        params: Option<&RawValue>,
        version: Option<ProtocolVersion>,
    ) -> Result<Vec<u8>, Failure> {
        let (tx, rx) = mpsc::unbounded_channel();
        if is_modern(method, params) {
            return self
                .finish(
                    self.dispatcher.modern(id, method, params, None, Some(tx))?,
                    rx,
                    version,
                )
                .await;
        }
        if method == "initialize" {
            let record = self.dispatcher.initialize(params)?;
            let version = record.protocol_version;
            let entry = {
                let new = crate::session::NewSession {
                    initialize: record.clone(),
                    principal: None,
                    headers: axum::http::HeaderMap::new(),
                };
                let state = self.dispatcher.server.initial_state(new).await;
                SessionEntry::new(SessionId::random(), record, None, state, 0)
            };
            if self.session.set(Arc::new(entry)).is_err() {
                return Err(Failure::ok(ErrorObject::invalid_request(
                    "the session is already initialized",
                )));
            }
            return Ok(self.dispatcher.initialize_response(id, version));
        }
        let Some(session) = self.session.get() else {
            return Err(Failure::ok(ErrorObject::invalid_request(
                "send `initialize` first, or a 2026-07-28 request with `params._meta`",
            )));
        };
        self.finish(
            self.dispatcher
                .legacy(session, id, method, params, Some(tx))?,
            rx,
            version,
        )
        .await
    }

    /// Awaits a tool call, writing what it emits to stdout ahead of its response.
    async fn finish<F: Future<Output = Outcome<CallToolResult>>>(
        &self,
        answer: Answer<F>,
        mut rx: mpsc::UnboundedReceiver<Vec<u8>>,
        version: Option<ProtocolVersion>,
    ) -> Result<Vec<u8>, Failure> {
        let call = match answer {
            Answer::Ready(body) => return Ok(body),
            Answer::Deferred(future) => return Ok(future.await),
            Answer::Stream(mut stream) => {
                // On stdio the stream is the connection: relay until it closes.
                let first = stream.recv().await.unwrap_or_default();
                let out = self.out.clone();
                tokio::spawn(async move {
                    while let Some(message) = stream.recv().await {
                        if out.send(message).is_err() {
                            break;
                        }
                    }
                });
                return Ok(first);
            }
            Answer::Call(call) => call,
        };
        let mut future = std::pin::pin!(call.future);
        let result = loop {
            tokio::select! {
                biased;
                Some(message) = rx.recv() => self.send(version, message),
                result = &mut future => break result,
            }
        };
        while let Ok(message) = rx.try_recv() {
            self.send(version, message);
        }
        let (_, body) = call_response(&call.id, call.version, &result);
        Ok(body)
    }
}

/// A stdio request is stateless when its `_meta` names a protocol version, or it is
/// `server/discover`.
fn is_modern(method: &str, params: Option<&RawValue>) -> bool {
    #[derive(Deserialize)]
    struct Probe {
        #[serde(rename = "_meta")]
        meta: Option<MetaProbe>,
    }
    #[derive(Deserialize)]
    struct MetaProbe {
        #[serde(rename = "io.modelcontextprotocol/protocolVersion")]
        version: Option<serde::de::IgnoredAny>,
    }
    method == "server/discover"
        || params
            .and_then(|p| serde_json::from_str::<Probe>(p.get()).ok())
            .and_then(|p| p.meta)
            .is_some_and(|m| m.version.is_some())
}
