//! Live sessions of this process.

use std::collections::HashMap;
use std::fmt;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::value::RawValue;

use super::{InitializeRecord, SessionId, StoredSession, unix_ms};
use crate::auth::Principal;
use crate::protocol::{LoggingLevel, ProtocolVersion};
use crate::server::reply::{Outlet, Overflow};

const LEVEL_UNSET: u8 = u8::MAX;
const LEVELS: [LoggingLevel; 8] = [
    LoggingLevel::Debug,
    LoggingLevel::Info,
    LoggingLevel::Notice,
    LoggingLevel::Warning,
    LoggingLevel::Error,
    LoggingLevel::Critical,
    LoggingLevel::Alert,
    LoggingLevel::Emergency,
];

/// One live legacy session.
pub(crate) struct SessionEntry<T> {
    id: SessionId,
    init: InitializeRecord,
    principal: Option<Principal>,
    created_ms: u64,
    /// Never idles out: the session of a stdio connection, ended with the connection.
    pinned: AtomicBool,
    log_level: AtomicU8,
    /// Milliseconds since the map's epoch.
    last_seen: AtomicU64,
    /// When a touch last reached the store, in the same clock.
    persisted: AtomicU64,
    stream: Mutex<Option<Outlet>>,
    subscriptions: Mutex<Vec<Box<str>>>,
    pub(crate) state: RwLock<T>,
    /// The version of the state last committed to the store (see `StoredSession::version`).
    version: AtomicU64,
    /// Serializes this process's updates of the state, so that one update never builds on
    /// another's uncommitted change.
    pub(crate) writer: tokio::sync::Mutex<()>,
}

impl<T> fmt::Debug for SessionEntry<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionEntry")
            .field("id", &self.id)
            .field("version", &self.init.protocol_version)
            .field("principal", &self.principal)
            .finish_non_exhaustive()
    }
}

impl<T> SessionEntry<T> {
    /// A session with this id, record and state, seen at `now` (the map's clock).
    pub(crate) fn new(
        id: SessionId,
        init: InitializeRecord,
        principal: Option<Principal>,
        state: T,
        now: u64,
    ) -> Self {
        Self {
            id,
            init,
            principal,
            created_ms: unix_ms(),
            pinned: AtomicBool::new(false),
            log_level: AtomicU8::new(LEVEL_UNSET),
            last_seen: AtomicU64::new(now),
            persisted: AtomicU64::new(now),
            stream: Mutex::new(None),
            subscriptions: Mutex::new(Vec::new()),
            state: RwLock::new(state),
            version: AtomicU64::new(0),
            writer: tokio::sync::Mutex::const_new(()),
        }
    }

    /// The version of the state last committed to the store.
    pub(crate) fn state_version(&self) -> u64 {
        self.version.load(Ordering::Acquire)
    }

    pub(crate) fn set_state_version(&self, version: u64) {
        self.version.store(version, Ordering::Release);
    }

    /// Rebuilds a session from a stored record (rehydration or `restore`).
    pub(crate) fn from_stored(stored: &StoredSession, id: SessionId, state: T, now: u64) -> Self {
        let principal = stored.principal.as_deref().map(Principal::from_key);
        let mut entry = Self::new(id, stored.initialize.clone(), principal, state, now);
        entry.created_ms = stored.created_ms;
        entry.set_state_version(stored.version);
        for uri in &stored.subscriptions {
            entry.subscribe(uri);
        }
        if let Some(level) = stored.log_level {
            entry.set_log_level(level);
        }
        entry
    }

    /// The session's id.
    pub(crate) fn id(&self) -> SessionId {
        self.id
    }

    /// The negotiated revision.
    pub(crate) fn version(&self) -> ProtocolVersion {
        self.init.protocol_version
    }

    /// What the client sent in `initialize`.
    pub(crate) fn initialize_record(&self) -> &InitializeRecord {
        &self.init
    }

    /// The principal the session is bound to.
    pub(crate) fn principal(&self) -> Option<&Principal> {
        self.principal.as_ref()
    }

    /// Keeps the session from idling out (a stdio connection's: it ends with the connection).
    pub(crate) fn pin(&self) {
        self.pinned.store(true, Ordering::Relaxed);
    }

    fn is_idle(&self, cutoff: u64) -> bool {
        self.last_seen.load(Ordering::Relaxed) < cutoff && !self.pinned.load(Ordering::Relaxed)
    }

    /// The level set by `logging/setLevel`, if any.
    pub(crate) fn log_level(&self) -> Option<LoggingLevel> {
        LEVELS
            .get(usize::from(self.log_level.load(Ordering::Relaxed)))
            .copied()
    }

    pub(crate) fn set_log_level(&self, level: LoggingLevel) {
        self.log_level.store(level as u8, Ordering::Relaxed);
    }

    /// Attaches the GET stream; `false` when one is already open.
    pub(crate) fn attach_stream(&self, outlet: Outlet) -> bool {
        let mut slot = self.stream.lock().expect("stream slot");
        if slot.as_ref().is_some_and(|s| !s.is_closed()) {
            return false;
        }
        *slot = Some(outlet);
        true
    }

    /// Sends a message on the GET stream, if one is open; `false` when none is, or when it
    /// was just closed because its client does not keep up (it reconnects, and a new GET
    /// finds the slot free).
    pub(crate) fn send_on_stream(&self, event: crate::server::reply::Event) -> bool {
        let mut slot = self.stream.lock().expect("stream slot");
        let Some(outlet) = slot.as_ref() else {
            return false;
        };
        match outlet.send_event(event) {
            Ok(()) => true,
            Err(overflow) => {
                if overflow == Overflow::Full {
                    tracing::warn!(session = %self.id, "closing a GET stream that does not keep up");
                }
                slot.take();
                false
            }
        }
    }

    /// Subscribes to a resource's updates (`resources/subscribe`).
    pub(crate) fn subscribe(&self, uri: &str) {
        let mut subs = self.subscriptions.lock().expect("subscriptions");
        if !subs.iter().any(|s| &**s == uri) {
            subs.push(uri.into());
        }
    }

    /// Ends a subscription (`resources/unsubscribe`).
    pub(crate) fn unsubscribe(&self, uri: &str) {
        self.subscriptions
            .lock()
            .expect("subscriptions")
            .retain(|s| &**s != uri);
    }

    /// Whether the session subscribed to `uri`.
    pub(crate) fn is_subscribed(&self, uri: &str) -> bool {
        self.subscriptions
            .lock()
            .expect("subscriptions")
            .iter()
            .any(|s| &**s == uri)
    }

    /// Ends the GET stream, if one is open.
    pub(crate) fn close_stream(&self) {
        self.stream.lock().expect("stream slot").take();
    }

    /// Whether a touch should go to the store now; at most one per `every`.
    pub(crate) fn take_touch(&self, now: u64, every: Duration) -> bool {
        let last = self.persisted.load(Ordering::Relaxed);
        now.saturating_sub(last) >= every.as_millis() as u64
            && self
                .persisted
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
    }
}

impl<T: Serialize> SessionEntry<T> {
    /// The record a store keeps, with the state given (the caller holds the state's lock).
    pub(crate) fn to_stored_with(&self, state: &T) -> StoredSession {
        let state = serde_json::value::to_raw_value(state).unwrap_or_else(|e| {
            tracing::error!(session = %self.id, "session state does not serialize: {e}");
            RawValue::from_string("null".into()).expect("null is JSON")
        });
        StoredSession {
            id: self.id.to_string(),
            initialize: self.init.clone(),
            principal: self.principal.as_ref().map(|p| p.as_str().to_owned()),
            log_level: self.log_level(),
            created_ms: self.created_ms,
            state,
            version: self.state_version(),
            subscriptions: self
                .subscriptions
                .lock()
                .expect("subscriptions")
                .iter()
                .map(|s| s.to_string())
                .collect(),
        }
    }

    /// The record a store keeps.
    pub(crate) fn to_stored(&self) -> StoredSession {
        self.to_stored_with(&self.state.read().expect("session state"))
    }
}

/// Ids are already uniformly random: hashing them again would be wasted work.
#[derive(Default)]
struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.0 ^= u64::from_le_bytes(word);
        }
    }
    fn write_u128(&mut self, n: u128) {
        self.0 = n as u64 ^ (n >> 64) as u64;
    }
}

/// Keyed by the id's nonce alone: the entry holds the whole id, and a lookup compares it, so
/// the tag is not stored twice per session.
type Shard<T> = RwLock<HashMap<u128, Arc<SessionEntry<T>>, BuildHasherDefault<IdHasher>>>;

const SHARDS: usize = 32;

/// Why a live session could not be used.
#[derive(Debug)]
pub(crate) enum Lookup<T> {
    /// No such live session here: never created, deleted, swept, or live on another process.
    Unknown,
    /// The session was idle longer than the timeout; it has just been removed.
    Expired(Arc<SessionEntry<T>>),
    /// The live-session limit is reached.
    Full,
}

/// The live legacy sessions of one process.
pub(crate) struct SessionMap<T> {
    shards: Box<[Shard<T>]>,
    epoch: Instant,
    idle: Duration,
    len: AtomicUsize,
    limit: usize,
}

impl<T> fmt::Debug for SessionMap<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionMap")
            .field("len", &self.len())
            .field("idle", &self.idle)
            .finish()
    }
}

impl<T> SessionMap<T> {
    /// An empty map whose sessions expire after `idle` without a request, holding at most
    /// `limit` of them.
    pub(crate) fn new(idle: Duration, limit: usize) -> Self {
        let shards = (0..SHARDS).map(|_| Shard::default()).collect();
        Self {
            shards,
            epoch: Instant::now(),
            idle,
            len: AtomicUsize::new(0),
            limit,
        }
    }

    fn shard(&self, id: SessionId) -> &Shard<T> {
        &self.shards[id.shard(SHARDS)]
    }

    /// Now, in the map's clock (milliseconds since it was made).
    pub(crate) fn now(&self) -> u64 {
        self.epoch.elapsed().as_millis() as u64
    }

    /// Adds a session, unless the limit is reached (an existing entry with its id is replaced).
    pub(crate) fn insert(&self, entry: SessionEntry<T>) -> Result<Arc<SessionEntry<T>>, Lookup<T>> {
        if self.len.load(Ordering::Relaxed) >= self.limit {
            return Err(Lookup::Full);
        }
        let entry = Arc::new(entry);
        if self
            .shard(entry.id)
            .write()
            .expect("session shard")
            .insert(entry.id.nonce(), entry.clone())
            .is_none()
        {
            self.len.fetch_add(1, Ordering::Relaxed);
        }
        Ok(entry)
    }

    /// Finds a live session and marks it seen now; an idle one is removed and returned as
    /// [`Lookup::Expired`].
    pub(crate) fn touch(&self, id: SessionId) -> Result<Arc<SessionEntry<T>>, Lookup<T>> {
        let entry = self
            .shard(id)
            .read()
            .expect("session shard")
            .get(&id.nonce())
            .filter(|entry| entry.id == id)
            .cloned()
            .ok_or(Lookup::Unknown)?;
        let now = self.now();
        if entry.is_idle(now.saturating_sub(self.idle.as_millis() as u64)) {
            self.remove(id);
            return Err(Lookup::Expired(entry));
        }
        entry.last_seen.store(now, Ordering::Relaxed);
        Ok(entry)
    }

    /// A live session, without marking it seen.
    pub(crate) fn get(&self, id: SessionId) -> Option<Arc<SessionEntry<T>>> {
        self.shard(id)
            .read()
            .expect("session shard")
            .get(&id.nonce())
            .filter(|entry| entry.id == id)
            .cloned()
    }

    /// Ends a session; returns it when it existed.
    pub(crate) fn remove(&self, id: SessionId) -> Option<Arc<SessionEntry<T>>> {
        let mut shard = self.shard(id).write().expect("session shard");
        // Another id with the same nonce (a forged tag) removes nothing.
        shard.get(&id.nonce()).filter(|entry| entry.id == id)?;
        let removed = shard.remove(&id.nonce())?;
        drop(shard);
        self.len.fetch_sub(1, Ordering::Relaxed);
        removed.close_stream();
        Some(removed)
    }

    /// Removes and returns every session idle longer than the timeout.
    pub(crate) fn sweep(&self) -> Vec<Arc<SessionEntry<T>>> {
        let cutoff = self.now().saturating_sub(self.idle.as_millis() as u64);
        let mut expired = Vec::new();
        for shard in self.shards.iter() {
            shard.write().expect("session shard").retain(|_, s| {
                let keep = !s.is_idle(cutoff);
                if !keep {
                    s.close_stream();
                    expired.push(s.clone());
                }
                keep
            });
        }
        self.len.fetch_sub(expired.len(), Ordering::Relaxed);
        expired
    }

    /// Calls `f` with every live session.
    pub(crate) fn for_each(&self, mut f: impl FnMut(&Arc<SessionEntry<T>>)) {
        for shard in self.shards.iter() {
            for entry in shard.read().expect("session shard").values() {
                f(entry);
            }
        }
    }

    /// How many sessions are live.
    pub(crate) fn len(&self) -> usize {
        self.len.load(Ordering::Relaxed)
    }

    /// Whether no session is live.
    #[cfg(test)]
    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// How long a session may stay idle.
    pub(crate) fn idle_timeout(&self) -> Duration {
        self.idle
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::ClientCapabilities;

    fn entry(map: &SessionMap<()>) -> SessionEntry<()> {
        let init = InitializeRecord {
            protocol_version: ProtocolVersion::V2025_11_25,
            client_info: None,
            capabilities: ClientCapabilities::default(),
        };
        SessionEntry::new(SessionId::random(), init, None, (), map.now())
    }

    #[test]
    fn sessions_expire_when_idle() {
        let map = SessionMap::<()>::new(Duration::from_millis(30), 10);
        let s = map.insert(entry(&map)).unwrap();
        assert!(map.touch(s.id()).is_ok());
        std::thread::sleep(Duration::from_millis(60));
        assert!(matches!(map.touch(s.id()), Err(Lookup::Expired(_))));
        assert!(matches!(map.touch(s.id()), Err(Lookup::Unknown)));
        assert!(map.is_empty());
    }

    #[test]
    fn sweep_removes_only_idle_sessions() {
        let map = SessionMap::<()>::new(Duration::from_millis(40), 10);
        let old = map.insert(entry(&map)).unwrap();
        std::thread::sleep(Duration::from_millis(60));
        let fresh = map.insert(entry(&map)).unwrap();
        let swept = map.sweep();
        assert_eq!(swept.len(), 1);
        assert_eq!(swept[0].id(), old.id());
        assert!(map.touch(fresh.id()).is_ok());
        assert!(map.remove(fresh.id()).is_some());
        assert!(map.is_empty());
    }

    #[test]
    fn an_id_with_another_tag_neither_finds_nor_removes_the_session() {
        let map = SessionMap::<()>::new(Duration::from_secs(60), 10);
        let live = map.insert(entry(&map)).unwrap();
        let mut forged = live.id();
        forged.tag ^= 1;
        assert!(matches!(map.touch(forged), Err(Lookup::Unknown)));
        assert!(map.remove(forged).is_none());
        assert!(map.touch(live.id()).is_ok());
        assert_eq!(map.len(), 1);
    }

    #[test]
    fn the_limit_refuses_new_sessions_only() {
        let map = SessionMap::<()>::new(Duration::from_secs(60), 1);
        let first = map.insert(entry(&map)).unwrap();
        assert!(matches!(map.insert(entry(&map)), Err(Lookup::Full)));
        assert!(map.touch(first.id()).is_ok());
    }

    #[test]
    fn touches_are_coalesced() {
        let map = SessionMap::<()>::new(Duration::from_secs(60), 1);
        let s = map.insert(entry(&map)).unwrap();
        let every = Duration::from_millis(20);
        assert!(!s.take_touch(map.now(), every), "just persisted");
        std::thread::sleep(Duration::from_millis(30));
        assert!(s.take_touch(map.now(), every));
        assert!(!s.take_touch(map.now(), every));
    }
}
