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
use axum::http::header::{ACCEPT, ALLOW, CACHE_CONTROL, CONTENT_TYPE, HOST, ORIGIN, RETRY_AFTER};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use futures_util::stream;

use super::{Closing, WireLog};
use crate::auth::Principal;
use crate::protocol::jsonrpc;
use crate::protocol::version::is_legacy_version_string;
use crate::protocol::{Era, ErrorObject, ProtocolVersion};
use crate::server::Server;
use crate::server::dispatch::Dispatcher;
use crate::server::reply::{Body as ReplyBody, Fault, Frames, Reply};
use crate::server::request::{HeaderSource, HeaderView, Message, Request, era_of};
use crate::session::Headers;

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
    let path = options.path.clone();
    let app: &'static App<S> = Box::leak(Box::new(App {
        dispatcher,
        options,
        wire,
        closing,
    }));
    Router::new()
        .route(&path, axum::routing::any(handle::<S>))
        .with_state(app)
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
    match parts.method {
        Method::POST => {
            if let Err(res) = check_post(headers) {
                return res;
            }
            let body = match axum::body::to_bytes(body, app.options.max_body).await {
                Ok(body) => body,
                Err(_) => {
                    let e = ErrorObject::invalid_request(format!(
                        "the request body exceeds {} bytes",
                        app.options.max_body
                    ));
                    return error(StatusCode::PAYLOAD_TOO_LARGE, &e);
                }
            };
            let incoming = match super::parse(&body) {
                Ok(incoming) => incoming,
                Err(invalid) => {
                    let body = jsonrpc::error_response(invalid.id.as_ref(), &invalid.error);
                    return json_response(StatusCode::BAD_REQUEST, body);
                }
            };
            let era = era_of(&incoming, view.protocol_version, session.is_some());
            let reply = app
                .dispatcher
                .handle(request(Message::Rpc(incoming), era))
                .await;
            app.respond(reply, StatusCode::ACCEPTED)
        }
        Method::GET if !modern => {
            if !accepts(headers, &["text/event-stream"]) {
                let e = ErrorObject::invalid_request("`Accept` must include `text/event-stream`");
                return error(StatusCode::NOT_ACCEPTABLE, &e);
            }
            let reply = app
                .dispatcher
                .handle(request(Message::OpenStream, Era::Legacy))
                .await;
            app.respond(reply, StatusCode::OK)
        }
        Method::DELETE if !modern => {
            let reply = app
                .dispatcher
                .handle(request(Message::EndSession, Era::Legacy))
                .await;
            app.respond(reply, StatusCode::OK)
        }
        _ => {
            let allow = if modern { "POST" } else { "GET, POST, DELETE" };
            let e = ErrorObject::invalid_request(format!(
                "method {} is not allowed here",
                parts.method
            ));
            let mut res = error(StatusCode::METHOD_NOT_ALLOWED, &e);
            res.headers_mut()
                .insert(ALLOW, HeaderValue::from_static(allow));
            res
        }
    }
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
    }
}

impl<S: Server> App<S> {
    /// The HTTP response for a reply; `done` is the status of an empty reply without fault
    /// (202 for a notification or response, 200 for a DELETE).
    fn respond(&self, reply: Reply, done: StatusCode) -> Response {
        let mut res = match reply.body {
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

/// An SSE response carrying every frame; a stream that stays open gets a keep-alive comment
/// when idle, and ends when the server shuts down. The frames are produced inside the body, so
/// a client that goes away stops them.
fn sse<S: Server>(frames: Frames, app: &App<S>, version: Option<ProtocolVersion>) -> Response {
    let wire = app.wire;
    let closing = frames.is_open_ended().then(|| app.closing.signal());
    let body = stream::unfold(
        (frames, closing),
        move |(mut frames, mut closing)| async move {
            let next = match &mut closing {
                Some(signal) => tokio::select! {
                    biased;
                    () = signal.wait() => None,
                    next = tokio::time::timeout(KEEPALIVE, frames.next()) => match next {
                        Ok(next) => next,
                        Err(_) => {
                            let keepalive = Bytes::from_static(b": keepalive\n\n");
                            return Some((Ok::<_, Infallible>(keepalive), (frames, closing)));
                        }
                    },
                },
                None => frames.next().await,
            };
            let message = next?;
            if let Some(wire) = wire {
                wire.record(version, &message);
            }
            Some((Ok(sse_frame(&message)), (frames, closing)))
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

/// Why a request's `Host` or `Origin` is refused.
#[derive(Debug, PartialEq, Eq)]
enum Refusal {
    /// A request HTTP/1.1 forbids: no `Host`, or several (400).
    Malformed(&'static str),
    /// A name not allowed, or not readable as one (403).
    NotAllowed(String),
}

impl Refusal {
    fn into_response(self) -> Response {
        match self {
            Self::Malformed(reason) => error(
                StatusCode::BAD_REQUEST,
                &ErrorObject::invalid_request(reason),
            ),
            Self::NotAllowed(reason) => {
                error(StatusCode::FORBIDDEN, &ErrorObject::invalid_request(reason))
            }
        }
    }
}

/// DNS-rebinding protection: `Host` and `Origin` must name an allowed host. It fails closed:
/// a request without a host to check, with a header that is not visible ASCII, or with
/// several of one header (which a proxy and this check might read differently) is refused.
fn check_host_and_origin(
    options: &HttpOptions,
    uri: &Uri,
    headers: &HeaderMap,
) -> Result<(), Refusal> {
    check_host(&options.allowed_hosts, uri, headers)?;
    check_origin(&options.allowed_origins, headers)
}

/// HTTP/2 and absolute-form requests name their host in the target: each host given must pass.
fn check_host(allowed: &[String], uri: &Uri, headers: &HeaderMap) -> Result<(), Refusal> {
    let host =
        single(headers, HOST).ok_or(Refusal::Malformed("the `Host` header must appear once"))?;
    let target = uri.authority().map(|a| a.as_str());
    if host.is_none() && target.is_none() {
        return Err(Refusal::Malformed("the `Host` header is required"));
    }
    for host in host.map(visible).into_iter().chain(target.map(Some)) {
        let Some(host) = host else {
            return Err(Refusal::NotAllowed(
                "host not allowed: not visible ASCII".into(),
            ));
        };
        if !host_allowed(allowed, host_name(host)) {
            return Err(Refusal::NotAllowed(format!("host not allowed: {host}")));
        }
    }
    Ok(())
}

/// A request without `Origin` (not from a browser) passes.
fn check_origin(allowed: &[String], headers: &HeaderMap) -> Result<(), Refusal> {
    let not_allowed = |reason: String| Err(Refusal::NotAllowed(reason));
    let Some(origin) = single(headers, ORIGIN) else {
        return not_allowed("origin not allowed: several `Origin` headers".into());
    };
    let Some(origin) = origin else {
        return Ok(());
    };
    let Some(origin) = visible(origin) else {
        return not_allowed("origin not allowed: not visible ASCII".into());
    };
    if !origin_allowed(allowed, origin) {
        return not_allowed(format!("origin not allowed: {origin}"));
    }
    Ok(())
}

/// The one value of a header (`Some(None)`: absent); `None` when it appears more than once.
fn single(headers: &HeaderMap, name: HeaderName) -> Option<Option<&HeaderValue>> {
    let mut values = headers.get_all(name).into_iter();
    let first = values.next();
    values.next().is_none().then_some(first)
}

/// A header's value, trimmed, when it is visible ASCII.
fn visible(value: &HeaderValue) -> Option<&str> {
    value.to_str().ok().map(str::trim)
}

/// The host name of a `host[:port]` authority, without brackets around IPv6 addresses.
/// Anything else after a bracketed address leaves the authority whole, so it matches no name.
fn host_name(authority: &str) -> &str {
    let is_port = |port: &str| port.bytes().all(|b| b.is_ascii_digit());
    if let Some(rest) = authority.strip_prefix('[') {
        return match rest.split_once(']') {
            Some((host, "")) => host,
            Some((host, port)) if port.strip_prefix(':').is_some_and(is_port) => host,
            _ => authority,
        };
    }
    authority.rsplit_once(':').map_or(
        authority,
        |(h, port)| if is_port(port) { h } else { authority },
    )
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

fn error(status: StatusCode, e: &ErrorObject) -> Response {
    json_response(status, jsonrpc::error_response(None, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The check as an origin-form HTTP/1.1 request meets it.
    fn check_host_and_origin(options: &HttpOptions, headers: &HeaderMap) -> Result<(), String> {
        super::check_host_and_origin(options, &Uri::from_static("/mcp"), headers).map_err(
            |refusal| match refusal {
                Refusal::NotAllowed(reason) => reason,
                Refusal::Malformed(reason) => format!("malformed: {reason}"),
            },
        )
    }

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
        let after_brackets = headers(&[("host", "[::1]evil.example")]);
        let refused = Err("host not allowed: [::1]evil.example".to_owned());
        assert_eq!(check_host_and_origin(&o, &after_brackets), refused);
        let unreadable: HeaderMap = [
            (HOST, HeaderValue::from_static("localhost")),
            (ORIGIN, HeaderValue::from_bytes(b"http://\xc3\xa9").unwrap()),
        ]
        .into_iter()
        .collect();
        let refused = Err("origin not allowed: not visible ASCII".to_owned());
        assert_eq!(check_host_and_origin(&o, &unreadable), refused);
    }

    fn header_map(pairs: &[(HeaderName, &[u8])]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(name.clone(), HeaderValue::from_bytes(value).unwrap());
        }
        map
    }

    #[test]
    fn host_checks_fail_closed() {
        let o = HttpOptions::default();
        let refused = |pairs: &[(HeaderName, &[u8])]| check_host_and_origin(&o, &header_map(pairs));
        let missing = Err("malformed: the `Host` header is required".to_owned());
        assert_eq!(refused(&[]), missing);
        assert_eq!(refused(&[(ORIGIN, b"http://localhost")]), missing);
        let twice = Err("malformed: the `Host` header must appear once".to_owned());
        assert_eq!(
            refused(&[(HOST, b"localhost"), (HOST, b"evil.example")]),
            twice
        );
        assert_eq!(
            refused(&[(HOST, b"localhost"), (HOST, b"localhost")]),
            twice
        );
        let not_ascii = Err("host not allowed: not visible ASCII".to_owned());
        assert_eq!(refused(&[(HOST, b"localhost\xff")]), not_ascii);
        assert_eq!(refused(&[(HOST, b"\xc3\xa9vil.example")]), not_ascii);
        let origins = [
            (HOST, &b"localhost"[..]),
            (ORIGIN, b"http://localhost"),
            (ORIGIN, b"http://evil.example"),
        ];
        let several = Err("origin not allowed: several `Origin` headers".to_owned());
        assert_eq!(refused(&origins), several);
        assert_eq!(
            refused(&[(HOST, b"localhost"), (ORIGIN, b"http://localhost")]),
            Ok(())
        );
    }

    #[test]
    fn a_host_in_the_request_target_is_checked_too() {
        let o = HttpOptions::default();
        let check = |uri: &'static str, host: Option<&'static str>| {
            let h = headers(&host.map(|h| ("host", h)).into_iter().collect::<Vec<_>>());
            super::check_host_and_origin(&o, &Uri::from_static(uri), &h)
        };
        // HTTP/2 has no `Host`: its `:authority` is the target's.
        assert_eq!(check("http://localhost:9/mcp", None), Ok(()));
        let evil = Err(Refusal::NotAllowed(
            "host not allowed: evil.example:9".into(),
        ));
        assert_eq!(check("http://evil.example:9/mcp", None), evil);
        assert_eq!(check("http://evil.example:9/mcp", Some("localhost")), evil);
        let evil = Err(Refusal::NotAllowed("host not allowed: evil.example".into()));
        assert_eq!(check("http://localhost/mcp", Some("evil.example")), evil);
    }

    use proptest::prelude::*;

    fn only(host: &str) -> HttpOptions {
        HttpOptions {
            allowed_hosts: vec![host.to_owned()],
            allowed_origins: vec![host.to_owned()],
            ..HttpOptions::default()
        }
    }

    fn owned(pairs: &[(HeaderName, String)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(n, v)| (n.clone(), HeaderValue::from_str(v).unwrap()))
            .collect()
    }

    fn name() -> impl Strategy<Value = String> {
        "[a-z0-9]([a-z0-9.-]{0,18}[a-z0-9])?"
    }

    proptest! {
        #[test]
        fn an_allowed_host_is_allowed_on_any_port(
            host in name(),
            port in any::<u16>(),
            upper in any::<bool>(),
            scheme in "https?",
        ) {
            let sent = if upper { host.to_ascii_uppercase() } else { host.clone() };
            for (authority, origin) in [
                (format!("{sent}:{port}"), format!("{scheme}://{sent}:{port}")),
                (sent.clone(), format!("{scheme}://{sent}/")),
            ] {
                let h = owned(&[(HOST, authority), (ORIGIN, origin)]);
                prop_assert_eq!(check_host_and_origin(&only(&host), &h), Ok(()));
            }
        }

        #[test]
        fn a_host_not_listed_is_rejected(host in name(), other in name(), port in any::<u16>()) {
            prop_assume!(!host.eq_ignore_ascii_case(&other));
            let o = only(&host);
            for sent in [format!("{other}:{port}"), other.clone(), format!("[{other}]:{port}")] {
                let h = owned(&[(HOST, sent.clone())]);
                prop_assert_eq!(check_host_and_origin(&o, &h), Err(format!("host not allowed: {sent}")));
            }
            let origin = format!("http://{other}:{port}");
            let h = owned(&[(HOST, host.clone()), (ORIGIN, origin.clone())]);
            prop_assert_eq!(check_host_and_origin(&o, &h), Err(format!("origin not allowed: {origin}")));
        }

        // With the default loopback list, whatever passes names a loopback host, and only it.
        #[test]
        fn arbitrary_headers_pass_only_for_loopback_names(
            host in prop_oneof![
                "(localhost|127\\.0\\.0\\.1|\\[::1\\]|::1|evil\\.example)(:[0-9]{0,5})?[a-z.:@\\]\\[]{0,4}",
                any::<String>(),
            ],
            origin in prop_oneof!["https?://[a-z0-9.:@\\]\\[/]{0,16}", any::<String>()],
        ) {
            let loopback = |authority: &str| {
                let authority = authority.to_ascii_lowercase();
                let host = ["localhost", "127.0.0.1", "[::1]", "::1"]
                    .into_iter()
                    .find_map(|name| authority.strip_prefix(name));
                host.is_some_and(|port| port.is_empty() || port.strip_prefix(':').is_some_and(|p| p.bytes().all(|b| b.is_ascii_digit())))
            };
            let o = HttpOptions::default();
            if let Ok(value) = HeaderValue::from_str(&host) {
                let passed = check_host_and_origin(&o, &[(HOST, value)].into_iter().collect()).is_ok();
                prop_assert!(!passed || loopback(&host), "{} passed", host);
            }
            if let Ok(value) = HeaderValue::from_str(&origin) {
                let passed = check_host_and_origin(&o, &[(ORIGIN, value)].into_iter().collect()).is_ok();
                let authority = origin.split_once("://").map(|(_, a)| a.trim_end_matches('/'));
                prop_assert!(!passed || authority.is_some_and(loopback), "{} passed", origin);
            }
        }
    }
}
