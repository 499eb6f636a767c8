//! Throughput and latency of MCP `tools/call` over streamable HTTP (see BENCHMARKS.md).
//!
//! ```text
//! cargo bench --bench load                         # the comparison: hello vs the floor
//! cargo bench --bench load -- run --url URL [...]  # load any MCP server
//! cargo bench --bench load -- floor --addr ADDR    # serve the floor alone
//! ```

// A benchmark's report is what it prints.
#![allow(clippy::print_stdout)]

#[path = "../support/client.rs"]
mod client;
#[path = "../support/proc.rs"]
#[allow(dead_code)] // shared with the memory bench
mod proc;
#[path = "../support/spawn.rs"]
mod spawn;

mod chart;
mod floor;
mod generator;
mod progress;
mod suite;

use generator::Plan;
use std::net::SocketAddr;
use std::process::ExitCode;

const USAGE: &str = "\
usage: load                          the comparison (env: BENCH_DURATION, BENCH_WARMUP,
                                     BENCH_RUNS, BENCH_CONCURRENCY, BENCH_OUT,
                                     BENCH_SERVER_CPU, BENCH_LOAD_CPU, BENCH_QUIET_WAIT;
                                     another server in the same runs: BENCH_OTHER_URL,
                                     BENCH_OTHER_PID, BENCH_OTHER_LABEL, BENCH_OTHER_MODES)
       load run --url URL [options]  load one MCP server
       load floor [--addr ADDR]      serve the floor (default 127.0.0.1:0)
       load serve-progress [--addr ADDR]
                                     serve add, echo and add_with_progress with the framework

run options:
  --url URL            the MCP endpoint, e.g. http://127.0.0.1:8080/mcp
  --mode MODE          legacy (initialize per client, then calls on its session; default) or
                       modern (stateless 2026-07-28)
  --concurrency N      virtual clients, one connection each (default 16)
  --duration SECS      measured time (default 5)
  --warmup SECS        load before measuring (default 1)
  --tool NAME          the tool to call (default add)
  --args JSON          its arguments (default {\"a\":2,\"b\":40}); {a,b} expects sum a+b,
                       {text} expects the text back, anything else a non-error result
  --progress           send a progress token and require a progress notification (SSE)
  --header 'NAME: VALUE'
                       send this header with every request (repeatable), e.g. authorization
  --fresh-session      legacy calls without initialize, each on a new session id the server
                       has never seen: what a restart or another replica looks like to it
  --pid PID            the server's pid: report its CPU time per call
  --json               print the report as one JSON line";

fn main() -> ExitCode {
    // `cargo bench` passes `--bench`; it means nothing here.
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let outcome = match args.first().map(String::as_str) {
        None => suite::Config::from_env().and_then(|config| suite::run(&config)),
        Some("run") => run(&args[1..]),
        Some("floor") => addr(&args[1..]).and_then(floor::serve),
        Some("serve-progress") => addr(&args[1..]).and_then(progress::serve),
        Some("-h" | "--help") => {
            println!("{USAGE}");
            Ok(())
        }
        Some(other) => Err(format!("unknown command `{other}`\n\n{USAGE}")),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &[String]) -> Result<(), String> {
    let (plan, json) = Plan::from_args(args).map_err(|e| format!("{e}\n\n{USAGE}"))?;
    let report = generator::run(plan.clone())?;
    if json {
        println!(
            "{}",
            serde_json::to_string(&report).map_err(|e| e.to_string())?
        );
    } else {
        println!("{}", report.describe(&plan));
    }
    Ok(())
}

fn addr(args: &[String]) -> Result<SocketAddr, String> {
    match args {
        [] => Ok(SocketAddr::from(([127, 0, 0, 1], 0))),
        [flag, value] if flag == "--addr" => parse(flag, value),
        _ => Err(format!("expected `--addr ADDR`\n\n{USAGE}")),
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
