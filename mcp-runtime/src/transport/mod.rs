//! Transports: newline-delimited JSON on stdio, and streamable HTTP.

pub(crate) mod accept;
pub(crate) mod http;
pub(crate) mod stdio;
pub(crate) mod trace;
mod wire_log;

pub(crate) use wire_log::WireLog;

use tokio::sync::watch;

use crate::protocol::ErrorObject;
use crate::protocol::jsonrpc::{Incoming, InvalidMessage};

/// One message as either transport receives it. JSON text is UTF-8 (RFC 8259); the parser
/// checks only the strings it reads, so bytes elsewhere, in a field it skips, are checked here.
fn parse(bytes: &[u8]) -> Result<Incoming<'_>, InvalidMessage> {
    if let Err(e) = std::str::from_utf8(bytes) {
        let error = ErrorObject::parse_error(format_args!("the message is not UTF-8: {e}"));
        return Err(InvalidMessage { id: None, error });
    }
    Incoming::parse(bytes)
}

/// The server's shutdown, as long-lived streams and connections learn of it. The default never
/// closes: a router mounted in an application of its own leaves shutdown to that application.
#[derive(Clone, Debug, Default)]
pub(crate) struct Closing(Option<watch::Sender<bool>>);

impl Closing {
    /// A shutdown that [`close`](Self::close) starts.
    pub(crate) fn new() -> Self {
        Self(Some(watch::Sender::new(false)))
    }

    /// Starts the shutdown: every [`Signal::wait`] returns.
    pub(crate) fn close(&self) {
        if let Some(tx) = &self.0 {
            tx.send_replace(true);
        }
    }

    /// What one stream or connection waits on.
    pub(crate) fn signal(&self) -> Signal {
        Signal(self.0.as_ref().map(watch::Sender::subscribe))
    }
}

/// One listener's view of [`Closing`].
#[derive(Debug)]
pub(crate) struct Signal(Option<watch::Receiver<bool>>);

impl Signal {
    /// Returns once the shutdown has started (at once if it already has); never for a
    /// [`Closing`] that cannot close.
    pub(crate) async fn wait(&mut self) {
        match &mut self.0 {
            // An error means every sender is gone: nothing is left to serve.
            Some(rx) => drop(rx.wait_for(|closing| *closing).await),
            None => std::future::pending().await,
        }
    }
}
