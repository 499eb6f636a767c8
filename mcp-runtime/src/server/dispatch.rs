//! The server's one entry point: [`Dispatcher::handle`] takes a [`Request`] from any transport
//! and answers with a [`Reply`]. Methods are routed here by era; each is served by the module
//! of its domain (`tools`, `resources`, `prompts`, `completion`, `tasks`, `lifecycle`,
//! `listen`), and the legacy session is found by `session::resolve`.

use serde_json::value::RawValue;

use super::capabilities::Declared;
use super::catalog::{Catalog, List};
use super::checks::{check_headers, check_meta, check_param_headers};
use super::params::Params;
use super::reply::{Failure, Fault, Reply};
use super::request::{Message, Request};
use super::requests::{Asker, Cancel};
use super::tools::ToolCall;
use super::{Context, Server};
use crate::protocol::jsonrpc::{self, Incoming, RequestId};
use crate::protocol::{Era, ErrorObject, ProtocolVersion, code};
use crate::session::resolve::{Claim, Entry, Rejection, Sessions};
use crate::session::{Headers, Session};

/// One server's dispatcher: the user's server, its pre-serialized catalog, its sessions.
#[derive(Debug)]
pub(crate) struct Dispatcher<S: Server> {
    pub server: S,
    pub catalog: Catalog,
    pub sessions: Sessions<S>,
    /// Requests this server sent to clients, awaiting their responses.
    pub pending: super::requests::Pending,
    /// Open `subscriptions/listen` streams.
    pub listeners: super::listen::Listeners,
    /// Tasks of the tasks extension.
    pub tasks: super::tasks::Tasks,
    /// Legacy requests in flight, for `notifications/cancelled`.
    pub inflight: super::requests::Inflight,
    /// The changes legacy streams resume from, when the store keeps none.
    pub changes: super::changelog::LocalLog,
}

/// The request a method answers: its id and the revision its answer is written in.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Call<'r> {
    pub id: &'r RequestId,
    pub version: ProtocolVersion,
}

impl Call<'_> {
    /// The response whose result `write` writes.
    pub(crate) fn reply(self, write: impl FnOnce(&mut Vec<u8>)) -> Reply {
        Reply::json(respond(self.id, write), Some(self.version))
    }

    /// The response with an empty result object.
    pub(crate) fn empty(self) -> Reply {
        self.reply(|buf| buf.extend_from_slice(b"{}"))
    }
}

/// What a method answers: a reply, or an error to send instead.
///
/// One rule decides the status of an error (the fault a transport maps it to):
/// - 2026-07-28: a request the server will not serve as sent, found before any handler runs,
///   is 400: params that are not an object or lack a field the method requires, `_meta`,
///   headers, a `requestState` that does not verify, a capability it did not declare. An
///   error a method answers after understanding the request is 200: an unknown tool, prompt,
///   resource or task, a stale cursor, a handler that failed.
/// - Legacy: every error a method answers is 200, -32602 included, as legacy clients have
///   always had them; 400, 404 and 503 are about the session (a request id already in use
///   on it included) or the transport only.
pub(crate) type Answer = Result<Reply, Failure>;

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

impl<S: Server> Dispatcher<S> {
    pub(crate) fn new(server: S, sessions: Sessions<S>, page_size: usize) -> Self {
        let tasks = super::tasks::Tasks::new(sessions.store);
        Self {
            server,
            catalog: Catalog::new(S::description(), page_size),
            sessions,
            pending: Default::default(),
            listeners: Default::default(),
            tasks,
            inflight: Default::default(),
            changes: Default::default(),
        }
    }

    /// Serves one message from any transport.
    pub(crate) async fn handle(&'static self, req: Request<'_>) -> Reply {
        match (&req.message, req.era) {
            (Message::OpenStream, _) => self.open_stream(&req).await,
            (Message::EndSession, _) => self.end_session(&req).await,
            (Message::Rpc(incoming), Era::Modern) => self.modern(&req, incoming).await,
            (Message::Rpc(incoming), Era::Legacy) => self.legacy(&req, incoming).await,
        }
    }

    async fn legacy(&'static self, req: &Request<'_>, incoming: &Incoming<'_>) -> Reply {
        let id = request_id(incoming);
        if let Incoming::Request { id, method, params } = incoming
            && method == "initialize"
        {
            return self
                .initialize(req, id, *params)
                .await
                .unwrap_or_else(|f| answered(f).into_reply(Some(id), None));
        }
        if let Incoming::Notification { method, .. } = incoming
            && method == "initialize"
        {
            return initialize_notification(req);
        }
        if let Some(v) = req.headers.and_then(|h| h.protocol_version)
            && ProtocolVersion::parse(v).is_none_or(|v| v.era() != Era::Legacy)
        {
            let e =
                ErrorObject::invalid_request(format!("unsupported `MCP-Protocol-Version`: {v}"));
            return Failure::bad_request(e).into_reply(id, None);
        }
        // A revision header that was sent but is not ASCII is not one this server speaks
        // either; only a request without the header pays for the look.
        if let Some(h) = req.headers
            && h.protocol_version.is_none()
            && h.all.value("mcp-protocol-version").is_some()
        {
            let e = ErrorObject::invalid_request(
                "the `MCP-Protocol-Version` header is not visible ASCII",
            );
            return Failure::bad_request(e).into_reply(id, None);
        }
        let may_reinit = matches!(incoming, Incoming::Request { .. });
        let session = match self.session(req, may_reinit).await {
            Ok(session) => session,
            Err(failure) => return failure.into_reply(id, None),
        };
        let version = session.version();
        match incoming {
            Incoming::Request { id, method, params } => {
                let call = Call { id, version };
                self.legacy_request(&session, req.caller, call, method, *params)
                    .await
                    .unwrap_or_else(|f| answered(f).into_reply(Some(id), Some(version)))
            }
            Incoming::Notification { method, params } => {
                self.legacy_notification(&session, method, *params);
                Reply::accepted()
            }
            Incoming::Response { id, outcome } => {
                self.legacy_response(&session, id.clone(), *outcome);
                Reply::accepted()
            }
        }
    }

    /// `caller` is the request's (the session is bound to the same identity): its scopes and
    /// claims are the current token's.
    async fn legacy_request(
        &'static self,
        session: &Entry<S>,
        caller: Option<&crate::Principal>,
        call: Call<'_>,
        method: &str,
        raw: Option<&RawValue>,
    ) -> Answer {
        let version = call.version;
        if SHARED.contains(&method) {
            let params = Params::parse(raw)?;
            let cx = || {
                Context::new(version, None, None, session.log_level())
                    .notifying(self)
                    .by(caller.or(session.principal()))
            };
            return self.shared(call, method, &params, raw, None, cx).await;
        }
        match method {
            "ping" => Ok(call.empty()),
            "tools/call" => {
                let params = Params::parse(raw)?;
                let meta = params.meta.unwrap_or_default();
                let asker = Asker {
                    pending: &self.pending,
                    session: session.id(),
                    capabilities: Declared::from_capabilities(
                        &session.initialize_record().capabilities,
                    ),
                };
                let (tx, rx) = self.messages(params.name.as_deref());
                let cx = Context::new(version, tx, meta.progress_token, session.log_level())
                    .notifying(self)
                    .asking(asker)
                    .by(caller.or(session.principal()));
                let tool = ToolCall {
                    name: params.name.as_deref(),
                    arguments: params.arguments,
                    cx,
                    session: Some(Session::live(session.clone(), self.sessions.store)),
                    round: None,
                    cancel: Some(Cancel::new(&self.inflight, session.id(), call.id.clone())),
                    messages: rx,
                };
                self.call_tool(call, tool).await
            }
            "resources/subscribe" | "resources/unsubscribe" => {
                self.subscribe(session, call, method, raw).await
            }
            "logging/setLevel" => self.set_level(session, call, raw).await,
            _ => Err(Failure::ok(ErrorObject::method_not_found(method))),
        }
    }

    /// A stateless 2026-07-28 message.
    async fn modern(&'static self, req: &Request<'_>, incoming: &Incoming<'_>) -> Reply {
        let (id, method, params) = match incoming {
            Incoming::Request { id, method, params } => (id, method, *params),
            Incoming::Notification { .. } => return Reply::accepted(),
            Incoming::Response { id, .. } => {
                let e = ErrorObject::invalid_request(
                    "2026-07-28 has no server-to-client requests to respond to",
                );
                return Failure::bad_request(e).into_reply(Some(id), None);
            }
        };
        let version = Some(ProtocolVersion::V2026_07_28);
        self.modern_request(req, id, method, params)
            .await
            .unwrap_or_else(|f| f.into_reply(Some(id), version))
    }

    async fn modern_request(
        &'static self,
        req: &Request<'_>,
        id: &RequestId,
        method: &str,
        raw: Option<&RawValue>,
    ) -> Answer {
        let mut params = Params::parse(raw)?;
        let version = check_meta(params.meta.as_ref(), req.headers.as_ref())?;
        if let Some(headers) = &req.headers {
            check_headers(headers, method, &params)?;
            if method == "tools/call"
                && let Some(name) = params.name.as_deref()
            {
                check_param_headers(headers, self.catalog.param_headers(name), params.arguments)?;
            }
        }
        let call = Call { id, version };
        let meta = params.meta.take().unwrap_or_default();
        let declared = meta.declared();
        if SHARED.contains(&method) {
            let cx = || {
                Context::new(version, None, None, meta.log_level)
                    .notifying(self)
                    .by(req.caller)
            };
            return self
                .shared(call, method, &params, raw, Some(declared), cx)
                .await;
        }
        match method {
            "server/discover" => {
                Ok(call.reply(|buf| buf.extend_from_slice(self.catalog.discover())))
            }
            "subscriptions/listen" => self.listen(call, raw),
            "tools/call" => {
                let cx = Context::new(version, None, meta.progress_token, meta.log_level)
                    .notifying(self)
                    .by(req.caller);
                self.call_tool_modern(call, &params, cx, declared).await
            }
            "tasks/get" | "tasks/update" | "tasks/cancel" => {
                self.task_method(call, method, &params, declared).await
            }
            _ => Err(Failure::new(
                Fault::UnknownMethod,
                ErrorObject::method_not_found(method),
            )),
        }
    }

    /// Methods both eras serve alike: lists, resources, prompts, completion (see [`SHARED`]).
    async fn shared(
        &'static self,
        call: Call<'_>,
        method: &str,
        params: &Params<'_>,
        raw: Option<&RawValue>,
        capabilities: Option<Declared>,
        cx: impl FnOnce() -> Context,
    ) -> Answer {
        match method {
            "tools/list" => self.list(call, List::Tools, params),
            "resources/list" => self.list(call, List::Resources, params),
            "resources/templates/list" => self.list(call, List::Templates, params),
            "prompts/list" => self.list(call, List::Prompts, params),
            "resources/read" => self.read_resource(call, params, cx()).await,
            "prompts/get" => self.get_prompt(call, params, capabilities, cx()).await,
            _ => self.complete(call, raw).await,
        }
    }

    fn list(&self, call: Call<'_>, list: List, params: &Params<'_>) -> Answer {
        let page = self
            .catalog
            .list(list, call.version, params.cursor.as_deref())
            .map_err(Failure::ok)?;
        Ok(call.reply(|buf| buf.extend_from_slice(page)))
    }

    /// The session a legacy message names (see `session::resolve`).
    pub(super) async fn session(
        &'static self,
        req: &Request<'_>,
        may_reinit: bool,
    ) -> Result<Entry<S>, Failure> {
        let claim = Claim {
            id: req.session,
            principal: req.caller,
            version: req.headers.and_then(|h| h.protocol_version),
            headers: &|| all_headers(req),
            may_reinit,
        };
        self.sessions
            .resolve(&self.server, claim)
            .await
            .map_err(|r| rejected(r, req.headers.is_none()))
    }
}

/// A legacy method's error, with the status the legacy era gives it (see [`Answer`]).
fn answered(failure: Failure) -> Failure {
    match failure.error.code {
        code::INVALID_PARAMS => Failure::ok(failure.error),
        _ => failure,
    }
}

/// `initialize` sent without an id: a notification, which gets no answer on stdio; an HTTP
/// POST must still be answered.
fn initialize_notification(req: &Request<'_>) -> Reply {
    if req.headers.is_none() {
        tracing::debug!("`initialize` without an id ignored");
        return Reply::accepted();
    }
    let e = ErrorObject::invalid_request("`initialize` is a request: send it with an `id`");
    Failure::bad_request(e).into_reply(None, None)
}

/// Every header of the request, owned (empty on stdio).
pub(super) fn all_headers(req: &Request<'_>) -> Headers {
    req.headers.map(|h| h.all.to_headers()).unwrap_or_default()
}

/// The error for a message that gets no session.
pub(super) fn rejected(rejection: Rejection, stdio: bool) -> Failure {
    match rejection {
        Rejection::Missing if stdio => Failure::new(
            Fault::NoSession,
            ErrorObject::invalid_request(
                "send `initialize` first, or a 2026-07-28 request with `params._meta`",
            ),
        ),
        Rejection::Missing => Failure::new(
            Fault::NoSession,
            ErrorObject::invalid_request(
                "the `Mcp-Session-Id` header is required; send `initialize` first",
            ),
        ),
        Rejection::NotFound(reason) => Failure::new(
            Fault::UnknownSession,
            ErrorObject::new(
                code::SESSION_NOT_FOUND,
                format!(
                    "{reason}: send `initialize` without `Mcp-Session-Id` to start a new session"
                ),
            ),
        ),
        Rejection::Full => Failure::new(
            Fault::Unavailable,
            ErrorObject::internal(
                "the server is full: it has reached its limit of live sessions; try again later",
            ),
        ),
        Rejection::Store(e) => {
            tracing::error!("session store: {e}");
            Failure::new(
                Fault::Unavailable,
                ErrorObject::internal("the session store is unavailable; try again later"),
            )
        }
    }
}

fn request_id<'a>(incoming: &'a Incoming<'_>) -> Option<&'a RequestId> {
    match incoming {
        Incoming::Request { id, .. } => Some(id),
        _ => None,
    }
}

/// A complete response whose result `write` writes.
pub(super) fn respond(id: &RequestId, write: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
    let mut buf = Vec::with_capacity(256);
    jsonrpc::begin_result(&mut buf, id);
    write(&mut buf);
    jsonrpc::end_response(&mut buf);
    buf
}

#[cfg(test)]
mod tests;
