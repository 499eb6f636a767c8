//! The fuzzing engine: MCP messages generated from seeds (a built-in set, and the official
//! 2026-07-28 example messages when `../shared/spec` is there) and mutated at the JSON and the
//! byte level, sent to an in-process router in both eras and to a stdio server. Every answer is
//! checked against the documented table of statuses and codes (README, "Bad input").

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use futures_util::FutureExt;
use mcp_runtime::prelude::*;
use serde_json::{Map, Value, json};
use tower::ServiceExt;

/// The HTTP statuses the documented table allows.
pub(crate) const STATUSES: [u16; 10] = [200, 202, 400, 403, 404, 405, 406, 413, 415, 503];
/// The JSON-RPC codes the documented table allows.
pub(crate) const CODES: [i64; 11] = [
    -32700, -32600, -32601, -32602, -32603, -32001, -32002, -32020, -32021, -32022, -32800,
];

/// A small, fast, deterministic generator (xorshift64*): a run is reproducible from its seed.
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Self {
        Self(seed.max(1))
    }
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn percent(&mut self, p: u64) -> bool {
        self.next() % 100 < p
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// The server under test: a tool of every kind, a resource template, a prompt, completion.
pub(crate) struct Target;

#[derive(Default, Serialize, Deserialize)]
pub(crate) struct Count {
    n: u64,
}

#[mcp_server(name = "fuzz-target", session = Count, reinit = "restore")]
impl Target {
    /// Add two integers.
    #[tool]
    fn add(&self, a: i64, b: i64) -> String {
        a.wrapping_add(b).to_string()
    }

    /// The text back.
    #[tool]
    fn echo(&self, text: String) -> String {
        text
    }

    /// Progress and a log message before the result.
    #[tool]
    async fn chatty(&self, ctx: Context, steps: Option<u8>) -> String {
        let steps = steps.unwrap_or(1).min(5);
        for n in 0..steps {
            ctx.progress(f64::from(n), Some(f64::from(steps)), None);
        }
        ctx.log(LoggingLevel::Info, None, "chatty");
        "done".into()
    }

    /// Count calls in the session.
    #[tool]
    async fn bump(&self, session: Session<Count>) -> Result<String, StateError> {
        Ok(session
            .update(|c| {
                c.n += 1;
                c.n
            })
            .await?
            .to_string())
    }

    /// An item.
    #[resource("fuzz://item/{id}")]
    fn item(&self, id: String) -> String {
        format!("item {id}")
    }

    /// A greeting.
    #[prompt]
    fn greet(&self, name: String) -> String {
        format!("Hello, {name}")
    }

    /// Names.
    #[complete(prompt = "greet", argument = "name")]
    fn names(&self, value: String) -> Vec<String> {
        vec![format!("{value}a"), format!("{value}b")]
    }
}

/// What a run found.
#[derive(Debug, Default)]
pub(crate) struct Report {
    pub(crate) messages: u64,
    pub(crate) statuses: BTreeMap<u16, u64>,
    pub(crate) codes: BTreeMap<i64, u64>,
    pub(crate) failures: Vec<String>,
}

impl Report {
    fn fail(&mut self, what: String) {
        if self.failures.len() < 20 {
            self.failures.push(what);
        }
    }
}

const LEGACY: &str = "2025-11-25";
const MODERN: &str = "2026-07-28";

/// The built-in seeds: one message of every method the target serves, in both eras' shapes.
pub(crate) fn builtin_seeds() -> Vec<Value> {
    let meta = json!({
        "io.modelcontextprotocol/protocolVersion": MODERN,
        "io.modelcontextprotocol/clientCapabilities": {},
    });
    let calls = [
        (
            "tools/call",
            json!({"name": "add", "arguments": {"a": 2, "b": 40}}),
        ),
        (
            "tools/call",
            json!({"name": "echo", "arguments": {"text": "hé\"llo"}}),
        ),
        (
            "tools/call",
            json!({"name": "chatty", "arguments": {"steps": 2}, "_meta": {"progressToken": 7}}),
        ),
        ("tools/call", json!({"name": "bump", "arguments": {}})),
        ("tools/list", json!({})),
        ("tools/list", json!({"cursor": "dG9vbHM6MQ"})),
        ("resources/list", json!({})),
        ("resources/templates/list", json!({})),
        ("resources/read", json!({"uri": "fuzz://item/1"})),
        ("prompts/list", json!({})),
        (
            "prompts/get",
            json!({"name": "greet", "arguments": {"name": "ada"}}),
        ),
        (
            "completion/complete",
            json!({"ref": {"type": "ref/prompt", "name": "greet"}, "argument": {"name": "name", "value": "a"}}),
        ),
        ("logging/setLevel", json!({"level": "info"})),
        ("ping", json!({})),
        ("server/discover", json!({})),
        (
            "initialize",
            json!({"protocolVersion": LEGACY, "capabilities": {}, "clientInfo": {"name": "fuzz", "version": "1"}}),
        ),
    ];
    let mut seeds = Vec::new();
    for (method, params) in calls {
        seeds.push(json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}));
        let mut modern = params.clone();
        modern["_meta"] = meta.clone();
        seeds.push(json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": modern}));
    }
    seeds.push(json!({"jsonrpc": "2.0", "method": "notifications/initialized"}));
    seeds.push(
        json!({"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": 1}}),
    );
    seeds.push(json!({"jsonrpc": "2.0", "id": "srv-1", "result": {}}));
    seeds
}

/// The official example messages that are requests or notifications.
pub(crate) fn spec_seeds(spec: &Path) -> Vec<Value> {
    let Ok(dirs) = std::fs::read_dir(spec.join("2026-07-28/examples")) else {
        return Vec::new();
    };
    let mut seeds = Vec::new();
    for dir in dirs.flatten() {
        for file in std::fs::read_dir(dir.path())
            .into_iter()
            .flatten()
            .flatten()
        {
            let Ok(text) = std::fs::read_to_string(file.path()) else {
                continue;
            };
            // A listen stream stays open by design: reading its reply to the end would wait
            // forever, so the fuzzer leaves it to the wire tests.
            if let Ok(value) = serde_json::from_str::<Value>(&text)
                && value.get("method").is_some()
                && value["method"] != "subscriptions/listen"
            {
                seeds.push(value);
            }
        }
    }
    seeds.sort_by_key(|v| v.to_string());
    seeds
}

const METHODS: [&str; 18] = [
    "initialize",
    "ping",
    "tools/list",
    "tools/call",
    "resources/list",
    "resources/read",
    "resources/templates/list",
    "resources/subscribe",
    "prompts/list",
    "prompts/get",
    "completion/complete",
    "logging/setLevel",
    "server/discover",
    "tasks/get",
    "notifications/initialized",
    "notifications/cancelled",
    "no/such/method",
    "",
];

fn scalar(rng: &mut Rng) -> Value {
    match rng.below(12) {
        0 => Value::Null,
        1 => json!(rng.percent(50)),
        2 => json!(rng.next() as i64),
        3 => json!(u64::MAX),
        4 => json!(-1.5e300),
        5 => json!(""),
        6 => json!("\u{0}\u{ffff}é\"\\"),
        7 => json!("x".repeat(rng.below(5000))),
        8 => json!([]),
        9 => json!({}),
        10 => json!(*rng.pick(&METHODS)),
        _ => json!(rng.below(100)),
    }
}

fn nested(depth: usize) -> Value {
    let mut v = json!(1);
    for _ in 0..depth {
        v = json!([v]);
    }
    v
}

/// One JSON-level mutation somewhere in `value`.
fn mutate(rng: &mut Rng, value: &mut Value, depth: usize) {
    match value {
        Value::Object(map) if !map.is_empty() && depth < 6 && rng.percent(60) => {
            let keys: Vec<String> = map.keys().cloned().collect();
            let key = rng.pick(&keys).clone();
            match rng.below(6) {
                0 => {
                    map.remove(&key);
                }
                1 => {
                    map.insert(format!("x{}", rng.below(9)), scalar(rng));
                }
                2 => {
                    map.insert(key, scalar(rng));
                }
                3 => {
                    map.insert(key, nested(rng.below(300)));
                }
                _ => mutate(rng, map.get_mut(&key).expect("a key of the map"), depth + 1),
            }
        }
        Value::Array(items) if !items.is_empty() && rng.percent(50) => {
            let n = rng.below(items.len());
            mutate(rng, &mut items[n], depth + 1);
        }
        _ => *value = scalar(rng),
    }
}

/// A message: a seed, mutated at the JSON level, then perhaps at the byte level.
fn message(rng: &mut Rng, seeds: &[Value], id: u64) -> Vec<u8> {
    let mut value = rng.pick(seeds).clone();
    if let Some(obj) = value.as_object_mut() {
        if obj.contains_key("id") && obj.contains_key("method") {
            obj.insert("id".into(), json!(id));
        }
        if rng.percent(20) {
            obj.insert("method".into(), json!(*rng.pick(&METHODS)));
        }
    }
    for _ in 0..rng.below(3) {
        mutate(rng, &mut value, 0);
    }
    let mut bytes = serde_json::to_vec(&value).expect("values serialize");
    if rng.percent(15) {
        for _ in 0..=rng.below(4) {
            let at = rng.below(bytes.len() + 1);
            match rng.below(4) {
                0 => bytes.insert(at, (rng.next() & 0xff) as u8),
                1 if at < bytes.len() => bytes[at] = 0xff,
                2 => bytes.truncate(at),
                _ => bytes.insert(at, b'['),
            }
        }
    }
    bytes
}

/// The request id a message carries, when it is a well-formed request: its answer must carry
/// it back exactly once.
fn request_id(bytes: &[u8]) -> Option<Value> {
    let obj = top_level(bytes)?;
    let id = readable_id(bytes)?;
    let field = |k: &str| {
        obj.get(k)
            .and_then(|raw| serde_json::from_str::<Value>(raw.get()).ok())
    };
    let is_request = field("jsonrpc") == Some(json!("2.0"))
        && field("method").is_some_and(|m| m.is_string())
        && !obj.contains_key("result")
        && !obj.contains_key("error");
    is_request.then_some(id)
}

/// The top-level fields of an object, values unparsed: nesting deeper than a full parse allows
/// does not hide the id.
fn top_level(bytes: &[u8]) -> Option<BTreeMap<String, &serde_json::value::RawValue>> {
    serde_json::from_slice(bytes).ok()
}

/// The id of a message that is an object with a string or integer id, well-formed or not.
fn readable_id(bytes: &[u8]) -> Option<Value> {
    let id: Value = serde_json::from_str(top_level(bytes)?.get("id")?.get()).ok()?;
    (id.is_string() || id.is_i64()).then_some(id)
}

/// The JSON-RPC messages of a reply body: one JSON object, or the `data:` lines of SSE.
fn messages(body: &[u8]) -> Result<Vec<Map<String, Value>>, String> {
    let text = std::str::from_utf8(body).map_err(|_| "a reply that is not UTF-8".to_owned())?;
    let parse = |s: &str| match serde_json::from_str::<Value>(s) {
        Ok(Value::Object(m)) => Ok(m),
        _ => Err(format!(
            "a reply that is not one JSON-RPC message: {s:.200}"
        )),
    };
    if text.trim_start().starts_with('{') {
        return Ok(vec![parse(text)?]);
    }
    text.lines()
        .filter_map(|l| l.strip_prefix("data: "))
        .map(parse)
        .collect()
}

/// Checks one reply against the table; `sent` is what was sent.
fn check(report: &mut Report, sent: &[u8], status: u16, body: &[u8]) {
    *report.statuses.entry(status).or_default() += 1;
    let shown = String::from_utf8_lossy(&sent[..sent.len().min(300)]).into_owned();
    if !STATUSES.contains(&status) {
        return report.fail(format!("status {status} for {shown}"));
    }
    let expected = request_id(sent);
    if body.is_empty() {
        if expected.is_some() && status != 202 {
            report.fail(format!(
                "no answer (status {status}) to the request {shown}"
            ));
        }
        return;
    }
    let messages = match messages(body) {
        Ok(m) => m,
        Err(e) => return report.fail(format!("{e} for {shown}")),
    };
    let answers: Vec<_> = messages
        .iter()
        .filter(|m| m.contains_key("result") || m.contains_key("error"))
        .collect();
    if answers.len() != 1 {
        return report.fail(format!("{} answers to {shown}", answers.len()));
    }
    let answer = answers[0];
    if let Some(code) = answer.get("error").and_then(|e| e.get("code")) {
        let code = code.as_i64().unwrap_or(0);
        *report.codes.entry(code).or_default() += 1;
        if !CODES.contains(&code) {
            report.fail(format!("code {code} for {shown}"));
        }
    }
    // A well-formed request gets its id back; anything else gets the id that could be read
    // from it, or null.
    let got = answer.get("id").unwrap_or(&Value::Null);
    match (&expected, readable_id(sent)) {
        (Some(id), _) if got != id => {
            report.fail(format!("answer id {got} for request id {id}: {shown}"))
        }
        (None, readable) if !got.is_null() && readable.as_ref() != Some(got) => report.fail(
            format!("answer id {got}, which the message did not carry: {shown}"),
        ),
        _ => {}
    }
}

fn post(body: Vec<u8>, headers: &[(&str, String)]) -> Request<Body> {
    let mut req = Request::builder()
        .method("POST")
        .uri("/mcp")
        .header("host", "localhost")
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream");
    // A name the body carries may not be a valid header value; such a header is left out.
    for (name, value) in headers {
        if axum::http::HeaderValue::from_str(value).is_ok() {
            req = req.header(*name, value);
        }
    }
    req.body(Body::from(body)).expect("a request")
}

async fn send(router: &Router, req: Request<Body>) -> Result<(u16, Vec<u8>), String> {
    let call = async {
        let res = router
            .clone()
            .oneshot(req)
            .await
            .map_err(|e| e.to_string())?;
        let status = res.status().as_u16();
        let body = axum::body::to_bytes(res.into_body(), 64 << 20)
            .await
            .map_err(|e| e.to_string())?;
        Ok::<_, String>((status, body.to_vec()))
    };
    match tokio::time::timeout(
        Duration::from_secs(10),
        std::panic::AssertUnwindSafe(call).catch_unwind(),
    )
    .await
    {
        Ok(Ok(result)) => result,
        Ok(Err(_)) => Err("the server panicked".into()),
        Err(_) => Err("no answer within 10 s".into()),
    }
}

async fn legacy_session(router: &Router) -> String {
    let init = json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
        "protocolVersion": LEGACY, "capabilities": {}, "clientInfo": {"name": "fuzz", "version": "1"}}});
    let res = router
        .clone()
        .oneshot(post(init.to_string().into_bytes(), &[]))
        .await
        .expect("initialize");
    assert_eq!(res.status(), StatusCode::OK, "initialize failed");
    res.headers()["mcp-session-id"]
        .to_str()
        .expect("ascii")
        .to_owned()
}

/// Sends `n` messages to an in-process router, half legacy (on a live session), half
/// 2026-07-28 (with its headers, sometimes wrong), then checks `ping` in both eras.
pub(crate) async fn fuzz_http(n: u64, seed: u64, seeds: &[Value]) -> Report {
    let options = mcp_runtime::Options {
        max_body: 1 << 20,
        ..mcp_runtime::Options::default()
    };
    let router = mcp_runtime::router(Target, &options)
        .await
        .expect("a router");
    let session = legacy_session(&router).await;
    let mut rng = Rng::new(seed);
    let mut report = Report::default();
    for i in 0..n {
        let bytes = message(&mut rng, seeds, i + 1);
        let headers = headers(&mut rng, &bytes, &session);
        match send(&router, post(bytes.clone(), &headers)).await {
            Ok((status, body)) => check(&mut report, &bytes, status, &body),
            Err(e) => report.fail(format!(
                "{e}: {}",
                String::from_utf8_lossy(&bytes[..bytes.len().min(300)])
            )),
        }
        report.messages += 1;
    }
    // Still serving: `ping` on the legacy session, `server/discover` statelessly (2026-07-28
    // has no `ping`).
    let modern_meta = json!({"io.modelcontextprotocol/protocolVersion": MODERN,
        "io.modelcontextprotocol/clientCapabilities": {}});
    let probes = [
        (
            json!({"jsonrpc": "2.0", "id": "last", "method": "ping"}),
            vec![
                ("mcp-session-id", session.clone()),
                ("mcp-protocol-version", LEGACY.to_owned()),
            ],
        ),
        (
            json!({"jsonrpc": "2.0", "id": "last", "method": "server/discover", "params": {"_meta": modern_meta}}),
            modern_headers("server/discover", None),
        ),
    ];
    for (probe, headers) in probes {
        match send(&router, post(probe.to_string().into_bytes(), &headers)).await {
            Ok((200, body))
                if messages(&body).is_ok_and(|m| m.len() == 1 && m[0].get("result").is_some()) => {}
            Ok((status, body)) => report.fail(format!(
                "{probe} after the run: {status} {}",
                String::from_utf8_lossy(&body)
            )),
            Err(e) => report.fail(format!("{probe} after the run: {e}")),
        }
    }
    report
}

fn modern_headers(method: &str, name: Option<&str>) -> Vec<(&'static str, String)> {
    let mut headers = vec![
        ("mcp-protocol-version", MODERN.to_owned()),
        ("mcp-method", method.to_owned()),
    ];
    if let Some(name) = name {
        headers.push(("mcp-name", name.to_owned()));
    }
    headers
}

/// Headers for a message: legacy on the live session, or 2026-07-28 matching the body; now
/// and then one is left out or wrong.
fn headers(rng: &mut Rng, bytes: &[u8], session: &str) -> Vec<(&'static str, String)> {
    let value: Value = serde_json::from_slice(bytes).unwrap_or(Value::Null);
    let method = value["method"].as_str().unwrap_or("ping");
    let mut headers = if rng.percent(50) {
        vec![
            ("mcp-session-id", session.to_owned()),
            ("mcp-protocol-version", LEGACY.to_owned()),
        ]
    } else {
        let params = &value["params"];
        let name = params["name"].as_str().or(params["uri"].as_str());
        modern_headers(method, name)
    };
    if rng.percent(5) && !headers.is_empty() {
        let n = rng.below(headers.len());
        headers.remove(n);
    }
    if rng.percent(3) {
        headers.push(("mcp-protocol-version", "1999-01-01".to_owned()));
    }
    headers
}

/// Sends `n` lines to a stdio server (the binary at `program`, run with `--stdio`): every
/// request is answered exactly once, the server answers `ping` after them and exits cleanly
/// when its input closes.
pub(crate) fn fuzz_stdio(program: &Path, n: u64, seed: u64, seeds: &[Value]) -> Report {
    let mut child = Command::new(program)
        .arg("--stdio")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the stdio server");
    let stdout = child.stdout.take().expect("stdout");
    let reader = std::thread::spawn(move || {
        let mut lines = Vec::new();
        for line in BufReader::new(stdout).split(b'\n') {
            let Ok(line) = line else { break };
            lines.push(line);
        }
        lines
    });
    let mut stdin = child.stdin.take().expect("stdin");
    let mut rng = Rng::new(seed);
    let mut report = Report::default();
    // Per id: how many well-formed requests carried it (each must be answered), how many
    // messages carried it at all (a malformed one may be answered with its id), and how many
    // answers came back.
    let mut expected: BTreeMap<String, (u32, u32, u32)> = BTreeMap::new();
    let init = json!({"jsonrpc": "2.0", "id": "init", "method": "initialize", "params": {
        "protocolVersion": LEGACY, "capabilities": {}, "clientInfo": {"name": "fuzz", "version": "1"}}});
    let mut input = init.to_string().into_bytes();
    input.push(b'\n');
    expected.insert("\"init\"".into(), (1, 1, 0));
    for i in 0..n {
        let mut bytes = message(&mut rng, seeds, i + 1);
        // One message a line: a newline inside would make two.
        for b in &mut bytes {
            if *b == b'\n' || *b == b'\r' {
                *b = b' ';
            }
        }
        if let Some(id) = readable_id(&bytes) {
            let entry = expected.entry(id.to_string()).or_default();
            entry.0 += u32::from(request_id(&bytes).is_some());
            entry.1 += 1;
        }
        input.extend_from_slice(&bytes);
        input.push(b'\n');
        report.messages += 1;
        if input.len() > 1 << 20 {
            if stdin.write_all(&input).is_err() {
                report.fail("the stdio server stopped reading".into());
                break;
            }
            input.clear();
        }
    }
    input.extend_from_slice(b"{\"jsonrpc\":\"2.0\",\"id\":\"last\",\"method\":\"ping\"}\n");
    expected.insert("\"last\"".into(), (1, 1, 0));
    let _ = stdin.write_all(&input);
    drop(stdin);
    let status = child.wait().expect("the stdio server exits");
    if !status.success() {
        report.fail(format!("the stdio server exited with {status}"));
    }
    for line in reader.join().expect("the reader") {
        let Ok(Value::Object(message)) = serde_json::from_slice::<Value>(&line) else {
            report.fail(format!(
                "a line that is not one JSON-RPC message: {}",
                String::from_utf8_lossy(&line)
            ));
            continue;
        };
        if let Some(code) = message.get("error").and_then(|e| e.get("code")) {
            let code = code.as_i64().unwrap_or(0);
            *report.codes.entry(code).or_default() += 1;
            if !CODES.contains(&code) {
                report.fail(format!("code {code}"));
            }
        }
        let Some(id) = message.get("id") else {
            continue;
        };
        if id.is_null() || message.contains_key("method") {
            continue;
        }
        match expected.get_mut(&id.to_string()) {
            Some((_, _, answered)) => *answered += 1,
            None => report.fail(format!("an answer to id {id}, which no request carried")),
        }
    }
    for (id, (required, allowed, answered)) in expected {
        if answered < required || answered > allowed {
            report.fail(format!(
                "id {id}: {required} requests, {allowed} messages, {answered} answers"
            ));
        }
    }
    report
}
