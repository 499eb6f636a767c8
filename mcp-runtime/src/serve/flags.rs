//! The serving flags: a `clap` argument group that `serve()` parses on its own and that a
//! program of your own flattens into its `Parser`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use super::{Options, Transport};

/// The flags `serve()` understands, each also read from an `MCP_*` environment variable.
///
/// `serve()` parses them with no code. A program with flags of its own flattens them into its
/// `Parser` and hands them to [`Serve::serve_flags`](super::Serve::serve_flags):
///
/// ```
/// use clap::Parser;
/// use mcp_runtime::ServeFlags;
///
/// /// A notes server.
/// #[derive(Parser)]
/// #[command(version)]
/// struct Cli {
///     /// Where the notes live.
///     #[arg(long, env = "NOTES_DIR", default_value = "notes")]
///     notes: std::path::PathBuf,
///     #[command(flatten)]
///     serve: ServeFlags,
/// }
///
/// let cli = Cli::parse_from(["notes", "--http", "127.0.0.1:8080", "--notes", "/tmp/n"]);
/// let options = mcp_runtime::Options::from(cli.serve);
/// assert_eq!(options.transport, mcp_runtime::Transport::Http("127.0.0.1:8080".parse().unwrap()));
/// assert_eq!(cli.notes, std::path::PathBuf::from("/tmp/n"));
/// ```
#[derive(clap::Args, Clone, Debug)]
#[command(next_help_heading = "Serving MCP", about = None, long_about = None)]
pub struct ServeFlags {
    /// Serve newline-delimited JSON-RPC on stdin/stdout (the default).
    #[arg(long, env = "MCP_STDIO", conflicts_with = "http")]
    pub stdio: bool,

    /// Serve streamable HTTP on this address, e.g. 127.0.0.1:8080 (port 0 picks one).
    #[arg(long, env = "MCP_HTTP", value_name = "ADDR")]
    pub http: Option<SocketAddr>,

    /// The HTTP endpoint's path.
    #[arg(long, env = "MCP_PATH", default_value = "/mcp", value_parser = endpoint_path)]
    pub path: String,

    /// Where sessions are kept: `memory`, or `redis://host:port/db` (feature `redis`).
    #[arg(long, env = "MCP_STORE", value_name = "URL", default_value = "memory")]
    pub store: String,

    /// Fail a session-store operation (Redis) that takes longer than this many seconds: the
    /// request gets 503 with Retry-After instead of waiting for the store.
    #[arg(long, env = "MCP_STORE_TIMEOUT", value_name = "SECS", default_value = "1", value_parser = secs)]
    pub store_timeout: Duration,

    /// End legacy sessions idle this many seconds.
    #[arg(long, env = "MCP_SESSION_IDLE", value_name = "SECS", default_value = "1800", value_parser = whole_secs)]
    pub session_idle: Duration,

    /// Keep expired sessions' records this many seconds for the re-initialization policy.
    #[arg(long, env = "MCP_SESSION_RETENTION", value_name = "SECS", default_value = "86400", value_parser = whole_secs)]
    pub session_retention: Duration,

    /// Keep at most this many expired sessions' records in memory, the oldest dropped first
    /// (the memory store only).
    #[arg(long, env = "MCP_MAX_RETAINED", value_name = "N", default_value_t = crate::session::MemoryStore::DEFAULT_MAX_RETAINED)]
    pub max_retained: usize,

    /// Refuse new sessions (503) beyond this many live ones.
    #[arg(
        long,
        env = "MCP_MAX_SESSIONS",
        value_name = "N",
        default_value_t = 1_000_000
    )]
    pub max_sessions: usize,

    /// Items per page of tools/list, prompts/list, resources/list, ...
    #[arg(long, env = "MCP_PAGE_SIZE", value_name = "N", default_value_t = 100, value_parser = at_least_one)]
    pub page_size: usize,

    /// The largest request body in bytes, and the longest stdio line.
    #[arg(long, env = "MCP_MAX_BODY", value_name = "BYTES", default_value_t = 4 * 1024 * 1024)]
    pub max_body: usize,

    /// Close an HTTP connection that takes longer than this many seconds to send a request's
    /// headers (after an idle wait, counted from when the idle clock last looked).
    #[arg(long, env = "MCP_HEADER_TIMEOUT", value_name = "SECS", default_value = "10", value_parser = secs)]
    pub header_timeout: Duration,

    /// Close an HTTP connection with no request in flight this many seconds, checked once per
    /// timeout (so within twice that); an open SSE stream is a request in flight.
    #[arg(long, env = "MCP_IDLE_TIMEOUT", value_name = "SECS", default_value = "30", value_parser = secs)]
    pub idle_timeout: Duration,

    /// Serve at most this many HTTP connections at once; more wait to be accepted (keep it
    /// below the open-file limit).
    #[arg(long, env = "MCP_MAX_CONNECTIONS", value_name = "N", default_value_t = 1024, value_parser = at_least_one)]
    pub max_connections: usize,

    /// On SIGTERM or Ctrl-C, end open streams, let calls in flight finish for up to this many
    /// seconds, then close what is left and exit.
    #[arg(long, env = "MCP_SHUTDOWN_GRACE", value_name = "SECS", default_value = "10", value_parser = secs)]
    pub shutdown_grace: Duration,

    /// Accept this Host name (repeatable, or comma-separated); `*` accepts any. Default: the
    /// loopback names.
    #[arg(
        long = "allow-host",
        env = "MCP_ALLOW_HOST",
        value_name = "HOST",
        value_delimiter = ','
    )]
    pub allowed_hosts: Vec<String>,

    /// Accept this Origin (repeatable, or comma-separated); `*` accepts any. Default: the
    /// loopback names.
    #[arg(
        long = "allow-origin",
        env = "MCP_ALLOW_ORIGIN",
        value_name = "ORIGIN",
        value_delimiter = ','
    )]
    pub allowed_origins: Vec<String>,

    /// Serve a page at `GET /` that lists the tools, resources and prompts and calls tools
    /// from a form. For development only: never turn it on in production.
    #[arg(long, env = "MCP_DEV")]
    pub dev: bool,

    /// Not a flag: the program's own layer authenticates every HTTP request (see
    /// [`Options::external_auth`]).
    #[arg(skip)]
    pub external_auth: bool,

    /// Accept these API keys as `Authorization: Bearer <key>`, comma-separated: `name=key`, or
    /// `name(scope scope..)=key` to grant OAuth scopes. Prefer the environment variable: a
    /// command line is visible to every user of the machine
    #[arg(
        long,
        env = "MCP_API_KEYS",
        value_name = "KEYS",
        hide_env_values = true
    )]
    pub api_keys: Option<crate::auth::Secret>,

    /// Accept OAuth access tokens (JWTs) issued by this authorization server, e.g.
    /// `https://auth.example.com`: its metadata and keys are fetched at start-up (feature `oauth`)
    #[cfg(feature = "oauth")]
    #[arg(
        long,
        env = "MCP_OAUTH_ISSUER",
        value_name = "URL",
        requires = "public_url",
        conflicts_with = "api_keys"
    )]
    pub oauth_issuer: Option<String>,

    /// This server's public URL, e.g. `https://mcp.example.com/mcp`: the audience tokens must
    /// name, and where the protected resource metadata says the resource is
    #[cfg(feature = "oauth")]
    #[arg(long, env = "MCP_PUBLIC_URL", value_name = "URL")]
    pub public_url: Option<String>,

    /// Where opaque access tokens are checked (RFC 7662), when the issuer's metadata does not
    /// name its `introspection_endpoint`
    #[cfg(feature = "oauth")]
    #[arg(long, env = "MCP_OAUTH_INTROSPECTION", value_name = "URL")]
    pub oauth_introspection: Option<String>,

    /// The audience tokens must name, when it is not the public URL
    #[cfg(feature = "oauth")]
    #[arg(long, env = "MCP_OAUTH_AUDIENCE", value_name = "AUDIENCE")]
    pub oauth_audience: Option<String>,

    /// This server's client id at the authorization server, sent with its secret (HTTP Basic)
    /// to the introspection endpoint, which usually requires them
    #[cfg(feature = "oauth")]
    #[arg(
        long,
        env = "MCP_OAUTH_CLIENT_ID",
        value_name = "ID",
        requires = "oauth_client_secret"
    )]
    pub oauth_client_id: Option<String>,

    /// The client secret that goes with `--oauth-client-id`. Prefer the environment variable: a
    /// command line is visible to every user of the machine
    #[cfg(feature = "oauth")]
    #[arg(
        long,
        env = "MCP_OAUTH_CLIENT_SECRET",
        value_name = "SECRET",
        hide_env_values = true,
        requires = "oauth_client_id"
    )]
    pub oauth_client_secret: Option<crate::auth::Secret>,

    /// Log lines as text or as JSON objects, on stderr; levels come from `RUST_LOG`.
    #[arg(
        long,
        env = "MCP_LOG_FORMAT",
        value_name = "FORMAT",
        default_value = "text"
    )]
    pub log_format: LogFormat,

    /// Send the `tracing` events of the server's crate, emitted while a tool runs, to the
    /// calling client as MCP log messages, at the level it asked for.
    #[arg(long, env = "MCP_LOG_TO_CLIENT")]
    pub log_to_client: bool,

    /// Append every message the server sends to this file, one JSON line each.
    #[arg(long, env = "MCP_WIRE_LOG", value_name = "FILE")]
    pub wire_log: Option<PathBuf>,
}

/// How the subscriber `serve()` installs writes its lines.
#[derive(clap::ValueEnum, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LogFormat {
    /// One line of text per event.
    #[default]
    Text,
    /// One JSON object per event, with the fields of its spans.
    Json,
}

impl From<ServeFlags> for Options {
    fn from(flags: ServeFlags) -> Self {
        let defaults = Options::default();
        let or_default = |given: Vec<String>, default: Vec<String>| {
            if given.is_empty() { default } else { given }
        };
        Options {
            transport: match flags.http {
                Some(addr) if !flags.stdio => Transport::Http(addr),
                _ => Transport::Stdio,
            },
            path: flags.path,
            allowed_hosts: or_default(flags.allowed_hosts, defaults.allowed_hosts),
            allowed_origins: or_default(flags.allowed_origins, defaults.allowed_origins),
            max_body: flags.max_body,
            header_timeout: flags.header_timeout,
            idle_timeout: flags.idle_timeout,
            max_connections: flags.max_connections,
            shutdown_grace: flags.shutdown_grace,
            session_idle: flags.session_idle,
            session_retention: flags.session_retention,
            max_retained: flags.max_retained,
            max_sessions: flags.max_sessions,
            store: flags.store,
            store_timeout: flags.store_timeout,
            session_store: None,
            page_size: flags.page_size,
            wire_log: flags.wire_log,
            dev: flags.dev,
            api_keys: flags
                .api_keys
                .map(|keys| crate::auth::ApiKeys::parse(keys.expose())),
            external_auth: flags.external_auth,
            #[cfg(feature = "oauth")]
            oauth: flags.oauth_issuer.map(|issuer| crate::OAuthOptions {
                issuer,
                public_url: flags.public_url.unwrap_or_default(),
                audience: flags.oauth_audience,
                introspection: flags.oauth_introspection,
                client: flags.oauth_client_id.zip(flags.oauth_client_secret),
            }),
        }
    }
}

fn endpoint_path(path: &str) -> Result<String, String> {
    if path.starts_with('/') {
        Ok(path.to_owned())
    } else {
        Err("the path must start with `/`".into())
    }
}

/// Seconds, whole or not (`0.5`).
fn secs(value: &str) -> Result<Duration, String> {
    let secs: f64 = value
        .parse()
        .map_err(|_| "expected a number of seconds".to_owned())?;
    Duration::try_from_secs_f64(secs).map_err(|_| "expected a number of seconds, 0 or more".into())
}

fn whole_secs(value: &str) -> Result<Duration, String> {
    value
        .parse()
        .map(Duration::from_secs)
        .map_err(|_| "expected a whole number of seconds".into())
}

fn at_least_one(value: &str) -> Result<usize, String> {
    match value.parse() {
        Ok(0) => Err("must be at least 1".into()),
        Ok(n) => Ok(n),
        Err(_) => Err("expected a whole number".into()),
    }
}
