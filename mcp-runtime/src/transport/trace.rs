//! One span per request, at `debug` under the target `mcp_runtime::request`: its era, method,
//! tool, session and principal, and an event when it is answered with the status and latency.
//! `RUST_LOG=mcp_runtime::request=debug` shows one line per request; a subscriber that keeps
//! spans (OpenTelemetry, JSON lines) gets the fields on every event the handler logs.
//!
//! With the span off (the default levels) nothing here costs more than the level check.

use std::fmt::Display;
use std::time::Instant;

use serde::Deserialize;
use tracing::field::Empty;
use tracing::{Instrument, Span};

use crate::protocol::Era;
use crate::protocol::jsonrpc::Incoming;
use crate::server::Server;
use crate::server::dispatch::Dispatcher;
use crate::server::reply::Reply;
use crate::server::request::{Message, Request};
use crate::session::SessionId;

/// A request's span and when it started; nothing when the span is off.
struct Traced {
    span: Span,
    start: Option<Instant>,
}

impl Traced {
    /// The span of `request`, with what it says about itself recorded.
    fn start(request: &Request<'_>) -> Self {
        let span = tracing::debug_span!(
            target: "mcp_runtime::request",
            "request",
            era = Empty,
            method = Empty,
            tool = Empty,
            session = Empty,
            principal = Empty,
        );
        if span.is_disabled() {
            return Self { span, start: None };
        }
        span.record(
            "era",
            match request.era {
                Era::Legacy => "legacy",
                Era::Modern => "2026-07-28",
            },
        );
        let method = match &request.message {
            Message::Rpc(Incoming::Request { method, params, .. }) => {
                if method == "tools/call"
                    && let Some(tool) = params.and_then(|p| tool_name(p.get()))
                {
                    span.record("tool", tool.as_str());
                }
                method
            }
            Message::Rpc(Incoming::Notification { method, .. }) => method,
            Message::Rpc(Incoming::Response { .. }) => "(a response)",
            Message::OpenStream => "(open the session's stream)",
            Message::EndSession => "(end the session)",
        };
        span.record("method", method);
        if let Some(session) = request.session {
            span.record("session", short(session));
        }
        if let Some(caller) = request.caller {
            span.record("principal", caller.as_str());
        }
        Self {
            span,
            start: Some(Instant::now()),
        }
    }

    /// Records the answer: its status (an HTTP status, or `ok`/`error` on stdio), the session
    /// it created if any, and the time since [`start`](Self::start).
    fn finish(self, status: impl Display, created: Option<SessionId>) {
        let Some(start) = self.start else { return };
        if let Some(created) = created {
            self.span.record("session", short(&created.to_string()));
        }
        let latency_us = u64::try_from(start.elapsed().as_micros()).unwrap_or(u64::MAX);
        let _entered = self.span.enter();
        tracing::debug!(target: "mcp_runtime::request", %status, latency_us, "answered");
    }
}

/// Hands `request` to `dispatcher` within the request's span, turns the reply into the
/// transport's answer with `answer`, and records the answer's `status`.
pub(crate) async fn handle<S: Server, R, D: Display>(
    dispatcher: &'static Dispatcher<S>,
    request: Request<'_>,
    answer: impl FnOnce(Reply) -> R,
    status: impl FnOnce(&R) -> D,
) -> R {
    let traced = Traced::start(&request);
    // Not instrumented when the span is off: wrapping the dispatcher's future would move it
    // once more on every request.
    let reply = match traced.start {
        None => dispatcher.handle(request).await,
        Some(_) => {
            let span = traced.span.clone();
            dispatcher.handle(request).instrument(span).await
        }
    };
    if traced.start.is_none() {
        return answer(reply);
    }
    let created = reply.session;
    let answered = answer(reply);
    traced.finish(status(&answered), created);
    answered
}

/// Enough of a session id to tell sessions apart in a log, and not enough to take one over.
fn short(session: &str) -> String {
    let end = session
        .char_indices()
        .nth(8)
        .map_or(session.len(), |(i, _)| i);
    format!("{}…", &session[..end])
}

fn tool_name(params: &str) -> Option<String> {
    #[derive(Deserialize)]
    struct Named {
        name: String,
    }
    serde_json::from_str::<Named>(params).ok().map(|n| n.name)
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_session_id_is_shortened() {
        assert_eq!(super::short("0123456789abcdef"), "01234567…");
        assert_eq!(super::short("abc"), "abc…");
        assert_eq!(
            super::tool_name(r#"{"name":"add","arguments":{}}"#).unwrap(),
            "add"
        );
    }
}
