//! The log bridge (`--log-to-client`): `tracing` events that a tool handler of the server's
//! own crate emits while it runs reach the calling client as `notifications/message`, at the
//! level the client asked for and never below it (legacy `logging/setLevel`, or `info` until
//! the client sets one; the 2026-07-28 request's `logLevel`, and nothing without one).
//!
//! The call's log sink travels with the handler's future (a task-local, so tasks the handler
//! spawns do not carry it); the layer looks it up when an event fires. Only events whose
//! target is in the server's crate are considered: the runtime's and libraries' are not the
//! client's business. Off, the bridge costs a call nothing.

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};

use futures_util::future::Either;
use serde_json::{Map, Value};
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context as LayerContext, Layer};

use super::Context;
use crate::protocol::LoggingLevel;

static ON: AtomicBool = AtomicBool::new(false);

tokio::task_local! {
    static SINK: Context;
}

/// Whether the bridge is installed, so that calls carry their log sink.
pub(crate) fn on() -> bool {
    ON.load(Ordering::Relaxed)
}

/// The layer that forwards the events of the crate named `krate` (as in its `tracing`
/// targets), filtered to that crate. Installing it turns the bridge on.
pub(crate) fn layer<S>(krate: &str) -> impl Layer<S> + Send + Sync + 'static
where
    S: Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
{
    ON.store(true, Ordering::Relaxed);
    let prefix = krate.to_owned();
    Bridge.with_filter(tracing_subscriber::filter::filter_fn(move |meta| {
        meta.is_event()
            && *meta.level() <= Level::DEBUG
            && meta.target().split("::").next() == Some(prefix.as_str())
    }))
}

/// Where a call's bridged events go: `cx`'s client, when the bridge is on and the call can
/// send messages. Taken before `cx` moves into the handler.
pub(crate) fn sink(cx: &Context) -> Option<Context> {
    if on() { cx.log_sink() } else { None }
}

/// The handler's future, carrying the call's log sink if it has one.
pub(crate) fn scoped<F: Future>(
    sink: Option<Context>,
    future: F,
) -> impl Future<Output = F::Output> {
    match sink {
        Some(sink) => Either::Left(SINK.scope(sink, future)),
        None => Either::Right(future),
    }
}

struct Bridge;

impl<S: Subscriber> Layer<S> for Bridge {
    fn on_event(&self, event: &Event<'_>, _: LayerContext<'_, S>) {
        let _ = SINK.try_with(|sink| {
            let level = match *event.metadata().level() {
                Level::ERROR => LoggingLevel::Error,
                Level::WARN => LoggingLevel::Warning,
                Level::INFO => LoggingLevel::Info,
                _ => LoggingLevel::Debug,
            };
            if !sink.admits_bridged(level) {
                return;
            }
            let mut fields = Fields(Map::new());
            event.record(&mut fields);
            sink.log(
                level,
                Some(event.metadata().target()),
                Value::Object(fields.0),
            );
        });
    }
}

/// An event's fields as a JSON object; its message under `message`.
struct Fields(Map<String, Value>);

impl Visit for Fields {
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.0.insert(field.name().into(), value.into());
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.0.insert(field.name().into(), value.into());
    }
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.0.insert(field.name().into(), value.into());
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.0.insert(field.name().into(), value.into());
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().into(), value.into());
    }
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0
            .insert(field.name().into(), format!("{value:?}").into());
    }
}
