//! `serve()` installs a tracing subscriber when the program has none: the runtime's warnings
//! reach the operator on stderr, at the levels `RUST_LOG` asks for.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

/// What `reinit` writes on stderr until it says where it serves.
fn startup_lines(rust_log: Option<&str>) -> Vec<String> {
    let mut cmd = Command::new(common::example("reinit"));
    cmd.args(["--http", "127.0.0.1:0"])
        .env_remove("MCP_STATE_KEY")
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    if let Some(level) = rust_log {
        cmd.env("RUST_LOG", level);
    }
    let mut child = cmd.spawn().expect("start reinit");
    let mut lines = Vec::new();
    for line in BufReader::new(child.stderr.take().expect("stderr")).lines() {
        let line = line.expect("a line");
        let served = line.contains("http://");
        lines.push(line);
        if served {
            break;
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    lines
}

#[test]
fn warnings_reach_stderr_through_the_installed_subscriber() {
    let lines = startup_lines(None);
    // A resuming policy without a stable secret: ids die with the process.
    let warning = lines.iter().find(|l| l.contains("MCP_STATE_KEY"));
    let warning = warning.unwrap_or_else(|| panic!("no warning in {lines:#?}"));
    assert!(warning.contains("WARN"), "not a tracing event: {warning}");
    assert!(
        !warning.starts_with("warning:"),
        "printed without a subscriber: {warning}"
    );
}

#[test]
fn rust_log_sets_the_level() {
    let lines = startup_lines(Some("error"));
    assert!(
        !lines.iter().any(|l| l.contains("MCP_STATE_KEY")),
        "a warning despite RUST_LOG=error: {lines:#?}"
    );
    assert!(lines.iter().any(|l| l.contains("http://")), "{lines:#?}");
}
