//! The official TypeScript and Python SDK clients against `examples/everything.rs` over
//! streamable HTTP: progress, logging, elicitation, sampling and roots, in the legacy era
//! (TypeScript, Python `--mode legacy`: server-to-client requests and notifications on the
//! call's stream, `logging/setLevel`) and in 2026-07-28 (Python's default mode: input-required
//! results the client answers by retrying, the per-request log level in `_meta`). Every
//! message the server sends is validated against the spec's JSON schema of its revision (the
//! twins in `wire_matches_the_spec`, ignored where the spec is absent).

mod common;

use common::{Client, Session};
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

/// One client session with `options` and `ops` against a fresh `everything`.
fn everything(client: Client, options: &[(&str, &str)], ops: Value) -> Session {
    Session::over_http("everything", client, options, ops)
}

/// The client connected and negotiated `version`.
fn assert_connected(session: &Session, version: &str) {
    let connect = &session.lines[0];
    assert_eq!(connect["op"], "connect", "{connect}");
    assert_eq!(connect["ok"], true, "{connect}");
    assert_eq!(connect["protocolVersion"], version, "{connect}");
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

/// The position on the wire of the (final) tool result whose text is `text`.
fn result_position(messages: &[Value], text: &str) -> usize {
    messages
        .iter()
        .position(|m| m["result"]["content"][0]["text"] == text)
        .unwrap_or_else(|| panic!("the server never sent a result {text:?}"))
}

// ---- progress ---------------------------------------------------------------------------

fn progress(client: Client) -> Session {
    let ops = json!([{"op": "call", "name": "test_tool_with_progress", "progress": true}]);
    everything(client, &[], ops)
}

fn assert_progress(session: &Session, version: &str) {
    assert_connected(session, version);
    let call = call_line(&session.lines, 0);
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
    let messages = session.sent();
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

// ---- logging ----------------------------------------------------------------------------

/// Calls `test_tool_with_logging` with `--log-level level` (if any).
fn logging(client: Client, level: Option<&str>) -> Session {
    let options: Vec<(&str, &str)> = level.map(|l| ("--log-level", l)).into_iter().collect();
    let ops = json!([{"op": "call", "name": "test_tool_with_logging"}]);
    everything(client, &options, ops)
}

/// Asserts that the client set `level` (if any) as `version` has it and that the call
/// succeeded; returns the call's line and the wire messages.
fn logged(session: &Session, level: Option<&str>, version: &str) -> (Value, Vec<Value>) {
    assert_connected(session, version);
    if let Some(level) = level {
        let set = session
            .lines
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
    let call = call_line(&session.lines, 0).clone();
    assert_text(&call["result"], "Logging test completed");
    (call, session.sent())
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

/// `test_elicitation`, answered with `answer`.
fn elicitation(client: Client, answer: &str) -> Session {
    let ops =
        json!([{"op": "call", "name": "test_elicitation", "args": {"message": ELICIT_MESSAGE}}]);
    everything(client, &[("--elicit", answer)], ops)
}

/// Asserts the tool's answer `text` and the question asked.
fn assert_elicitation(session: &Session, version: &str, text: &str) {
    assert_connected(session, version);
    let call = call_line(&session.lines, 0);
    assert_text(&call["result"], text);
    let params = only_request(call, "elicitation/create");
    assert_eq!(params["message"], ELICIT_MESSAGE, "{params}");
    assert_eq!(params["requestedSchema"], elicitation_schema(), "{params}");
    assert_asked_on_wire(session, version, "elicitation/create");
}

/// Legacy: the server sent its own request before the result. 2026-07-28: it sent no request
/// of its own, but an input-required result carrying one, then (on the retry) the result.
fn assert_asked_on_wire(session: &Session, version: &str, method: &str) {
    let messages = session.sent();
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

/// `test_input_required_result_elicitation`, answered with a name.
fn input_required_elicitation() -> Session {
    let ops = json!([{"op": "call", "name": "test_input_required_result_elicitation"}]);
    let answer = r#"{"action":"accept","content":{"name":"Ada Lovelace"}}"#;
    everything(Client::PythonDefault, &[("--elicit", answer)], ops)
}

// ---- sampling ---------------------------------------------------------------------------

fn sampling(client: Client) -> Session {
    let ops = json!([{"op": "call", "name": "test_sampling", "args": {"prompt": SAMPLE_PROMPT}}]);
    everything(client, &[("--sample", SAMPLE_TEXT)], ops)
}

fn assert_sampling(session: &Session, version: &str) {
    assert_connected(session, version);
    let call = call_line(&session.lines, 0);
    assert_text(&call["result"], &format!("LLM response: {SAMPLE_TEXT}"));
    let params = only_request(call, "sampling/createMessage");
    assert_eq!(
        params["messages"],
        json!([{"role": "user", "content": {"type": "text", "text": SAMPLE_PROMPT}}]),
        "{params}"
    );
    assert_eq!(params["maxTokens"], 100, "{params}");
    assert_asked_on_wire(session, version, "sampling/createMessage");
}

// ---- roots ------------------------------------------------------------------------------

fn roots(client: Client) -> Session {
    let roots =
        r#"[{"uri":"file:///home/ada/project","name":"project"},{"uri":"file:///tmp/scratch"}]"#;
    let ops = json!([{"op": "call", "name": "test_input_required_result_list_roots"}]);
    everything(client, &[("--roots", roots)], ops)
}

fn assert_roots(session: &Session, version: &str) {
    assert_connected(session, version);
    let call = call_line(&session.lines, 0);
    assert_text(&call["result"], "The client has 2 root(s)");
    only_request(call, "roots/list");
    assert_asked_on_wire(session, version, "roots/list");
}

// ---- list changes on stdio ---------------------------------------------------------------

/// A tool announces a tool-list change while a legacy client is connected over stdio, where
/// the session's stream is the connection itself.
fn list_changed_over_stdio() -> Session {
    let ops = json!([
        {"op": "call", "name": "test_trigger_tool_change"},
        {"op": "changes", "count": 1, "ms": 10000}
    ]);
    Session::over_stdio("everything", Client::TypeScript, &[], ops)
}

// ---- the tests --------------------------------------------------------------------------

common::session_tests! {
    fn typescript_progress(session = progress(Client::TypeScript)) {
        assert_progress(session, LEGACY);
    }

    fn python_legacy_progress(session = progress(Client::PythonLegacy)) {
        assert_progress(session, LEGACY);
    }

    fn python_modern_progress(session = progress(Client::PythonDefault)) {
        assert_progress(session, MODERN);
    }

    fn typescript_logging_after_set_level(session = logging(Client::TypeScript, Some("info"))) {
        let (call, messages) = logged(session, Some("info"), LEGACY);
        assert_three_logs(&call, &messages);
    }

    fn typescript_logging_without_set_level(session = logging(Client::TypeScript, None)) {
        // Legacy: a client that never set a level gets everything.
        let (call, messages) = logged(session, None, LEGACY);
        assert_three_logs(&call, &messages);
    }

    fn python_legacy_logging_after_set_level(
        session = logging(Client::PythonLegacy, Some("info"))
    ) {
        let (call, messages) = logged(session, Some("info"), LEGACY);
        assert_three_logs(&call, &messages);
    }

    fn python_legacy_logging_above_the_level_is_dropped(
        session = logging(Client::PythonLegacy, Some("warning"))
    ) {
        let (call, messages) = logged(session, Some("warning"), LEGACY);
        assert_no_logs(&call, &messages);
    }

    fn python_modern_logging_with_a_log_level(
        session = logging(Client::PythonDefault, Some("info"))
    ) {
        let (call, messages) = logged(session, Some("info"), MODERN);
        assert_three_logs(&call, &messages);
    }

    fn python_modern_no_logging_without_a_log_level(
        session = logging(Client::PythonDefault, None)
    ) {
        let (call, messages) = logged(session, None, MODERN);
        assert_no_logs(&call, &messages);
    }

    fn python_modern_logging_above_the_level_is_dropped(
        session = logging(Client::PythonDefault, Some("warning"))
    ) {
        let (call, messages) = logged(session, Some("warning"), MODERN);
        assert_no_logs(&call, &messages);
    }

    fn typescript_elicitation(session = elicitation(Client::TypeScript, ELICIT_ACCEPT)) {
        assert_elicitation(session, LEGACY, ELICIT_ACCEPT_TEXT);
    }

    fn python_legacy_elicitation(session = elicitation(Client::PythonLegacy, ELICIT_ACCEPT)) {
        assert_elicitation(session, LEGACY, ELICIT_ACCEPT_TEXT);
    }

    fn python_modern_elicitation(session = elicitation(Client::PythonDefault, ELICIT_ACCEPT)) {
        assert_elicitation(session, MODERN, ELICIT_ACCEPT_TEXT);
    }

    fn python_modern_elicitation_declined(
        session = elicitation(Client::PythonDefault, r#"{"action":"decline"}"#)
    ) {
        assert_elicitation(session, MODERN, "User response: action=decline, content=null");
    }

    fn python_modern_input_required_elicitation(session = input_required_elicitation()) {
        assert_connected(session, MODERN);
        let call = call_line(&session.lines, 0);
        assert_text(&call["result"], "Hello, Ada Lovelace!");
        let params = only_request(call, "elicitation/create");
        assert_eq!(params["message"], "What is your name?", "{params}");
        assert_eq!(
            params["requestedSchema"],
            json!({"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]})
        );
        assert_asked_on_wire(session, MODERN, "elicitation/create");
        // The question is keyed as the tool asked.
        let messages = session.sent();
        let asked = messages
            .iter()
            .find(|m| m["result"]["resultType"] == "input_required")
            .unwrap();
        assert!(
            asked["result"]["inputRequests"].get("user_name").is_some(),
            "{asked}"
        );
    }

    fn typescript_sampling(session = sampling(Client::TypeScript)) {
        assert_sampling(session, LEGACY);
    }

    fn python_legacy_sampling(session = sampling(Client::PythonLegacy)) {
        assert_sampling(session, LEGACY);
    }

    fn python_modern_sampling(session = sampling(Client::PythonDefault)) {
        assert_sampling(session, MODERN);
    }

    fn typescript_roots(session = roots(Client::TypeScript)) {
        assert_roots(session, LEGACY);
    }

    fn python_modern_roots(session = roots(Client::PythonDefault)) {
        assert_roots(session, MODERN);
    }

    fn typescript_list_changed_over_stdio(session = list_changed_over_stdio()) {
        assert_connected(session, LEGACY);
        assert_text(
            &call_line(&session.lines, 0)["result"],
            "Tool list change announced",
        );
        let changes = session.lines.iter().find(|l| l["op"] == "changes");
        assert_eq!(
            changes.expect("a changes line")["methods"],
            json!(["notifications/tools/list_changed"])
        );
    }
}
