//! Where sessions live beyond this process, and where expired ones are retained for the
//! re-initialization policy.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard};
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
    /// The store did not answer in time: a write may or may not have happened.
    #[error("session store did not answer within {0:?}")]
    TimedOut(std::time::Duration),
    /// A record did not parse.
    #[error("corrupt session record: {0}")]
    Corrupt(#[from] serde_json::Error),
}

/// What [`SessionStore::read_log`] found: the id of the latest change, and the changes after
/// the id asked for, as `(id, change)`, oldest first.
pub type LogRead = (Option<String>, Vec<(String, String)>);

/// What [`SessionStore::watch_logged`] calls with each logged change: its id, and the change.
pub type OnLogged = Box<dyn Fn(&str, &str) + Send + Sync>;

/// What a store knows about a session id.
#[derive(Debug)]
pub enum Loaded {
    /// Live: idle for less than the timeout (perhaps on another process). Rehydrate it.
    Live(StoredSession),
    /// Expired, and retained: the policy may restore it.
    Expired(StoredSession),
    /// Ended by its client (DELETE), on any process: it never comes back, whatever the policy.
    Ended,
}

/// What a conditional save ([`SessionStore::save_if`]) did.
#[derive(Debug)]
pub enum Saved {
    /// The record was written.
    Written,
    /// Another process committed first: the store's record, to apply the change to again.
    Conflict(Box<StoredSession>),
    /// The session was ended (DELETE) meanwhile: nothing was written.
    Ended,
}

/// A caller's state as a store holds it (see [`User`](super::User)): its version, counted
/// from 1 by the store, and the state as JSON.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserRecord {
    /// How many times the state was written.
    pub version: u64,
    /// The state, as JSON.
    pub state: String,
}

/// What a conditional save of a caller's state ([`SessionStore::save_user_if`]) did.
#[derive(Debug)]
pub enum UserSaved {
    /// The state was written, as version `expected + 1`.
    Written,
    /// Another call (perhaps on another process) wrote first, or the state is gone: the
    /// store's record (`None`: it holds none), to apply the change to again.
    Conflict(Option<UserRecord>),
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

    /// Writes a session's changed state only if the store still holds version `expected` of
    /// it (or nothing), in one step; otherwise returns what it holds. `session.version` is the
    /// new version. The default, for stores no other process writes to, always writes.
    fn save_if(&self, session: StoredSession, expected: u64) -> StoreFuture<'_, Saved> {
        let _ = expected;
        let save = self.save(session);
        Box::pin(async move { save.await.map(|()| Saved::Written) })
    }

    /// Marks a live session as used now.
    fn touch(&self, id: SessionId) -> StoreFuture<'_, ()>;

    /// Keeps an expired session for the retention period (this process saw it expire).
    fn retire(&self, session: StoredSession) -> StoreFuture<'_, ()>;

    /// Forgets a session entirely (DELETE).
    fn remove(&self, id: SessionId) -> StoreFuture<'_, ()>;

    /// The deployment secret every process using this store shares, created by the first one
    /// to ask; `None` (the default) for a store that no other process sees. Session ids and
    /// `requestState` values are keyed from it, so that a restarted process or another replica
    /// accepts what this one issued without any configuration. `MCP_STATE_KEY` overrides it.
    fn shared_secret(&self) -> StoreFuture<'_, Option<Vec<u8>>> {
        Box::pin(std::future::ready(Ok(None)))
    }

    /// Calls `ended` with every session another process ends (DELETE), so that this process
    /// drops it too. The default, for stores no other process shares, never calls it.
    fn watch_ended(&self, ended: Box<dyn Fn(SessionId) + Send + Sync>) {
        let _ = ended;
    }

    /// Announces `change` (a list or resource change, encoded by the runtime) to every other
    /// process sharing the store, so that the clients whose streams they hold hear of it;
    /// `None` (the default) for a store no other process shares.
    fn publish_change(&self, change: String) -> Option<StoreFuture<'_, ()>> {
        let _ = change;
        None
    }

    /// Calls `changed` with every change another process announces.
    fn watch_changes(&self, changed: Box<dyn Fn(String) + Send + Sync>) {
        let _ = changed;
    }

    /// Appends `change` (encoded by the runtime) to the change log the processes sharing the
    /// store read, and hands it with the id the log gave it to every one's
    /// [`watch_logged`](Self::watch_logged), this process's included. The log keeps at most
    /// `length` changes, none older than `age`. `None` (the default) for a store no other
    /// process shares: the runtime keeps the log itself.
    fn log_change(
        &self,
        change: String,
        length: usize,
        age: Duration,
    ) -> Option<StoreFuture<'_, ()>> {
        let _ = (change, length, age);
        None
    }

    /// Calls `logged(id, change)` with every change any process logs, in the log's order.
    fn watch_logged(&self, logged: OnLogged) {
        let _ = logged;
    }

    /// The id of the latest change in the log, and the changes logged after `after` (none
    /// when `after` is `None`), oldest first, at most `limit`: what a stream that reconnects
    /// missed. `None` for a store that keeps no log.
    fn read_log(&self, after: Option<String>, limit: usize) -> Option<StoreFuture<'_, LogRead>> {
        let _ = (after, limit);
        None
    }

    /// Writes the record (JSON) of task `id` for `ttl`, unless the store holds a later one
    /// (a higher `seq`) or a finished one: writes may land in any order, and a task that ended
    /// stays as it ended. `None` (the default) for a store no other process shares: tasks then
    /// stay with the process that runs them.
    fn save_task(
        &self,
        id: &str,
        seq: u64,
        finished: bool,
        record: String,
        ttl: Duration,
    ) -> Option<StoreFuture<'_, ()>> {
        let _ = (id, seq, finished, record, ttl);
        None
    }

    /// The record of task `id` as last saved, for a process that does not run it.
    fn load_task(&self, id: &str) -> StoreFuture<'_, Option<String>> {
        let _ = id;
        Box::pin(std::future::ready(Ok(None)))
    }

    /// Whether it keeps callers' state ([`load_user`](Self::load_user) and
    /// [`save_user_if`](Self::save_user_if)); a server with `User<T>` state does not start on a
    /// store that does not. The default is `false`.
    fn keeps_users(&self) -> bool {
        false
    }

    /// The state kept for the caller `key` (a [`Principal`](crate::Principal)'s
    /// [`as_str`](crate::Principal::as_str)), `None` when there is none yet. The default, for
    /// stores that keep no callers' state, fails: a server with `User<T>` state needs a store
    /// that keeps it (the memory and Redis stores do).
    fn load_user(&self, key: &str) -> StoreFuture<'_, Option<UserRecord>> {
        let _ = key;
        Box::pin(std::future::ready(Err(no_user_state())))
    }

    /// Writes the caller's state, as version `expected + 1`, only if the store still holds
    /// version `expected` of it (0: none), in one step; otherwise returns what it holds.
    fn save_user_if(&self, key: &str, state: String, expected: u64) -> StoreFuture<'_, UserSaved> {
        let _ = (key, state, expected);
        Box::pin(std::future::ready(Err(no_user_state())))
    }

    /// Drops retained records older than the retention period.
    fn sweep(&self) {}

    /// How many expired records the store retains, when it can tell cheaply (logged by the
    /// periodic sweep); `None` when it cannot.
    fn retained(&self) -> Option<usize> {
        None
    }
}

fn no_user_state() -> StoreError {
    StoreError::Unavailable("this session store keeps no callers' state".into())
}

/// The default store: nothing outlives the process. Live sessions are only in memory; expired
/// ones are retained, in memory, for the retention period, at most `limit` of them (the oldest
/// go first). Callers' states are kept for as long as the process lives, one per caller.
pub(crate) struct MemoryStore {
    retained: Mutex<Retained>,
    users: Mutex<HashMap<Box<str>, UserRecord>>,
    retention: Duration,
    limit: usize,
    /// Whether the limit was ever reached, so that it is reported once.
    overflowed: AtomicBool,
}

/// The retained records, as JSON: one allocation each, and read back only when a client
/// returns to an expired session.
#[derive(Default)]
struct Retained {
    records: HashMap<SessionId, (Instant, Box<str>)>,
    /// Ids oldest first; an entry whose record was replaced or removed since is stale and is
    /// skipped when it reaches the front, or dropped by [`compact`](Self::compact).
    order: VecDeque<(Instant, SessionId)>,
}

impl Retained {
    fn is_current(&self, at: Instant, id: SessionId) -> bool {
        self.records.get(&id).is_some_and(|(a, _)| *a == at)
    }

    /// Drops the oldest record if `expired` says so; `false` when nothing was dropped.
    fn drop_oldest(&mut self, expired: impl Fn(Instant) -> bool) -> bool {
        while let Some(&(at, id)) = self.order.front() {
            let current = self.is_current(at, id);
            if current && !expired(at) {
                return false;
            }
            self.order.pop_front();
            if current {
                self.records.remove(&id);
                return true;
            }
        }
        false
    }

    // Stale entries would pile up when records are removed faster than they age out.
    fn compact(&mut self) {
        if self.order.len() > 2 * self.records.len() + 1024 {
            let records = &self.records;
            self.order
                .retain(|&(at, id)| records.get(&id).is_some_and(|(a, _)| *a == at));
        }
    }
}

impl fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryStore")
            .field("retained", &self.len())
            .field("retention", &self.retention)
            .field("limit", &self.limit)
            .finish()
    }
}

impl MemoryStore {
    /// How many expired records it retains by default; beyond it the oldest go. At about
    /// 430 bytes each (`cargo bench --bench memory`), some 43 MB at most.
    pub(crate) const DEFAULT_MAX_RETAINED: usize = 100_000;

    /// A store that retains expired sessions for `retention`, at most
    /// [`DEFAULT_MAX_RETAINED`](Self::DEFAULT_MAX_RETAINED) of them.
    #[cfg(test)]
    pub(crate) fn new(retention: Duration) -> Self {
        Self::bounded(retention, Self::DEFAULT_MAX_RETAINED)
    }

    /// A store that retains expired sessions for `retention`, at most `limit` of them.
    pub(crate) fn bounded(retention: Duration, limit: usize) -> Self {
        Self {
            retained: Mutex::default(),
            users: Mutex::default(),
            retention,
            limit,
            overflowed: AtomicBool::new(false),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Retained> {
        self.retained.lock().expect("retained sessions")
    }

    /// How many expired records it holds.
    pub(crate) fn len(&self) -> usize {
        self.lock().records.len()
    }

    fn keep(&self, id: SessionId, json: Box<str>) {
        if self.limit == 0 || self.retention.is_zero() {
            return;
        }
        let at = Instant::now();
        let mut retained = self.lock();
        retained.records.insert(id, (at, json));
        retained.order.push_back((at, id));
        let mut evicted = false;
        while retained.records.len() > self.limit && retained.drop_oldest(|_| true) {
            evicted = true;
        }
        retained.compact();
        drop(retained);
        if evicted && !self.overflowed.swap(true, Ordering::Relaxed) {
            tracing::warn!(
                limit = self.limit,
                "the retained-session limit is reached: the oldest expired sessions' records \
                 are dropped, and the re-initialization policy no longer sees them"
            );
        }
    }
}

impl SessionStore for MemoryStore {
    fn is_persistent(&self) -> bool {
        false
    }

    fn load(&self, id: SessionId) -> StoreFuture<'_, Option<Loaded>> {
        let json = self
            .lock()
            .records
            .get(&id)
            .filter(|(at, _)| at.elapsed() < self.retention)
            .map(|(_, json)| json.clone());
        let found = json.map(|json| serde_json::from_str(&json).map(Loaded::Expired));
        Box::pin(std::future::ready(found.transpose().map_err(Into::into)))
    }

    fn save(&self, _: StoredSession) -> StoreFuture<'_, ()> {
        Box::pin(std::future::ready(Ok(())))
    }

    fn touch(&self, _: SessionId) -> StoreFuture<'_, ()> {
        Box::pin(std::future::ready(Ok(())))
    }

    fn retire(&self, session: StoredSession) -> StoreFuture<'_, ()> {
        let kept = serde_json::to_string(&session).map(|json| {
            // Ids come from this runtime's own records; anything else has nothing to resume.
            if let Ok(id) = session.id.parse() {
                self.keep(id, json.into_boxed_str());
            }
        });
        Box::pin(std::future::ready(kept.map_err(Into::into)))
    }

    fn remove(&self, id: SessionId) -> StoreFuture<'_, ()> {
        self.lock().records.remove(&id);
        Box::pin(std::future::ready(Ok(())))
    }

    fn keeps_users(&self) -> bool {
        true
    }

    fn load_user(&self, key: &str) -> StoreFuture<'_, Option<UserRecord>> {
        let found = self.users.lock().expect("users").get(key).cloned();
        Box::pin(std::future::ready(Ok(found)))
    }

    fn save_user_if(&self, key: &str, state: String, expected: u64) -> StoreFuture<'_, UserSaved> {
        let mut users = self.users.lock().expect("users");
        let saved = match users.get_mut(key) {
            Some(held) if held.version != expected => UserSaved::Conflict(Some(held.clone())),
            Some(held) => {
                *held = UserRecord {
                    version: expected + 1,
                    state,
                };
                UserSaved::Written
            }
            None if expected != 0 => UserSaved::Conflict(None),
            None => {
                users.insert(key.into(), UserRecord { version: 1, state });
                UserSaved::Written
            }
        };
        Box::pin(std::future::ready(Ok(saved)))
    }

    fn sweep(&self) {
        let retention = self.retention;
        let mut retained = self.lock();
        while retained.drop_oldest(|at| at.elapsed() >= retention) {}
        retained.compact();
    }

    fn retained(&self) -> Option<usize> {
        Some(self.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(id: SessionId) -> StoredSession {
        serde_json::from_value(serde_json::json!({
            "id": id.to_string(),
            "initialize": { "protocolVersion": "2025-06-18", "capabilities": {} },
            "principal": null,
            "logLevel": null,
            "createdMs": 1,
            "state": { "n": 1 },
        }))
        .unwrap()
    }

    async fn holds(store: &MemoryStore, id: SessionId) -> bool {
        matches!(store.load(id).await, Ok(Some(Loaded::Expired(s))) if s.id == id.to_string())
    }

    #[tokio::test]
    async fn beyond_the_limit_the_oldest_records_go() {
        let store = MemoryStore::bounded(Duration::from_secs(60), 2);
        let ids: Vec<_> = (0..4).map(|_| SessionId::random()).collect();
        for &id in &ids {
            store.retire(record(id)).await.unwrap();
        }
        assert_eq!(store.retained(), Some(2));
        assert!(!holds(&store, ids[0]).await && !holds(&store, ids[1]).await);
        assert!(holds(&store, ids[2]).await && holds(&store, ids[3]).await);
        // Retired again, a record is the youngest.
        store.retire(record(ids[2])).await.unwrap();
        store.retire(record(ids[0])).await.unwrap();
        assert!(holds(&store, ids[2]).await && !holds(&store, ids[3]).await);
    }

    #[tokio::test]
    async fn a_callers_state_is_written_only_over_the_version_it_was_made_to() {
        let store = MemoryStore::bounded(Duration::from_secs(60), 10);
        assert_eq!(store.load_user("ada").await.unwrap(), None);
        // Over a version the store does not hold: nothing to build on, nothing written.
        let stale = store.save_user_if("ada", "1".into(), 3).await.unwrap();
        assert!(matches!(stale, UserSaved::Conflict(None)));
        assert!(matches!(
            store.save_user_if("ada", "1".into(), 0).await.unwrap(),
            UserSaved::Written
        ));
        // A second writer that also started from nothing meets the first one's record.
        match store.save_user_if("ada", "2".into(), 0).await.unwrap() {
            UserSaved::Conflict(Some(held)) => assert_eq!((held.version, &*held.state), (1, "1")),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            store.save_user_if("ada", "2".into(), 1).await.unwrap(),
            UserSaved::Written
        ));
        let held = store.load_user("ada").await.unwrap().unwrap();
        assert_eq!((held.version, &*held.state), (2, "2"));
        assert_eq!(store.load_user("grace").await.unwrap(), None);
    }

    #[tokio::test]
    async fn removed_records_leave_no_trace() {
        let store = MemoryStore::bounded(Duration::from_secs(60), 10);
        for _ in 0..5000 {
            let id = SessionId::random();
            store.retire(record(id)).await.unwrap();
            store.remove(id).await.unwrap();
        }
        assert_eq!(store.retained(), Some(0));
        assert!(
            store.lock().order.len() <= 1024 + 1,
            "stale order entries are compacted"
        );
    }

    #[tokio::test]
    async fn records_expire_after_the_retention_period() {
        let store = MemoryStore::bounded(Duration::from_millis(50), 10);
        let (old, young) = (SessionId::random(), SessionId::random());
        store.retire(record(old)).await.unwrap();
        tokio::time::sleep(Duration::from_millis(60)).await;
        store.retire(record(young)).await.unwrap();
        assert!(!holds(&store, old).await && holds(&store, young).await);
        store.sweep();
        assert_eq!(store.retained(), Some(1));
        assert!(MemoryStore::bounded(Duration::ZERO, 10).retained() == Some(0));
        let none = MemoryStore::bounded(Duration::from_secs(60), 0);
        none.retire(record(old)).await.unwrap();
        assert_eq!(none.retained(), Some(0));
    }
}
