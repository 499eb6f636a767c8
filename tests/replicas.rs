//! Two replicas of the notebook share one Redis, and one client session goes to either of them:
//! no update is lost, whichever replica makes it and however they interleave.
#![cfg(feature = "redis")]

mod common;

use std::sync::atomic::{AtomicU64, Ordering};

use common::http::{Reply, exchange, post};
use common::{Endpoint, HttpServer, RedisServer};
use serde_json::{Value, json};

const LEGACY: &str = "2025-11-25";

/// A legacy session opened on `server`.
fn open(server: &HttpServer) -> String {
    server.open_session()
}

/// `note` on `server`: the session's notes after it.
fn note(server: &HttpServer, session: &str, text: &str) -> Vec<String> {
    let reply = call(server, session, text);
    assert_eq!(reply.status, 200, "{}", reply.body);
    let answer: Value = serde_json::from_str(&reply.body).expect("a JSON answer");
    let result = &answer["result"];
    assert_eq!(result["isError"], Value::Null, "{answer}");
    serde_json::from_value(result["structuredContent"]["notes"].clone()).expect("notes")
}

/// `note` on `server`, as it was answered.
fn call(server: &HttpServer, session: &str, text: &str) -> Reply {
    // Calls in flight at once on one session need ids of their own.
    static NEXT_ID: AtomicU64 = AtomicU64::new(2);
    let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
    let call = json!({"jsonrpc": "2.0", "id": id, "method": "tools/call",
        "params": {"name": "note", "arguments": {"text": text}}});
    server.legacy(session, &call)
}

/// Two replicas of `example` on `redis`.
fn pair(example: &str, redis: &RedisServer) -> (HttpServer, HttpServer) {
    (replica(example, redis), replica(example, redis))
}

fn replica(example: &str, redis: &RedisServer) -> HttpServer {
    HttpServer::start(example, &["--store", &redis.url], &[])
}

#[test]
fn alternating_replicas_keep_every_note() {
    let redis = RedisServer::start();
    let (a, b) = pair("notebook", &redis);
    let session = open(&a);
    assert_eq!(note(&a, &session, "a1"), ["a1"]);
    assert_eq!(note(&b, &session, "b2"), ["a1", "b2"]);
    // `a` still holds the session in memory, with only its own note: its update must build on
    // what `b` committed.
    assert_eq!(note(&a, &session, "a3"), ["a1", "b2", "a3"]);
    assert_eq!(note(&b, &session, "b4"), ["a1", "b2", "a3", "b4"]);
}

#[test]
fn concurrent_updates_on_both_replicas_all_survive() {
    let redis = RedisServer::start();
    let (a, b) = pair("notebook", &redis);
    let session = open(&a);
    const EACH: usize = 20;
    std::thread::scope(|scope| {
        for (name, replica) in [("a", &a), ("b", &b)] {
            for writer in 0..2 {
                let session = &session;
                scope.spawn(move || {
                    for i in 0..EACH {
                        note(replica, session, &format!("{name}{writer}-{i}"));
                    }
                });
            }
        }
    });
    let mut notes = note(&a, &session, "last");
    assert_eq!(notes.pop().as_deref(), Some("last"));
    assert_eq!(notes.len(), 4 * EACH, "an update was lost: {notes:?}");
    notes.sort();
    notes.dedup();
    assert_eq!(notes.len(), 4 * EACH, "an update was applied twice");
}

#[test]
fn delete_ends_the_session_on_every_replica_for_good() {
    let redis = RedisServer::start();
    let (a, b) = pair("notebook", &redis);
    let session = open(&a);
    // Both replicas hold it in memory.
    note(&a, &session, "on a");
    note(&b, &session, "on b");
    let headers = [
        ("mcp-session-id", session.as_str()),
        ("mcp-protocol-version", LEGACY),
    ];
    let deleted = exchange(a.authority(), "DELETE", a.path(), &headers, "");
    assert_eq!(deleted.status, 200, "{}", deleted.body);
    assert_eq!(call(&a, &session, "after").status, 404);
    // The other replica hears of it at once (Redis pub/sub); a few tries allow for the hop.
    let mut on_b = call(&b, &session, "after");
    for _ in 0..40 {
        if on_b.status == 404 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
        on_b = call(&b, &session, "after");
    }
    assert_eq!(on_b.status, 404, "{}", on_b.body);
    // A replica that never saw it finds it ended, and `restore` does not bring it back.
    let c = replica("notebook", &redis);
    let on_c = call(&c, &session, "after");
    assert_eq!(on_c.status, 404, "{}", on_c.body);
    assert!(on_c.body.contains("session ended"), "{}", on_c.body);
}

/// A request whose answer is a stream, read as it arrives.
struct Streamed {
    tcp: std::net::TcpStream,
    seen: String,
}

impl Streamed {
    /// Sends `method` (GET, or POST of `body`) on `session` to `server`.
    fn open(server: &HttpServer, method: &str, session: &str, body: &str) -> Self {
        Self::open_with(server, method, session, "", body)
    }

    /// A GET stream on `session` that resumes after event `last`.
    fn resume(server: &HttpServer, session: &str, last: &str) -> Self {
        Self::open_with(
            server,
            "GET",
            session,
            &format!("last-event-id: {last}\r\n"),
            "",
        )
    }

    fn open_with(
        server: &HttpServer,
        method: &str,
        session: &str,
        extra: &str,
        body: &str,
    ) -> Self {
        use std::io::Write;
        let mut tcp = std::net::TcpStream::connect(server.authority()).expect("connect");
        tcp.set_read_timeout(Some(std::time::Duration::from_secs(10)))
            .unwrap();
        let request = format!(
            "{method} {} HTTP/1.1\r\nhost: {}\r\naccept: application/json, text/event-stream\r\n\
             content-type: application/json\r\ncontent-length: {}\r\n\
             mcp-session-id: {session}\r\nmcp-protocol-version: {LEGACY}\r\n{extra}\r\n{body}",
            server.path(),
            server.authority(),
            body.len()
        );
        tcp.write_all(request.as_bytes()).unwrap();
        Self {
            tcp,
            seen: String::new(),
        }
    }

    /// Reads until `wanted` appears; everything read so far.
    fn until(&mut self, wanted: &str) -> &str {
        use std::io::Read;
        let mut buf = [0u8; 4096];
        while !self.seen.contains(wanted) {
            let n = self.tcp.read(&mut buf).expect("the stream stays open");
            assert!(n > 0, "the stream ended before {wanted:?}: {}", self.seen);
            self.seen.push_str(&String::from_utf8_lossy(&buf[..n]));
        }
        &self.seen
    }

    /// The ids of the events read so far, and their messages' methods (empty for a priming
    /// event), in order.
    fn events(&self) -> Vec<(String, String)> {
        let mut events = Vec::new();
        for block in self.seen.split("\n\n") {
            let Some(id) = block.lines().find_map(|l| l.strip_prefix("id: ")) else {
                continue;
            };
            let method = block
                .lines()
                .find_map(|l| l.strip_prefix("data: "))
                .and_then(|data| serde_json::from_str::<Value>(data).ok())
                .map(|m| m["method"].as_str().unwrap_or_default().to_owned())
                .unwrap_or_default();
            events.push((id.trim().to_owned(), method));
        }
        events
    }

    /// Reads until `n` events with ids arrived; they.
    fn read_events(&mut self, n: usize) -> Vec<(String, String)> {
        use std::io::Read;
        let mut buf = [0u8; 4096];
        while self.events().len() < n {
            let read = self.tcp.read(&mut buf).expect("the stream stays open");
            assert!(read > 0, "the stream ended: {}", self.seen);
            self.seen.push_str(&String::from_utf8_lossy(&buf[..read]));
        }
        self.events()
    }

    /// The first JSON-RPC message read so far that has `method`.
    fn message(&self, method: &str) -> Value {
        self.seen
            .lines()
            .filter_map(|line| line.strip_prefix("data: "))
            .filter_map(|data| serde_json::from_str::<Value>(data).ok())
            .find(|message| message["method"] == method)
            .unwrap_or_else(|| panic!("no {method} in {}", self.seen))
    }
}

/// Reads a legacy GET stream on `server` until `wanted` appears in it, calling `trigger` once
/// the stream is open; what it read.
fn stream_until(
    server: &HttpServer,
    session: &str,
    wanted: &str,
    trigger: impl FnOnce(),
) -> String {
    let mut stream = Streamed::open(server, "GET", session, "");
    stream.until("\r\n\r\n");
    trigger();
    stream.until(wanted).to_owned()
}

/// A legacy session on `server` whose client declares `capabilities`.
fn open_declaring(server: &HttpServer, capabilities: Value) -> String {
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": LEGACY, "capabilities": capabilities,
        "clientInfo": {"name": "test", "version": "1"}}});
    let reply = post(server.authority(), server.path(), &[], &body.to_string());
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply
        .header("mcp-session-id")
        .expect("a session")
        .to_owned()
}

#[test]
fn an_answer_posted_to_another_replica_reaches_the_waiting_call() {
    let redis = RedisServer::start();
    let (a, b) = pair("everything", &redis);
    let session = open_declaring(&a, json!({"elicitation": {}}));
    for round in 0..3 {
        let call = json!({"jsonrpc": "2.0", "id": 10 + round, "method": "tools/call",
            "params": {"name": "test_elicitation", "arguments": {"message": "Who?"}}});
        let mut stream = Streamed::open(&a, "POST", &session, &call.to_string());
        stream.until("elicitation/create");
        let asked = stream.message("elicitation/create");
        // The client's answer lands on the other replica, as a balancer may send it.
        let answer = json!({"jsonrpc": "2.0", "id": asked["id"], "result": {
            "action": "accept", "content": {"username": "ada", "email": "ada@example.com"}}});
        let reply = b.legacy(&session, &answer);
        assert_eq!(reply.status, 202, "{}", reply.body);
        let done = stream.until("User response");
        assert!(done.contains("action=accept"), "{done}");
    }
}

#[test]
fn a_cancellation_posted_to_another_replica_stops_the_call() {
    let redis = RedisServer::start();
    let (a, b) = pair("everything", &redis);
    let session = open_declaring(&a, json!({"elicitation": {}}));
    let call = json!({"jsonrpc": "2.0", "id": "slow", "method": "tools/call",
        "params": {"name": "test_elicitation", "arguments": {"message": "Who?"}}});
    let mut stream = Streamed::open(&a, "POST", &session, &call.to_string());
    // The call waits for the client's answer, which never comes: the client cancels instead.
    stream.until("elicitation/create");
    let cancel = json!({"jsonrpc": "2.0", "method": "notifications/cancelled",
        "params": {"requestId": "slow", "reason": "changed my mind"}});
    let reply = b.legacy(&session, &cancel);
    assert_eq!(reply.status, 202, "{}", reply.body);
    stream.until("the client cancelled this request");
}

#[test]
fn a_list_change_on_one_replica_reaches_a_stream_on_another() {
    let redis = RedisServer::start();
    let (a, b) = pair("everything", &redis);
    let session = open(&a);
    let seen = stream_until(&b, &session, "notifications/tools/list_changed", || {
        let call = json!({"jsonrpc": "2.0", "id": 3, "method": "tools/call",
            "params": {"name": "test_trigger_tool_change", "arguments": {}}});
        let reply = a.legacy(&session, &call);
        assert_eq!(reply.status, 200, "{}", reply.body);
    });
    assert!(seen.contains("HTTP/1.1 200"), "{seen}");
}

/// `tools/call` of everything's logging tool on `server`: the log messages it sent first.
fn logged(server: &HttpServer, session: &str) -> usize {
    let call = json!({"jsonrpc": "2.0", "id": 5, "method": "tools/call",
        "params": {"name": "test_tool_with_logging", "arguments": {}}});
    let reply = server.legacy(session, &call);
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.body.matches("notifications/message").count()
}

#[test]
fn the_log_level_is_session_data_every_replica_honours() {
    let redis = RedisServer::start();
    let (a, b) = pair("everything", &redis);
    let session = open(&a);
    // `b` holds the session too, and logs at `info` until the client sets a level.
    assert_eq!(logged(&b, &session), 3);
    let set = json!({"jsonrpc": "2.0", "id": 4, "method": "logging/setLevel",
        "params": {"level": "error"}});
    let headers = [
        ("mcp-session-id", session.as_str()),
        ("mcp-protocol-version", LEGACY),
    ];
    let reply = post(a.authority(), a.path(), &headers, &set.to_string());
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(logged(&a, &session), 0);
    // The replica that holds it hears of the level (pub/sub); a few tries allow for the hop.
    let mut on_b = logged(&b, &session);
    for _ in 0..40 {
        if on_b == 0 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
        on_b = logged(&b, &session);
    }
    assert_eq!(on_b, 0, "replica b still logs below the level");
    // One that loads the session later reads it from the stored record.
    let c = replica("everything", &redis);
    assert_eq!(logged(&c, &session), 0, "replica c logs below the level");
}

#[test]
fn a_subscription_made_on_one_replica_is_honoured_on_another() {
    let redis = RedisServer::start();
    let (a, b) = pair("everything", &redis);
    let session = open(&a);
    let headers = [
        ("mcp-session-id", session.as_str()),
        ("mcp-protocol-version", LEGACY),
    ];
    let request = |server: &HttpServer, body: Value| {
        let reply = post(
            server.authority(),
            server.path(),
            &headers,
            &body.to_string(),
        );
        assert_eq!(reply.status, 200, "{}", reply.body);
    };
    const URI: &str = "test://watched-resource";
    // The client's stream is on `b`; it subscribes through `a`; the change happens on `a`.
    let seen = stream_until(&b, &session, "notifications/resources/updated", || {
        request(
            &a,
            json!({"jsonrpc": "2.0", "id": 6, "method": "resources/subscribe",
            "params": {"uri": URI}}),
        );
        // The subscription travels before the change does; give the hop a moment.
        std::thread::sleep(std::time::Duration::from_millis(200));
        request(
            &a,
            json!({"jsonrpc": "2.0", "id": 7, "method": "tools/call",
            "params": {"name": "test_trigger_resource_update", "arguments": {"uri": URI}}}),
        );
    });
    assert!(seen.contains(URI), "{seen}");
    // A replica that loads the session later has the subscription from its record.
    let c = replica("everything", &redis);
    let seen = stream_until(&c, &session, "notifications/resources/updated", || {
        request(
            &a,
            json!({"jsonrpc": "2.0", "id": 8, "method": "tools/call",
            "params": {"name": "test_trigger_resource_update", "arguments": {"uri": URI}}}),
        );
    });
    assert!(seen.contains(URI), "{seen}");
}

/// A 2026-07-28 request of a client of the tasks extension to `server`: its answer.
fn modern(server: &HttpServer, method: &str, params: Value) -> Value {
    server.modern(method, params)
}

/// `tasks/get` on `server` until the task is no longer `working` (a few seconds at most).
fn settled(server: &HttpServer, task: &str) -> Value {
    for _ in 0..100 {
        let got = modern(server, "tasks/get", json!({"taskId": task}));
        if got["status"] != "working" {
            return got;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    panic!("task {task} still working");
}

#[test]
fn a_task_is_followed_from_any_replica_and_outlives_the_one_that_ran_it() {
    let redis = RedisServer::start();
    let (a, b) = pair("everything", &redis);
    let start = |server: &HttpServer, tool: &str, arguments: Value| {
        let created = modern(
            server,
            "tools/call",
            json!({"name": tool, "arguments": arguments}),
        );
        assert_eq!(created["resultType"], "task", "{created}");
        created["taskId"].as_str().expect("a task id").to_owned()
    };

    // Polled on the replica that does not run it, until it completes.
    let task = start(&a, "slow_compute", json!({"seconds": 0.3, "label": "x"}));
    let got = modern(&b, "tasks/get", json!({"taskId": task}));
    assert_eq!(got["status"], "working", "{got}");
    let done = settled(&b, &task);
    assert_eq!(done["status"], "completed", "{done}");
    assert_eq!(
        done["result"]["content"][0]["text"], "Computed x in 0.3s",
        "{done}"
    );

    // Its input is asked on one replica, given through another, and the call goes on.
    let task = start(&a, "confirm_delete", json!({"filename": "f.txt"}));
    let asked = settled(&b, &task);
    assert_eq!(asked["status"], "input_required", "{asked}");
    assert!(asked["inputRequests"]["confirm"].is_object(), "{asked}");
    let answers = json!({"confirm": {"action": "accept", "content": {"confirm": true}}});
    let updated = modern(
        &b,
        "tasks/update",
        json!({"taskId": task, "inputResponses": answers}),
    );
    assert_eq!(updated["resultType"], "complete", "{updated}");
    let mut done = settled(&b, &task);
    for _ in 0..100 {
        if done["status"] != "input_required" {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
        done = settled(&b, &task);
    }
    assert_eq!(done["status"], "completed", "{done}");

    // Cancelled through another replica: it stops, and stays cancelled.
    let task = start(&a, "slow_compute", json!({"seconds": 1.0, "label": "y"}));
    let cancelled = modern(&b, "tasks/cancel", json!({"taskId": task}));
    assert_eq!(cancelled["resultType"], "complete", "{cancelled}");
    let got = modern(&b, "tasks/get", json!({"taskId": task}));
    assert_eq!(got["status"], "cancelled", "{got}");
    std::thread::sleep(std::time::Duration::from_millis(1200));
    let got = modern(&a, "tasks/get", json!({"taskId": task}));
    assert_eq!(got["status"], "cancelled", "the replica that ran it: {got}");

    // A finished task's result outlives the replica that ran it.
    let task = start(&a, "slow_compute", json!({"seconds": 0.1, "label": "z"}));
    std::thread::sleep(std::time::Duration::from_millis(400));
    drop(a);
    let done = settled(&b, &task);
    assert_eq!(done["status"], "completed", "{done}");
    let c = replica("everything", &redis);
    let done = settled(&c, &task);
    assert_eq!(
        done["result"]["content"][0]["text"], "Computed z in 0.1s",
        "{done}"
    );

    // An id nobody issued is unknown everywhere.
    let message = json!({"jsonrpc": "2.0", "id": 1, "method": "tasks/get", "params": {
        "taskId": "task-1", "_meta": {
            "io.modelcontextprotocol/protocolVersion": "2026-07-28",
            "io.modelcontextprotocol/clientCapabilities": {
                "extensions": {"io.modelcontextprotocol/tasks": {}}}}}});
    let headers = [
        ("mcp-protocol-version", "2026-07-28"),
        ("mcp-method", "tasks/get"),
        ("mcp-name", "task-1"),
    ];
    let reply = post(b.authority(), b.path(), &headers, &message.to_string());
    assert!(
        reply.body.contains("unknown task: task-1"),
        "{}",
        reply.body
    );
}

#[test]
fn a_stream_resumed_on_another_replica_receives_what_it_missed() {
    let redis = RedisServer::start();
    let (a, b) = pair("everything", &redis);
    let session = open(&a);
    let change = |server: &HttpServer, tool: &str, arguments: Value| {
        let call = json!({"jsonrpc": "2.0", "id": 3, "method": "tools/call",
            "params": {"name": tool, "arguments": arguments}});
        let reply = server.legacy(&session, &call);
        assert_eq!(reply.status, 200, "{}", reply.body);
    };
    let mut stream = Streamed::open(&a, "GET", &session, "");
    stream.until("data: \n\n");
    change(&b, "test_trigger_tool_change", json!({}));
    stream.until("list_changed");
    let seen = stream.events();
    assert_eq!(seen.len(), 2, "a priming event, then the change: {seen:?}");
    assert_eq!(seen[1].1, "notifications/tools/list_changed");
    let last = seen[1].0.clone();
    // The replica holding the stream goes away; changes go on meanwhile.
    drop(stream);
    drop(a);
    let subscribe = json!({"jsonrpc": "2.0", "id": 4, "method": "resources/subscribe",
        "params": {"uri": "test://watched-resource"}});
    assert_eq!(b.legacy(&session, &subscribe).status, 200);
    change(
        &b,
        "test_trigger_resource_update",
        json!({"uri": "test://watched-resource"}),
    );
    change(
        &b,
        "test_trigger_resource_update",
        json!({"uri": "test://not-watched"}),
    );
    change(&b, "test_trigger_tool_change", json!({}));
    // The client reconnects with the last id it saw, and the balancer sends it to `b`.
    let mut resumed = Streamed::resume(&b, &session, &last);
    resumed.until("tools/list_changed");
    let missed = resumed.events();
    let methods: Vec<&str> = missed.iter().map(|(_, m)| m.as_str()).collect();
    assert_eq!(
        methods,
        [
            "notifications/resources/updated",
            "notifications/tools/list_changed"
        ],
        "what it missed, without the update it did not subscribe to: {missed:?}"
    );
    assert!(missed.iter().all(|(id, _)| *id > last), "{missed:?}");
    // And live changes follow on the resumed stream.
    change(&b, "test_trigger_tool_change", json!({}));
    let live = resumed.read_events(3);
    assert_eq!(live[2].1, "notifications/tools/list_changed", "{live:?}");
}

#[test]
fn a_session_has_one_stream_across_replicas_the_newest() {
    let redis = RedisServer::start();
    let (a, b) = pair("everything", &redis);
    let session = open(&a);
    let mut old = Streamed::open(&a, "GET", &session, "");
    old.until("data: \n\n");
    let mut new = Streamed::open(&b, "GET", &session, "");
    new.until("data: \n\n");
    // The stream on `a` ends (its client would reconnect, were it not broken): a change
    // reaches the session once, on the newest stream.
    old.until("\r\n0\r\n\r\n");
    let call = json!({"jsonrpc": "2.0", "id": 3, "method": "tools/call",
        "params": {"name": "test_trigger_tool_change", "arguments": {}}});
    assert_eq!(a.legacy(&session, &call).status, 200);
    new.until("tools/list_changed");
}
