//! Re-initialization benchmark (see BENCHMARKS.md): `tools/call` on sessions the server does
//! not have, each resumed by the `#[on_reinit]` handler of `examples/reinit`, against
//! `tools/call` on live sessions of the same server.
//!
//! A resumed call carries a session id the server has never seen, as after a restart or when
//! a load balancer sends it to another replica; the handler resumes it under the same id and
//! the call is served. Both rows authenticate with an API key, as the example requires.
//!
//! ```text
//! cargo bench --bench reinit    # env: REINIT_DURATION (2), REINIT_WARMUP (0.5), REINIT_RUNS (3),
//!                               #      REINIT_CONCURRENCY (1,16), BENCH_SERVER_CPU, BENCH_LOAD_CPU
//! ```

// A benchmark's report is what it prints.
#![allow(clippy::print_stdout)]

#[path = "support/client.rs"]
#[allow(dead_code)] // shared with the load bench, which uses all of it
mod client;
#[path = "load/generator.rs"]
#[allow(dead_code)]
mod generator;
#[path = "support/proc.rs"]
#[allow(dead_code)]
mod proc;
#[path = "support/spawn.rs"]
#[allow(dead_code)]
mod spawn;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::process::{ExitCode, Stdio};

use generator::{Plan, Report};
use spawn::{Role, Server};

/// The API key the example is started with.
const KEY: &str = "bench-key";

/// The two rows: label, and whether every call is on a session the server never saw.
const ROWS: [(&str, bool); 2] = [("live sessions", false), ("resumed by #[on_reinit]", true)];

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let outcome = match args.first().map(String::as_str) {
        // The load generator, re-executed on its own core.
        Some("measure") => measure_here(&args[1..]),
        _ => compare(),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn measure_here(args: &[String]) -> Result<(), String> {
    let (plan, _) = Plan::from_args(args)?;
    let report = generator::run(plan)?;
    println!(
        "{}",
        serde_json::to_string(&report).map_err(|e| e.to_string())?
    );
    Ok(())
}

/// The deployment secret the server and the generator share.
const STATE_KEY: &str = "reinit-bench-deployment-secret";

fn env<T: std::str::FromStr>(var: &str, default: T) -> T {
    std::env::var(var)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn compare() -> Result<(), String> {
    let (duration, warmup) = (env("REINIT_DURATION", 2.0), env("REINIT_WARMUP", 0.5));
    let runs = env("REINIT_RUNS", 3usize).max(1);
    let concurrency: Vec<usize> = std::env::var("REINIT_CONCURRENCY")
        .unwrap_or_else(|_| "1,16".into())
        .split(',')
        .filter_map(|c| c.trim().parse().ok())
        .collect();
    let mut cmd = spawn::pinned(Role::Server, spawn::example_binary("reinit")?);
    // Every resumed call leaves a session behind: a short idle timeout lets the sweep keep
    // the map at a steady size instead of reaching the live-session limit (503).
    // The generator makes up ids the server can verify: both share the deployment secret.
    cmd.env("MCP_API_KEYS", KEY)
        .env("MCP_STATE_KEY", STATE_KEY)
        .args(["--http", "127.0.0.1:0", "--session-idle", "5"]);
    let server = Server::start("reinit", cmd)?;
    let me = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut results: BTreeMap<(usize, usize), Vec<Report>> = BTreeMap::new();
    for run in 0..runs {
        for &c in &concurrency {
            for k in 0..ROWS.len() {
                // Alternate which row goes first, so neither always runs on a warmer server.
                let r = (k + run) % ROWS.len();
                let mut child = spawn::pinned(Role::Load, &me);
                child
                    .env("MCP_STATE_KEY", STATE_KEY)
                    .args(["measure", "--url", &server.url, "--mode", "legacy"])
                    .args(["--concurrency", &c.to_string()])
                    .args(["--duration", &duration.to_string()])
                    .args(["--warmup", &warmup.to_string()])
                    .args(["--pid", &server.pid().to_string()])
                    .args(["--header", &format!("authorization: Bearer {KEY}")]);
                if ROWS[r].1 {
                    child.arg("--fresh-session");
                }
                let report = run_child(child)?;
                eprintln!(
                    "run {}/{runs} {:<24} c={c:<3} {:>8.0} req/s  p50 {:>6.0} µs  server {:>5.1} µs/call  errors {}",
                    run + 1,
                    ROWS[r].0,
                    report.rps,
                    report.p50_us,
                    report.server_cpu_us.unwrap_or(f64::NAN),
                    report.errors
                );
                if let Some(e) = &report.first_error {
                    eprintln!("  first error: {e}");
                }
                results.entry((c, r)).or_default().push(report);
            }
        }
    }
    println!("{}", table(&results));
    Ok(())
}

fn run_child(mut cmd: std::process::Command) -> Result<Report, String> {
    let out = cmd
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("cannot run the load generator: {e}"))?;
    if !out.status.success() {
        return Err("the load generator failed".into());
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout.lines().last().unwrap_or_default();
    serde_json::from_str(line).map_err(|e| format!("bad load generator output `{line}`: {e}"))
}

fn median(runs: &[Report], f: impl Fn(&Report) -> f64) -> f64 {
    let mut v: Vec<f64> = runs.iter().map(f).collect();
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Medians of each row, with ratios against live sessions at the same concurrency.
fn table(results: &BTreeMap<(usize, usize), Vec<Report>>) -> String {
    let mut t = String::from(
        "| calls on | clients | req/s | × live | p50 µs | p99 µs | server CPU µs/call | × live | errors |\n\
         |---|---:|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for (&(c, r), runs) in results {
        let rps = median(runs, |r| r.rps);
        let cpu = median(runs, |r| r.server_cpu_us.unwrap_or(f64::NAN));
        let live = results.get(&(c, 0));
        let live_rps = live.map_or(f64::NAN, |l| median(l, |r| r.rps));
        let live_cpu = live.map_or(f64::NAN, |l| {
            median(l, |r| r.server_cpu_us.unwrap_or(f64::NAN))
        });
        let _ = writeln!(
            t,
            "| {} | {c} | {rps:.0} | {:.2} | {:.0} | {:.0} | {cpu:.1} | {:.2} | {} |",
            ROWS[r].0,
            rps / live_rps,
            median(runs, |r| r.p50_us),
            median(runs, |r| r.p99_us),
            cpu / live_cpu,
            runs.iter().map(|r| r.errors).sum::<u64>()
        );
    }
    t
}
