//! The seam between transports and the server, reply side: what the server answers, fully
//! encoded, and a typed [`Fault`] from which a transport picks its status code.
//!
//! A call is answered with plain JSON unless it emits a message before its result; then the
//! reply becomes a stream of frames. That choice (the answer pumping) is made here, once.

use std::future::Future;
use std::pin::Pin;

use tokio::sync::mpsc;

use crate::protocol::jsonrpc::{self, RequestId};
use crate::protocol::{ErrorObject, ProtocolVersion};
use crate::session::SessionId;

/// What the server answers to one [`Request`](super::request::Request).
#[derive(Debug)]
pub(crate) struct Reply {
    pub body: Body,
    /// Why the message failed, when it failed in a way the transport reports (HTTP status).
    pub fault: Option<Fault>,
    /// The revision the reply is sent under, when one is known (for the wire log).
    pub version: Option<ProtocolVersion>,
    /// The session this message created (`initialize`), to announce to the client.
    pub session: Option<SessionId>,
}

/// A reply's content.
#[derive(Debug)]
pub(crate) enum Body {
    /// One JSON-RPC message.
    Json(Vec<u8>),
    /// Messages, one after another (SSE on HTTP, lines on stdio).
    Stream(Frames),
    /// Nothing to answer: a notification or a response was taken (HTTP 202).
    Empty,
}

/// Why a message failed, in the terms a transport maps to its own status codes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Fault {
    /// Malformed, or failing the revision's checks (HTTP 400).
    Invalid,
    /// A legacy message that names no session (HTTP 400).
    NoSession,
    /// The session named does not exist here, or not for this caller (HTTP 404).
    UnknownSession,
    /// A 2026-07-28 method this server does not have (HTTP 404).
    UnknownMethod,
    /// The session already has its stream of server-initiated messages open (HTTP 409).
    StreamTaken,
    /// The server is full, or its session store is unreachable (HTTP 503).
    Unavailable,
}

/// A JSON-RPC error, and the fault it is reported with (`None`: an ordinary error answer).
#[derive(Debug)]
pub(crate) struct Failure {
    pub error: ErrorObject,
    pub fault: Option<Fault>,
}

impl Failure {
    /// An error answered like a result: the request was understood and failed.
    pub(crate) fn ok(error: ErrorObject) -> Self {
        Self { error, fault: None }
    }

    /// A request the server will not serve as sent.
    pub(crate) fn bad_request(error: ErrorObject) -> Self {
        Self::new(Fault::Invalid, error)
    }

    pub(crate) fn new(fault: Fault, error: ErrorObject) -> Self {
        Self {
            error,
            fault: Some(fault),
        }
    }

    /// The error response to `id` (`null` when the request's id is unknown).
    pub(crate) fn into_reply(
        self,
        id: Option<&RequestId>,
        version: Option<ProtocolVersion>,
    ) -> Reply {
        Reply {
            body: Body::Json(jsonrpc::error_response(id, &self.error)),
            fault: self.fault,
            version,
            session: None,
        }
    }
}

impl Reply {
    /// A JSON reply without fault.
    pub(crate) fn json(body: Vec<u8>, version: Option<ProtocolVersion>) -> Self {
        Self {
            body: Body::Json(body),
            fault: None,
            version,
            session: None,
        }
    }

    /// A notification or response that was taken.
    pub(crate) fn accepted() -> Self {
        Self {
            body: Body::Empty,
            fault: None,
            version: None,
            session: None,
        }
    }
}

/// An encoded response, and the fault it carries when sent as plain JSON.
pub(crate) type Encoded = (Option<Fault>, Vec<u8>);

/// Runs a call that may emit messages on `rx` before its result: plain JSON when it finishes
/// first (or cannot emit at all), a stream of frames otherwise. The call then runs inside the
/// stream, so a client that goes away cancels it.
pub(crate) async fn pump(
    call: impl Future<Output = Encoded> + Send + 'static,
    rx: Option<mpsc::UnboundedReceiver<Vec<u8>>>,
) -> (Body, Option<Fault>) {
    let Some(mut rx) = rx else {
        let (fault, body) = call.await;
        return (Body::Json(body), fault);
    };
    let mut call = Box::pin(call);
    let first = tokio::select! {
        biased;
        (fault, body) = &mut call => {
            let Ok(first) = rx.try_recv() else {
                return (Body::Json(body), fault);
            };
            return (Body::Stream(Frames::new(first, rx, None, Some(body))), None);
        }
        Some(first) = rx.recv() => first,
    };
    let call: BoxedCall = Box::pin(async move { call.await.1 });
    (Body::Stream(Frames::new(first, rx, Some(call), None)), None)
}

type BoxedCall = Pin<Box<dyn Future<Output = Vec<u8>> + Send>>;

/// Encoded messages one after another: what a call emits and then its response, or what a
/// long-lived stream relays until it closes.
pub(crate) struct Frames {
    first: Option<Vec<u8>>,
    rx: mpsc::UnboundedReceiver<Vec<u8>>,
    call: Option<BoxedCall>,
    done: Option<Vec<u8>>,
    open_ended: bool,
}

impl std::fmt::Debug for Frames {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Frames")
            .field("running", &self.call.is_some())
            .field("open_ended", &self.open_ended)
            .finish_non_exhaustive()
    }
}

impl Frames {
    fn new(
        first: Vec<u8>,
        rx: mpsc::UnboundedReceiver<Vec<u8>>,
        call: Option<BoxedCall>,
        done: Option<Vec<u8>>,
    ) -> Self {
        Self {
            first: Some(first),
            rx,
            call,
            done,
            open_ended: false,
        }
    }

    /// Relays `rx` until every sender is gone (a session's stream, `subscriptions/listen`).
    pub(crate) fn relay(rx: mpsc::UnboundedReceiver<Vec<u8>>) -> Self {
        Self {
            first: None,
            rx,
            call: None,
            done: None,
            open_ended: true,
        }
    }

    /// Whether the stream stays open with nothing to send (so keep-alives are due).
    pub(crate) fn is_open_ended(&self) -> bool {
        self.open_ended
    }

    /// The next frame; `None` at the end. Cancel-safe: a frame is taken only when returned.
    pub(crate) async fn next(&mut self) -> Option<Vec<u8>> {
        if let Some(first) = self.first.take() {
            return Some(first);
        }
        if self.open_ended {
            return self.rx.recv().await;
        }
        if let Some(call) = self.call.as_mut() {
            tokio::select! {
                biased;
                Some(message) = self.rx.recv() => return Some(message),
                done = call => {
                    self.done = Some(done);
                    self.call = None;
                }
            }
        }
        if let Ok(message) = self.rx.try_recv() {
            return Some(message);
        }
        self.done.take()
    }
}
