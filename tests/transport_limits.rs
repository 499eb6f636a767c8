//! The transports' limits and refusals on the wire: `Host`/`Origin` that fail closed, 503 with
//! `Retry-After` (in-process, through the router), and, against the `everything` example, the
//! connection limits' flags and a shutdown that ends open streams and exits in time.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderName, HeaderValue, Request, StatusCode};
use mcp_runtime::prelude::*;
use mcp_runtime::{Options, router};
use serde_json::{Value, json};
use tower::ServiceExt;

struct Limits;

#[mcp_server(name = "limits-test", version = "1.0.0")]
impl Limits {
    /// Echo.
    #[tool]
    fn echo(&self, text: String) -> String {
        text
    }
}

async fn app(max_sessions: usize) -> Router {
    let options = Options {
        max_sessions,
        ..Options::default()
    };
    router(Limits, &options).await.expect("router")
}

fn initialize_body() -> String {
    json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}})
    .to_string()
}

/// A POST of `initialize` with exactly `headers` (raw bytes allowed) besides the content ones.
async fn post(
    app: &Router,
    headers: &[(&str, &[u8])],
) -> (StatusCode, axum::http::HeaderMap, Value) {
    let mut req = Request::builder()
        .method("POST")
        .uri("/mcp")
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .body(Body::from(initialize_body()))
        .unwrap();
    for (name, value) in headers {
        req.headers_mut().append(
            HeaderName::from_bytes(name.as_bytes()).unwrap(),
            HeaderValue::from_bytes(value).unwrap(),
        );
    }
    let res = app.clone().oneshot(req).await.unwrap();
    let (parts, body) = res.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX).await.unwrap();
    let json = serde_json::from_slice(&bytes)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&bytes)));
    (parts.status, parts.headers, json)
}

fn error(reply: &Value) -> (i64, &str) {
    let e = &reply["error"];
    (e["code"].as_i64().unwrap(), e["message"].as_str().unwrap())
}

#[tokio::test]
async fn host_checks_fail_closed() {
    let app = app(100).await;
    let (status, _, body) = post(&app, &[]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error(&body), (-32600, "the `Host` header is required"));
    assert_eq!(body["id"], Value::Null);

    // The loopback one first, as a proxy that reads the last one would not.
    let twice = [("host", &b"localhost"[..]), ("host", b"evil.example")];
    let (status, _, body) = post(&app, &twice).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error(&body), (-32600, "the `Host` header must appear once"));

    let (status, _, body) = post(&app, &[("host", b"localhost\xff")]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(
        error(&body),
        (-32600, "host not allowed: not visible ASCII")
    );

    let origins = [
        ("host", &b"localhost"[..]),
        ("origin", b"http://localhost"),
        ("origin", b"http://evil.example"),
    ];
    let (status, _, body) = post(&app, &origins).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(
        error(&body),
        (-32600, "origin not allowed: several `Origin` headers")
    );

    let (status, _, body) = post(&app, &[("host", b"localhost:8080")]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn a_full_server_answers_503_with_retry_after() {
    let app = app(1).await;
    let (status, headers, _) = post(&app, &[("host", b"localhost")]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(headers.get("retry-after").is_none());
    let (status, headers, body) = post(&app, &[("host", b"localhost")]).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(headers.get("retry-after").unwrap(), "5");
    assert_eq!(body["id"], 1);
}

#[tokio::test]
async fn a_body_that_is_not_utf8_is_a_parse_error() {
    let app = app(100).await;
    let body = b"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\",\"x\":\"\xff\"}".to_vec();
    let req = Request::builder()
        .method("POST")
        .uri("/mcp")
        .header("host", "localhost")
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .body(Body::from(body))
        .unwrap();
    let res = app.oneshot(req).await.unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let bytes = axum::body::to_bytes(res.into_body(), usize::MAX)
        .await
        .unwrap();
    let reply: Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(reply["id"], Value::Null);
    assert_eq!(
        error(&reply),
        (
            -32700,
            "parse error: the message is not UTF-8: invalid utf-8 sequence of 1 bytes from index 45"
        )
    );
}

/// The `everything` example on a free port, with `args`.
struct Everything {
    child: Child,
    authority: String,
}

impl Everything {
    fn start(args: &[&str]) -> Self {
        let mut child = Command::new(common::example("everything"))
            .args(["--http", "127.0.0.1:0"])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start the example");
        let mut stderr = BufReader::new(child.stderr.take().expect("stderr"));
        let mut line = String::new();
        let authority = loop {
            line.clear();
            assert!(stderr.read_line(&mut line).unwrap() > 0, "exited early");
            if let Some(at) = line.find("http://") {
                let url = line[at + "http://".len()..].trim();
                break url.split('/').next().unwrap().to_owned();
            }
        };
        std::thread::spawn(move || std::io::copy(&mut stderr, &mut std::io::sink()));
        Self { child, authority }
    }

    fn connect(&self) -> TcpStream {
        let tcp = TcpStream::connect(&self.authority).unwrap();
        tcp.set_read_timeout(Some(Duration::from_secs(15))).unwrap();
        tcp
    }

    /// A POST on a connection of its own; the session id and the whole response.
    fn post(&self, session: Option<&str>, body: &Value) -> (Option<String>, String) {
        let mut tcp = self.connect();
        let body = body.to_string();
        let session = session.map_or(String::new(), |s| {
            format!("mcp-session-id: {s}\r\nmcp-protocol-version: 2025-11-25\r\n")
        });
        write!(
            tcp,
            "POST /mcp HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\n\
             accept: application/json, text/event-stream\r\n{session}connection: close\r\n\
             content-length: {}\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        let mut text = String::new();
        tcp.read_to_string(&mut text).unwrap();
        let id = text
            .lines()
            .find_map(|l| {
                l.to_ascii_lowercase()
                    .strip_prefix("mcp-session-id: ")
                    .map(str::to_owned)
            })
            .map(|id| id.trim().to_owned());
        (id, text)
    }

    /// Initializes a legacy session, optionally declaring `sampling`; returns its id.
    fn session(&self, capabilities: Value) -> String {
        let init = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-11-25", "capabilities": capabilities,
            "clientInfo": {"name": "t", "version": "1"}}});
        let (id, text) = self.post(None, &init);
        id.unwrap_or_else(|| panic!("no session: {text}"))
    }

    /// Opens a request whose response stays open, and reads its head.
    fn open(&self, request: &str) -> (TcpStream, String) {
        let mut tcp = self.connect();
        tcp.write_all(request.as_bytes()).unwrap();
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") {
            assert_eq!(tcp.read(&mut byte).unwrap(), 1, "the response begins");
            head.push(byte[0]);
        }
        (tcp, String::from_utf8(head).unwrap())
    }

    /// Sends SIGTERM; the exit status and how long it took.
    fn terminate(&mut self) -> (ExitStatus, Duration) {
        let sent = Instant::now();
        let kill = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(kill.success());
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return (status, sent.elapsed());
            }
            assert!(sent.elapsed() < Duration::from_secs(30), "still running");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Everything {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What is left to read on `tcp` until the server closes it.
fn rest(tcp: &mut TcpStream) -> String {
    let mut rest = Vec::new();
    let _ = tcp.read_to_end(&mut rest);
    String::from_utf8_lossy(&rest).into_owned()
}

fn get_stream(session: &str) -> String {
    format!(
        "GET /mcp HTTP/1.1\r\nhost: localhost\r\naccept: text/event-stream\r\n\
         mcp-session-id: {session}\r\nmcp-protocol-version: 2025-11-25\r\n\r\n"
    )
}

#[test]
fn sigterm_ends_open_streams_and_exits_at_once() {
    let mut server = Everything::start(&[]);
    let session = server.session(json!({}));
    let (mut stream, head) = server.open(&get_stream(&session));
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(head.contains("text/event-stream"), "{head}");
    let (status, took) = server.terminate();
    assert_eq!(status.code(), Some(0), "{status}");
    // The default grace period is 10 s; an open stream does not wait for it.
    assert!(took < Duration::from_secs(3), "took {took:?}");
    let rest = rest(&mut stream);
    assert!(
        rest.ends_with("0\r\n\r\n"),
        "the stream ended cleanly: {rest}"
    );
    // Its last frame tells the client why, and to reconnect soon (to another replica).
    assert!(
        rest.contains(": the server is shutting down; reconnect\nretry: 1000\n\n"),
        "{rest}"
    );
}

#[test]
fn sigterm_exits_within_the_grace_period_whatever_clients_hold_open() {
    let mut server = Everything::start(&["--shutdown-grace", "2"]);
    let session = server.session(json!({ "sampling": {} }));
    let (_stream, _) = server.open(&get_stream(&session));
    // A call that waits for the client's answer to its sampling request, which never comes.
    let call = json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call",
        "params": {"name": "test_sampling", "arguments": {"prompt": "hi"}}})
    .to_string();
    let (_waiting, head) = server.open(&format!(
        "POST /mcp HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\n\
         accept: application/json, text/event-stream\r\nmcp-session-id: {session}\r\n\
         mcp-protocol-version: 2025-11-25\r\ncontent-length: {}\r\n\r\n{call}",
        call.len()
    ));
    assert!(head.contains("text/event-stream"), "the call waits: {head}");
    let _silent = server.connect();
    let (status, took) = server.terminate();
    assert_eq!(status.code(), Some(0), "{status}");
    assert!(
        took >= Duration::from_millis(1900) && took < Duration::from_secs(5),
        "took {took:?}"
    );
}

#[test]
fn connection_limits_are_set_by_flags() {
    let server = Everything::start(&["--header-timeout", "0.3", "--idle-timeout", "0.6"]);
    let start = Instant::now();
    let mut silent = server.connect();
    assert_eq!(rest(&mut silent), "", "closed without a word");
    let waited = start.elapsed();
    assert!(
        waited >= Duration::from_millis(250) && waited < Duration::from_secs(5),
        "{waited:?}"
    );
}
