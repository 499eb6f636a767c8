//! State that follows the caller: `user: User<Notes>`.

use std::collections::HashMap;
use std::marker::PhantomData;
use std::sync::Arc;

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::SessionStore;
use super::store::{StoreError, UserRecord, UserSaved};
use crate::auth::Principal;
use crate::server::Context;

/// The authenticated caller's own state, kept in the session store under its identity (issuer
/// and subject), whatever the era, session or replica of the call.
///
/// A legacy session's [`Session`](super::Session) state ends with the session; `User` state is
/// the caller's. A client of the stateless 2026-07-28 revision has no session at all, yet sees
/// the same `User` state as the same user's legacy client, across calls, restarts (with
/// `--store redis://...`) and replicas. The server declares the type once,
/// `#[mcp_server(user = T)]`, and any tool, resource or prompt takes `user: User<T>`.
///
/// `User` state needs an authenticated caller: serving a server that declares it without
/// authentication (OAuth, API keys, or a layer of your own, see
/// [`Options::external_auth`](crate::Options::external_auth)) is a start-up error.
///
/// ```no_run
/// use mcp_runtime::prelude::*;
///
/// #[derive(Default, Serialize, Deserialize)]
/// struct Notes {
///     notes: Vec<String>,
/// }
///
/// struct Notebook;
///
/// #[mcp_server(user = Notes)]
/// impl Notebook {
///     /// Keep a note; returns how many the caller has.
///     #[tool]
///     async fn add_note(&self, user: User<Notes>, text: String) -> Result<String, String> {
///         let held = user.update(|n| {
///             n.notes.push(text.clone());
///             n.notes.len()
///         });
///         held.await.map(|n| n.to_string()).map_err(|e| e.to_string())
///     }
///
///     /// The caller's notes.
///     #[tool(read_only)]
///     async fn notes(&self, user: User<Notes>) -> Result<String, String> {
///         let notes = user.get().await.map_err(|e| e.to_string())?;
///         Ok(notes.notes.join("\n"))
///     }
/// }
///
/// #[tokio::main]
/// async fn main() -> std::process::ExitCode {
///     Notebook.serve().await
/// }
/// ```
pub struct User<T: 'static> {
    principal: Principal,
    store: &'static dyn SessionStore,
    state: PhantomData<fn() -> T>,
}

impl<T> std::fmt::Debug for User<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("User")
            .field("principal", &self.principal)
            .finish_non_exhaustive()
    }
}

impl<T: Default + Serialize + DeserializeOwned + Send + Sync + 'static> User<T> {
    pub(crate) fn new(principal: Principal, store: &'static dyn SessionStore) -> Self {
        Self {
            principal,
            store,
            state: PhantomData,
        }
    }

    /// The state of the call's caller; `Err` (a message for the client) when the call has no
    /// authenticated caller. Generated code calls it for a `User<T>` parameter.
    #[doc(hidden)]
    pub fn of(cx: &Context) -> Result<Self, String> {
        match (cx.principal(), cx.store()) {
            (Some(principal), Some(store)) => Ok(Self::new(principal.clone(), store)),
            _ => Err(
                "this needs an authenticated caller: its state is kept per user, and the \
                      request carried no credentials the server accepted"
                    .into(),
            ),
        }
    }

    /// Who the state belongs to.
    pub fn principal(&self) -> &Principal {
        &self.principal
    }

    /// The caller's state as the store holds it now; the default when it has none yet.
    pub async fn get(&self) -> Result<T, UserStateError> {
        Ok(self.load().await?.1)
    }

    /// Changes the caller's state and commits it to the store; returns what `f` returned.
    ///
    /// The change is committed only over the version it was made to: when another call of
    /// the same caller (on this replica or another) committed first, `f` runs again on the
    /// committed state, so no update is lost (`f` may run more than once; keep it free of
    /// other effects). Calls of one caller on one replica take turns; other callers do not
    /// wait for them.
    pub async fn update<R>(&self, mut f: impl FnMut(&mut T) -> R) -> Result<R, UserStateError> {
        let turn = Turn::of(self.principal.as_str());
        let _mine = turn.lock().lock().await;
        let (mut version, mut state) = self.load().await?;
        for _ in 0..MAX_ATTEMPTS {
            let result = f(&mut state);
            let json = serde_json::to_string(&state)
                .map_err(|e| UserStateError::Unsaved(e.to_string()))?;
            let saved = self
                .store
                .save_user_if(self.principal.as_str(), json, version)
                .await
                .map_err(|e| self.failed(e, true))?;
            let latest = match saved {
                UserSaved::Written => return Ok(result),
                UserSaved::Conflict(latest) => latest,
            };
            (version, state) = parse(latest)?;
        }
        Err(UserStateError::Contended)
    }

    async fn load(&self) -> Result<(u64, T), UserStateError> {
        let record = self
            .store
            .load_user(self.principal.as_str())
            .await
            .map_err(|e| self.failed(e, false))?;
        parse(record)
    }

    fn failed(&self, e: StoreError, writing: bool) -> UserStateError {
        tracing::warn!(caller = %self.principal, "the caller's state is unavailable: {e}");
        match e {
            StoreError::TimedOut(_) if writing => UserStateError::Unconfirmed,
            StoreError::Corrupt(e) => UserStateError::Unreadable(e.to_string()),
            e => UserStateError::Unavailable(e.to_string()),
        }
    }
}

/// A record's version and state; version 0 and the default when there is none.
fn parse<T: Default + DeserializeOwned>(
    record: Option<UserRecord>,
) -> Result<(u64, T), UserStateError> {
    match record {
        None => Ok((0, T::default())),
        Some(UserRecord { version, state }) => serde_json::from_str(&state)
            .map(|state| (version, state))
            .map_err(|e| UserStateError::Unreadable(e.to_string())),
    }
}

/// How many times [`User::update`] applies a change that other replicas keep beating.
const MAX_ATTEMPTS: usize = 16;

/// The calls of one caller on this replica that change its state take turns, instead of racing
/// each other through the store; other callers never wait for them. A caller's lock lives in
/// [`TURNS`] while one of its changes runs or waits, and no longer.
struct Turn {
    key: Box<str>,
    lock: Option<Arc<tokio::sync::Mutex<()>>>,
}

type Turns = HashMap<Box<str>, Arc<tokio::sync::Mutex<()>>>;

static TURNS: std::sync::LazyLock<std::sync::Mutex<Turns>> =
    std::sync::LazyLock::new(Default::default);

fn turns() -> std::sync::MutexGuard<'static, Turns> {
    // The map stays consistent whatever panicked while holding it: no code runs under it
    // but the map's own.
    TURNS
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Turn {
    fn of(key: &str) -> Self {
        let lock = turns().entry(key.into()).or_default().clone();
        Self {
            key: key.into(),
            lock: Some(lock),
        }
    }

    fn lock(&self) -> &tokio::sync::Mutex<()> {
        self.lock.as_deref().expect("held until dropped")
    }
}

impl Drop for Turn {
    fn drop(&mut self) {
        // Counted under the map's lock, where every other holder took its clone: when only
        // the map's is left, no change of this caller runs or waits here.
        let mut turns = turns();
        drop(self.lock.take());
        if turns
            .get(&self.key)
            .is_some_and(|l| Arc::strong_count(l) == 1)
        {
            turns.remove(&self.key);
        }
    }
}

/// Why the caller's state could not be read or changed. A tool that returns it gives its
/// client a tool error that says so.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UserStateError {
    /// The store could not be reached or refused the command. Nothing was changed, unless the
    /// connection broke after the change was sent (reading the state back tells).
    #[error(
        "the caller's state is unavailable: the session store cannot be reached; try again later"
    )]
    Unavailable(String),
    /// The change could not be written; nothing was changed.
    #[error("the caller's state was not saved: {0}")]
    Unsaved(String),
    /// The store did not confirm the change in time: it may or may not have been saved.
    #[error("the caller's state may not have been saved: the session store did not answer in time")]
    Unconfirmed,
    /// Other calls of the same caller committed changes faster than this one could apply its
    /// own, every time it tried.
    #[error("the caller's state was not saved: too many concurrent changes; try again")]
    Contended,
    /// The stored state did not read back as this server's state type.
    #[error("the caller's state in the store is not this server's: {0}")]
    Unreadable(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_callers_turn_is_its_own_and_is_forgotten_after_it() {
        let a = Turn::of("turn-test-a");
        let held = a.lock().lock().await;
        let b = Turn::of("turn-test-b");
        assert!(b.lock().try_lock().is_ok(), "another caller does not wait");
        let again = Turn::of("turn-test-a");
        assert!(again.lock().try_lock().is_err(), "the same caller does");
        drop(b);
        assert!(!turns().contains_key("turn-test-b"));
        drop(held);
        drop(a);
        assert!(
            turns().contains_key("turn-test-a"),
            "another change still waits"
        );
        drop(again);
        assert!(!turns().contains_key("turn-test-a"));
    }
}
