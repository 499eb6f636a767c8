//! The command line, the request spans, the log bridge and the dev page, on the example
//! binaries as a user runs them.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use common::http::Reply;
use serde_json::{Value, json};

const MODERN: &str = "2026-07-28";
const LEGACY: &str = "2025-11-25";

fn run(example: &str, args: &[&str], env: &[(&str, &str)]) -> Output {
    Command::new(common::example(example))
        .args(args)
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .output()
        .expect("run the example")
}

/// A server started from the environment alone, whose stderr lines the test reads.
struct Served {
    child: Child,
    authority: String,
    path: String,
    stderr: mpsc::Receiver<String>,
}

impl Served {
    fn start(example: &str, args: &[&str], env: &[(&str, &str)]) -> Self {
        let mut child = Command::new(common::example(example))
            .args(args)
            .env_remove("RUST_LOG")
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start the example");
        let (tx, stderr) = mpsc::channel();
        let lines = BufReader::new(child.stderr.take().expect("stderr")).lines();
        std::thread::spawn(move || {
            for line in lines.map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let url = loop {
            let line = stderr
                .recv_timeout(Duration::from_secs(30))
                .expect("the server announces where it serves");
            if let Some(at) = line.find("http://") {
                break line[at + "http://".len()..].trim().to_owned();
            }
        };
        let (authority, path) = url.split_at(url.find('/').expect("a path"));
        Self {
            authority: authority.to_owned(),
            path: path.to_owned(),
            child,
            stderr,
        }
    }

    fn http(&self, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> Reply {
        common::http::exchange(&self.authority, method, path, headers, body)
    }

    /// A JSON-RPC POST to the endpoint; every message of the answer, JSON or SSE.
    fn post(&self, headers: &[(&str, &str)], message: Value) -> (Reply, Vec<Value>) {
        let body = message.to_string();
        let reply = common::http::post(&self.authority, &self.path, headers, &body);
        let messages = if reply.header("content-type") == Some("text/event-stream") {
            reply
                .body
                .lines()
                .filter_map(|l| l.strip_prefix("data:"))
                .map(|data| serde_json::from_str(data.trim()).expect("an SSE message"))
                .collect()
        } else if reply.body.is_empty() {
            Vec::new()
        } else {
            vec![serde_json::from_str(&reply.body).expect("a JSON answer")]
        };
        (reply, messages)
    }

    /// A legacy session, initialized; returns its id.
    fn legacy_session(&self) -> String {
        let (reply, _) = self.post(
            &[],
            json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
                "protocolVersion": LEGACY, "capabilities": {},
                "clientInfo": {"name": "cli-test", "version": "1"}}}),
        );
        assert_eq!(reply.status, 200, "{}", reply.body);
        let id = reply
            .header("mcp-session-id")
            .expect("a session")
            .to_owned();
        let notified = json!({"jsonrpc": "2.0", "method": "notifications/initialized"});
        self.post(&self.legacy_headers(&id), notified);
        id
    }

    fn legacy_headers<'a>(&self, session: &'a str) -> [(&'static str, &'a str); 2] {
        [
            ("mcp-session-id", session),
            ("mcp-protocol-version", LEGACY),
        ]
    }

    fn legacy_call(&self, session: &str, tool: &str, arguments: Value) -> Vec<Value> {
        let call = json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call",
            "params": {"name": tool, "arguments": arguments}});
        let (reply, messages) = self.post(&self.legacy_headers(session), call);
        assert_eq!(reply.status, 200, "{}", reply.body);
        messages
    }

    /// A 2026-07-28 `tools/call`, asking for log messages at `log_level` if given.
    fn modern_call(&self, tool: &str, arguments: Value, log_level: Option<&str>) -> Vec<Value> {
        self.modern_call_with(&[], tool, arguments, log_level)
    }

    fn modern_call_with(
        &self,
        extra: &[(&str, &str)],
        tool: &str,
        arguments: Value,
        log_level: Option<&str>,
    ) -> Vec<Value> {
        let mut meta = json!({"io.modelcontextprotocol/protocolVersion": MODERN,
            "io.modelcontextprotocol/clientCapabilities": {}});
        if let Some(level) = log_level {
            meta["io.modelcontextprotocol/logLevel"] = level.into();
        }
        let call = json!({"jsonrpc": "2.0", "id": 3, "method": "tools/call",
            "params": {"name": tool, "arguments": arguments, "_meta": meta}});
        let mut headers = vec![
            ("mcp-protocol-version", MODERN),
            ("mcp-method", "tools/call"),
            ("mcp-name", tool),
        ];
        headers.extend_from_slice(extra);
        let (reply, messages) = self.post(&headers, call);
        assert_eq!(reply.status, 200, "{}", reply.body);
        messages
    }

    /// The next stderr line that satisfies `wanted`.
    fn stderr_line(&self, wanted: impl Fn(&str) -> bool) -> String {
        loop {
            let line = self
                .stderr
                .recv_timeout(Duration::from_secs(10))
                .expect("the line awaited on stderr");
            if wanted(&line) {
                return line;
            }
        }
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn log_messages(messages: &[Value]) -> Vec<&Value> {
    messages
        .iter()
        .filter(|m| m["method"] == "notifications/message")
        .map(|m| &m["params"])
        .collect()
}

#[test]
fn help_names_the_program_and_each_flag_with_its_variable() {
    let help = run("hello", &["--help"], &[]);
    assert!(help.status.success());
    let text = String::from_utf8(help.stdout).unwrap();
    assert!(text.contains("Usage: hello [OPTIONS]"), "{text}");
    // The program's description is the server's, never the flags' documentation.
    assert!(text.starts_with("Usage: hello"), "{text}");
    for flag in [
        "--http <ADDR>",
        "--store <URL>",
        "--dev",
        "--log-format <FORMAT>",
    ] {
        assert!(text.contains(flag), "{flag} missing from\n{text}");
    }
    for variable in [
        "MCP_HTTP",
        "MCP_STORE",
        "MCP_SESSION_IDLE",
        "MCP_ALLOW_HOST",
    ] {
        assert!(text.contains(&format!("[env: {variable}=]")), "{variable}");
    }
    let version = run("hello", &["--version"], &[]);
    let version = String::from_utf8(version.stdout).unwrap();
    assert_eq!(
        version,
        format!("mcp-framework {}\n", env!("CARGO_PKG_VERSION"))
    );
    let wrong = run("hello", &["--htp", "127.0.0.1:0"], &[]);
    assert_eq!(wrong.status.code(), Some(2));
    let problem = String::from_utf8(wrong.stderr).unwrap();
    assert!(problem.contains("unexpected argument '--htp'"), "{problem}");
    assert!(problem.contains("--http"), "a suggestion: {problem}");
    let bad = run("hello", &["--max-connections", "0"], &[]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        String::from_utf8(bad.stderr)
            .unwrap()
            .contains("must be at least 1")
    );
}

#[test]
fn the_environment_sets_every_flag() {
    let env = [("MCP_HTTP", "127.0.0.1:0"), ("MCP_PATH", "/elsewhere")];
    let served = Served::start("hello", &[], &env);
    assert_eq!(served.path, "/elsewhere");
    let reply = served.modern_call("add", json!({"a": 2, "b": 40}), None);
    assert_eq!(reply[0]["result"]["structuredContent"]["sum"], 42);
    // A flag overrides its variable.
    let served = Served::start("hello", &["--path", "/flag"], &env);
    assert_eq!(served.path, "/flag");
}

#[test]
fn a_program_of_its_own_flattens_the_serving_flags() {
    let help = run("notebook", &["--help"], &[]);
    let text = String::from_utf8(help.stdout).unwrap();
    assert!(text.contains("Usage: notebook [OPTIONS]"), "{text}");
    assert!(
        text.starts_with("A notebook per session, kept across restarts and expiry"),
        "its own description first: {text}"
    );
    assert!(text.contains("--max-notes <MAX_NOTES>"), "{text}");
    assert!(text.contains("[env: NOTEBOOK_MAX_NOTES=]"), "{text}");
    assert!(text.contains("--http <ADDR>"), "{text}");
    // Its own flag from the environment, the serving flags from the command line.
    let served = Served::start(
        "notebook",
        &["--http", "127.0.0.1:0"],
        &[("NOTEBOOK_MAX_NOTES", "2")],
    );
    let session = served.legacy_session();
    let mut notes = Value::Null;
    for text in ["a", "b", "c"] {
        let messages = served.legacy_call(&session, "note", json!({"text": text}));
        notes = messages.last().unwrap()["result"]["structuredContent"]["notes"].clone();
    }
    assert_eq!(notes, json!(["b", "c"]));
}

/// `RUST_LOG=mcp_runtime::request=debug` gives one line per request with its span's fields;
/// `--log-format json` makes it a JSON object.
#[test]
fn every_request_has_a_span() {
    let served = Served::start(
        "hello",
        &["--http", "127.0.0.1:0", "--log-format", "json"],
        &[("RUST_LOG", "mcp_runtime::request=debug")],
    );
    served.modern_call("add", json!({"a": 1, "b": 2}), None);
    let line = served.stderr_line(|l| l.contains("answered"));
    let event: Value = serde_json::from_str(&line).expect("a JSON line");
    assert_eq!(event["level"], "DEBUG");
    assert_eq!(event["target"], "mcp_runtime::request");
    assert_eq!(event["fields"]["status"], "200", "{event}");
    assert!(event["fields"]["latency_us"].is_u64(), "{event}");
    let span = &event["span"];
    assert_eq!(span["name"], "request");
    assert_eq!(span["era"], MODERN);
    assert_eq!(span["method"], "tools/call");
    assert_eq!(span["tool"], "add");
    // A legacy request names its session, shortened.
    let session = served.legacy_session();
    served.legacy_call(&session, "echo", json!({"text": "hi"}));
    let line = served.stderr_line(|l| l.contains("\"tool\":\"echo\""));
    let event: Value = serde_json::from_str(&line).unwrap();
    assert_eq!(event["span"]["era"], "legacy");
    let logged = event["span"]["session"].as_str().unwrap();
    assert_eq!(logged, format!("{}…", &session[..8]));
}

/// Behind an authentication layer, the span names who called.
#[test]
fn the_span_names_the_principal() {
    let served = Served::start(
        "reinit",
        &["--http", "127.0.0.1:0", "--log-format", "json"],
        &[
            ("RUST_LOG", "mcp_runtime::request=debug"),
            ("MCP_API_KEYS", "alice=s3cret"),
            ("MCP_STATE_KEY", "a-test-key-of-enough-length-for-hmac"),
        ],
    );
    let auth = [("authorization", "Bearer s3cret")];
    served.modern_call_with(&auth, "add", json!({"a": 1, "b": 2}), None);
    let line = served.stderr_line(|l| l.contains("answered"));
    let event: Value = serde_json::from_str(&line).unwrap();
    assert_eq!(event["span"]["principal"], "alice", "{event}");
    assert!(!line.contains("s3cret"), "the key is never logged: {line}");
}

#[test]
fn handler_tracing_reaches_the_client_at_its_level() {
    let served = Served::start(
        "everything",
        &["--http", "127.0.0.1:0", "--log-to-client"],
        &[],
    );
    // 2026-07-28: the request's level, and nothing without one.
    let at = |level| {
        let messages = served.modern_call("test_simple_text", json!({}), level);
        assert!(messages.last().unwrap()["result"].is_object());
        log_messages(&messages)
            .iter()
            .map(|p| p["level"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(at(None), Vec::<String>::new());
    assert_eq!(at(Some("debug")), ["info", "debug"]);
    assert_eq!(at(Some("info")), ["info"]);
    assert_eq!(at(Some("warning")), Vec::<String>::new());
    // Legacy: `info` until the client sets a level, then that level.
    let session = served.legacy_session();
    let messages = served.legacy_call(&session, "test_simple_text", json!({}));
    let logs = log_messages(&messages);
    assert_eq!(logs.len(), 1, "{messages:?}");
    assert_eq!(logs[0]["level"], "info");
    assert_eq!(logs[0]["logger"], "everything");
    assert_eq!(logs[0]["data"]["message"], "answering");
    assert_eq!(logs[0]["data"]["tool"], "test_simple_text");
    let set = json!({"jsonrpc": "2.0", "id": 9, "method": "logging/setLevel",
        "params": {"level": "error"}});
    served.post(&served.legacy_headers(&session), set);
    let messages = served.legacy_call(&session, "test_simple_text", json!({}));
    assert!(log_messages(&messages).is_empty(), "{messages:?}");
}

#[test]
fn without_the_flag_handler_tracing_stays_in_the_process() {
    let served = Served::start("everything", &["--http", "127.0.0.1:0"], &[]);
    let messages = served.modern_call("test_simple_text", json!({}), Some("debug"));
    assert!(log_messages(&messages).is_empty(), "{messages:?}");
}

#[test]
fn the_dev_page_is_served_only_with_dev() {
    let served = Served::start("hello", &["--http", "127.0.0.1:0", "--dev"], &[]);
    let page = served.http("GET", "/", &[], "");
    assert_eq!(page.status, 200);
    assert_eq!(
        page.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    assert!(page.header("content-security-policy").is_some());
    assert!(page.body.contains("\"/mcp\""), "the endpoint is written in");
    assert!(!page.body.contains("{{MCP_PATH}}"));
    let served = Served::start("hello", &["--http", "127.0.0.1:0"], &[]);
    assert_eq!(served.http("GET", "/", &[], "").status, 404);
}
