//! The per-call context a handler can take as a parameter: progress and logging, in either era.

use serde::Serialize;
use serde_json::Value;

use super::requests::{Asker, RequestError};
use super::rounds::Round;
use tokio::sync::mpsc;

use crate::auth::Principal;
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
///
/// ```no_run
/// use mcp_runtime::prelude::*;
///
/// struct Files;
///
/// #[mcp_server]
/// impl Files {
///     /// Delete files, after asking the user.
///     #[tool(destructive)]
///     async fn purge(&self, ctx: Context, count: u32) -> Result<String, String> {
///         let answer = ctx
///             .elicit(
///                 &format!("Delete {count} files?"),
///                 serde_json::json!({ "type": "object", "properties": {} }),
///             )
///             .await
///             .map_err(|e| e.to_string())?;
///         if answer.action != "accept" {
///             return Ok("kept them".into());
///         }
///         for n in 1..=count {
///             ctx.progress(f64::from(n), Some(f64::from(count)), None);
///         }
///         ctx.log(LoggingLevel::Info, Some("files"), format!("deleted {count}"));
///         Ok(format!("deleted {count}"))
///     }
/// }
///
/// #[tokio::main]
/// async fn main() -> std::process::ExitCode {
///     Files.serve().await
/// }
/// ```
pub struct Context {
    version: ProtocolVersion,
    emitter: Option<Emitter>,
    progress_token: Option<ProgressToken>,
    log_level: Option<LoggingLevel>,
    notifier: Option<&'static dyn Notifier>,
    asker: Option<Asker>,
    round: Option<std::sync::Arc<Round>>,
    asked: std::sync::atomic::AtomicUsize,
    principal: Option<Principal>,
}

impl std::fmt::Debug for Context {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Context")
            .field("version", &self.version)
            .field("progress_token", &self.progress_token)
            .finish_non_exhaustive()
    }
}

/// A change clients may subscribe to.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Change {
    /// The list of tools changed (`notifications/tools/list_changed`).
    Tools,
    /// The list of prompts changed (`notifications/prompts/list_changed`).
    Prompts,
    /// The list of resources changed (`notifications/resources/list_changed`).
    Resources,
    /// A resource's contents changed (`notifications/resources/updated`), for the clients that
    /// subscribed to it.
    ResourceUpdated(String),
}

impl Change {
    /// The notification's method.
    pub fn method(&self) -> &'static str {
        match self {
            Self::Tools => "notifications/tools/list_changed",
            Self::Prompts => "notifications/prompts/list_changed",
            Self::Resources => "notifications/resources/list_changed",
            Self::ResourceUpdated(_) => "notifications/resources/updated",
        }
    }
}

/// What the user answered to an elicitation.
#[derive(Clone, Debug, PartialEq, serde::Deserialize, serde::Serialize)]
#[non_exhaustive]
pub struct ElicitResult {
    /// `accept`, `decline` or `cancel`.
    pub action: String,
    /// The submitted values, when accepted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<serde_json::Map<String, Value>>,
}

/// Delivers changes to the clients listening for them, and holds the store callers' state is
/// kept in.
pub(crate) trait Notifier: Send + Sync {
    fn notify(&'static self, change: Change);
    fn store(&'static self) -> &'static dyn crate::session::SessionStore;
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
            notifier: None,
            asker: None,
            round: None,
            asked: Default::default(),
            principal: None,
        }
    }

    /// Names the authenticated caller: the request's in 2026-07-28, the session's (which is
    /// the request's, or the session would not have been found) in the legacy era.
    pub(crate) fn by(mut self, principal: Option<&Principal>) -> Self {
        self.principal = principal.cloned();
        self
    }

    /// The authenticated caller, when an authentication layer ran; the same in both eras.
    pub fn principal(&self) -> Option<&Principal> {
        self.principal.as_ref()
    }

    /// Where the call's messages go before its result.
    pub(crate) fn emitting(mut self, emitter: Option<Emitter>) -> Self {
        self.emitter = emitter;
        self
    }

    /// Lets the handler send requests to the client of this legacy session.
    pub(crate) fn asking(mut self, asker: Asker) -> Self {
        self.asker = Some(asker);
        self
    }

    /// Lets the handler ask for input in this 2026-07-28 round.
    pub(crate) fn in_round(mut self, round: std::sync::Arc<Round>) -> Self {
        self.round = Some(round);
        self
    }

    /// Whether the client declared `capability` (`sampling`, `elicitation`, `roots`) for this
    /// call: on the request in 2026-07-28, in `initialize` in the legacy era.
    pub fn client_supports(&self, capability: &str) -> bool {
        match (&self.round, &self.asker) {
            (Some(round), _) => round.supports(capability),
            (None, Some(asker)) => asker.capabilities.supports(capability),
            (None, None) => false,
        }
    }

    /// Sends a request to the client and waits for its result; `capability` is the client
    /// capability it needs. Its key in a 2026-07-28 input-required result is the capability and
    /// the number of the question in this call (`elicitation-1`, ...); see
    /// [`request_keyed`](Self::request_keyed).
    pub async fn request(
        &self,
        method: &'static str,
        capability: &'static str,
        params: Value,
    ) -> Result<Value, RequestError> {
        let n = self
            .asked
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            + 1;
        self.request_keyed(&format!("{capability}-{n}"), method, capability, params)
            .await
    }

    /// Sends a request to the client and waits for its result. In the legacy era it goes out on
    /// the call's stream (the response becomes SSE). In 2026-07-28 the call ends with an
    /// `input_required` result that asks for it under `key`, and runs again when the client
    /// retries with the answer; a handler that asks for several things at once (`join!`) asks
    /// for them in one round. Asking for a capability the client did not declare fails the
    /// call with -32021 (2026-07-28) or returns [`RequestError::Unsupported`] (legacy).
    pub async fn request_keyed(
        &self,
        key: &str,
        method: &'static str,
        capability: &'static str,
        params: Value,
    ) -> Result<Value, RequestError> {
        if let Some(round) = &self.round {
            loop {
                // Listen before looking, so that an answer arriving in between is not missed.
                let delivered = round.task().map(|task| task.changed.notified());
                if let Some(answer) = round.answer(key, method, capability, &params) {
                    return Ok(answer);
                }
                match delivered {
                    // A task waits for `tasks/update`.
                    Some(delivered) => delivered.await,
                    // Otherwise the call ends here; the dispatcher answers for it.
                    None => std::future::pending::<()>().await,
                }
            }
        }
        let (Some(asker), Some(emitter)) = (&self.asker, &self.emitter) else {
            return Err(RequestError::Unreachable);
        };
        if !asker.capabilities.supports(capability) {
            return Err(RequestError::Unsupported(capability));
        }
        let (id, answer) = asker.pending.register(asker.session);
        if emitter
            .send(jsonrpc::request(&id, method, &params))
            .is_err()
        {
            asker.pending.forget(asker.session, &id);
            return Err(RequestError::Closed);
        }
        match answer.await {
            Ok(Ok(result)) => Ok(result),
            Ok(Err(error)) => Err(RequestError::Rejected(error)),
            Err(_) => Err(RequestError::Closed),
        }
    }

    /// Asks the user for input (`elicitation/create`, form mode): `requested_schema` is a flat
    /// object schema of primitive fields.
    pub async fn elicit(
        &self,
        message: &str,
        requested_schema: Value,
    ) -> Result<ElicitResult, RequestError> {
        let params = serde_json::json!({ "message": message, "requestedSchema": requested_schema });
        let result = self
            .request("elicitation/create", "elicitation", params)
            .await?;
        serde_json::from_value(result).map_err(|e| RequestError::Malformed(e.to_string()))
    }

    /// [`elicit`](Self::elicit) under a key of your choosing.
    pub async fn elicit_keyed(
        &self,
        key: &str,
        message: &str,
        requested_schema: Value,
    ) -> Result<ElicitResult, RequestError> {
        let params = serde_json::json!({ "message": message, "requestedSchema": requested_schema });
        let result = self
            .request_keyed(key, "elicitation/create", "elicitation", params)
            .await?;
        serde_json::from_value(result).map_err(|e| RequestError::Malformed(e.to_string()))
    }

    /// Asks the user to visit a URL (`elicitation/create`, URL mode), for input that must not
    /// pass through the client, such as credentials.
    pub async fn elicit_url(
        &self,
        message: &str,
        url: &str,
        elicitation_id: &str,
    ) -> Result<ElicitResult, RequestError> {
        let params = serde_json::json!({ "mode": "url", "message": message, "url": url, "elicitationId": elicitation_id });
        let result = self
            .request("elicitation/create", "elicitation", params)
            .await?;
        serde_json::from_value(result).map_err(|e| RequestError::Malformed(e.to_string()))
    }

    /// Asks the client's model for a message (`sampling/createMessage`); `params` as the spec
    /// defines them (`messages`, `maxTokens`, ...). Returns the client's result.
    pub async fn create_message(&self, params: Value) -> Result<Value, RequestError> {
        self.request("sampling/createMessage", "sampling", params)
            .await
    }

    /// Asks the client for its roots (`roots/list`).
    pub async fn list_roots(&self) -> Result<Value, RequestError> {
        self.request("roots/list", "roots", serde_json::json!({}))
            .await
    }

    /// Lets the handler announce changes to listening clients.
    pub(crate) fn notifying(mut self, notifier: &'static dyn Notifier) -> Self {
        self.notifier = Some(notifier);
        self
    }

    /// The store of the runtime serving the call, when there is one.
    pub(crate) fn store(&self) -> Option<&'static dyn crate::session::SessionStore> {
        self.notifier.map(|n| n.store())
    }

    /// Tells the clients that listen for it that something changed: a list (legacy: on each
    /// session's GET stream) or a subscribed resource.
    pub fn notify(&self, change: Change) {
        if let Some(notifier) = self.notifier {
            notifier.notify(change);
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

    /// A context that only logs to this call's client, for the log bridge; `None` when the call
    /// has nowhere to send messages.
    pub(crate) fn log_sink(&self) -> Option<Self> {
        let emitter = self.emitter.clone()?;
        Some(Self::new(self.version, Some(emitter), None, self.log_level))
    }

    /// Whether a bridged `tracing` event at `level` goes to the client: as [`log`](Self::log)
    /// decides, but `info` and above only for a legacy client that set no level.
    pub(crate) fn admits_bridged(&self, level: LoggingLevel) -> bool {
        match (self.log_level, self.version.era()) {
            (None, crate::protocol::Era::Legacy) => level >= LoggingLevel::Info,
            _ => self.admits(level),
        }
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
