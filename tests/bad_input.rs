//! The README's "Bad input" table, row by row: each row's input is sent in-process through
//! the router and must get exactly the status, JSON-RPC code and message the table says, and
//! every row here must be in the table (and every row of the table here), so the two cannot
//! drift apart.

use axum::Router;
use axum::body::Body;
use axum::http::Request;
use mcp_runtime::prelude::*;
use mcp_runtime::{Options, router};
use serde_json::{Value, json};
use tower::ServiceExt;

struct Target;

#[mcp_server(name = "bad-input")]
impl Target {
    /// Add two integers.
    #[tool]
    fn add(&self, a: i64, b: i64) -> String {
        (a + b).to_string()
    }

    /// Fails the way a bug would.
    #[tool]
    fn explode(&self) -> String {
        panic!("a bug in the tool")
    }

    /// Asks the user first.
    #[tool]
    async fn confirm(&self, ctx: Context) -> String {
        let schema = json!({"type": "object", "properties": {}});
        match ctx.elicit("Sure?", schema).await {
            Ok(answer) => answer.action,
            Err(e) => e.to_string(),
        }
    }
}

const LEGACY: &str = "2025-11-25";
const MODERN: &str = "2026-07-28";

/// One row: what is sent, and what it gets.
struct Row {
    /// The table's first column, verbatim.
    input: &'static str,
    method: &'static str,
    headers: Vec<(&'static str, String)>,
    body: Vec<u8>,
    status: u16,
    code: Option<i64>,
    /// A part of the message the answer carries.
    message: &'static str,
}

fn legacy(session: &str) -> Vec<(&'static str, String)> {
    vec![
        ("mcp-session-id", session.to_owned()),
        ("mcp-protocol-version", LEGACY.to_owned()),
    ]
}

fn modern(method: &str) -> Vec<(&'static str, String)> {
    vec![
        ("mcp-protocol-version", MODERN.to_owned()),
        ("mcp-method", method.to_owned()),
    ]
}

fn meta() -> Value {
    json!({"io.modelcontextprotocol/protocolVersion": MODERN, "io.modelcontextprotocol/clientCapabilities": {}})
}

fn rows(session: &str) -> Vec<Row> {
    let post = |input, headers, body: Value, status, code, message| Row {
        input,
        method: "POST",
        headers,
        body: body.to_string().into_bytes(),
        status,
        code,
        message,
    };
    let raw = |input, method, headers, body: &[u8], status, code, message| Row {
        input,
        method,
        headers,
        body: body.to_vec(),
        status,
        code,
        message,
    };
    let ping = br#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#;
    vec![
        raw(
            "a body that is not UTF-8",
            "POST",
            legacy(session),
            b"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\",\"x\":\"\xff\"}",
            400,
            Some(-32700),
            "not UTF-8",
        ),
        raw(
            "`Content-Type` other than JSON",
            "POST",
            vec![("content-type", "text/plain".to_owned())],
            ping,
            415,
            Some(-32600),
            "`Content-Type` must be `application/json`",
        ),
        raw(
            "`Accept` without `text/event-stream`",
            "POST",
            vec![("accept", "application/json".to_owned())],
            ping,
            406,
            Some(-32600),
            "`Accept` must include",
        ),
        raw(
            "a body over the limit (`--max-body`)",
            "POST",
            vec![],
            &[b' '; 5 << 20],
            413,
            Some(-32600),
            "exceeds",
        ),
        raw(
            "an HTTP method other than GET, POST, DELETE",
            "PUT",
            vec![],
            ping,
            405,
            Some(-32600),
            "method PUT is not allowed",
        ),
        raw(
            "no `Host`",
            "POST",
            vec![("host", String::new())],
            ping,
            400,
            Some(-32600),
            "the `Host` header is required",
        ),
        raw(
            "two `Host` headers",
            "POST",
            vec![
                ("host", "localhost".to_owned()),
                ("host", "localhost".to_owned()),
            ],
            ping,
            400,
            Some(-32600),
            "must appear once",
        ),
        raw(
            "a `Host` not allowed (`--allow-host`)",
            "POST",
            vec![("host", "evil.example".to_owned())],
            ping,
            403,
            Some(-32600),
            "host not allowed: evil.example",
        ),
        raw(
            "an `Origin` not allowed (`--allow-origin`)",
            "POST",
            vec![("origin", "http://evil.example".to_owned())],
            ping,
            403,
            Some(-32600),
            "origin not allowed",
        ),
        Row {
            input: "a body that is not JSON",
            method: "POST",
            headers: vec![],
            body: b"{not json".to_vec(),
            status: 400,
            code: Some(-32700),
            message: "parse error",
        },
        post(
            "a JSON-RPC batch (an array)",
            vec![],
            json!([{"jsonrpc": "2.0", "id": 1, "method": "ping"}]),
            400,
            Some(-32600),
            "batches are not supported",
        ),
        post(
            "`jsonrpc` other than \"2.0\"",
            vec![],
            json!({"jsonrpc": "1.0", "id": 1, "method": "ping"}),
            400,
            Some(-32600),
            "`jsonrpc` must be \"2.0\"",
        ),
        post(
            "a legacy request without `Mcp-Session-Id`",
            vec![],
            json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}),
            400,
            Some(-32600),
            "`Mcp-Session-Id` header is required",
        ),
        post(
            "an `Mcp-Session-Id` that names no session",
            legacy("0123456789abcdef0123456789abcdef"),
            json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}),
            404,
            Some(-32001),
            "session not found",
        ),
        post(
            "an unknown method (legacy)",
            legacy(session),
            json!({"jsonrpc": "2.0", "id": 1, "method": "no/such"}),
            200,
            Some(-32601),
            "method not found: no/such",
        ),
        post(
            "an unknown tool",
            legacy(session),
            json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "nope"}}),
            200,
            Some(-32602),
            "unknown tool: `nope`",
        ),
        post(
            "an unknown method (2026-07-28)",
            modern("no/such"),
            json!({"jsonrpc": "2.0", "id": 1, "method": "no/such", "params": {"_meta": meta()}}),
            404,
            Some(-32601),
            "method not found: no/such",
        ),
        post(
            "a 2026-07-28 request without `_meta`",
            modern("tools/list"),
            json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}),
            400,
            Some(-32602),
            "io.modelcontextprotocol/protocolVersion",
        ),
        post(
            "an unsupported protocol version in `_meta`",
            vec![
                ("mcp-protocol-version", "2099-01-01".to_owned()),
                ("mcp-method", "tools/list".to_owned()),
            ],
            json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {"_meta": {
                "io.modelcontextprotocol/protocolVersion": "2099-01-01",
                "io.modelcontextprotocol/clientCapabilities": {}}}}),
            400,
            Some(-32022),
            "unsupported protocol version: 2099-01-01",
        ),
        post(
            "positional `params` (an array)",
            legacy(session),
            json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": [1, 2]}),
            200,
            Some(-32602),
            "`params` must be an object",
        ),
        post(
            "positional `arguments` (an array, 2026-07-28)",
            vec![
                ("mcp-protocol-version", MODERN.to_owned()),
                ("mcp-method", "tools/call".to_owned()),
                ("mcp-name", "add".to_owned()),
            ],
            json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "add", "arguments": [1, 2], "_meta": meta()}}),
            400,
            Some(-32602),
            "`arguments` must be an object",
        ),
        Row {
            input: "a body that is JSON but not an object",
            method: "POST",
            headers: vec![],
            body: b"7".to_vec(),
            status: 400,
            code: Some(-32600),
            message: "not a JSON-RPC message",
        },
        post(
            "`initialize` without an `id`",
            vec![],
            json!({"jsonrpc": "2.0", "method": "initialize", "params": {}}),
            400,
            Some(-32600),
            "`initialize` is a request",
        ),
        post(
            "an `Mcp-Session-Id` this deployment never issued",
            legacy("not-an-id"),
            json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}),
            404,
            Some(-32001),
            "session not found",
        ),
        post(
            "a tool that panics",
            legacy(session),
            json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "explode"}}),
            200,
            Some(-32603),
            "the tool failed unexpectedly",
        ),
        post(
            "a `requestState` this server did not seal",
            vec![
                ("mcp-protocol-version", MODERN.to_owned()),
                ("mcp-method", "tools/call".to_owned()),
                ("mcp-name", "confirm".to_owned()),
            ],
            json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "confirm", "requestState": "forged.state", "_meta": meta()}}),
            400,
            Some(-32602),
            "invalid `requestState`",
        ),
        post(
            "`subscriptions/listen` for more than 1024 resources",
            modern("subscriptions/listen"),
            json!({"jsonrpc": "2.0", "id": 1, "method": "subscriptions/listen", "params": {"_meta": meta(),
                "notifications": {"resourceSubscriptions": (0..1025).map(|n| format!("fuzz://{n}")).collect::<Vec<_>>()}}}),
            400,
            Some(-32602),
            "at most 1024 resources",
        ),
        post(
            "`Mcp-Method` that differs from the body",
            modern("tools/call"),
            json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {"_meta": meta()}}),
            400,
            Some(-32020),
            "does not match the body's method",
        ),
    ]
}

async fn send(app: &Router, row: &Row) -> (u16, Value) {
    let mut req = Request::builder().method(row.method).uri("/mcp");
    // A row's header replaces the default of that name; an empty value leaves it out.
    let defaults = [
        ("host", "localhost"),
        ("content-type", "application/json"),
        ("accept", "application/json, text/event-stream"),
    ];
    for (name, value) in defaults {
        if !row.headers.iter().any(|(n, _)| *n == name) {
            req = req.header(name, value);
        }
    }
    for (name, value) in &row.headers {
        if !value.is_empty() {
            req = req.header(*name, value);
        }
    }
    let res = app
        .clone()
        .oneshot(req.body(Body::from(row.body.clone())).unwrap())
        .await
        .unwrap();
    let status = res.status().as_u16();
    let body = axum::body::to_bytes(res.into_body(), usize::MAX)
        .await
        .unwrap();
    (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
}

async fn app_and_session() -> (Router, String) {
    let app = router(Target, &Options::default()).await.unwrap();
    let init = json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
        "protocolVersion": LEGACY, "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}});
    let req = Request::builder()
        .method("POST")
        .uri("/mcp")
        .header("host", "localhost")
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .body(Body::from(init.to_string()))
        .unwrap();
    let res = app.clone().oneshot(req).await.unwrap();
    let session = res.headers()["mcp-session-id"].to_str().unwrap().to_owned();
    (app, session)
}

#[tokio::test]
async fn every_row_gets_what_the_table_says() {
    let (app, session) = app_and_session().await;
    for row in rows(&session) {
        let (status, body) = send(&app, &row).await;
        assert_eq!(status, row.status, "{}: {body}", row.input);
        let error = &body["error"];
        assert_eq!(error["code"].as_i64(), row.code, "{}: {body}", row.input);
        let message = error["message"].as_str().unwrap_or_default();
        assert!(
            message.contains(row.message),
            "{}: the message {message:?} does not say {:?}",
            row.input,
            row.message
        );
    }
}

/// The README's table, parsed: `| input | status | code | message |` rows under "Bad input".
fn readme_rows() -> Vec<(String, String, String)> {
    let readme = include_str!("../README.md");
    let table = readme
        .split("## Bad input")
        .nth(1)
        .expect("a \"Bad input\" section in the README");
    table
        .lines()
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'))
        .skip(2)
        .map(|l| {
            let cells: Vec<&str> = l.trim_matches('|').split(" | ").map(str::trim).collect();
            (
                cells[0].to_owned(),
                cells[1].to_owned(),
                cells[2].to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn the_readme_table_and_these_rows_are_the_same() {
    let readme = readme_rows();
    let rows = rows("x");
    for row in &rows {
        let code = row.code.map_or("none".to_owned(), |c| c.to_string());
        assert!(
            readme.iter().any(|(input, status, c)| input == row.input
                && *status == row.status.to_string()
                && *c == code),
            "the README's table lacks `| {} | {} | {code} |`",
            row.input,
            row.status
        );
    }
    for (input, _, _) in &readme {
        assert!(
            rows.iter().any(|r| r.input == input.as_str()),
            "the README's row {input:?} is not tested here"
        );
    }
}
