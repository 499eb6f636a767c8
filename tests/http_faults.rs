//! Faults on the wire: handlers that panic, a request id used twice, callers told apart by
//! their API keys in 2026-07-28, bad params, and the statuses each gets over HTTP.

use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use mcp_runtime::auth::ApiKeys;
use mcp_runtime::prelude::*;
use mcp_runtime::{Options, router};
use serde_json::{Value, json};
use tower::ServiceExt;

#[derive(Default)]
struct Faults {
    visits: std::sync::Mutex<std::collections::HashMap<String, u64>>,
}

#[mcp_server(name = "faults", version = "1.0.0")]
impl Faults {
    /// Panics.
    #[tool]
    fn boom(&self) -> String {
        panic!("secret internals")
    }

    /// Answers after `ms` milliseconds.
    #[tool]
    async fn slow(&self, ms: u64) -> String {
        tokio::time::sleep(Duration::from_millis(ms)).await;
        format!("slept {ms} ms")
    }

    /// Counts the caller's visits, as the `reinit` example does.
    #[tool]
    fn count(&self, ctx: Context) -> String {
        let caller = ctx
            .principal()
            .map_or("anonymous".into(), ToString::to_string);
        let mut visits = self.visits.lock().unwrap();
        let n = visits.entry(caller.clone()).or_default();
        *n += 1;
        format!("{caller} {n}")
    }

    /// Echoes the region mirrored in `Mcp-Param-Region`.
    #[tool]
    fn region(&self, #[header("Region")] region: String) -> String {
        region
    }
}

const LEGACY: &str = "2025-11-25";
const MODERN: &str = "2026-07-28";

async fn app() -> Router {
    let options = Options {
        session_idle: Duration::from_secs(60),
        ..Options::default()
    };
    let keys = ApiKeys::parse("alice=k1,bob=k2");
    router(Faults::default(), &options)
        .await
        .expect("router")
        .layer(keys)
}

struct Reply {
    status: StatusCode,
    session: Option<String>,
    json: Value,
}

async fn post(app: &Router, headers: &[(&str, &str)], body: &str) -> Reply {
    let mut req = Request::builder()
        .method("POST")
        .uri("/mcp")
        .header("host", "127.0.0.1:8080")
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream");
    if !headers.iter().any(|(k, _)| *k == "authorization") {
        req = req.header("authorization", "Bearer k1");
    }
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let res = app
        .clone()
        .oneshot(req.body(Body::from(body.to_owned())).unwrap())
        .await
        .unwrap();
    let status = res.status();
    let session = res
        .headers()
        .get("mcp-session-id")
        .map(|v| v.to_str().unwrap().to_owned());
    let bytes = axum::body::to_bytes(res.into_body(), usize::MAX)
        .await
        .unwrap();
    let json = match bytes.is_empty() {
        true => Value::Null,
        false => serde_json::from_slice(&bytes).unwrap(),
    };
    Reply {
        status,
        session,
        json,
    }
}

async fn session(app: &Router) -> String {
    let init = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": LEGACY, "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}});
    let reply = post(app, &[], &init.to_string()).await;
    reply.session.expect("a session")
}

async fn legacy(app: &Router, sid: &str, body: &Value) -> Reply {
    let headers = [("mcp-session-id", sid), ("mcp-protocol-version", LEGACY)];
    post(app, &headers, &body.to_string()).await
}

fn call(id: u64, name: &str, arguments: Value) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "method": "tools/call",
           "params": {"name": name, "arguments": arguments}})
}

/// A 2026-07-28 `tools/call` of `name` with `arguments` as written, and its headers.
async fn modern(
    app: &Router,
    key: &str,
    name: &str,
    arguments: &str,
    extra: &[(&str, &str)],
) -> Reply {
    let body = format!(
        r#"{{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{{"name":"{name}","arguments":{arguments},"_meta":{{"io.modelcontextprotocol/protocolVersion":"{MODERN}","io.modelcontextprotocol/clientCapabilities":{{}}}}}}}}"#
    );
    let auth = format!("Bearer {key}");
    let mut headers = vec![
        ("mcp-protocol-version", MODERN),
        ("mcp-method", "tools/call"),
        ("mcp-name", name),
        ("authorization", auth.as_str()),
    ];
    headers.extend_from_slice(extra);
    post(app, &headers, &body).await
}

fn error(reply: &Reply) -> (StatusCode, i64, &str) {
    let e = &reply.json["error"];
    (
        reply.status,
        e["code"].as_i64().unwrap(),
        e["message"].as_str().unwrap(),
    )
}

fn text(reply: &Reply) -> &str {
    reply.json["result"]["content"][0]["text"].as_str().unwrap()
}

#[tokio::test]
async fn a_panicking_tool_is_answered_and_the_server_goes_on() {
    let app = app().await;
    let sid = session(&app).await;
    let old = legacy(&app, &sid, &call(2, "boom", json!({}))).await;
    let new = modern(&app, "k1", "boom", "{}", &[]).await;
    for reply in [&old, &new] {
        assert_eq!(
            error(reply),
            (StatusCode::OK, -32603, "the tool failed unexpectedly")
        );
    }
    let ping = legacy(
        &app,
        &sid,
        &json!({"jsonrpc": "2.0", "id": 3, "method": "ping"}),
    )
    .await;
    assert_eq!(
        (ping.status, &ping.json["result"]),
        (StatusCode::OK, &json!({}))
    );
}

#[tokio::test]
async fn a_second_request_under_an_id_in_flight_gets_400() {
    let app = app().await;
    let sid = session(&app).await;
    let first = {
        let (app, sid) = (app.clone(), sid.clone());
        tokio::spawn(async move { legacy(&app, &sid, &call(5, "slow", json!({"ms": 300}))).await })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    let second = legacy(&app, &sid, &call(5, "slow", json!({"ms": 1}))).await;
    assert_eq!(
        error(&second),
        (
            StatusCode::BAD_REQUEST,
            -32600,
            "request id 5 is already in use on this session"
        )
    );
    let first = first.await.unwrap();
    assert_eq!(
        (first.status, text(&first)),
        (StatusCode::OK, "slept 300 ms")
    );
}

#[tokio::test]
async fn each_api_key_is_its_own_caller_in_2026_07_28() {
    let app = app().await;
    let mut seen = Vec::new();
    for key in ["k1", "k1", "k2"] {
        let reply = modern(&app, key, "count", "{}", &[]).await;
        seen.push(text(&reply).to_owned());
    }
    assert_eq!(seen, ["alice 1", "alice 2", "bob 1"]);
}

#[tokio::test]
async fn param_headers_cannot_be_bypassed() {
    let app = app().await;
    let us = [("mcp-param-region", "us")];
    let deep = format!("{}1{}", "[".repeat(200), "]".repeat(200));
    let mismatch = "the `Mcp-Param-Region` header does not match the argument `region`";
    for arguments in [
        r#"{"region":"eu","x":1e400}"#.to_owned(),
        format!(r#"{{"region":"eu","x":{deep}}}"#),
    ] {
        let reply = modern(&app, "k1", "region", &arguments, &us).await;
        assert_eq!(error(&reply), (StatusCode::BAD_REQUEST, -32020, mismatch));
    }
    let reply = modern(&app, "k1", "region", r#"["us"]"#, &us).await;
    let text = "`arguments` must be an object";
    assert_eq!(error(&reply), (StatusCode::BAD_REQUEST, -32602, text));
    let reply = modern(&app, "k1", "region", r#"{"region":"us"}"#, &us).await;
    assert_eq!((reply.status, self::text(&reply)), (StatusCode::OK, "us"));
}

#[tokio::test]
async fn bad_messages_get_one_status_each() {
    let app = app().await;
    let sid = session(&app).await;
    let positional = json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list", "params": []});
    let reply = legacy(&app, &sid, &positional).await;
    assert_eq!(
        error(&reply),
        (StatusCode::OK, -32602, "`params` must be an object")
    );
    let reply = modern(&app, "k1", "slow", "[1]", &[]).await;
    let text = "`arguments` must be an object";
    assert_eq!(error(&reply), (StatusCode::BAD_REQUEST, -32602, text));

    let note = r#"{"jsonrpc":"2.0","method":"initialize","params":{}}"#;
    let reply = post(&app, &[], note).await;
    let text = "`initialize` is a request: send it with an `id`";
    assert_eq!(error(&reply), (StatusCode::BAD_REQUEST, -32600, text));

    let escaped = r#"{"jsonrpc":"2\u002e0","id":4,"method":"ping"}"#;
    let headers = [
        ("mcp-session-id", sid.as_str()),
        ("mcp-protocol-version", LEGACY),
    ];
    let reply = post(&app, &headers, escaped).await;
    assert_eq!(
        (reply.status, &reply.json["result"]),
        (StatusCode::OK, &json!({}))
    );
}
