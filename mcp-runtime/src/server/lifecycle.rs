//! The legacy session's life: `initialize`, `notifications/initialized`, `logging/setLevel`,
//! cancellation, the client's responses to server requests, the session's own stream (HTTP
//! GET) and its end (HTTP DELETE).

use serde::Deserialize;
use serde_json::value::RawValue;

use crate::session::Session;

use super::Server;
use super::changelog::{EventId, LOG_LENGTH, Missed};
use super::dispatch::{Answer, Call, Dispatcher, all_headers, rejected, respond};
use super::listen::{change_message, wants};
use super::panics::guarded;
use super::params::parse_params;
use super::reply::{Body, Failure, Fault, Outlet, Reply};
use super::request::Request;
use crate::protocol::{
    Era, ErrorObject, InitializeParams, ProtocolVersion, RequestId, SetLevelParams,
};
use crate::session::StoreError;
use crate::session::resolve::Entry;
use crate::session::resolve::Rejection;
use crate::session::{InitializeRecord, NewSession};

/// The `Last-Event-ID` a client resumes a stream from, if it sent one.
fn last_event_id(req: &Request<'_>) -> Result<Option<EventId>, Failure> {
    let Some(value) = req.headers.and_then(|h| h.all.value("last-event-id")) else {
        return Ok(None);
    };
    let id = value.ok().and_then(EventId::parse).ok_or_else(|| {
        Failure::bad_request(ErrorObject::invalid_request(
            "the `Last-Event-ID` header is not an event id of this server's streams",
        ))
    })?;
    Ok(Some(id))
}

impl<S: Server> Dispatcher<S> {
    /// Legacy `initialize`: negotiates the revision and creates the session.
    pub(super) async fn initialize(
        &'static self,
        req: &Request<'_>,
        id: &RequestId,
        raw: Option<&RawValue>,
    ) -> Answer {
        if req.pinned && req.session.is_some() {
            return Err(Failure::ok(ErrorObject::invalid_request(
                "the session is already initialized",
            )));
        }
        let params: InitializeParams = parse_params(raw)?;
        // Offer the newest legacy revision when the client asks for one we do not speak.
        let version = ProtocolVersion::parse(&params.protocol_version)
            .filter(|v| v.era() == Era::Legacy)
            .unwrap_or(ProtocolVersion::LATEST_LEGACY);
        let new = NewSession {
            initialize: InitializeRecord {
                protocol_version: version,
                client_info: Some(params.client_info),
                capabilities: params.capabilities,
            },
            principal: req.caller.cloned(),
            headers: all_headers(req),
        };
        // The `#[on_initialize]` handler runs first in `create`, before anything is recorded.
        let create = self.sessions.create(&self.server, new, req.pinned);
        let session = guarded("`initialize` handler", "on_initialize", create)
            .await
            .map_err(Failure::ok)?
            .map_err(|r| rejected(r, req.headers.is_none()))?;
        let body = respond(id, |buf| {
            buf.extend_from_slice(self.catalog.initialize(version))
        });
        Ok(Reply {
            session: Some(session.id()),
            ..Reply::json(body, Some(version))
        })
    }

    /// Legacy `logging/setLevel`: the least severe level the session's log messages carry.
    pub(super) async fn set_level(
        &'static self,
        session: &Entry<S>,
        call: Call<'_>,
        raw: Option<&RawValue>,
    ) -> Answer {
        let params: SetLevelParams = parse_params(raw)?;
        session.set_log_level(params.level);
        // Session data every replica shares: the replicas holding the session hear of it at
        // once, and the stored record carries it to any that loads the session later.
        self.announce_level(session.id(), params.level);
        self.store_session_data(session).await;
        Ok(call.empty())
    }

    /// Writes a session's record (its log level, its subscriptions) to a shared store, with
    /// the state as it is, so that a replica that loads the session later has them.
    pub(super) async fn store_session_data(&'static self, session: &Entry<S>) {
        let store = self.sessions.store;
        if store.is_persistent()
            && let Err(e) = Session::live(session.clone(), store).update(|_| ()).await
        {
            tracing::warn!(session = %session.id(), "session data not stored: {e}");
        }
    }

    /// A legacy notification on a session.
    pub(super) fn legacy_notification(
        &self,
        session: &Entry<S>,
        method: &str,
        raw: Option<&RawValue>,
    ) {
        // `notifications/initialized` changes nothing: a request that races ahead of it is
        // served all the same. Unknown notifications are ignored, as JSON-RPC asks.
        #[derive(Deserialize)]
        struct Cancelled {
            #[serde(rename = "requestId")]
            request_id: RequestId,
        }
        if method == "notifications/cancelled"
            && let Ok(cancelled) = parse_params::<Cancelled>(raw)
        {
            let id = cancelled.request_id;
            if !self.inflight.cancel(session.id(), id.clone()) {
                // The call may run on another replica: the one running it stops it.
                self.announce_cancel(session.id(), &id);
            }
        }
    }

    /// A client's response to a request this server sent on the session.
    pub(super) fn legacy_response(
        &self,
        session: &Entry<S>,
        id: RequestId,
        outcome: Result<&RawValue, &RawValue>,
    ) {
        let parsed = match outcome {
            Ok(result) => serde_json::from_str(result.get()).map_err(ErrorObject::parse_error),
            Err(error) => {
                Err(serde_json::from_str(error.get()).unwrap_or_else(ErrorObject::parse_error))
            }
        };
        if !self.pending.complete(session.id(), id.clone(), parsed) {
            // The call that asked may run on another replica: the one it runs on takes it.
            self.announce_answer(session.id(), &id, outcome);
        }
    }

    /// The session's stream of server-initiated messages (legacy HTTP GET); one at a time.
    /// Its events carry ids: with `Last-Event-ID`, the changes the client missed since that
    /// event are sent first, whichever replica it reconnects to.
    pub(super) async fn open_stream(&'static self, req: &Request<'_>) -> Reply {
        let session = match self.session(req, false).await {
            Ok(session) => session,
            Err(failure) => return failure.into_reply(None, None),
        };
        let last = match last_event_id(req) {
            Ok(last) => last,
            Err(failure) => return failure.into_reply(None, None),
        };
        let (outlet, frames) = Outlet::open();
        if !session.attach_stream(outlet) {
            let e = ErrorObject::invalid_request("this session already has an open GET stream");
            return Failure::new(Fault::StreamTaken, e).into_reply(None, None);
        }
        self.announce_stream(session.id());
        // Read once the stream is attached: a change logged meanwhile is in the log or on the
        // stream, and the stream leaves out what the log already gave.
        let missed = match self.missed(last).await {
            Ok(missed) => missed,
            // Without what it missed, a resuming client had better try again; a new stream
            // works without being primed.
            Err(e) if last.is_some() => {
                return rejected(Rejection::Store(e), false).into_reply(None, None);
            }
            Err(e) => {
                tracing::warn!(session = %session.id(), "the change log is unreadable: {e}");
                Missed::default()
            }
        };
        let replay = missed
            .changes
            .into_iter()
            .filter(|(_, change)| wants(&session, change))
            .map(|(id, change)| (id, change_message(&change)));
        Reply {
            body: Body::Stream(frames.resuming(missed.head, replay)),
            fault: None,
            version: Some(session.version()),
            session: None,
        }
    }

    /// What the change log holds after `after`, from the store's log or this process's.
    async fn missed(&self, after: Option<EventId>) -> Result<Missed, StoreError> {
        let store = self.sessions.store;
        match store.read_log(after.map(|id| id.to_string()), LOG_LENGTH) {
            Some(reading) => Ok(reading
                .await
                .map(|(head, entries)| Missed::from_store(head, entries))?),
            None => Ok(self.changes.since(after)),
        }
    }

    /// Ends the session (legacy HTTP DELETE).
    pub(super) async fn end_session(&'static self, req: &Request<'_>) -> Reply {
        let ended = match self.session(req, false).await {
            Ok(session) => self
                .sessions
                .end(&session)
                .await
                .map_err(|r| rejected(r, req.headers.is_none())),
            Err(failure) => Err(failure),
        };
        match ended {
            Ok(()) => Reply::accepted(),
            Err(failure) => failure.into_reply(None, None),
        }
    }
}
