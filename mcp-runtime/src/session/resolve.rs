//! Which session a legacy message belongs to: live here, live in the store (rehydrated), or
//! gone, in which case the compiled re-initialization policy decides.

use std::sync::Arc;
use std::time::Duration;

use super::{
    Headers, InitializeRecord, Issuer, Loaded, Lookup, NewSession, Reinit, ReinitPolicy,
    ReinitRequest, SessionEntry, SessionId, SessionMap, SessionStore, StoreError, StoredSession,
};
use crate::auth::Principal;
use crate::protocol::{ClientCapabilities, Era, ProtocolVersion};
use crate::secret::Origin;
use crate::server::Server;

/// A legacy message's claim to a session.
pub(crate) struct Claim<'a> {
    /// The session id it names.
    pub id: Option<&'a str>,
    /// The authenticated caller.
    pub principal: Option<&'a Principal>,
    /// The `MCP-Protocol-Version` header, for the `#[on_reinit]` handler.
    pub version: Option<&'a str>,
    /// The request's headers, built only if the `#[on_reinit]` handler runs.
    pub headers: &'a (dyn Fn() -> Headers + Sync),
    /// Whether the message may bring a gone session back (requests may; notifications,
    /// responses, streams and DELETE only find existing ones).
    pub may_reinit: bool,
}

/// Why a message gets no session.
#[derive(Debug)]
pub(crate) enum Rejection {
    /// No session named.
    Missing,
    /// Unknown, expired and not resumed, or bound to another principal.
    NotFound(&'static str),
    /// The live-session limit is reached.
    Full,
    /// The store failed.
    Store(StoreError),
}

pub(crate) type Entry<S> = Arc<SessionEntry<<S as Server>::Session>>;

/// The sessions of one server: the live ones of this process, and the store behind them.
pub(crate) struct Sessions<S: Server> {
    pub map: SessionMap<S::Session>,
    pub store: &'static dyn SessionStore,
    /// How often a busy session's use is written to a persistent store.
    touch_every: Duration,
}

impl<S: Server> std::fmt::Debug for Sessions<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sessions")
            .field("live", &self.map.len())
            .field("store", &self.store)
            .finish()
    }
}

impl<S: Server> Sessions<S> {
    pub(crate) fn new(map: SessionMap<S::Session>, store: &'static dyn SessionStore) -> Self {
        warn_if_ids_die_with_the_process::<S>(store);
        // A few touches per idle timeout keep a busy session alive in the store.
        let touch_every = (map.idle_timeout() / 4).min(Duration::from_secs(30));
        Self {
            map,
            store,
            touch_every,
        }
    }

    /// Creates a session for `initialize` and writes it through to the store.
    pub(crate) async fn create(
        &'static self,
        server: &S,
        new: NewSession,
        pinned: bool,
    ) -> Result<Entry<S>, Rejection> {
        let (init, principal) = (new.initialize.clone(), new.principal.clone());
        let state = server.initial_state(new).await;
        let entry = SessionEntry::new(SessionId::random(), init, principal, state, self.map.now());
        if pinned {
            entry.pin();
        }
        self.admit(entry).await
    }

    /// Finds the session a legacy message names.
    pub(crate) async fn resolve(
        &'static self,
        server: &S,
        claim: Claim<'_>,
    ) -> Result<Entry<S>, Rejection> {
        let raw = claim.id.ok_or(Rejection::Missing)?;
        let id: SessionId = raw
            .parse()
            .map_err(|()| Rejection::NotFound("session not found"))?;
        // A live hit is an id equal to one issued here, so only a miss needs the tag checked;
        // a forged id stops there, before the store or the policy sees it.
        match self.map.touch(id) {
            Ok(entry) => {
                check_principal(entry.principal(), claim.principal)?;
                self.touch_store(&entry);
                return Ok(entry);
            }
            Err(Lookup::Expired(entry)) => self.retire(&entry).await,
            Err(Lookup::Unknown | Lookup::Full) if !id.is_authentic() => {
                return Err(Rejection::NotFound("session not found"));
            }
            Err(Lookup::Unknown | Lookup::Full) => {}
        }
        match self.store.load(id).await.map_err(Rejection::Store)? {
            Some(Loaded::Live(stored)) => {
                check_stored_principal(&stored, claim.principal)?;
                match self.rehydrate(id, &stored) {
                    Some(entry) => self.admit_loaded(entry),
                    None => self.reinit(server, id, claim, Some(stored)).await,
                }
            }
            Some(Loaded::Expired(stored)) if claim.may_reinit => {
                check_stored_principal(&stored, claim.principal)?;
                self.reinit(server, id, claim, Some(stored)).await
            }
            Some(Loaded::Ended) => Err(Rejection::NotFound("session ended")),
            None if claim.may_reinit => self.reinit(server, id, claim, None).await,
            _ => Err(Rejection::NotFound("session not found")),
        }
    }

    /// Drops a session another process ended (DELETE there): its stream closes, and the next
    /// request naming it finds it ended in the store.
    pub(crate) fn forget(&self, id: SessionId) {
        if self.map.remove(id).is_some() {
            tracing::debug!(session = %id, "session ended by another process");
        }
    }

    /// Ends a session (DELETE, or the end of a stdio connection).
    pub(crate) async fn end(&'static self, entry: &Entry<S>) -> Result<(), Rejection> {
        self.map.remove(entry.id());
        self.store
            .remove(entry.id())
            .await
            .map_err(Rejection::Store)
    }

    /// Expires a live session now, as the idle sweep would (the test client's way to make a
    /// client come back to a gone session).
    #[cfg(feature = "testing")]
    pub(crate) async fn expire(&'static self, raw: &str) {
        let Ok(id) = raw.parse::<SessionId>() else {
            return;
        };
        if let Some(entry) = self.map.remove(id) {
            self.retire(&entry).await;
        }
    }

    /// Ends the session of a connection that closed (stdio).
    pub(crate) async fn close(&'static self, raw: &str) {
        let Ok(id) = raw.parse::<SessionId>() else {
            return;
        };
        if let Some(entry) = self.map.remove(id)
            && let Err(e) = self.store.remove(entry.id()).await
        {
            tracing::warn!(session = %id, "closed session not removed from the store: {e}");
        }
    }

    /// Expires idle sessions; the store retains them for the policy.
    pub(crate) async fn sweep(&'static self) -> usize {
        let expired = self.map.sweep();
        for entry in &expired {
            self.retire(entry).await;
        }
        self.store.sweep();
        if !expired.is_empty() {
            let retained = self.store.retained();
            tracing::debug!(live = self.map.len(), retained, "sessions swept");
        }
        expired.len()
    }

    /// The compiled policy, for a session this process does not hold.
    async fn reinit(
        &'static self,
        server: &S,
        id: SessionId,
        claim: Claim<'_>,
        stored: Option<StoredSession>,
    ) -> Result<Entry<S>, Rejection> {
        let gone = Rejection::NotFound("session expired");
        match S::REINIT {
            ReinitPolicy::Reject => Err(gone),
            ReinitPolicy::Restore => {
                let entry = stored
                    .and_then(|stored| self.rehydrate(id, &stored))
                    .ok_or(gone)?;
                self.admit_again(entry).await
            }
            ReinitPolicy::Handler => {
                let requested = claim
                    .version
                    .and_then(ProtocolVersion::parse)
                    .filter(|v| v.era() == Era::Legacy);
                let (initialize, stored_state) = match stored {
                    Some(s) => (Some(s.initialize), Some(s.state)),
                    None => (None, None),
                };
                let issued_by = if id.is_from_this_process() {
                    Issuer::ThisProcess
                } else {
                    Issuer::OtherProcess
                };
                let request = ReinitRequest {
                    session_id: id.to_string(),
                    issued_by,
                    headers: (claim.headers)(),
                    principal: claim.principal.cloned(),
                    protocol_version: requested,
                    initialize: initialize.clone(),
                    stored_state,
                };
                // A handler that panics resumes nothing: the client is told the session is gone.
                let decision = crate::server::panics::guarded(
                    "`on_reinit` handler",
                    "on_reinit",
                    server.reinit(request),
                );
                let Ok(Reinit::Resume(state)) = decision.await else {
                    return Err(gone);
                };
                // Capabilities unknown after a resume without a record count as none.
                let init = initialize.unwrap_or(InitializeRecord {
                    protocol_version: requested.unwrap_or(ProtocolVersion::V2025_03_26),
                    client_info: None,
                    capabilities: ClientCapabilities::default(),
                });
                let entry =
                    SessionEntry::new(id, init, claim.principal.cloned(), state, self.map.now());
                self.admit_again(entry).await
            }
        }
    }

    /// A live entry from a stored record; `None` when its state no longer
    /// deserializes.
    fn rehydrate(&self, id: SessionId, stored: &StoredSession) -> Option<SessionEntry<S::Session>> {
        match serde_json::from_str(stored.state.get()) {
            Ok(state) => {
                let entry = SessionEntry::from_stored(stored, id, state, self.map.now());
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
                self.map.remove(entry.id());
                return Err(Rejection::Store(e));
            }
        }
        Ok(entry)
    }

    /// Adds a session back that was gone; a record a memory store retained for it is
    /// dropped, as it would only be replaced when the session expires again.
    async fn admit_again(
        &'static self,
        entry: SessionEntry<S::Session>,
    ) -> Result<Entry<S>, Rejection> {
        let entry = self.admit(entry).await?;
        if !self.store.is_persistent()
            && let Err(e) = self.store.remove(entry.id()).await
        {
            tracing::warn!(session = %entry.id(), "retained record not dropped: {e}");
        }
        Ok(entry)
    }

    /// Adds a session the store already has.
    fn admit_loaded(&self, entry: SessionEntry<S::Session>) -> Result<Entry<S>, Rejection> {
        self.map.insert(entry).map_err(|_| Rejection::Full)
    }

    // A persistent store already holds the record; `reject` would never read it.
    async fn retire(&'static self, entry: &Entry<S>) {
        if self.store.is_persistent() || S::REINIT == ReinitPolicy::Reject {
            return;
        }
        if let Err(e) = self.store.retire(entry.to_stored()).await {
            tracing::warn!(session = %entry.id(), "expired session not retained: {e}");
        }
    }

    /// Tells a persistent store the session is in use, a few times per idle timeout at most.
    fn touch_store(&'static self, entry: &Entry<S>) {
        if !self.store.is_persistent() || !entry.take_touch(self.map.now(), self.touch_every) {
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

fn warn_if_ids_die_with_the_process<S: Server>(store: &dyn SessionStore) {
    let Some(message) = id_warning(S::REINIT, store.is_persistent(), crate::secret::origin())
    else {
        return;
    };
    // `serve` may not have installed a subscriber yet; the operator must see this.
    if tracing::dispatcher::has_been_set() {
        tracing::warn!("{message}");
    } else {
        eprintln!("warning: {message}");
    }
}

// Ids are tagged with a key derived from the deployment secret; when that secret is random to
// this process, no other process (this server after a restart, another replica) verifies them,
// which defeats a resuming policy and a store shared beyond the process.
fn id_warning(policy: ReinitPolicy, persistent: bool, origin: Origin) -> Option<String> {
    let resumes = policy != ReinitPolicy::Reject;
    if origin != Origin::Process || !(resumes || persistent) {
        return None;
    }
    Some(format!(
        "{} is not set, so session ids verify only in this process: after a restart, or on \
         another replica, a client's session is answered 404 instead of being {}; set it to the \
         same secret in every process",
        crate::secret::ENV,
        if resumes {
            "resumed"
        } else {
            "found in the store"
        },
    ))
}

// A session belongs to the principal that created it; anyone else is told it does not exist.
fn check_principal(owner: Option<&Principal>, caller: Option<&Principal>) -> Result<(), Rejection> {
    if owner == caller {
        Ok(())
    } else {
        Err(Rejection::NotFound("session not found"))
    }
}

fn check_stored_principal(
    stored: &StoredSession,
    caller: Option<&Principal>,
) -> Result<(), Rejection> {
    check_principal(
        stored
            .principal
            .as_deref()
            .map(Principal::from_key)
            .as_ref(),
        caller,
    )
}

#[cfg(test)]
mod tests;
