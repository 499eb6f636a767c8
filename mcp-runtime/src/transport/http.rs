//! Streamable HTTP on one endpoint for both eras (axum).
//!
//! A POST is modern (2026-07-28, stateless) when its `MCP-Protocol-Version` header names a
//! revision outside the legacy era, or, without that header and without `Mcp-Session-Id`, when
//! it carries `params._meta` or calls `server/discover`. Everything else is legacy and goes
//! through the session layer.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::header::{ACCEPT, ALLOW, CACHE_CONTROL, CONTENT_TYPE, HOST, ORIGIN};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use futures_util::stream;
use serde::Deserialize;
use serde::de::IgnoredAny;
use tokio::sync::mpsc;

use super::WireLog;
use crate::auth::Principal;
use crate::protocol::jsonrpc::{self, Incoming, RequestId};
use crate::protocol::version::is_legacy_version_string;
use crate::protocol::{CallToolResult, Era, ErrorObject, ProtocolVersion, code};
use crate::server::Server;
use crate::server::dispatch::{
    Answer, Dispatcher, Failure, ModernHeaders, PendingCall, call_response,
};
use crate::server::resolve::{Rejection, SessionClaim};
use crate::server::rounds::Outcome;
use crate::session::SessionEntry;

/// The session header of the legacy era.
pub const SESSION_HEADER: HeaderName = HeaderName::from_static("mcp-session-id");
/// The revision header.
pub const PROTOCOL_VERSION_HEADER: HeaderName = HeaderName::from_static("mcp-protocol-version");
const METHOD_HEADER: HeaderName = HeaderName::from_static("mcp-method");
const NAME_HEADER: HeaderName = HeaderName::from_static("mcp-name");
const KEEPALIVE: Duration = Duration::from_secs(25);

/// Settings of the HTTP transport.
#[derive(Clone, Debug)]
pub struct HttpOptions {
    /// The endpoint's path, e.g. `/mcp`.
    pub path: String,
    /// Host names (without port) accepted in `Host`; `*` accepts any. Guards against DNS
    /// rebinding. Default: the loopback names.
    pub allowed_hosts: Vec<String>,
    /// Origins accepted in `Origin` (`scheme://host[:port]`, or a bare host name that matches
    /// any scheme and port); `*` accepts any. Requests without `Origin` are accepted.
    pub allowed_origins: Vec<String>,
    /// The largest request body, in bytes; larger ones get 413.
    pub max_body: usize,
}

impl Default for HttpOptions {
    fn default() -> Self {
        let loopback = || ["localhost", "127.0.0.1", "::1"].map(String::from).to_vec();
        Self {
            path: "/mcp".into(),
            allowed_hosts: loopback(),
            allowed_origins: loopback(),
            max_body: 4 << 20,
        }
    }
}

/// The two ends of a call's messages, when it can send any.
type Messages = (
    Option<mpsc::UnboundedSender<Vec<u8>>>,
    Option<mpsc::UnboundedReceiver<Vec<u8>>>,
);

/// A tool call moved into an SSE body.
type BoxedCall = Pin<Box<dyn Future<Output = Outcome<CallToolResult>> + Send>>;

struct App<S: Server> {
    dispatcher: &'static Dispatcher<S>,
    options: HttpOptions,
    wire: Option<&'static WireLog>,
}

type Shared<S> = Arc<App<S>>;

/// The axum router that serves `dispatcher` at `options.path`.
pub(crate) fn router<S: Server>(
    dispatcher: &'static Dispatcher<S>,
    options: HttpOptions,
    wire: Option<&'static WireLog>,
) -> Router {
    let path = options.path.clone();
    let app = Arc::new(App {
        dispatcher,
        options,
        wire,
    });
    Router::new()
        .route(&path, axum::routing::any(handle::<S>))
        .with_state(app)
}

async fn handle<S: Server>(State(app): State<Shared<S>>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    if let Err(reason) = check_host_and_origin(&app.options, &parts.headers) {
        return error(
            StatusCode::FORBIDDEN,
            None,
            &ErrorObject::invalid_request(reason),
        );
    }
    let modern = header(&parts.headers, PROTOCOL_VERSION_HEADER)
        .is_some_and(|v| !is_legacy_version_string(v));
    let principal = parts.extensions.get::<Principal>();
    match parts.method {
        Method::POST => post(&app, &parts.headers, principal, body).await,
        Method::GET if !modern => get(&app, &parts.headers, principal).await,
        Method::DELETE if !modern => delete(&app, &parts.headers, principal).await,
        _ => {
            let allow = if modern { "POST" } else { "GET, POST, DELETE" };
            let mut res = error(
                StatusCode::METHOD_NOT_ALLOWED,
                None,
                &ErrorObject::invalid_request(format!(
                    "method {} is not allowed here",
                    parts.method
                )),
            );
            res.headers_mut()
                .insert(ALLOW, HeaderValue::from_static(allow));
            res
        }
    }
}

async fn post<S: Server>(
    app: &App<S>,
    headers: &HeaderMap,
    principal: Option<&Principal>,
    body: Body,
) -> Response {
    if !is_json(headers) {
        let e = ErrorObject::invalid_request("`Content-Type` must be `application/json`");
        return error(StatusCode::UNSUPPORTED_MEDIA_TYPE, None, &e);
    }
    if !accepts(headers, &["application/json", "text/event-stream"]) {
        let e = ErrorObject::invalid_request(
            "`Accept` must include `application/json` and `text/event-stream`",
        );
        return error(StatusCode::NOT_ACCEPTABLE, None, &e);
    }
    let body = match axum::body::to_bytes(body, app.options.max_body).await {
        Ok(body) => body,
        Err(_) => {
            let e = ErrorObject::invalid_request(format!(
                "the request body exceeds {} bytes",
                app.options.max_body
            ));
            return error(StatusCode::PAYLOAD_TOO_LARGE, None, &e);
        }
    };
    let incoming = match Incoming::parse(&body) {
        Ok(incoming) => incoming,
        Err(invalid) => return error(StatusCode::BAD_REQUEST, invalid.id.as_ref(), &invalid.error),
    };
    match route(headers, &incoming) {
        Era::Modern => app.modern(headers, incoming).await,
        Era::Legacy => app.legacy(headers, principal, incoming).await,
    }
}

/// Decides the era of a POST (see the module docs).
fn route(headers: &HeaderMap, incoming: &Incoming<'_>) -> Era {
    if let Some(v) = header(headers, PROTOCOL_VERSION_HEADER) {
        return if is_legacy_version_string(v) {
            Era::Legacy
        } else {
            Era::Modern
        };
    }
    if headers.contains_key(SESSION_HEADER) {
        return Era::Legacy;
    }
    let (method, params) = match incoming {
        Incoming::Request { method, params, .. } | Incoming::Notification { method, params } => {
            (method, params)
        }
        Incoming::Response { .. } => return Era::Legacy,
    };
    #[derive(Deserialize)]
    struct MetaProbe {
        #[serde(rename = "_meta")]
        meta: Option<IgnoredAny>,
    }
    let has_meta = params
        .and_then(|p| serde_json::from_str::<MetaProbe>(p.get()).ok())
        .is_some_and(|p| p.meta.is_some());
    if method == "server/discover" || has_meta {
        Era::Modern
    } else {
        Era::Legacy
    }
}

impl<S: Server> App<S> {
    async fn modern(&self, headers: &HeaderMap, incoming: Incoming<'_>) -> Response {
        let (id, method, params) = match incoming {
            Incoming::Request { id, method, params } => (id, method, params),
            Incoming::Notification { .. } => return accepted(),
            Incoming::Response { id, .. } => {
                let e = ErrorObject::invalid_request(
                    "2026-07-28 has no server-to-client requests to respond to",
                );
                return error(StatusCode::BAD_REQUEST, Some(&id), &e);
            }
        };
        let modern_headers = ModernHeaders {
            protocol_version: header(headers, PROTOCOL_VERSION_HEADER),
            method: header(headers, METHOD_HEADER),
            name: header(headers, NAME_HEADER),
            all: Some(headers),
        };
        let (tx, rx) = self.messages();
        let version = Some(ProtocolVersion::V2026_07_28);
        match self
            .dispatcher
            .modern(&id, &method, params, Some(&modern_headers), tx)
        {
            Ok(answer) => self.answer(answer, rx, version).await,
            Err(failure) => self.failure(&id, failure, version),
        }
    }

    async fn legacy(
        &self,
        headers: &HeaderMap,
        principal: Option<&Principal>,
        incoming: Incoming<'_>,
    ) -> Response {
        if let Incoming::Request { id, method, params } = &incoming
            && method == "initialize"
        {
            return self.initialize(id, *params, principal, headers).await;
        }
        if let Some(v) = header(headers, PROTOCOL_VERSION_HEADER)
            && ProtocolVersion::parse(v).is_none_or(|v| v.era() != Era::Legacy)
        {
            let e =
                ErrorObject::invalid_request(format!("unsupported `MCP-Protocol-Version`: {v}"));
            return error(StatusCode::BAD_REQUEST, request_id(&incoming), &e);
        }
        let may_reinit = matches!(incoming, Incoming::Request { .. });
        let session = match self.session(headers, principal, may_reinit).await {
            Ok(session) => session,
            Err(rejection) => return rejected(rejection, request_id(&incoming)),
        };
        let version = Some(session.version());
        match incoming {
            Incoming::Request { id, method, params } => {
                let (tx, rx) = self.messages();
                match self.dispatcher.legacy(&session, &id, &method, params, tx) {
                    Ok(answer) => self.answer(answer, rx, version).await,
                    Err(failure) => self.failure(&id, failure, version),
                }
            }
            Incoming::Notification { method, params } => {
                self.dispatcher
                    .legacy_notification(&session, &method, params);
                accepted()
            }
            Incoming::Response { id, outcome } => {
                self.dispatcher.legacy_response(&session, id, outcome);
                accepted()
            }
        }
    }

    async fn initialize(
        &self,
        id: &RequestId,
        params: Option<&serde_json::value::RawValue>,
        principal: Option<&Principal>,
        headers: &HeaderMap,
    ) -> Response {
        let record = match self.dispatcher.initialize(params) {
            Ok(record) => record,
            Err(failure) => return self.failure(id, failure, None),
        };
        let version = record.protocol_version;
        let session = match self
            .dispatcher
            .create_session(record, principal, headers)
            .await
        {
            Ok(session) => session,
            Err(rejection) => return rejected(rejection, Some(id)),
        };
        let body = self.dispatcher.initialize_response(id, version);
        let mut res = self.json(StatusCode::OK, body, Some(version));
        let sid =
            HeaderValue::from_str(&session.id().to_string()).expect("hex is a valid header value");
        res.headers_mut().insert(SESSION_HEADER, sid);
        res
    }

    /// The session a legacy message names (see `server::resolve`).
    async fn session(
        &self,
        headers: &HeaderMap,
        principal: Option<&Principal>,
        may_reinit: bool,
    ) -> Result<Arc<SessionEntry<S::Session>>, Rejection> {
        let claim = SessionClaim {
            id: header(headers, SESSION_HEADER),
            principal,
            headers,
            may_reinit,
        };
        self.dispatcher.resolve(claim).await
    }

    /// Where a call's messages go before its result, when any tool can send some.
    fn messages(&self) -> Messages {
        if self.dispatcher.emits {
            let (tx, rx) = mpsc::unbounded_channel();
            (Some(tx), Some(rx))
        } else {
            (None, None)
        }
    }

    async fn answer<F>(
        &self,
        answer: Answer<F>,
        rx: Option<mpsc::UnboundedReceiver<Vec<u8>>>,
        v: Option<ProtocolVersion>,
    ) -> Response
    where
        F: Future<Output = Outcome<CallToolResult>> + Send + 'static,
    {
        match answer {
            Answer::Ready(body) => self.json(StatusCode::OK, body, v),
            Answer::Deferred(future) => self.json(StatusCode::OK, future.await, v),
            Answer::Stream(stream) => self.stream(stream, v),
            Answer::Call(call) => self.run(call, rx, v).await,
        }
    }

    /// Runs a tool call: JSON when it finishes before emitting anything, SSE otherwise.
    async fn run<F>(
        &self,
        call: PendingCall<F>,
        rx: Option<mpsc::UnboundedReceiver<Vec<u8>>>,
        v: Option<ProtocolVersion>,
    ) -> Response
    where
        F: Future<Output = Outcome<CallToolResult>> + Send + 'static,
    {
        let PendingCall {
            id,
            version,
            future,
        } = call;
        let Some(mut rx) = rx else {
            // No tool can send anything before its result: plain JSON.
            let result = future.await;
            let (status, body) = call_response(&id, version, &result);
            return self.json(
                StatusCode::from_u16(status).unwrap_or(StatusCode::OK),
                body,
                v,
            );
        };
        let mut future = Box::pin(future);
        let first = tokio::select! {
            biased;
            result = &mut future => {
                                let (status, body) = call_response(&id, version, &result);
                if let Ok(first) = rx.try_recv() {
                    return self.sse(first, rx, None, Some(body), v);
                }
                let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
                return self.json(status, body, v);
            }
            Some(first) = rx.recv() => first,
        };
        let call = PendingCall {
            id,
            version,
            future: future as BoxedCall,
        };
        self.sse(first, rx, Some(call), None, v)
    }

    /// An SSE response: `first`, then whatever the call emits, then its result. The call runs
    /// inside the body stream, so a client that goes away cancels it.
    fn sse(
        &self,
        first: Vec<u8>,
        rx: mpsc::UnboundedReceiver<Vec<u8>>,
        call: Option<PendingCall<BoxedCall>>,
        done: Option<Vec<u8>>,
        v: Option<ProtocolVersion>,
    ) -> Response {
        struct Pump {
            first: Option<Vec<u8>>,
            rx: mpsc::UnboundedReceiver<Vec<u8>>,
            call: Option<PendingCall<BoxedCall>>,
            done: Option<Vec<u8>>,
            wire: Option<&'static WireLog>,
            version: Option<ProtocolVersion>,
        }
        impl Pump {
            fn frame(&self, message: Vec<u8>) -> Bytes {
                if let Some(wire) = self.wire {
                    wire.record(self.version, &message);
                }
                sse_frame(&message)
            }
        }
        let pump = Pump {
            first: Some(first),
            rx,
            call,
            done,
            wire: self.wire,
            version: v,
        };
        let body = stream::unfold(pump, |mut p| async move {
            if let Some(first) = p.first.take() {
                let frame = p.frame(first);
                return Some((Ok::<_, Infallible>(frame), p));
            }
            if let Some(call) = p.call.as_mut() {
                tokio::select! {
                    biased;
                    Some(message) = p.rx.recv() => {
                        let frame = p.frame(message);
                        return Some((Ok(frame), p));
                    }
                    result = &mut call.future => {
                                                p.done = Some(call.finish(&result).1);
                        p.call = None;
                    }
                }
            }
            if let Ok(message) = p.rx.try_recv() {
                let frame = p.frame(message);
                return Some((Ok(frame), p));
            }
            let done = p.done.take()?;
            let frame = p.frame(done);
            Some((Ok(frame), p))
        });
        sse_response(Body::from_stream(body))
    }

    /// An SSE response that relays `stream` until the client goes away, with keep-alives.
    fn stream(
        &self,
        stream: mpsc::UnboundedReceiver<Vec<u8>>,
        version: Option<ProtocolVersion>,
    ) -> Response {
        relay(stream, self.wire, version)
    }

    fn failure(&self, id: &RequestId, failure: Failure, v: Option<ProtocolVersion>) -> Response {
        let status = StatusCode::from_u16(failure.status).unwrap_or(StatusCode::OK);
        self.json(status, jsonrpc::error_response(Some(id), &failure.error), v)
    }

    fn json(&self, status: StatusCode, body: Vec<u8>, v: Option<ProtocolVersion>) -> Response {
        if let Some(wire) = self.wire {
            wire.record(v, &body);
        }
        json_response(status, body)
    }
}

/// Legacy GET: the session's stream of server-initiated messages.
async fn get<S: Server>(
    app: &App<S>,
    headers: &HeaderMap,
    principal: Option<&Principal>,
) -> Response {
    if !accepts(headers, &["text/event-stream"]) {
        let e = ErrorObject::invalid_request("`Accept` must include `text/event-stream`");
        return error(StatusCode::NOT_ACCEPTABLE, None, &e);
    }
    let session = match app.session(headers, principal, false).await {
        Ok(session) => session,
        Err(rejection) => return rejected(rejection, None),
    };
    let (tx, rx) = mpsc::unbounded_channel();
    if !session.attach_stream(tx) {
        let e = ErrorObject::invalid_request("this session already has an open GET stream");
        return error(StatusCode::CONFLICT, None, &e);
    }
    relay(rx, app.wire, Some(session.version()))
}

/// An SSE response relaying every message of `rx`, with a keep-alive comment when idle.
fn relay(
    rx: mpsc::UnboundedReceiver<Vec<u8>>,
    wire: Option<&'static WireLog>,
    version: Option<ProtocolVersion>,
) -> Response {
    let body = stream::unfold(rx, move |mut rx| async move {
        let frame = match tokio::time::timeout(KEEPALIVE, rx.recv()).await {
            Ok(Some(message)) => {
                if let Some(wire) = wire {
                    wire.record(version, &message);
                }
                sse_frame(&message)
            }
            Ok(None) => return None,
            Err(_) => Bytes::from_static(b": keepalive\n\n"),
        };
        Some((Ok::<_, Infallible>(frame), rx))
    });
    sse_response(Body::from_stream(body))
}

/// Legacy DELETE: ends the session.
async fn delete<S: Server>(
    app: &App<S>,
    headers: &HeaderMap,
    principal: Option<&Principal>,
) -> Response {
    let session = match app.session(headers, principal, false).await {
        Ok(session) => session,
        Err(rejection) => return rejected(rejection, None),
    };
    match app.dispatcher.end_session(&session).await {
        Ok(()) => StatusCode::OK.into_response(),
        Err(rejection) => rejected(rejection, None),
    }
}

/// The HTTP answer to a message that gets no session.
fn rejected(rejection: Rejection, id: Option<&RequestId>) -> Response {
    let (status, e) = match rejection {
        Rejection::Missing => (
            StatusCode::BAD_REQUEST,
            ErrorObject::invalid_request(
                "the `Mcp-Session-Id` header is required; send `initialize` first",
            ),
        ),
        Rejection::NotFound(reason) => (
            StatusCode::NOT_FOUND,
            ErrorObject::new(
                code::SESSION_NOT_FOUND,
                format!(
                    "{reason}: send `initialize` without `Mcp-Session-Id` to start a new session"
                ),
            ),
        ),
        Rejection::Full => (
            StatusCode::SERVICE_UNAVAILABLE,
            ErrorObject::internal(
                "the server has reached its limit of live sessions; try again later",
            ),
        ),
        Rejection::Store(e) => {
            tracing::error!("session store: {e}");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                ErrorObject::internal("the session store is unavailable; try again later"),
            )
        }
    };
    error(status, id, &e)
}

fn request_id<'a>(incoming: &'a Incoming<'_>) -> Option<&'a RequestId> {
    match incoming {
        Incoming::Request { id, .. } => Some(id),
        _ => None,
    }
}

// Looked up by `HeaderName`, so the name is not parsed again on every request.
fn header(headers: &HeaderMap, name: HeaderName) -> Option<&str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
}

fn is_json(headers: &HeaderMap) -> bool {
    header(headers, CONTENT_TYPE)
        .and_then(|ct| ct.split(';').next())
        .is_some_and(|mt| mt.trim().eq_ignore_ascii_case("application/json"))
}

/// Whether `Accept` admits every one of `media` (exactly, by `type/*` or by `*/*`); no
/// `Accept` admits all. The header is read once for all of them.
fn accepts(headers: &HeaderMap, media: &[&str]) -> bool {
    let Some(accept) = headers.get(ACCEPT) else {
        return true;
    };
    let Ok(accept) = accept.to_str() else {
        return false;
    };
    media.iter().all(|media| {
        let (kind, _) = media.split_once('/').expect("a media type");
        accept
            .split(',')
            .map(|part| part.split(';').next().unwrap_or("").trim())
            .any(|range| {
                range.eq_ignore_ascii_case(media)
                    || range == "*/*"
                    || range
                        .strip_suffix("/*")
                        .is_some_and(|k| k.eq_ignore_ascii_case(kind))
            })
    })
}

/// DNS-rebinding protection: `Host` and `Origin` must name an allowed host.
fn check_host_and_origin(options: &HttpOptions, headers: &HeaderMap) -> Result<(), String> {
    if let Some(host) = header(headers, HOST)
        && !host_allowed(&options.allowed_hosts, host_name(host))
    {
        return Err(format!("host not allowed: {host}"));
    }
    if let Some(origin) = header(headers, ORIGIN)
        && !origin_allowed(&options.allowed_origins, origin)
    {
        return Err(format!("origin not allowed: {origin}"));
    }
    Ok(())
}

/// The host name of a `host[:port]` authority, without brackets around IPv6 addresses.
fn host_name(authority: &str) -> &str {
    if let Some(rest) = authority.strip_prefix('[') {
        return rest.split(']').next().unwrap_or(rest);
    }
    authority.rsplit_once(':').map_or(authority, |(h, port)| {
        if port.bytes().all(|b| b.is_ascii_digit()) {
            h
        } else {
            authority
        }
    })
}

fn host_allowed(allowed: &[String], host: &str) -> bool {
    allowed
        .iter()
        .any(|a| a == "*" || a.eq_ignore_ascii_case(host))
}

fn origin_allowed(allowed: &[String], origin: &str) -> bool {
    let Some((_, authority)) = origin.split_once("://") else {
        return false;
    };
    let host = host_name(authority.trim_end_matches('/'));
    allowed
        .iter()
        .any(|a| a == "*" || a.eq_ignore_ascii_case(origin) || a.eq_ignore_ascii_case(host))
}

fn sse_frame(message: &[u8]) -> Bytes {
    let mut frame = Vec::with_capacity(message.len() + 24);
    frame.extend_from_slice(b"event: message\ndata: ");
    frame.extend_from_slice(message);
    frame.extend_from_slice(b"\n\n");
    frame.into()
}

fn sse_response(body: Body) -> Response {
    let mut res = Response::new(body);
    res.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("text/event-stream"));
    res.headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    res
}

fn json_response(status: StatusCode, body: Vec<u8>) -> Response {
    let mut res = Response::new(Body::from(body));
    *res.status_mut() = status;
    res.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    res
}

fn error(status: StatusCode, id: Option<&RequestId>, e: &ErrorObject) -> Response {
    json_response(status, jsonrpc::error_response(id, e))
}

fn accepted() -> Response {
    StatusCode::ACCEPTED.into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(k, v)| {
                (
                    axum::http::HeaderName::from_static(k),
                    HeaderValue::from_static(v),
                )
            })
            .collect()
    }

    #[test]
    fn accept_ranges() {
        let both = ["application/json", "text/event-stream"];
        assert!(accepts(
            &headers(&[("accept", "application/json, text/event-stream")]),
            &both
        ));
        assert!(accepts(&headers(&[("accept", "*/*")]), &both));
        assert!(accepts(
            &headers(&[("accept", "text/*;q=0.5")]),
            &["text/event-stream"]
        ));
        assert!(!accepts(&headers(&[("accept", "application/json")]), &both));
        assert!(!accepts(
            &headers(&[("accept", "text/event-stream")]),
            &both
        ));
        assert!(accepts(&headers(&[]), &both));
    }

    #[test]
    fn host_and_origin_allow_lists() {
        let o = HttpOptions::default();
        assert!(check_host_and_origin(&o, &headers(&[("host", "127.0.0.1:8080")])).is_ok());
        assert!(check_host_and_origin(&o, &headers(&[("host", "[::1]:8080")])).is_ok());
        assert!(
            check_host_and_origin(
                &o,
                &headers(&[("host", "localhost"), ("origin", "http://localhost:3000")])
            )
            .is_ok()
        );
        assert!(check_host_and_origin(&o, &headers(&[("host", "evil.example.com")])).is_err());
        assert!(check_host_and_origin(&o, &headers(&[("origin", "http://evil.example")])).is_err());
        assert!(check_host_and_origin(&o, &headers(&[("origin", "null")])).is_err());
    }
}
