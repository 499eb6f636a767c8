//! Streamable HTTP on the wire, in both eras: statuses, headers, JSON-RPC codes and bodies,
//! driven in-process through the router. Every JSON-RPC message is validated against the
//! spec's schema of its revision by the twins in `wire_matches_the_spec`, which are reported as
//! ignored where `../shared/spec` is absent (see `build.rs`).

mod common;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use mcp_runtime::prelude::*;
use mcp_runtime::{Options, router};
use serde_json::{Value, json};
use std::cell::RefCell;
use tower::ServiceExt;

struct Wire;

#[derive(Serialize, JsonSchema)]
struct Sum {
    sum: i64,
}

#[mcp_server(name = "wire-test", version = "9.9.9")]
impl Wire {
    /// Add two integers.
    #[tool]
    async fn add(&self, a: i64, b: i64) -> Sum {
        Sum { sum: a + b }
    }

    /// Echo.
    #[tool]
    fn echo(&self, text: String) -> String {
        text
    }

    /// Sleeps until cancelled.
    #[tool]
    async fn sleep(&self) -> String {
        tokio::time::sleep(std::time::Duration::from_secs(30)).await;
        "woke".into()
    }

    /// Reports progress twice, then answers.
    #[tool]
    async fn work(&self, ctx: Context) -> String {
        ctx.progress(1.0, Some(2.0), Some("half"));
        tokio::task::yield_now().await;
        ctx.progress(2.0, Some(2.0), None);
        "done".into()
    }
}

const LEGACY: &str = "2025-11-25";
const MODERN: &str = "2026-07-28";

async fn app() -> Router {
    let mut options = Options {
        session_idle: std::time::Duration::from_secs(60),
        ..Options::default()
    };
    options.max_body = 1024;
    router(Wire, &options).await.expect("router")
}

struct Reply {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    text: String,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }

    /// The JSON-RPC messages of an SSE body.
    fn events(&self) -> Vec<Value> {
        self.text
            .lines()
            .filter_map(|l| l.strip_prefix("data: "))
            .map(|d| serde_json::from_str(d).unwrap())
            .collect()
    }

    fn content_type(&self) -> &str {
        self.headers
            .get("content-type")
            .map_or("", |v| v.to_str().unwrap())
    }

    fn error_code(&self) -> i64 {
        self.json()["error"]["code"]
            .as_i64()
            .unwrap_or_else(|| panic!("no error code in {}", self.text))
    }
}

async fn send(app: &Router, method: &str, headers: &[(&str, &str)], body: &str) -> Reply {
    let mut req = Request::builder().method(method).uri("/mcp");
    let has = |name: &str| headers.iter().any(|(k, _)| k.eq_ignore_ascii_case(name));
    if !has("host") {
        req = req.header("host", "127.0.0.1:8080");
    }
    if !has("content-type") {
        req = req.header("content-type", "application/json");
    }
    if !has("accept") {
        req = req.header("accept", "application/json, text/event-stream");
    }
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let res = app
        .clone()
        .oneshot(req.body(Body::from(body.to_owned())).unwrap())
        .await
        .unwrap();
    let (parts, body) = res.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX).await.unwrap();
    Reply {
        status: parts.status,
        headers: parts.headers,
        text: String::from_utf8(bytes.to_vec()).unwrap(),
    }
}

thread_local! {
    /// The JSON-RPC messages the running test saw, with their revisions. `#[tokio::test]` runs
    /// each test's body on that test's own thread, so no test sees another's.
    static SEEN: RefCell<Vec<(String, Value)>> = const { RefCell::new(Vec::new()) };
}

/// Records `message`, sent under `version`, for the test's twin to validate.
fn record(version: &str, message: &Value) {
    SEEN.with_borrow_mut(|seen| seen.push((version.to_owned(), message.clone())));
}

fn initialize_body(version: &str) -> String {
    json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": version, "capabilities": {}, "clientInfo": {"name": "test", "version": "1"}}})
    .to_string()
}

/// Initializes a legacy session; returns its id.
async fn session(app: &Router) -> String {
    let reply = send(app, "POST", &[], &initialize_body(LEGACY)).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let id = reply
        .headers
        .get("mcp-session-id")
        .expect("Mcp-Session-Id")
        .to_str()
        .unwrap()
        .to_owned();
    let init = send(
        app,
        "POST",
        &[("mcp-session-id", &id)],
        r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#,
    )
    .await;
    assert_eq!(init.status, StatusCode::ACCEPTED);
    assert!(init.text.is_empty());
    id
}

async fn legacy(app: &Router, sid: &str, body: Value) -> Reply {
    send(
        app,
        "POST",
        &[("mcp-session-id", sid), ("mcp-protocol-version", LEGACY)],
        &body.to_string(),
    )
    .await
}

fn meta() -> Value {
    json!({"io.modelcontextprotocol/protocolVersion": MODERN, "io.modelcontextprotocol/clientCapabilities": {}})
}

async fn modern(app: &Router, method: &str, name: Option<&str>, params: Value) -> Reply {
    let body = json!({"jsonrpc": "2.0", "id": 7, "method": method, "params": params}).to_string();
    let mut headers = vec![("mcp-protocol-version", MODERN), ("mcp-method", method)];
    if let Some(name) = name {
        headers.push(("mcp-name", name));
    }
    send(app, "POST", &headers, &body).await
}

#[tokio::test]
async fn legacy_initialize_issues_a_session_and_negotiates_the_revision() {
    let app = app().await;
    for (asked, agreed) in [
        ("2025-03-26", "2025-03-26"),
        ("2025-06-18", "2025-06-18"),
        ("2025-11-25", "2025-11-25"),
        ("2024-11-05", "2025-11-25"),
    ] {
        let reply = send(&app, "POST", &[], &initialize_body(asked)).await;
        assert_eq!(reply.status, StatusCode::OK);
        assert_eq!(reply.content_type(), "application/json");
        let sid = reply
            .headers
            .get("mcp-session-id")
            .unwrap()
            .to_str()
            .unwrap();
        // 128 random bits and a 128-bit tag the deployment can verify, in lowercase hex.
        assert_eq!(sid.len(), 64);
        assert!(
            sid.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        );
        let body = reply.json();
        assert_eq!(body["result"]["protocolVersion"], agreed);
        assert_eq!(
            body["result"]["serverInfo"],
            json!({"name": "wire-test", "version": "9.9.9"})
        );
        record(agreed, &body);
    }
}

#[tokio::test]
async fn legacy_tools_list_and_call() {
    let app = app().await;
    let sid = session(&app).await;
    let list = legacy(
        &app,
        &sid,
        json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list"}),
    )
    .await
    .json();
    record(LEGACY, &list);
    let tools = list["result"]["tools"].as_array().unwrap();
    let names: Vec<_> = tools.iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["add", "echo", "sleep", "work"]);
    assert_eq!(tools[0]["inputSchema"]["type"], "object");
    assert_eq!(tools[0]["inputSchema"]["required"], json!(["a", "b"]));
    assert_eq!(
        tools[0]["outputSchema"]["properties"]["sum"]["type"],
        "integer"
    );
    assert_eq!(tools[0]["description"], "Add two integers.");

    let call = json!({"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": {"name": "add", "arguments": {"a": 2, "b": 40}}});
    let reply = legacy(&app, &sid, call).await;
    assert_eq!(reply.status, StatusCode::OK);
    let body = reply.json();
    record(LEGACY, &body);
    assert_eq!(body["id"], 3);
    assert_eq!(body["result"]["structuredContent"]["sum"], 42);
    assert_eq!(body["result"]["content"][0]["text"], r#"{"sum":42}"#);
    assert!(body["result"].get("resultType").is_none());

    let ping = legacy(
        &app,
        &sid,
        json!({"jsonrpc": "2.0", "id": "p", "method": "ping"}),
    )
    .await
    .json();
    assert_eq!(ping, json!({"jsonrpc": "2.0", "id": "p", "result": {}}));
}

#[tokio::test]
async fn revision_2025_03_26_gets_no_structured_content() {
    let app = app().await;
    let reply = send(&app, "POST", &[], &initialize_body("2025-03-26")).await;
    let sid = reply
        .headers
        .get("mcp-session-id")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    let call = json!({"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": {"name": "add", "arguments": {"a": 1, "b": 1}}});
    let body = send(&app, "POST", &[("mcp-session-id", &sid)], &call.to_string())
        .await
        .json();
    record("2025-03-26", &body);
    assert!(body["result"].get("structuredContent").is_none());
    assert_eq!(body["result"]["content"][0]["text"], r#"{"sum":2}"#);
    let list = send(
        &app,
        "POST",
        &[("mcp-session-id", &sid)],
        r#"{"jsonrpc":"2.0","id":4,"method":"tools/list"}"#,
    )
    .await
    .json();
    record("2025-03-26", &list);
    assert!(list["result"]["tools"][0].get("outputSchema").is_none());
}

#[tokio::test]
async fn tool_errors_follow_the_spec() {
    let app = app().await;
    let sid = session(&app).await;
    let unknown = json!({"jsonrpc": "2.0", "id": 5, "method": "tools/call", "params": {"name": "nope", "arguments": {}}});
    let reply = legacy(&app, &sid, unknown).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.error_code(), -32602);
    assert!(
        reply.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("nope")
    );
    record(LEGACY, &reply.json());

    let bad = json!({"jsonrpc": "2.0", "id": 6, "method": "tools/call", "params": {"name": "add", "arguments": {"a": "two", "b": 1}}});
    let body = legacy(&app, &sid, bad).await.json();
    record(LEGACY, &body);
    assert_eq!(body["result"]["isError"], true);
    let text = body["result"]["content"][0]["text"].as_str().unwrap();
    assert!(text.contains("`a`"), "the message names the field: {text}");

    let missing = json!({"jsonrpc": "2.0", "id": 7, "method": "tools/call", "params": {"name": "add", "arguments": {"a": 1}}});
    let body = legacy(&app, &sid, missing).await.json();
    assert_eq!(body["result"]["isError"], true);
    assert!(
        body["result"]["content"][0]["text"]
            .as_str()
            .unwrap()
            .contains("missing field `b`")
    );

    let unknown_method = legacy(
        &app,
        &sid,
        json!({"jsonrpc": "2.0", "id": 8, "method": "bogus/method"}),
    )
    .await;
    assert_eq!(unknown_method.error_code(), -32601);
}

#[tokio::test]
async fn legacy_session_rules() {
    let app = app().await;
    let list = r#"{"jsonrpc":"2.0","id":2,"method":"tools/list"}"#;
    let missing = send(&app, "POST", &[], list).await;
    assert_eq!(missing.status, StatusCode::BAD_REQUEST);
    assert_eq!(missing.error_code(), -32600);

    let unknown = send(
        &app,
        "POST",
        &[("mcp-session-id", "00000000000000000000000000000000")],
        list,
    )
    .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert!(
        unknown.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("initialize")
    );
    let garbage = send(&app, "POST", &[("mcp-session-id", "not-a-session")], list).await;
    assert_eq!(garbage.status, StatusCode::NOT_FOUND);
    let note = send(
        &app,
        "POST",
        &[("mcp-session-id", "00000000000000000000000000000000")],
        r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#,
    )
    .await;
    assert_eq!(note.status, StatusCode::NOT_FOUND);

    let sid = session(&app).await;
    let bad_version = send(
        &app,
        "POST",
        &[
            ("mcp-session-id", &sid),
            ("mcp-protocol-version", "1999-01-01"),
        ],
        list,
    )
    .await;
    assert_eq!(bad_version.status, StatusCode::BAD_REQUEST);
    let no_version = send(&app, "POST", &[("mcp-session-id", &sid)], list).await;
    assert_eq!(
        no_version.status,
        StatusCode::OK,
        "an absent version header means 2025-03-26"
    );

    let deleted = send(&app, "DELETE", &[("mcp-session-id", &sid)], "").await;
    assert_eq!(deleted.status, StatusCode::OK);
    let after = send(&app, "POST", &[("mcp-session-id", &sid)], list).await;
    assert_eq!(after.status, StatusCode::NOT_FOUND);
    let again = send(&app, "DELETE", &[("mcp-session-id", &sid)], "").await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn get_opens_the_session_stream() {
    let app = app().await;
    let sid = session(&app).await;
    let req = Request::builder()
        .method("GET")
        .uri("/mcp")
        .header("host", "localhost")
        .header("accept", "text/event-stream")
        .header("mcp-session-id", &sid)
        .body(Body::empty())
        .unwrap();
    let res = app.clone().oneshot(req).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "text/event-stream");
    let wrong_accept = send(
        &app,
        "GET",
        &[("mcp-session-id", &sid), ("accept", "application/json")],
        "",
    )
    .await;
    assert_eq!(wrong_accept.status, StatusCode::NOT_ACCEPTABLE);
    let no_session = send(&app, "GET", &[("accept", "text/event-stream")], "").await;
    assert_eq!(no_session.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn messages_before_the_result_turn_the_response_into_sse() {
    let app = app().await;
    let sid = session(&app).await;
    let call = json!({"jsonrpc": "2.0", "id": 9, "method": "tools/call", "params": {"name": "work", "_meta": {"progressToken": "tok"}}});
    let reply = legacy(&app, &sid, call).await;
    assert_eq!(reply.content_type(), "text/event-stream");
    let events = reply.events();
    assert_eq!(events.len(), 3, "{}", reply.text);
    assert_eq!(events[0]["method"], "notifications/progress");
    assert_eq!(
        events[0]["params"],
        json!({"progressToken": "tok", "progress": 1, "total": 2, "message": "half"})
    );
    assert_eq!(events[1]["params"]["progress"], 2);
    assert_eq!(events[2]["id"], 9);
    assert_eq!(events[2]["result"]["content"][0]["text"], "done");
    for e in &events {
        record(LEGACY, e);
    }
    // Without a progress token nothing is emitted: plain JSON.
    let call =
        json!({"jsonrpc": "2.0", "id": 10, "method": "tools/call", "params": {"name": "work"}});
    let reply = legacy(&app, &sid, call).await;
    assert_eq!(reply.content_type(), "application/json");
}

#[tokio::test]
async fn modern_requests_are_stateless() {
    let app = app().await;
    let discover = modern(&app, "server/discover", None, json!({"_meta": meta()})).await;
    assert_eq!(discover.status, StatusCode::OK);
    let body = discover.json();
    record(MODERN, &body);
    assert_eq!(body["result"]["resultType"], "complete");
    assert!(
        body["result"]["supportedVersions"]
            .as_array()
            .unwrap()
            .contains(&json!(MODERN))
    );
    assert_eq!(
        body["result"]["_meta"]["io.modelcontextprotocol/serverInfo"]["name"],
        "wire-test"
    );

    let list = modern(&app, "tools/list", None, json!({"_meta": meta()}))
        .await
        .json();
    record(MODERN, &list);
    assert_eq!(list["result"]["cacheScope"], "public");
    assert!(list["result"]["ttlMs"].is_u64());

    let call = modern(
        &app,
        "tools/call",
        Some("add"),
        json!({"name": "add", "arguments": {"a": 2, "b": 40}, "_meta": meta()}),
    )
    .await;
    assert_eq!(call.status, StatusCode::OK);
    let body = call.json();
    record(MODERN, &body);
    assert_eq!(body["result"]["resultType"], "complete");
    assert_eq!(body["result"]["structuredContent"]["sum"], 42);

    // A stale session id is ignored.
    let body =
        json!({"jsonrpc": "2.0", "id": 8, "method": "tools/list", "params": {"_meta": meta()}})
            .to_string();
    let headers = [
        ("mcp-protocol-version", MODERN),
        ("mcp-method", "tools/list"),
        ("mcp-session-id", "deadbeef"),
    ];
    assert_eq!(
        send(&app, "POST", &headers, &body).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn modern_validation_order_and_codes() {
    let app = app().await;
    type Case<'a> = (&'a str, Vec<(&'a str, &'a str)>, Value, StatusCode, i64);
    let cases: Vec<Case<'_>> = vec![
        (
            "missing _meta",
            vec![
                ("mcp-protocol-version", MODERN),
                ("mcp-method", "tools/list"),
            ],
            json!({}),
            StatusCode::BAD_REQUEST,
            -32602,
        ),
        (
            "_meta without capabilities",
            vec![
                ("mcp-protocol-version", MODERN),
                ("mcp-method", "tools/list"),
            ],
            json!({"_meta": {"io.modelcontextprotocol/protocolVersion": MODERN}}),
            StatusCode::BAD_REQUEST,
            -32602,
        ),
        (
            "_meta without the header",
            vec![("mcp-method", "tools/list")],
            json!({"_meta": meta()}),
            StatusCode::BAD_REQUEST,
            -32020,
        ),
        (
            "header and _meta disagree",
            vec![
                ("mcp-protocol-version", MODERN),
                ("mcp-method", "tools/list"),
            ],
            json!({"_meta": {"io.modelcontextprotocol/protocolVersion": "v999.0.0", "io.modelcontextprotocol/clientCapabilities": {}}}),
            StatusCode::BAD_REQUEST,
            -32020,
        ),
        (
            "missing Mcp-Method",
            vec![("mcp-protocol-version", MODERN)],
            json!({"_meta": meta()}),
            StatusCode::BAD_REQUEST,
            -32020,
        ),
        (
            "wrong Mcp-Method",
            vec![
                ("mcp-protocol-version", MODERN),
                ("mcp-method", "tools/call"),
            ],
            json!({"_meta": meta()}),
            StatusCode::BAD_REQUEST,
            -32020,
        ),
    ];
    for (what, headers, params, status, code) in cases {
        let body = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": params})
            .to_string();
        let reply = send(&app, "POST", &headers, &body).await;
        assert_eq!(
            (reply.status, reply.error_code()),
            (status, code),
            "{what}: {}",
            reply.text
        );
        assert_eq!(reply.json()["id"], 1, "{what}: errors echo the id");
        record(MODERN, &reply.json());
    }

    let unsupported = json!({"_meta": {"io.modelcontextprotocol/protocolVersion": "v999.0.0", "io.modelcontextprotocol/clientCapabilities": {}}});
    let body =
        json!({"jsonrpc": "2.0", "id": 1, "method": "server/discover", "params": unsupported})
            .to_string();
    let reply = send(
        &app,
        "POST",
        &[
            ("mcp-protocol-version", "v999.0.0"),
            ("mcp-method", "server/discover"),
        ],
        &body,
    )
    .await;
    assert_eq!(
        (reply.status, reply.error_code()),
        (StatusCode::BAD_REQUEST, -32022)
    );
    assert_eq!(reply.json()["error"]["data"]["requested"], "v999.0.0");
    assert!(
        reply.json()["error"]["data"]["supported"]
            .as_array()
            .unwrap()
            .contains(&json!(MODERN))
    );
    record(MODERN, &reply.json());

    let name_mismatch = modern(
        &app,
        "tools/call",
        Some("echo"),
        json!({"name": "add", "arguments": {"a": 1, "b": 2}, "_meta": meta()}),
    )
    .await;
    assert_eq!(
        (name_mismatch.status, name_mismatch.error_code()),
        (StatusCode::BAD_REQUEST, -32020)
    );
    let name_missing = modern(
        &app,
        "tools/call",
        None,
        json!({"name": "add", "arguments": {"a": 1, "b": 2}, "_meta": meta()}),
    )
    .await;
    assert_eq!(
        (name_missing.status, name_missing.error_code()),
        (StatusCode::BAD_REQUEST, -32020)
    );

    for removed in ["initialize", "ping", "logging/setLevel", "unknown/method"] {
        let reply = modern(&app, removed, None, json!({"_meta": meta()})).await;
        assert_eq!(
            (reply.status, reply.error_code()),
            (StatusCode::NOT_FOUND, -32601),
            "{removed}"
        );
        record(MODERN, &reply.json());
    }
    for verb in ["GET", "DELETE"] {
        let reply = send(&app, verb, &[("mcp-protocol-version", MODERN)], "").await;
        assert_eq!(reply.status, StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(reply.headers["allow"], "POST");
    }
}

#[tokio::test]
async fn modern_progress_streams_before_the_result() {
    let app = app().await;
    let mut m = meta();
    m["progressToken"] = json!(5);
    let reply = modern(
        &app,
        "tools/call",
        Some("work"),
        json!({"name": "work", "_meta": m}),
    )
    .await;
    assert_eq!(reply.content_type(), "text/event-stream");
    let events = reply.events();
    assert_eq!(
        events
            .iter()
            .map(|e| e["method"].as_str().unwrap_or("result"))
            .collect::<Vec<_>>(),
        ["notifications/progress", "notifications/progress", "result"]
    );
    assert_eq!(events[2]["result"]["resultType"], "complete");
    for e in &events {
        record(MODERN, e);
    }
}

#[tokio::test]
async fn bad_input_gets_clear_errors() {
    let app = app().await;
    let not_json = send(&app, "POST", &[], "this is not json").await;
    assert_eq!(
        (not_json.status, not_json.error_code()),
        (StatusCode::BAD_REQUEST, -32700)
    );
    assert_eq!(not_json.json()["id"], Value::Null);
    let batch = send(
        &app,
        "POST",
        &[],
        r#"[{"jsonrpc":"2.0","id":1,"method":"ping"}]"#,
    )
    .await;
    assert_eq!(
        (batch.status, batch.error_code()),
        (StatusCode::BAD_REQUEST, -32600)
    );
    let not_rpc = send(&app, "POST", &[], r#"{"jsonrpc":"2.0","id":4}"#).await;
    assert_eq!(
        (not_rpc.status, not_rpc.error_code()),
        (StatusCode::BAD_REQUEST, -32600)
    );
    assert_eq!(not_rpc.json()["id"], 4);
    let wrong_type = send(
        &app,
        "POST",
        &[("content-type", "text/plain")],
        &initialize_body(LEGACY),
    )
    .await;
    assert_eq!(wrong_type.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let wrong_accept = send(
        &app,
        "POST",
        &[("accept", "text/html")],
        &initialize_body(LEGACY),
    )
    .await;
    assert_eq!(wrong_accept.status, StatusCode::NOT_ACCEPTABLE);
    let too_big = send(
        &app,
        "POST",
        &[],
        &format!(
            r#"{{"jsonrpc":"2.0","id":1,"method":"ping","params":{{"x":"{}"}}}}"#,
            "x".repeat(2000)
        ),
    )
    .await;
    assert_eq!(too_big.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(
        too_big.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("1024")
    );
    let put = send(&app, "PUT", &[], "").await;
    assert_eq!(put.status, StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test]
async fn dns_rebinding_is_refused() {
    let app = app().await;
    let evil_origin = send(
        &app,
        "POST",
        &[("origin", "http://evil.example")],
        &initialize_body(LEGACY),
    )
    .await;
    assert_eq!(evil_origin.status, StatusCode::FORBIDDEN);
    assert!(
        evil_origin.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("evil.example")
    );
    let evil_host = send(
        &app,
        "POST",
        &[("host", "evil.example.com")],
        &initialize_body(LEGACY),
    )
    .await;
    assert_eq!(evil_host.status, StatusCode::FORBIDDEN);
    let local = send(
        &app,
        "POST",
        &[("origin", "http://localhost:5173")],
        &initialize_body(LEGACY),
    )
    .await;
    assert_eq!(local.status, StatusCode::OK);
}

#[tokio::test]
async fn lists_are_paginated_with_opaque_cursors() {
    let options = Options {
        page_size: 1,
        ..Options::default()
    };
    let app = router(Wire, &options).await.expect("router");
    let sid = session(&app).await;
    let mut names = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let params = match &cursor {
            Some(c) => json!({"cursor": c}),
            None => json!({}),
        };
        let page = legacy(
            &app,
            &sid,
            json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list", "params": params}),
        )
        .await
        .json();
        record(LEGACY, &page);
        let tools = page["result"]["tools"].as_array().unwrap();
        assert_eq!(tools.len(), 1);
        names.push(tools[0]["name"].as_str().unwrap().to_owned());
        match page["result"]["nextCursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!(names, ["add", "echo", "sleep", "work"]);
    let bad = legacy(
        &app,
        &sid,
        json!({"jsonrpc": "2.0", "id": 3, "method": "tools/list", "params": {"cursor": "bm9wZQ"}}),
    )
    .await;
    assert_eq!(bad.error_code(), -32602);
    assert!(
        bad.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("cursor")
    );
    let modern_page = modern(
        &app,
        "tools/list",
        None,
        json!({"_meta": meta(), "cursor": cursor.unwrap()}),
    )
    .await
    .json();
    record(MODERN, &modern_page);
    assert_eq!(modern_page["result"]["tools"][0]["name"], "work");
    assert!(modern_page["result"].get("nextCursor").is_none());
}

#[tokio::test]
async fn legacy_cancellation_stops_the_call() {
    let app = app().await;
    let sid = session(&app).await;
    let call =
        json!({"jsonrpc": "2.0", "id": 77, "method": "tools/call", "params": {"name": "sleep"}});
    let running = {
        let (app, sid) = (app.clone(), sid.clone());
        tokio::spawn(async move { legacy(&app, &sid, call).await })
    };
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let cancel = json!({"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": 77, "reason": "changed my mind"}});
    assert_eq!(
        legacy(&app, &sid, cancel).await.status,
        StatusCode::ACCEPTED
    );
    let reply = tokio::time::timeout(std::time::Duration::from_secs(5), running)
        .await
        .expect("the call ended")
        .unwrap();
    assert_eq!(reply.error_code(), -32800);
}

/// The tests above that see JSON-RPC messages, run again with every message validated against
/// the spec's JSON schema of its revision. They take milliseconds, so running each twice costs
/// less than any way of sharing one run.
mod wire_matches_the_spec {
    use super::SEEN;

    /// Runs `test`, then validates the messages it recorded.
    fn validated(test: fn()) {
        SEEN.take();
        test();
        let seen = SEEN.take();
        assert!(!seen.is_empty(), "the test recorded no messages");
        for (version, message) in &seen {
            crate::common::Schemas::get()
                .validate_sent(version, message)
                .unwrap_or_else(|e| panic!("{e}\n{message}"));
        }
    }

    macro_rules! twins {
        ($($name:ident)+) => {$(
            #[test]
            #[cfg_attr(
                not(mcp_spec),
                ignore = "../shared/spec is absent: the JSON-RPC messages are not validated against the spec's JSON schemas"
            )]
            fn $name() {
                validated(super::$name);
            }
        )+};
    }

    twins! {
        legacy_initialize_issues_a_session_and_negotiates_the_revision
        legacy_tools_list_and_call
        revision_2025_03_26_gets_no_structured_content
        tool_errors_follow_the_spec
        messages_before_the_result_turn_the_response_into_sse
        modern_requests_are_stateless
        modern_validation_order_and_codes
        modern_progress_streams_before_the_result
        lists_are_paginated_with_opaque_cursors
    }
}
