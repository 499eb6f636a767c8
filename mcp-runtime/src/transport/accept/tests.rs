//! The accept loop on a real listener: timeouts, the connection cap, shutdown.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::routing::get;
use bytes::Bytes;
use futures_util::stream;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio::time::{Instant, sleep, timeout};

use super::{Limits, serve};
use crate::transport::Closing;

/// Long enough for a loaded machine; a hang fails the test instead of stalling the suite.
const PATIENCE: Duration = Duration::from_secs(10);
const LONG: Duration = Duration::from_secs(60);

fn limits() -> Limits {
    Limits {
        header_timeout: LONG,
        idle_timeout: LONG,
        max_connections: 100,
        shutdown_grace: LONG,
    }
}

/// `/` answers at once; `/silent` sends nothing for `quiet`, then its body; `/forever` never
/// ends its body.
fn app(quiet: Duration) -> Router {
    Router::new()
        .route("/", get(|| async { "ok" }))
        .route(
            "/silent",
            get(move || async move {
                let body = stream::once(async move {
                    sleep(quiet).await;
                    Ok::<_, Infallible>(Bytes::from_static(b"late"))
                });
                Body::from_stream(body)
            }),
        )
        .route(
            "/forever",
            get(|| async {
                let body = stream::pending::<Result<Bytes, Infallible>>();
                Body::from_stream(body)
            }),
        )
}

struct Server {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    done: JoinHandle<()>,
}

async fn start(limits: Limits) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let signal = async move {
        let _ = stopped.await;
    };
    let router = app(Duration::from_millis(600));
    let done = tokio::spawn(serve(listener, router, limits, Closing::new(), signal));
    Server {
        addr,
        stop: Some(stop),
        done,
    }
}

impl Server {
    async fn connect(&self) -> TcpStream {
        TcpStream::connect(self.addr).await.unwrap()
    }
}

fn get_request(path: &str) -> String {
    format!("GET {path} HTTP/1.1\r\nhost: localhost\r\n\r\n")
}

/// Reads one response (its head and a `Content-Length` or chunked body); `None` when the
/// connection closed first.
async fn response(tcp: &mut TcpStream) -> Option<String> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let text = String::from_utf8_lossy(&buf).into_owned();
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let head_lower = head.to_ascii_lowercase();
            let length = head_lower
                .lines()
                .find_map(|l| l.strip_prefix("content-length: "))
                .map(|n| n.trim().parse::<usize>().unwrap());
            let complete = match length {
                Some(n) => body.len() >= n,
                None => body.ends_with("0\r\n\r\n"),
            };
            if complete {
                return Some(text);
            }
        }
        let n = timeout(PATIENCE, tcp.read(&mut chunk))
            .await
            .expect("an answer in time")
            .unwrap_or(0);
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

/// How long until the server closes `tcp` (reading and discarding whatever comes).
async fn closed_after(tcp: &mut TcpStream) -> Duration {
    let start = Instant::now();
    let mut chunk = [0u8; 1024];
    loop {
        let read = timeout(PATIENCE, tcp.read(&mut chunk))
            .await
            .expect("the server closes the connection in time");
        if matches!(read, Ok(0) | Err(_)) {
            return start.elapsed();
        }
    }
}

#[tokio::test]
async fn a_connection_that_sends_nothing_is_closed_after_the_header_timeout() {
    let header = Duration::from_millis(200);
    let s = start(Limits {
        header_timeout: header,
        ..limits()
    })
    .await;
    let mut silent = s.connect().await;
    let waited = closed_after(&mut silent).await;
    assert!(waited >= header - Duration::from_millis(50), "{waited:?}");
}

#[tokio::test]
async fn headers_sent_a_byte_at_a_time_are_cut_off() {
    let header = Duration::from_millis(300);
    let s = start(Limits {
        header_timeout: header,
        ..limits()
    })
    .await;
    let mut slow = s.connect().await;
    let start = Instant::now();
    let trickle = async {
        for byte in get_request("/").bytes().cycle() {
            if slow.write_all(&[byte]).await.is_err() {
                break;
            }
            sleep(Duration::from_millis(20)).await;
            if start.elapsed() > PATIENCE {
                panic!("still open after {PATIENCE:?}");
            }
        }
    };
    trickle.await;
    let elapsed = start.elapsed();
    assert!(elapsed >= header, "{elapsed:?}");
    assert!(elapsed < header * 10, "{elapsed:?}");
}

#[tokio::test]
async fn an_idle_keep_alive_connection_closes_after_the_idle_timeout_only() {
    let (header, idle) = (Duration::from_millis(150), Duration::from_millis(600));
    let s = start(Limits {
        header_timeout: header,
        idle_timeout: idle,
        ..limits()
    })
    .await;
    let mut tcp = s.connect().await;
    tcp.write_all(get_request("/").as_bytes()).await.unwrap();
    let first = response(&mut tcp).await.expect("a response");
    assert!(first.ends_with("ok"), "{first}");
    // Idle longer than the header timeout: still open, and served.
    sleep(header * 2).await;
    tcp.write_all(get_request("/").as_bytes()).await.unwrap();
    let second = response(&mut tcp).await.expect("served after a wait");
    assert!(second.ends_with("ok"), "{second}");
    let waited = closed_after(&mut tcp).await;
    assert!(waited >= idle - Duration::from_millis(50), "{waited:?}");
}

#[tokio::test]
async fn a_response_in_flight_is_not_idle() {
    let idle = Duration::from_millis(150);
    let s = start(Limits {
        header_timeout: idle,
        idle_timeout: idle,
        ..limits()
    })
    .await;
    let mut tcp = s.connect().await;
    tcp.write_all(get_request("/silent").as_bytes())
        .await
        .unwrap();
    // Its body stays silent four times the idle timeout, then comes.
    let res = response(&mut tcp).await.expect("the whole response");
    assert!(res.contains("late"), "{res}");
}

#[tokio::test]
async fn connections_beyond_the_cap_wait_for_a_free_slot() {
    let s = start(Limits {
        max_connections: 2,
        ..limits()
    })
    .await;
    let mut first = s.connect().await;
    first.write_all(get_request("/").as_bytes()).await.unwrap();
    response(&mut first).await.expect("served");
    let mut second = s.connect().await;
    second.write_all(get_request("/").as_bytes()).await.unwrap();
    response(&mut second).await.expect("served");
    // The kernel completes the handshake, but the server does not take the connection.
    let mut third = s.connect().await;
    third.write_all(get_request("/").as_bytes()).await.unwrap();
    let mut byte = [0u8; 1];
    let early = timeout(Duration::from_millis(300), third.read(&mut byte)).await;
    assert!(early.is_err(), "the third connection was served: {early:?}");
    drop(first);
    let res = response(&mut third)
        .await
        .expect("served once a slot is free");
    assert!(res.ends_with("ok"), "{res}");
}

#[tokio::test]
async fn shutdown_closes_idle_connections_and_waits_at_most_the_grace_period() {
    let grace = Duration::from_millis(300);
    let mut s = start(Limits {
        shutdown_grace: grace,
        ..limits()
    })
    .await;
    let mut idle = s.connect().await;
    idle.write_all(get_request("/").as_bytes()).await.unwrap();
    response(&mut idle).await.expect("served");
    let mut endless = s.connect().await;
    endless
        .write_all(get_request("/forever").as_bytes())
        .await
        .unwrap();
    let mut head = [0u8; 64];
    let n = timeout(PATIENCE, endless.read(&mut head)).await.unwrap();
    assert!(n.unwrap() > 0, "the endless response begins");

    let start = Instant::now();
    s.stop.take().unwrap().send(()).unwrap();
    let waited = closed_after(&mut idle).await;
    assert!(
        waited < grace,
        "an idle connection closes at once: {waited:?}"
    );
    timeout(PATIENCE, &mut s.done).await.unwrap().unwrap();
    let took = start.elapsed();
    assert!(took >= grace && took < grace * 5, "{took:?}");
    closed_after(&mut endless).await;
    assert!(
        TcpStream::connect(s.addr).await.is_err(),
        "the listener is closed"
    );
}
