//! Streamable HTTP on one endpoint for both eras (axum).
//!
//! This module reads the HTTP side of a message (method, `Host`/`Origin`, content type,
//! `Accept`, body limit, the few MCP headers), builds the server's request value, and turns
//! the reply into a response: its status code comes from the reply's fault, chosen here only.
//! Which era a POST speaks is decided by `server::request::era_of`, as on stdio.

use std::convert::Infallible;
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request as HttpRequest, State};
use axum::http::header::{
    ACCEPT, ALLOW, CACHE_CONTROL, CONTENT_TYPE, RETRY_AFTER, WWW_AUTHENTICATE,
};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use futures_util::stream;

use super::{Closing, WireLog};

mod dev;
mod hosts;

use crate::auth::Principal;
use crate::protocol::jsonrpc;
use crate::protocol::version::is_legacy_version_string;
use crate::protocol::{Era, ErrorObject, ProtocolVersion};
use crate::server::Server;
use crate::server::changelog::EventId;
use crate::server::dispatch::Dispatcher;
use crate::server::reply::{Body as ReplyBody, Fault, Frames, Reply};
use crate::server::request::{HeaderSource, HeaderView, Message, Request, era_of};
use crate::session::Headers;
use hosts::check_host_and_origin;

/// The session header of the legacy era.
const SESSION_HEADER: HeaderName = HeaderName::from_static("mcp-session-id");
/// The revision header.
const PROTOCOL_VERSION_HEADER: HeaderName = HeaderName::from_static("mcp-protocol-version");
const METHOD_HEADER: HeaderName = HeaderName::from_static("mcp-method");
const NAME_HEADER: HeaderName = HeaderName::from_static("mcp-name");
const KEEPALIVE: Duration = Duration::from_secs(25);
/// When a client refused with 503 (the server full, or its session store unreachable) may try
/// again, in seconds: long enough not to add load, short enough for a store that comes back.
const RETRY_AFTER_SECS: HeaderValue = HeaderValue::from_static("5");

/// Settings of the HTTP transport.
#[derive(Clone, Debug)]
pub(crate) struct HttpOptions {
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
    /// Serve the development page at `GET /`.
    pub dev: bool,
}

impl Default for HttpOptions {
    fn default() -> Self {
        let loopback = || ["localhost", "127.0.0.1", "::1"].map(String::from).to_vec();
        Self {
            path: "/mcp".into(),
            allowed_hosts: loopback(),
            allowed_origins: loopback(),
            max_body: 4 << 20,
            dev: false,
        }
    }
}

struct App<S: Server> {
    dispatcher: &'static Dispatcher<S>,
    options: HttpOptions,
    wire: Option<&'static WireLog>,
    /// Ends the streams that would otherwise stay open (GET, `subscriptions/listen`).
    closing: Closing,
}

/// The axum router that serves `dispatcher` at `options.path`; its open-ended streams end
/// when `closing` closes.
pub(crate) fn router<S: Server>(
    dispatcher: &'static Dispatcher<S>,
    options: HttpOptions,
    wire: Option<&'static WireLog>,
    closing: Closing,
) -> Router {
    let (path, dev) = (options.path.clone(), options.dev);
    let app: &'static App<S> = Box::leak(Box::new(App {
        dispatcher,
        options,
        wire,
        closing,
    }));
    let router = Router::new().route(&path, axum::routing::any(handle::<S>));
    let router = if dev && path != "/" {
        router.route("/", axum::routing::get(dev::page(&path)))
    } else {
        router
    };
    router.with_state(app)
}

async fn handle<S: Server>(State(app): State<&'static App<S>>, req: HttpRequest) -> Response {
    let (parts, body) = req.into_parts();
    let headers = &parts.headers;
    if let Err(refusal) = check_host_and_origin(&app.options, &parts.uri, headers) {
        return refusal.into_response();
    }
    let view = view(headers);
    let modern = view
        .protocol_version
        .is_some_and(|v| !is_legacy_version_string(v));
    let session = header(headers, SESSION_HEADER);
    let caller = parts.extensions.get::<Principal>();
    let request = |message, era| Request {
        message,
        era,
        session,
        caller,
        headers: Some(view),
        pinned: false,
    };
    let bytes;
    let (message, era, done) = match parts.method {
        Method::POST => {
            if let Err(res) = check_post(headers) {
                return res;
            }
            bytes = match axum::body::to_bytes(body, app.options.max_body).await {
                Ok(bytes) => bytes,
                Err(_) => {
                    let e = ErrorObject::invalid_request(format!(
                        "the request body exceeds {} bytes",
                        app.options.max_body
                    ));
                    return error(StatusCode::PAYLOAD_TOO_LARGE, &e);
                }
            };
            let incoming = match super::parse(&bytes) {
                Ok(incoming) => incoming,
                Err(invalid) => {
                    let body = jsonrpc::error_response(invalid.id.as_ref(), &invalid.error);
                    return json_response(StatusCode::BAD_REQUEST, body);
                }
            };
            let era = era_of(&incoming, view.protocol_version, session.is_some());
            (Message::Rpc(incoming), era, StatusCode::ACCEPTED)
        }
        Method::GET if !modern => {
            if !accepts(headers, &["text/event-stream"]) {
                let e = ErrorObject::invalid_request("`Accept` must include `text/event-stream`");
                return error(StatusCode::NOT_ACCEPTABLE, &e);
            }
            (Message::OpenStream, Era::Legacy, StatusCode::OK)
        }
        Method::DELETE if !modern => (Message::EndSession, Era::Legacy, StatusCode::OK),
        _ => {
            let allow = if modern { "POST" } else { "GET, POST, DELETE" };
            let e = ErrorObject::invalid_request(format!(
                "method {} is not allowed here",
                parts.method
            ));
            let mut res = error(StatusCode::METHOD_NOT_ALLOWED, &e);
            res.headers_mut()
                .insert(ALLOW, HeaderValue::from_static(allow));
            return res;
        }
    };
    // `done` is the status of an empty reply without fault: 202 for a notification or a
    // response, 200 for a stream or a DELETE.
    let answer = |reply| app.respond(reply, done);
    let status = |res: &Response| res.status().as_u16();
    super::trace::handle(app.dispatcher, request(message, era), answer, status).await
}

/// A POST must send JSON and accept both JSON and SSE.
#[allow(clippy::result_large_err)]
fn check_post(headers: &HeaderMap) -> Result<(), Response> {
    if !is_json(headers) {
        let e = ErrorObject::invalid_request("`Content-Type` must be `application/json`");
        return Err(error(StatusCode::UNSUPPORTED_MEDIA_TYPE, &e));
    }
    if !accepts(headers, &["application/json", "text/event-stream"]) {
        let e = ErrorObject::invalid_request(
            "`Accept` must include `application/json` and `text/event-stream`",
        );
        return Err(error(StatusCode::NOT_ACCEPTABLE, &e));
    }
    Ok(())
}

/// The headers the server reads, looked up once.
fn view(headers: &HeaderMap) -> HeaderView<'_> {
    HeaderView {
        protocol_version: header(headers, PROTOCOL_VERSION_HEADER),
        method: header(headers, METHOD_HEADER),
        name: header(headers, NAME_HEADER),
        all: headers,
    }
}

impl HeaderSource for HeaderMap {
    fn value(&self, name: &str) -> Option<Result<&str, ()>> {
        self.get(name).map(|v| v.to_str().map_err(|_| ()))
    }

    fn to_headers(&self) -> Headers {
        self.iter()
            .filter_map(|(n, v)| Some((n.as_str(), v.to_str().ok()?)))
            .collect()
    }
}

/// The status of each fault.
fn status(fault: Fault) -> StatusCode {
    match fault {
        Fault::Invalid | Fault::NoSession => StatusCode::BAD_REQUEST,
        Fault::UnknownSession | Fault::UnknownMethod => StatusCode::NOT_FOUND,
        Fault::StreamTaken => StatusCode::CONFLICT,
        Fault::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        Fault::Forbidden => StatusCode::FORBIDDEN,
    }
}

/// The step-up challenge of a 403 (RFC 6750, section 3.1): the scopes the request needs, from
/// the error's `data.scope`.
fn scope_challenge(body: &[u8]) -> Option<HeaderValue> {
    let answer: serde_json::Value = serde_json::from_slice(body).ok()?;
    let scope = answer["error"]["data"]["scope"].as_str()?;
    let challenge = format!("Bearer error=\"insufficient_scope\", scope=\"{scope}\"");
    HeaderValue::from_str(&challenge).ok()
}

impl<S: Server> App<S> {
    /// The HTTP response for a reply; `done` is the status of an empty reply without fault
    /// (202 for a notification or response, 200 for a DELETE).
    fn respond(&self, reply: Reply, done: StatusCode) -> Response {
        let mut res = match reply.body {
            ReplyBody::Json(body) if reply.fault == Some(Fault::Forbidden) => {
                self.record(reply.version, &body);
                let challenge = scope_challenge(&body);
                let mut res = json_response(StatusCode::FORBIDDEN, body);
                if let Some(challenge) = challenge {
                    res.headers_mut().insert(WWW_AUTHENTICATE, challenge);
                }
                res
            }
            ReplyBody::Json(body) => {
                self.record(reply.version, &body);
                json_response(reply.fault.map_or(StatusCode::OK, status), body)
            }
            ReplyBody::Stream(frames) => sse(frames, self, reply.version),
            ReplyBody::Empty => reply.fault.map_or(done, status).into_response(),
        };
        if reply.fault == Some(Fault::Unavailable) {
            res.headers_mut().insert(RETRY_AFTER, RETRY_AFTER_SECS);
        }
        if let Some(id) = reply.session {
            let id = HeaderValue::from_str(&id.to_string()).expect("hex is a valid header value");
            res.headers_mut().insert(SESSION_HEADER, id);
        }
        res
    }

    fn record(&self, version: Option<ProtocolVersion>, message: &[u8]) {
        if let Some(wire) = self.wire {
            wire.record(version, message);
        }
    }
}

/// The last frame of a stream the server ends because it shuts down (a rolling deploy): a
/// comment saying why, and `retry` asking the client to reconnect soon, which a load balancer
/// sends to another replica.
const SHUTTING_DOWN: &[u8] = b": the server is shutting down; reconnect\nretry: 1000\n\n";

/// An SSE response carrying every frame; a stream that stays open gets a keep-alive comment
/// when idle, and ends when the server shuts down, with a last frame that says so. The frames
/// are produced inside the body, so a client that goes away stops them.
fn sse<S: Server>(frames: Frames, app: &App<S>, version: Option<ProtocolVersion>) -> Response {
    let wire = app.wire;
    let closing = frames.is_open_ended().then(|| app.closing.signal());
    let body = stream::unfold(
        (frames, closing, false),
        move |(mut frames, mut closing, ended)| async move {
            if ended {
                return None;
            }
            let next = match &mut closing {
                Some(signal) => tokio::select! {
                    biased;
                    () = signal.wait() => {
                        let last = Bytes::from_static(SHUTTING_DOWN);
                        return Some((Ok::<_, Infallible>(last), (frames, closing, true)));
                    }
                    next = tokio::time::timeout(KEEPALIVE, frames.next_event()) => match next {
                        Ok(next) => next,
                        Err(_) => {
                            let keepalive = Bytes::from_static(b": keepalive\n\n");
                            return Some((Ok(keepalive), (frames, closing, false)));
                        }
                    },
                },
                None => frames.next_event().await,
            };
            let (id, message) = next?;
            if let Some(wire) = wire
                && !message.is_empty()
            {
                wire.record(version, &message);
            }
            Some((Ok(sse_frame(id, &message)), (frames, closing, false)))
        },
    );
    sse_response(Body::from_stream(body))
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

/// One SSE event: a message, with its id when the stream is resumable; an id with no message
/// primes the client with a position to resume from.
fn sse_frame(id: Option<EventId>, message: &[u8]) -> Bytes {
    use std::io::Write;
    let mut frame = Vec::with_capacity(message.len() + 64);
    if let Some(id) = id {
        let _ = writeln!(frame, "id: {id}");
    }
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

fn error(status: StatusCode, e: &ErrorObject) -> Response {
    json_response(status, jsonrpc::error_response(None, e))
}

#[cfg(test)]
mod tests;
