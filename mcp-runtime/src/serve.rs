//! The ready-to-run binary behind `serve()`: flags, transports, shutdown.

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use std::sync::Arc;

use crate::server::Server;
use crate::server::dispatch::Dispatcher;
use crate::session::resolve::Sessions;
use crate::session::{MemoryStore, SessionMap, SessionStore};
use crate::transport::accept::Limits;
use crate::transport::http::HttpOptions;
use crate::transport::{Closing, WireLog};
use crate::{Error, Result};

const USAGE: &str = "\
usage: [--stdio | --http ADDR] [options]

  --stdio                serve newline-delimited JSON-RPC on stdin/stdout (the default)
  --http ADDR            serve streamable HTTP on ADDR, e.g. 127.0.0.1:8080 (port 0 picks one)
  --path PATH            the HTTP endpoint's path (default /mcp)
  --session-idle SECS    end legacy sessions idle this long (default 1800)
  --session-retention SECS
                         keep expired sessions' records this long for the re-initialization
                         policy (default 86400)
  --max-retained N       keep at most N expired sessions' records in memory, the oldest dropped
                         first (default 100000; the memory store only)
  --max-sessions N       refuse new sessions (503) beyond N live ones (default 1000000)
  --store URL            where sessions are kept: memory (default) or redis://host:port/db
  --page-size N          items per page of tools/list, prompts/list, ... (default 100)
  --max-body BYTES       the largest request body, and the longest stdio line (default 4194304)
  --header-timeout SECS  close an HTTP connection that takes longer to send a request's headers
                         (default 10; after an idle wait, counted from when the idle clock
                         last looked, so at most the idle timeout later)
  --idle-timeout SECS    close an HTTP connection with no request in flight this long, checked
                         once per timeout (so within twice that); an open SSE stream is a
                         request in flight (default 30)
  --max-connections N    serve at most N HTTP connections at once; more wait to be accepted
                         (default 1024; keep it below the open-file limit)
  --shutdown-grace SECS  on SIGTERM or Ctrl-C, end open streams, let calls in flight finish for
                         up to SECS, then close what is left and exit (default 10)
  --allow-host HOST      accept this Host name, repeatable; * accepts any (default: loopback names)
  --allow-origin ORIGIN  accept this Origin, repeatable; * accepts any (default: loopback names)
  --wire-log FILE        append every message the server sends to FILE, one JSON line each
  -h, --help             print this help";

/// Which transport to serve.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Transport {
    /// stdin and stdout.
    Stdio,
    /// Streamable HTTP on this address.
    Http(SocketAddr),
}

/// Everything `serve()` can be told on the command line, and a store of your own.
///
/// ```
/// use std::time::Duration;
/// use mcp_runtime::{Options, Transport};
///
/// let options = Options {
///     transport: Transport::Http("127.0.0.1:8080".parse().unwrap()),
///     session_idle: Duration::from_secs(600),
///     ..Options::default()
/// };
/// assert_eq!(options.path, "/mcp");
/// ```
#[derive(Clone, Debug)]
pub struct Options {
    /// The transport.
    pub transport: Transport,
    /// The HTTP endpoint's path, e.g. `/mcp`.
    pub path: String,
    /// Host names (without port) accepted in `Host`; `*` accepts any. Guards against DNS
    /// rebinding. Default: the loopback names.
    pub allowed_hosts: Vec<String>,
    /// Origins accepted in `Origin` (`scheme://host[:port]`, or a bare host name that matches
    /// any scheme and port); `*` accepts any. Requests without `Origin` are accepted.
    pub allowed_origins: Vec<String>,
    /// The largest HTTP request body, in bytes; larger ones get 413. On stdio, the longest
    /// line; a longer one is answered with an error and skipped.
    pub max_body: usize,
    /// How long an HTTP client may take to send a request's headers, counted from the
    /// connection, or from the first byte of a request after an idle wait; then the connection
    /// is closed (default 10 s).
    pub header_timeout: Duration,
    /// How long an HTTP connection may stay open with no request in flight (default 30 s). A
    /// response still streaming (an SSE stream, even one that only carries keep-alives) is in
    /// flight.
    pub idle_timeout: Duration,
    /// The most HTTP connections served at once (default 1024). Beyond it, new connections
    /// wait in the listen backlog until one closes, so the process never holds more sockets
    /// than this; keep it below the open-file limit.
    pub max_connections: usize,
    /// How long shutdown (SIGTERM, Ctrl-C) waits for calls in flight once it has stopped
    /// accepting and ended every open stream; then the connections left are closed and the
    /// process exits (default 10 s).
    pub shutdown_grace: Duration,
    /// How long a legacy session may stay idle.
    pub session_idle: Duration,
    /// How long an expired session's record is retained for the re-initialization policy.
    pub session_retention: Duration,
    /// The most expired sessions' records the memory store retains; the oldest go first.
    pub max_retained: usize,
    /// The most live sessions; `initialize` beyond it gets 503.
    pub max_sessions: usize,
    /// The session store: `memory`, or a `redis://` URL (feature `redis`).
    pub store: String,
    /// A session store of your own, used instead of [`store`](Self::store).
    pub session_store: Option<Arc<dyn SessionStore>>,
    /// How many items a page of `tools/list`, `prompts/list`, ... holds.
    pub page_size: usize,
    /// Where to record every message sent, if anywhere.
    pub wire_log: Option<PathBuf>,
}

impl Default for Options {
    fn default() -> Self {
        let http = HttpOptions::default();
        Self {
            transport: Transport::Stdio,
            path: http.path,
            allowed_hosts: http.allowed_hosts,
            allowed_origins: http.allowed_origins,
            max_body: http.max_body,
            header_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(30),
            max_connections: 1024,
            shutdown_grace: Duration::from_secs(10),
            session_idle: Duration::from_secs(1800),
            session_retention: Duration::from_secs(24 * 3600),
            max_retained: MemoryStore::DEFAULT_MAX_RETAINED,
            max_sessions: 1_000_000,
            store: "memory".into(),
            session_store: None,
            page_size: 100,
            wire_log: None,
        }
    }
}

impl Options {
    /// Parses flags (without the program name). `Err(None)` asks for the help text.
    pub fn parse(
        args: impl IntoIterator<Item = String>,
    ) -> std::result::Result<Self, Option<String>> {
        let mut options = Self::default();
        let (mut hosts, mut origins) = (Vec::new(), Vec::new());
        let mut args = args.into_iter();
        while let Some(flag) = args.next() {
            let mut value = || {
                args.next()
                    .ok_or_else(|| Some(format!("`{flag}` needs a value")))
            };
            match flag.as_str() {
                "-h" | "--help" => return Err(None),
                "--stdio" => options.transport = Transport::Stdio,
                "--http" => options.transport = Transport::Http(parse_value(&flag, &value()?)?),
                "--path" => options.path = parse_path(value()?)?,
                "--session-idle" => {
                    options.session_idle = Duration::from_secs(parse_value(&flag, &value()?)?)
                }
                "--max-body" => options.max_body = parse_value(&flag, &value()?)?,
                "--header-timeout" => options.header_timeout = parse_secs(&flag, &value()?)?,
                "--idle-timeout" => options.idle_timeout = parse_secs(&flag, &value()?)?,
                "--max-connections" => {
                    options.max_connections = parse_value(&flag, &value()?)?;
                    if options.max_connections == 0 {
                        return Err(Some("`--max-connections` must be at least 1".into()));
                    }
                }
                "--shutdown-grace" => options.shutdown_grace = parse_secs(&flag, &value()?)?,
                "--session-retention" => {
                    options.session_retention = Duration::from_secs(parse_value(&flag, &value()?)?)
                }
                "--max-sessions" => options.max_sessions = parse_value(&flag, &value()?)?,
                "--max-retained" => options.max_retained = parse_value(&flag, &value()?)?,
                "--store" => options.store = value()?,
                "--page-size" => options.page_size = parse_value(&flag, &value()?)?,
                "--allow-host" => hosts.push(value()?),
                "--allow-origin" => origins.push(value()?),
                "--wire-log" => options.wire_log = Some(PathBuf::from(value()?)),
                other => return Err(Some(format!("unknown flag `{other}`"))),
            }
        }
        if !hosts.is_empty() {
            options.allowed_hosts = hosts;
        }
        if !origins.is_empty() {
            options.allowed_origins = origins;
        }
        Ok(options)
    }

    fn limits(&self) -> Limits {
        Limits {
            header_timeout: self.header_timeout,
            idle_timeout: self.idle_timeout,
            max_connections: self.max_connections.max(1),
            shutdown_grace: self.shutdown_grace,
        }
    }

    fn http(&self) -> HttpOptions {
        HttpOptions {
            path: self.path.clone(),
            allowed_hosts: self.allowed_hosts.clone(),
            allowed_origins: self.allowed_origins.clone(),
            max_body: self.max_body,
        }
    }
}

fn parse_value<T: std::str::FromStr>(
    flag: &str,
    value: &str,
) -> std::result::Result<T, Option<String>>
where
    T::Err: std::fmt::Display,
{
    value
        .parse()
        .map_err(|e| Some(format!("invalid value `{value}` for `{flag}`: {e}")))
}

/// Seconds, whole or not (`0.5`).
fn parse_secs(flag: &str, value: &str) -> std::result::Result<Duration, Option<String>> {
    let secs: f64 = parse_value(flag, value)?;
    Duration::try_from_secs_f64(secs)
        .map_err(|e| Some(format!("invalid value `{value}` for `{flag}`: {e}")))
}

fn parse_path(path: String) -> std::result::Result<String, Option<String>> {
    if path.starts_with('/') {
        Ok(path)
    } else {
        Err(Some(format!("`--path` must start with `/`, got `{path}`")))
    }
}

/// Serving a server: `MyServer.serve().await` in `main`.
pub trait Serve: Server {
    /// Parses the process's flags and serves until stdin closes (stdio) or a shutdown signal
    /// arrives (HTTP). Errors and usage go to stderr; the exit code says how it went.
    fn serve(self) -> impl Future<Output = ExitCode> + Send {
        self.serve_layered(|router| router)
    }

    /// Like [`serve`](Self::serve), with the HTTP router wrapped by `wrap` first: mount your
    /// own tower layers (authentication, tracing, ...) in front of MCP. An authentication
    /// layer inserts a [`Principal`](crate::Principal) into the request's extensions.
    fn serve_layered<F>(self, wrap: F) -> impl Future<Output = ExitCode> + Send
    where
        F: FnOnce(axum::Router) -> axum::Router + Send,
    {
        async move {
            let options = match Options::parse(std::env::args().skip(1)) {
                Ok(options) => options,
                Err(None) => {
                    eprintln!("{USAGE}");
                    return ExitCode::SUCCESS;
                }
                Err(Some(problem)) => {
                    eprintln!("error: {problem}\n\n{USAGE}");
                    return ExitCode::from(2);
                }
            };
            install_tracing();
            match self.serve_with(options, wrap).await {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("error: {e}");
                    ExitCode::FAILURE
                }
            }
        }
    }

    /// Serves with explicit options; `wrap` as in [`serve_layered`](Self::serve_layered).
    fn serve_with<F>(self, options: Options, wrap: F) -> impl Future<Output = Result<()>> + Send
    where
        F: FnOnce(axum::Router) -> axum::Router + Send,
    {
        async move {
            let (dispatcher, wire) = start(self, &options).await?;
            match options.transport {
                Transport::Stdio => {
                    crate::transport::stdio::serve(dispatcher, options.max_body, wire)
                        .await
                        .map_err(Error::Io)
                }
                Transport::Http(addr) => serve_http(dispatcher, addr, options, wire, wrap).await,
            }
        }
    }
}

impl<S: Server> Serve for S {}

/// The axum router that serves `server` at `options.path`, to mount in an application of
/// your own (behind your own layers, such as authentication). Call it inside a Tokio runtime:
/// it starts the task that expires idle sessions. The connection limits of `options` (header
/// and idle timeouts, the connection cap, the shutdown grace period) belong to `serve`'s own
/// accept loop: an application that serves this router sets its own.
pub async fn router<S: Server>(server: S, options: &Options) -> Result<axum::Router> {
    let (dispatcher, wire) = start(server, options).await?;
    tokio::spawn(sweep(dispatcher, options.session_idle));
    Ok(crate::transport::http::router(
        dispatcher,
        options.http(),
        wire,
        Closing::default(),
    ))
}

pub(crate) type Started<S> = (&'static Dispatcher<S>, Option<&'static WireLog>);

/// The dispatcher lives as long as the process; leaking it makes every call future `'static`
/// without reference counting on the request path.
pub(crate) async fn start<S: Server>(server: S, options: &Options) -> Result<Started<S>> {
    let wire = match &options.wire_log {
        Some(path) => Some(&*Box::leak(Box::new(WireLog::open(path)?))),
        None => None,
    };
    let store = open_store(options).await?;
    // Before any key is derived: ids and sealed states must verify on every process that
    // shares the store.
    if let Some(shared) = store.shared_secret().await?
        && !crate::secret::adopt(shared)
    {
        tracing::debug!("the deployment secret was already chosen; the store's is not adopted");
    }
    let map = SessionMap::new(options.session_idle, options.max_sessions);
    let sessions = Sessions::new(map, store);
    let dispatcher: &'static Dispatcher<S> = Box::leak(Box::new(Dispatcher::new(
        server,
        sessions,
        options.page_size,
    )));
    Ok((dispatcher, wire))
}

async fn open_store(options: &Options) -> Result<&'static dyn SessionStore> {
    if let Some(store) = &options.session_store {
        return Ok(&**Box::leak(Box::new(store.clone())));
    }
    let store: Box<dyn SessionStore> = match options.store.as_str() {
        "memory" => Box::new(MemoryStore::bounded(
            options.session_retention,
            options.max_retained,
        )),
        #[cfg(feature = "redis")]
        url if url.starts_with("redis://") || url.starts_with("rediss://") => Box::new(
            crate::session::RedisStore::connect(
                url,
                options.session_idle,
                options.session_retention,
            )
            .await?,
        ),
        #[cfg(not(feature = "redis"))]
        url if url.starts_with("redis://") || url.starts_with("rediss://") => {
            return Err(Error::Config(format!(
                "`--store {url}` needs the `redis` feature of mcp-runtime"
            )));
        }
        other => {
            return Err(Error::Config(format!(
                "unknown session store `{other}`; expected `memory` or a `redis://` URL"
            )));
        }
    };
    Ok(Box::leak(store))
}

async fn serve_http<S: Server, F>(
    dispatcher: &'static Dispatcher<S>,
    addr: SocketAddr,
    options: Options,
    wire: Option<&'static WireLog>,
    wrap: F,
) -> Result<()>
where
    F: FnOnce(axum::Router) -> axum::Router,
{
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| Error::Bind { addr, source })?;
    let local = listener.local_addr()?;
    let signal = shutdown()?;
    let desc = S::description();
    eprintln!(
        "{} {} serving MCP at http://{local}{}",
        desc.name, desc.version, options.path
    );
    tokio::spawn(sweep(dispatcher, options.session_idle));
    let closing = Closing::new();
    let router = wrap(crate::transport::http::router(
        dispatcher,
        options.http(),
        wire,
        closing.clone(),
    ));
    crate::transport::accept::serve(listener, router, options.limits(), closing, signal).await;
    Ok(())
}

/// Expires idle sessions: one task for all of them, waking a few times per timeout.
async fn sweep<S: Server>(dispatcher: &'static Dispatcher<S>, idle: Duration) {
    let period = (idle / 4).clamp(Duration::from_millis(250), Duration::from_secs(30));
    let mut tick = tokio::time::interval(period);
    loop {
        tick.tick().await;
        let removed = dispatcher.sessions.sweep().await;
        if removed > 0 {
            tracing::debug!(removed, "expired idle sessions");
        }
    }
}

/// Resolves on SIGTERM or Ctrl-C. The handlers are installed at once, not when first polled,
/// so that a signal sent as soon as the server announces itself is not fatal.
/// The subscriber `serve()` installs when the program has set none, so that an operator sees
/// what the runtime logs (store errors, panics in handlers): text on stderr (stdout may be the
/// protocol), levels from `RUST_LOG` as `target=level` directives (`warn`, `mcp_runtime=debug`),
/// `mcp_runtime` at `info` and everything else at `warn` without it.
fn install_tracing() {
    use tracing_subscriber::filter::Targets;
    use tracing_subscriber::layer::SubscriberExt;
    if tracing::dispatcher::has_been_set() {
        return;
    }
    let quiet = || {
        Targets::new()
            .with_default(tracing::Level::WARN)
            .with_target("mcp_runtime", tracing::Level::INFO)
    };
    let filter = match std::env::var("RUST_LOG") {
        Ok(directives) => directives.parse().unwrap_or_else(|e| {
            eprintln!(
                "warning: RUST_LOG={directives} is not understood ({e}); using the default levels"
            );
            quiet()
        }),
        Err(_) => quiet(),
    };
    let subscriber = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .finish()
        .with(filter);
    let _ = tracing::subscriber::set_global_default(subscriber);
}

fn shutdown() -> std::io::Result<impl Future<Output = ()>> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = signal(SignalKind::terminate())?;
        let mut int = signal(SignalKind::interrupt())?;
        Ok(async move {
            tokio::select! { _ = term.recv() => {}, _ = int.recv() => {} }
        })
    }
    #[cfg(not(unix))]
    Ok(async {
        let _ = tokio::signal::ctrl_c().await;
    })
}

#[cfg(test)]
mod tests;
