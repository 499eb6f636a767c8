//! `subscriptions/listen` (2026-07-28): long-lived streams that carry the change notifications
//! a client asked for, each tagged with the subscription's id.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::{Value, json};

use super::reply::{Failure, Frames, Outlet};
use super::{Change, changelog};
use crate::protocol::jsonrpc;
use crate::protocol::{ErrorObject, LoggingLevel, RequestId};
use crate::session::SessionId;

/// How many resources one listen stream may subscribe to.
pub(crate) const MAX_SUBSCRIPTIONS: usize = 1024;
/// How many bytes of URIs one listen stream may subscribe to.
pub(crate) const MAX_SUBSCRIPTION_BYTES: usize = 64 * 1024;

/// What a listener asks for (`params.notifications`).
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Filter {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tools_list_changed: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompts_list_changed: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resources_list_changed: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_subscriptions: Option<Vec<String>>,
}

impl Filter {
    /// A filter the server is willing to keep for as long as its stream is open.
    fn check_size(&self) -> Result<(), Failure> {
        let uris = self.resource_subscriptions.as_deref().unwrap_or_default();
        let too_big = |what: String| Err(Failure::bad_request(ErrorObject::invalid_params(what)));
        if uris.len() > MAX_SUBSCRIPTIONS {
            return too_big(format!(
                "`resourceSubscriptions` may name at most {MAX_SUBSCRIPTIONS} resources"
            ));
        }
        if uris.iter().map(String::len).sum::<usize>() > MAX_SUBSCRIPTION_BYTES {
            return too_big(format!(
                "`resourceSubscriptions` may hold at most {MAX_SUBSCRIPTION_BYTES} bytes of URIs"
            ));
        }
        Ok(())
    }

    fn wants(&self, change: &Change) -> bool {
        match change {
            Change::Tools => self.tools_list_changed == Some(true),
            Change::Prompts => self.prompts_list_changed == Some(true),
            Change::Resources => self.resources_list_changed == Some(true),
            Change::ResourceUpdated(uri) => self
                .resource_subscriptions
                .as_ref()
                .is_some_and(|s| s.contains(uri)),
        }
    }
}

struct Listener {
    /// Which `listen` opened it: request ids may repeat across clients.
    token: u64,
    id: RequestId,
    filter: Filter,
    /// Bounded: a client that stops reading is dropped, not buffered for.
    stream: Outlet,
}

/// The open listen streams.
#[derive(Default)]
pub(crate) struct Listeners {
    open: Mutex<Vec<Listener>>,
    next: AtomicU64,
}

impl std::fmt::Debug for Listeners {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Listeners").field(&self.len()).finish()
    }
}

/// Forgets a listener when dropped: held by the stream's `Frames`, which live exactly as long
/// as the client's stream, so that a closed stream frees its filter at once rather than at
/// the next notification that happens to be sent.
pub(crate) struct ListenGuard {
    listeners: &'static Listeners,
    token: u64,
}

impl std::fmt::Debug for ListenGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("ListenGuard").field(&self.token).finish()
    }
}

impl Drop for ListenGuard {
    fn drop(&mut self) {
        let mut open = self.listeners.open.lock().expect("listeners");
        if let Some(at) = open.iter().position(|l| l.token == self.token) {
            open.swap_remove(at);
        }
    }
}

fn subscription_meta(id: &RequestId) -> Value {
    json!({ "io.modelcontextprotocol/subscriptionId": id })
}

impl Listeners {
    /// Opens a stream for `filter`; its first message, sent at once, is the acknowledgement.
    /// The listener lives until the client leaves, or falls [`STREAM_BACKLOG`](super::reply::STREAM_BACKLOG) messages
    /// behind (then its stream ends after what it holds, and the client listens again).
    pub(crate) fn listen(&'static self, id: RequestId, filter: Filter) -> Frames {
        let ack = json!({ "notifications": filter, "_meta": subscription_meta(&id) });
        let (stream, frames) = Outlet::open();
        let _ = stream.send(jsonrpc::notification(
            "notifications/subscriptions/acknowledged",
            ack,
        ));
        let token = self.next.fetch_add(1, Ordering::Relaxed);
        let listener = Listener {
            token,
            id,
            filter,
            stream,
        };
        self.open.lock().expect("listeners").push(listener);
        frames.holding(ListenGuard {
            listeners: self,
            token,
        })
    }

    /// How many streams are open.
    pub(crate) fn len(&self) -> usize {
        self.open.lock().map(|l| l.len()).unwrap_or_default()
    }

    /// Sends a change to every stream that asked for it, forgetting closed ones.
    pub(crate) fn notify(&self, change: &Change) {
        self.open.lock().expect("listeners").retain(|l| {
            if l.stream.is_closed() {
                return false;
            }
            if l.filter.wants(change) {
                let mut params = match change {
                    Change::ResourceUpdated(uri) => json!({ "uri": uri }),
                    _ => json!({}),
                };
                params["_meta"] = subscription_meta(&l.id);
                let message = jsonrpc::notification(change.method(), params);
                if let Err(e) = l.stream.send(message) {
                    tracing::debug!(subscription = %l.id, "listen stream dropped: {e:?}");
                    return false;
                }
            }
            true
        });
    }
}

impl<S: super::Server> super::dispatch::Dispatcher<S> {
    /// `subscriptions/listen` (2026-07-28): a stream that stays open, acknowledged at once.
    pub(super) fn listen(
        &'static self,
        call: super::dispatch::Call<'_>,
        raw: Option<&serde_json::value::RawValue>,
    ) -> super::dispatch::Answer {
        #[derive(Deserialize)]
        struct ListenParams {
            #[serde(default)]
            notifications: Filter,
        }
        let params: ListenParams = super::params::parse_params(raw)?;
        params.notifications.check_size()?;
        let frames = self.listeners.listen(call.id.clone(), params.notifications);
        Ok(super::reply::Reply {
            body: super::reply::Body::Stream(frames),
            fault: None,
            version: Some(call.version),
            session: None,
        })
    }
}

/// A change reaches the `subscriptions/listen` streams that asked for it, and the stream of
/// every legacy session (resource updates: the sessions that subscribed).
impl<S: super::Server> super::Notifier for super::dispatch::Dispatcher<S> {
    /// Logs the change (see [`changelog`](super::changelog)). With a store other processes
    /// share, the store's log hands it, with its id, to every replica, this one included,
    /// which deliver it to their streams; otherwise it is delivered here at once.
    fn notify(&'static self, change: Change) {
        let encoded = changelog::encode(&change);
        let store = self.sessions.store;
        let logging = store.log_change(encoded, changelog::LOG_LENGTH, changelog::LOG_AGE);
        let Some(logging) = logging else {
            self.changes
                .push(&change, |id| self.deliver(&change, Some(id)));
            return;
        };
        tokio::spawn(async move {
            if let Err(e) = logging.await {
                tracing::warn!(
                    "a change was not logged, so only this replica's streams have it: {e}"
                );
                self.deliver(&change, None);
            }
        });
    }

    fn store(&'static self) -> &'static dyn crate::session::SessionStore {
        self.sessions.store
    }
}

/// This process, among those that share a store: its own announcements come back to it.
pub(crate) fn origin() -> u64 {
    static ORIGIN: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    *ORIGIN.get_or_init(|| {
        let mut bytes = [0u8; 8];
        getrandom::fill(&mut bytes).expect("the OS random source");
        u64::from_le_bytes(bytes)
    })
}

/// Session data another replica changed, or a message for a call another replica runs.
#[derive(Debug, PartialEq)]
enum SessionNote {
    Level(LoggingLevel),
    Subscribe(String),
    Unsubscribe(String),
    /// The client's response to a server-to-client request: `{"id", "result"|"error"}`.
    Answer(RequestId, Result<serde_json::Value, ErrorObject>),
    /// `notifications/cancelled` for a call of this id.
    Cancel(RequestId),
    /// The session's GET stream opened on another replica.
    StreamOpened,
}

/// A client's response as replicas hand it on.
#[derive(serde::Deserialize)]
struct HandedOn {
    id: RequestId,
    #[serde(default)]
    result: Option<serde_json::Value>,
    #[serde(default)]
    error: Option<ErrorObject>,
}

/// `ORIGIN level|subscribe|unsubscribe|answer|cancel SESSION LEVEL|URI|RESPONSE|ID`.
fn decode_session_note(message: &str) -> Option<(u64, SessionId, SessionNote)> {
    let mut words = message.splitn(4, ' ');
    let origin = words.next()?.parse().ok()?;
    let verb = words.next()?;
    let id = words.next()?.parse().ok()?;
    let rest = words.next()?.to_owned();
    let note = match verb {
        "level" => SessionNote::Level(serde_json::from_value(serde_json::Value::from(rest)).ok()?),
        "subscribe" => SessionNote::Subscribe(rest),
        "unsubscribe" => SessionNote::Unsubscribe(rest),
        "answer" => {
            let answer: HandedOn = serde_json::from_str(&rest).ok()?;
            let outcome = match (answer.result, answer.error) {
                (_, Some(error)) => Err(error),
                (result, None) => Ok(result.unwrap_or_default()),
            };
            SessionNote::Answer(answer.id, outcome)
        }
        "cancel" => SessionNote::Cancel(serde_json::from_str(&rest).ok()?),
        "stream" => SessionNote::StreamOpened,
        _ => return None,
    };
    Some((origin, id, note))
}

impl<S: super::Server> super::dispatch::Dispatcher<S> {
    /// A change any process logged in the shared log (this one's too): delivered here, with
    /// its id.
    pub(crate) fn logged(&self, id: &str, change: &str) {
        match (changelog::EventId::parse(id), changelog::decode(change)) {
            (Some(id), Some(change)) => self.deliver(&change, Some(id)),
            _ => tracing::debug!(id, change, "a logged change this runtime does not know"),
        }
    }

    /// What another replica announced about a session, a call or a task.
    pub(crate) fn changed_elsewhere(&self, message: &str) {
        // This process's own announcements come back to it: it acted on them already.
        let Some((from, rest)) = message.split_once(' ') else {
            tracing::debug!(message, "an announcement without its origin");
            return;
        };
        if from.parse() == Ok(origin()) || self.tasks.heard(rest) {
            return;
        }
        let Some((_, id, note)) = decode_session_note(message) else {
            tracing::debug!(message, "an announcement this runtime does not know");
            return;
        };
        // Answers and cancellations are for a call running here, whatever this process holds
        // of its session; session data only for a session held here.
        let session = || self.sessions.map.get(id);
        match note {
            SessionNote::Answer(request, outcome) => {
                self.pending.complete(id, request, outcome);
            }
            SessionNote::Cancel(request) => {
                self.inflight.cancel(id, request);
            }
            SessionNote::Level(level) => {
                if let Some(s) = session() {
                    s.set_log_level(level);
                }
            }
            SessionNote::Subscribe(uri) => {
                if let Some(s) = session() {
                    s.subscribe(&uri);
                }
            }
            SessionNote::Unsubscribe(uri) => {
                if let Some(s) = session() {
                    s.unsubscribe(&uri);
                }
            }
            // One stream per session: the newest, wherever it opened (a client that
            // reconnects leaves its broken one behind).
            SessionNote::StreamOpened => {
                if let Some(s) = session() {
                    s.close_stream();
                }
            }
        }
    }

    /// Tells the other replicas that a session's log level changed.
    pub(crate) fn announce_level(&self, id: SessionId, level: LoggingLevel) {
        let level = serde_json::to_value(level).expect("a level serializes");
        let level = level.as_str().unwrap_or_default();
        self.announce(format!("{} level {id} {level}", origin()));
    }

    /// Tells the other replicas that a session subscribed to `uri`, or unsubscribed.
    pub(crate) fn announce_subscription(&self, id: SessionId, subscribed: bool, uri: &str) {
        let verb = if subscribed {
            "subscribe"
        } else {
            "unsubscribe"
        };
        self.announce(format!("{} {verb} {id} {uri}", origin()));
    }

    /// Hands a client's response that nothing here waits for to the other replicas: the call
    /// that asked runs on one of them.
    pub(crate) fn announce_answer(
        &self,
        id: SessionId,
        request: &RequestId,
        outcome: Result<&RawValue, &RawValue>,
    ) {
        if !self.sessions.store.is_persistent() {
            tracing::debug!(session = %id, "a response nothing waits for");
            return;
        }
        let (field, value) = match outcome {
            Ok(result) => ("result", result.get()),
            Err(error) => ("error", error.get()),
        };
        let request = serde_json::to_string(request).expect("ids serialize");
        self.announce(format!(
            "{} answer {id} {{\"id\":{request},\"{field}\":{value}}}",
            origin()
        ));
    }

    /// Tells the other replicas that the session's GET stream is here now: they close theirs.
    pub(crate) fn announce_stream(&self, id: SessionId) {
        if self.sessions.store.is_persistent() {
            self.announce(format!("{} stream {id} opened", origin()));
        }
    }

    /// Hands a cancellation of a call this process does not run to the other replicas.
    pub(crate) fn announce_cancel(&self, id: SessionId, request: &RequestId) {
        if self.sessions.store.is_persistent() {
            let request = serde_json::to_string(request).expect("ids serialize");
            self.announce(format!("{} cancel {id} {request}", origin()));
        }
    }

    /// Publishes `message` to the other replicas, when the store has any.
    pub(super) fn announce(&self, message: String) {
        if let Some(publishing) = self.sessions.store.publish_change(message) {
            tokio::spawn(async move {
                if let Err(e) = publishing.await {
                    tracing::warn!("a change was not announced to the other replicas: {e}");
                }
            });
        }
    }

    /// Sends `change` to the listeners and legacy streams this process holds.
    fn deliver(&self, change: &Change, id: Option<changelog::EventId>) {
        let message = change_message(change);
        self.listeners.notify(change);
        self.sessions.map.for_each(|session| {
            if wants(session, change) {
                session.send_on_stream((id, message.clone()));
            }
        });
    }
}

/// The notification a legacy session's stream carries for `change`.
pub(super) fn change_message(change: &Change) -> Vec<u8> {
    match change {
        Change::ResourceUpdated(uri) => {
            jsonrpc::notification(change.method(), json!({ "uri": uri }))
        }
        _ => jsonrpc::notification(change.method(), json!({})),
    }
}

/// Whether a legacy session hears of `change`: every list change, and the updates of the
/// resources it subscribed to.
pub(super) fn wants<T>(session: &crate::session::SessionEntry<T>, change: &Change) -> bool {
    match change {
        Change::ResourceUpdated(uri) => session.is_subscribed(uri),
        _ => true,
    }
}

#[cfg(test)]
mod announcements {

    #[test]
    fn a_log_level_travels_with_its_session() {
        let id = crate::session::SessionId::random();
        let message = format!("7 level {id} warning");
        let level = super::SessionNote::Level(crate::protocol::LoggingLevel::Warning);
        assert_eq!(super::decode_session_note(&message), Some((7, id, level)));
        let message = format!("7 subscribe {id} file:///a b");
        let subscribed = super::SessionNote::Subscribe("file:///a b".into());
        assert_eq!(
            super::decode_session_note(&message),
            Some((7, id, subscribed))
        );
        let message =
            format!(r#"7 answer {id} {{"id":"mcp-server-1","result":{{"action":"accept"}}}}"#);
        let answer = super::SessionNote::Answer(
            crate::protocol::RequestId::String("mcp-server-1".into()),
            Ok(serde_json::json!({ "action": "accept" })),
        );
        assert_eq!(super::decode_session_note(&message), Some((7, id, answer)));
        let message = format!(r#"7 answer {id} {{"id":3,"error":{{"code":-1,"message":"no"}}}}"#);
        let Some((_, _, super::SessionNote::Answer(_, Err(e)))) =
            super::decode_session_note(&message)
        else {
            panic!("an error answer")
        };
        assert_eq!(e.message, "no");
        let cancel = super::SessionNote::Cancel(crate::protocol::RequestId::Number(4));
        let message = format!("7 cancel {id} 4");
        assert_eq!(super::decode_session_note(&message), Some((7, id, cancel)));
        let message = format!("7 stream {id} opened");
        let opened = super::SessionNote::StreamOpened;
        assert_eq!(super::decode_session_note(&message), Some((7, id, opened)));
        assert!(super::decode_session_note("7 level nope warning").is_none());
        assert!(super::decode_session_note("7 tools").is_none());
    }
}
