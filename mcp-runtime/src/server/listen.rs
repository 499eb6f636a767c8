//! `subscriptions/listen` (2026-07-28): long-lived streams that carry the change notifications
//! a client asked for, each tagged with the subscription's id.

use std::sync::Mutex;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{Change, Emitter};
use crate::protocol::RequestId;
use crate::protocol::jsonrpc;

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
    id: RequestId,
    filter: Filter,
    stream: Emitter,
}

/// The open listen streams.
#[derive(Default)]
pub(crate) struct Listeners(Mutex<Vec<Listener>>);

impl std::fmt::Debug for Listeners {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Listeners")
            .field(&self.0.lock().map(|l| l.len()).unwrap_or_default())
            .finish()
    }
}

fn subscription_meta(id: &RequestId) -> Value {
    json!({ "io.modelcontextprotocol/subscriptionId": id })
}

impl Listeners {
    /// Opens a stream for `filter`; its first message, sent at once, is the acknowledgement.
    pub(crate) fn listen(&self, id: RequestId, filter: Filter, stream: Emitter) {
        let ack = json!({ "notifications": filter, "_meta": subscription_meta(&id) });
        if stream
            .send(jsonrpc::notification(
                "notifications/subscriptions/acknowledged",
                ack,
            ))
            .is_ok()
        {
            self.0
                .lock()
                .expect("listeners")
                .push(Listener { id, filter, stream });
        }
    }

    /// Sends a change to every stream that asked for it, forgetting closed ones.
    pub(crate) fn notify(&self, change: &Change) {
        self.0.lock().expect("listeners").retain(|l| {
            if l.stream.is_closed() {
                return false;
            }
            if l.filter.wants(change) {
                let mut params = match change {
                    Change::ResourceUpdated(uri) => json!({ "uri": uri }),
                    _ => json!({}),
                };
                params["_meta"] = subscription_meta(&l.id);
                let _ = l
                    .stream
                    .send(jsonrpc::notification(change.method(), params));
            }
            true
        });
    }
}

impl<S: super::Server> super::dispatch::Dispatcher<S> {
    /// `subscriptions/listen` (2026-07-28): a stream that stays open, acknowledged at once.
    pub(super) fn listen(
        &self,
        call: super::dispatch::Call<'_>,
        raw: Option<&serde_json::value::RawValue>,
    ) -> super::dispatch::Answer {
        #[derive(Deserialize)]
        struct ListenParams {
            #[serde(default)]
            notifications: Filter,
        }
        let params: ListenParams = super::params::parse_params(raw)?;
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        self.listeners
            .listen(call.id.clone(), params.notifications, tx);
        Ok(super::reply::Reply {
            body: super::reply::Body::Stream(super::reply::Frames::relay(rx)),
            fault: None,
            version: Some(call.version),
            session: None,
        })
    }
}

/// A change reaches the `subscriptions/listen` streams that asked for it, and the stream of
/// every legacy session (resource updates: the sessions that subscribed).
impl<S: super::Server> super::Notifier for super::dispatch::Dispatcher<S> {
    fn notify(&self, change: Change) {
        let message = match &change {
            Change::ResourceUpdated(uri) => {
                jsonrpc::notification(change.method(), json!({ "uri": uri }))
            }
            _ => jsonrpc::notification(change.method(), json!({})),
        };
        self.listeners.notify(&change);
        self.sessions.map.for_each(|session| {
            let wanted = match &change {
                Change::ResourceUpdated(uri) => session.is_subscribed(uri),
                _ => true,
            };
            if wanted {
                session.send_on_stream(message.clone());
            }
        });
    }
}
