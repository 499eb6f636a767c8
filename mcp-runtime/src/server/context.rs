//! The per-call context a handler can take as a parameter: progress and logging, in either era.

use serde::Serialize;
use tokio::sync::mpsc;

use crate::protocol::jsonrpc;
use crate::protocol::{
    LoggingLevel, LoggingMessageNotificationParams, ProgressNotificationParams, ProgressToken,
    ProtocolVersion,
};

/// Where a call's messages go before its result: the call's SSE stream on HTTP, stdout on stdio.
pub(crate) type Emitter = mpsc::UnboundedSender<Vec<u8>>;

/// What a handler knows about the call it serves, and how it talks to the client before
/// returning. Take it as a parameter of a `#[tool]` method: `ctx: Context`.
///
/// On HTTP, the first message a handler emits turns the response into an SSE stream; a call
/// that emits nothing is answered with plain `application/json`.
#[derive(Debug)]
pub struct Context {
    version: ProtocolVersion,
    emitter: Option<Emitter>,
    progress_token: Option<ProgressToken>,
    log_level: Option<LoggingLevel>,
}

impl Context {
    pub(crate) fn new(
        version: ProtocolVersion,
        emitter: Option<Emitter>,
        progress_token: Option<ProgressToken>,
        log_level: Option<LoggingLevel>,
    ) -> Self {
        Self {
            version,
            emitter,
            progress_token,
            log_level,
        }
    }

    /// A context for a call made outside any transport, with no client to talk to: progress
    /// and logging go nowhere. For benchmarks of the generated dispatch; not public API.
    #[doc(hidden)]
    pub fn detached() -> Self {
        Self::new(ProtocolVersion::LATEST_LEGACY, None, None, None)
    }

    /// The protocol revision of this call.
    pub fn protocol_version(&self) -> ProtocolVersion {
        self.version
    }

    /// Whether the client asked for progress on this call.
    pub fn wants_progress(&self) -> bool {
        self.progress_token.is_some() && self.emitter.is_some()
    }

    /// Reports progress (`notifications/progress`) when the client asked for it with a
    /// progress token; otherwise does nothing. `progress` must grow from call to call.
    pub fn progress(&self, progress: f64, total: Option<f64>, message: Option<&str>) {
        let Some(progress_token) = &self.progress_token else {
            return;
        };
        let message = message.map(str::to_owned);
        let params = ProgressNotificationParams {
            progress_token: progress_token.clone(),
            progress,
            total,
            message,
        };
        self.emit("notifications/progress", &params);
    }

    /// Sends a log message (`notifications/message`) when the client's level admits it: in the
    /// legacy era the session's level (`logging/setLevel`, everything until it is set); in
    /// 2026-07-28 the request's `logLevel`, and nothing without one.
    pub fn log(&self, level: LoggingLevel, logger: Option<&str>, data: impl Serialize) {
        if !self.admits(level) {
            return;
        }
        let data = serde_json::to_value(data)
            .unwrap_or_else(|e| format!("unserializable log data: {e}").into());
        let logger = logger.map(str::to_owned);
        let params = LoggingMessageNotificationParams {
            level,
            logger,
            data,
        };
        self.emit("notifications/message", &params);
    }

    fn admits(&self, level: LoggingLevel) -> bool {
        match (self.log_level, self.version.era()) {
            (Some(min), _) => level >= min,
            (None, crate::protocol::Era::Legacy) => true,
            (None, crate::protocol::Era::Modern) => false,
        }
    }

    fn emit(&self, method: &'static str, params: &impl Serialize) {
        if let Some(emitter) = &self.emitter {
            // The receiver is gone only when the client left; the call's result is moot then.
            let _ = emitter.send(jsonrpc::notification(method, params));
        }
    }
}
