//! A Redis outage fails fast: what needs the store gets 503 with `Retry-After` within the
//! store timeout, sessions already in memory keep answering, and the connection comes back by
//! itself. A real `redis-server`, frozen (SIGSTOP) or killed and started again.
#![cfg(feature = "redis")]

mod common;

use std::time::{Duration, Instant};

use common::http::Reply;
use common::{Endpoint, HttpServer, RedisServer};
use serde_json::{Value, json};

/// Well above the store timeout the server is given (0.5 s) plus a reconnection, and far
/// below the many seconds a client waited before the timeout existed.
const FAIL_FAST: Duration = Duration::from_secs(5);

fn add(server: &HttpServer, session: &str) -> Reply {
    let body = json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call",
        "params": {"name": "add", "arguments": {"a": 2, "b": 40}}});
    server.legacy(session, &body)
}

/// `initialize` while the store is out: 503, `Retry-After`, an error that says why, and soon.
fn refused_fast(server: &HttpServer) {
    let started = Instant::now();
    let refused = server.initialize();
    let waited = started.elapsed();
    assert_eq!(refused.status, 503, "{}", refused.body);
    assert_eq!(refused.header("retry-after"), Some("5"));
    assert!(
        refused.body.contains("the session store is unavailable"),
        "{}",
        refused.body
    );
    assert!(waited < FAIL_FAST, "answered after {waited:?}");
}

/// The store is back: a new session opens again, after the reconnection the runtime makes by
/// itself (a few tries, as a client retrying after `Retry-After` would).
fn opens_again(server: &HttpServer) {
    for _ in 0..40 {
        if server.initialize().status == 200 {
            return;
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    panic!("no session could be opened after the store came back");
}

#[test]
fn a_hung_redis_costs_a_request_the_store_timeout_and_live_sessions_go_on() {
    let redis = RedisServer::start();
    let args = ["--store", &redis.url, "--store-timeout", "0.5"];
    let server = HttpServer::start("hello", &args, &[]);
    let opened = server.initialize();
    assert_eq!(opened.status, 200, "{}", opened.body);
    let session = opened
        .header("mcp-session-id")
        .expect("a session")
        .to_owned();

    redis.pause();
    refused_fast(&server);
    // The session this process holds needs no store to answer a call.
    let started = Instant::now();
    let call = add(&server, &session);
    assert_eq!(call.status, 200, "{}", call.body);
    assert!(call.body.contains("42"), "{}", call.body);
    assert!(started.elapsed() < FAIL_FAST);

    redis.resume();
    opens_again(&server);
}

#[test]
fn a_redis_that_dies_and_comes_back_is_reconnected() {
    let redis = RedisServer::start();
    let port = redis.port();
    let args = ["--store", &redis.url, "--store-timeout", "0.5"];
    let server = HttpServer::start("hello", &args, &[]);
    assert_eq!(server.initialize().status, 200);

    drop(redis);
    refused_fast(&server);
    let _redis = RedisServer::start_on(port);
    opens_again(&server);
}

/// Redis's answer to an inline command, first line.
fn redis_says(redis: &RedisServer, command: &str) -> String {
    use std::io::{BufRead, BufReader, Write};
    let mut tcp = std::net::TcpStream::connect(("127.0.0.1", redis.port())).expect("connect");
    tcp.write_all(format!("{command}\r\n").as_bytes()).unwrap();
    let mut line = String::new();
    BufReader::new(tcp).read_line(&mut line).unwrap();
    line.trim_end().to_owned()
}

/// A Redis restarted without its data has lost the deployment secret: the replica that was
/// running puts its own back as soon as it reconnects, so that a replica started after that
/// accepts its sessions' ids, and it accepts the new one's.
#[test]
fn a_replica_started_after_redis_lost_its_data_shares_the_secret() {
    let redis = RedisServer::start();
    let port = redis.port();
    let args = ["--store", &redis.url, "--store-timeout", "0.5"];
    let old = HttpServer::start("hello", &args, &[]);
    drop(redis);
    let redis = RedisServer::start_on(port);
    opens_again(&old);
    let opened = old.initialize();
    assert_eq!(opened.status, 200, "{}", opened.body);
    let from_old = opened
        .header("mcp-session-id")
        .expect("a session")
        .to_owned();
    // Put back when its subscriptions reconnected, within a second or so.
    let mut back = false;
    for _ in 0..40 {
        back = redis_says(&redis, "EXISTS mcp:session:deployment-secret") == ":1";
        if back {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(back, "the secret was not put back");
    let new = HttpServer::start("hello", &["--store", &redis.url], &[]);
    let call = add(&new, &from_old);
    assert_eq!(
        call.status, 200,
        "the new replica refused the old one's id: {}",
        call.body
    );
    let opened = new.initialize();
    let from_new = opened
        .header("mcp-session-id")
        .expect("a session")
        .to_owned();
    let call = add(&old, &from_new);
    assert_eq!(
        call.status, 200,
        "the old replica refused the new one's id: {}",
        call.body
    );
}

/// A state change the store cannot take is an error to the tool and its client, and is undone:
/// never a silent success.
#[test]
fn a_state_change_that_cannot_be_saved_is_an_error_and_is_undone() {
    let redis = RedisServer::start();
    let args = ["--store", &redis.url, "--store-timeout", "0.5"];
    let server = HttpServer::start("notebook", &args, &[]);
    let opened = server.initialize();
    let session = opened
        .header("mcp-session-id")
        .expect("a session")
        .to_owned();
    let note = |text: &str| {
        let body = json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call",
            "params": {"name": "note", "arguments": {"text": text}}});
        let reply = server.legacy(&session, &body);
        assert_eq!(reply.status, 200, "{}", reply.body);
        let answer: Value = serde_json::from_str(&reply.body).unwrap();
        assert!(answer["result"].is_object(), "{answer}");
        answer["result"].clone()
    };
    assert_eq!(note("kept")["structuredContent"]["notes"], json!(["kept"]));

    // Frozen, the store may still take the write once it wakes: the client is told so.
    redis.pause();
    let unconfirmed = note("maybe");
    assert_eq!(unconfirmed["isError"], true, "{unconfirmed}");
    let text = unconfirmed["content"][0]["text"].as_str().unwrap();
    assert!(text.contains("may not have been saved"), "{text}");
    redis.resume();
    // As a client retrying after the error would, until the store answers again.
    let retried = |text: &str| {
        let mut result = Value::Null;
        for _ in 0..40 {
            result = note(text);
            if result["isError"] != true {
                break;
            }
            std::thread::sleep(Duration::from_millis(250));
        }
        result
    };
    // The next change starts from what the store holds, whatever became of that one.
    let after = retried("after");
    let notes = after["structuredContent"]["notes"].clone();
    assert!(notes.is_array(), "{after}");
    let first = notes.as_array().unwrap().first().cloned();
    assert_eq!(first, Some(json!("kept")), "{notes}");
    assert_eq!(notes.as_array().unwrap().last(), Some(&json!("after")));

    // Gone, it took nothing: the change is undone and the client told it was not saved.
    let port = redis.port();
    drop(redis);
    let refused = note("lost");
    assert_eq!(refused["isError"], true, "{refused}");
    let text = refused["content"][0]["text"].as_str().unwrap();
    assert!(text.contains("the session state was not saved"), "{text}");
    let _redis = RedisServer::start_on(port);
    let after = retried("back");
    let notes = after["structuredContent"]["notes"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(
        !notes.contains(&json!("lost")),
        "an unsaved change came back: {after}"
    );
    assert_eq!(notes.last(), Some(&json!("back")), "{after}");
}
