//! Method dispatch for both eras. Transports turn bytes into calls of these functions and their
//! answers back into bytes; nothing here knows about sockets.

use std::borrow::Cow;
use std::sync::Arc;

use serde::Deserialize;
use serde_json::json;
use serde_json::value::RawValue;

use super::catalog::List;
use super::features::CompletionRef;
use super::rounds::{Declared, Interruptible, Outcome, Round};
use super::tasks::TaskSupport;
use super::{Catalog, Context, Emitter, Server, ToolCallError};
use crate::protocol::jsonrpc::{self, RequestId};
use crate::protocol::{
    CacheScope, CallToolResult, CompleteResult, Completion, Era, ErrorObject, InitializeParams,
    Modern, ProtocolVersion, SUPPORTED_VERSIONS, SetLevelParams, code,
};
use crate::session::{InitializeRecord, Session, SessionEntry, SessionMap, SessionStore};

/// The error code of a request the client cancelled (as JSON-RPC peers such as LSP use it).
const REQUEST_CANCELLED: i32 = -32800;

/// A JSON-RPC error together with the HTTP status it travels with.
#[derive(Debug)]
pub(crate) struct Failure {
    pub error: ErrorObject,
    pub status: u16,
}

impl Failure {
    /// An error answered with HTTP 200: the request was understood and failed.
    pub fn ok(error: ErrorObject) -> Self {
        Self { error, status: 200 }
    }

    /// An error answered with HTTP 400.
    pub fn bad_request(error: ErrorObject) -> Self {
        Self { error, status: 400 }
    }
}

/// The 2026-07-28 HTTP headers that must agree with the body; absent on stdio.
#[derive(Debug, Default)]
pub(crate) struct ModernHeaders<'a> {
    pub protocol_version: Option<&'a str>,
    pub method: Option<&'a str>,
    pub name: Option<&'a str>,
    /// All of them, for the `Mcp-Param-*` headers of tools that declare some.
    pub all: Option<&'a axum::http::HeaderMap>,
}

/// A request's `_meta`, read without copying: what the server acts on, nothing else (the
/// client's name, for one, is skipped).
#[derive(Debug, Default, Deserialize)]
struct MetaView<'a> {
    #[serde(rename = "io.modelcontextprotocol/protocolVersion", borrow)]
    protocol_version: Option<Cow<'a, str>>,
    #[serde(rename = "io.modelcontextprotocol/clientCapabilities", borrow)]
    client_capabilities: Option<CapabilitiesView<'a>>,
    #[serde(rename = "io.modelcontextprotocol/logLevel")]
    log_level: Option<crate::protocol::LoggingLevel>,
    #[serde(rename = "progressToken")]
    progress_token: Option<RequestId>,
}

#[derive(Debug, Default, Deserialize)]
struct CapabilitiesView<'a> {
    #[serde(borrow)]
    sampling: Option<&'a RawValue>,
    #[serde(borrow)]
    elicitation: Option<&'a RawValue>,
    #[serde(borrow)]
    roots: Option<&'a RawValue>,
    #[serde(borrow)]
    extensions: Option<&'a RawValue>,
}

impl MetaView<'_> {
    /// The declared capabilities; none without the capabilities object.
    fn declared(&self) -> Declared {
        let Some(caps) = &self.client_capabilities else {
            return Declared::default();
        };
        // Extension keys are read only when a client declares extensions at all.
        let tasks = caps.extensions.is_some_and(|e| {
            serde_json::from_str::<std::collections::HashMap<Cow<'_, str>, serde::de::IgnoredAny>>(
                e.get(),
            )
            .is_ok_and(|e| e.contains_key(super::tasks::EXTENSION))
        });
        Declared {
            sampling: caps.sampling.is_some(),
            elicitation: caps.elicitation.is_some(),
            roots: caps.roots.is_some(),
            tasks,
        }
    }
}

/// The params fields any method here needs, parsed in one pass; unknown fields are ignored.
#[derive(Debug, Default, Deserialize)]
struct Params<'a> {
    #[serde(rename = "_meta", borrow)]
    meta: Option<MetaView<'a>>,
    #[serde(borrow)]
    name: Option<Cow<'a, str>>,
    #[serde(borrow)]
    uri: Option<Cow<'a, str>>,
    #[serde(borrow, rename = "taskId")]
    task_id: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    arguments: Option<&'a RawValue>,
    /// The pagination cursor of a list request.
    #[serde(borrow)]
    cursor: Option<Cow<'a, str>>,
    /// 2026-07-28: the state of an input-required round, echoed back.
    #[serde(rename = "requestState")]
    request_state: Option<String>,
    /// 2026-07-28: the client's answers to an input-required round.
    #[serde(rename = "inputResponses")]
    input_responses: Option<serde_json::Value>,
}

impl<'a> Params<'a> {
    fn parse(raw: Option<&'a RawValue>) -> Result<Self, Failure> {
        match raw {
            None => Ok(Self::default()),
            Some(raw) => serde_json::from_str(raw.get()).map_err(|e| {
                Failure::ok(ErrorObject::invalid_params(format!("invalid params: {e}")))
            }),
        }
    }

    /// What `Mcp-Name` must equal for this method, if it names anything.
    fn header_name(&self, method: &str) -> Option<&str> {
        match method {
            "tools/call" | "prompts/get" => self.name.as_deref(),
            "resources/read" => self.uri.as_deref(),
            "tasks/get" | "tasks/update" | "tasks/cancel" => self.task_id.as_deref(),
            _ => None,
        }
    }
}

/// What a request turned into: an answer ready now, or a tool call still to run.
pub(crate) enum Answer<F> {
    /// The complete response.
    Ready(Vec<u8>),
    /// A tool call; await `future` and hand its result to [`PendingCall::finish`].
    Call(PendingCall<F>),
    /// Another call whose answer needs awaiting (resources, prompts, completion).
    Deferred(Deferred),
    /// A stream of notifications that stays open (`subscriptions/listen`).
    Stream(tokio::sync::mpsc::UnboundedReceiver<Vec<u8>>),
}

/// The future of a non-tool answer: the complete response, errors included (all HTTP 200).
pub(crate) type Deferred = std::pin::Pin<Box<dyn Future<Output = Vec<u8>> + Send>>;

fn deferred(
    id: &RequestId,
    future: impl Future<Output = Result<Vec<u8>, Failure>> + Send + 'static,
) -> Shared {
    let id = id.clone();
    Shared::Deferred(Box::pin(async move {
        future
            .await
            .unwrap_or_else(|f| jsonrpc::error_response(Some(&id), &f.error))
    }))
}

/// A tool call whose arguments are parsed and whose future has not been polled yet.
pub(crate) struct PendingCall<F> {
    pub id: RequestId,
    pub version: ProtocolVersion,
    pub future: F,
}

impl<F> PendingCall<F> {
    /// The HTTP status and the response for how the call ended.
    pub fn finish(&self, outcome: &Outcome<CallToolResult>) -> (u16, Vec<u8>) {
        call_response(&self.id, self.version, outcome)
    }
}

/// The HTTP status and the response for how a tool call ended.
pub(crate) fn call_response(
    id: &RequestId,
    version: ProtocolVersion,
    outcome: &Outcome<CallToolResult>,
) -> (u16, Vec<u8>) {
    match outcome {
        Outcome::Done(result) => (
            200,
            respond(id, |buf| write_call_result(buf, result, version)),
        ),
        other => outcome_response(id, other),
    }
}

/// The response of a call that ended for want of input or of a capability.
fn outcome_response<T>(id: &RequestId, outcome: &Outcome<T>) -> (u16, Vec<u8>) {
    match outcome {
        Outcome::InputRequired(requests, state) => {
            let result = serde_json::json!({
                "resultType": "input_required",
                "inputRequests": requests,
                "requestState": state,
            });
            (
                200,
                respond(id, |buf| {
                    serde_json::to_writer(buf, &result).expect("results serialize")
                }),
            )
        }
        Outcome::MissingCapability(capability) => {
            let e = ErrorObject::new(
                code::MISSING_REQUIRED_CLIENT_CAPABILITY,
                format!("this request needs the client capability `{capability}`"),
            )
            .with_data(serde_json::json!({ "requiredCapabilities": { *capability: {} } }));
            (400, jsonrpc::error_response(Some(id), &e))
        }
        Outcome::Cancelled => {
            let e = ErrorObject::new(REQUEST_CANCELLED, "the client cancelled this request");
            (200, jsonrpc::error_response(Some(id), &e))
        }
        Outcome::Done(_) => unreachable!("completed calls are answered by their own writer"),
    }
}

/// What a method both eras share answered.
pub(crate) enum Shared {
    Ready(Vec<u8>),
    Deferred(Deferred),
}

impl Shared {
    fn into_answer<F>(self) -> Answer<F> {
        match self {
            Self::Ready(bytes) => Answer::Ready(bytes),
            Self::Deferred(future) => Answer::Deferred(future),
        }
    }
}

/// How a 2026-07-28 result may be cached.
#[derive(Clone, Copy)]
enum Cache {
    /// Not a cacheable result.
    None,
    /// Cacheable only by the caller, and not for long: resource contents may change.
    Private,
}

/// Writes a result in the shape of the revision: 2026-07-28 adds `resultType`, and the caching
/// fields where the result is cacheable.
fn write_result<T: serde::Serialize>(
    buf: &mut Vec<u8>,
    result: &T,
    version: ProtocolVersion,
    cache: Cache,
) {
    let written = match (version.era(), cache) {
        (Era::Legacy, _) => serde_json::to_writer(buf, result),
        (Era::Modern, Cache::None) => serde_json::to_writer(
            buf,
            &Modern {
                result_type: "complete".into(),
                ttl_ms: None,
                cache_scope: None,
                result,
            },
        ),
        (Era::Modern, Cache::Private) => {
            serde_json::to_writer(buf, &Modern::cacheable(result, 0, CacheScope::Private))
        }
    };
    written.expect("results serialize");
}

/// The methods both eras serve alike.
const SHARED: [&str; 7] = [
    "tools/list",
    "resources/list",
    "resources/templates/list",
    "prompts/list",
    "resources/read",
    "prompts/get",
    "completion/complete",
];

/// One server's dispatcher: the user's server, its pre-serialized catalog, its sessions.
#[derive(Debug)]
pub(crate) struct Dispatcher<S: Server> {
    pub server: S,
    pub catalog: Catalog,
    pub sessions: SessionMap<S::Session>,
    pub store: &'static dyn SessionStore,
    /// Requests this server sent to clients, awaiting their responses.
    pub pending: super::requests::Pending,
    /// Open `subscriptions/listen` streams.
    pub listeners: super::listen::Listeners,
    /// Tasks of the tasks extension.
    pub tasks: super::tasks::Tasks,
    /// Legacy requests in flight, for `notifications/cancelled`.
    pub inflight: super::requests::Inflight,
    /// Whether any tool takes a `Context`; if none does, no call can send messages before its
    /// result, and transports skip setting up a stream for them.
    pub emits: bool,
    /// How often a busy session's use is written to a persistent store.
    pub touch_every: std::time::Duration,
}

impl<S: Server> Dispatcher<S> {
    pub fn new(
        server: S,
        sessions: SessionMap<S::Session>,
        store: &'static dyn SessionStore,
        page_size: usize,
    ) -> Self {
        // A few touches per idle timeout keep a busy session alive in the store.
        let touch_every = (sessions.idle_timeout() / 4).min(std::time::Duration::from_secs(30));
        Self {
            server,
            catalog: Catalog::new(S::description(), page_size),
            sessions,
            store,
            touch_every,
            pending: super::requests::Pending::default(),
            listeners: super::listen::Listeners::default(),
            tasks: super::tasks::Tasks::default(),
            inflight: super::requests::Inflight::default(),
            emits: S::description().tools.iter().any(|t| t.context),
        }
    }

    /// Legacy `initialize`: negotiates the revision; the caller creates the session.
    pub fn initialize(&self, params: Option<&RawValue>) -> Result<InitializeRecord, Failure> {
        let params: InitializeParams = parse_params(params)?;
        // Offer the newest legacy revision when the client asks for one we do not speak.
        let version = ProtocolVersion::parse(&params.protocol_version)
            .filter(|v| v.era() == Era::Legacy)
            .unwrap_or(ProtocolVersion::LATEST_LEGACY);
        Ok(InitializeRecord {
            protocol_version: version,
            client_info: Some(params.client_info),
            capabilities: params.capabilities,
        })
    }

    /// The response to a legacy `initialize` that created a session.
    pub fn initialize_response(&self, id: &RequestId, version: ProtocolVersion) -> Vec<u8> {
        respond(id, |buf| {
            buf.extend_from_slice(self.catalog.initialize(version))
        })
    }

    /// A legacy request on a session.
    pub fn legacy(
        &'static self,
        session: &Arc<SessionEntry<S::Session>>,
        id: &RequestId,
        method: &str,
        raw: Option<&RawValue>,
        emitter: Option<Emitter>,
    ) -> Result<Answer<impl Future<Output = Outcome<CallToolResult>> + Send + 'static>, Failure>
    {
        let version = session.version();
        if SHARED.contains(&method) {
            let params = Params::parse(raw)?;
            let cx = || Context::new(version, None, None, session.log_level()).notifying(self);
            return self
                .shared(id, version, method, &params, raw, None, cx)
                .map(Shared::into_answer);
        }
        match method {
            "ping" => Ok(Answer::Ready(respond(id, |buf| {
                buf.extend_from_slice(b"{}")
            }))),
            "tools/call" => {
                let params = Params::parse(raw)?;
                let meta = params.meta.unwrap_or_default();
                let asker = super::requests::Asker {
                    pending: &self.pending,
                    session: session.id(),
                    capabilities: Declared::from_capabilities(
                        &session.initialize_record().capabilities,
                    ),
                };
                let cx = Context::new(version, emitter, meta.progress_token, session.log_level())
                    .notifying(self)
                    .asking(asker);
                let handle = Session::live(session.clone(), self.store);
                let cancel = Some(super::requests::Cancel::new(
                    &self.inflight,
                    session.id(),
                    id.clone(),
                ));
                self.call_tool(
                    id,
                    version,
                    params.name,
                    params.arguments,
                    cx,
                    Some(handle),
                    None,
                    cancel,
                )
            }
            "resources/subscribe" | "resources/unsubscribe" => {
                let uri = Params::parse(raw)?
                    .uri
                    .ok_or_else(|| Failure::ok(ErrorObject::invalid_params("`uri` is required")))?;
                if method == "resources/subscribe" {
                    session.subscribe(&uri);
                } else {
                    session.unsubscribe(&uri);
                }
                Ok(Answer::Ready(respond(id, |buf| {
                    buf.extend_from_slice(b"{}")
                })))
            }
            "logging/setLevel" => {
                let params: SetLevelParams = parse_params(raw)?;
                session.set_log_level(params.level);
                Ok(Answer::Ready(respond(id, |buf| {
                    buf.extend_from_slice(b"{}")
                })))
            }
            "initialize" => Err(Failure::ok(ErrorObject::invalid_request(
                "this session is already initialized; send `initialize` without `Mcp-Session-Id` to start a new one",
            ))),
            _ => Err(Failure::ok(ErrorObject::method_not_found(method))),
        }
    }

    /// A client's response to a request this server sent on the session.
    pub fn legacy_response(
        &self,
        session: &SessionEntry<S::Session>,
        id: RequestId,
        outcome: Result<&RawValue, &RawValue>,
    ) {
        let outcome = match outcome {
            Ok(result) => serde_json::from_str(result.get()).map_err(ErrorObject::parse_error),
            Err(error) => {
                Err(serde_json::from_str(error.get()).unwrap_or_else(ErrorObject::parse_error))
            }
        };
        if !self.pending.complete(session.id(), id, outcome) {
            tracing::debug!(session = %session.id(), "a response nothing waits for");
        }
    }

    /// A legacy notification on a session.
    pub fn legacy_notification(
        &self,
        session: &SessionEntry<S::Session>,
        method: &str,
        raw: Option<&RawValue>,
    ) {
        match method {
            "notifications/initialized" => session.mark_initialized(),
            "notifications/cancelled" => {
                #[derive(Deserialize)]
                struct Cancelled {
                    #[serde(rename = "requestId")]
                    request_id: RequestId,
                }
                if let Ok(cancelled) = parse_params::<Cancelled>(raw) {
                    self.inflight.cancel(session.id(), cancelled.request_id);
                }
            }
            _ => {}
        }
    }

    /// A stateless 2026-07-28 request. `headers` is `None` on stdio, where there are none.
    pub fn modern(
        &'static self,
        id: &RequestId,
        method: &str,
        raw: Option<&RawValue>,
        headers: Option<&ModernHeaders<'_>>,
        emitter: Option<Emitter>,
    ) -> Result<Answer<impl Future<Output = Outcome<CallToolResult>> + Send + 'static>, Failure>
    {
        let mut params = Params::parse(raw).map_err(|f| Failure::bad_request(f.error))?;
        let version = check_meta(params.meta.as_ref(), headers)?;
        if let Some(headers) = headers {
            check_headers(headers, method, &params)?;
            if method == "tools/call"
                && let (Some(all), Some(name)) = (headers.all, params.name.as_deref())
            {
                check_param_headers(all, self.catalog.param_headers(name), params.arguments)?;
            }
        }
        let meta = params.meta.take().unwrap_or_default();
        let log_level = meta.log_level;
        let declared = meta.declared();
        if SHARED.contains(&method) {
            let cx = || Context::new(version, None, None, log_level).notifying(self);
            let answer = self.shared(id, version, method, &params, raw, Some(declared), cx);
            return answer.map(Shared::into_answer);
        }
        match method {
            "server/discover" => Ok(Answer::Ready(respond(id, |buf| {
                buf.extend_from_slice(self.catalog.discover())
            }))),
            "subscriptions/listen" => {
                #[derive(Deserialize)]
                struct ListenParams {
                    #[serde(default)]
                    notifications: super::listen::Filter,
                }
                let params: ListenParams = parse_params(raw)?;
                let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
                self.listeners.listen(id.clone(), params.notifications, tx);
                Ok(Answer::Stream(rx))
            }
            "tools/call" => {
                let cx = Context::new(version, emitter, meta.progress_token, meta.log_level)
                    .notifying(self);
                let name = params.name.as_deref().unwrap_or_default();
                let subject = || format!("tools/call:{name}");
                let tasks = declared.tasks;
                let support = self.catalog.task_support(name);
                if support == TaskSupport::Required && !tasks {
                    return Err(Failure::bad_request(super::tasks::extension_required()));
                }
                if tasks && support != TaskSupport::Forbidden {
                    let round = self.round(&subject(), &params, declared)?;
                    return self
                        .call_as_task(id, version, &params, cx, round)
                        .map(Shared::into_answer);
                }
                // Only a tool that takes a `Context` can ask for input; without one, no round.
                let round = match self.emits {
                    true => Some(self.round(&subject(), &params, declared)?),
                    false => None,
                };
                self.call_tool(
                    id,
                    version,
                    params.name,
                    params.arguments,
                    cx,
                    None,
                    round,
                    None,
                )
            }
            "tasks/get" | "tasks/update" | "tasks/cancel" => {
                if !declared.tasks {
                    return Err(Failure::bad_request(super::tasks::extension_required()));
                }
                let task_id = params.task_id.as_deref().ok_or_else(|| {
                    Failure::ok(ErrorObject::invalid_params("`taskId` is required"))
                })?;
                let result = match method {
                    "tasks/get" => self.tasks.get(task_id),
                    "tasks/update" => self
                        .tasks
                        .update(task_id, params.input_responses.as_ref())
                        .map(|()| serde_json::json!({ "resultType": "complete" })),
                    _ => self
                        .tasks
                        .cancel(task_id)
                        .map(|()| serde_json::json!({ "resultType": "complete" })),
                }
                .map_err(Failure::ok)?;
                Ok(Answer::Ready(respond(id, |buf| {
                    serde_json::to_writer(buf, &result).expect("results serialize")
                })))
            }
            _ => Err(Failure {
                error: ErrorObject::method_not_found(method),
                status: 404,
            }),
        }
    }

    /// The input-required round of a 2026-07-28 call.
    fn round(
        &self,
        subject: &str,
        params: &Params<'_>,
        capabilities: Declared,
    ) -> Result<Arc<Round>, Failure> {
        let round = Round::new(
            subject,
            params.request_state.as_deref(),
            params.input_responses.as_ref(),
            capabilities,
        );
        round.map(Arc::new).map_err(Failure::bad_request)
    }

    /// Methods both eras serve alike: lists, resources, prompts, completion (see [`SHARED`]).
    #[allow(clippy::too_many_arguments)]
    fn shared(
        &'static self,
        id: &RequestId,
        version: ProtocolVersion,
        method: &str,
        params: &Params<'_>,
        raw: Option<&RawValue>,
        capabilities: Option<Declared>,
        cx: impl FnOnce() -> Context,
    ) -> Result<Shared, Failure> {
        match method {
            "tools/list" => self.list(id, List::Tools, version, params),
            "resources/list" => self.list(id, List::Resources, version, params),
            "resources/templates/list" => self.list(id, List::Templates, version, params),
            "prompts/list" => self.list(id, List::Prompts, version, params),
            "resources/read" => self.read_resource(id, version, params, cx()),
            "prompts/get" => self.get_prompt(id, version, params, capabilities, cx()),
            _ => self.complete(id, version, raw),
        }
    }

    fn list(
        &self,
        id: &RequestId,
        list: List,
        version: ProtocolVersion,
        params: &Params<'_>,
    ) -> Result<Shared, Failure> {
        let page = self
            .catalog
            .list(list, version, params.cursor.as_deref())
            .map_err(Failure::ok)?;
        Ok(Shared::Ready(respond(id, |buf| {
            buf.extend_from_slice(page)
        })))
    }

    fn read_resource(
        &'static self,
        id: &RequestId,
        version: ProtocolVersion,
        params: &Params<'_>,
        cx: Context,
    ) -> Result<Shared, Failure> {
        let uri = params.uri.as_deref().ok_or_else(|| {
            Failure::ok(ErrorObject::invalid_params("`resources/read` needs `uri`"))
        })?;
        let Some(read) = self.server.read_resource(uri, cx) else {
            // Legacy revisions answer -32002; 2026-07-28 made it -32602.
            let code = if version.era() == Era::Modern {
                code::INVALID_PARAMS
            } else {
                code::RESOURCE_NOT_FOUND
            };
            let e = ErrorObject::new(code, format!("resource not found: {uri}"))
                .with_data(serde_json::json!({ "uri": uri }));
            return Err(Failure::ok(e));
        };
        let rid = id.clone();
        Ok(deferred(id, async move {
            let result = read
                .await
                .map_err(|e| Failure::ok(ErrorObject::internal(e)))?;
            Ok(respond(&rid, |buf| {
                write_result(buf, &result, version, Cache::Private)
            }))
        }))
    }

    fn get_prompt(
        &'static self,
        id: &RequestId,
        version: ProtocolVersion,
        params: &Params<'_>,
        capabilities: Option<Declared>,
        cx: Context,
    ) -> Result<Shared, Failure> {
        let name = params.name.as_deref().ok_or_else(|| {
            Failure::ok(ErrorObject::invalid_params("`prompts/get` needs `name`"))
        })?;
        let round = match capabilities {
            Some(caps) => Some(self.round(&format!("prompts/get:{name}"), params, caps)?),
            None => None,
        };
        let cx = match &round {
            Some(round) => cx.in_round(round.clone()),
            None => cx,
        };
        let get = match self.server.get_prompt(name, params.arguments, cx) {
            Ok(get) => get,
            Err(ToolCallError::UnknownTool) => {
                let e = ErrorObject::invalid_params(format!("unknown prompt: `{name}`"));
                return Err(Failure::ok(e));
            }
            Err(ToolCallError::InvalidArguments(message)) => {
                return Err(Failure::ok(ErrorObject::invalid_params(message)));
            }
        };
        let rid = id.clone();
        Ok(deferred(id, async move {
            let result = match Interruptible::new(get, round).await {
                Outcome::Done(result) => {
                    result.map_err(|e| Failure::ok(ErrorObject::internal(e)))?
                }
                other => return Ok(outcome_response(&rid, &other).1),
            };
            Ok(respond(&rid, |buf| {
                write_result(buf, &result, version, Cache::None)
            }))
        }))
    }

    fn complete(
        &'static self,
        id: &RequestId,
        version: ProtocolVersion,
        raw: Option<&RawValue>,
    ) -> Result<Shared, Failure> {
        #[derive(Deserialize)]
        struct Reference {
            #[serde(rename = "type")]
            kind: String,
            name: Option<String>,
            uri: Option<String>,
        }
        #[derive(Deserialize)]
        struct Argument {
            name: String,
            value: String,
        }
        #[derive(Deserialize)]
        struct CompleteParams {
            #[serde(rename = "ref")]
            reference: Reference,
            argument: Argument,
        }
        let params: CompleteParams = parse_params(raw)?;
        let desc = S::description();
        let (kind, target) = match (
            params.reference.kind.as_str(),
            params.reference.name,
            params.reference.uri,
        ) {
            ("ref/prompt", Some(name), _) if desc.prompts.iter().any(|p| p.name == name) => {
                (CompletionRef::Prompt, name)
            }
            ("ref/resource", _, Some(uri)) if desc.resources.iter().any(|r| r.uri == uri) => {
                (CompletionRef::Resource, uri)
            }
            _ => {
                return Err(Failure::ok(ErrorObject::invalid_params(
                    "`ref` names no prompt or resource template of this server",
                )));
            }
        };
        let completion =
            self.server
                .complete(kind, &target, &params.argument.name, params.argument.value);
        let rid = id.clone();
        Ok(deferred(id, async move {
            let completion = match completion {
                Some(future) => future.await,
                None => Completion::default(),
            };
            let result = CompleteResult {
                completion,
                meta: None,
            };
            Ok(respond(&rid, |buf| {
                write_result(buf, &result, version, Cache::None)
            }))
        }))
    }

    /// A task-supporting tool called by a client of the tasks extension: it runs until it first
    /// waits; by then it has either finished (a plain result), asked for input (an
    /// input-required round), or become a task that goes on in the background.
    fn call_as_task(
        &'static self,
        id: &RequestId,
        version: ProtocolVersion,
        params: &Params<'_>,
        cx: Context,
        round: Arc<Round>,
    ) -> Result<Shared, Failure> {
        let name = params.name.as_deref().unwrap_or_default();
        let future =
            match self
                .server
                .call_tool(name, params.arguments, cx.in_round(round.clone()), None)
            {
                Ok(future) => future,
                Err(ToolCallError::UnknownTool) => {
                    return Err(Failure::ok(ErrorObject::invalid_params(format!(
                        "unknown tool: `{name}`"
                    ))));
                }
                Err(ToolCallError::InvalidArguments(message)) => {
                    let result = CallToolResult::error(message);
                    return Ok(Shared::Ready(respond(id, |buf| {
                        write_call_result(buf, &result, version)
                    })));
                }
            };
        let mut call = Box::pin(Interruptible::new(future, Some(round.clone())));
        let id = id.clone();
        let deferred: Deferred = Box::pin(async move {
            let first =
                std::future::poll_fn(|cx| std::task::Poll::Ready(call.as_mut().poll(cx))).await;
            if let std::task::Poll::Ready(outcome) = first {
                return call_response(&id, version, &outcome).1;
            }
            let task = self.tasks.create();
            round.become_task(task.clone());
            let created = task.created();
            let running = tokio::spawn(call);
            task.set_abort(running.abort_handle());
            tokio::spawn(async move {
                match running.await {
                    Ok(Outcome::Done(result)) => task.finish(Ok(&result)),
                    Ok(Outcome::MissingCapability(capability)) => {
                        task.finish(Err(ErrorObject::new(
                            code::MISSING_REQUIRED_CLIENT_CAPABILITY,
                            format!("the task needs the client capability `{capability}`"),
                        )))
                    }
                    Ok(Outcome::InputRequired(..)) => {
                        task.finish(Err(ErrorObject::internal(
                            "the task ended waiting for input",
                        )));
                    }
                    Ok(Outcome::Cancelled) => task.cancelled(),
                    Err(e) if e.is_cancelled() => task.cancelled(),
                    Err(e) => {
                        task.finish(Err(ErrorObject::internal(format!("the tool failed: {e}"))))
                    }
                }
            });
            respond(&id, |buf| {
                serde_json::to_writer(buf, &created).expect("results serialize")
            })
        });
        Ok(Shared::Deferred(deferred))
    }

    #[allow(clippy::too_many_arguments)]
    fn call_tool(
        &'static self,
        id: &RequestId,
        version: ProtocolVersion,
        name: Option<Cow<'_, str>>,
        arguments: Option<&RawValue>,
        cx: Context,
        session: Option<Session<S::Session>>,
        round: Option<Arc<Round>>,
        cancel: Option<super::requests::Cancel>,
    ) -> Result<Answer<impl Future<Output = Outcome<CallToolResult>> + Send + 'static>, Failure>
    {
        let name = name
            .ok_or_else(|| Failure::ok(ErrorObject::invalid_params("`tools/call` needs `name`")))?;
        let cx = match &round {
            Some(round) => cx.in_round(round.clone()),
            None => cx,
        };
        match self.server.call_tool(&name, arguments, cx, session) {
            Ok(future) => Ok(Answer::Call(PendingCall {
                id: id.clone(),
                version,
                future: match cancel {
                    Some(cancel) => Interruptible::new(future, round).cancellable(cancel),
                    None => Interruptible::new(future, round),
                },
            })),
            Err(ToolCallError::UnknownTool) => Err(Failure::ok(ErrorObject::invalid_params(
                format!("unknown tool: `{name}`"),
            ))),
            Err(ToolCallError::InvalidArguments(message)) => {
                Ok(Answer::Ready(respond(id, |buf| {
                    write_call_result(buf, &CallToolResult::error(message), version)
                })))
            }
        }
    }
}

/// Checks a 2026-07-28 request's `_meta` against its header, in the order the spec's probes
/// expect, and returns the revision it speaks.
fn check_meta(
    meta: Option<&MetaView<'_>>,
    headers: Option<&ModernHeaders<'_>>,
) -> Result<ProtocolVersion, Failure> {
    let header = headers.map(|h| h.protocol_version);
    if let (Some(_), Some(None)) = (meta, header) {
        return Err(Failure::bad_request(ErrorObject::header_mismatch(
            "the `MCP-Protocol-Version` header is required with `_meta`",
        )));
    }
    let requested = meta
        .filter(|m| m.client_capabilities.is_some())
        .and_then(|m| m.protocol_version.as_deref())
        .ok_or_else(|| {
            Failure::bad_request(ErrorObject::invalid_params(
                "`params._meta` must carry `io.modelcontextprotocol/protocolVersion` and `io.modelcontextprotocol/clientCapabilities`",
            ))
        })?;
    if let Some(Some(header)) = header
        && header != requested
    {
        return Err(Failure::bad_request(ErrorObject::header_mismatch(format!(
            "the `MCP-Protocol-Version` header ({header}) does not match `_meta` ({requested})"
        ))));
    }
    match ProtocolVersion::parse(requested).filter(|v| v.era() == Era::Modern) {
        Some(v) => Ok(v),
        None => Err(Failure::bad_request(
            ErrorObject::new(
                code::UNSUPPORTED_PROTOCOL_VERSION,
                format!("unsupported protocol version: {requested}"),
            )
            .with_data(json!({ "supported": SUPPORTED_VERSIONS, "requested": requested })),
        )),
    }
}

/// `Mcp-Method` must equal the body's method, and `Mcp-Name` the name it acts on.
fn check_headers(
    headers: &ModernHeaders<'_>,
    method: &str,
    params: &Params<'_>,
) -> Result<(), Failure> {
    let mismatch = |what: String| Err(Failure::bad_request(ErrorObject::header_mismatch(what)));
    match headers.method {
        None => return mismatch("the `Mcp-Method` header is required".into()),
        Some(h) if h != method => {
            return mismatch(format!(
                "the `Mcp-Method` header ({h}) does not match the body's method ({method})"
            ));
        }
        Some(_) => {}
    }
    match (params.header_name(method), headers.name) {
        (Some(_), None) => mismatch(format!("the `Mcp-Name` header is required for `{method}`")),
        (Some(body), Some(h)) if h != body => mismatch(format!(
            "the `Mcp-Name` header ({h}) does not match the body ({body})"
        )),
        _ => Ok(()),
    }
}

/// A parameter mirrored in `Mcp-Param-{Name}` must be there whenever the arguments carry it,
/// and say the same (literally, or as `=?base64?...?=`).
fn check_param_headers(
    headers: &axum::http::HeaderMap,
    mirrored: &[(&str, &str)],
    arguments: Option<&RawValue>,
) -> Result<(), Failure> {
    if mirrored.is_empty() {
        return Ok(());
    }
    let mismatch = |what: String| Err(Failure::bad_request(ErrorObject::header_mismatch(what)));
    let arguments: serde_json::Map<String, serde_json::Value> = arguments
        .and_then(|a| serde_json::from_str(a.get()).ok())
        .unwrap_or_default();
    for (param, name) in mirrored {
        let header = format!("mcp-param-{name}");
        let body = arguments.get(*param).filter(|v| !v.is_null());
        let value = headers.get(&header).map(|v| v.to_str().map(str::trim));
        let expected = body.map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned));
        match (value, expected) {
            (None, None) => {}
            (None, Some(_)) => {
                return mismatch(format!(
                    "the `Mcp-Param-{name}` header is required: the arguments carry `{param}`"
                ));
            }
            (Some(Err(_)), _) => {
                return mismatch(format!(
                    "the `Mcp-Param-{name}` header is not visible ASCII"
                ));
            }
            (Some(Ok(raw)), expected) => {
                let decoded = decode_param_header(raw).ok_or_else(|| {
                    Failure::bad_request(ErrorObject::header_mismatch(format!(
                        "the `Mcp-Param-{name}` header is not valid `=?base64?...?=`"
                    )))
                })?;
                if expected.as_deref() != Some(decoded.as_str()) {
                    return mismatch(format!(
                        "the `Mcp-Param-{name}` header does not match the argument `{param}`"
                    ));
                }
            }
        }
    }
    Ok(())
}

/// A header value: `=?base64?...?=` decodes (strictly) to UTF-8; anything else is literal.
fn decode_param_header(raw: &str) -> Option<String> {
    match raw
        .strip_prefix("=?base64?")
        .and_then(|r| r.strip_suffix("?="))
    {
        Some(encoded) => String::from_utf8(super::base64_decode(encoded)?).ok(),
        None => Some(raw.to_owned()),
    }
}

fn parse_params<'a, T: Deserialize<'a>>(raw: Option<&'a RawValue>) -> Result<T, Failure> {
    serde_json::from_str(raw.map_or("{}", RawValue::get))
        .map_err(|e| Failure::ok(ErrorObject::invalid_params(format!("invalid params: {e}"))))
}

fn respond(id: &RequestId, write: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
    let mut buf = Vec::with_capacity(256);
    jsonrpc::begin_result(&mut buf, id);
    write(&mut buf);
    jsonrpc::end_response(&mut buf);
    buf
}

/// Writes a tool result in the shape of the given revision.
pub(crate) fn write_call_result(
    buf: &mut Vec<u8>,
    result: &CallToolResult,
    version: ProtocolVersion,
) {
    let written = match version.era() {
        Era::Modern => serde_json::to_writer(
            buf,
            &Modern {
                result_type: "complete".into(),
                ttl_ms: None,
                cache_scope: None,
                result,
            },
        ),
        Era::Legacy if !version.has_structured_output() && result.structured_content.is_some() => {
            serde_json::to_writer(
                buf,
                &CallToolResult {
                    structured_content: None,
                    ..result.clone()
                },
            )
        }
        Era::Legacy => serde_json::to_writer(buf, result),
    };
    written.expect("tool results serialize");
}

impl<S: Server> super::Notifier for Dispatcher<S> {
    fn notify(&self, change: super::Change) {
        let message = match &change {
            super::Change::ResourceUpdated(uri) => {
                jsonrpc::notification(change.method(), serde_json::json!({ "uri": uri }))
            }
            _ => jsonrpc::notification(change.method(), serde_json::json!({})),
        };
        self.listeners.notify(&change);
        self.sessions.for_each(|session| {
            let wanted = match &change {
                super::Change::ResourceUpdated(uri) => session.is_subscribed(uri),
                _ => true,
            };
            if wanted {
                session.send_on_stream(message.clone());
            }
        });
    }
}
