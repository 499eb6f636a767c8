//! A short fuzzing run in the test command (`cargo bench --bench fuzz` is the long one):
//! generated and mutated messages against the in-process router in both eras and the stdio
//! loop; no panic, one answer per request id, statuses and codes from the documented table, and
//! a server that still answers `ping`.

mod common;

#[path = "../benches/fuzz/engine.rs"]
mod engine;

fn seeds() -> Vec<serde_json::Value> {
    let mut seeds = engine::builtin_seeds();
    seeds.extend(engine::spec_seeds(common::spec_dir()));
    seeds
}

fn assert_clean(report: &engine::Report) {
    assert!(
        report.failures.is_empty(),
        "{} failures in {} messages, first ones: {:#?}",
        report.failures.len(),
        report.messages,
        report.failures
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_survives_mutated_messages() {
    let report = engine::fuzz_http(20_000, 7, &seeds()).await;
    assert_eq!(report.messages, 20_000);
    assert_clean(&report);
}

#[test]
fn stdio_survives_mutated_messages() {
    let report = engine::fuzz_stdio(&common::example("hello"), 20_000, 11, &seeds());
    assert_eq!(report.messages, 20_000);
    assert_clean(&report);
}
