//! Legacy-protocol sessions: where they are kept, and what a client that comes back to a gone
//! one gets.
//!
//! Live sessions are small records in this process's memory, expired by one periodic sweep,
//! with no task, channel or timer each. A [`SessionStore`] keeps them beyond the process and
//! retains expired records for a while, so that the compiled re-initialization policy can
//! resume or restore them. `--store memory` (the default) keeps nothing beyond the process;
//! `--store redis://...` (feature `redis`) keeps sessions across restarts and replicas; and
//! [`Options::session_store`](crate::Options::session_store) takes a store of your own.
//!
//! A store of your own implements [`SessionStore`]; records are plain JSON
//! ([`StoredSession`]), so any key-value store will do:
//!
//! ```
//! use std::collections::HashMap;
//! use std::sync::{Arc, Mutex};
//! use mcp_runtime::Options;
//! use mcp_runtime::session::{Loaded, SessionId, SessionStore, StoreFuture, StoredSession};
//!
//! /// Keeps sessions in a map shared by every server built from the same options: a stand-in
//! /// for a database.
//! #[derive(Debug, Default)]
//! struct Shared(Mutex<HashMap<SessionId, StoredSession>>);
//!
//! impl SessionStore for Shared {
//!     fn is_persistent(&self) -> bool {
//!         true
//!     }
//!     fn load(&self, id: SessionId) -> StoreFuture<'_, Option<Loaded>> {
//!         let found = self.0.lock().unwrap().get(&id).cloned();
//!         Box::pin(async move { Ok(found.map(Loaded::Live)) })
//!     }
//!     fn save(&self, session: StoredSession) -> StoreFuture<'_, ()> {
//!         let id = session.id.parse().expect("ids the runtime wrote");
//!         self.0.lock().unwrap().insert(id, session);
//!         Box::pin(async { Ok(()) })
//!     }
//!     fn touch(&self, _: SessionId) -> StoreFuture<'_, ()> {
//!         Box::pin(async { Ok(()) })
//!     }
//!     fn retire(&self, session: StoredSession) -> StoreFuture<'_, ()> {
//!         self.save(session)
//!     }
//!     fn remove(&self, id: SessionId) -> StoreFuture<'_, ()> {
//!         self.0.lock().unwrap().remove(&id);
//!         Box::pin(async { Ok(()) })
//!     }
//! }
//!
//! let options = Options {
//!     session_store: Some(Arc::new(Shared::default())),
//!     ..Options::default()
//! };
//! # let _ = options;
//! ```

mod entry;
mod handle;
mod headers;
mod record;
#[cfg(feature = "redis")]
mod redis;
pub(crate) mod reinit;
pub(crate) mod resolve;
mod store;

use std::fmt;
use std::str::FromStr;

pub(crate) use entry::{Lookup, SessionEntry, SessionMap};
pub use handle::Session;
pub use headers::Headers;
pub use record::{InitializeRecord, StoredSession};
#[cfg(feature = "redis")]
pub(crate) use redis::RedisStore;
pub(crate) use reinit::ReinitPolicy;
pub use reinit::{NewSession, Reinit, ReinitRequest};
pub(crate) use store::MemoryStore;
pub use store::{Loaded, SessionStore, StoreError, StoreFuture};

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

    use proptest::prelude::*;

    proptest! {
        #[test]
        fn every_id_round_trips(n in any::<u128>()) {
            let text = SessionId(n).to_string();
            prop_assert_eq!(text.len(), 32);
            prop_assert!(text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')));
            prop_assert_eq!(text.parse::<SessionId>(), Ok(SessionId(n)));
        }

        // `u128::from_str_radix` alone would take a `+` sign or uppercase digits.
        #[test]
        fn other_strings_of_32_chars_are_rejected(
            hex in "[0-9a-f]{31}",
            odd in any::<char>().prop_filter("not a lowercase hex digit", |c| {
                !matches!(c, '0'..='9' | 'a'..='f')
            }),
            at in 0..32usize,
        ) {
            let mut text = hex;
            text.insert(at, odd);
            prop_assert_eq!(text.chars().count(), 32);
            prop_assert_eq!(text.parse::<SessionId>(), Err(()));
        }

        #[test]
        fn only_the_written_form_parses(text in prop_oneof!["[+0-9a-fA-F]{30,33}", any::<String>()]) {
            if let Ok(id) = text.parse::<SessionId>() {
                prop_assert_eq!(id.to_string(), text);
            }
        }
    }
}
