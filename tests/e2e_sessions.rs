//! Sessions across expiry and restarts, with the official clients keeping one client session
//! throughout: the compiled re-initialization policy decides what the client sees.

mod common;

use common::{Client, HttpServer, Target, call_result, free_port, run_client};
use serde_json::{Value, json};

const KEYS: (&str, &str) = ("MCP_API_KEYS", "alice=k1,k2");
/// The deployment secret: session ids issued before a restart verify after it only when the
/// process is started with the same one.
const SECRET: (&str, &str) = ("MCP_STATE_KEY", "e2e-sessions-deployment-secret");
const ALICE: &str = "Authorization: Bearer k1";

fn calls(lines: &[Value]) -> Vec<&Value> {
    lines.iter().filter(|l| l["op"] == "call").collect()
}

fn count_then_expire(client: Client) {
    let server = HttpServer::start("reinit", &["--session-idle", "1"], &[KEYS]);
    let ops = json!([
        {"op": "call", "name": "count", "args": {}},
        {"op": "sleep", "ms": 2500},
        {"op": "call", "name": "count", "args": {}},
        {"op": "call", "name": "add", "args": {"a": 2, "b": 40}},
    ]);
    let lines = run_client(client, Target::Http(&server.url), &[ALICE], ops);
    assert_eq!(
        call_result(&lines, 0)["structuredContent"],
        json!({"caller": "alice", "session": 1, "total": 1})
    );
    // The session expired while the client slept; the handler resumed it with its state.
    assert_eq!(
        call_result(&lines, 1)["structuredContent"],
        json!({"caller": "alice", "session": 2, "total": 2})
    );
    assert_eq!(
        call_result(&lines, 2)["structuredContent"],
        json!({"sum": 42})
    );
}

#[test]
fn on_reinit_resumes_an_expired_session_for_the_typescript_client() {
    count_then_expire(Client::TypeScript);
}

#[test]
fn on_reinit_resumes_an_expired_session_for_the_python_client() {
    count_then_expire(Client::PythonLegacy);
}

fn rejected_after_expiry(client: Client) {
    let server = HttpServer::start("hello", &["--session-idle", "1"], &[]);
    let ops = json!([
        {"op": "call", "name": "add", "args": {"a": 1, "b": 2}},
        {"op": "sleep", "ms": 2500},
        {"op": "call", "name": "add", "args": {"a": 1, "b": 2}},
    ]);
    let lines = run_client(client, Target::Http(&server.url), &[], ops);
    assert_eq!(call_result(&lines, 0)["structuredContent"]["sum"], 3);
    let second = calls(&lines)[1];
    assert_eq!(second["ok"], false, "{second}");
    assert_eq!(second["httpStatus"], 404, "{second}");
}

#[test]
fn reject_answers_404_after_expiry_to_the_typescript_client() {
    rejected_after_expiry(Client::TypeScript);
}

#[test]
fn reject_answers_404_after_expiry_to_the_python_client() {
    rejected_after_expiry(Client::PythonLegacy);
}

/// Runs `ops` with one client session while the server restarts once the client has had
/// `results_before` tool results; returns the client's lines.
fn across_restart(
    client: Client,
    example: &str,
    args: &[&str],
    env: &[(&str, &str)],
    headers: &[&'static str],
    ops: Value,
    results_before: usize,
) -> Vec<Value> {
    let port = free_port();
    let server = HttpServer::start_on(example, port, args, env);
    let url = server.url.clone();
    let headers = headers.to_vec();
    let driver = std::thread::spawn(move || run_client(client, Target::Http(&url), &headers, ops));
    server.wait_for_tool_results(results_before);
    // A client may follow a result with requests of its own (the Python client lists the
    // tools to check a structured result against its schema): let those finish, inside the
    // sleep the ops leave before the next call, so the restart cuts no request in half.
    std::thread::sleep(std::time::Duration::from_millis(500));
    drop(server);
    let _restarted = HttpServer::start_on(example, port, args, env);
    driver.join().expect("the client thread")
}

#[test]
fn on_reinit_decides_after_a_restart_with_the_memory_store() {
    let ops = json!([
        {"op": "call", "name": "count", "args": {}},
        {"op": "sleep", "ms": 3000},
        {"op": "call", "name": "count", "args": {}},
    ]);
    let env = [KEYS, SECRET];
    let lines = across_restart(Client::TypeScript, "reinit", &[], &env, &[ALICE], ops, 1);
    assert_eq!(call_result(&lines, 0)["structuredContent"]["session"], 1);
    // The new process has neither the session nor the totals; the handler resumed it anyway.
    assert_eq!(
        call_result(&lines, 1)["structuredContent"],
        json!({"caller": "alice", "session": 1, "total": 1})
    );
}

#[test]
fn without_a_stable_secret_a_restarted_server_cannot_verify_earlier_ids() {
    let ops = json!([
        {"op": "call", "name": "count", "args": {}},
        {"op": "sleep", "ms": 3000},
        {"op": "call", "name": "count", "args": {}},
    ]);
    let lines = across_restart(Client::TypeScript, "reinit", &[], &[KEYS], &[ALICE], ops, 1);
    assert_eq!(call_result(&lines, 0)["structuredContent"]["session"], 1);
    // The new process's random secret does not verify the old id: 404, the handler not asked.
    let second = calls(&lines)[1];
    assert_eq!(second["ok"], false, "{second}");
    assert_eq!(second["httpStatus"], 404, "{second}");
}

#[cfg(feature = "redis")]
fn notebook_across_restart_and_expiry(client: Client, client_name: &str) {
    let redis = common::RedisServer::start();
    let args = ["--store", &redis.url, "--session-idle", "4"];
    let ops = json!([
        {"op": "call", "name": "note", "args": {"text": "a"}},
        {"op": "sleep", "ms": 2000},
        {"op": "call", "name": "note", "args": {"text": "b"}},
        {"op": "sleep", "ms": 5000},
        {"op": "call", "name": "note", "args": {"text": "c"}},
    ]);
    let lines = across_restart(client, "notebook", &args, &[SECRET], &[], ops, 1);
    let page = |n| call_result(&lines, n)["structuredContent"].clone();
    assert_eq!(page(0), json!({"client": client_name, "notes": ["a"]}));
    // After the restart: rehydrated from Redis, with the original client info.
    assert_eq!(page(1), json!({"client": client_name, "notes": ["a", "b"]}));
    // After expiry: `reinit = "restore"` replayed the record Redis retained.
    assert_eq!(
        page(2),
        json!({"client": client_name, "notes": ["a", "b", "c"]})
    );
}

#[cfg(feature = "redis")]
#[test]
fn restore_with_redis_survives_restart_and_expiry_for_the_typescript_client() {
    notebook_across_restart_and_expiry(Client::TypeScript, "mcp-e2e-ts-client");
}

#[cfg(feature = "redis")]
#[test]
fn restore_with_redis_survives_restart_and_expiry_for_the_python_client() {
    notebook_across_restart_and_expiry(Client::PythonLegacy, "mcp");
}

/// Replicas that share a Redis store share its deployment secret too, with no `MCP_STATE_KEY`:
/// the restarted process verifies the id the first one issued and rehydrates the session.
#[cfg(feature = "redis")]
#[test]
fn a_shared_store_shares_the_deployment_secret_without_configuration() {
    let redis = common::RedisServer::start();
    let args = ["--store", &redis.url];
    let ops = json!([
        {"op": "call", "name": "note", "args": {"text": "a"}},
        {"op": "sleep", "ms": 2000},
        {"op": "call", "name": "note", "args": {"text": "b"}},
    ]);
    let lines = across_restart(Client::TypeScript, "notebook", &args, &[], &[], ops, 1);
    let notes = |n| call_result(&lines, n)["structuredContent"]["notes"].clone();
    assert_eq!(notes(0), json!(["a"]));
    assert_eq!(notes(1), json!(["a", "b"]));
}
