//! Helpers shared by the end-to-end tests: starting example servers, driving the official
//! client SDKs, and validating what the server sent against the spec's JSON schemas.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;

use serde_json::{Value, json};

/// The workspace root.
pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A built example binary, next to the test binary (`cargo test` builds examples first).
pub fn example(name: &str) -> PathBuf {
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
pub struct HttpServer {
    child: Child,
    /// The endpoint URL, e.g. `http://127.0.0.1:41234/mcp`.
    pub url: String,
    /// Where the server records every message it sends.
    pub wire_log: PathBuf,
}

impl HttpServer {
    /// Starts `example` with `--http 127.0.0.1:0` plus `args`, with `env` added.
    pub fn start(example_name: &str, args: &[&str], env: &[(&str, &str)]) -> Self {
        Self::start_at(example_name, "127.0.0.1:0", args, env)
    }

    /// Starts `example` on a given port (to restart a server where its clients expect it).
    pub fn start_on(example_name: &str, port: u16, args: &[&str], env: &[(&str, &str)]) -> Self {
        Self::start_at(example_name, &format!("127.0.0.1:{port}"), args, env)
    }

    /// Starts `example` on `addr` and waits until it serves; the URL comes from its stderr.
    fn start_at(example_name: &str, addr: &str, args: &[&str], env: &[(&str, &str)]) -> Self {
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
                panic!("{example_name} exited before serving on {addr}");
            }
            if let Some(at) = line.find("http://") {
                break line[at..].trim().to_owned();
            }
        };
        // Keep draining stderr so the server never blocks on a full pipe.
        std::thread::spawn(move || std::io::copy(&mut stderr, &mut std::io::sink()));
        Self {
            child,
            url,
            wire_log,
        }
    }

    /// `host:port`.
    pub fn authority(&self) -> &str {
        self.url
            .trim_start_matches("http://")
            .split('/')
            .next()
            .expect("authority")
    }
}

impl Drop for HttpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A fresh path in the system's temp directory.
pub fn temp_path(stem: &str, ext: &str) -> PathBuf {
    static COUNTER: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    std::env::temp_dir().join(format!("mcp-test-{stem}-{}-{n}.{ext}", std::process::id()))
}

/// The cache the official client SDKs are installed into (by `tests/clients/install.sh`).
pub fn clients_cache() -> &'static Path {
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
pub enum Client {
    /// `@modelcontextprotocol/sdk` 1.32 (legacy handshake).
    TypeScript,
    /// `mcp` 2.3.0 in its default mode (probes `server/discover`: 2026-07-28).
    PythonDefault,
    /// `mcp` 2.3.0 forced to the legacy handshake.
    PythonLegacy,
}

/// Where a client connects.
pub enum Target<'a> {
    /// Streamable HTTP.
    Http(&'a str),
    /// A server process on stdio: the command and its arguments.
    Stdio(Vec<String>),
}

/// Runs `ops` (see `tests/clients/*`) with one client session and returns its output lines.
pub fn run_client(client: Client, target: Target<'_>, headers: &[&str], ops: Value) -> Vec<Value> {
    let options: Vec<(&str, &str)> = headers.iter().map(|h| ("--header", *h)).collect();
    run_client_with(client, target, &options, ops)
}

/// Like [`run_client`], with client options as (name, value) pairs: `--header`, `--elicit`,
/// `--sample`, `--roots`, `--log-level` (see `tests/clients/*`).
pub fn run_client_with(
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

/// The result of the `n`th `call` op, asserting it succeeded.
pub fn call_result(lines: &[Value], n: usize) -> &Value {
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
pub fn assert_hello(lines: &[Value], echo_text: &str) {
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
pub fn hello_ops(text: &str) -> Value {
    json!([
        {"op": "list"},
        {"op": "call", "name": "add", "args": {"a": 2, "b": 40}},
        {"op": "call", "name": "echo", "args": {"text": text}},
    ])
}

/// The official JSON schemas of each revision, from `../shared/spec`; `None` (with a note on
/// stderr) where that folder is absent, as on a user's machine.
pub struct Schemas {
    dir: PathBuf,
}

impl Schemas {
    pub fn load() -> Option<Self> {
        let dir = root().join("../shared/spec");
        if dir.join("2026-07-28/schema.json").exists() {
            Some(Self { dir })
        } else {
            eprintln!(
                "note: ../shared/spec is absent; skipping validation against the spec's JSON schemas"
            );
            None
        }
    }

    /// Validates `instance` against the definition `def` of revision `version`.
    pub fn validate(&self, version: &str, def: &str, instance: &Value) -> Result<(), String> {
        let mut schema: Value = serde_json::from_str(
            &std::fs::read_to_string(self.dir.join(version).join("schema.json")).unwrap(),
        )
        .unwrap();
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
        let validator = jsonschema::validator_for(&schema).map_err(|e| e.to_string())?;
        let errors: Vec<String> = validator
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
    pub fn validate_sent(&self, version: &str, message: &Value) -> Result<(), String> {
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
    pub fn validate_wire_log(&self, path: &Path) -> usize {
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
    pub fn tool_results_sent(&self) -> usize {
        let log = std::fs::read_to_string(&self.wire_log).unwrap_or_default();
        log.lines().filter(|l| l.contains("\"content\":[")).count()
    }

    /// Waits until this server has sent `n` tool results.
    pub fn wait_for_tool_results(&self, n: usize) {
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
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A real `redis-server` on a free port, installed from Debian's packages when missing;
/// stopped on drop.
pub struct RedisServer {
    child: Child,
    /// `redis://127.0.0.1:PORT/`.
    pub url: String,
}

impl RedisServer {
    pub fn start() -> Self {
        let binary = redis_binary();
        let port = free_port();
        let mut child = Command::new(binary)
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
        }
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `redis-server`, installed with apt-get (under a lock) when it is not on the machine.
fn redis_binary() -> &'static Path {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY.get_or_init(|| {
        let installed = || {
            ["/usr/bin/redis-server", "/usr/local/bin/redis-server"].into_iter().map(PathBuf::from).find(|p| p.exists())
        };
        if let Some(path) = installed() {
            return path;
        }
        let script = "set -e; exec 9>/tmp/mcp-framework-apt.lock; flock 9; \
            command -v redis-server >/dev/null || { apt-get update -qq && \
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends redis-server >&2; }";
        let status = Command::new("bash").args(["-c", script]).status().expect("run apt-get");
        assert!(status.success(), "installing redis-server with apt-get failed (it needs root)");
        installed().expect("redis-server after installing it")
    })
}
