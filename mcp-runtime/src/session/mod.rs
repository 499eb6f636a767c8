//! Legacy-protocol sessions, and what happens when a client comes back to one that is gone.
//!
//! Live sessions are small records in a sharded concurrent map ([`SessionMap`]), expired by one
//! periodic sweep: no task, channel or timer per session. A [`SessionStore`] keeps them beyond
//! the process (Redis) and retains expired records for a while, so that a compiled
//! re-initialization policy ([`ReinitPolicy`]) can resume or restore them.

mod entry;
mod handle;
mod record;
#[cfg(feature = "redis")]
mod redis;
mod reinit;
mod store;

use std::fmt;
use std::str::FromStr;

pub use entry::{Lookup, SessionEntry, SessionMap};
pub use handle::Session;
pub use record::{InitializeRecord, StoredSession};
#[cfg(feature = "redis")]
pub use redis::RedisStore;
pub use reinit::{NewSession, Reinit, ReinitPolicy, ReinitRequest};
pub use store::{Loaded, MemoryStore, SessionStore, StoreError, StoreFuture};

/// A session id: 128 bits from the operating system's CSPRNG, sent as 32 lowercase hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct SessionId(u128);

impl SessionId {
    /// The id of sessions that live only as long as one call; never sent to a client.
    pub(crate) const EPHEMERAL: Self = Self(0);

    /// A fresh random id.
    pub fn random() -> Self {
        let mut bytes = [0u8; 16];
        getrandom::fill(&mut bytes).expect("the operating system's random source failed");
        Self(u128::from_le_bytes(bytes))
    }

    fn shard(self, shards: usize) -> usize {
        (self.0 as usize) % shards
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
        let hex = |b: u8| b.is_ascii_digit() || (b'a'..=b'f').contains(&b);
        if s.len() != 32 || !s.bytes().all(hex) {
            return Err(());
        }
        u128::from_str_radix(s, 16).map(Self).map_err(|_| ())
    }
}

/// Milliseconds since the Unix epoch: the clock of stored records, shared by processes.
pub(crate) fn unix_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
