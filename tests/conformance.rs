//! The official MCP conformance suite (`@modelcontextprotocol/conformance`, installed and run by
//! `tests/conformance/run.sh`) against `examples/everything.rs`, the fixture server the suite
//! expects. Each leg is a test of its own with a server of its own, so the legs can run in
//! parallel; the script serialises the one-time install of Node and the suite with a lock.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

use common::{HttpServer, root, temp_path};
use serde_json::Value;

#[test]
fn requirements_2025_11_25() {
    leg(&["--requirements", "2025-11-25"]);
}

#[test]
fn requirements_2026_07_28() {
    leg(&["--requirements", "2026-07-28"]);
}

#[test]
fn all_scenarios_at_2025_11_25() {
    leg(&["--suite", "all", "--spec-version", "2025-11-25"]);
}

#[test]
fn all_scenarios_at_2025_06_18() {
    leg(&["--suite", "all", "--spec-version", "2025-06-18"]);
}

#[test]
fn active_scenarios_at_2025_03_26() {
    leg(&["--spec-version", "2025-03-26"]);
}

/// Runs the suite with `args` against a fresh `everything` server and asserts that its closing
/// `Total: N passed, M failed` has `N > 0` and `M == 0`. `M` counts the unscored scenarios too
/// (extensions, pending ones), which the suite's own exit status ignores for `--requirements`.
fn leg(args: &[&str]) {
    let server = HttpServer::start("everything", &[], &[]);
    // The suite's stdout names failing scenarios but not their checks: those are only in the
    // per-scenario `checks.json` files it writes here.
    let results = temp_path("conformance", "results");
    let started = Instant::now();
    let out = Command::new("bash")
        .arg(root().join("tests/conformance/run.sh"))
        .arg(&server.url)
        .args(args)
        .arg("--output-dir")
        .arg(&results)
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .expect("run tests/conformance/run.sh");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let totals = summary(&stdout);
    let leg = args.join(" ");
    eprintln!(
        "conformance {leg}: {totals:?} (passed, failed), {}, in {:.1?}",
        out.status,
        started.elapsed()
    );
    match totals {
        Some((passed, 0)) if passed > 0 && out.status.success() => {
            let _ = std::fs::remove_dir_all(&results);
        }
        _ => panic!(
            "conformance {leg} did not pass ({}, totals {totals:?}); its output:\n{stdout}\n\
             checks that did not pass (all results in {}):\n{}",
            out.status,
            results.display(),
            checks_not_passed(&results)
        ),
    }
}

/// `(N, M)` from the suite's `Total: N passed, M failed`.
fn summary(stdout: &str) -> Option<(u64, u64)> {
    let line = stdout
        .lines()
        .rev()
        .find_map(|l| l.trim().strip_prefix("Total:"))?;
    let mut words = line.split([',', ' ']).filter(|w| !w.is_empty());
    match (words.next(), words.next(), words.next(), words.next()) {
        (Some(passed), Some("passed"), Some(failed), Some("failed")) => {
            Some((passed.parse().ok()?, failed.parse().ok()?))
        }
        _ => None,
    }
}

/// One line per FAILURE or WARNING check in the suite's results, with its message (and, for
/// failures, its details, where schema violations and HTTP statuses are).
fn checks_not_passed(results: &Path) -> String {
    let mut scenarios: Vec<_> = std::fs::read_dir(results)
        .map(|dir| dir.filter_map(|e| Some(e.ok()?.path())).collect())
        .unwrap_or_default();
    scenarios.sort();
    let mut report = String::new();
    for scenario in scenarios {
        let Ok(text) = std::fs::read_to_string(scenario.join("checks.json")) else {
            continue;
        };
        let Ok(Value::Array(checks)) = serde_json::from_str::<Value>(&text) else {
            continue;
        };
        let name = scenario.file_name().unwrap_or_default().to_string_lossy();
        for check in &checks {
            let status = check["status"].as_str().unwrap_or("?");
            if !matches!(status, "FAILURE" | "WARNING") {
                continue;
            }
            let mut line = format!(
                "{name}: {status} {}: {}",
                check["id"].as_str().unwrap_or("?"),
                check["errorMessage"].as_str().unwrap_or("")
            );
            if status == "FAILURE" && !check["details"].is_null() {
                let details = check["details"].to_string();
                let cut = details
                    .char_indices()
                    .nth(2000)
                    .map_or(details.len(), |(at, _)| at);
                line.push_str(&format!(" -- details: {}", &details[..cut]));
            }
            report.push_str(&line);
            report.push('\n');
        }
    }
    if report.is_empty() {
        report.push_str("(none found)\n");
    }
    report
}
