//! Where sessions live beyond this process, and where expired ones are retained for the
//! re-initialization policy.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::{SessionId, StoredSession};

/// The futures a store returns.
pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, StoreError>> + Send + 'a>>;

/// A store failed; the request that needed it gets HTTP 503.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The store could not be reached or refused the command.
    #[error("session store unavailable: {0}")]
    Unavailable(String),
    /// A record did not parse.
    #[error("corrupt session record: {0}")]
    Corrupt(#[from] serde_json::Error),
}

/// What a store knows about a session id.
#[derive(Debug)]
pub enum Loaded {
    /// Live: idle for less than the timeout (perhaps on another process). Rehydrate it.
    Live(StoredSession),
    /// Expired, and retained: the policy may restore it.
    Expired(StoredSession),
}

/// A session store. Live sessions are served from memory; the store is consulted when a
/// request names a session this process does not hold (after a restart, on another replica,
/// after expiry), written through on `initialize` and on state changes, and touched at most a
/// few times per idle timeout.
pub trait SessionStore: fmt::Debug + Send + Sync + 'static {
    /// Whether records outlive this process; a store that does not is neither saved to nor
    /// touched while sessions are live.
    fn is_persistent(&self) -> bool;

    /// What the store has for `id`.
    fn load(&self, id: SessionId) -> StoreFuture<'_, Option<Loaded>>;

    /// Writes a live session (on `initialize`, resume, and state changes).
    fn save(&self, session: StoredSession) -> StoreFuture<'_, ()>;

    /// Marks a live session as used now.
    fn touch(&self, id: SessionId) -> StoreFuture<'_, ()>;

    /// Keeps an expired session for the retention period (this process saw it expire).
    fn retire(&self, session: StoredSession) -> StoreFuture<'_, ()>;

    /// Forgets a session entirely (DELETE).
    fn remove(&self, id: SessionId) -> StoreFuture<'_, ()>;

    /// Drops retained records older than the retention period.
    fn sweep(&self) {}
}

/// The default store: nothing outlives the process. Live sessions are only in memory; expired
/// ones are retained, in memory, for the retention period.
pub(crate) struct MemoryStore {
    retired: Mutex<HashMap<SessionId, (Instant, StoredSession)>>,
    retention: Duration,
}

impl fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let retired = self.retired.lock().map(|r| r.len()).unwrap_or_default();
        f.debug_struct("MemoryStore")
            .field("retired", &retired)
            .field("retention", &self.retention)
            .finish()
    }
}

impl MemoryStore {
    /// A store that retains expired sessions for `retention`.
    pub(crate) fn new(retention: Duration) -> Self {
        Self {
            retired: Mutex::new(HashMap::new()),
            retention,
        }
    }
}

impl SessionStore for MemoryStore {
    fn is_persistent(&self) -> bool {
        false
    }

    fn load(&self, id: SessionId) -> StoreFuture<'_, Option<Loaded>> {
        let retired = self.retired.lock().expect("retired sessions");
        let found = retired
            .get(&id)
            .filter(|(at, _)| at.elapsed() < self.retention)
            .map(|(_, s)| s.clone());
        Box::pin(std::future::ready(Ok(found.map(Loaded::Expired))))
    }

    fn save(&self, _: StoredSession) -> StoreFuture<'_, ()> {
        Box::pin(std::future::ready(Ok(())))
    }

    fn touch(&self, _: SessionId) -> StoreFuture<'_, ()> {
        Box::pin(std::future::ready(Ok(())))
    }

    fn retire(&self, session: StoredSession) -> StoreFuture<'_, ()> {
        if let Ok(id) = session.id.parse() {
            self.retired
                .lock()
                .expect("retired sessions")
                .insert(id, (Instant::now(), session));
        }
        Box::pin(std::future::ready(Ok(())))
    }

    fn remove(&self, id: SessionId) -> StoreFuture<'_, ()> {
        self.retired.lock().expect("retired sessions").remove(&id);
        Box::pin(std::future::ready(Ok(())))
    }

    fn sweep(&self) {
        let retention = self.retention;
        self.retired
            .lock()
            .expect("retired sessions")
            .retain(|_, (at, _)| at.elapsed() < retention);
    }
}
