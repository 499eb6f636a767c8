//! Handlers that panic: the call is answered with -32603 and the server goes on. Only the
//! user's future is wrapped, so a call that does not panic pays nothing more than a poll
//! through `catch_unwind`'s landing pad.

use std::any::Any;
use std::future::Future;
use std::panic::AssertUnwindSafe;

use futures_util::FutureExt;
use futures_util::future::CatchUnwind;

use crate::protocol::ErrorObject;

/// What a panicking handler left behind.
pub(crate) type Panic = Box<dyn Any + Send>;

/// A user future whose panic becomes `Err(Panic)`.
pub(crate) type Caught<F> = CatchUnwind<AssertUnwindSafe<F>>;

/// Wraps a user's future so that its panic is caught. Handlers share no state with the
/// runtime that a panic could leave half-changed (sessions are behind their own locks, which
/// poisoning reports), so asserting unwind safety here is sound.
pub(crate) fn catching<F: Future>(future: F) -> Caught<F> {
    AssertUnwindSafe(future).catch_unwind()
}

/// Logs a handler's panic (`kind`: "tool", "prompt", ...; `name`: which one) and returns the
/// error the client gets, which names nothing of the server's internals.
pub(crate) fn failed(kind: &'static str, name: &str, panic: Panic) -> ErrorObject {
    let message = panic
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("(a non-text payload)");
    tracing::error!(kind, name, panic = message, "a handler panicked");
    ErrorObject::internal(format!("the {kind} failed unexpectedly"))
}

/// Runs a user's future to its end; a panic is logged (see [`failed`]) and becomes the error
/// the client gets. For handlers awaited in place: `on_initialize`, `on_reinit`, resources,
/// completions.
pub(crate) async fn guarded<F: Future>(
    kind: &'static str,
    name: &str,
    future: F,
) -> Result<F::Output, ErrorObject> {
    catching(future)
        .await
        .map_err(|panic| failed(kind, name, panic))
}
