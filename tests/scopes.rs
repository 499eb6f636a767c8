//! OAuth scopes declared on tools (`#[tool(scopes = [..])]`): a caller without them gets 403
//! with the step-up challenge, in both eras; a caller with them is served; lists mark them.
//! `examples/reinit`, whose API keys may grant scopes (`alice(visits:reset)=k1`).

mod common;

use common::HttpServer;
use common::http::{Reply, post};
use serde_json::{Value, json};

const KEYS: &str = "alice(visits:read visits:reset)=k-alice,bob=k-bob";

fn server() -> HttpServer {
    HttpServer::start("reinit", &[], &[("MCP_API_KEYS", KEYS)])
}

/// A legacy session of the caller with `key`, initialized.
fn session(server: &HttpServer, key: &str) -> String {
    let bearer = format!("Bearer {key}");
    let init = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-11-25", "capabilities": {},
        "clientInfo": {"name": "test", "version": "1"}}});
    let reply = post(
        server.authority(),
        server.path(),
        &[("authorization", &bearer)],
        &init.to_string(),
    );
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply
        .header("mcp-session-id")
        .expect("a session")
        .to_owned()
}

fn legacy(server: &HttpServer, key: &str, session: &str, message: Value) -> Reply {
    let bearer = format!("Bearer {key}");
    let headers = [
        ("authorization", bearer.as_str()),
        ("mcp-session-id", session),
        ("mcp-protocol-version", "2025-11-25"),
    ];
    post(
        server.authority(),
        server.path(),
        &headers,
        &message.to_string(),
    )
}

fn modern(server: &HttpServer, key: &str, tool: &str) -> Reply {
    let (authority, path) = (server.authority(), server.path());
    common::http::bearer_tool_call(authority, path, key, tool, &json!({}))
}

fn reset() -> Value {
    json!({"jsonrpc": "2.0", "id": 3, "method": "tools/call",
        "params": {"name": "reset", "arguments": {}}})
}

/// 403, the challenge naming the scope, and a JSON-RPC error that says the same.
fn assert_challenged(reply: &Reply) {
    assert_eq!(reply.status, 403, "{}", reply.body);
    assert_eq!(
        reply.header("www-authenticate"),
        Some(r#"Bearer error="insufficient_scope", scope="visits:reset""#)
    );
    let answer: Value = serde_json::from_str(&reply.body).expect("JSON");
    assert_eq!(answer["error"]["code"], -32003, "{answer}");
    assert_eq!(answer["error"]["data"]["scope"], "visits:reset", "{answer}");
    let message = answer["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("`reset` needs the scope `visits:reset`"),
        "{message}"
    );
}

#[test]
fn a_caller_without_the_scope_is_challenged_in_both_eras() {
    let server = server();
    let bob = session(&server, "k-bob");
    assert_challenged(&legacy(&server, "k-bob", &bob, reset()));
    assert_challenged(&modern(&server, "k-bob", "reset"));
    // Tools that need no scope serve bob as before.
    let add = json!({"jsonrpc": "2.0", "id": 4, "method": "tools/call",
        "params": {"name": "add", "arguments": {"a": 1, "b": 2}}});
    assert_eq!(legacy(&server, "k-bob", &bob, add).status, 200);
}

#[test]
fn a_caller_with_the_scope_is_served_in_both_eras() {
    let server = server();
    let alice = session(&server, "k-alice");
    let reply = legacy(&server, "k-alice", &alice, reset());
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert!(
        reply.body.contains("totals reset by alice"),
        "{}",
        reply.body
    );
    let reply = modern(&server, "k-alice", "reset");
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert!(
        reply.body.contains("totals reset by alice"),
        "{}",
        reply.body
    );
}

#[test]
fn lists_mark_the_scopes_a_tool_needs() {
    let server = server();
    let bob = session(&server, "k-bob");
    let list = json!({"jsonrpc": "2.0", "id": 5, "method": "tools/list"});
    let reply = legacy(&server, "k-bob", &bob, list);
    let answer: Value = serde_json::from_str(&reply.body).expect("JSON");
    let tools = answer["result"]["tools"].as_array().expect("tools");
    let scopes = |name: &str| {
        let tool = tools.iter().find(|t| t["name"] == name).expect("listed");
        tool["_meta"]["oauth/scopes"].clone()
    };
    assert_eq!(scopes("reset"), json!(["visits:reset"]));
    assert_eq!(scopes("add"), Value::Null);
}
