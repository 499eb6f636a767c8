//! Which session a legacy request belongs to: live here, live in the store (rehydrated), or
//! gone, in which case the compiled re-initialization policy decides.

use std::sync::Arc;

use axum::http::HeaderMap;

use super::Server;
use super::dispatch::Dispatcher;
use crate::auth::Principal;
use crate::protocol::{ClientCapabilities, Era, ProtocolVersion};
use crate::session::{
    InitializeRecord, Loaded, Lookup, NewSession, Reinit, ReinitPolicy, ReinitRequest,
    SessionEntry, SessionId, StoreError, StoredSession,
};

/// A legacy message's claim to a session.
pub(crate) struct SessionClaim<'a> {
    /// The `Mcp-Session-Id` header.
    pub id: Option<&'a str>,
    /// The authenticated caller.
    pub principal: Option<&'a Principal>,
    /// The request's headers, for the `#[on_reinit]` handler.
    pub headers: &'a HeaderMap,
    /// Whether the message may bring a gone session back (requests may; notifications,
    /// responses, GET and DELETE only find existing ones).
    pub may_reinit: bool,
}

/// Why a message gets no session.
#[derive(Debug)]
pub(crate) enum Rejection {
    /// No `Mcp-Session-Id`: 400.
    Missing,
    /// Unknown, expired and not resumed, or bound to another principal: 404.
    NotFound(&'static str),
    /// The live-session limit is reached: 503.
    Full,
    /// The store failed: 503.
    Store(StoreError),
}

type Entry<S> = Arc<SessionEntry<<S as Server>::Session>>;

impl<S: Server> Dispatcher<S> {
    /// Creates a session for `initialize` and writes it through to the store.
    pub async fn create_session(
        &'static self,
        init: InitializeRecord,
        principal: Option<&Principal>,
        headers: &HeaderMap,
    ) -> Result<Entry<S>, Rejection> {
        let new = NewSession {
            initialize: init.clone(),
            principal: principal.cloned(),
            headers: headers.clone(),
        };
        let state = self.server.initial_state(new).await;
        let entry = SessionEntry::new(
            SessionId::random(),
            init,
            principal.cloned(),
            state,
            self.sessions.now(),
        );
        self.admit(entry).await
    }

    /// Finds the session a legacy message names.
    pub async fn resolve(&'static self, claim: SessionClaim<'_>) -> Result<Entry<S>, Rejection> {
        let raw = claim.id.ok_or(Rejection::Missing)?;
        let id: SessionId = raw
            .parse()
            .map_err(|()| Rejection::NotFound("session not found"))?;
        match self.sessions.touch(id) {
            Ok(entry) => {
                check_principal(entry.principal(), claim.principal)?;
                self.touch_store(&entry);
                return Ok(entry);
            }
            Err(Lookup::Expired(entry)) => self.retire(&entry).await,
            Err(Lookup::Unknown | Lookup::Full) => {}
        }
        match self.store.load(id).await.map_err(Rejection::Store)? {
            Some(Loaded::Live(stored)) => {
                check_principal(
                    stored.principal.as_deref().map(Principal::new).as_ref(),
                    claim.principal,
                )?;
                match self.rehydrate(id, &stored) {
                    Some(entry) => self.admit_loaded(entry),
                    None => self.reinit(id, claim, Some(stored)).await,
                }
            }
            Some(Loaded::Expired(stored)) if claim.may_reinit => {
                check_principal(
                    stored.principal.as_deref().map(Principal::new).as_ref(),
                    claim.principal,
                )?;
                self.reinit(id, claim, Some(stored)).await
            }
            None if claim.may_reinit => self.reinit(id, claim, None).await,
            _ => Err(Rejection::NotFound("session not found")),
        }
    }

    /// Ends a session (DELETE).
    pub async fn end_session(&'static self, entry: &Entry<S>) -> Result<(), Rejection> {
        self.sessions.remove(entry.id());
        self.store
            .remove(entry.id())
            .await
            .map_err(Rejection::Store)
    }

    /// Expires idle sessions; the store retains them for the policy.
    pub async fn sweep(&'static self) -> usize {
        let expired = self.sessions.sweep();
        for entry in &expired {
            self.retire(entry).await;
        }
        self.store.sweep();
        expired.len()
    }

    /// The compiled policy, for a session this process does not hold.
    async fn reinit(
        &'static self,
        id: SessionId,
        claim: SessionClaim<'_>,
        stored: Option<StoredSession>,
    ) -> Result<Entry<S>, Rejection> {
        let gone = Rejection::NotFound("session expired");
        match S::REINIT {
            ReinitPolicy::Reject => Err(gone),
            ReinitPolicy::Restore => {
                let entry = stored
                    .and_then(|stored| self.rehydrate(id, &stored))
                    .ok_or(gone)?;
                entry.mark_initialized();
                self.admit(entry).await
            }
            ReinitPolicy::Handler => {
                let requested = claim
                    .headers
                    .get(crate::transport::http::PROTOCOL_VERSION_HEADER)
                    .and_then(|v| v.to_str().ok())
                    .and_then(ProtocolVersion::parse)
                    .filter(|v| v.era() == Era::Legacy);
                let (initialize, stored_state) = match stored {
                    Some(s) => (Some(s.initialize), Some(s.state)),
                    None => (None, None),
                };
                let request = ReinitRequest {
                    session_id: id.to_string(),
                    headers: claim.headers.clone(),
                    principal: claim.principal.cloned(),
                    protocol_version: requested,
                    initialize: initialize.clone(),
                    stored_state,
                };
                let Reinit::Resume(state) = self.server.reinit(request).await else {
                    return Err(gone);
                };
                // Capabilities unknown after a resume without a record count as none.
                let init = initialize.unwrap_or(InitializeRecord {
                    protocol_version: requested.unwrap_or(ProtocolVersion::V2025_03_26),
                    client_info: None,
                    capabilities: ClientCapabilities::default(),
                });
                let entry = SessionEntry::new(
                    id,
                    init,
                    claim.principal.cloned(),
                    state,
                    self.sessions.now(),
                );
                entry.mark_initialized();
                self.admit(entry).await
            }
        }
    }

    /// A live entry from a stored record; `None` when its state no longer deserializes.
    fn rehydrate(&self, id: SessionId, stored: &StoredSession) -> Option<SessionEntry<S::Session>> {
        match serde_json::from_str(stored.state.get()) {
            Ok(state) => {
                let entry = SessionEntry::from_stored(stored, id, state, self.sessions.now());
                entry.mark_initialized();
                Some(entry)
            }
            Err(e) => {
                tracing::warn!(session = %id, "stored session state does not deserialize: {e}");
                None
            }
        }
    }

    /// Adds a new or recreated session and writes it through to the store.
    async fn admit(&'static self, entry: SessionEntry<S::Session>) -> Result<Entry<S>, Rejection> {
        let entry = self.admit_loaded(entry)?;
        if self.store.is_persistent() {
            let stored = entry.to_stored();
            if let Err(e) = self.store.save(stored).await {
                self.sessions.remove(entry.id());
                return Err(Rejection::Store(e));
            }
        }
        Ok(entry)
    }

    /// Adds a session the store already has.
    fn admit_loaded(&self, entry: SessionEntry<S::Session>) -> Result<Entry<S>, Rejection> {
        self.sessions.insert(entry).map_err(|_| Rejection::Full)
    }

    async fn retire(&'static self, entry: &Entry<S>) {
        if self.store.is_persistent() {
            return;
        }
        if let Err(e) = self.store.retire(entry.to_stored()).await {
            tracing::warn!(session = %entry.id(), "expired session not retained: {e}");
        }
    }

    /// Tells a persistent store the session is in use, a few times per idle timeout at most.
    fn touch_store(&'static self, entry: &Entry<S>) {
        if !self.store.is_persistent() || !entry.take_touch(self.sessions.now(), self.touch_every) {
            return;
        }
        let id = entry.id();
        tokio::spawn(async move {
            if let Err(e) = self.store.touch(id).await {
                tracing::warn!(session = %id, "session touch not stored: {e}");
            }
        });
    }
}

// A session belongs to the principal that created it; anyone else is told it does not exist.
fn check_principal(owner: Option<&Principal>, caller: Option<&Principal>) -> Result<(), Rejection> {
    if owner == caller {
        Ok(())
    } else {
        Err(Rejection::NotFound("session not found"))
    }
}
