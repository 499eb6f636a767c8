//! Soak: many live legacy sessions plus steady load for a long time, reporting the server's
//! resident memory over time (it must stay flat after warm-up), errors (none) and p99 latency,
//! window by window (see BENCHMARKS.md).
//!
//! ```text
//! cargo bench --bench soak                                  # 10,000 sessions, 10 minutes
//! SOAK_SESSIONS=1000 SOAK_SECONDS=60 cargo bench --bench soak
//! ```

// A benchmark's report is what it prints.
#![allow(clippy::print_stdout)]

#[path = "../support/client.rs"]
#[allow(dead_code)] // shared with the load bench, which uses all of it
mod client;
#[path = "../load/generator.rs"]
#[allow(dead_code)]
mod generator;
#[path = "../support/proc.rs"]
#[allow(dead_code)]
mod proc;
#[path = "../support/spawn.rs"]
#[allow(dead_code)]
mod spawn;

use std::process::ExitCode;
use std::time::{Duration, Instant};

fn env(name: &str, default: u64) -> Result<u64, String> {
    std::env::var(name).map_or(Ok(default), |v| {
        v.parse().map_err(|e| format!("{name}={v}: {e}"))
    })
}

fn main() -> ExitCode {
    match run() {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Opens `n` legacy sessions over a few connections and leaves them idle.
async fn open_sessions(url: &str, n: usize) -> Result<(), String> {
    let endpoint = client::Endpoint::parse(url)?;
    let mut tasks = Vec::new();
    for c in 0..8 {
        let endpoint = endpoint.clone();
        tasks.push(tokio::spawn(async move {
            let mut conn = client::Conn::open(endpoint).await?;
            for _ in (c..n).step_by(8) {
                conn.initialize(&[]).await?;
            }
            Ok::<_, String>(())
        }));
    }
    for task in tasks {
        task.await.map_err(|e| e.to_string())??;
    }
    Ok(())
}

fn run() -> Result<bool, String> {
    let sessions = env("SOAK_SESSIONS", 10_000)? as usize;
    let total = Duration::from_secs(env("SOAK_SECONDS", 600)?);
    let window = Duration::from_secs(env("SOAK_WINDOW", 30)?);
    let server = spawn::start_hello(&["--max-sessions", "1000000"])?;
    let pid = server.pid();
    let rt = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
    let started = Instant::now();
    rt.block_on(open_sessions(&server.url, sessions))?;
    let rss = || proc::resident_bytes(pid).map_or(0.0, |b| b as f64 / (1 << 20) as f64);
    println!(
        "{sessions} idle sessions opened in {:.1?}; resident {:.1} MiB",
        started.elapsed(),
        rss()
    );
    println!("| minute | mode | req/s | p99 µs | errors | resident MiB |");
    println!("|---:|---|---:|---:|---:|---:|");
    let (mut errors, mut samples) = (0u64, Vec::new());
    let start = Instant::now();
    let mut n = 0;
    while start.elapsed() < total {
        let mode = if n % 2 == 0 { "legacy" } else { "modern" };
        n += 1;
        let args: Vec<String> = [
            "--url",
            &server.url,
            "--mode",
            mode,
            "--concurrency",
            "16",
            "--warmup",
            "0",
            "--duration",
            &window.as_secs().to_string(),
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let (plan, _) = generator::Plan::from_args(&args)?;
        let report = generator::run(plan)?;
        errors += report.errors;
        let resident = rss();
        samples.push(resident);
        println!(
            "| {:.1} | {mode} | {:.0} | {:.0} | {} | {resident:.1} |",
            start.elapsed().as_secs_f64() / 60.0,
            report.rps,
            report.p99_us,
            report.errors,
        );
        if let Some(e) = report.first_error {
            println!("first error: {e}");
        }
    }
    // Flat after warm-up: the last window within 5% (or 2 MiB) of the second.
    let (after_warmup, last) = (samples.get(1).copied(), samples.last().copied());
    let flat = match (after_warmup, last) {
        (Some(a), Some(b)) => b - a <= (a * 0.05).max(2.0),
        _ => true,
    };
    println!(
        "errors: {errors}; resident after warm-up {:.1} MiB, at the end {:.1} MiB: {}",
        after_warmup.unwrap_or(0.0),
        last.unwrap_or(0.0),
        if flat { "flat" } else { "GROWING" }
    );
    Ok(errors == 0 && flat)
}
