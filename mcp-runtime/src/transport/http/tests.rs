use super::hosts::*;
use super::*;
use axum::http::Uri;
use axum::http::header::{HOST, ORIGIN};

/// The check as an origin-form HTTP/1.1 request meets it.
fn check_host_and_origin(options: &HttpOptions, headers: &HeaderMap) -> Result<(), String> {
    super::check_host_and_origin(options, &Uri::from_static("/mcp"), headers).map_err(|refusal| {
        match refusal {
            Refusal::NotAllowed(reason) => reason,
            Refusal::Malformed(reason) => format!("malformed: {reason}"),
        }
    })
}

fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
    pairs
        .iter()
        .map(|(k, v)| {
            (
                axum::http::HeaderName::from_static(k),
                HeaderValue::from_static(v),
            )
        })
        .collect()
}

#[test]
fn accept_ranges() {
    let both = ["application/json", "text/event-stream"];
    assert!(accepts(
        &headers(&[("accept", "application/json, text/event-stream")]),
        &both
    ));
    assert!(accepts(&headers(&[("accept", "*/*")]), &both));
    assert!(accepts(
        &headers(&[("accept", "text/*;q=0.5")]),
        &["text/event-stream"]
    ));
    assert!(!accepts(&headers(&[("accept", "application/json")]), &both));
    assert!(!accepts(
        &headers(&[("accept", "text/event-stream")]),
        &both
    ));
    assert!(accepts(&headers(&[]), &both));
}

#[test]
fn host_and_origin_allow_lists() {
    let o = HttpOptions::default();
    assert!(check_host_and_origin(&o, &headers(&[("host", "127.0.0.1:8080")])).is_ok());
    assert!(check_host_and_origin(&o, &headers(&[("host", "[::1]:8080")])).is_ok());
    assert!(
        check_host_and_origin(
            &o,
            &headers(&[("host", "localhost"), ("origin", "http://localhost:3000")])
        )
        .is_ok()
    );
    assert!(check_host_and_origin(&o, &headers(&[("host", "evil.example.com")])).is_err());
    assert!(check_host_and_origin(&o, &headers(&[("origin", "http://evil.example")])).is_err());
    assert!(check_host_and_origin(&o, &headers(&[("origin", "null")])).is_err());
    let after_brackets = headers(&[("host", "[::1]evil.example")]);
    let refused = Err("host not allowed: [::1]evil.example".to_owned());
    assert_eq!(check_host_and_origin(&o, &after_brackets), refused);
    let unreadable: HeaderMap = [
        (HOST, HeaderValue::from_static("localhost")),
        (ORIGIN, HeaderValue::from_bytes(b"http://\xc3\xa9").unwrap()),
    ]
    .into_iter()
    .collect();
    let refused = Err("origin not allowed: not visible ASCII".to_owned());
    assert_eq!(check_host_and_origin(&o, &unreadable), refused);
}

fn header_map(pairs: &[(HeaderName, &[u8])]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in pairs {
        map.append(name.clone(), HeaderValue::from_bytes(value).unwrap());
    }
    map
}

#[test]
fn host_checks_fail_closed() {
    let o = HttpOptions::default();
    let refused = |pairs: &[(HeaderName, &[u8])]| check_host_and_origin(&o, &header_map(pairs));
    let missing = Err("malformed: the `Host` header is required".to_owned());
    assert_eq!(refused(&[]), missing);
    assert_eq!(refused(&[(ORIGIN, b"http://localhost")]), missing);
    let twice = Err("malformed: the `Host` header must appear once".to_owned());
    assert_eq!(
        refused(&[(HOST, b"localhost"), (HOST, b"evil.example")]),
        twice
    );
    assert_eq!(
        refused(&[(HOST, b"localhost"), (HOST, b"localhost")]),
        twice
    );
    let not_ascii = Err("host not allowed: not visible ASCII".to_owned());
    assert_eq!(refused(&[(HOST, b"localhost\xff")]), not_ascii);
    assert_eq!(refused(&[(HOST, b"\xc3\xa9vil.example")]), not_ascii);
    let origins = [
        (HOST, &b"localhost"[..]),
        (ORIGIN, b"http://localhost"),
        (ORIGIN, b"http://evil.example"),
    ];
    let several = Err("origin not allowed: several `Origin` headers".to_owned());
    assert_eq!(refused(&origins), several);
    assert_eq!(
        refused(&[(HOST, b"localhost"), (ORIGIN, b"http://localhost")]),
        Ok(())
    );
}

#[test]
fn a_host_in_the_request_target_is_checked_too() {
    let o = HttpOptions::default();
    let check = |uri: &'static str, host: Option<&'static str>| {
        let h = headers(&host.map(|h| ("host", h)).into_iter().collect::<Vec<_>>());
        super::check_host_and_origin(&o, &Uri::from_static(uri), &h)
    };
    // HTTP/2 has no `Host`: its `:authority` is the target's.
    assert_eq!(check("http://localhost:9/mcp", None), Ok(()));
    let evil = Err(Refusal::NotAllowed(
        "host not allowed: evil.example:9".into(),
    ));
    assert_eq!(check("http://evil.example:9/mcp", None), evil);
    assert_eq!(check("http://evil.example:9/mcp", Some("localhost")), evil);
    let evil = Err(Refusal::NotAllowed("host not allowed: evil.example".into()));
    assert_eq!(check("http://localhost/mcp", Some("evil.example")), evil);
}

use proptest::prelude::*;

fn only(host: &str) -> HttpOptions {
    HttpOptions {
        allowed_hosts: vec![host.to_owned()],
        allowed_origins: vec![host.to_owned()],
        ..HttpOptions::default()
    }
}

fn owned(pairs: &[(HeaderName, String)]) -> HeaderMap {
    pairs
        .iter()
        .map(|(n, v)| (n.clone(), HeaderValue::from_str(v).unwrap()))
        .collect()
}

fn name() -> impl Strategy<Value = String> {
    "[a-z0-9]([a-z0-9.-]{0,18}[a-z0-9])?"
}

proptest! {
    #[test]
    fn an_allowed_host_is_allowed_on_any_port(
        host in name(),
        port in any::<u16>(),
        upper in any::<bool>(),
        scheme in "https?",
    ) {
        let sent = if upper { host.to_ascii_uppercase() } else { host.clone() };
        for (authority, origin) in [
            (format!("{sent}:{port}"), format!("{scheme}://{sent}:{port}")),
            (sent.clone(), format!("{scheme}://{sent}/")),
        ] {
            let h = owned(&[(HOST, authority), (ORIGIN, origin)]);
            prop_assert_eq!(check_host_and_origin(&only(&host), &h), Ok(()));
        }
    }

    #[test]
    fn a_host_not_listed_is_rejected(host in name(), other in name(), port in any::<u16>()) {
        prop_assume!(!host.eq_ignore_ascii_case(&other));
        let o = only(&host);
        for sent in [format!("{other}:{port}"), other.clone(), format!("[{other}]:{port}")] {
            let h = owned(&[(HOST, sent.clone())]);
            prop_assert_eq!(check_host_and_origin(&o, &h), Err(format!("host not allowed: {sent}")));
        }
        let origin = format!("http://{other}:{port}");
        let h = owned(&[(HOST, host.clone()), (ORIGIN, origin.clone())]);
        prop_assert_eq!(check_host_and_origin(&o, &h), Err(format!("origin not allowed: {origin}")));
    }

    // With the default loopback list, whatever passes names a loopback host, and only it.
    #[test]
    fn arbitrary_headers_pass_only_for_loopback_names(
        host in prop_oneof![
            "(localhost|127\\.0\\.0\\.1|\\[::1\\]|::1|evil\\.example)(:[0-9]{0,5})?[a-z.:@\\]\\[]{0,4}",
            any::<String>(),
        ],
        origin in prop_oneof!["https?://[a-z0-9.:@\\]\\[/]{0,16}", any::<String>()],
    ) {
        let loopback = |authority: &str| {
            let authority = authority.to_ascii_lowercase();
            let host = ["localhost", "127.0.0.1", "[::1]", "::1"]
                .into_iter()
                .find_map(|name| authority.strip_prefix(name));
            host.is_some_and(|port| port.is_empty() || port.strip_prefix(':').is_some_and(|p| p.bytes().all(|b| b.is_ascii_digit())))
        };
        let o = HttpOptions::default();
        if let Ok(value) = HeaderValue::from_str(&host) {
            let passed = check_host_and_origin(&o, &[(HOST, value)].into_iter().collect()).is_ok();
            prop_assert!(!passed || loopback(&host), "{} passed", host);
        }
        if let Ok(value) = HeaderValue::from_str(&origin) {
            let passed = check_host_and_origin(&o, &[(ORIGIN, value)].into_iter().collect()).is_ok();
            let authority = origin.split_once("://").map(|(_, a)| a.trim_end_matches('/'));
            prop_assert!(!passed || authority.is_some_and(loopback), "{} passed", origin);
        }
    }
}
