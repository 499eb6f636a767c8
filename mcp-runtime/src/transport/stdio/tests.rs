//! stdio through in-memory pipes: one client's whole conversation, line by line.

use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, DuplexStream, Lines};
use tokio::task::JoinHandle;
use tokio::time::timeout;

use super::serve_on;
use crate::server::dispatch::Dispatcher;
use crate::testing::{Demo, dispatcher, initialize, memory_store, modern};

const IDLE: Duration = Duration::from_secs(60);
/// Long enough for a loaded machine; a hang fails the test instead of stalling the suite.
const PATIENCE: Duration = Duration::from_secs(10);

/// The client's ends of the pipes, and the server loop.
struct Client {
    stdin: DuplexStream,
    stdout: Lines<BufReader<DuplexStream>>,
    server: JoinHandle<std::io::Result<()>>,
}

fn start() -> (Client, &'static Dispatcher<Demo>) {
    let d = dispatcher(Demo, memory_store(IDLE), IDLE);
    let (stdin, server_in) = tokio::io::duplex(1 << 16);
    let (server_out, stdout) = tokio::io::duplex(1 << 16);
    let server = tokio::spawn(serve_on(d, server_in, server_out, None));
    let stdout = BufReader::new(stdout).lines();
    (
        Client {
            stdin,
            stdout,
            server,
        },
        d,
    )
}

impl Client {
    async fn send_line(&mut self, line: &str) {
        self.stdin.write_all(line.as_bytes()).await.unwrap();
        self.stdin.write_all(b"\n").await.unwrap();
    }

    async fn send(&mut self, message: &Value) {
        self.send_line(&message.to_string()).await;
    }

    async fn recv(&mut self) -> Value {
        let line = timeout(PATIENCE, self.stdout.next_line()).await;
        let line = line.expect("an answer in time").unwrap().expect("a line");
        serde_json::from_str(&line).expect("a JSON line")
    }

    /// Closes stdin; the loop must end, and stdout with it.
    async fn close(mut self) {
        self.stdin.shutdown().await.unwrap();
        drop(self.stdin);
        let ended = timeout(PATIENCE, self.server).await;
        ended
            .expect("the loop ends when stdin closes")
            .unwrap()
            .unwrap();
        let rest = timeout(PATIENCE, self.stdout.next_line()).await.unwrap();
        assert_eq!(rest.unwrap(), None, "nothing after the end");
    }
}

fn request(id: u64, method: &str, params: Value) -> Value {
    json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params })
}

#[tokio::test]
async fn a_whole_conversation() {
    let (mut c, d) = start();
    c.send(&initialize(1, "2025-11-25")).await;
    let init = c.recv().await;
    assert_eq!(
        (&init["id"], &init["result"]["protocolVersion"]),
        (&json!(1), &json!("2025-11-25"))
    );
    assert_eq!(d.sessions.map.len(), 1);

    // Had the notification been answered, that answer would come before the ping's.
    c.send(&json!({ "jsonrpc": "2.0", "method": "notifications/initialized" }))
        .await;
    c.send(&request(2, "ping", json!({}))).await;
    assert_eq!(
        c.recv().await,
        json!({ "jsonrpc": "2.0", "id": 2, "result": {} })
    );

    c.send(&request(
        3,
        "tools/call",
        json!({ "name": "add", "arguments": { "a": 2, "b": 3 } }),
    ))
    .await;
    let call = c.recv().await;
    assert_eq!(
        (&call["id"], &call["result"]["structuredContent"]),
        (&json!(3), &json!({ "sum": 5 }))
    );

    c.send_line("{not json").await;
    let invalid = c.recv().await;
    assert_eq!(
        (&invalid["id"], &invalid["error"]["code"]),
        (&Value::Null, &json!(-32700))
    );

    // A 2026-07-28 request beside the session: served statelessly, creating nothing.
    c.send(&modern(
        4,
        "tools/call",
        json!({ "name": "add", "arguments": { "a": 1, "b": 1 } }),
    ))
    .await;
    let call = c.recv().await;
    assert_eq!(call["result"]["resultType"], "complete");
    assert_eq!(call["result"]["structuredContent"], json!({ "sum": 2 }));
    assert_eq!(d.sessions.map.len(), 1);

    c.send(&request(5, "tools/call", json!({ "name": "announce" })))
        .await;
    let (a, b) = (c.recv().await, c.recv().await);
    let (note, result) = if a.get("method").is_some() {
        (a, b)
    } else {
        (b, a)
    };
    let expected =
        json!({ "jsonrpc": "2.0", "method": "notifications/tools/list_changed", "params": {} });
    assert_eq!(note, expected);
    assert_eq!(
        (&result["id"], &result["result"]["content"][0]["text"]),
        (&json!(5), &json!("announced"))
    );

    c.send(&initialize(6, "2025-11-25")).await;
    let again = c.recv().await;
    assert_eq!(again["error"]["code"], -32600);
    assert_eq!(
        again["error"]["message"],
        "the session is already initialized"
    );

    c.close().await;
    assert!(
        d.sessions.map.is_empty(),
        "the session ends with the connection"
    );
}

#[tokio::test]
async fn before_initialize_requests_are_refused_and_notifications_ignored() {
    let (mut c, d) = start();
    c.send(&json!({ "jsonrpc": "2.0", "method": "notifications/initialized" }))
        .await;
    c.send(&json!({ "jsonrpc": "2.0", "id": 9, "result": {} }))
        .await;
    c.send(&request(1, "tools/list", json!({}))).await;
    let refused = c.recv().await;
    assert_eq!(refused["id"], 1);
    assert_eq!(refused["error"]["code"], -32600);
    let text = "send `initialize` first, or a 2026-07-28 request with `params._meta`";
    assert_eq!(refused["error"]["message"], text);
    assert!(d.sessions.map.is_empty());
    c.close().await;
}

#[tokio::test]
async fn stdin_closing_right_after_initialize_still_ends_the_session() {
    let (mut c, d) = start();
    c.send(&initialize(1, "2025-11-25")).await;
    c.stdin.shutdown().await.unwrap();
    // The answer is still written, then the loop ends without leaving the session behind.
    let init = c.recv().await;
    assert_eq!(init["result"]["protocolVersion"], "2025-11-25");
    c.close().await;
    assert!(d.sessions.map.is_empty());
}
