//! The official TypeScript and Python SDK clients against `examples/everything.rs` over
//! streamable HTTP: progress, logging, elicitation, sampling and roots, in the legacy era
//! (TypeScript, Python `--mode legacy`: server-to-client requests and notifications on the
//! call's stream, `logging/setLevel`) and in 2026-07-28 (Python's default mode: input-required
//! results the client answers by retrying, the per-request log level in `_meta`). Every
//! message the server sends is validated against the spec's JSON schema of its revision.

mod common;

use std::path::Path;

use common::{Client, HttpServer, Schemas, Target, run_client_with};
use serde_json::{Value, json};

const LEGACY: &str = "2025-11-25";
const MODERN: &str = "2026-07-28";

/// The everything fixture's answer to an accepted `test_elicitation`. The keys are in
/// alphabetical order, so the text is the same whether the server keeps or sorts them.
const ELICIT_ACCEPT: &str =
    r#"{"action":"accept","content":{"email":"ada@example.com","username":"ada"}}"#;
const ELICIT_ACCEPT_TEXT: &str =
    r#"User response: action=accept, content={"email":"ada@example.com","username":"ada"}"#;
const ELICIT_MESSAGE: &str = "Who are you? «ünïcode» \"quoted\"";
/// What the client's "model" answers; exercises escaping on the way back.
const SAMPLE_TEXT: &str = "Paris, \"la Ville Lumière\" ✓\nsecond line";
const SAMPLE_PROMPT: &str = "What is the capital of France?";
const LOG_STEPS: [&str; 3] = [
    "Tool execution started",
    "Tool processing data",
    "Tool execution completed",
];

/// Starts `everything`, runs one client session with `options` and `ops`, validates the wire
/// log, and returns the client's lines and the server (for its wire log).
fn run(
    client: Client,
    options: &[(&str, &str)],
    ops: Value,
    version: &str,
) -> (Vec<Value>, HttpServer) {
    let server = HttpServer::start("everything", &[], &[]);
    let lines = run_client_with(client, Target::Http(&server.url), options, ops);
    let connect = &lines[0];
    assert_eq!(connect["op"], "connect", "{connect}");
    assert_eq!(connect["ok"], true, "{connect}");
    assert_eq!(connect["protocolVersion"], version, "{connect}");
    if let Some(schemas) = Schemas::load() {
        let checked = schemas.validate_wire_log(&server.wire_log);
        assert!(
            checked >= 2,
            "only {checked} messages were recorded in {}",
            server.wire_log.display()
        );
    }
    (lines, server)
}

/// The `n`th `call` line, asserting it succeeded.
fn call_line(lines: &[Value], n: usize) -> &Value {
    let call = lines
        .iter()
        .filter(|l| l["op"] == "call")
        .nth(n)
        .expect("a call line");
    assert_eq!(call["ok"], true, "call {n} failed: {call}");
    call
}

/// Asserts that a tool result is exactly one text block `text` and no error.
fn assert_text(result: &Value, text: &str) {
    assert_eq!(
        result["content"],
        json!([{"type": "text", "text": text}]),
        "{result}"
    );
    assert_ne!(result["isError"], true, "{result}");
}

/// Every message the server sent, in order.
fn wire_messages(wire_log: &Path) -> Vec<Value> {
    std::fs::read_to_string(wire_log)
        .unwrap_or_default()
        .lines()
        .map(|l| {
            let mut record: Value = serde_json::from_str(l).expect("wire log line");
            record["message"].take()
        })
        .collect()
}

/// The position on the wire of the (final) tool result whose text is `text`.
fn result_position(messages: &[Value], text: &str) -> usize {
    messages
        .iter()
        .position(|m| m["result"]["content"][0]["text"] == text)
        .unwrap_or_else(|| panic!("the server never sent a result {text:?}"))
}

// ---- progress ---------------------------------------------------------------------------

fn progress(client: Client, version: &str) {
    let ops = json!([{"op": "call", "name": "test_tool_with_progress", "progress": true}]);
    let (lines, server) = run(client, &[], ops, version);
    let call = call_line(&lines, 0);
    assert_text(&call["result"], "Progress test completed");
    // What the client had received when the call returned, in arrival order. (The SDKs
    // hand over progress values as floats or integers; compare them as numbers.)
    let got: Vec<(f64, f64)> = call["progress"]
        .as_array()
        .unwrap_or_else(|| panic!("no progress recorded: {call}"))
        .iter()
        .map(|p| {
            assert!(p.get("message").is_none(), "{p}");
            (
                p["progress"].as_f64().unwrap(),
                p["total"].as_f64().unwrap(),
            )
        })
        .collect();
    assert_eq!(got, [(0.0, 100.0), (50.0, 100.0), (100.0, 100.0)], "{call}");

    // On the wire: the three notifications, for one token, before the result.
    let messages = wire_messages(&server.wire_log);
    let result_at = result_position(&messages, "Progress test completed");
    let notes: Vec<(usize, &Value)> = messages
        .iter()
        .enumerate()
        .filter(|(_, m)| m["method"] == "notifications/progress")
        .collect();
    assert_eq!(notes.len(), 3, "{messages:#?}");
    let token = &notes[0].1["params"]["progressToken"];
    assert!(token.is_string() || token.is_i64(), "{token}");
    for ((at, note), expected) in notes.iter().zip([0, 50, 100]) {
        assert!(*at < result_at, "progress after the result: {messages:#?}");
        assert_eq!(
            note["params"],
            json!({"progressToken": token, "progress": expected, "total": 100}),
            "{note}"
        );
    }
}

#[test]
fn typescript_progress() {
    progress(Client::TypeScript, LEGACY);
}

#[test]
fn python_legacy_progress() {
    progress(Client::PythonLegacy, LEGACY);
}

#[test]
fn python_modern_progress() {
    progress(Client::PythonDefault, MODERN);
}

// ---- logging ----------------------------------------------------------------------------

/// Calls `test_tool_with_logging` with `--log-level level` (if any); returns the call's line
/// and the wire messages.
fn logging(client: Client, level: Option<&str>, version: &str) -> (Value, Vec<Value>) {
    let options: Vec<(&str, &str)> = level.map(|l| ("--log-level", l)).into_iter().collect();
    let ops = json!([{"op": "call", "name": "test_tool_with_logging"}]);
    let (lines, server) = run(client, &options, ops, version);
    if let Some(level) = level {
        let set = lines
            .iter()
            .find(|l| l["op"] == "setLevel")
            .expect("a setLevel line");
        assert_eq!(set["ok"], true, "{set}");
        let via = if version == MODERN {
            "_meta"
        } else {
            "logging/setLevel"
        };
        assert_eq!(set["via"], via, "{set}");
        assert_eq!(set["level"], level, "{set}");
    }
    let call = call_line(&lines, 0).clone();
    assert_text(&call["result"], "Logging test completed");
    (call, wire_messages(&server.wire_log))
}

/// The call got the three messages, in order, and the server sent them before the result.
fn assert_three_logs(call: &Value, messages: &[Value]) {
    let expected: Vec<Value> = LOG_STEPS
        .iter()
        .map(|s| json!({"level": "info", "data": s}))
        .collect();
    assert_eq!(call["logs"], json!(expected), "{call}");
    let result_at = result_position(messages, "Logging test completed");
    let sent: Vec<(usize, &Value)> = messages
        .iter()
        .enumerate()
        .filter(|(_, m)| m["method"] == "notifications/message")
        .collect();
    assert_eq!(sent.len(), 3, "{messages:#?}");
    for ((at, message), step) in sent.into_iter().zip(LOG_STEPS) {
        assert!(
            at < result_at,
            "a log message after the result: {messages:#?}"
        );
        assert_eq!(message["params"], json!({"level": "info", "data": step}));
    }
}

fn assert_no_logs(call: &Value, messages: &[Value]) {
    assert_eq!(call["logs"], json!([]), "{call}");
    let sent: Vec<&Value> = messages
        .iter()
        .filter(|m| m["method"] == "notifications/message")
        .collect();
    assert!(sent.is_empty(), "the server logged anyway: {sent:#?}");
}

#[test]
fn typescript_logging_after_set_level() {
    let (call, messages) = logging(Client::TypeScript, Some("info"), LEGACY);
    assert_three_logs(&call, &messages);
}

#[test]
fn typescript_logging_without_set_level() {
    // Legacy: a client that never set a level gets everything.
    let (call, messages) = logging(Client::TypeScript, None, LEGACY);
    assert_three_logs(&call, &messages);
}

#[test]
fn python_legacy_logging_after_set_level() {
    let (call, messages) = logging(Client::PythonLegacy, Some("info"), LEGACY);
    assert_three_logs(&call, &messages);
}

#[test]
fn python_legacy_logging_above_the_level_is_dropped() {
    let (call, messages) = logging(Client::PythonLegacy, Some("warning"), LEGACY);
    assert_no_logs(&call, &messages);
}

#[test]
fn python_modern_logging_with_a_log_level() {
    let (call, messages) = logging(Client::PythonDefault, Some("info"), MODERN);
    assert_three_logs(&call, &messages);
}

#[test]
fn python_modern_no_logging_without_a_log_level() {
    let (call, messages) = logging(Client::PythonDefault, None, MODERN);
    assert_no_logs(&call, &messages);
}

#[test]
fn python_modern_logging_above_the_level_is_dropped() {
    let (call, messages) = logging(Client::PythonDefault, Some("warning"), MODERN);
    assert_no_logs(&call, &messages);
}

// ---- elicitation ------------------------------------------------------------------------

fn elicitation_schema() -> Value {
    json!({
        "type": "object",
        "properties": {
            "username": {"type": "string", "description": "User's response"},
            "email": {"type": "string", "description": "User's email address"},
        },
        "required": ["username", "email"],
    })
}

/// Asserts that the client answered exactly one `method` request, and returns its params.
fn only_request<'a>(call: &'a Value, method: &str) -> &'a Value {
    let requests = call["requests"].as_array().expect("requests");
    assert_eq!(requests.len(), 1, "{call}");
    assert_eq!(requests[0]["method"], method, "{call}");
    &requests[0]["params"]
}

/// `test_elicitation` answered with `answer`; asserts the text and the question asked.
fn elicitation(client: Client, version: &str, answer: &str, text: &str) {
    let ops =
        json!([{"op": "call", "name": "test_elicitation", "args": {"message": ELICIT_MESSAGE}}]);
    let (lines, server) = run(client, &[("--elicit", answer)], ops, version);
    let call = call_line(&lines, 0);
    assert_text(&call["result"], text);
    let params = only_request(call, "elicitation/create");
    assert_eq!(params["message"], ELICIT_MESSAGE, "{params}");
    assert_eq!(params["requestedSchema"], elicitation_schema(), "{params}");
    assert_asked_on_wire(&server.wire_log, version, "elicitation/create");
}

/// Legacy: the server sent its own request before the result. 2026-07-28: it sent no request
/// of its own, but an input-required result carrying one, then (on the retry) the result.
fn assert_asked_on_wire(wire_log: &Path, version: &str, method: &str) {
    let messages = wire_messages(wire_log);
    let asked: Vec<&Value> = messages
        .iter()
        .filter(|m| m.get("method").is_some() && m.get("id").is_some())
        .collect();
    let input_required: Vec<&Value> = messages
        .iter()
        .filter(|m| m["result"]["resultType"] == "input_required")
        .collect();
    if version == MODERN {
        assert!(
            asked.is_empty(),
            "server-to-client requests in 2026-07-28: {asked:#?}"
        );
        assert_eq!(input_required.len(), 1, "{messages:#?}");
        let requests = input_required[0]["result"]["inputRequests"]
            .as_object()
            .expect("inputRequests");
        assert_eq!(requests.len(), 1, "{requests:?}");
        assert_eq!(requests.values().next().unwrap()["method"], method);
    } else {
        assert!(input_required.is_empty(), "{input_required:#?}");
        assert_eq!(asked.len(), 1, "{messages:#?}");
        assert_eq!(asked[0]["method"], method);
    }
}

#[test]
fn typescript_elicitation() {
    elicitation(
        Client::TypeScript,
        LEGACY,
        ELICIT_ACCEPT,
        ELICIT_ACCEPT_TEXT,
    );
}

#[test]
fn python_legacy_elicitation() {
    elicitation(
        Client::PythonLegacy,
        LEGACY,
        ELICIT_ACCEPT,
        ELICIT_ACCEPT_TEXT,
    );
}

#[test]
fn python_modern_elicitation() {
    elicitation(
        Client::PythonDefault,
        MODERN,
        ELICIT_ACCEPT,
        ELICIT_ACCEPT_TEXT,
    );
}

#[test]
fn python_modern_elicitation_declined() {
    elicitation(
        Client::PythonDefault,
        MODERN,
        r#"{"action":"decline"}"#,
        "User response: action=decline, content=null",
    );
}

#[test]
fn python_modern_input_required_elicitation() {
    let ops = json!([{"op": "call", "name": "test_input_required_result_elicitation"}]);
    let answer = r#"{"action":"accept","content":{"name":"Ada Lovelace"}}"#;
    let (lines, server) = run(Client::PythonDefault, &[("--elicit", answer)], ops, MODERN);
    let call = call_line(&lines, 0);
    assert_text(&call["result"], "Hello, Ada Lovelace!");
    let params = only_request(call, "elicitation/create");
    assert_eq!(params["message"], "What is your name?", "{params}");
    assert_eq!(
        params["requestedSchema"],
        json!({"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]})
    );
    assert_asked_on_wire(&server.wire_log, MODERN, "elicitation/create");
    // The question is keyed as the tool asked.
    let messages = wire_messages(&server.wire_log);
    let asked = messages
        .iter()
        .find(|m| m["result"]["resultType"] == "input_required")
        .unwrap();
    assert!(
        asked["result"]["inputRequests"].get("user_name").is_some(),
        "{asked}"
    );
}

// ---- sampling ---------------------------------------------------------------------------

fn sampling(client: Client, version: &str) {
    let ops = json!([{"op": "call", "name": "test_sampling", "args": {"prompt": SAMPLE_PROMPT}}]);
    let (lines, server) = run(client, &[("--sample", SAMPLE_TEXT)], ops, version);
    let call = call_line(&lines, 0);
    assert_text(&call["result"], &format!("LLM response: {SAMPLE_TEXT}"));
    let params = only_request(call, "sampling/createMessage");
    assert_eq!(
        params["messages"],
        json!([{"role": "user", "content": {"type": "text", "text": SAMPLE_PROMPT}}]),
        "{params}"
    );
    assert_eq!(params["maxTokens"], 100, "{params}");
    assert_asked_on_wire(&server.wire_log, version, "sampling/createMessage");
}

#[test]
fn typescript_sampling() {
    sampling(Client::TypeScript, LEGACY);
}

#[test]
fn python_legacy_sampling() {
    sampling(Client::PythonLegacy, LEGACY);
}

#[test]
fn python_modern_sampling() {
    sampling(Client::PythonDefault, MODERN);
}

// ---- roots ------------------------------------------------------------------------------

fn roots(client: Client, version: &str) {
    let roots =
        r#"[{"uri":"file:///home/ada/project","name":"project"},{"uri":"file:///tmp/scratch"}]"#;
    let ops = json!([{"op": "call", "name": "test_input_required_result_list_roots"}]);
    let (lines, server) = run(client, &[("--roots", roots)], ops, version);
    let call = call_line(&lines, 0);
    assert_text(&call["result"], "The client has 2 root(s)");
    only_request(call, "roots/list");
    assert_asked_on_wire(&server.wire_log, version, "roots/list");
}

#[test]
fn typescript_roots() {
    roots(Client::TypeScript, LEGACY);
}

#[test]
fn python_modern_roots() {
    roots(Client::PythonDefault, MODERN);
}
