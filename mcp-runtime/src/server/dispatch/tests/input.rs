//! Requests that are malformed or try to slip past a check: what each gets, in both eras.

use axum::http::{HeaderMap, HeaderValue};
use serde_json::json;

use super::{IDLE, demo, legacy, legacy_session, request};
use crate::server::dispatch::Dispatcher;
use crate::server::reply::Fault;
use crate::session::{SessionMap, resolve::Sessions};
use crate::test_support::{
    Demo, Faulty, Via, dispatcher, headers, initialize, memory_store, modern, modern_headers, send,
    send_text,
};

/// A 2026-07-28 `tools/call` of `ask` written by hand, with `arguments` as given.
fn ask(arguments: &str) -> String {
    format!(
        r#"{{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{{"name":"ask","arguments":{arguments},"_meta":{{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{{}}}}}}}}"#
    )
}

#[tokio::test]
async fn param_headers_hold_whatever_the_arguments_contain() {
    let d = dispatcher(Faulty, memory_store(IDLE), IDLE);
    let mut h = modern_headers("tools/call", Some("ask"));
    h.extend(headers(&[("mcp-param-region", "us")]));
    let deep = format!("{}1{}", "[".repeat(200), "]".repeat(200));
    let mismatch = "the `Mcp-Param-Region` header does not match the argument `region`";
    let cases = [
        (ask(r#"{"region":"eu","x":1e400}"#), -32020, mismatch),
        (
            ask(&format!(r#"{{"region":"eu","x":{deep}}}"#)),
            -32020,
            mismatch,
        ),
        (ask(r#"["eu"]"#), -32602, "`arguments` must be an object"),
        (ask(r#""eu""#), -32602, "`arguments` must be an object"),
    ];
    for (message, code, text) in cases {
        let sent = send_text(d, Via::http(&h), &message).await;
        assert_eq!(sent.fault, Some(Fault::Invalid), "{message}");
        assert_eq!(sent.error(), (code, text), "{message}");
    }
    let absent = modern_headers("tools/call", Some("ask"));
    let sent = send_text(d, Via::http(&absent), &ask(r#"{"region":"eu","x":1e400}"#)).await;
    let text = "the `Mcp-Param-Region` header is required: the arguments carry `region`";
    assert_eq!(sent.error(), (-32020, text));
}

#[tokio::test]
async fn positional_params_are_refused_in_both_eras() {
    let (d, s) = legacy_session().await;
    let cases = [
        (
            request(2, "tools/list", json!([])),
            "`params` must be an object",
        ),
        (
            request(3, "logging/setLevel", json!(["info"])),
            "`params` must be an object",
        ),
        (
            request(
                4,
                "tools/call",
                json!({ "name": "add", "arguments": [1, 2] }),
            ),
            "`arguments` must be an object",
        ),
    ];
    for (message, text) in &cases {
        let sent = legacy(d, &s, message).await;
        assert_eq!(
            (sent.fault, sent.error()),
            (None, (-32602, *text)),
            "{message}"
        );
        let mut new = modern(7, message["method"].as_str().unwrap(), json!({}));
        new["params"] = message["params"].clone();
        let name = message["params"]["name"].as_str();
        let h = modern_headers(message["method"].as_str().unwrap(), name);
        let sent = send(demo(), Via::http(&h), &new).await;
        assert_eq!(sent.fault, Some(Fault::Invalid), "{message}");
        assert_eq!(sent.error(), (-32602, *text), "{message}");
    }
}

#[tokio::test]
async fn errors_name_no_rust_types() {
    let (d, s) = legacy_session().await;
    let sent = legacy(d, &s, &request(2, "tools/list", json!({ "_meta": 5 }))).await;
    let text = "invalid params: invalid type: integer `5`, expected `_meta` as an object at line 1 column 10";
    assert_eq!(sent.error(), (-32602, text));
    let bad = json!({ "protocolVersion": "2025-11-25", "capabilities": 5, "clientInfo": 1 });
    let sent = legacy(d, &s, &request(3, "initialize", bad)).await;
    let (code, text) = sent.error();
    assert_eq!(code, -32602);
    assert!(!text.contains("struct"), "{text}");
    let parsed = crate::protocol::Incoming::parse(b"7").unwrap_err();
    assert_eq!(
        parsed.error.message,
        "not a JSON-RPC message: invalid type: integer `7`, expected a JSON-RPC message object at line 1 column 1"
    );
}

#[tokio::test]
async fn jsonrpc_may_be_any_string_equal_to_2_0() {
    let d = demo();
    let h = modern_headers("tools/list", None);
    let message = serde_json::to_string(&modern(1, "tools/list", json!({}))).unwrap();
    let escaped = message.replace(r#""jsonrpc":"2.0""#, r#""jsonrpc":"2\u002e0""#);
    assert_ne!(message, escaped);
    let sent = send_text(d, Via::http(&h), &escaped).await;
    assert_eq!(sent.result()["tools"][0]["name"], "add");
}

#[tokio::test]
async fn initialize_without_an_id_is_a_notification() {
    let d = demo();
    let mut note = initialize(1, "2025-11-25");
    note.as_object_mut().unwrap().remove("id");
    let sent = send(d, Via::default(), &note).await;
    assert_eq!((sent.fault, sent.body), (None, None), "no answer on stdio");
    let h = headers(&[]);
    let sent = send(d, Via::http(&h), &note).await;
    assert_eq!(sent.fault, Some(Fault::Invalid));
    let text = "`initialize` is a request: send it with an `id`";
    assert_eq!(sent.error(), (-32600, text));
    assert!(d.sessions.map.is_empty());
}

#[tokio::test]
async fn headers_sent_with_bytes_that_are_not_ascii_are_named_so() {
    let d = demo();
    let mut h = HeaderMap::new();
    h.insert(
        "mcp-protocol-version",
        HeaderValue::from_static("2026-07-28"),
    );
    h.insert(
        "mcp-method",
        HeaderValue::from_bytes(b"tools/\xfflist").unwrap(),
    );
    let sent = send(d, Via::http(&h), &modern(1, "tools/list", json!({}))).await;
    assert_eq!(sent.fault, Some(Fault::Invalid));
    let text = "the `Mcp-Method` header is not visible ASCII";
    assert_eq!(sent.error(), (-32020, text));

    let (d2, s) = legacy_session().await;
    let mut h = HeaderMap::new();
    h.insert(
        "mcp-protocol-version",
        HeaderValue::from_bytes(b"2025-11-25\xff").unwrap(),
    );
    let via = Via {
        session: Some(&s),
        headers: Some(&h),
        ..Via::default()
    };
    let sent = send(d2, via, &request(2, "ping", json!({}))).await;
    assert_eq!(sent.fault, Some(Fault::Invalid));
    let text = "the `MCP-Protocol-Version` header is not visible ASCII";
    assert_eq!(sent.error(), (-32600, text));

    let mut h = modern_headers("tools/call", None);
    h.insert("mcp-name", HeaderValue::from_bytes(b"\xe9add").unwrap());
    let call = modern(
        2,
        "tools/call",
        json!({ "name": "add", "arguments": { "a": 1, "b": 1 } }),
    );
    let sent = send(d, Via::http(&h), &call).await;
    assert_eq!(
        sent.error(),
        (-32020, "the `Mcp-Name` header is not visible ASCII")
    );
}

#[tokio::test]
async fn a_full_server_says_so() {
    let sessions = Sessions::new(SessionMap::new(IDLE, 1), memory_store(IDLE));
    let d: &'static Dispatcher<Demo> = Box::leak(Box::new(Dispatcher::new(Demo, sessions, 100)));
    let h = headers(&[]);
    assert!(
        send(d, Via::http(&h), &initialize(1, "2025-11-25"))
            .await
            .session
            .is_some()
    );
    let sent = send(d, Via::http(&h), &initialize(2, "2025-11-25")).await;
    assert_eq!(sent.fault, Some(Fault::Unavailable));
    let text = "the server is full: it has reached its limit of live sessions; try again later";
    assert_eq!(sent.error(), (-32603, text));
}

#[tokio::test]
async fn one_status_rule_for_invalid_params() {
    // 2026-07-28: what a request lacks is 400; what a method cannot find is 200.
    let cases = [
        (
            "tools/call",
            json!({}),
            Some(Fault::Invalid),
            "`tools/call` needs `name`",
        ),
        (
            "resources/read",
            json!({}),
            Some(Fault::Invalid),
            "`resources/read` needs `uri`",
        ),
        (
            "tools/call",
            json!({ "name": "nope" }),
            None,
            "unknown tool: `nope`",
        ),
    ];
    for (method, params, fault, text) in cases {
        let name = params["name"].as_str();
        let h = modern_headers(method, name);
        let sent = send(demo(), Via::http(&h), &modern(1, method, params.clone())).await;
        assert_eq!(
            (sent.fault, sent.error()),
            (fault, (-32602, text)),
            "{method}"
        );
    }
    // Legacy: every -32602 is an answer (200).
    let (d, s) = legacy_session().await;
    let sent = legacy(d, &s, &request(2, "tools/call", json!({}))).await;
    assert_eq!(
        (sent.fault, sent.error()),
        (None, (-32602, "`tools/call` needs `name`"))
    );
}
