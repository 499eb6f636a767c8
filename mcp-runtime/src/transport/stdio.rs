//! Newline-delimited JSON-RPC on stdin and stdout. Stdout carries only protocol messages;
//! diagnostics go to stderr through `tracing`.
//!
//! The process serves one client: its legacy session, created by `initialize`, lives as long
//! as the connection. Which era a message speaks is decided as on HTTP, from its body alone.

use std::sync::{Arc, OnceLock};

use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::sync::mpsc;
use tokio::task::JoinSet;

use super::WireLog;
use crate::protocol::jsonrpc::{self, Incoming};
use crate::protocol::{Era, ProtocolVersion};
use crate::server::Server;
use crate::server::dispatch::Dispatcher;
use crate::server::reply::{Body, Reply};
use crate::server::request::{Message, Request, era_of};

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
    let mut running = JoinSet::new();
    while let Some(line) = lines.next_line().await? {
        if line.trim().is_empty() {
            continue;
        }
        let conn = conn.clone();
        // Each message runs on its own task so that a slow tool does not hold up a ping.
        running.spawn(async move { conn.handle(line.into_bytes()).await });
        while running.try_join_next().is_some() {}
    }
    // An `initialize` still running when stdin closes creates the session after this point;
    // closed unseen, it would keep its stream, and so stdout, open forever.
    while running.join_next().await.is_some() {}
    if let Some(session) = conn.session.get() {
        dispatcher.sessions.close(session).await;
    }
    drop(conn);
    writer.await.expect("the stdout writer does not panic")
}

struct Connection<S: Server> {
    dispatcher: &'static Dispatcher<S>,
    /// The session `initialize` created.
    session: OnceLock<String>,
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

    async fn handle(self: Arc<Self>, line: Vec<u8>) {
        let incoming = match Incoming::parse(&line) {
            Ok(incoming) => incoming,
            Err(invalid) => {
                let error = jsonrpc::error_response(invalid.id.as_ref(), &invalid.error);
                return self.send(None, error);
            }
        };
        // Notifications and responses are never answered on stdio, not even with an error.
        let answers = matches!(incoming, Incoming::Request { .. });
        let request = Request {
            era: era_of(&incoming, None, false),
            message: Message::Rpc(incoming),
            session: self.session.get().map(String::as_str),
            caller: None,
            headers: None,
            pinned: true,
        };
        let reply = self.dispatcher.handle(request).await;
        // A new session's stream is attached before `initialize` is answered, so no change
        // announced in between is lost; what it carries is written after the answer.
        let stream = match reply.session {
            Some(id) if self.session.set(id.to_string()).is_ok() => Some(self.open_stream().await),
            _ => None,
        };
        if answers {
            self.relay(reply).await;
        }
        if let Some(stream) = stream {
            let conn = self.clone();
            tokio::spawn(async move { conn.relay(stream).await });
        }
    }

    /// Writes a reply: its one message, or each of its frames as they come.
    async fn relay(&self, reply: Reply) {
        match reply.body {
            Body::Json(body) => self.send(reply.version, body),
            Body::Stream(mut frames) => {
                while let Some(frame) = frames.next().await {
                    self.send(reply.version, frame);
                }
            }
            Body::Empty => {}
        }
    }

    /// The session's own stream (change notifications, resource updates), as a GET opens it on
    /// HTTP: on stdio it is the connection itself, relayed until the session ends.
    async fn open_stream(&self) -> Reply {
        let request = Request {
            message: Message::OpenStream,
            era: Era::Legacy,
            session: self.session.get().map(String::as_str),
            caller: None,
            headers: None,
            pinned: true,
        };
        self.dispatcher.handle(request).await
    }
}

#[cfg(test)]
mod tests;
