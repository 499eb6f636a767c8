//! Legacy-protocol sessions: small records in a sharded concurrent map, expired by a periodic
//! sweep. No task, channel or timer per session.

use std::collections::HashMap;
use std::fmt;
use std::hash::{BuildHasherDefault, Hasher};
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use crate::protocol::{ClientCapabilities, Implementation, LoggingLevel, ProtocolVersion};
use crate::server::Emitter;

/// A session id: 128 bits from the operating system's CSPRNG, sent as 32 lowercase hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct SessionId(u128);

impl SessionId {
    /// A fresh random id.
    pub fn random() -> Self {
        let mut bytes = [0u8; 16];
        getrandom::fill(&mut bytes).expect("the operating system's random source failed");
        Self(u128::from_le_bytes(bytes))
    }
}

impl fmt::Display for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:032x}", self.0)
    }
}

impl fmt::Debug for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl FromStr for SessionId {
    type Err = ();
    /// Accepts exactly the form [`SessionId`]'s `Display` writes.
    fn from_str(s: &str) -> Result<Self, ()> {
        if s.len() != 32
            || !s
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        {
            return Err(());
        }
        u128::from_str_radix(s, 16).map(Self).map_err(|_| ())
    }
}

/// What a client said about itself in `initialize`.
#[derive(Clone, Debug)]
pub struct InitializeRecord {
    /// The negotiated revision.
    pub version: ProtocolVersion,
    /// The client's name and version.
    pub client_info: Implementation,
    /// The client's capabilities.
    pub capabilities: ClientCapabilities,
}

const LEVEL_UNSET: u8 = u8::MAX;

/// One legacy session.
pub struct Session<T> {
    id: SessionId,
    init: InitializeRecord,
    initialized: AtomicBool,
    log_level: AtomicU8,
    last_seen_ms: AtomicU64,
    stream: Mutex<Option<Emitter>>,
    /// The user's per-session state.
    pub state: RwLock<T>,
}

impl<T> fmt::Debug for Session<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("id", &self.id)
            .field("version", &self.init.version)
            .finish_non_exhaustive()
    }
}

impl<T: Default> Session<T> {
    /// A fresh session, seen at `now_ms`.
    pub(crate) fn new(init: InitializeRecord, now_ms: u64) -> Self {
        Self {
            id: SessionId::random(),
            init,
            initialized: AtomicBool::new(false),
            log_level: AtomicU8::new(LEVEL_UNSET),
            last_seen_ms: AtomicU64::new(now_ms),
            stream: Mutex::new(None),
            state: RwLock::new(T::default()),
        }
    }
}

impl<T> Session<T> {
    /// The session's id.
    pub fn id(&self) -> SessionId {
        self.id
    }

    /// The negotiated revision.
    pub fn version(&self) -> ProtocolVersion {
        self.init.version
    }

    /// What the client sent in `initialize`.
    pub fn initialize_record(&self) -> &InitializeRecord {
        &self.init
    }

    /// Whether `notifications/initialized` has arrived.
    pub fn is_initialized(&self) -> bool {
        self.initialized.load(Ordering::Relaxed)
    }

    pub(crate) fn mark_initialized(&self) {
        self.initialized.store(true, Ordering::Relaxed);
    }

    /// The level set by `logging/setLevel`, if any.
    pub fn log_level(&self) -> Option<LoggingLevel> {
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
        LEVELS
            .get(usize::from(self.log_level.load(Ordering::Relaxed)))
            .copied()
    }

    pub(crate) fn set_log_level(&self, level: LoggingLevel) {
        self.log_level.store(level as u8, Ordering::Relaxed);
    }

    /// Attaches the GET stream; `false` when one is already open.
    pub(crate) fn attach_stream(&self, emitter: Emitter) -> bool {
        let mut slot = self.stream.lock().expect("stream slot");
        if slot.as_ref().is_some_and(|s| !s.is_closed()) {
            return false;
        }
        *slot = Some(emitter);
        true
    }

    fn close_stream(&self) {
        self.stream.lock().expect("stream slot").take();
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

type Shard<T> = RwLock<HashMap<SessionId, Arc<Session<T>>, BuildHasherDefault<IdHasher>>>;

const SHARDS: usize = 32;

/// Why a session could not be used.
#[derive(Debug, PartialEq, Eq)]
pub enum Lookup {
    /// No such session: never created, deleted, or swept.
    Unknown,
    /// The session exists but was idle longer than the timeout.
    Expired,
}

/// The live legacy sessions of one server.
pub struct SessionMap<T> {
    shards: Box<[Shard<T>]>,
    epoch: Instant,
    idle: Duration,
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
    /// How many sessions are live.
    pub fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|s| s.read().expect("session shard").len())
            .sum()
    }

    /// Whether no session is live.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// How long a session may stay idle.
    pub fn idle_timeout(&self) -> Duration {
        self.idle
    }
}

impl<T: Default> SessionMap<T> {
    /// An empty map whose sessions expire after `idle` without a request.
    pub fn new(idle: Duration) -> Self {
        Self {
            shards: (0..SHARDS).map(|_| Shard::default()).collect(),
            epoch: Instant::now(),
            idle,
        }
    }

    fn shard(&self, id: SessionId) -> &Shard<T> {
        &self.shards[(id.0 as usize) % SHARDS]
    }

    fn now_ms(&self) -> u64 {
        self.epoch.elapsed().as_millis() as u64
    }

    /// Creates a session for an `initialize` request.
    pub fn create(&self, init: InitializeRecord) -> Arc<Session<T>> {
        let session = Arc::new(Session::new(init, self.now_ms()));
        self.shard(session.id)
            .write()
            .expect("session shard")
            .insert(session.id, session.clone());
        session
    }

    /// Finds a live session and marks it seen now.
    pub fn touch(&self, id: SessionId) -> Result<Arc<Session<T>>, Lookup> {
        let session = self
            .shard(id)
            .read()
            .expect("session shard")
            .get(&id)
            .cloned()
            .ok_or(Lookup::Unknown)?;
        let now = self.now_ms();
        if now.saturating_sub(session.last_seen_ms.load(Ordering::Relaxed))
            > self.idle.as_millis() as u64
        {
            self.remove(id);
            return Err(Lookup::Expired);
        }
        session.last_seen_ms.store(now, Ordering::Relaxed);
        Ok(session)
    }

    /// Ends a session; `false` when it did not exist.
    pub fn remove(&self, id: SessionId) -> bool {
        let removed = self.shard(id).write().expect("session shard").remove(&id);
        removed.inspect(|s| s.close_stream()).is_some()
    }

    /// Removes every session idle longer than the timeout; returns how many.
    pub fn sweep(&self) -> usize {
        let cutoff = self.now_ms().saturating_sub(self.idle.as_millis() as u64);
        let mut removed = 0;
        for shard in self.shards.iter() {
            let mut map = shard.write().expect("session shard");
            map.retain(|_, s| {
                let keep = s.last_seen_ms.load(Ordering::Relaxed) >= cutoff;
                if !keep {
                    s.close_stream();
                    removed += 1;
                }
                keep
            });
        }
        removed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record() -> InitializeRecord {
        InitializeRecord {
            version: ProtocolVersion::V2025_11_25,
            client_info: Implementation::new("c", "1"),
            capabilities: ClientCapabilities::default(),
        }
    }

    #[test]
    fn ids_round_trip_and_reject_other_forms() {
        let id = SessionId::random();
        assert_eq!(id.to_string().parse::<SessionId>(), Ok(id));
        assert_eq!(id.to_string().len(), 32);
        assert!("xyz".parse::<SessionId>().is_err());
        assert!(
            "0123456789ABCDEF0123456789abcdef"
                .parse::<SessionId>()
                .is_err()
        );
        assert_ne!(SessionId::random(), SessionId::random());
    }

    #[test]
    fn sessions_expire_when_idle() {
        let map = SessionMap::<()>::new(Duration::from_millis(30));
        let s = map.create(record());
        assert!(map.touch(s.id()).is_ok());
        std::thread::sleep(Duration::from_millis(60));
        assert_eq!(map.touch(s.id()).unwrap_err(), Lookup::Expired);
        assert_eq!(map.touch(s.id()).unwrap_err(), Lookup::Unknown);
    }

    #[test]
    fn sweep_removes_only_idle_sessions() {
        let map = SessionMap::<()>::new(Duration::from_millis(40));
        let old = map.create(record());
        std::thread::sleep(Duration::from_millis(60));
        let fresh = map.create(record());
        assert_eq!(map.sweep(), 1);
        assert!(map.touch(fresh.id()).is_ok());
        assert_eq!(map.touch(old.id()).unwrap_err(), Lookup::Unknown);
        assert!(map.remove(fresh.id()));
        assert!(map.is_empty());
    }
}
