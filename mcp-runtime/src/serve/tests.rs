use super::*;

fn parse(args: &[&str]) -> std::result::Result<Options, Option<String>> {
    Options::parse(args.iter().map(|s| s.to_string()))
}

#[test]
fn flags() {
    let o = parse(&[
        "--http",
        "127.0.0.1:9000",
        "--path",
        "/x",
        "--session-idle",
        "5",
    ])
    .unwrap();
    assert_eq!(
        o.transport,
        Transport::Http("127.0.0.1:9000".parse().unwrap())
    );
    assert_eq!(o.path, "/x");
    assert_eq!(o.session_idle, Duration::from_secs(5));
    assert_eq!(parse(&[]).unwrap().transport, Transport::Stdio);
    assert!(parse(&["--help"]).unwrap_err().is_none());
    assert_eq!(
        parse(&["--bogus"]).unwrap_err().unwrap(),
        "unknown flag `--bogus`"
    );
    assert!(
        parse(&["--http"])
            .unwrap_err()
            .unwrap()
            .contains("needs a value")
    );
    assert!(parse(&["--path", "mcp"]).is_err());
    assert_eq!(
        parse(&["--allow-host", "example.com"])
            .unwrap()
            .allowed_hosts,
        ["example.com"]
    );
}

#[test]
fn connection_limits() {
    let d = Options::default();
    assert_eq!(
        (d.header_timeout, d.idle_timeout, d.max_connections),
        (Duration::from_secs(10), Duration::from_secs(30), 1024)
    );
    assert_eq!(d.shutdown_grace, Duration::from_secs(10));
    let o = parse(&[
        "--header-timeout",
        "2",
        "--idle-timeout",
        "0.5",
        "--max-connections",
        "7",
        "--shutdown-grace",
        "3",
    ])
    .unwrap();
    assert_eq!(o.header_timeout, Duration::from_secs(2));
    assert_eq!(o.idle_timeout, Duration::from_millis(500));
    assert_eq!(o.max_connections, 7);
    assert_eq!(o.shutdown_grace, Duration::from_secs(3));
    for bad in [
        &["--max-connections", "0"][..],
        &["--idle-timeout", "-1"],
        &["--header-timeout", "soon"],
    ] {
        assert!(parse(bad).is_err(), "{bad:?}");
    }
}
