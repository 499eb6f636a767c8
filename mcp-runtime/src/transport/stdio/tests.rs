//! stdio through in-memory pipes: one client's whole conversation, line by line.

use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, DuplexStream, Lines};
use tokio::task::JoinHandle;
use tokio::time::timeout;

use super::{Line, read_line, serve_on};
use crate::server::Server;
use crate::server::dispatch::Dispatcher;
use crate::test_support::{Demo, dispatcher, initialize, memory_store, modern};

const IDLE: Duration = Duration::from_secs(60);
/// Long enough for a loaded machine; a hang fails the test instead of stalling the suite.
const PATIENCE: Duration = Duration::from_secs(10);
/// The longest line the test servers read.
const MAX_LINE: usize = 4096;

/// The client's ends of the pipes, and the server loop.
struct Client {
    stdin: DuplexStream,
    stdout: Lines<BufReader<DuplexStream>>,
    server: JoinHandle<std::io::Result<()>>,
}

fn start() -> (Client, &'static Dispatcher<Demo>) {
    start_with(Demo)
}

fn start_with<S: Server>(server: S) -> (Client, &'static Dispatcher<S>) {
    let d = dispatcher(server, memory_store(IDLE), IDLE);
    let (stdin, server_in) = tokio::io::duplex(1 << 16);
    let (server_out, stdout) = tokio::io::duplex(1 << 16);
    let server = tokio::spawn(serve_on(d, server_in, server_out, MAX_LINE, None));
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

#[tokio::test]
async fn a_line_that_is_not_utf8_is_a_parse_error_and_the_loop_goes_on() {
    let (mut c, _) = start();
    c.stdin
        .write_all(b"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\",\"x\":\"\xff\"}\n")
        .await
        .unwrap();
    let invalid = c.recv().await;
    assert_eq!(
        (&invalid["id"], &invalid["error"]["code"]),
        (&Value::Null, &json!(-32700))
    );
    c.send(&initialize(2, "2025-11-25")).await;
    assert_eq!(c.recv().await["id"], 2);
    c.send(&request(3, "ping", json!({}))).await;
    assert_eq!(
        c.recv().await,
        json!({ "jsonrpc": "2.0", "id": 3, "result": {} })
    );
    c.close().await;
}

#[tokio::test]
async fn a_line_over_the_limit_is_refused_and_skipped() {
    let (mut c, _) = start();
    let huge = format!(
        r#"{{"jsonrpc":"2.0","id":1,"method":"ping","params":{{"x":"{}"}}}}"#,
        "a".repeat(MAX_LINE * 20)
    );
    c.send_line(&huge).await;
    let refused = c.recv().await;
    let message = format!("the message exceeds {MAX_LINE} bytes");
    assert_eq!(
        refused,
        json!({ "jsonrpc": "2.0", "id": null, "error": { "code": -32600, "message": message } })
    );
    // A line of exactly the limit is still read.
    let fits = format!(r#"{{"jsonrpc":"2.0","id":2,"method":"ping","x":"{}"}}"#, "");
    let padded = format!("{fits}{}", " ".repeat(MAX_LINE - fits.len()));
    c.send_line(&padded).await;
    let init = c.recv().await;
    assert_eq!(init["id"], 2);
    assert_eq!(
        init["error"]["code"], -32600,
        "ping before initialize: {init}"
    );
    c.close().await;
}

#[tokio::test]
async fn long_lines_are_read_in_chunks_never_whole() {
    let mut input = b"x".repeat(100_000);
    input.extend_from_slice(b"\nshort\nlast");
    // A reader that holds 64 bytes at a time: the long line passes through in pieces.
    let mut reader = tokio::io::BufReader::with_capacity(64, &input[..]);
    assert_eq!(read_line(&mut reader, 1000).await.unwrap(), Line::TooLong);
    assert_eq!(
        read_line(&mut reader, 1000).await.unwrap(),
        Line::Message(b"short".to_vec())
    );
    assert_eq!(
        read_line(&mut reader, 1000).await.unwrap(),
        Line::Message(b"last".to_vec())
    );
    assert_eq!(read_line(&mut reader, 1000).await.unwrap(), Line::End);
    // Over the limit at the very end of the input, without a newline.
    let mut reader = tokio::io::BufReader::with_capacity(64, &input[..100_000]);
    assert_eq!(read_line(&mut reader, 1000).await.unwrap(), Line::TooLong);
    assert_eq!(read_line(&mut reader, 1000).await.unwrap(), Line::End);
}

/// A server whose session starts slowly and whose tool waits: what can go wrong when messages
/// take effect out of order.
struct Slow;

#[mcp_runtime::mcp_server(name = "slow", version = "0", session = u64, reinit = "reject")]
impl Slow {
    /// Sleeps long enough to be cancelled.
    #[mcp_runtime::tool]
    async fn nap(&self) -> String {
        tokio::time::sleep(Duration::from_secs(30)).await;
        "woke".into()
    }

    #[mcp_runtime::on_initialize]
    async fn welcome(&self, _new: mcp_runtime::NewSession) -> u64 {
        tokio::time::sleep(Duration::from_millis(5)).await;
        0
    }
}

fn lines(messages: &[Value]) -> String {
    messages.iter().map(|m| format!("{m}\n")).collect()
}

#[tokio::test]
async fn a_request_right_behind_initialize_sees_the_session() {
    let (mut c, _) = start_with(Slow);
    let both = lines(&[
        initialize(1, "2025-11-25"),
        request(2, "tools/list", json!({})),
    ]);
    c.stdin.write_all(both.as_bytes()).await.unwrap();
    assert_eq!(c.recv().await["id"], 1);
    let list = c.recv().await;
    assert_eq!(list["id"], 2);
    assert_eq!(list["result"]["tools"][0]["name"], "nap", "{list}");
    c.close().await;
}

// Several workers, as `serve` runs: tasks spawned one after the other may then run in any order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancellation_right_behind_its_call_is_never_lost() {
    let (mut c, d) = start_with(Slow);
    c.send(&initialize(0, "2025-11-25")).await;
    c.recv().await;
    for id in 1..=50 {
        let call = request(id, "tools/call", json!({ "name": "nap" }));
        let cancel = json!({
            "jsonrpc": "2.0",
            "method": "notifications/cancelled",
            "params": { "requestId": id },
        });
        c.stdin
            .write_all(lines(&[call, cancel]).as_bytes())
            .await
            .unwrap();
        let answer = c.recv().await;
        assert_eq!(answer["id"], id);
        assert_eq!(answer["error"]["code"], -32800, "call {id}: {answer}");
    }
    assert_eq!(d.sessions.map.len(), 1);
    c.close().await;
}

#[tokio::test]
async fn a_session_stream_closed_for_lagging_is_opened_again() {
    use crate::server::Notifier;
    use crate::server::reply::STREAM_BACKLOG;

    let (mut c, d) = start();
    c.send(&initialize(1, "2025-11-25")).await;
    c.recv().await;
    // Sent before the stream's relay can run: more than its queue holds.
    for _ in 0..STREAM_BACKLOG * 2 {
        d.notify(crate::Change::Tools);
    }
    for _ in 0..STREAM_BACKLOG {
        assert_eq!(c.recv().await["method"], "notifications/tools/list_changed");
    }
    let mut tries = 0;
    let note = loop {
        d.notify(crate::Change::Prompts);
        if let Ok(line) = timeout(Duration::from_millis(100), c.stdout.next_line()).await {
            break line.unwrap().expect("a line");
        }
        tries += 1;
        assert!(tries < 50, "the session stream was not opened again");
    };
    let note: Value = serde_json::from_str(&note).unwrap();
    assert_eq!(note["method"], "notifications/prompts/list_changed");
    c.close().await;
}
