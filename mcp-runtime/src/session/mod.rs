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
mod user;

use std::fmt;
use std::hash::{Hash, Hasher};
use std::str::FromStr;
use std::sync::OnceLock;

use hmac::{Hmac, Mac};
use sha2::Sha256;

pub(crate) use entry::{Lookup, SessionEntry, SessionMap};
pub use handle::{Session, StateError};
pub use headers::Headers;
pub use record::{InitializeRecord, StoredSession};
#[cfg(feature = "redis")]
pub(crate) use redis::RedisStore;
pub(crate) use reinit::ReinitPolicy;
pub use reinit::{Issuer, NewSession, Reinit, ReinitRequest};
pub(crate) use store::MemoryStore;
pub use store::{
    Loaded, LogRead, OnLogged, Saved, SessionStore, StoreError, StoreFuture, UserRecord, UserSaved,
};
pub use user::{User, UserStateError};

/// A session id, verifiable by the deployment that issued it: a 128-bit nonce (this process's
/// random instance number, then 64 random bits) and a 128-bit tag, HMAC-SHA256 of the nonce
/// under a key derived from the deployment secret, sent as 64 lowercase hex digits.
///
/// A client cannot make up an id that verifies, so a resuming policy resumes only ids this
/// deployment issued; processes that share the secret (`MCP_STATE_KEY`) verify each other's.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct SessionId {
    nonce: u128,
    tag: u128,
}

impl SessionId {
    /// The id of sessions that live only as long as one call; never sent to a client, and it
    /// does not verify.
    pub(crate) const EPHEMERAL: Self = Self { nonce: 0, tag: 0 };

    /// A fresh id, issued by this process.
    pub fn random() -> Self {
        let mut bytes = [0u8; 8];
        getrandom::fill(&mut bytes).expect("the operating system's random source failed");
        Self::issue(instance(), u64::from_le_bytes(bytes))
    }

    /// An id as another process sharing the deployment secret issues it.
    #[cfg(test)]
    pub(crate) fn from_another_process() -> Self {
        Self::issue(instance().wrapping_add(1), Self::random().nonce as u64)
    }

    fn issue(instance: u64, random: u64) -> Self {
        let nonce = (u128::from(instance) << 64) | u128::from(random);
        let tag = tagger().chain_update(nonce.to_be_bytes()).finalize();
        let tag = u128::from_be_bytes(tag.into_bytes()[..16].try_into().expect("16 bytes"));
        Self { nonce, tag }
    }

    /// Whether this deployment issued the id: its tag verifies under the deployment's key.
    /// About a microsecond (two SHA-256 blocks): done only for ids that are not live here.
    pub(crate) fn is_authentic(&self) -> bool {
        tagger()
            .chain_update(self.nonce.to_be_bytes())
            .verify_truncated_left(&self.tag.to_be_bytes())
            .is_ok()
    }

    /// Whether this very process issued the id (it may still be authentic when not: issued
    /// before a restart, or by another replica).
    pub(crate) fn is_from_this_process(&self) -> bool {
        (self.nonce >> 64) as u64 == instance()
    }

    /// The untagged part of the id, which alone keys the live map.
    fn nonce(self) -> u128 {
        self.nonce
    }

    fn shard(self, shards: usize) -> usize {
        (self.nonce as usize) % shards
    }
}

/// The keyed HMAC state, cloned per use so that the key is not hashed again each time.
fn tagger() -> Hmac<Sha256> {
    static TAGGER: OnceLock<Hmac<Sha256>> = OnceLock::new();
    TAGGER
        .get_or_init(|| {
            let key = crate::secret::derive("session-id");
            Hmac::new_from_slice(&key).expect("HMAC takes any key")
        })
        .clone()
}

/// This process's instance number, the first half of every nonce it issues.
fn instance() -> u64 {
    static INSTANCE: OnceLock<u64> = OnceLock::new();
    *INSTANCE.get_or_init(|| {
        let mut bytes = [0u8; 8];
        getrandom::fill(&mut bytes).expect("the operating system's random source failed");
        u64::from_le_bytes(bytes)
    })
}

// The nonce's random half is already uniform: it alone is the hash, and equal ids have equal
// nonces.
impl Hash for SessionId {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u128(self.nonce);
    }
}

impl fmt::Display for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:032x}{:032x}", self.nonce, self.tag)
    }
}

impl fmt::Debug for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl FromStr for SessionId {
    type Err = ();
    /// Accepts exactly the form [`SessionId`]'s `Display` writes; whether the id verifies is
    /// another question, answered where sessions are resolved.
    fn from_str(s: &str) -> Result<Self, ()> {
        // Read on every legacy request: one pass, no generic radix parsing.
        let bytes = s.as_bytes();
        if bytes.len() != 64 {
            return Err(());
        }
        let half = |h: &[u8]| {
            h.iter()
                .try_fold(0u128, |n, &c| Ok((n << 4) | u128::from(nibble(c)?)))
        };
        Ok(Self {
            nonce: half(&bytes[..32])?,
            tag: half(&bytes[32..])?,
        })
    }
}

/// The value of a lowercase hex digit.
fn nibble(c: u8) -> Result<u8, ()> {
    match c {
        b'0'..=b'9' => Ok(c - b'0'),
        b'a'..=b'f' => Ok(c - b'a' + 10),
        _ => Err(()),
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
        assert_eq!(id.to_string().len(), 64);
        assert!("xyz".parse::<SessionId>().is_err());
        let upper = "0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef";
        assert!(upper.parse::<SessionId>().is_err());
        // The form before ids carried a tag.
        assert!(
            "0123456789abcdef0123456789abcdef"
                .parse::<SessionId>()
                .is_err()
        );
        assert_ne!(SessionId::random(), SessionId::random());
    }

    #[test]
    fn issued_ids_verify_and_made_up_ones_do_not() {
        let id = SessionId::random();
        assert!(id.is_authentic() && id.is_from_this_process());
        assert!(!SessionId::EPHEMERAL.is_authentic());
        let zeros = "0".repeat(64).parse::<SessionId>().unwrap();
        assert_eq!(zeros, SessionId::EPHEMERAL);
        // Another process sharing the secret: authentic, not from here.
        let other = SessionId::from_another_process();
        assert!(other.is_authentic() && !other.is_from_this_process());
    }

    use proptest::prelude::*;

    fn any_id() -> impl Strategy<Value = SessionId> {
        (any::<u128>(), any::<u128>()).prop_map(|(nonce, tag)| SessionId { nonce, tag })
    }

    proptest! {
        #[test]
        fn every_id_round_trips(id in any_id()) {
            let text = id.to_string();
            prop_assert_eq!(text.len(), 64);
            prop_assert!(text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')));
            prop_assert_eq!(text.parse::<SessionId>(), Ok(id));
        }

        // `u128::from_str_radix` alone would take a `+` sign or uppercase digits.
        #[test]
        fn other_strings_of_64_chars_are_rejected(
            hex in "[0-9a-f]{63}",
            odd in any::<char>().prop_filter("not a lowercase hex digit", |c| {
                !matches!(c, '0'..='9' | 'a'..='f')
            }),
            at in 0..64usize,
        ) {
            let mut text = hex;
            text.insert(at, odd);
            prop_assert_eq!(text.chars().count(), 64);
            prop_assert_eq!(text.parse::<SessionId>(), Err(()));
        }

        #[test]
        fn only_the_written_form_parses(text in prop_oneof!["[+0-9a-fA-F]{62,65}", any::<String>()]) {
            if let Ok(id) = text.parse::<SessionId>() {
                prop_assert_eq!(id.to_string(), text);
            }
        }

        // A client that changes any bit of an issued id, or invents one, holds no session.
        #[test]
        fn only_issued_ids_verify(
            instance in any::<u64>(),
            random in any::<u64>(),
            bit in 0..256u32,
            made_up in any_id(),
        ) {
            let id = SessionId::issue(instance, random);
            prop_assert!(id.is_authentic());
            let mut forged = id;
            match bit {
                0..128 => forged.nonce ^= 1 << bit,
                _ => forged.tag ^= 1 << (bit - 128),
            }
            prop_assert!(!forged.is_authentic());
            prop_assert!(!made_up.is_authentic());
        }
    }
}
