//! Helpers shared by the end-to-end tests: starting example servers, driving the official
//! client SDKs, and validating what the server sent against the spec's JSON schemas.
#![allow(dead_code)]

pub(crate) mod http;
pub(crate) mod nginx;

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use serde_json::{Value, json};

/// The workspace root.
pub(crate) fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A built example binary, next to the test binary (`cargo test` builds examples first).
pub(crate) fn example(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("target/<profile>");
    let path = profile_dir.join("examples").join(name);
    assert!(
        path.exists(),
        "example `{name}` is not built at {}; run the tests with `cargo test`",
        path.display()
    );
    path
}

/// An example serving streamable HTTP on a free port; killed on drop.
pub(crate) struct HttpServer {
    child: Child,
    /// The endpoint URL, e.g. `http://127.0.0.1:41234/mcp`.
    pub(crate) url: String,
    /// Where the server records every message it sends.
    pub(crate) wire_log: PathBuf,
}

impl HttpServer {
    /// Starts `example` with `--http 127.0.0.1:0` plus `args`, with `env` added.
    pub(crate) fn start(example_name: &str, args: &[&str], env: &[(&str, &str)]) -> Self {
        Self::start_at(example_name, "127.0.0.1:0", args, env)
    }

    /// Starts `example` on a given port (to restart a server where its clients expect it).
    /// The port was free a moment ago, but a client's outgoing connection elsewhere may have
    /// taken it as its own local port meanwhile: binding is tried again for a few seconds.
    pub(crate) fn start_on(
        example_name: &str,
        port: u16,
        args: &[&str],
        env: &[(&str, &str)],
    ) -> Self {
        let addr = format!("127.0.0.1:{port}");
        for _ in 0..50 {
            if let Ok(server) = Self::try_start_at(example_name, &addr, args, env) {
                return server;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        panic!("{example_name} could not serve on {addr}");
    }

    /// Starts `example` on `addr` and waits until it serves; the URL comes from its stderr.
    fn start_at(example_name: &str, addr: &str, args: &[&str], env: &[(&str, &str)]) -> Self {
        Self::try_start_at(example_name, addr, args, env).unwrap_or_else(|e| panic!("{e}"))
    }

    /// Starts `example` on `addr`; `Err` when it exits before serving.
    fn try_start_at(
        example_name: &str,
        addr: &str,
        args: &[&str],
        env: &[(&str, &str)],
    ) -> Result<Self, String> {
        let wire_log = temp_path(&format!("{example_name}-wire"), "jsonl");
        let mut child = Command::new(example(example_name))
            .args(["--http", addr, "--wire-log"])
            .arg(&wire_log)
            .args(args)
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start the example");
        let mut stderr = BufReader::new(child.stderr.take().expect("stderr"));
        let mut line = String::new();
        let url = loop {
            line.clear();
            if stderr.read_line(&mut line).expect("read stderr") == 0 {
                let _ = child.wait();
                return Err(format!("{example_name} exited before serving on {addr}"));
            }
            if let Some(at) = line.find("http://") {
                break line[at..].trim().to_owned();
            }
        };
        // Keep draining stderr so the server never blocks on a full pipe.
        std::thread::spawn(move || std::io::copy(&mut stderr, &mut std::io::sink()));
        Ok(Self {
            child,
            url,
            wire_log,
        })
    }

    /// Stops it gracefully (SIGTERM), as a rolling deploy does, and waits until it exited.
    pub(crate) fn terminate(mut self) -> std::process::ExitStatus {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -TERM failed");
        self.child.wait().expect("wait for the server")
    }

    /// Kills it at once (SIGKILL): no shutdown, as when its machine fails.
    pub(crate) fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// The port it serves on.
    pub(crate) fn port(&self) -> u16 {
        let authority = self.authority();
        authority[authority.rfind(':').expect("a port") + 1..]
            .parse()
            .expect("a port number")
    }

    /// The endpoint's path, e.g. `/mcp`.
    pub(crate) fn path(&self) -> &str {
        let url = self.url.trim_start_matches("http://");
        &url[url.find('/').expect("a path")..]
    }

    /// `host:port`.
    pub(crate) fn authority(&self) -> &str {
        self.url
            .trim_start_matches("http://")
            .split('/')
            .next()
            .expect("authority")
    }
}

/// Where requests go: one server, or a balancer in front of several.
pub(crate) trait Endpoint {
    /// `host:port`.
    fn authority(&self) -> &str;
    /// The endpoint's path, e.g. `/mcp`.
    fn path(&self) -> &str;

    /// A legacy `initialize` (revision 2025-11-25), as it was answered.
    fn initialize(&self) -> http::Reply {
        let body = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-11-25", "capabilities": {},
            "clientInfo": {"name": "test", "version": "1"}}});
        http::post(self.authority(), self.path(), &[], &body.to_string())
    }

    /// A legacy session, initialized: its id.
    fn open_session(&self) -> String {
        let reply = self.initialize();
        assert_eq!(reply.status, 200, "{}", reply.body);
        let session = reply
            .header("mcp-session-id")
            .expect("a session")
            .to_owned();
        let initialized = json!({"jsonrpc": "2.0", "method": "notifications/initialized"});
        self.legacy(&session, &initialized);
        session
    }

    /// A message on a legacy session (revision 2025-11-25), as it was answered.
    fn legacy(&self, session: &str, message: &Value) -> http::Reply {
        let headers = [
            ("mcp-session-id", session),
            ("mcp-protocol-version", "2025-11-25"),
        ];
        http::post(
            self.authority(),
            self.path(),
            &headers,
            &message.to_string(),
        )
    }

    /// A 2026-07-28 request of a client of the tasks extension: its result.
    fn modern(&self, method: &str, mut params: Value) -> Value {
        // The `Mcp-Name` header mirrors the tool's name, or the task's id.
        let name = ["name", "taskId"]
            .into_iter()
            .find_map(|key| params[key].as_str())
            .map(str::to_owned);
        params["_meta"] = json!({
            "io.modelcontextprotocol/protocolVersion": "2026-07-28",
            "io.modelcontextprotocol/clientCapabilities": {
                "extensions": {"io.modelcontextprotocol/tasks": {}}}});
        let message = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
        let mut headers = vec![
            ("mcp-protocol-version", "2026-07-28"),
            ("mcp-method", method),
        ];
        headers.extend(name.as_deref().map(|name| ("mcp-name", name)));
        let reply = http::post(
            self.authority(),
            self.path(),
            &headers,
            &message.to_string(),
        );
        assert_eq!(reply.status, 200, "{}", reply.body);
        let answer: Value = serde_json::from_str(&reply.body).expect("a JSON answer");
        answer["result"].clone()
    }
}

impl Endpoint for HttpServer {
    fn authority(&self) -> &str {
        HttpServer::authority(self)
    }

    fn path(&self) -> &str {
        HttpServer::path(self)
    }
}

impl Endpoint for nginx::Nginx {
    fn authority(&self) -> &str {
        nginx::Nginx::authority(self)
    }

    fn path(&self) -> &str {
        nginx::Nginx::path(self)
    }
}

impl Drop for HttpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A fresh path in the system's temp directory, with nothing at it.
pub(crate) fn temp_path(stem: &str, ext: &str) -> PathBuf {
    static COUNTER: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let path =
        std::env::temp_dir().join(format!("mcp-test-{stem}-{}-{n}.{ext}", std::process::id()));
    // A test process of an earlier run may have had this pid: its file, left behind, would be
    // appended to (a wire log) and read back as this run's.
    let _ = std::fs::remove_file(&path);
    path
}

/// The cache the official client SDKs are installed into (by `tests/clients/install.sh`).
pub(crate) fn clients_cache() -> &'static Path {
    static CACHE: OnceLock<PathBuf> = OnceLock::new();
    CACHE.get_or_init(|| {
        let dir = std::env::var_os("MCP_TEST_CACHE")
            .map(PathBuf::from)
            .unwrap_or_else(|| {
                let base = std::env::var_os("XDG_CACHE_HOME")
                    .map(PathBuf::from)
                    .unwrap_or_else(|| {
                        PathBuf::from(std::env::var_os("HOME").expect("HOME")).join(".cache")
                    });
                base.join("mcp-framework-tests")
            });
        let status = Command::new("bash")
            .arg(root().join("tests/clients/install.sh"))
            .arg(&dir)
            .status()
            .expect("run tests/clients/install.sh");
        assert!(status.success(), "installing the client SDKs failed");
        dir
    })
}

/// Which official client drives a test.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Client {
    /// `@modelcontextprotocol/sdk` 1.32 (legacy handshake).
    TypeScript,
    /// `mcp` 2.3.0 in its default mode (probes `server/discover`: 2026-07-28).
    PythonDefault,
    /// `mcp` 2.3.0 forced to the legacy handshake.
    PythonLegacy,
}

/// Where a client connects.
pub(crate) enum Target<'a> {
    /// Streamable HTTP.
    Http(&'a str),
    /// A server process on stdio: the command and its arguments.
    Stdio(Vec<String>),
}

/// Runs `ops` (see `tests/clients/*`) with one client session and returns its output lines.
pub(crate) fn run_client(
    client: Client,
    target: Target<'_>,
    headers: &[&str],
    ops: Value,
) -> Vec<Value> {
    let options: Vec<(&str, &str)> = headers.iter().map(|h| ("--header", *h)).collect();
    run_client_with(client, target, &options, ops)
}

/// Like [`run_client`], with client options as (name, value) pairs: `--header`, `--elicit`,
/// `--sample`, `--roots`, `--log-level` (see `tests/clients/*`).
pub(crate) fn run_client_with(
    client: Client,
    target: Target<'_>,
    options: &[(&str, &str)],
    ops: Value,
) -> Vec<Value> {
    let cache = clients_cache();
    let mut cmd = match client {
        Client::TypeScript => {
            let mut c = Command::new("node");
            c.arg(root().join("tests/clients/ts_client.mjs"));
            c.env("MCP_CLIENT_NODE_MODULES", cache.join("node/node_modules"));
            c
        }
        Client::PythonDefault | Client::PythonLegacy => {
            let mut c = Command::new(cache.join("venv/bin/python"));
            c.arg(root().join("tests/clients/py_client.py"));
            c.args([
                "--mode",
                if matches!(client, Client::PythonLegacy) {
                    "legacy"
                } else {
                    "default"
                },
            ]);
            c
        }
    };
    for (name, value) in options {
        cmd.args([name, value]);
    }
    cmd.arg("--ops").arg(ops.to_string());
    match target {
        Target::Http(url) => cmd.args(["--http", url]),
        Target::Stdio(argv) => cmd.arg("--stdio").args(argv),
    };
    let out = cmd
        .stderr(Stdio::inherit())
        .output()
        .expect("run the client");
    let stdout = String::from_utf8(out.stdout).expect("utf-8 output");
    assert!(
        out.status.success(),
        "{client:?} failed ({}): {stdout}",
        out.status
    );
    stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad line {l:?}: {e}")))
        .collect()
}

/// One client session against an example: what the client printed, and the file where the
/// server recorded every message it sent.
pub(crate) struct Session {
    /// The client's output lines (see `tests/clients/*`).
    pub(crate) lines: Vec<Value>,
    /// The server's wire log; it outlives the server.
    pub(crate) wire_log: PathBuf,
}

impl Session {
    /// Runs `ops` with `client` against a fresh `example` server on streamable HTTP, with
    /// client `options` as in [`run_client_with`].
    pub(crate) fn over_http(
        example_name: &str,
        client: Client,
        options: &[(&str, &str)],
        ops: Value,
    ) -> Self {
        let server = HttpServer::start(example_name, &[], &[]);
        let lines = run_client_with(client, Target::Http(&server.url), options, ops);
        Self {
            lines,
            wire_log: server.wire_log.clone(),
        }
    }

    /// Runs `ops` with `client` against `example` started by the client on stdio.
    pub(crate) fn over_stdio(
        example_name: &str,
        client: Client,
        options: &[(&str, &str)],
        ops: Value,
    ) -> Self {
        let wire_log = temp_path(&format!("{example_name}-stdio-wire"), "jsonl");
        let argv = vec![
            example(example_name).display().to_string(),
            "--stdio".into(),
            "--wire-log".into(),
            wire_log.display().to_string(),
        ];
        let lines = run_client_with(client, Target::Stdio(argv), options, ops);
        Self { lines, wire_log }
    }

    /// Every message the server sent, in order.
    pub(crate) fn sent(&self) -> Vec<Value> {
        std::fs::read_to_string(&self.wire_log)
            .unwrap_or_default()
            .lines()
            .map(|l| {
                let mut record: Value = serde_json::from_str(l).expect("wire log line");
                record["message"].take()
            })
            .collect()
    }

    /// Validates every message the server sent against the spec's JSON schema of the revision
    /// it was sent under.
    pub(crate) fn assert_wire_matches_spec(&self) {
        let checked = Schemas::get().validate_wire_log(&self.wire_log);
        // The handshake's answer plus one per list or call: a shorter log means messages went
        // unrecorded, and finding nothing wrong in it would prove little.
        let answered = self
            .lines
            .iter()
            .filter(|l| matches!(l["op"].as_str(), Some("list" | "call")))
            .count();
        assert!(
            checked > answered,
            "only {checked} messages were recorded in {} for {answered} lists and calls",
            self.wire_log.display()
        );
    }
}

/// Defines tests over client sessions, each session run once per test process however many
/// tests look at it:
///
/// ```ignore
/// session_tests! {
///     fn typescript_progress(session = Session::over_http(...)) {
///         assert_progress(session, LEGACY);
///     }
/// }
/// ```
///
/// makes the test `typescript_progress`, which runs the block with `session: &Session`, and
/// its twin `wire_matches_the_spec::typescript_progress`, which validates what the server sent
/// in that session. Without the spec (`cfg(mcp_spec)`, see `build.rs`) the twin is reported as
/// ignored with its reason, while the first still checks what the client saw. The twins sort
/// after the tests, so by the time they start their sessions have mostly been run already, and
/// having both costs about what one test with validation at its end did.
// The tests without client sessions include this module too.
#[allow(unused_macros)]
macro_rules! session_tests {
    ($(
        $(#[$attr:meta])*
        fn $name:ident($session:ident = $run:expr) $check:block
    )+) => {
        /// Each test's session, run by whichever of the test and its twin asks first.
        mod sessions {
            #[allow(unused_imports)]
            use super::*;
            $(
                pub(super) fn $name() -> &'static $crate::common::Session {
                    static SESSION: ::std::sync::OnceLock<$crate::common::Session> =
                        ::std::sync::OnceLock::new();
                    SESSION.get_or_init(|| $run)
                }
            )+
        }

        $(
            $(#[$attr])*
            #[test]
            fn $name() {
                let $session = sessions::$name();
                $check
            }
        )+

        /// What the server sent in each session, validated against the spec's JSON schemas.
        mod wire_matches_the_spec {
            $(
                #[test]
                #[cfg_attr(
                    not(mcp_spec),
                    ignore = "../shared/spec is absent: what the server sent is not validated against the spec's JSON schemas"
                )]
                fn $name() {
                    super::sessions::$name().assert_wire_matches_spec();
                }
            )+
        }
    };
}
#[allow(unused_imports)]
pub(crate) use session_tests;

/// The result of the `n`th `call` op, asserting it succeeded.
pub(crate) fn call_result(lines: &[Value], n: usize) -> &Value {
    let call = lines
        .iter()
        .filter(|l| l["op"] == "call")
        .nth(n)
        .expect("a call line");
    assert_eq!(call["ok"], true, "call {n} failed: {call}");
    &call["result"]
}

/// Asserts that a client listed `add` and `echo`, that `add(2, 40)` gave 42, and that `echo`
/// returned its text exactly (ops from [`hello_ops`]).
pub(crate) fn assert_hello(lines: &[Value], echo_text: &str) {
    let list = lines
        .iter()
        .find(|l| l["op"] == "list")
        .expect("a list line");
    let names: Vec<&str> = list["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["add", "echo"]);
    for tool in list["tools"].as_array().unwrap() {
        assert_eq!(tool["inputSchema"]["type"], "object", "{tool}");
    }
    let add = call_result(lines, 0);
    assert_eq!(add["structuredContent"], json!({"sum": 42}), "{add}");
    assert_eq!(add["content"][0]["text"], r#"{"sum":42}"#);
    let echo = call_result(lines, 1);
    assert_eq!(
        echo["content"],
        json!([{"type": "text", "text": echo_text}]),
        "{echo}"
    );
    assert_ne!(echo["isError"], true);
}

/// List, `add(2, 40)`, `echo(text)`.
pub(crate) fn hello_ops(text: &str) -> Value {
    json!([
        {"op": "list"},
        {"op": "call", "name": "add", "args": {"a": 2, "b": 40}},
        {"op": "call", "name": "echo", "args": {"text": text}},
    ])
}

/// The spec's folder as the build script found it: `../shared/spec`, or `$MCP_SHARED_DIR/spec`.
/// Tests that read it are ignored, with their reason, unless `cfg(mcp_spec)` says it is there
/// (see `build.rs`).
pub(crate) fn spec_dir() -> &'static Path {
    Path::new(env!("MCP_SPEC_DIR"))
}

/// The official JSON schemas of each revision, from [`spec_dir`].
pub(crate) struct Schemas {
    /// Compiled validators by revision and definition: compiling one takes longer than
    /// checking a message with it, and the tests check hundreds of messages.
    validators: Mutex<HashMap<(String, String), Arc<jsonschema::Validator>>>,
}

impl Schemas {
    /// The schemas, shared by the tests of this process. Only tests ignored without
    /// `cfg(mcp_spec)` call this, so a missing folder here is a failure, not a skip.
    pub(crate) fn get() -> &'static Self {
        static SCHEMAS: OnceLock<Schemas> = OnceLock::new();
        SCHEMAS.get_or_init(|| {
            let dir = spec_dir();
            assert!(
                dir.is_dir(),
                "{} is absent: this test validates against the spec's JSON schemas",
                dir.display()
            );
            Self {
                validators: Mutex::default(),
            }
        })
    }

    /// The validator of definition `def` in revision `version`, compiled on first use.
    fn validator(&self, version: &str, def: &str) -> Arc<jsonschema::Validator> {
        let key = (version.to_owned(), def.to_owned());
        // A panic while compiling leaves no half-inserted entry, so a poisoned map is usable.
        let mut validators = self
            .validators
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(validator) = validators.get(&key) {
            return Arc::clone(validator);
        }
        let path = spec_dir().join(version).join("schema.json");
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let mut schema: Value = serde_json::from_str(&text).expect("schema.json is JSON");
        let defs_key = if schema.get("$defs").is_some() {
            "$defs"
        } else {
            "definitions"
        };
        assert!(
            schema[defs_key].get(def).is_some(),
            "{version} has no definition `{def}`"
        );
        schema["$ref"] = json!(format!("#/{defs_key}/{def}"));
        let validator = jsonschema::validator_for(&schema)
            .unwrap_or_else(|e| panic!("`{def}` of {version} does not compile: {e}"));
        Arc::clone(validators.entry(key).or_insert(Arc::new(validator)))
    }

    /// Validates `instance` against the definition `def` of revision `version`.
    pub(crate) fn validate(
        &self,
        version: &str,
        def: &str,
        instance: &Value,
    ) -> Result<(), String> {
        let errors: Vec<String> = self
            .validator(version, def)
            .iter_errors(instance)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        if errors.is_empty() {
            Ok(())
        } else {
            Err(format!(
                "not a valid {def} ({version}): {}",
                errors.join("; ")
            ))
        }
    }

    /// Validates one message the server sent, choosing the definition from its shape.
    pub(crate) fn validate_sent(&self, version: &str, message: &Value) -> Result<(), String> {
        let modern = version == "2026-07-28";
        if message.get("error").is_some() {
            let def = if matches!(version, "2025-03-26" | "2025-06-18") {
                "JSONRPCError"
            } else {
                "JSONRPCErrorResponse"
            };
            return self.validate(version, def, message);
        }
        if let Some(result) = message.get("result") {
            self.validate(version, "JSONRPCResponse", message)?;
            return self.validate(version, result_definition(result, modern), result);
        }
        if message.get("id").is_some() {
            // A request of the server's own (legacy era: elicitation, sampling, roots, ping).
            self.validate(version, "JSONRPCRequest", message)?;
            let def = match message["method"].as_str() {
                Some("elicitation/create") => "ElicitRequest",
                Some("sampling/createMessage") => "CreateMessageRequest",
                Some("roots/list") => "ListRootsRequest",
                Some("ping") => "PingRequest",
                _ => return Ok(()),
            };
            return self.validate(version, def, message);
        }
        let def = match message["method"].as_str() {
            Some("notifications/progress") => "ProgressNotification",
            Some("notifications/message") => "LoggingMessageNotification",
            _ => "JSONRPCNotification",
        };
        self.validate(version, def, message)
    }

    /// Validates every line of a server's wire log; returns how many messages it checked.
    pub(crate) fn validate_wire_log(&self, path: &Path) -> usize {
        let log = std::fs::read_to_string(path).unwrap_or_default();
        let mut checked = 0;
        for line in log.lines() {
            let record: Value = serde_json::from_str(line).expect("wire log line");
            let Some(version) = record["version"].as_str() else {
                continue;
            };
            if let Err(e) = self.validate_sent(version, &record["message"]) {
                panic!("{e}\nmessage: {}", record["message"]);
            }
            checked += 1;
        }
        checked
    }
}

fn result_definition(result: &Value, modern: bool) -> &'static str {
    let has = |k: &str| result.get(k).is_some();
    match () {
        _ if has("serverInfo") => "InitializeResult",
        _ if has("supportedVersions") => "DiscoverResult",
        _ if has("tools") => "ListToolsResult",
        _ if result["resultType"] == "input_required" => "InputRequiredResult",
        _ if has("content") => "CallToolResult",
        _ if modern => "Result",
        _ => "EmptyResult",
    }
}

impl HttpServer {
    /// How many tool results this server has sent so far.
    pub(crate) fn tool_results_sent(&self) -> usize {
        let log = std::fs::read_to_string(&self.wire_log).unwrap_or_default();
        log.lines().filter(|l| l.contains("\"content\":[")).count()
    }

    /// Waits until this server has sent `n` tool results.
    pub(crate) fn wait_for_tool_results(&self, n: usize) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while self.tool_results_sent() < n {
            assert!(
                std::time::Instant::now() < deadline,
                "the server never sent {n} tool results"
            );
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }
}

/// A free TCP port on the loopback interface.
pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A real `redis-server` on a free port, installed from Debian's packages when missing;
/// stopped on drop.
pub(crate) struct RedisServer {
    child: Child,
    /// `redis://127.0.0.1:PORT/`.
    pub(crate) url: String,
    /// Where it writes its data when asked to ([`restart`](Self::restart)).
    dir: PathBuf,
}

impl RedisServer {
    pub(crate) fn start() -> Self {
        Self::start_on(free_port())
    }

    /// A Redis on `port` (to bring one back where the servers expect it).
    pub(crate) fn start_on(port: u16) -> Self {
        let dir = temp_path("redis", "d");
        std::fs::create_dir_all(&dir).expect("redis's directory");
        Self::start_in(port, dir)
    }

    /// Restarts it where it was, with its data: saved on shutdown and loaded at start, as a
    /// Redis restarted for maintenance does.
    pub(crate) fn restart(mut self) -> Self {
        use std::io::Write;
        let mut tcp = std::net::TcpStream::connect(("127.0.0.1", self.port())).expect("connect");
        tcp.write_all(b"SHUTDOWN SAVE\r\n").expect("send SHUTDOWN");
        self.child.wait().expect("redis-server exits");
        let dir = std::mem::take(&mut self.dir);
        Self::start_in(self.port(), dir)
    }

    fn start_in(port: u16, dir: PathBuf) -> Self {
        let binary = redis_binary();
        let mut child = Command::new(binary)
            .arg("--dir")
            .arg(&dir)
            .args([
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start redis-server");
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
        let mut line = String::new();
        loop {
            line.clear();
            assert!(
                stdout.read_line(&mut line).expect("read redis output") > 0,
                "redis-server exited"
            );
            if line.contains("Ready to accept connections") {
                break;
            }
        }
        std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
        Self {
            child,
            url: format!("redis://127.0.0.1:{port}/"),
            dir,
        }
    }

    /// The port it listens on.
    pub(crate) fn port(&self) -> u16 {
        let port = self.url.trim_end_matches('/').rsplit(':').next();
        port.and_then(|p| p.parse().ok())
            .expect("a port in the URL")
    }

    /// Freezes the process (SIGSTOP): connections stay open and nothing answers, as when a
    /// Redis host hangs.
    pub(crate) fn pause(&self) {
        self.signal("-STOP");
    }

    /// Lets a frozen process go on (SIGCONT).
    pub(crate) fn resume(&self) {
        self.signal("-CONT");
    }

    fn signal(&self, which: &str) {
        let status = Command::new("kill")
            .args([which, &self.child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill {which} failed");
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if !self.dir.as_os_str().is_empty() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// `nginx`, installed with apt-get (under a lock) when it is not on the machine.
pub(crate) fn nginx_binary() -> &'static Path {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY.get_or_init(|| debian_binary("nginx", "nginx-light"))
}

/// `curl`, installed with apt-get (under a lock) when it is not on the machine.
pub(crate) fn curl_binary() -> &'static Path {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY.get_or_init(|| debian_binary("curl", "curl"))
}

/// `redis-server`, installed with apt-get (under a lock) when it is not on the machine.
pub(crate) fn redis_binary() -> &'static Path {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY.get_or_init(|| debian_binary("redis-server", "redis-server"))
}

/// Debian's Chromium, installed with apt-get (under a lock) when it is not on the machine.
pub(crate) fn chromium_binary() -> &'static Path {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY.get_or_init(|| debian_binary("chromium", "chromium"))
}

/// The program `name` from /usr/bin, /usr/local/bin or /usr/sbin, or else from Debian's `package`,
/// installed with apt-get under a lock that parallel test binaries share.
fn debian_binary(name: &str, package: &str) -> PathBuf {
    let installed = || {
        ["/usr/bin", "/usr/local/bin", "/usr/sbin"]
            .into_iter()
            .map(|dir| Path::new(dir).join(name))
            .find(|p| p.exists())
    };
    if let Some(path) = installed() {
        return path;
    }
    let script = format!(
        "set -e; exec 9>/tmp/mcp-framework-apt.lock; flock 9; \
         command -v {name} >/dev/null || {{ apt-get update -qq && \
         DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends {package} >&2; }}"
    );
    let status = Command::new("bash")
        .args(["-c", &script])
        .status()
        .expect("run apt-get");
    assert!(
        status.success(),
        "installing {package} with apt-get failed (it needs root)"
    );
    installed().unwrap_or_else(|| panic!("{name} after installing {package}"))
}
