//! The session parameter of tools: `session: Session<MyState>`.

use std::sync::{Arc, RwLockReadGuard};

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::store::{Saved, StoreError};
use super::{InitializeRecord, SessionEntry, SessionId, SessionStore};
use crate::auth::Principal;
use crate::protocol::{ClientCapabilities, ProtocolVersion};

/// The caller's session and its state, as a tool sees it.
///
/// In the legacy era this is the client's session; state changes made with
/// [`update`](Self::update) are written through to the store. A 2026-07-28 request has no
/// session: the tool gets a fresh, default state that is not kept.
///
/// ```no_run
/// use mcp_runtime::prelude::*;
///
/// #[derive(Default, Serialize, Deserialize)]
/// struct Cart {
///     items: Vec<String>,
/// }
///
/// struct Shop;
///
/// #[mcp_server(session = Cart, reinit = "restore")]
/// impl Shop {
///     /// Put an item in this session's cart; returns how many it holds.
///     #[tool]
///     async fn add(&self, session: Session<Cart>, item: String) -> String {
///         let held = session.update(|cart| {
///             cart.items.push(item.clone());
///             cart.items.len()
///         });
///         match held.await {
///             Ok(held) => held.to_string(),
///             Err(e) => e.to_string(),
///         }
///     }
///
///     /// What is in the cart.
///     #[tool(read_only)]
///     fn cart(&self, session: Session<Cart>) -> String {
///         session.read().items.join(", ")
///     }
/// }
///
/// #[tokio::main]
/// async fn main() -> std::process::ExitCode {
///     Shop.serve().await
/// }
/// ```
pub struct Session<T: 'static> {
    entry: Arc<SessionEntry<T>>,
    store: Option<&'static dyn SessionStore>,
}

impl<T> std::fmt::Debug for Session<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.entry.fmt(f)
    }
}

impl<T: Default + Serialize + DeserializeOwned + Send + Sync + 'static> Session<T> {
    pub(crate) fn live(entry: Arc<SessionEntry<T>>, store: &'static dyn SessionStore) -> Self {
        Self {
            entry,
            store: Some(store),
        }
    }

    /// A session that lives only as long as this call (2026-07-28 requests).
    pub fn ephemeral() -> Self {
        Self::ephemeral_for(None)
    }

    /// A session that lives only as long as this call, bound to the caller, so that a tool
    /// sees who calls it in 2026-07-28 as it does in a legacy session.
    pub(crate) fn ephemeral_for(principal: Option<Principal>) -> Self {
        let init = InitializeRecord {
            protocol_version: ProtocolVersion::V2026_07_28,
            client_info: None,
            capabilities: ClientCapabilities::default(),
        };
        Self {
            entry: Arc::new(SessionEntry::new(
                SessionId::EPHEMERAL,
                init,
                principal,
                T::default(),
                0,
            )),
            store: None,
        }
    }

    /// The session id, or `None` for an ephemeral session.
    pub fn id(&self) -> Option<String> {
        self.store.map(|_| self.entry.id().to_string())
    }

    /// What the client sent in `initialize` (`client_info` is `None` after a resume without a
    /// stored record).
    pub fn initialize_record(&self) -> &InitializeRecord {
        self.entry.initialize_record()
    }

    /// The principal the session is bound to.
    pub fn principal(&self) -> Option<&Principal> {
        self.entry.principal()
    }

    /// Reads the state. Do not hold the guard across an `.await`.
    pub fn read(&self) -> RwLockReadGuard<'_, T> {
        self.entry.state.read().expect("session state")
    }

    /// Changes the state and commits it to the store; returns what `f` returned.
    ///
    /// With a store that other processes share (Redis), the change is committed only over the
    /// version it was made to: when another replica committed first, the state is replaced by
    /// the committed one and `f` runs again on it, so no replica's update is lost (`f` may run
    /// more than once; keep it free of other effects). A change that cannot be committed (the
    /// store is unreachable) is undone here and is an error, which a tool returns to its client.
    pub async fn update<R>(&self, mut f: impl FnMut(&mut T) -> R) -> Result<R, StateError> {
        let Some(store) = self.store.filter(|s| s.is_persistent()) else {
            let mut state = self.entry.state.write().expect("session state");
            return Ok(f(&mut state));
        };
        // One update of this session at a time in this process: each builds on a committed
        // state, never on another's change still in flight.
        let _writer = self.entry.writer.lock().await;
        for _ in 0..MAX_ATTEMPTS {
            let expected = self.entry.state_version();
            let (result, stored, before) = {
                let mut state = self.entry.state.write().expect("session state");
                let before = serde_json::to_string(&*state).ok();
                let result = f(&mut state);
                let mut stored = self.entry.to_stored_with(&state);
                stored.version = expected.wrapping_add(1);
                (result, stored, before)
            };
            match store.save_if(stored, expected).await {
                Ok(Saved::Written) => {
                    self.entry.set_state_version(expected.wrapping_add(1));
                    return Ok(result);
                }
                Ok(Saved::Ended) => return Err(StateError::Ended),
                Ok(Saved::Conflict(latest)) => {
                    let committed = serde_json::from_str::<T>(latest.state.get())
                        .map_err(|e| StateError::Unreadable(e.to_string()))?;
                    *self.entry.state.write().expect("session state") = committed;
                    self.entry.set_state_version(latest.version);
                }
                Err(e) => {
                    if let Some(before) = before.and_then(|b| serde_json::from_str(&b).ok()) {
                        *self.entry.state.write().expect("session state") = before;
                    }
                    tracing::warn!(session = %self.entry.id(), "session state not saved: {e}");
                    if let StoreError::TimedOut(_) = e {
                        // The write may still land: the next update reads what the store
                        // holds instead of trusting this copy.
                        self.entry.set_state_version(UNKNOWN_VERSION);
                        return Err(StateError::Unconfirmed);
                    }
                    return Err(StateError::Unsaved(e.to_string()));
                }
            }
        }
        Err(StateError::Contended)
    }
}

/// How many times [`Session::update`] applies a change that other replicas keep beating.
const MAX_ATTEMPTS: usize = 16;

/// A version no record has: a conditional save against it always meets the stored record.
const UNKNOWN_VERSION: u64 = u64::MAX;

/// Why a session's state change was not committed. A tool that returns it gives its client a
/// tool error that says so.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StateError {
    /// The store could not be reached; the change was undone.
    #[error("the session state was not saved, the session store is unavailable; try again later")]
    Unsaved(String),
    /// The store did not confirm the change in time: it may or may not have been saved. The
    /// session's next change starts from what the store holds.
    #[error("the session state may not have been saved: the session store did not answer in time")]
    Unconfirmed,
    /// Other replicas committed changes to this session faster than this one could apply its
    /// own, every time it tried.
    #[error("the session state was not saved: too many concurrent changes; try again")]
    Contended,
    /// The session was ended (DELETE) meanwhile, perhaps on another replica.
    #[error("the session state was not saved: the session has ended")]
    Ended,
    /// The committed state did not read back as this server's state type.
    #[error("the session state in the store is not this server's: {0}")]
    Unreadable(String),
}
