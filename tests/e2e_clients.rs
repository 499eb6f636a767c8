//! The official TypeScript and Python SDK clients against `examples/hello.rs`, over streamable
//! HTTP and stdio, in both protocol eras. Every message the server sends is validated against
//! the spec's JSON schema of the revision it was sent under.

mod common;

use common::{
    Client, HttpServer, Schemas, Target, assert_hello, example, hello_ops, run_client, temp_path,
};

const TEXT: &str = "héllo \"wörld\"\n\t✓ <&>";

fn connect_version(lines: &[serde_json::Value]) -> &str {
    let connect = &lines[0];
    assert_eq!(connect["op"], "connect");
    assert_eq!(connect["ok"], true, "{connect}");
    connect["protocolVersion"]
        .as_str()
        .expect("a negotiated version")
}

fn validate(wire_log: &std::path::Path) {
    if let Some(schemas) = Schemas::load() {
        let checked = schemas.validate_wire_log(wire_log);
        assert!(
            checked >= 4,
            "only {checked} messages were recorded in {}",
            wire_log.display()
        );
    }
}

fn over_http(client: Client, expected_version: &str) {
    let server = HttpServer::start("hello", &[], &[]);
    let lines = run_client(client, Target::Http(&server.url), &[], hello_ops(TEXT));
    assert_eq!(connect_version(&lines), expected_version);
    assert_hello(&lines, TEXT);
    validate(&server.wire_log);
}

fn over_stdio(client: Client, expected_version: &str) {
    let wire_log = temp_path("hello-stdio-wire", "jsonl");
    let argv = vec![
        example("hello").display().to_string(),
        "--stdio".into(),
        "--wire-log".into(),
        wire_log.display().to_string(),
    ];
    let lines = run_client(client, Target::Stdio(argv), &[], hello_ops(TEXT));
    assert_eq!(connect_version(&lines), expected_version);
    assert_hello(&lines, TEXT);
    validate(&wire_log);
}

#[test]
fn typescript_client_over_http() {
    over_http(Client::TypeScript, "2025-11-25");
}

#[test]
fn typescript_client_over_stdio() {
    over_stdio(Client::TypeScript, "2025-11-25");
}

#[test]
fn python_client_default_mode_over_http_is_stateless() {
    over_http(Client::PythonDefault, "2026-07-28");
}

#[test]
fn python_client_legacy_mode_over_http() {
    over_http(Client::PythonLegacy, "2025-11-25");
}

#[test]
fn python_client_default_mode_over_stdio() {
    over_stdio(Client::PythonDefault, "2026-07-28");
}

#[test]
fn python_client_legacy_mode_over_stdio() {
    over_stdio(Client::PythonLegacy, "2025-11-25");
}
