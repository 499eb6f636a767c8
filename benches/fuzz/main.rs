//! Fuzzing on stable Rust: generated and mutated MCP messages against the in-process router
//! (both eras) and the stdio loop, every answer checked against the documented table.
//!
//! ```text
//! cargo bench --bench fuzz                         # 1,000,000 messages over HTTP, 200,000 on stdio
//! cargo bench --bench fuzz -- --messages N --stdio-messages N --seed S
//! ```

// A benchmark's report is what it prints.
#![allow(clippy::print_stdout)]

#[path = "../support/spawn.rs"]
#[allow(dead_code)] // shared with the load bench
mod spawn;

mod engine;

use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

fn arg(args: &[String], name: &str, default: u64) -> Result<u64, String> {
    match args.iter().position(|a| a == name) {
        Some(i) => args
            .get(i + 1)
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| format!("`{name}` needs a number")),
        None => Ok(default),
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let parsed = (|| {
        Ok::<_, String>((
            arg(&args, "--messages", 1_000_000)?,
            arg(&args, "--stdio-messages", 200_000)?,
            arg(&args, "--seed", 0x5eed)?,
        ))
    })();
    let (messages, stdio_messages, seed) = match parsed {
        Ok(parsed) => parsed,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut seeds = engine::builtin_seeds();
    let spec = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/spec");
    let official = engine::spec_seeds(&spec);
    println!(
        "seeds: {} built-in, {} official example messages",
        seeds.len(),
        official.len()
    );
    seeds.extend(official);
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    let started = Instant::now();
    let http = runtime.block_on(engine::fuzz_http(messages, seed, &seeds));
    println!(
        "http: {} messages in {:.0?}",
        http.messages,
        started.elapsed()
    );
    let started = Instant::now();
    let stdio = match spawn::example_binary("hello") {
        Ok(hello) => engine::fuzz_stdio(&hello, stdio_messages, seed, &seeds),
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!(
        "stdio: {} messages in {:.0?}",
        stdio.messages,
        started.elapsed()
    );
    let mut failed = false;
    for (name, report) in [("http", &http), ("stdio", &stdio)] {
        println!("{name} statuses: {:?}", report.statuses);
        println!("{name} JSON-RPC codes: {:?}", report.codes);
        for failure in &report.failures {
            println!("{name} FAILURE: {failure}");
            failed = true;
        }
    }
    let total = http.messages + stdio.messages;
    let failures = http.failures.len() + stdio.failures.len();
    println!("{total} messages, {failures} failures");
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
