//! Method dispatch for both eras. Transports turn bytes into calls of these functions and their
//! answers back into bytes; nothing here knows about sockets.

use std::borrow::Cow;
use std::sync::Arc;

use serde::Deserialize;
use serde_json::json;
use serde_json::value::RawValue;

use super::{Catalog, Context, Emitter, Server, ToolCallError};
use crate::protocol::jsonrpc::{self, RequestId};
use crate::protocol::{
    CallToolResult, Era, ErrorObject, InitializeParams, Modern, ProtocolVersion, RequestMeta,
    SUPPORTED_VERSIONS, SetLevelParams, code,
};
use crate::session::{InitializeRecord, Session, SessionEntry, SessionMap, SessionStore};

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
}

/// The params fields any method here needs, parsed in one pass; unknown fields are ignored.
#[derive(Debug, Default, Deserialize)]
struct Params<'a> {
    #[serde(rename = "_meta")]
    meta: Option<RequestMeta>,
    #[serde(borrow)]
    name: Option<Cow<'a, str>>,
    #[serde(borrow)]
    uri: Option<Cow<'a, str>>,
    #[serde(borrow, rename = "taskId")]
    task_id: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    arguments: Option<&'a RawValue>,
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
}

/// A tool call whose arguments are parsed and whose future has not been polled yet.
pub(crate) struct PendingCall<F> {
    pub id: RequestId,
    pub version: ProtocolVersion,
    pub future: F,
}

impl<F> PendingCall<F> {
    /// The response for the call's result.
    pub fn finish(&self, result: &CallToolResult) -> Vec<u8> {
        respond(&self.id, |buf| write_call_result(buf, result, self.version))
    }
}

/// One server's dispatcher: the user's server, its pre-serialized catalog, its sessions.
#[derive(Debug)]
pub(crate) struct Dispatcher<S: Server> {
    pub server: S,
    pub catalog: Catalog,
    pub sessions: SessionMap<S::Session>,
    pub store: &'static dyn SessionStore,
    /// How often a busy session's use is written to a persistent store.
    pub touch_every: std::time::Duration,
}

impl<S: Server> Dispatcher<S> {
    pub fn new(
        server: S,
        sessions: SessionMap<S::Session>,
        store: &'static dyn SessionStore,
    ) -> Self {
        // A few touches per idle timeout keep a busy session alive in the store.
        let touch_every = (sessions.idle_timeout() / 4).min(std::time::Duration::from_secs(30));
        Self {
            server,
            catalog: Catalog::new(S::description()),
            sessions,
            store,
            touch_every,
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
    ) -> Result<Answer<impl Future<Output = CallToolResult> + Send + 'static>, Failure> {
        let version = session.version();
        match method {
            "ping" => Ok(Answer::Ready(respond(id, |buf| {
                buf.extend_from_slice(b"{}")
            }))),
            "tools/list" => Ok(Answer::Ready(respond(id, |buf| {
                buf.extend_from_slice(self.catalog.tools_list(version))
            }))),
            "tools/call" => {
                let params = Params::parse(raw)?;
                let meta = params.meta.unwrap_or_default();
                let cx = Context::new(version, emitter, meta.progress_token, session.log_level());
                let handle = Session::live(session.clone(), self.store);
                self.call_tool(id, version, params.name, params.arguments, cx, Some(handle))
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

    /// A legacy notification on a session.
    pub fn legacy_notification(&self, session: &SessionEntry<S::Session>, method: &str) {
        if method == "notifications/initialized" {
            session.mark_initialized();
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
    ) -> Result<Answer<impl Future<Output = CallToolResult> + Send + 'static>, Failure> {
        let params = Params::parse(raw).map_err(|f| Failure::bad_request(f.error))?;
        let version = check_meta(params.meta.as_ref(), headers)?;
        if let Some(headers) = headers {
            check_headers(headers, method, &params)?;
        }
        let meta = params.meta.unwrap_or_default();
        match method {
            "server/discover" => Ok(Answer::Ready(respond(id, |buf| {
                buf.extend_from_slice(self.catalog.discover())
            }))),
            "tools/list" => Ok(Answer::Ready(respond(id, |buf| {
                buf.extend_from_slice(self.catalog.tools_list(version))
            }))),
            "tools/call" => {
                let cx = Context::new(version, emitter, meta.progress_token, meta.log_level);
                self.call_tool(id, version, params.name, params.arguments, cx, None)
            }
            _ => Err(Failure {
                error: ErrorObject::method_not_found(method),
                status: 404,
            }),
        }
    }

    fn call_tool(
        &'static self,
        id: &RequestId,
        version: ProtocolVersion,
        name: Option<Cow<'_, str>>,
        arguments: Option<&RawValue>,
        cx: Context,
        session: Option<Session<S::Session>>,
    ) -> Result<Answer<impl Future<Output = CallToolResult> + Send + 'static>, Failure> {
        let name = name
            .ok_or_else(|| Failure::ok(ErrorObject::invalid_params("`tools/call` needs `name`")))?;
        match self.server.call_tool(&name, arguments, cx, session) {
            Ok(future) => Ok(Answer::Call(PendingCall {
                id: id.clone(),
                version,
                future,
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
    meta: Option<&RequestMeta>,
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
