//! The dispatcher's era × method × error matrix, driven through `Dispatcher::handle` with
//! request values: the fault a transport maps to a status, the JSON-RPC code, the result's shape.

use std::time::Duration;

use serde_json::{Value, json};

use super::Dispatcher;
use crate::protocol::{LoggingLevel, SUPPORTED_VERSIONS};
use crate::server::reply::Fault;
use crate::session::SessionId;
use crate::test_support::{
    Demo, Sent, Via, dispatcher, headers, initialize, memory_store, modern, modern_headers, send,
};

mod faults;
mod input;

const SERVER_INFO: &str = "io.modelcontextprotocol/serverInfo";
const IDLE: Duration = Duration::from_secs(60);

fn demo() -> &'static Dispatcher<Demo> {
    dispatcher(Demo, memory_store(IDLE), IDLE)
}

fn request(id: u64, method: &str, params: Value) -> Value {
    json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params })
}

fn add_result(sum: i64) -> Value {
    json!({
        "content": [{ "type": "text", "text": format!("{{\"sum\":{sum}}}") }],
        "structuredContent": { "sum": sum },
    })
}

/// A fresh dispatcher with one legacy HTTP session.
async fn legacy_session() -> (&'static Dispatcher<Demo>, String) {
    let d = demo();
    let h = headers(&[]);
    let via = Via::http(&h);
    let sent = send(d, via, &initialize(1, "2025-11-25")).await;
    (d, sent.session.expect("a session").to_string())
}

/// A message on the session, as a 2025-11-25 HTTP client sends it.
async fn legacy(d: &'static Dispatcher<Demo>, session: &str, message: &Value) -> Sent {
    let h = headers(&[("mcp-protocol-version", "2025-11-25")]);
    let via = Via {
        session: Some(session),
        headers: Some(&h),
        ..Via::default()
    };
    send(d, via, message).await
}

/// A stateless request with matching headers (`name`: what `Mcp-Name` carries).
async fn stateless(method: &str, name: Option<&str>, params: Value) -> Sent {
    let h = modern_headers(method, name);
    let via = Via::http(&h);
    send(demo(), via, &modern(7, method, params)).await
}

#[tokio::test]
async fn legacy_initialize_negotiates_and_creates_a_session() {
    let d = demo();
    let h = headers(&[]);
    let via = Via::http(&h);
    let sent = send(d, via, &initialize(1, "2025-06-18")).await;
    assert_eq!(sent.fault, None);
    assert_eq!(sent.result()["protocolVersion"], "2025-06-18");
    assert_eq!(sent.result()["serverInfo"]["name"], "demo");
    assert_eq!(sent.result()["serverInfo"]["version"], "1.2.3");
    let id = sent.session.expect("a session");
    assert!(d.sessions.map.touch(id).is_ok());
    // A revision it does not speak gets the newest legacy one offered instead.
    let sent = send(d, via, &initialize(2, "2024-11-05")).await;
    assert_eq!(sent.result()["protocolVersion"], "2025-11-25");
    assert_eq!(d.sessions.map.len(), 2);
}

#[tokio::test]
async fn legacy_methods_answer_in_the_session_revision() {
    let (d, s) = legacy_session().await;
    let ping = legacy(d, &s, &request(2, "ping", json!({}))).await;
    assert_eq!(ping.fault, None);
    assert_eq!(
        ping.body,
        Some(json!({ "jsonrpc": "2.0", "id": 2, "result": {} }))
    );

    let list = legacy(d, &s, &request(3, "tools/list", json!({}))).await;
    let names: Vec<&str> = list.result()["tools"]
        .as_array()
        .expect("tools")
        .iter()
        .map(|t| t["name"].as_str().expect("a name"))
        .collect();
    assert_eq!(names, ["add", "announce"]);
    assert_eq!(
        list.result().get("resultType"),
        None,
        "legacy results have none"
    );

    let args = json!({ "name": "add", "arguments": { "a": 2, "b": 3 } });
    let call = legacy(d, &s, &request(4, "tools/call", args)).await;
    assert_eq!((call.fault, call.result()), (None, &add_result(5)));

    let read = json!({ "uri": "demo://note" });
    let read = legacy(d, &s, &request(5, "resources/read", read)).await;
    assert_eq!(read.result()["contents"][0]["text"], "a note");

    let get = json!({ "name": "greet", "arguments": { "name": "Ada" } });
    let get = legacy(d, &s, &request(6, "prompts/get", get)).await;
    assert_eq!(get.result()["messages"][0]["content"]["text"], "Hello, Ada");
}

#[tokio::test]
async fn legacy_errors_are_answers_without_fault() {
    let (d, s) = legacy_session().await;
    let bad_ref = json!({ "ref": { "type": "ref/prompt", "name": "nope" },
                          "argument": { "name": "x", "value": "" } });
    let cases = [
        (
            request(2, "tools/call", json!({ "name": "nope" })),
            -32602,
            "unknown tool: `nope`",
        ),
        (
            request(3, "resources/read", json!({ "uri": "demo://nope" })),
            -32002,
            "resource not found: demo://nope",
        ),
        (
            request(4, "prompts/get", json!({ "name": "nope" })),
            -32602,
            "unknown prompt: `nope`",
        ),
        (
            request(5, "completion/complete", bad_ref),
            -32602,
            "`ref` names no prompt or resource template of this server",
        ),
        (
            request(6, "foo/bar", json!({})),
            -32601,
            "method not found: foo/bar",
        ),
        // The era is the session's: `server/discover` is not a legacy method.
        (
            request(7, "server/discover", json!({})),
            -32601,
            "method not found: server/discover",
        ),
    ];
    for (message, code, text) in cases {
        let sent = legacy(d, &s, &message).await;
        assert_eq!(sent.fault, None, "{message}");
        assert_eq!(sent.error(), (code, text), "{message}");
        assert_eq!(sent.body.as_ref().unwrap()["id"], message["id"]);
    }
    let read = legacy(
        d,
        &s,
        &request(9, "resources/read", json!({ "uri": "demo://nope" })),
    )
    .await;
    assert_eq!(
        read.body.unwrap()["error"]["data"],
        json!({ "uri": "demo://nope" })
    );
}

#[tokio::test]
async fn bad_arguments_are_tool_results_in_both_eras() {
    let text = "invalid arguments: `a`: invalid type: string \"x\", expected i64";
    let args = json!({ "name": "add", "arguments": { "a": "x", "b": 1 } });
    let (d, s) = legacy_session().await;
    let old = legacy(d, &s, &request(2, "tools/call", args.clone())).await;
    let new = stateless("tools/call", Some("add"), args).await;
    for sent in [&old, &new] {
        assert_eq!(sent.fault, None);
        assert_eq!(sent.result()["isError"], true);
        assert_eq!(
            sent.result()["content"],
            json!([{ "type": "text", "text": text }])
        );
    }
    assert_eq!(new.result()["resultType"], "complete");
}

#[tokio::test]
async fn legacy_set_level_is_kept_by_the_session() {
    let (d, s) = legacy_session().await;
    let id: SessionId = s.parse().unwrap();
    assert_eq!(d.sessions.map.touch(id).unwrap().log_level(), None);
    let set = legacy(
        d,
        &s,
        &request(2, "logging/setLevel", json!({ "level": "warning" })),
    )
    .await;
    assert_eq!((set.fault, set.result()), (None, &json!({})));
    let level = d.sessions.map.touch(id).unwrap().log_level();
    assert_eq!(level, Some(LoggingLevel::Warning));
    let bad = legacy(
        d,
        &s,
        &request(3, "logging/setLevel", json!({ "level": "loud" })),
    )
    .await;
    assert_eq!((bad.fault, bad.error().0), (None, -32602));
}

#[tokio::test]
async fn legacy_notifications_and_responses_are_taken_silently() {
    let (d, s) = legacy_session().await;
    let note = json!({ "jsonrpc": "2.0", "method": "notifications/initialized" });
    let response = json!({ "jsonrpc": "2.0", "id": 99, "result": {} });
    for message in [note, response] {
        let sent = legacy(d, &s, &message).await;
        assert_eq!((sent.fault, sent.body), (None, None), "{message}");
    }
}

#[tokio::test]
async fn legacy_messages_without_a_live_session() {
    let d = demo();
    let list = request(1, "tools/list", json!({}));
    let h = headers(&[]);
    let http = Via::http(&h);
    let sent = send(d, http, &list).await;
    assert_eq!(sent.fault, Some(Fault::NoSession));
    let text = "the `Mcp-Session-Id` header is required; send `initialize` first";
    assert_eq!(sent.error(), (-32600, text));
    let sent = send(d, Via::default(), &list).await;
    assert_eq!(sent.fault, Some(Fault::NoSession));
    let text = "send `initialize` first, or a 2026-07-28 request with `params._meta`";
    assert_eq!(sent.error(), (-32600, text));

    let advice = "send `initialize` without `Mcp-Session-Id` to start a new session";
    let unknown = SessionId::random().to_string();
    let note = json!({ "jsonrpc": "2.0", "method": "notifications/initialized" });
    let cases = [
        // A request may bring a gone session back; this server's policy says no.
        (unknown.as_str(), &list, "session expired"),
        (unknown.as_str(), &note, "session not found"),
        ("not-an-id", &list, "session not found"),
    ];
    for (session, message, reason) in cases {
        let sent = legacy(d, session, message).await;
        assert_eq!(
            sent.fault,
            Some(Fault::UnknownSession),
            "{session} {message}"
        );
        assert_eq!(
            sent.error(),
            (-32001, format!("{reason}: {advice}").as_str())
        );
    }
    assert!(d.sessions.map.is_empty(), "no message created a session");
}

#[tokio::test]
async fn legacy_revision_header_must_be_one_this_server_speaks() {
    let (d, s) = legacy_session().await;
    let h = headers(&[("mcp-protocol-version", "2024-11-05")]);
    let via = Via {
        session: Some(&s),
        headers: Some(&h),
        ..Via::default()
    };
    let sent = send(d, via, &request(2, "ping", json!({}))).await;
    assert_eq!(sent.fault, Some(Fault::Invalid));
    let text = "unsupported `MCP-Protocol-Version`: 2024-11-05";
    assert_eq!(sent.error(), (-32600, text));
}

#[tokio::test]
async fn modern_methods_answer_statelessly() {
    let discover = stateless("server/discover", None, json!({})).await;
    assert_eq!(discover.fault, None);
    let result = discover.result();
    assert_eq!(result["resultType"], "complete");
    assert_eq!(result["supportedVersions"], json!(SUPPORTED_VERSIONS));
    assert_eq!(result["_meta"][SERVER_INFO]["name"], "demo");

    let list = stateless("tools/list", None, json!({})).await;
    assert_eq!(list.result()["resultType"], "complete");
    assert_eq!(list.result()["tools"][0]["name"], "add");

    let args = json!({ "name": "add", "arguments": { "a": 2, "b": 3 } });
    let call = stateless("tools/call", Some("add"), args).await;
    let mut expected = add_result(5);
    expected["resultType"] = json!("complete");
    assert_eq!((call.fault, call.result()), (None, &expected));
    assert_eq!(call.session, None, "no session is created");
}

#[tokio::test]
async fn modern_errors_and_their_faults() {
    let bad_ref = json!({ "ref": { "type": "ref/resource", "uri": "demo://nope" },
                          "argument": { "name": "x", "value": "" } });
    // All -32602 answers, without fault; 2026-07-28 made an unknown resource one of them
    // (legacy: -32002).
    let cases = [
        (
            "tools/call",
            Some("nope"),
            json!({ "name": "nope" }),
            "unknown tool: `nope`",
        ),
        (
            "resources/read",
            Some("demo://nope"),
            json!({ "uri": "demo://nope" }),
            "resource not found: demo://nope",
        ),
        (
            "prompts/get",
            Some("nope"),
            json!({ "name": "nope" }),
            "unknown prompt: `nope`",
        ),
        (
            "completion/complete",
            None,
            bad_ref,
            "`ref` names no prompt or resource template of this server",
        ),
    ];
    for (method, name, params, text) in cases {
        let sent = stateless(method, name, params).await;
        assert_eq!(sent.fault, None, "{method}");
        assert_eq!(sent.error(), (-32602, text), "{method}");
        assert_eq!(sent.body.as_ref().unwrap()["id"], 7);
    }
    // The stateless revision has no lifecycle, no ping and no session log level.
    for method in ["foo/bar", "initialize", "ping", "logging/setLevel"] {
        let sent = stateless(method, None, json!({})).await;
        assert_eq!(sent.fault, Some(Fault::UnknownMethod), "{method}");
        let text = format!("method not found: {method}");
        assert_eq!(sent.error(), (-32601, text.as_str()));
    }
}

#[tokio::test]
async fn modern_notifications_are_taken_and_responses_refused() {
    let d = demo();
    let h = modern_headers("notifications/cancelled", None);
    let via = Via::http(&h);
    let note = json!({ "jsonrpc": "2.0", "method": "notifications/cancelled", "params": {} });
    let sent = send(d, via, &note).await;
    assert_eq!((sent.fault, sent.body), (None, None));
    let response = json!({ "jsonrpc": "2.0", "id": 5, "result": {} });
    let sent = send(d, via, &response).await;
    assert_eq!(sent.fault, Some(Fault::Invalid));
    let text = "2026-07-28 has no server-to-client requests to respond to";
    assert_eq!(sent.error(), (-32600, text));
    assert_eq!(sent.body.unwrap()["id"], 5);
}

#[tokio::test]
async fn modern_meta_and_header_checks() {
    let d = demo();
    let post = |version: &'static str, method: &'static str| {
        headers(&[("mcp-protocol-version", version), ("mcp-method", method)])
    };
    let meta = |version: &str| {
        json!({ "jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": { "_meta": {
            "io.modelcontextprotocol/protocolVersion": version,
            "io.modelcontextprotocol/clientCapabilities": {},
        } } })
    };
    let no_meta = request(1, "tools/list", json!({}));
    let required = "`params._meta` must carry `io.modelcontextprotocol/protocolVersion` and `io.modelcontextprotocol/clientCapabilities`";
    let cases = [
        (
            post("2026-07-28", "tools/list"),
            no_meta,
            -32602,
            required.to_owned(),
        ),
        (
            post("2099-01-01", "tools/list"),
            meta("2099-01-01"),
            -32022,
            "unsupported protocol version: 2099-01-01".to_owned(),
        ),
        (
            post("2026-07-28", "tools/list"),
            meta("2025-11-25"),
            -32020,
            "the `MCP-Protocol-Version` header (2026-07-28) does not match `_meta` (2025-11-25)"
                .to_owned(),
        ),
        (
            headers(&[("mcp-method", "tools/list")]),
            meta("2026-07-28"),
            -32020,
            "the `MCP-Protocol-Version` header is required with `_meta`".to_owned(),
        ),
        (
            post("2026-07-28", "tools/call"),
            meta("2026-07-28"),
            -32020,
            "the `Mcp-Method` header (tools/call) does not match the body's method (tools/list)"
                .to_owned(),
        ),
        (
            headers(&[("mcp-protocol-version", "2026-07-28")]),
            meta("2026-07-28"),
            -32020,
            "the `Mcp-Method` header is required".to_owned(),
        ),
    ];
    for (h, message, code, text) in cases {
        let via = Via::http(&h);
        let sent = send(d, via, &message).await;
        assert_eq!(sent.fault, Some(Fault::Invalid), "{text}");
        assert_eq!(sent.error(), (code, text.as_str()));
        if code == -32022 {
            let data = &sent.body.as_ref().unwrap()["error"]["data"];
            assert_eq!(data["requested"], "2099-01-01");
            assert_eq!(data["supported"], json!(SUPPORTED_VERSIONS));
        }
    }
    let call = modern(
        2,
        "tools/call",
        json!({ "name": "add", "arguments": { "a": 1, "b": 1 } }),
    );
    let h = modern_headers("tools/call", None);
    let via = Via::http(&h);
    let sent = send(d, via, &call).await;
    assert_eq!(sent.fault, Some(Fault::Invalid));
    let text = "the `Mcp-Name` header is required for `tools/call`";
    assert_eq!(sent.error(), (-32020, text));
}

#[tokio::test]
async fn modern_requests_ignore_session_ids_and_need_no_headers_on_stdio() {
    let d = demo();
    let h = modern_headers("tools/list", None);
    let via = Via {
        session: Some("not-a-session"),
        headers: Some(&h),
        ..Via::default()
    };
    let sent = send(d, via, &modern(1, "tools/list", json!({}))).await;
    assert_eq!(
        (sent.fault, &sent.result()["resultType"]),
        (None, &json!("complete"))
    );
    // On stdio the body alone decides: `_meta` names the revision.
    let sent = send(d, Via::default(), &modern(2, "server/discover", json!({}))).await;
    assert_eq!(sent.result()["_meta"][SERVER_INFO]["version"], "1.2.3");
    assert!(d.sessions.map.is_empty());
}
