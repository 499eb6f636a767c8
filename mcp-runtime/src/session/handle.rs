//! The session parameter of tools: `session: Session<MyState>`.

use std::sync::{Arc, RwLockReadGuard};

use serde::Serialize;

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
///             cart.items.push(item);
///             cart.items.len()
///         });
///         held.await.to_string()
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

impl<T: Default + Serialize + Send + Sync + 'static> Session<T> {
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

    /// Changes the state and writes the session through to the store.
    pub async fn update<R>(&self, f: impl FnOnce(&mut T) -> R) -> R {
        let (result, stored) = {
            let mut state = self.entry.state.write().expect("session state");
            let result = f(&mut state);
            let persist = self.store.is_some_and(|s| s.is_persistent());
            (result, persist.then(|| self.entry.to_stored_with(&state)))
        };
        if let (Some(store), Some(stored)) = (self.store, stored)
            && let Err(e) = store.save(stored).await
        {
            tracing::warn!(session = %self.entry.id(), "session state not saved: {e}");
        }
        result
    }
}
