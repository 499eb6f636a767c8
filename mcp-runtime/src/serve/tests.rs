use super::*;
use crate::test_support::Demo;

/// Parses as `serve()` does, with no `MCP_*` variable of the test process in the way.
fn parse(args: &[&str]) -> std::result::Result<Options, clap::Error> {
    let argv = std::iter::once("demo").chain(args.iter().copied());
    parse_flags::<Demo>(argv.map(Into::into)).map(Options::from)
}

fn problem(args: &[&str]) -> String {
    parse(args).unwrap_err().to_string()
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
    assert!(problem(&["--bogus"]).contains("unexpected argument '--bogus'"));
    assert!(problem(&["--http"]).contains("a value is required for '--http <ADDR>'"));
    assert!(problem(&["--path", "mcp"]).contains("the path must start with `/`"));
    assert!(problem(&["--stdio", "--http", "127.0.0.1:1"]).contains("cannot be used with"));
    assert_eq!(
        parse(&["--allow-host", "example.com", "--allow-host", "b,c"])
            .unwrap()
            .allowed_hosts,
        ["example.com", "b", "c"]
    );
    assert!(parse(&["--dev"]).unwrap().dev);
}

/// The flags' defaults are `Options::default()`: one program configured by flags and one by
/// code behave the same.
#[test]
fn defaults_agree() {
    let (flags, code) = (parse(&[]).unwrap(), Options::default());
    assert_eq!(format!("{flags:?}"), format!("{code:?}"));
}

#[test]
fn help_and_version_name_the_server() {
    let help = parse(&["--help"]).unwrap_err();
    assert_eq!(help.kind(), clap::error::ErrorKind::DisplayHelp);
    assert_eq!(help.exit_code(), 0);
    let help = help.to_string();
    assert!(help.contains("Usage: demo [OPTIONS]"), "{help}");
    assert!(help.contains("[env: MCP_HTTP=]"), "{help}");
    assert!(help.contains("[default: 1800]"), "{help}");
    let version = parse(&["--version"]).unwrap_err();
    assert_eq!(version.kind(), clap::error::ErrorKind::DisplayVersion);
    assert_eq!(version.to_string(), "demo 1.2.3\n");
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
    for (bad, says) in [
        (&["--max-connections", "0"][..], "must be at least 1"),
        (
            &["--idle-timeout=-1"],
            "expected a number of seconds, 0 or more",
        ),
        (
            &["--header-timeout", "soon"],
            "expected a number of seconds",
        ),
    ] {
        let problem = problem(bad);
        assert!(problem.contains(says), "{bad:?}: {problem}");
    }
}
