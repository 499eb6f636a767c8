//! The HTTP server's accept loop, on hyper directly: what `axum::serve` does, plus the limits a
//! server facing untrusted clients needs (a header-read timeout, an idle timeout, a cap on
//! connections) and a shutdown that ends within a grace period whatever the clients do.
//!
//! Each connection is one task that polls hyper's connection and then its own clock. Every
//! request begun and every response body dropped happens inside hyper's poll, in that same
//! task, so the clock sees each change right after it happens, without locks or wake-ups.

use std::convert::Infallible;
use std::future::{Future, poll_fn};
use std::io;
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, Response};
use axum::routing::future::RouteFuture;
use bytes::Bytes;
use hyper::body::{Frame, Incoming, SizeHint};
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinSet;
use tokio::time::{Instant, Sleep};

use super::Closing;

/// The limits of the accept loop.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Limits {
    /// How long a client may take to send a request's headers: from its connection, or, after
    /// an idle wait, from when the clock next looks (at most `idle_timeout` after its first
    /// byte).
    pub header_timeout: Duration,
    /// How long a connection may wait with no request in flight before it is closed; looked at
    /// once per timeout, so it goes between one and two timeouts after its last request.
    pub idle_timeout: Duration,
    /// The most connections served at once; beyond it, new ones wait in the listen backlog.
    pub max_connections: usize,
    /// How long shutdown waits for connections to finish before closing them.
    pub shutdown_grace: Duration,
}

/// Serves `router` on `listener` until `signal` resolves, then stops accepting, tells every
/// open stream to end (`closing`) and waits at most the grace period for connections to close.
pub(crate) async fn serve(
    listener: TcpListener,
    router: Router,
    limits: Limits,
    closing: Closing,
    signal: impl Future<Output = ()>,
) {
    let permits = Arc::new(Semaphore::new(limits.max_connections));
    let mut builder = http1::Builder::new();
    // The clock below times headers; hyper's own timer would also cut idle keep-alives short.
    builder.header_read_timeout(None);
    let mut connections = JoinSet::new();
    let mut signal = pin!(signal);
    loop {
        let accepted = tokio::select! {
            biased;
            () = &mut signal => break,
            accepted = accept(&listener, &permits) => accepted,
        };
        let (tcp, permit) = match accepted {
            Ok(accepted) => accepted,
            Err(e) => {
                pause_after(e).await;
                continue;
            }
        };
        let conn = Connection::new(tcp, router.clone(), limits, closing.clone(), permit);
        connections.spawn(conn.serve(builder.clone()));
        while connections.try_join_next().is_some() {}
    }
    drop(listener);
    closing.close();
    let drained = async { while connections.join_next().await.is_some() {} };
    if tokio::time::timeout(limits.shutdown_grace, drained)
        .await
        .is_err()
    {
        tracing::warn!(
            open = connections.len(),
            "the shutdown grace period is over; closing the connections left"
        );
    }
}

/// The next connection, once fewer than the cap are open.
async fn accept(
    listener: &TcpListener,
    permits: &Arc<Semaphore>,
) -> io::Result<(TcpStream, OwnedSemaphorePermit)> {
    let permit = permits
        .clone()
        .acquire_owned()
        .await
        .expect("the semaphore is never closed");
    let (tcp, _) = listener.accept().await?;
    // Small responses (a JSON answer, an SSE frame) go out at once; a socket that refuses is
    // served all the same.
    let _ = tcp.set_nodelay(true);
    Ok((tcp, permit))
}

/// Waits after a failed accept: at once for errors of one connection, a while for errors of
/// the process (out of file descriptors), which only time can cure.
async fn pause_after(e: io::Error) {
    use io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    if !matches!(
        e.kind(),
        ConnectionAborted | ConnectionRefused | ConnectionReset
    ) {
        tracing::error!("accepting a connection failed: {e}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// What a connection's clock reads: requests begun and ended, and whether bytes arrived.
#[derive(Debug, Default)]
struct Activity {
    begun: AtomicU64,
    ended: AtomicU64,
    read: AtomicBool,
}

/// One accepted connection.
struct Connection {
    tcp: TcpStream,
    router: Router,
    limits: Limits,
    closing: Closing,
    _permit: OwnedSemaphorePermit,
}

impl Connection {
    fn new(
        tcp: TcpStream,
        router: Router,
        limits: Limits,
        closing: Closing,
        permit: OwnedSemaphorePermit,
    ) -> Self {
        Self {
            tcp,
            router,
            limits,
            closing,
            _permit: permit,
        }
    }

    /// Serves the connection until it ends, times out, or shutdown ends it.
    async fn serve(self, builder: http1::Builder) {
        let activity = Arc::new(Activity::default());
        let io = TokioIo::new(Watched {
            io: self.tcp,
            activity: activity.clone(),
        });
        let service = Service {
            router: self.router,
            activity: activity.clone(),
        };
        let mut conn = pin!(builder.serve_connection(io, service).with_upgrades());
        let mut clock = Clock::new(self.limits, &activity);
        let mut sleep = pin!(tokio::time::sleep(self.limits.header_timeout));
        let mut signal = self.closing.signal();
        let mut stop = pin!(signal.wait());
        let mut stopping = false;
        poll_fn(|cx| {
            if !stopping && stop.as_mut().poll(cx).is_ready() {
                // Idle, it closes at once; busy, after its response (streams end on `closing`).
                conn.as_mut().graceful_shutdown();
                stopping = true;
            }
            if let Poll::Ready(result) = conn.as_mut().poll(cx) {
                if let Err(e) = result {
                    tracing::debug!("connection ended: {e}");
                }
                return Poll::Ready(());
            }
            // After hyper's poll, so that the clock sees what that poll changed.
            clock.poll_expired(sleep.as_mut(), cx)
        })
        .await;
    }
}

/// Where a connection is in its life, as its clock sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// Waiting for a request's headers, which must arrive by the deadline.
    Headers,
    /// A request is in flight (its response may be a long stream): no deadline.
    Busy,
    /// Nothing in flight and nothing sent since: the idle timeout runs.
    Idle,
}

/// Closes a connection that takes too long to send its headers, or idles too long.
struct Clock<'a> {
    limits: Limits,
    activity: &'a Activity,
    phase: Phase,
    /// Requests begun when the clock last looked.
    seen: u64,
}

impl<'a> Clock<'a> {
    fn new(limits: Limits, activity: &'a Activity) -> Self {
        Self {
            limits,
            activity,
            phase: Phase::Headers,
            seen: 0,
        }
    }

    /// Whether the connection's deadline has passed. The deadline is looked at only when its
    /// timer fires, never on a request: a busy connection costs the request path no clock
    /// reads and no timer-wheel updates, at the price of deadlines that run from the last
    /// time the clock looked (so an idle or stalled connection goes within one to two of its
    /// timeouts).
    fn poll_expired(&mut self, mut sleep: Pin<&mut Sleep>, cx: &mut Context<'_>) -> Poll<()> {
        if sleep.as_mut().poll(cx).is_pending() {
            return Poll::Pending;
        }
        let begun = self.activity.begun.load(Ordering::Relaxed);
        let ended = self.activity.ended.load(Ordering::Relaxed);
        let served = begun != self.seen;
        self.seen = begun;
        if begun != ended {
            // A request in flight (its response may be a long stream) is never idle.
            self.phase = Phase::Busy;
            return self.rearm(self.limits.idle_timeout, sleep, cx);
        }
        if served || self.phase == Phase::Busy {
            // Bytes read while busy were that request's own.
            self.activity.read.store(false, Ordering::Relaxed);
            self.phase = Phase::Idle;
            return self.rearm(self.limits.idle_timeout, sleep, cx);
        }
        if self.phase == Phase::Idle && self.activity.read.swap(false, Ordering::Relaxed) {
            // Bytes of a new request arrived: its headers now have their own deadline.
            self.phase = Phase::Headers;
            return self.rearm(self.limits.header_timeout, sleep, cx);
        }
        Poll::Ready(())
    }

    fn rearm(
        &mut self,
        limit: Duration,
        mut sleep: Pin<&mut Sleep>,
        cx: &mut Context<'_>,
    ) -> Poll<()> {
        sleep.as_mut().reset(Instant::now() + limit);
        // Registers the new deadline; it lies ahead, so this is pending.
        sleep.poll(cx)
    }
}

pin_project_lite::pin_project! {
    /// The socket, noting when bytes arrive.
    struct Watched {
        #[pin]
        io: TcpStream,
        activity: Arc<Activity>,
    }
}

impl AsyncRead for Watched {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.project();
        let before = buf.filled().len();
        let polled = this.io.poll_read(cx, buf);
        if buf.filled().len() > before {
            this.activity.read.store(true, Ordering::Relaxed);
        }
        polled
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.project().io.poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.project().io.poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.project().io.poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.project().io.poll_shutdown(cx)
    }
}

/// The router as hyper calls it, counting requests in flight until their response bodies end.
struct Service {
    router: Router,
    activity: Arc<Activity>,
}

impl hyper::service::Service<Request<Incoming>> for Service {
    type Response = Response<Tracked>;
    type Error = Infallible;
    type Future = Respond;

    fn call(&self, req: Request<Incoming>) -> Respond {
        self.activity.begun.fetch_add(1, Ordering::Relaxed);
        let in_flight = InFlight(self.activity.clone());
        // The router is always ready, as `axum::serve` relies on too.
        let call = tower::Service::call(&mut self.router.clone(), req);
        Respond {
            call,
            in_flight: Some(in_flight),
        }
    }
}

/// A request in flight, until dropped with its response body (or with the call).
struct InFlight(Arc<Activity>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.ended.fetch_add(1, Ordering::Relaxed);
    }
}

pin_project_lite::pin_project! {
    /// The router's response, its body tracked.
    struct Respond {
        #[pin]
        call: RouteFuture<Infallible>,
        in_flight: Option<InFlight>,
    }
}

impl Future for Respond {
    type Output = Result<Response<Tracked>, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let response = std::task::ready!(this.call.poll(cx))?;
        let in_flight = this.in_flight.take();
        Poll::Ready(Ok(response.map(|body| Tracked {
            body,
            _in_flight: in_flight,
        })))
    }
}

pin_project_lite::pin_project! {
    /// A response body that keeps its request in flight until it ends.
    struct Tracked {
        #[pin]
        body: Body,
        _in_flight: Option<InFlight>,
    }
}

impl hyper::body::Body for Tracked {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        self.project().body.poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

#[cfg(test)]
mod tests;
