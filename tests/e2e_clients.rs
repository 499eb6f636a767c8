//! The official TypeScript and Python SDK clients against `examples/hello.rs`, over streamable
//! HTTP and stdio, in both protocol eras. Every message the server sends is validated against
//! the spec's JSON schema of the revision it was sent under (the twins in
//! `wire_matches_the_spec`, ignored where the spec is absent).

mod common;

use common::{Client, Session, assert_hello, hello_ops};

const TEXT: &str = "héllo \"wörld\"\n\t✓ <&>";

fn over_http(client: Client) -> Session {
    Session::over_http("hello", client, &[], hello_ops(TEXT))
}

fn over_stdio(client: Client) -> Session {
    Session::over_stdio("hello", client, &[], hello_ops(TEXT))
}

/// The client negotiated `version`, then listed and called the tools as [`hello_ops`] asks.
fn assert_hello_at(session: &Session, version: &str) {
    let connect = &session.lines[0];
    assert_eq!(connect["op"], "connect");
    assert_eq!(connect["ok"], true, "{connect}");
    assert_eq!(connect["protocolVersion"], version, "{connect}");
    assert_hello(&session.lines, TEXT);
}

common::session_tests! {
    fn typescript_client_over_http(session = over_http(Client::TypeScript)) {
        assert_hello_at(session, "2025-11-25");
    }

    fn typescript_client_over_stdio(session = over_stdio(Client::TypeScript)) {
        assert_hello_at(session, "2025-11-25");
    }

    fn python_client_default_mode_over_http_is_stateless(
        session = over_http(Client::PythonDefault)
    ) {
        assert_hello_at(session, "2026-07-28");
    }

    fn python_client_legacy_mode_over_http(session = over_http(Client::PythonLegacy)) {
        assert_hello_at(session, "2025-11-25");
    }

    fn python_client_default_mode_over_stdio(session = over_stdio(Client::PythonDefault)) {
        assert_hello_at(session, "2026-07-28");
    }

    fn python_client_legacy_mode_over_stdio(session = over_stdio(Client::PythonLegacy)) {
        assert_hello_at(session, "2025-11-25");
    }
}
