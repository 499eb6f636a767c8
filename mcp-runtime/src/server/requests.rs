//! Requests from the server to the client (sampling, elicitation, roots) in the legacy era:
//! sent on the call's stream, answered by a POST (HTTP) or a line (stdio) that the transport
//! routes back here by id.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::Value;
use tokio::sync::oneshot;

use crate::protocol::{ErrorObject, RequestId};
use crate::session::SessionId;

type Outcome = Result<Value, ErrorObject>;

/// Server-to-client requests awaiting their responses, keyed by session and request id.
#[derive(Debug, Default)]
pub(crate) struct Pending {
    next: AtomicU64,
    waiting: Mutex<HashMap<(SessionId, RequestId), oneshot::Sender<Outcome>>>,
}

impl Pending {
    /// A fresh id, and the receiver its response will arrive on.
    pub(crate) fn register(&self, session: SessionId) -> (RequestId, oneshot::Receiver<Outcome>) {
        // Unique among the replicas sharing a store: a response may land on any of them, and
        // each hands on what it does not wait for itself.
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        let id = RequestId::String(format!("mcp-server-{:x}-{n}", super::listen::origin()).into());
        let (tx, rx) = oneshot::channel();
        self.waiting
            .lock()
            .expect("pending requests")
            .insert((session, id.clone()), tx);
        (id, rx)
    }

    /// Forgets a request whose caller gave up.
    pub(crate) fn forget(&self, session: SessionId, id: &RequestId) {
        self.waiting
            .lock()
            .expect("pending requests")
            .remove(&(session, id.clone()));
    }

    /// Delivers a client's response; `false` when nothing waits for it.
    pub(crate) fn complete(&self, session: SessionId, id: RequestId, outcome: Outcome) -> bool {
        let waiter = self
            .waiting
            .lock()
            .expect("pending requests")
            .remove(&(session, id));
        waiter.is_some_and(|tx| tx.send(outcome).is_ok())
    }
}

/// What a handler needs to ask the client something in the legacy era.
pub(crate) struct Asker {
    pub pending: &'static Pending,
    pub session: SessionId,
    pub capabilities: super::capabilities::Declared,
}

/// Why a request to the client failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RequestError {
    /// The client did not declare the capability the request needs.
    #[error("the client does not support `{0}`")]
    Unsupported(&'static str),
    /// This call cannot reach the client (no session, or no stream to send on).
    #[error("this call cannot send requests to the client")]
    Unreachable,
    /// The client answered with an error.
    #[error("the client answered with an error: {}", .0.message)]
    Rejected(ErrorObject),
    /// The client went away before answering.
    #[error("the client went away before answering")]
    Closed,
    /// The answer did not have the expected shape.
    #[error("the client's answer is malformed: {0}")]
    Malformed(String),
}

/// Legacy requests in flight, so that `notifications/cancelled` can stop them.
#[derive(Debug, Default)]
pub(crate) struct Inflight(Mutex<HashMap<(SessionId, RequestId), oneshot::Sender<()>>>);

/// A legacy call's cancellation. Registered only once the call first waits, so a call that
/// finishes at once costs no bookkeeping; unregistered when the call ends, however it ends.
/// Registering is also where a second call under an id still in flight on the session is
/// found: a call that finishes at once never overlaps another, so it needs no check.
pub(crate) struct Cancel {
    inflight: &'static Inflight,
    key: (SessionId, RequestId),
    state: Registration,
}

enum Registration {
    Unregistered,
    Registered(oneshot::Receiver<()>),
    /// Cancelled, or the signal is gone: nothing more to wait for, nothing to unregister.
    Settled,
    /// Another call of the session holds the id.
    Duplicate,
}

/// What a waiting call learns from its cancellation.
pub(super) enum Signal {
    Running,
    Cancelled,
    DuplicateId,
}

impl Cancel {
    pub(super) fn new(inflight: &'static Inflight, session: SessionId, id: RequestId) -> Self {
        Self {
            inflight,
            key: (session, id),
            state: Registration::Unregistered,
        }
    }

    /// Whether the client cancelled the call, or its id is taken; call it when it is pending.
    pub(super) fn poll(&mut self, cx: &mut std::task::Context<'_>) -> Signal {
        if let Registration::Unregistered = self.state {
            self.state = self.register();
        }
        let Registration::Registered(signal) = &mut self.state else {
            return match self.state {
                Registration::Duplicate => Signal::DuplicateId,
                _ => Signal::Running,
            };
        };
        // A receiver must not be polled again once it has answered.
        match std::pin::Pin::new(signal).poll(cx) {
            std::task::Poll::Ready(Ok(())) => {
                self.state = Registration::Settled;
                Signal::Cancelled
            }
            std::task::Poll::Ready(Err(_)) => {
                self.state = Registration::Settled;
                Signal::Running
            }
            std::task::Poll::Pending => Signal::Running,
        }
    }

    fn register(&self) -> Registration {
        let mut inflight = self.inflight.0.lock().expect("inflight requests");
        match inflight.entry(self.key.clone()) {
            std::collections::hash_map::Entry::Occupied(_) => Registration::Duplicate,
            std::collections::hash_map::Entry::Vacant(slot) => {
                let (tx, rx) = oneshot::channel();
                slot.insert(tx);
                Registration::Registered(rx)
            }
        }
    }
}

impl Drop for Cancel {
    fn drop(&mut self) {
        // A cancelled call's entry is already gone, and its id may be reused by now.
        if let Registration::Registered(signal) = &mut self.state
            && matches!(signal.try_recv(), Err(oneshot::error::TryRecvError::Empty))
        {
            self.inflight
                .0
                .lock()
                .expect("inflight requests")
                .remove(&self.key);
        }
    }
}

impl Inflight {
    /// Cancels a request (`notifications/cancelled`); `false` when this process runs no
    /// request of that id (unknown ids are ignored, as the spec asks).
    pub(crate) fn cancel(&self, session: SessionId, id: RequestId) -> bool {
        let signal = self
            .0
            .lock()
            .expect("inflight requests")
            .remove(&(session, id));
        signal.is_some_and(|tx| tx.send(()).is_ok())
    }
}
