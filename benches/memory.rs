//! Resident memory per idle legacy session, and per expired session's retained record (see
//! BENCHMARKS.md).
//!
//! Opens N sessions (`initialize` + `notifications/initialized`, then nothing) against `hello`
//! or any server, and reports how much its resident memory grew per session. Then, against
//! servers of its own started with `--session-idle 1`, lets N sessions (at most 50,000, half the
//! memory store's default limit) expire a chunk at a time: under `notebook` (`reinit =
//! "restore"`) each leaves a retained record, whose memory is reported; under `hello`
//! (`reject`) each should leave nothing.
//!
//! ```text
//! cargo bench --bench memory                              # 10,000 sessions against hello
//! MEMORY_SESSIONS=100000 cargo bench --bench memory
//! cargo bench --bench memory -- --url URL --pid PID [--sessions N]   # any server; idle only
//! ```

// A benchmark's report is what it prints.
#![allow(clippy::print_stdout)]

#[path = "support/client.rs"]
#[allow(dead_code)] // shared with the load bench, which uses all of it
mod client;
#[path = "support/proc.rs"]
#[allow(dead_code)]
mod proc;
#[path = "support/spawn.rs"]
#[allow(dead_code)]
mod spawn;

use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use client::{Conn, Endpoint};

/// Sessions opened before the baseline, so one-time allocations (the first connection, the
/// first map shards) are not charged to the sessions measured.
const WARM_SESSIONS: usize = 200;
/// Connections the sessions are opened over; a session is not bound to its connection.
const CONNECTIONS: usize = 8;

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

struct Target {
    url: String,
    pid: u32,
    // Keeps the spawned server alive until the end.
    _server: Option<spawn::Server>,
}

fn run() -> Result<(), String> {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let mut sessions: usize = std::env::var("MEMORY_SESSIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let (mut url, mut pid) = (None, None);
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let value = it.next().ok_or_else(|| format!("`{flag}` needs a value"))?;
        let bad = |e: &dyn std::fmt::Display| format!("`{flag} {value}`: {e}");
        match flag.as_str() {
            "--url" => url = Some(value.clone()),
            "--pid" => pid = Some(value.parse::<u32>().map_err(|e| bad(&e))?),
            "--sessions" => sessions = value.parse().map_err(|e| bad(&e))?,
            other => return Err(format!("unknown flag `{other}`")),
        }
    }
    let target = match (url, pid) {
        (Some(url), Some(pid)) => Target {
            url,
            pid,
            _server: None,
        },
        (None, None) => {
            let server = spawn::start_hello(&[])?;
            Target {
                url: server.url.clone(),
                pid: server.pid(),
                _server: Some(server),
            }
        }
        _ => return Err("give both `--url` and `--pid`, or neither".into()),
    };
    let retained = target._server.is_some();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let sessions = sessions.max(WARM_SESSIONS * 2);
    rt.block_on(measure(&target, sessions))?;
    drop(target);
    if retained {
        for (example, policy) in [("notebook", "restore"), ("hello", "reject")] {
            let mut cmd = spawn::pinned(spawn::Role::Server, spawn::example_binary(example)?);
            cmd.args(["--http", "127.0.0.1:0", "--session-idle", "1"]);
            let server = spawn::Server::start(example, cmd)?;
            let target = Target {
                url: server.url.clone(),
                pid: server.pid(),
                _server: Some(server),
            };
            let records = sessions.min(MAX_RETAINED);
            rt.block_on(measure_retained(&target, example, policy, records))?;
        }
    }
    Ok(())
}

/// Below the memory store's default limit of retained records, so that none is evicted.
const MAX_RETAINED: usize = 50_000;
/// Sessions opened at a time in the retained-record measurement; each chunk expires before the
/// next is opened, so live sessions reuse the memory of the chunk before and the growth is the
/// retained records'.
const CHUNK: usize = 1000;
/// Long enough for a session idle for one second to be swept (every 250 ms) and retired.
const EXPIRY: Duration = Duration::from_millis(1600);

async fn measure_retained(
    target: &Target,
    example: &str,
    policy: &str,
    records: usize,
) -> Result<(), String> {
    let endpoint = Endpoint::parse(&target.url)?;
    open(&endpoint, CHUNK).await?;
    tokio::time::sleep(EXPIRY).await;
    let base = settled_rss(target.pid).await?;
    println!();
    println!(
        "retained: {records} expired sessions of {example} (`{policy}`, --session-idle 1), \
         {CHUNK} at a time; baseline {:.1} MiB after {CHUNK}",
        mib(base)
    );
    println!("| expired sessions | resident MiB | growth MiB | bytes per expired session |");
    println!("|---:|---:|---:|---:|");
    let mut expired = 0;
    for checkpoint in [records / 4, records / 2, records] {
        while expired < checkpoint {
            let n = CHUNK.min(checkpoint - expired);
            open(&endpoint, n).await?;
            tokio::time::sleep(EXPIRY).await;
            expired += n;
        }
        let rss = settled_rss(target.pid).await?;
        let grown = rss.saturating_sub(base);
        println!(
            "| {expired} | {:.1} | {:.1} | {:.0} |",
            mib(rss),
            mib(grown),
            grown as f64 / expired as f64
        );
    }
    Ok(())
}

async fn measure(target: &Target, sessions: usize) -> Result<(), String> {
    let endpoint = Endpoint::parse(&target.url)?;
    open(&endpoint, WARM_SESSIONS).await?;
    let base = settled_rss(target.pid).await?;
    println!(
        "memory: {} at {}, pid {}; baseline {:.1} MiB after {WARM_SESSIONS} sessions",
        sessions,
        target.url,
        target.pid,
        mib(base)
    );
    println!("| idle sessions | resident MiB | growth MiB | bytes per session |");
    println!("|---:|---:|---:|---:|");
    let mut open_now = WARM_SESSIONS;
    let started = Instant::now();
    for checkpoint in [sessions / 10, sessions / 4, sessions / 2, sessions] {
        if checkpoint <= open_now {
            continue;
        }
        open(&endpoint, checkpoint - open_now).await?;
        open_now = checkpoint;
        let rss = settled_rss(target.pid).await?;
        let grown = rss.saturating_sub(base);
        println!(
            "| {} | {:.1} | {:.1} | {:.0} |",
            open_now,
            mib(rss),
            mib(grown),
            grown as f64 / (open_now - WARM_SESSIONS) as f64
        );
    }
    eprintln!(
        "opened {} sessions in {:.1}s",
        open_now,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Opens `n` sessions over a few connections, and leaves them idle.
async fn open(endpoint: &Arc<Endpoint>, n: usize) -> Result<(), String> {
    let left = Arc::new(AtomicUsize::new(n));
    let tasks: Vec<_> = (0..CONNECTIONS.min(n))
        .map(|_| {
            let (endpoint, left) = (endpoint.clone(), left.clone());
            tokio::spawn(async move {
                let mut conn = Conn::open(endpoint).await?;
                while left
                    .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |l| l.checked_sub(1))
                    .is_ok()
                {
                    conn.initialize(&[]).await?;
                }
                Ok::<_, String>(())
            })
        })
        .collect();
    for task in tasks {
        task.await.map_err(|e| e.to_string())??;
    }
    Ok(())
}

/// Resident memory once the server has gone quiet.
async fn settled_rss(pid: u32) -> Result<u64, String> {
    tokio::time::sleep(Duration::from_millis(300)).await;
    proc::resident_bytes(pid).ok_or_else(|| format!("cannot read /proc/{pid}/status"))
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}
