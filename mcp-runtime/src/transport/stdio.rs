//! Newline-delimited JSON-RPC on stdin and stdout. Stdout carries only protocol messages;
//! diagnostics go to stderr through `tracing`.
//!
//! The process serves one client: its legacy session, created by `initialize`, lives as long
//! as the connection. Which era a message speaks is decided as on HTTP, from its body alone.
//!
//! Messages take effect in the order they arrive: each is run until it first waits before the
//! next line is read (by then a call is registered for `notifications/cancelled`), and
//! `initialize` runs to its end, so that the session exists for the line behind it. What still
//! waits then goes on in a task of its own, so a tool that waits does not hold up a ping; one
//! that computes for long without waiting does, and belongs in `spawn_blocking`.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::task::Poll;

use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::sync::mpsc;
use tokio::task::JoinSet;

use super::WireLog;
use crate::protocol::jsonrpc::{self, Incoming};
use crate::protocol::{Era, ErrorObject, ProtocolVersion};
use crate::server::Server;
use crate::server::dispatch::Dispatcher;
use crate::server::reply::{Body, Reply};
use crate::server::request::{Message, Request, era_of};

/// Serves `dispatcher` on the process's stdin and stdout until stdin closes; a line longer
/// than `max_line` bytes is answered with an error and skipped.
pub(crate) async fn serve<S: Server>(
    dispatcher: &'static Dispatcher<S>,
    max_line: usize,
    wire: Option<&'static WireLog>,
) -> std::io::Result<()> {
    let (stdin, stdout) = (tokio::io::stdin(), tokio::io::stdout());
    serve_on(dispatcher, stdin, stdout, max_line, wire).await
}

/// Serves on any pair of byte streams (stdio in production, pipes in tests).
pub(crate) async fn serve_on<S: Server>(
    dispatcher: &'static Dispatcher<S>,
    input: impl AsyncRead + Unpin,
    mut output: impl AsyncWrite + Unpin + Send + 'static,
    max_line: usize,
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
        initializing: AtomicBool::new(false),
        out: out_tx,
        wire,
    });
    let mut input = BufReader::new(input);
    let mut running = JoinSet::new();
    loop {
        let line = match read_line(&mut input, max_line).await? {
            Line::End => break,
            Line::TooLong => {
                let e =
                    ErrorObject::invalid_request(format!("the message exceeds {max_line} bytes"));
                conn.send(None, jsonrpc::error_response(None, &e));
                continue;
            }
            Line::Message(line) if line.trim_ascii().is_empty() => continue,
            Line::Message(line) => line,
        };
        let mut handling = Box::pin(conn.clone().handle(line));
        let done = poll_once(handling.as_mut()).await;
        let initializing = conn.initializing.swap(false, Ordering::Relaxed);
        match (done, initializing) {
            (true, _) => {}
            // In a task all the same, so that a panic ends this message only.
            (false, true) => drop(tokio::spawn(handling).await),
            (false, false) => drop(running.spawn(handling)),
        }
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

/// Polls a message's handling once, in the read loop; `true` when it is done. A panic ends
/// that message only, as it would in a task of its own.
async fn poll_once(mut handling: Pin<&mut (impl Future<Output = ()> + ?Sized)>) -> bool {
    std::future::poll_fn(|cx| {
        let polled = std::panic::catch_unwind(AssertUnwindSafe(|| handling.as_mut().poll(cx)));
        Poll::Ready(match polled {
            Ok(poll) => poll.is_ready(),
            Err(_) => {
                tracing::error!("a message's handling panicked");
                true
            }
        })
    })
    .await
}

/// One line of input.
#[derive(Debug, PartialEq, Eq)]
enum Line {
    /// A line, without its newline.
    Message(Vec<u8>),
    /// A line longer than the limit, skipped without being kept.
    TooLong,
    /// The input closed.
    End,
}

/// Reads one line of at most `max` bytes. A longer line is read on to its end in the chunks
/// the reader holds, so it never takes more memory than the limit.
async fn read_line(input: &mut (impl AsyncBufRead + Unpin), max: usize) -> std::io::Result<Line> {
    let mut line = Vec::new();
    let mut too_long = false;
    loop {
        let chunk = input.fill_buf().await?;
        if chunk.is_empty() {
            // A last line without a newline is still a message.
            return Ok(match (too_long, line.is_empty()) {
                (true, _) => Line::TooLong,
                (false, true) => Line::End,
                (false, false) => Line::Message(line),
            });
        }
        let end = chunk.iter().position(|&b| b == b'\n');
        let part = &chunk[..end.unwrap_or(chunk.len())];
        if !too_long && line.len() + part.len() > max {
            too_long = true;
            line = Vec::new();
        }
        if !too_long {
            line.extend_from_slice(part);
        }
        let used = part.len() + usize::from(end.is_some());
        input.consume(used);
        if end.is_some() {
            return Ok(if too_long {
                Line::TooLong
            } else {
                Line::Message(line)
            });
        }
    }
}

struct Connection<S: Server> {
    dispatcher: &'static Dispatcher<S>,
    /// The session `initialize` created.
    session: OnceLock<String>,
    /// Set by a message found to be `initialize`: the read loop then waits for its end, since
    /// the lines behind it need its session.
    initializing: AtomicBool,
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
        let incoming = match super::parse(&line) {
            Ok(incoming) => incoming,
            Err(invalid) => {
                let error = jsonrpc::error_response(invalid.id.as_ref(), &invalid.error);
                return self.send(None, error);
            }
        };
        // Notifications and responses are never answered on stdio, not even with an error.
        let answers = matches!(incoming, Incoming::Request { .. });
        if matches!(&incoming, Incoming::Request { method, .. } if method == "initialize") {
            self.initializing.store(true, Ordering::Relaxed);
        }
        let request = Request {
            era: era_of(&incoming, None, false),
            message: Message::Rpc(incoming),
            session: self.session.get().map(String::as_str),
            caller: None,
            headers: None,
            pinned: true,
        };
        let status = |reply: &Reply| if reply.fault.is_some() { "error" } else { "ok" };
        let reply = super::trace::handle(self.dispatcher, request, |reply| reply, status).await;
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
            tokio::spawn(async move { conn.relay_session(stream).await });
        }
    }

    /// Relays the session's stream for as long as the session lives. A stream that did not
    /// keep up is closed by the server for its client to open again; here the connection is
    /// that client.
    async fn relay_session(&self, mut stream: Reply) {
        while stream.fault.is_none() {
            self.relay(stream).await;
            stream = self.open_stream().await;
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
