//! The load generator: virtual clients that each hold one keep-alive connection and send
//! `tools/call` requests back to back, every one with its own JSON-RPC id, checking every reply.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::sync::Arc;
use std::time::{Duration, Instant};

use hyper::StatusCode;
use hyper::header::{HeaderName, HeaderValue};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::client::{self, Conn, Endpoint, Reply};
use crate::proc;

/// Which protocol era the virtual clients speak.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mode {
    /// `initialize` once per virtual client, then `tools/call` on its session.
    Legacy,
    /// Stateless 2026-07-28 requests with the revision headers and `_meta`.
    Modern,
}

impl Mode {
    pub(crate) fn parse(s: &str) -> Result<Self, String> {
        match s {
            "legacy" => Ok(Self::Legacy),
            "modern" | "stateless" => Ok(Self::Modern),
            other => Err(format!(
                "unknown mode `{other}`; expected `legacy` or `modern`"
            )),
        }
    }

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Legacy => "legacy",
            Self::Modern => "modern",
        }
    }
}

/// What to send, how hard, for how long.
#[derive(Clone, Debug)]
pub(crate) struct Plan {
    pub url: String,
    pub mode: Mode,
    pub concurrency: usize,
    pub warmup: Duration,
    pub duration: Duration,
    pub tool: String,
    /// The `arguments` object, as JSON.
    pub arguments: String,
    /// Ask for progress (`_meta.progressToken`) and require a progress notification, which
    /// makes the reply an SSE stream.
    pub progress: bool,
    /// The server's pid, to measure the CPU time it spends per call.
    pub server_pid: Option<u32>,
    /// Headers sent with every request, e.g. `Authorization`.
    pub headers: Vec<(HeaderName, HeaderValue)>,
    /// Legacy calls without `initialize`, each on a session id the server has never seen: the
    /// re-initialization path, as after a restart or on another replica.
    pub fresh_sessions: bool,
}

impl Plan {
    /// Parses the `run` flags; the `bool` asks for a JSON report.
    pub(crate) fn from_args(args: &[String]) -> Result<(Self, bool), String> {
        let mut plan = Self {
            url: String::new(),
            mode: Mode::Legacy,
            concurrency: 16,
            warmup: Duration::from_secs(1),
            duration: Duration::from_secs(5),
            tool: "add".into(),
            arguments: r#"{"a":2,"b":40}"#.into(),
            progress: false,
            server_pid: None,
            headers: Vec::new(),
            fresh_sessions: false,
        };
        let mut json = false;
        let mut it = args.iter();
        while let Some(flag) = it.next() {
            let mut value = || it.next().ok_or_else(|| format!("`{flag}` needs a value"));
            match flag.as_str() {
                "--url" => plan.url = value()?.clone(),
                "--mode" => plan.mode = Mode::parse(value()?)?,
                "-c" | "--concurrency" => plan.concurrency = parse(flag, value()?)?,
                "-d" | "--duration" => plan.duration = seconds(flag, value()?)?,
                "--warmup" => plan.warmup = seconds(flag, value()?)?,
                "--tool" => plan.tool = value()?.clone(),
                "--args" => plan.arguments = value()?.clone(),
                "--progress" => plan.progress = true,
                "--pid" => plan.server_pid = Some(parse(flag, value()?)?),
                "--header" => plan.headers.push(header(value()?)?),
                "--fresh-session" => plan.fresh_sessions = true,
                "--json" => json = true,
                other => return Err(format!("unknown flag `{other}`")),
            }
        }
        if plan.url.is_empty() {
            return Err("`run` needs `--url`".into());
        }
        if plan.fresh_sessions && plan.mode != Mode::Legacy {
            return Err("`--fresh-session` is for `--mode legacy`".into());
        }
        Ok((plan, json))
    }
}

fn parse<T: std::str::FromStr>(flag: &str, value: &str) -> Result<T, String>
where
    T::Err: std::fmt::Display,
{
    value
        .parse()
        .map_err(|e| format!("invalid value `{value}` for `{flag}`: {e}"))
}

fn seconds(flag: &str, value: &str) -> Result<Duration, String> {
    let secs: f64 = parse(flag, value)?;
    Duration::try_from_secs_f64(secs).map_err(|e| format!("`{flag}`: {e}"))
}

fn header(line: &str) -> Result<(HeaderName, HeaderValue), String> {
    let (name, value) = line
        .split_once(':')
        .ok_or_else(|| format!("`--header {line}`: expected `NAME: VALUE`"))?;
    let name = HeaderName::from_bytes(name.trim().as_bytes()).map_err(|e| e.to_string())?;
    let value = HeaderValue::from_str(value.trim()).map_err(|e| e.to_string())?;
    Ok((name, value))
}

/// What a run measured. Latencies in microseconds.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub(crate) struct Report {
    pub requests: u64,
    pub errors: u64,
    pub seconds: f64,
    pub rps: f64,
    pub p50_us: f64,
    pub p90_us: f64,
    pub p99_us: f64,
    pub max_us: f64,
    /// Server CPU time per successful call, when the server's pid was given.
    pub server_cpu_us: Option<f64>,
    /// The share of one core the load generator itself used in the window; near 1.0 means the
    /// generator, not the server, may be the bottleneck.
    pub load_cpu_share: Option<f64>,
    /// CPU time that neither the server nor the generator spent in the window, as a share of
    /// one core: other processes competing for the two cores. Near 0 on a quiet machine.
    #[serde(default)]
    pub foreign_cpu_share: Option<f64>,
    pub first_error: Option<String>,
}

/// What a correct reply holds, judged from the arguments: `{a, b}` integers expect
/// `sum = a + b` (in `structuredContent` or a JSON text block), `{text}` expects the text back;
/// anything else only a non-error result.
#[derive(Debug)]
enum Expect {
    Sum(i64),
    Text(String),
    AnyResult,
}

impl Expect {
    fn from_arguments(arguments: &str) -> Result<Self, String> {
        let value: serde_json::Value =
            serde_json::from_str(arguments).map_err(|e| format!("--args is not JSON: {e}"))?;
        let obj = value.as_object().ok_or("--args must be a JSON object")?;
        let int = |k: &str| obj.get(k).and_then(serde_json::Value::as_i64);
        Ok(match (obj.len(), int("a"), int("b"), obj.get("text")) {
            (2, Some(a), Some(b), _) => Self::Sum(a.wrapping_add(b)),
            (1, _, _, Some(serde_json::Value::String(t))) => Self::Text(t.clone()),
            _ => Self::AnyResult,
        })
    }
}

/// The request body around its id: `head ID mid [ID] tail`, the second id being the progress
/// token.
#[derive(Debug)]
struct BodyTemplate {
    head: String,
    mid: String,
    tail: String,
    progress: bool,
}

impl BodyTemplate {
    fn new(plan: &Plan) -> Self {
        let tool = serde_json::to_string(&plan.tool).expect("a string serializes");
        let mut meta = String::new();
        if plan.mode == Mode::Modern {
            let _ = write!(
                meta,
                r#""io.modelcontextprotocol/protocolVersion":"{}","io.modelcontextprotocol/clientCapabilities":{{}}"#,
                client::MODERN_VERSION
            );
        }
        let (meta_head, tail) = match (plan.progress, meta.is_empty()) {
            (true, true) => (r#","_meta":{"progressToken":"#.to_owned(), "}}}".to_owned()),
            (true, false) => (
                format!(r#","_meta":{{{meta},"progressToken":"#),
                "}}}".to_owned(),
            ),
            (false, true) => (String::new(), "}}".to_owned()),
            (false, false) => (String::new(), format!(r#","_meta":{{{meta}}}}}}}"#)),
        };
        Self {
            head: r#"{"jsonrpc":"2.0","id":"#.to_owned(),
            mid: format!(
                r#","method":"tools/call","params":{{"name":{tool},"arguments":{}{meta_head}"#,
                plan.arguments
            ),
            tail,
            progress: plan.progress,
        }
    }

    fn render(&self, id: u64) -> Vec<u8> {
        let mut body = String::with_capacity(self.head.len() + self.mid.len() + 48);
        body.push_str(&self.head);
        let _ = write!(body, "{id}");
        body.push_str(&self.mid);
        if self.progress {
            let _ = write!(body, "{id}");
        }
        body.push_str(&self.tail);
        body.into_bytes()
    }
}

/// Runs the plan on a single-threaded runtime: the generator is meant to own one core.
pub(crate) fn run(plan: Plan) -> Result<Report, String> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    rt.block_on(drive(plan))
}

#[derive(Clone, Copy, Debug)]
struct Window {
    start: Instant,
    end: Instant,
}

#[derive(Default)]
struct ClientStats {
    latencies_ns: Vec<u64>,
    errors: u64,
    first_error: Option<String>,
}

impl ClientStats {
    fn error(&mut self, e: String) {
        self.errors += 1;
        self.first_error.get_or_insert(e);
    }
}

struct Shared {
    plan: Plan,
    endpoint: Arc<Endpoint>,
    template: BodyTemplate,
    expect: Expect,
    window: Window,
}

async fn drive(plan: Plan) -> Result<Report, String> {
    let expect = Expect::from_arguments(&plan.arguments)?;
    let endpoint = Endpoint::parse(&plan.url)?;
    let now = Instant::now();
    let window = Window {
        start: now + plan.warmup,
        end: now + plan.warmup + plan.duration,
    };
    let shared = Arc::new(Shared {
        template: BodyTemplate::new(&plan),
        plan,
        endpoint,
        expect,
        window,
    });
    let cpu = tokio::spawn(sample_cpu(shared.plan.server_pid, window));
    let clients: Vec<_> = (0..shared.plan.concurrency)
        .map(|i| tokio::spawn(virtual_client(shared.clone(), i)))
        .collect();
    let mut all = ClientStats::default();
    for client in clients {
        let stats = client.await.map_err(|e| e.to_string())?;
        all.latencies_ns.extend(stats.latencies_ns);
        all.errors += stats.errors;
        if all.first_error.is_none() {
            all.first_error = stats.first_error;
        }
    }
    let cpu = cpu.await.map_err(|e| e.to_string())?;
    Ok(summarize(all, &shared.plan, cpu))
}

/// CPU time over the measurement window: the server's, this process's, all cores' busy time.
#[derive(Clone, Copy, Debug, Default)]
struct CpuUse {
    server: Option<Duration>,
    load: Option<Duration>,
    busy: Option<Duration>,
}

impl CpuUse {
    fn now(pid: Option<u32>) -> Self {
        Self {
            server: pid.and_then(proc::cpu_time),
            load: proc::cpu_time(std::process::id()),
            busy: proc::busy_time(),
        }
    }

    fn since(self, before: Self) -> Self {
        let delta = |a: Option<Duration>, b: Option<Duration>| Some(b?.saturating_sub(a?));
        Self {
            server: delta(before.server, self.server),
            load: delta(before.load, self.load),
            busy: delta(before.busy, self.busy),
        }
    }
}

async fn sample_cpu(pid: Option<u32>, window: Window) -> CpuUse {
    tokio::time::sleep_until(window.start.into()).await;
    let before = CpuUse::now(pid);
    tokio::time::sleep_until(window.end.into()).await;
    CpuUse::now(pid).since(before)
}

/// A session id the server cannot have seen: this run's random prefix, the client, the call.
fn fresh_session_id(_client: usize, _call: u64) -> HeaderValue {
    // Ids are verifiable: one the deployment could have issued (same `MCP_STATE_KEY`) but no
    // process holds, as after a restart or on another replica.
    let id = mcp_runtime::session::SessionId::random().to_string();
    HeaderValue::from_str(&id).expect("hex is a valid header value")
}

async fn virtual_client(shared: Arc<Shared>, index: usize) -> ClientStats {
    let mut stats = ClientStats::default();
    let window = shared.window;
    let Some((mut conn, headers)) = connect(&shared, &mut stats).await else {
        return stats;
    };
    let mut headers = headers;
    let mut id = 0u64;
    while Instant::now() < window.end {
        id += 1;
        if shared.plan.fresh_sessions {
            headers[0].1 = fresh_session_id(index, id);
        }
        let body = shared.template.render(id);
        let t0 = Instant::now();
        let outcome = conn.post(&headers, body).await;
        let t1 = Instant::now();
        let in_window = t0 >= window.start && t1 <= window.end;
        let checked = match &outcome {
            Ok(reply) => check(reply, id, &shared.expect, &shared.plan),
            Err(e) => Err(e.clone()),
        };
        match checked {
            Ok(()) if in_window => stats.latencies_ns.push((t1 - t0).as_nanos() as u64),
            Ok(()) => {}
            Err(e) => {
                stats.error(e);
                if outcome.is_err() {
                    // The connection broke: back off a little, then reconnect on the same
                    // session (a session is not bound to a connection).
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    match Conn::open(shared.endpoint.clone()).await {
                        Ok(c) => conn = c,
                        Err(e) => stats.error(e),
                    }
                }
            }
        }
    }
    stats
}

/// Opens the connection and, in legacy mode, the session.
async fn connect(
    shared: &Shared,
    stats: &mut ClientStats,
) -> Option<(Conn, Vec<(HeaderName, HeaderValue)>)> {
    let mut conn = match Conn::open(shared.endpoint.clone()).await {
        Ok(conn) => conn,
        Err(e) => {
            stats.error(e);
            return None;
        }
    };
    let extra = &shared.plan.headers;
    let mut headers = match shared.plan.mode {
        Mode::Legacy if shared.plan.fresh_sessions => vec![
            (client::SESSION, HeaderValue::from_static("")),
            (
                client::PROTOCOL_VERSION,
                HeaderValue::from_static(client::LEGACY_VERSION),
            ),
        ],
        Mode::Legacy => match conn.initialize(extra).await {
            Ok(headers) => headers.to_vec(),
            Err(e) => {
                stats.error(e);
                return None;
            }
        },
        Mode::Modern => {
            let name = HeaderValue::from_str(&shared.plan.tool).ok()?;
            vec![
                (
                    client::PROTOCOL_VERSION,
                    HeaderValue::from_static(client::MODERN_VERSION),
                ),
                (client::METHOD, HeaderValue::from_static("tools/call")),
                (client::NAME, name),
            ]
        }
    };
    headers.extend(extra.iter().cloned());
    Some((conn, headers))
}

#[derive(Deserialize)]
struct Message<'a> {
    #[serde(borrow)]
    id: Option<&'a RawValue>,
    #[serde(borrow)]
    method: Option<Cow<'a, str>>,
    #[serde(borrow)]
    result: Option<ToolResult<'a>>,
    #[serde(borrow)]
    error: Option<&'a RawValue>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ToolResult<'a> {
    #[serde(borrow, default)]
    content: Vec<ContentBlock<'a>>,
    #[serde(borrow)]
    structured_content: Option<&'a RawValue>,
    #[serde(default)]
    is_error: bool,
    #[serde(borrow)]
    result_type: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct ContentBlock<'a> {
    #[serde(borrow)]
    text: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct SumResult {
    sum: i64,
}

/// Checks one reply: HTTP 200, the response to this very id, a result that is no error and
/// holds the expected value; for progress, a progress notification before it.
fn check(reply: &Reply, id: u64, expect: &Expect, plan: &Plan) -> Result<(), String> {
    if reply.status != StatusCode::OK {
        return Err(format!("HTTP {}", reply.status));
    }
    if !reply.is_sse {
        if plan.progress {
            return Err("expected an SSE stream with progress, got JSON".into());
        }
        return check_response(&reply.body, id, expect, plan.mode);
    }
    let mut progress = 0;
    for message in client::sse_messages(&reply.body) {
        let parsed: Message<'_> =
            serde_json::from_slice(&message).map_err(|e| format!("bad SSE message: {e}"))?;
        if parsed.method.as_deref() == Some("notifications/progress") {
            progress += 1;
        } else if parsed.id.is_some() {
            if plan.progress && progress == 0 {
                return Err("no progress notification before the result".into());
            }
            return check_response(&message, id, expect, plan.mode);
        }
    }
    Err("the SSE stream ended without a response".into())
}

fn check_response(body: &[u8], id: u64, expect: &Expect, mode: Mode) -> Result<(), String> {
    let message: Message<'_> =
        serde_json::from_slice(body).map_err(|e| format!("bad JSON response: {e}"))?;
    let got_id = message.id.map(RawValue::get);
    if got_id.and_then(|s| s.parse::<u64>().ok()) != Some(id) {
        return Err(format!("response id {got_id:?}, expected {id}"));
    }
    if let Some(error) = message.error {
        return Err(format!("JSON-RPC error: {}", error.get()));
    }
    let result = message.result.ok_or("response without result")?;
    if result.is_error {
        return Err("tool result with isError".into());
    }
    if mode == Mode::Modern && result.result_type.as_deref() != Some("complete") {
        return Err("2026-07-28 result without `resultType: complete`".into());
    }
    let text = || result.content.first().and_then(|c| c.text.as_deref());
    match expect {
        Expect::Sum(sum) => {
            let structured = result
                .structured_content
                .and_then(|raw| serde_json::from_str::<SumResult>(raw.get()).ok());
            let from_text = || text().and_then(|t| serde_json::from_str::<SumResult>(t).ok());
            match structured.or_else(from_text) {
                Some(r) if r.sum == *sum => Ok(()),
                Some(r) => Err(format!("sum {}, expected {sum}", r.sum)),
                None => Err("no `sum` in the result".into()),
            }
        }
        Expect::Text(want) if text() == Some(want.as_str()) => Ok(()),
        Expect::Text(want) => Err(format!("text {:?}, expected {want:?}", text())),
        Expect::AnyResult => Ok(()),
    }
}

fn summarize(mut stats: ClientStats, plan: &Plan, cpu: CpuUse) -> Report {
    stats.latencies_ns.sort_unstable();
    let n = stats.latencies_ns.len();
    let pick = |q: f64| {
        if n == 0 {
            return 0.0;
        }
        let i = ((n - 1) as f64 * q).round() as usize;
        stats.latencies_ns[i] as f64 / 1_000.0
    };
    let seconds = plan.duration.as_secs_f64();
    Report {
        requests: n as u64,
        errors: stats.errors,
        seconds,
        rps: n as f64 / seconds,
        p50_us: pick(0.50),
        p90_us: pick(0.90),
        p99_us: pick(0.99),
        max_us: pick(1.0),
        server_cpu_us: cpu
            .server
            .filter(|_| n > 0)
            .map(|cpu| cpu.as_secs_f64() * 1e6 / n as f64),
        load_cpu_share: cpu.load.map(|cpu| cpu.as_secs_f64() / seconds),
        foreign_cpu_share: match (cpu.busy, cpu.server, cpu.load) {
            (Some(busy), Some(server), Some(load)) => {
                Some((busy.as_secs_f64() - server.as_secs_f64() - load.as_secs_f64()) / seconds)
            }
            _ => None,
        },
        first_error: stats.first_error,
    }
}

impl Report {
    /// A human-readable summary.
    pub(crate) fn describe(&self, plan: &Plan) -> String {
        let mut s = format!(
            "{} {} c={} tool={}{}: {:.0} req/s over {:.1}s, {} ok, {} errors; latency p50 {:.0} µs, p90 {:.0} µs, p99 {:.0} µs, max {:.0} µs",
            plan.url,
            plan.mode.as_str(),
            plan.concurrency,
            plan.tool,
            if plan.progress {
                " (progress, SSE)"
            } else {
                ""
            },
            self.rps,
            self.seconds,
            self.requests,
            self.errors,
            self.p50_us,
            self.p90_us,
            self.p99_us,
            self.max_us,
        );
        if let Some(cpu) = self.server_cpu_us {
            let _ = write!(s, "; server CPU {cpu:.1} µs/call");
        }
        if let Some(share) = self.load_cpu_share {
            let _ = write!(s, "; load generator used {:.0}% of a core", share * 100.0);
        }
        if let Some(share) = self.foreign_cpu_share {
            let _ = write!(
                s,
                "; other processes {:.0}% of a core",
                share.max(0.0) * 100.0
            );
        }
        if let Some(e) = &self.first_error {
            let _ = write!(s, "\n  first error: {e}");
        }
        s
    }
}
