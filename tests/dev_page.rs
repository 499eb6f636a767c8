//! The `--dev` page in a real browser: Debian's headless Chromium, driven by playwright-core
//! (both installed by the test when missing). The page lists `hello`'s tools, and calling
//! `add` with 2 and 40 from its form shows 42. The screenshot is kept as an artifact at
//! `target/test-artifacts/dev-page.png`.

mod common;

use std::path::PathBuf;
use std::process::Command;

use common::HttpServer;
use serde_json::Value;

/// Where tests leave what a person may want to look at afterwards.
fn artifacts() -> PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    // target/<profile>/deps/<test> → target/test-artifacts
    let target = exe.ancestors().nth(3).expect("the target directory");
    let dir = target.join("test-artifacts");
    std::fs::create_dir_all(&dir).expect("create the artifacts directory");
    dir
}

#[test]
fn the_dev_page_lists_the_tools_and_calls_add_in_a_browser() {
    let chromium = common::chromium_binary();
    let node_modules = common::clients_cache().join("node/node_modules");
    let server = HttpServer::start("hello", &["--dev"], &[]);
    let page = format!("http://{}/", server.authority());
    let screenshot = artifacts().join("dev-page.png");
    let _ = std::fs::remove_file(&screenshot);
    let out = Command::new("node")
        .arg(common::root().join("tests/browser/dev_page.mjs"))
        .arg(&page)
        .arg(&screenshot)
        .env("MCP_CLIENT_NODE_MODULES", &node_modules)
        .env("CHROMIUM", chromium)
        .output()
        .expect("run node");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "the browser run failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary: Value = serde_json::from_str(stdout.trim()).expect("a JSON summary");
    assert_eq!(summary["ok"], true, "{summary}");
    assert_eq!(
        summary["tools"],
        serde_json::json!(["add", "echo"]),
        "{summary}"
    );
    assert_eq!(summary["structuredContent"]["sum"], 42, "{summary}");
    assert_eq!(summary["consoleErrors"], serde_json::json!([]), "{summary}");
    let png = std::fs::read(&screenshot).expect("the screenshot");
    assert!(png.starts_with(b"\x89PNG"), "not a PNG");
}
