//! The comparison run by a plain `cargo bench --bench load`: the framework (`hello`, and a
//! bench-local server whose tool emits one progress notification) against the floor, at each
//! concurrency, the servers on one core and the load generator on the other. Every figure is
//! the median of several runs, interleaved so that drift in the machine hits all rows alike.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use serde::Serialize;

use crate::generator::{Mode, Report};
use crate::proc;
use crate::spawn::{self, Role, Server};

/// Settings, from the environment so that `cargo bench` needs no arguments.
#[derive(Debug)]
pub(crate) struct Config {
    /// `BENCH_DURATION`: seconds measured per run (default 2).
    pub duration: Duration,
    /// `BENCH_WARMUP`: seconds of load before measuring (default 0.5).
    pub warmup: Duration,
    /// `BENCH_RUNS`: runs per figure; the figure is their median (default 3).
    pub runs: usize,
    /// `BENCH_CONCURRENCY`: comma-separated client counts (default `1,16,64`).
    pub concurrency: Vec<usize>,
    /// `BENCH_OUT`: where the results, the table and the chart go (default `target/bench`).
    pub out: PathBuf,
}

impl Config {
    pub(crate) fn from_env() -> Result<Self, String> {
        let secs = |var: &str, default: f64| -> Result<Duration, String> {
            std::env::var(var).map_or(Ok(Duration::from_secs_f64(default)), |v| {
                v.parse::<f64>()
                    .map(Duration::from_secs_f64)
                    .map_err(|e| format!("{var}={v}: {e}"))
            })
        };
        let runs = std::env::var("BENCH_RUNS").map_or(Ok(3), |v| {
            v.parse::<usize>()
                .map_err(|e| format!("BENCH_RUNS={v}: {e}"))
        })?;
        let concurrency = std::env::var("BENCH_CONCURRENCY")
            .unwrap_or_else(|_| "1,16,64".into())
            .split(',')
            .map(|c| {
                c.trim()
                    .parse::<usize>()
                    .map_err(|e| format!("BENCH_CONCURRENCY: {e}"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let out = std::env::var("BENCH_OUT").map_or_else(
            |_| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench"),
            PathBuf::from,
        );
        Ok(Self {
            duration: secs("BENCH_DURATION", 2.0)?,
            warmup: secs("BENCH_WARMUP", 0.5)?,
            runs: runs.max(1),
            concurrency,
            out,
        })
    }
}

/// A server under load: where it listens, and its pid for its CPU time.
struct Target {
    url: String,
    pid: Option<u32>,
}

impl From<&Server> for Target {
    fn from(server: &Server) -> Self {
        Self {
            url: server.url.clone(),
            pid: Some(server.pid()),
        }
    }
}

/// One line of the table: a server, an era, a tool.
struct Row {
    label: String,
    target: usize,
    mode: Mode,
    tool: &'static str,
    progress: bool,
}

impl Row {
    fn new(label: &str, target: usize, mode: Mode) -> Self {
        Self {
            label: label.to_owned(),
            target,
            mode,
            tool: "add",
            progress: false,
        }
    }
}

const FLOOR_LABEL: &str = "floor (bare axum)";

/// The built-in rows, plus those of another server named by `BENCH_OTHER_URL` (with
/// `BENCH_OTHER_PID` for its CPU time, `BENCH_OTHER_LABEL`, and `BENCH_OTHER_MODES`, default
/// `legacy`), so that another SDK is measured in the same interleaved runs.
fn rows(servers: &[Server; 3]) -> Result<(Vec<Target>, Vec<Row>), String> {
    let [floor, hello, progress] = servers;
    let mut targets: Vec<Target> = vec![floor.into(), hello.into(), progress.into()];
    let mut rows = vec![
        Row::new(FLOOR_LABEL, 0, Mode::Legacy),
        Row::new("legacy JSON", 1, Mode::Legacy),
        Row {
            tool: "add_with_progress",
            progress: true,
            ..Row::new("legacy SSE (1 progress)", 2, Mode::Legacy)
        },
        Row::new("modern stateless", 1, Mode::Modern),
    ];
    if let Ok(url) = std::env::var("BENCH_OTHER_URL") {
        let pid = match std::env::var("BENCH_OTHER_PID") {
            Ok(pid) => Some(
                pid.parse()
                    .map_err(|e| format!("BENCH_OTHER_PID={pid}: {e}"))?,
            ),
            Err(_) => None,
        };
        targets.push(Target { url, pid });
        let label = std::env::var("BENCH_OTHER_LABEL").unwrap_or_else(|_| "other".into());
        let modes = std::env::var("BENCH_OTHER_MODES").unwrap_or_else(|_| "legacy".into());
        for mode in modes.split(',') {
            let mode = Mode::parse(mode.trim())?;
            let label = format!("{label} {}", mode.as_str());
            rows.push(Row::new(&label, targets.len() - 1, mode));
        }
    }
    Ok((targets, rows))
}

/// The median of one row at one concurrency, with the runs it came from.
#[derive(Debug, Serialize)]
struct Figure {
    row: String,
    concurrency: usize,
    median: Report,
    runs: Vec<Report>,
}

pub(crate) fn run(config: &Config) -> Result<(), String> {
    let me = std::env::current_exe().map_err(|e| e.to_string())?;
    let servers = start_servers(&me)?;
    let (targets, rows) = rows(&servers)?;
    eprintln!(
        "servers pinned to cpu {:?}, load to cpu {:?}; {} run(s) of {:?} (+{:?} warm-up) per figure",
        spawn::cpu(Role::Server),
        spawn::cpu(Role::Load),
        config.runs,
        config.duration,
        config.warmup
    );
    let mut results: BTreeMap<(usize, usize), Vec<Report>> = BTreeMap::new();
    for run in 0..config.runs {
        for &c in &config.concurrency {
            // Rotate the order each run, so no row always goes first or last.
            for k in 0..rows.len() {
                let r = (k + run) % rows.len();
                let row = &rows[r];
                let report = measure_quietly(&me, &targets[row.target], row, c, config)?;
                eprintln!(
                    "run {}/{} {:<24} c={:<3} {:>8.0} req/s  p50 {:>6.0} µs  server {:>5.1} µs/call  load core {:>3.0}%  others {:>3.0}%  errors {}",
                    run + 1,
                    config.runs,
                    row.label,
                    c,
                    report.rps,
                    report.p50_us,
                    report.server_cpu_us.unwrap_or(f64::NAN),
                    report.load_cpu_share.unwrap_or(f64::NAN) * 100.0,
                    report.foreign_cpu_share.unwrap_or(f64::NAN).max(0.0) * 100.0,
                    report.errors
                );
                results.entry((r, c)).or_default().push(report);
            }
        }
    }
    let figures: Vec<Figure> = results
        .into_iter()
        .map(|((r, c), runs)| Figure {
            row: rows[r].label.clone(),
            concurrency: c,
            median: median(&runs),
            runs,
        })
        .collect();
    report(config, &rows, &figures)
}

fn start_servers(me: &std::path::Path) -> Result<[Server; 3], String> {
    let mut floor = spawn::pinned(Role::Server, me);
    floor.args(["floor", "--addr", "127.0.0.1:0"]);
    let mut progress = spawn::pinned(Role::Server, me);
    progress.args(["serve-progress", "--addr", "127.0.0.1:0"]);
    Ok([
        Server::start("floor", floor)?,
        spawn::start_hello(&[])?,
        Server::start("progress", progress)?,
    ])
}

/// Other processes may use this much of a core during a run before it is measured again.
const FOREIGN_LIMIT: f64 = 0.10;

/// One run, repeated (up to three times) while other processes competed for the cores.
fn measure_quietly(
    me: &std::path::Path,
    server: &Target,
    row: &Row,
    concurrency: usize,
    config: &Config,
) -> Result<Report, String> {
    wait_for_quiet();
    let mut report = measure(me, server, row, concurrency, config)?;
    for _ in 0..2 {
        let foreign = report.foreign_cpu_share.unwrap_or(0.0);
        if foreign <= FOREIGN_LIMIT {
            break;
        }
        eprintln!(
            "  other processes used {:.0}% of a core during {} c={concurrency}: measuring again",
            foreign * 100.0,
            row.label
        );
        wait_for_quiet();
        report = measure(me, server, row, concurrency, config)?;
    }
    Ok(report)
}

/// Waits (up to `BENCH_QUIET_WAIT` seconds, default 120) until the machine is quiet: less
/// than a tenth of a core busy over half a second while nothing is being measured.
fn wait_for_quiet() {
    let limit = std::env::var("BENCH_QUIET_WAIT")
        .ok()
        .and_then(|v| v.parse().ok())
        .map_or(Duration::from_secs(120), Duration::from_secs);
    let started = std::time::Instant::now();
    let mut said = false;
    while started.elapsed() < limit {
        let (Some(before), t0) = (proc::busy_time(), std::time::Instant::now()) else {
            return;
        };
        std::thread::sleep(Duration::from_millis(500));
        let Some(after) = proc::busy_time() else {
            return;
        };
        let share = after.saturating_sub(before).as_secs_f64() / t0.elapsed().as_secs_f64();
        if share <= FOREIGN_LIMIT {
            return;
        }
        if !said {
            eprintln!(
                "  the machine is busy ({:.0}% of a core): waiting for it to be quiet",
                share * 100.0
            );
            said = true;
        }
    }
    eprintln!("  still busy after {limit:?}: measuring anyway");
}

/// One run: the load generator as a child process on its own core.
fn measure(
    me: &std::path::Path,
    server: &Target,
    row: &Row,
    concurrency: usize,
    config: &Config,
) -> Result<Report, String> {
    let mut cmd = spawn::pinned(Role::Load, me);
    cmd.arg("run")
        .args(["--url", &server.url, "--mode", row.mode.as_str()])
        .args(["--concurrency", &concurrency.to_string()])
        .args(["--duration", &config.duration.as_secs_f64().to_string()])
        .args(["--warmup", &config.warmup.as_secs_f64().to_string()])
        .args(["--tool", row.tool, "--args", r#"{"a":2,"b":40}"#])
        .arg("--json");
    if let Some(pid) = server.pid {
        cmd.args(["--pid", &pid.to_string()]);
    }
    if row.progress {
        cmd.arg("--progress");
    }
    let out = cmd
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("cannot run the load generator: {e}"))?;
    if !out.status.success() {
        return Err(format!("load generator failed against {}", server.url));
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout.lines().last().unwrap_or_default();
    serde_json::from_str(line).map_err(|e| format!("bad load generator output `{line}`: {e}"))
}

/// The per-field median of several runs; errors are summed.
fn median(runs: &[Report]) -> Report {
    let med = |f: &dyn Fn(&Report) -> f64| {
        let mut v: Vec<f64> = runs.iter().map(f).collect();
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let cpu = runs.iter().all(|r| r.server_cpu_us.is_some());
    let load = runs.iter().all(|r| r.load_cpu_share.is_some());
    Report {
        requests: med(&|r| r.requests as f64) as u64,
        errors: runs.iter().map(|r| r.errors).sum(),
        seconds: med(&|r| r.seconds),
        rps: med(&|r| r.rps),
        p50_us: med(&|r| r.p50_us),
        p90_us: med(&|r| r.p90_us),
        p99_us: med(&|r| r.p99_us),
        max_us: med(&|r| r.max_us),
        server_cpu_us: cpu.then(|| med(&|r| r.server_cpu_us.unwrap_or_default())),
        load_cpu_share: load.then(|| med(&|r| r.load_cpu_share.unwrap_or_default())),
        foreign_cpu_share: runs
            .iter()
            .all(|r| r.foreign_cpu_share.is_some())
            .then(|| med(&|r| r.foreign_cpu_share.unwrap_or_default())),
        first_error: runs.iter().find_map(|r| r.first_error.clone()),
    }
}

fn report(config: &Config, rows: &[Row], figures: &[Figure]) -> Result<(), String> {
    let table = table(rows, figures);
    println!("{table}");
    std::fs::create_dir_all(&config.out).map_err(|e| e.to_string())?;
    let json = serde_json::to_string_pretty(figures).map_err(|e| e.to_string())?;
    let write = |name: &str, data: &[u8]| {
        let path = config.out.join(name);
        std::fs::write(&path, data).map_err(|e| format!("{}: {e}", path.display()))
    };
    write("load.json", json.as_bytes())?;
    write("load.md", table.as_bytes())?;
    let series: Vec<(&str, Vec<(f64, f64)>)> = rows
        .iter()
        .map(|row| {
            let points = figures
                .iter()
                .filter(|f| f.row == row.label)
                .map(|f| (f.concurrency as f64, f.median.rps))
                .collect();
            (row.label.as_str(), points)
        })
        .collect();
    let chart = config.out.join("throughput.svg");
    crate::chart::draw(&chart, &series)?;
    eprintln!(
        "wrote {}, load.md, load.json and throughput.svg",
        config.out.display()
    );
    Ok(())
}

/// The results as a Markdown table; ratios are against the floor at the same concurrency.
fn table(rows: &[Row], figures: &[Figure]) -> String {
    let floor = |c: usize| {
        figures
            .iter()
            .find(|f| f.row == FLOOR_LABEL && f.concurrency == c)
            .map(|f| &f.median)
    };
    let mut t = String::from(
        "| server | clients | req/s | runs' range | × floor req/s | p50 µs | p90 µs | p99 µs | max µs | server CPU µs/call | × floor CPU | load core busy | others | errors |\n\
         |---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    let mut sorted: Vec<&Figure> = figures.iter().collect();
    sorted.sort_by_key(|f| {
        let row = rows.iter().position(|r| r.label == f.row).unwrap_or(0);
        (f.concurrency, row)
    });
    for f in sorted {
        let m = &f.median;
        let base = floor(f.concurrency);
        let ratio = base.map_or(f64::NAN, |b| m.rps / b.rps);
        let cpu_ratio = match (m.server_cpu_us, base.and_then(|b| b.server_cpu_us)) {
            (Some(a), Some(b)) => a / b,
            _ => f64::NAN,
        };
        let _ = writeln!(
            t,
            "| {} | {} | {:.0} | {:.0}–{:.0} | {:.2} | {:.0} | {:.0} | {:.0} | {:.0} | {:.1} | {:.2} | {:.0}% | {:.0}% | {} |",
            f.row,
            f.concurrency,
            m.rps,
            f.runs.iter().map(|r| r.rps).fold(f64::INFINITY, f64::min),
            f.runs.iter().map(|r| r.rps).fold(0.0, f64::max),
            ratio,
            m.p50_us,
            m.p90_us,
            m.p99_us,
            m.max_us,
            m.server_cpu_us.unwrap_or(f64::NAN),
            cpu_ratio,
            m.load_cpu_share.unwrap_or(f64::NAN) * 100.0,
            m.foreign_cpu_share.unwrap_or(f64::NAN).max(0.0) * 100.0,
            m.errors
        );
    }
    t
}
