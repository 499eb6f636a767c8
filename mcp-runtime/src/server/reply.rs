//! The seam between transports and the server, reply side: what the server answers, fully
//! encoded, and a typed [`Fault`] from which a transport picks its status code.
//!
//! A call is answered with plain JSON unless it emits a message before its result; then the
//! reply becomes a stream of frames. That choice (the answer pumping) is made here, once.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;

use tokio::sync::mpsc;

use super::changelog::EventId;
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
    /// The caller lacks an OAuth scope the request needs (HTTP 403 with the scope challenge,
    /// from the error's `data.scope`).
    Forbidden,
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
    rx: Inbox,
    call: Option<BoxedCall>,
    done: Option<Vec<u8>>,
    open_ended: bool,
    /// A resumable stream's opening (a legacy GET stream); boxed, so that every other reply
    /// stays as small as it was.
    resume: Option<Box<Resume>>,
    /// Whatever must live exactly as long as the client's stream (see [`Frames::holding`]).
    _held: Option<Box<dyn Send>>,
}

/// How many messages a long-lived stream holds for a client that reads them slower than they
/// come; the stream is closed beyond it (see [`Outlet`]).
pub(crate) const STREAM_BACKLOG: usize = 1024;

/// How a resumable stream opens.
#[derive(Default)]
struct Resume {
    /// The id it is primed with, when nothing is replayed.
    prime: Option<EventId>,
    /// What its client missed, oldest first.
    replay: VecDeque<(EventId, Vec<u8>)>,
    /// Live messages up to this id were replayed already.
    replayed_through: Option<EventId>,
}

/// A message on a long-lived stream, with the id its client resumes after it from (a legacy
/// session's GET stream), or none.
pub(crate) type Event = (Option<EventId>, Vec<u8>);

/// The sending side of a long-lived stream (a session's GET stream, `subscriptions/listen`):
/// bounded, so that a client that stops reading costs at most [`STREAM_BACKLOG`] messages.
#[derive(Debug)]
pub(crate) struct Outlet(mpsc::Sender<Event>);

/// Why a message was not queued on a stream.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Overflow {
    /// The client does not keep up: drop the [`Outlet`], which ends the stream after what it
    /// holds, and the client reconnects.
    Full,
    /// The client went away.
    Closed,
}

impl Outlet {
    /// A stream, and where to send its messages.
    pub(crate) fn open() -> (Self, Frames) {
        let (tx, rx) = mpsc::channel(STREAM_BACKLOG);
        (Self(tx), Frames::relay(rx))
    }

    /// Queues a message without waiting.
    pub(crate) fn send(&self, message: Vec<u8>) -> Result<(), Overflow> {
        self.send_event((None, message))
    }

    /// Queues a message and its event id without waiting.
    pub(crate) fn send_event(&self, event: Event) -> Result<(), Overflow> {
        self.0.try_send(event).map_err(|e| match e {
            mpsc::error::TrySendError::Full(_) => Overflow::Full,
            mpsc::error::TrySendError::Closed(_) => Overflow::Closed,
        })
    }

    /// Whether the client went away.
    pub(crate) fn is_closed(&self) -> bool {
        self.0.is_closed()
    }
}

/// Where frames come from: a call's own messages, which end with the call, or a long-lived
/// stream's bounded queue.
pub(crate) enum Inbox {
    Call(mpsc::UnboundedReceiver<Vec<u8>>),
    Stream(mpsc::Receiver<Event>),
}

impl Inbox {
    async fn recv(&mut self) -> Option<Event> {
        match self {
            Self::Call(rx) => rx.recv().await.map(|m| (None, m)),
            Self::Stream(rx) => rx.recv().await,
        }
    }

    fn try_recv(&mut self) -> Option<Event> {
        match self {
            Self::Call(rx) => rx.try_recv().ok().map(|m| (None, m)),
            Self::Stream(rx) => rx.try_recv().ok(),
        }
    }
}

impl From<mpsc::UnboundedReceiver<Vec<u8>>> for Inbox {
    fn from(rx: mpsc::UnboundedReceiver<Vec<u8>>) -> Self {
        Self::Call(rx)
    }
}

impl From<mpsc::Receiver<Event>> for Inbox {
    fn from(rx: mpsc::Receiver<Event>) -> Self {
        Self::Stream(rx)
    }
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
            rx: Inbox::Call(rx),
            call,
            done,
            open_ended: false,
            resume: None,
            _held: None,
        }
    }

    /// Relays `rx` until every sender is gone (a session's stream, `subscriptions/listen`);
    /// [`Outlet::open`] makes a bounded one.
    pub(crate) fn relay(rx: impl Into<Inbox>) -> Self {
        Self {
            first: None,
            rx: rx.into(),
            call: None,
            done: None,
            open_ended: true,
            resume: None,
            _held: None,
        }
    }

    /// Makes the stream resumable: it opens with an event of id `prime` and no data (so that
    /// the client has an id to reconnect with before anything happens), then what the client
    /// missed, oldest first; live messages the replay carried already are left out.
    pub(crate) fn resuming(
        mut self,
        prime: Option<EventId>,
        replay: impl IntoIterator<Item = (EventId, Vec<u8>)>,
    ) -> Self {
        let replay: VecDeque<_> = replay.into_iter().collect();
        self.resume = Some(Box::new(Resume {
            prime: if replay.is_empty() { prime } else { None },
            replayed_through: replay.back().map(|(id, _)| *id).or(prime),
            replay,
        }));
        self
    }

    /// Keeps `guard` until the stream is dropped, which is when its client goes away: a
    /// stream's registration (a `subscriptions/listen` filter) is freed then, with no task
    /// watching for it and no sender kept alive that would hold a full stream open.
    pub(crate) fn holding(mut self, guard: impl Send + 'static) -> Self {
        self._held = Some(Box::new(guard));
        self
    }

    /// Whether the stream stays open with nothing to send (so keep-alives are due).
    pub(crate) fn is_open_ended(&self) -> bool {
        self.open_ended
    }

    /// The next message; `None` at the end. Cancel-safe: a frame is taken only when returned.
    /// Event ids, and the priming event that carries nothing else, are for HTTP clients that
    /// resume streams: [`next_event`](Self::next_event) has them.
    pub(crate) async fn next(&mut self) -> Option<Vec<u8>> {
        loop {
            let (_, message) = self.next_event().await?;
            if !message.is_empty() {
                return Some(message);
            }
        }
    }

    /// The next frame with its event id; `None` at the end. A priming event has an id and an
    /// empty message. Cancel-safe, as [`next`](Self::next).
    pub(crate) async fn next_event(&mut self) -> Option<Event> {
        let Some(resume) = self.resume.as_mut() else {
            return self.next_live().await;
        };
        if let Some(id) = resume.prime.take() {
            return Some((Some(id), Vec::new()));
        }
        if let Some((id, message)) = resume.replay.pop_front() {
            return Some((Some(id), message));
        }
        let through = resume.replayed_through;
        loop {
            let (id, message) = self.next_live().await?;
            let replayed = id.zip(through).is_some_and(|(id, r)| id <= r);
            if !replayed {
                return Some((id, message));
            }
        }
    }

    async fn next_live(&mut self) -> Option<Event> {
        if let Some(first) = self.first.take() {
            return Some((None, first));
        }
        if self.open_ended {
            return self.rx.recv().await;
        }
        if let Some(call) = self.call.as_mut() {
            tokio::select! {
                biased;
                Some(event) = self.rx.recv() => return Some(event),
                done = call => {
                    self.done = Some(done);
                    self.call = None;
                }
            }
        }
        if let Some(event) = self.rx.try_recv() {
            return Some(event);
        }
        self.done.take().map(|done| (None, done))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::Era;
    use crate::server::Notifier;
    use crate::server::changelog::EventId;
    use crate::server::dispatch::Dispatcher;
    use crate::server::request::{Message, Request};
    use crate::test_support::{Demo, Via, dispatcher, initialize, memory_store, send};
    use crate::{Change, Server};

    const IDLE: std::time::Duration = std::time::Duration::from_secs(60);

    #[test]
    fn an_outlet_holds_at_most_the_backlog() {
        let (outlet, frames) = Outlet::open();
        for n in 0..STREAM_BACKLOG {
            assert_eq!(outlet.send(vec![0]), Ok(()), "message {n}");
        }
        assert_eq!(outlet.send(vec![0]), Err(Overflow::Full));
        drop(frames);
        assert!(outlet.is_closed());
        assert_eq!(outlet.send(vec![0]), Err(Overflow::Closed));
    }

    #[tokio::test]
    async fn what_a_stream_holds_lives_until_its_client_leaves() {
        struct Guard(std::sync::Arc<std::sync::atomic::AtomicBool>);
        impl Drop for Guard {
            fn drop(&mut self) {
                self.0.store(true, std::sync::atomic::Ordering::Relaxed);
            }
        }
        let freed = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (outlet, frames) = Outlet::open();
        let mut frames = frames.holding(Guard(freed.clone()));
        outlet.send(b"one".to_vec()).unwrap();
        assert_eq!(frames.next().await.as_deref(), Some(&b"one"[..]));
        assert!(!freed.load(std::sync::atomic::Ordering::Relaxed));
        drop(frames);
        assert!(freed.load(std::sync::atomic::Ordering::Relaxed));
        assert!(outlet.is_closed());
    }

    async fn open_stream<S: Server>(d: &'static Dispatcher<S>, session: &str) -> Reply {
        open_stream_after(d, session, None).await
    }

    /// A GET stream with `Last-Event-ID: last` when given.
    async fn open_stream_after<S: Server>(
        d: &'static Dispatcher<S>,
        session: &str,
        last: Option<&str>,
    ) -> Reply {
        let h = crate::test_support::headers(&[("last-event-id", last.unwrap_or_default())]);
        let view = crate::server::request::HeaderView {
            protocol_version: None,
            method: None,
            name: None,
            all: &h,
        };
        let request = Request {
            message: Message::OpenStream,
            era: Era::Legacy,
            session: Some(session),
            caller: None,
            headers: last.map(|_| view),
            pinned: false,
        };
        d.handle(request).await
    }

    /// The next event's id and method (an empty method for a priming event).
    async fn event(frames: &mut Frames) -> (EventId, String) {
        let (id, message) = frames.next_event().await.expect("an event");
        let method = match message.is_empty() {
            true => String::new(),
            false => serde_json::from_slice::<serde_json::Value>(&message).unwrap()["method"]
                .as_str()
                .unwrap()
                .to_owned(),
        };
        (id.expect("an event id"), method)
    }

    #[tokio::test]
    async fn a_stream_resumes_after_the_last_event_its_client_saw() {
        let d = dispatcher(Demo, memory_store(IDLE), IDLE);
        let init = send(d, Via::default(), &initialize(1, "2025-11-25")).await;
        let session = init.session.expect("a session").to_string();
        let Body::Stream(mut first) = open_stream(d, &session).await.body else {
            panic!("a stream");
        };
        let (primed, nothing) = event(&mut first).await;
        assert_eq!(nothing, "", "a stream opens with a priming event");
        d.notify(Change::Tools);
        let (seen, method) = event(&mut first).await;
        assert_eq!(method, "notifications/tools/list_changed");
        assert!(seen > primed);
        // The connection breaks; changes go on.
        drop(first);
        d.notify(Change::Prompts);
        d.notify(Change::Resources);
        let seen = seen.to_string();
        let Body::Stream(mut resumed) = open_stream_after(d, &session, Some(&seen)).await.body
        else {
            panic!("a stream");
        };
        let (a, method) = event(&mut resumed).await;
        assert_eq!(method, "notifications/prompts/list_changed");
        let (b, method) = event(&mut resumed).await;
        assert_eq!(method, "notifications/resources/list_changed");
        d.notify(Change::Tools);
        let (c, method) = event(&mut resumed).await;
        assert_eq!(method, "notifications/tools/list_changed", "then live");
        assert!(a < b && b < c);
        drop(resumed);
        // A client that saw only the priming event missed all four.
        let primed = primed.to_string();
        let Body::Stream(mut all) = open_stream_after(d, &session, Some(&primed)).await.body else {
            panic!("a stream");
        };
        for _ in 0..4 {
            event(&mut all).await;
        }
        drop(all);
        let bad = open_stream_after(d, &session, Some("yesterday")).await;
        assert_eq!(bad.fault, Some(Fault::Invalid));
    }

    #[tokio::test]
    async fn a_session_stream_that_does_not_keep_up_is_closed_not_grown() {
        let d = dispatcher(Demo, memory_store(IDLE), IDLE);
        let init = send(d, Via::default(), &initialize(1, "2025-11-25")).await;
        let session = init.session.expect("a session").to_string();
        let Body::Stream(mut unread) = open_stream(d, &session).await.body else {
            panic!("a stream");
        };
        for _ in 0..STREAM_BACKLOG * 3 {
            d.notify(Change::Tools);
        }
        // What was queued arrives, then the stream ends: the client reconnects.
        let mut received = 0;
        while unread.next().await.is_some() {
            received += 1;
        }
        assert_eq!(received, STREAM_BACKLOG);
        let again = open_stream(d, &session).await;
        assert_eq!(again.fault, None, "the slot is free for a new GET");
        let Body::Stream(mut fresh) = again.body else {
            panic!("a stream");
        };
        d.notify(Change::Tools);
        let note = fresh
            .next()
            .await
            .expect("a notification on the new stream");
        let note: serde_json::Value = serde_json::from_slice(&note).unwrap();
        assert_eq!(note["method"], "notifications/tools/list_changed");
    }
}
