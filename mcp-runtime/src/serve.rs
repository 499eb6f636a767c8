//! The ready-to-run binary behind `serve()`: flags, transports, shutdown.

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use std::sync::Arc;

use crate::server::dispatch::Dispatcher;
use crate::server::{Server, bridge};
use crate::session::resolve::Sessions;
use crate::session::{MemoryStore, SessionMap, SessionStore};
use crate::transport::accept::Limits;
use crate::transport::http::HttpOptions;
use crate::transport::{Closing, WireLog};
use crate::{Error, Result};

mod flags;

pub use flags::{LogFormat, ServeFlags};

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
    /// How long one operation of the Redis store may take, reconnection included, before the
    /// request that needs it gets 503 with `Retry-After` (default 1 s).
    pub store_timeout: Duration,
    /// A session store of your own, used instead of [`store`](Self::store).
    pub session_store: Option<Arc<dyn SessionStore>>,
    /// How many items a page of `tools/list`, `prompts/list`, ... holds.
    pub page_size: usize,
    /// Where to record every message sent, if anywhere.
    pub wire_log: Option<PathBuf>,
    /// Serve the development page at `GET /` (see [`ServeFlags::dev`]). Off by default.
    pub dev: bool,
    /// Accept these API keys (`--api-keys`): every HTTP request needs one.
    pub api_keys: Option<crate::auth::ApiKeys>,
    /// Every HTTP request is authenticated by a layer outside the runtime, which puts a
    /// [`Principal`](crate::Principal) into its extensions: the layer `serve_authenticated`
    /// mounts, or yours in front of [`router`]. A server with state per caller
    /// ([`User<T>`](crate::User)) is refused at start-up without some authentication.
    pub external_auth: bool,
    /// Accept OAuth access tokens (feature `oauth`): every HTTP request needs one.
    #[cfg(feature = "oauth")]
    pub oauth: Option<OAuthOptions>,
}

/// Where OAuth access tokens come from and whom they must be for (`--oauth-issuer`,
/// `--public-url`, `--oauth-audience`).
#[cfg(feature = "oauth")]
#[derive(Clone, Debug)]
pub struct OAuthOptions {
    /// The authorization server.
    pub issuer: String,
    /// This server's public URL.
    pub public_url: String,
    /// The audience tokens must name, when it is not the public URL.
    pub audience: Option<String>,
    /// Where opaque tokens are checked, when the issuer's metadata does not say.
    pub introspection: Option<String>,
    /// The client id and secret sent to the introspection endpoint.
    pub client: Option<(String, crate::auth::Secret)>,
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
            store_timeout: Duration::from_secs(1),
            session_store: None,
            page_size: 100,
            wire_log: None,
            dev: false,
            api_keys: None,
            external_auth: false,
            #[cfg(feature = "oauth")]
            oauth: None,
        }
    }
}

impl Options {
    fn limits(&self) -> Limits {
        Limits {
            header_timeout: self.header_timeout,
            idle_timeout: self.idle_timeout,
            max_connections: self.max_connections.max(1),
            shutdown_grace: self.shutdown_grace,
        }
    }

    /// Whether every HTTP request has an authenticated caller.
    fn authenticated(&self) -> bool {
        #[cfg(feature = "oauth")]
        if self.oauth.is_some() {
            return true;
        }
        self.external_auth || self.api_keys.is_some()
    }

    fn http(&self) -> HttpOptions {
        HttpOptions {
            path: self.path.clone(),
            allowed_hosts: self.allowed_hosts.clone(),
            allowed_origins: self.allowed_origins.clone(),
            max_body: self.max_body,
            dev: self.dev,
        }
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
        serve_parsed(self, wrap, false)
    }

    /// Like [`serve_layered`](Self::serve_layered), where `wrap` mounts an authentication
    /// layer that puts a [`Principal`](crate::Principal) into every request it lets through:
    /// a server with state per caller ([`User<T>`](crate::User)) may then be served without
    /// `--oauth-issuer` or `--api-keys`.
    fn serve_authenticated<F>(self, wrap: F) -> impl Future<Output = ExitCode> + Send
    where
        F: FnOnce(axum::Router) -> axum::Router + Send,
    {
        serve_parsed(self, wrap, true)
    }

    /// Serves with flags a program parsed itself: [`ServeFlags`] flattened into its own
    /// `clap` parser. Installs the tracing subscriber the flags ask for (unless the program
    /// set one), then serves as [`serve_layered`](Self::serve_layered) does.
    fn serve_flags<F>(self, flags: ServeFlags, wrap: F) -> impl Future<Output = ExitCode> + Send
    where
        F: FnOnce(axum::Router) -> axum::Router + Send,
    {
        async move {
            let bridge = flags.log_to_client.then(crate_of::<Self>);
            install_tracing(flags.log_format, bridge);
            match self.serve_with(flags.into(), wrap).await {
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
            check_auth::<Self>(&options)?;
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

/// Parses the process's flags and serves; `external_auth`: `wrap` authenticates.
async fn serve_parsed<S: Server, F>(server: S, wrap: F, external_auth: bool) -> ExitCode
where
    F: FnOnce(axum::Router) -> axum::Router + Send,
{
    match parse_flags::<S>(std::env::args_os()) {
        Ok(mut flags) => {
            flags.external_auth |= external_auth;
            server.serve_flags(flags, wrap).await
        }
        Err(e) => {
            // Help and `--version` are not errors: clap says which it was.
            let _ = e.print();
            ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2))
        }
    }
}

/// API keys name at least one key; a server with state per caller is served only to
/// authenticated callers: without them, every caller would share one anonymous state.
fn check_auth<S: Server>(options: &Options) -> Result<()> {
    if options.api_keys.as_ref().is_some_and(|k| k.is_empty()) {
        return Err(Error::Config(
            "`--api-keys` names no key: every request would be refused".into(),
        ));
    }
    if !S::USER_STATE {
        return Ok(());
    }
    let name = S::description().name;
    let why = match options.transport {
        Transport::Stdio => "stdio has no authenticated caller; serve it over HTTP (`--http ADDR`)",
        Transport::Http(_) if options.authenticated() => return Ok(()),
        Transport::Http(_) => {
            "nothing authenticates its HTTP callers; serve it with `--oauth-issuer URL \
             --public-url URL` or `--api-keys`, or with an authentication layer of your own \
             (`serve_authenticated`, or `Options::external_auth` behind your layer)"
        }
    };
    Err(Error::Config(format!(
        "`{name}` keeps state per caller (`User<T>`), which needs authenticated callers: {why}"
    )))
}

// The command `serve()` parses: the serving flags under the server's name and version (no
// doc comment: clap would print it as the program's description).
#[derive(clap::Parser)]
#[allow(missing_docs)]
struct Command {
    #[command(flatten)]
    serve: ServeFlags,
}

fn parse_flags<S: Server>(
    args: impl IntoIterator<Item = std::ffi::OsString>,
) -> std::result::Result<ServeFlags, clap::Error> {
    use clap::{CommandFactory, FromArgMatches};
    let description = S::description();
    let mut command = Command::command()
        .name(description.name)
        .version(description.version);
    if let Some(title) = description.title {
        command = command.about(title);
    }
    let matches = command.try_get_matches_from(args)?;
    Ok(Command::from_arg_matches(&matches)?.serve)
}

/// The axum router that serves `server` at `options.path`, to mount in an application of
/// your own (behind your own layers, such as authentication). Call it inside a Tokio runtime:
/// it starts the task that expires idle sessions. The connection limits of `options` (header
/// and idle timeouts, the connection cap, the shutdown grace period) belong to `serve`'s own
/// accept loop: an application that serves this router sets its own.
///
/// A server with state per caller ([`User<T>`](crate::User)) needs
/// [`external_auth`](Options::external_auth): the layers in front of the router authenticate.
pub async fn router<S: Server>(server: S, options: &Options) -> Result<axum::Router> {
    if S::USER_STATE && !options.external_auth {
        return Err(Error::Config(format!(
            "`{}` keeps state per caller (`User<T>`): mount the router behind an authentication \
             layer, and say so with `Options::external_auth`",
            S::description().name
        )));
    }
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
    if S::USER_STATE && !store.keeps_users() {
        return Err(Error::Config(format!(
            "`{}` keeps state per caller (`User<T>`), and the session store given keeps none \
             (`SessionStore::keeps_users`)",
            S::description().name
        )));
    }
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
    // A session ended on another replica ends here too.
    store.watch_ended(Box::new(|id| dispatcher.sessions.forget(id)));
    // Session data, answers and task requests another replica hands on.
    store.watch_changes(Box::new(|message| dispatcher.changed_elsewhere(&message)));
    // A list or resource change made on any replica reaches the streams held here.
    store.watch_logged(Box::new(|id, change| dispatcher.logged(id, change)));
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
                options.store_timeout,
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
    tokio::spawn(sweep(dispatcher, options.session_idle));
    let closing = Closing::new();
    let router = crate::transport::http::router(dispatcher, options.http(), wire, closing.clone());
    #[cfg(feature = "oauth")]
    let (router, oauth) = match &options.oauth {
        Some(options) => {
            let oauth = resource_server::<S>(options).await?;
            (router.layer(oauth.clone()), Some(oauth))
        }
        None => (router, None),
    };
    let router = match &options.api_keys {
        Some(keys) => router.layer(keys.clone()),
        None => router,
    };
    let router = wrap(router);
    // Announced once everything it needs is there (the OAuth issuer's metadata and keys):
    // a server that says it serves does not exit on a configuration error a moment later.
    let desc = S::description();
    eprintln!(
        "{} {} serving MCP at http://{local}{}",
        desc.name, desc.version, options.path
    );
    #[cfg(feature = "oauth")]
    if let Some(oauth) = oauth {
        eprintln!(
            "accepting OAuth access tokens from {}; metadata at {}",
            oauth.issuer(),
            oauth.metadata_url()
        );
    }
    crate::transport::accept::serve(listener, router, options.limits(), closing, signal).await;
    Ok(())
}

/// The OAuth resource server `options` describe, with the scopes `S`'s tools declare.
#[cfg(feature = "oauth")]
async fn resource_server<S: Server>(options: &OAuthOptions) -> Result<crate::auth::OAuth> {
    let mut builder = crate::auth::OAuth::builder(&options.issuer, &options.public_url)
        .scopes(crate::auth::declared_scopes(S::description()));
    if let Some(audience) = &options.audience {
        builder = builder.audience(audience);
    }
    if let Some(introspection) = &options.introspection {
        builder = builder.introspection_endpoint(introspection);
    }
    if let Some((id, secret)) = &options.client {
        builder = builder.introspection_client(id, secret.clone());
    }
    builder
        .discover()
        .await
        .map_err(|e| Error::Config(format!("OAuth: {e}")))
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
/// `mcp_runtime` at `info` and everything else at `warn` without it. `--log-format json` writes
/// one JSON object per line instead, with the fields of the request's span.
fn install_tracing(format: LogFormat, bridge: Option<&str>) {
    use tracing_subscriber::Layer;
    use tracing_subscriber::filter::Targets;
    use tracing_subscriber::layer::SubscriberExt;
    if tracing::dispatcher::has_been_set() {
        if bridge.is_some() {
            tracing::warn!(
                "`--log-to-client` works with the subscriber serve() installs; this program set its own"
            );
        }
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
    let lines = tracing_subscriber::fmt::layer().with_writer(std::io::stderr);
    let lines = match format {
        LogFormat::Text => lines.with_filter(filter).boxed(),
        LogFormat::Json => lines
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .with_filter(filter)
            .boxed(),
    };
    let subscriber = tracing_subscriber::registry().with(lines);
    let _ = match bridge {
        Some(krate) => {
            tracing::subscriber::set_global_default(subscriber.with(bridge::layer(krate)))
        }
        None => tracing::subscriber::set_global_default(subscriber),
    };
}

/// The crate a server is defined in, as its `tracing` targets name it.
fn crate_of<S>() -> &'static str {
    let path = std::any::type_name::<S>();
    path.split("::").next().unwrap_or(path)
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
