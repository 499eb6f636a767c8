//! Handlers that fail or misbehave, and clients that do: panics, a request id used twice, the
//! caller's identity in both eras, listen streams that close, `requestState` replays.

use std::time::Duration;

use serde_json::{Value, json};

use super::{IDLE, request};
use crate::auth::Principal;
use crate::server::Change;
use crate::server::dispatch::Dispatcher;
use crate::server::reply::{Body, Fault, STREAM_BACKLOG};
use crate::test_support::{
    Faulty, SECRET, Sent, Via, dispatcher, headers, initialize, memory_store, modern_headers,
    reply, send,
};

fn faulty() -> &'static Dispatcher<Faulty> {
    dispatcher(Faulty, memory_store(IDLE), IDLE)
}

/// A legacy HTTP session of `caller` on a fresh dispatcher.
async fn session(caller: Option<&Principal>) -> (&'static Dispatcher<Faulty>, String) {
    let d = faulty();
    let h = headers(&[]);
    let via = Via {
        caller,
        ..Via::http(&h)
    };
    let sent = send(d, via, &initialize(1, "2025-11-25")).await;
    (d, sent.session.expect("a session").to_string())
}

async fn legacy(
    d: &'static Dispatcher<Faulty>,
    session: &str,
    caller: Option<&Principal>,
    message: &Value,
) -> Sent {
    let h = headers(&[("mcp-protocol-version", "2025-11-25")]);
    let via = Via {
        session: Some(session),
        caller,
        headers: Some(&h),
    };
    send(d, via, message).await
}

/// A 2026-07-28 request declaring `capabilities`, with headers that match it.
fn modern_call(id: u64, method: &str, mut params: Value, capabilities: Value) -> Value {
    params["_meta"] = json!({
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientCapabilities": capabilities,
    });
    json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params })
}

async fn modern(
    d: &'static Dispatcher<Faulty>,
    caller: Option<&Principal>,
    extra: &[(&str, &str)],
    message: &Value,
) -> Sent {
    let params = &message["params"];
    let name = ["name", "uri", "taskId"]
        .iter()
        .find_map(|k| params[k].as_str());
    let mut h = modern_headers(message["method"].as_str().unwrap(), name);
    h.extend(headers(extra));
    let via = Via {
        caller,
        ..Via::http(&h)
    };
    send(d, via, message).await
}

fn call(id: u64, name: &str, arguments: Value) -> Value {
    request(
        id,
        "tools/call",
        json!({ "name": name, "arguments": arguments }),
    )
}

fn text(sent: &Sent) -> &str {
    sent.result()["content"][0]["text"]
        .as_str()
        .expect("a text")
}

#[tokio::test]
async fn panicking_handlers_get_an_internal_error_and_the_server_goes_on() {
    let tasks = json!({ "extensions": { "io.modelcontextprotocol/tasks": {} } });
    let complete = json!({ "ref": { "type": "ref/prompt", "name": "spoiled" },
                           "argument": { "name": "x", "value": "" } });
    let cases = [
        (call(2, "boom", json!({})), "tool"),
        (call(3, "boom_asking", json!({})), "tool"),
        (
            request(4, "resources/read", json!({ "uri": "faulty://boom" })),
            "resource",
        ),
        (
            request(
                5,
                "prompts/get",
                json!({ "name": "spoiled", "arguments": { "x": "y" } }),
            ),
            "prompt",
        ),
        (request(6, "completion/complete", complete), "completion"),
    ];
    let (d, s) = session(None).await;
    for (message, kind) in &cases {
        let expected = (-32603, format!("the {kind} failed unexpectedly"));
        let old = legacy(d, &s, None, message).await;
        let new = modern(
            d,
            None,
            &[],
            &modern_call(
                9,
                message["method"].as_str().unwrap(),
                message["params"].clone(),
                json!({}),
            ),
        )
        .await;
        for sent in [&old, &new] {
            assert_eq!(sent.fault, None, "{message}");
            let (code, text) = sent.error();
            assert_eq!((code, text.to_owned()), expected, "{message}");
            assert!(!sent.body.as_ref().unwrap().to_string().contains(SECRET));
        }
    }
    // As a task: a panic before the call first waits is answered at once.
    let now = modern_call(
        10,
        "tools/call",
        json!({ "name": "boom_task", "arguments": { "wait_ms": 0 } }),
        tasks.clone(),
    );
    let sent = modern(d, None, &[], &now).await;
    assert_eq!(sent.error(), (-32603, "the tool failed unexpectedly"));
    // Later, the task fails with the same error.
    let later = modern_call(
        11,
        "tools/call",
        json!({ "name": "boom_task", "arguments": { "wait_ms": 20 } }),
        tasks.clone(),
    );
    let created = modern(d, None, &[], &later).await;
    let task = created.result()["taskId"]
        .as_str()
        .expect("a task")
        .to_owned();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let get = modern_call(12, "tasks/get", json!({ "taskId": task }), tasks);
    let got = modern(d, None, &[], &get).await;
    assert_eq!(got.result()["status"], "failed");
    assert_eq!(
        got.result()["error"],
        json!({ "code": -32603, "message": "the tool failed unexpectedly" })
    );
    // The session and the server still serve.
    let ping = legacy(d, &s, None, &request(13, "ping", json!({}))).await;
    assert_eq!(ping.result(), &json!({}));
}

#[tokio::test]
async fn a_panicking_tool_on_stdio_gets_its_answer() {
    let d = faulty();
    let sent = send(d, Via::default(), &initialize(1, "2025-11-25")).await;
    let s = sent.session.expect("a session").to_string();
    let stdio = Via {
        session: Some(&s),
        ..Via::default()
    };
    let sent = send(d, stdio, &call(2, "boom", json!({}))).await;
    assert_eq!(sent.body.as_ref().unwrap()["id"], 2);
    assert_eq!(sent.error(), (-32603, "the tool failed unexpectedly"));
    let sent = send(d, stdio, &call(3, "slow", json!({ "ms": 1 }))).await;
    assert_eq!(text(&sent), "slept 1 ms");
}

#[tokio::test]
async fn a_panicking_initialize_handler_gets_an_internal_error() {
    let d = faulty();
    let mut message = initialize(1, "2025-11-25");
    message["params"]["clientInfo"]["name"] = json!("panic");
    let h = headers(&[]);
    let sent = send(d, Via::http(&h), &message).await;
    assert_eq!((sent.fault, sent.session), (None, None));
    assert_eq!(
        sent.error(),
        (-32603, "the `initialize` handler failed unexpectedly")
    );
    assert!(d.sessions.map.is_empty());
    let sent = send(d, Via::http(&h), &initialize(2, "2025-11-25")).await;
    assert!(sent.session.is_some());
}

#[tokio::test]
async fn a_request_id_in_use_on_the_session_is_refused_and_the_first_call_completes() {
    let (d, s) = session(None).await;
    let first = {
        let s = s.clone();
        tokio::spawn(
            async move { legacy(d, &s, None, &call(5, "slow", json!({ "ms": 200 }))).await },
        )
    };
    tokio::time::sleep(Duration::from_millis(50)).await;
    let second = legacy(d, &s, None, &call(5, "slow", json!({ "ms": 10 }))).await;
    assert_eq!(second.fault, Some(Fault::Invalid));
    assert_eq!(
        second.error(),
        (-32600, "request id 5 is already in use on this session")
    );
    let first = first.await.expect("the first call");
    assert_eq!((first.fault, text(&first)), (None, "slept 200 ms"));
    // Once the call ended, its id is free again; other sessions never shared it.
    let again = legacy(d, &s, None, &call(5, "slow", json!({ "ms": 1 }))).await;
    assert_eq!(text(&again), "slept 1 ms");
}

#[tokio::test]
async fn the_caller_reaches_handlers_in_both_eras() {
    let alice = Principal::new("alice");
    let (d, s) = session(Some(&alice)).await;
    let old = legacy(d, &s, Some(&alice), &call(2, "whoami", json!({}))).await;
    assert_eq!(text(&old), "alice alice");
    let message = modern_call(
        3,
        "tools/call",
        json!({ "name": "whoami", "arguments": {} }),
        json!({}),
    );
    let new = modern(d, Some(&alice), &[], &message).await;
    assert_eq!(
        text(&new).split(' ').next(),
        Some("alice"),
        "the context's caller"
    );
    let anonymous = modern(d, None, &[], &message).await;
    assert_eq!(text(&anonymous), "anonymous anonymous");
}

#[tokio::test]
async fn closed_listen_streams_leave_no_listener_behind() {
    let d = faulty();
    let h = modern_headers("subscriptions/listen", None);
    let filter = json!({ "notifications": { "resourceSubscriptions": ["faulty://boom"] } });
    let message =
        serde_json::to_vec(&modern_call(1, "subscriptions/listen", filter, json!({}))).unwrap();
    for _ in 0..100 {
        let sent = reply(d, Via::http(&h), &message).await;
        let Body::Stream(mut frames) = sent.body else {
            panic!("a stream");
        };
        let ack: Value = serde_json::from_slice(&frames.next().await.unwrap()).unwrap();
        assert_eq!(ack["method"], "notifications/subscriptions/acknowledged");
    }
    // The guards go on the runtime's next turns.
    for _ in 0..10 {
        tokio::task::yield_now().await;
    }
    assert_eq!(d.listeners.len(), 0);
}

#[tokio::test]
async fn a_listener_that_falls_behind_is_dropped_and_its_stream_ends() {
    let d = faulty();
    let h = modern_headers("subscriptions/listen", None);
    let filter = json!({ "notifications": { "toolsListChanged": true } });
    let message = modern_call(1, "subscriptions/listen", filter, json!({}));
    let sent = reply(d, Via::http(&h), &serde_json::to_vec(&message).unwrap()).await;
    let Body::Stream(mut frames) = sent.body else {
        panic!("a stream");
    };
    // The acknowledgement and 1023 changes fill the backlog; the next one overflows it.
    for _ in 0..STREAM_BACKLOG {
        d.listeners.notify(&Change::Tools);
    }
    assert_eq!(d.listeners.len(), 0);
    let mut held = 0;
    while frames.next().await.is_some() {
        held += 1;
    }
    assert_eq!(held, STREAM_BACKLOG, "what it held, then the end");
}

#[tokio::test]
async fn listen_filters_are_bounded() {
    let d = faulty();
    let many: Vec<String> = (0..1025).map(|n| format!("faulty://{n}")).collect();
    let long = vec!["x".repeat(40_000), "y".repeat(40_000)];
    let cases = [
        (
            many,
            "`resourceSubscriptions` may name at most 1024 resources",
        ),
        (
            long,
            "`resourceSubscriptions` may hold at most 65536 bytes of URIs",
        ),
    ];
    for (uris, text) in cases {
        let filter = json!({ "notifications": { "resourceSubscriptions": uris } });
        let sent = modern(
            d,
            None,
            &[],
            &modern_call(1, "subscriptions/listen", filter, json!({})),
        )
        .await;
        assert_eq!(sent.fault, Some(Fault::Invalid));
        assert_eq!(sent.error(), (-32602, text));
    }
    assert_eq!(d.listeners.len(), 0);
}

#[tokio::test]
async fn request_states_are_bound_to_the_caller_and_the_arguments() {
    let d = faulty();
    let (alice, bob) = (Principal::new("alice"), Principal::new("bob"));
    let caps = json!({ "elicitation": {} });
    let ask = |region: &str, state: Option<&str>| {
        let mut params = json!({ "name": "ask", "arguments": { "region": region } });
        if let Some(state) = state {
            params["requestState"] = json!(state);
            params["inputResponses"] = json!({ "go": { "action": "accept" } });
        }
        modern_call(2, "tools/call", params, caps.clone())
    };
    let eu = [("mcp-param-region", "eu")];
    let first = modern(d, Some(&alice), &eu, &ask("eu", None)).await;
    assert_eq!(first.result()["resultType"], "input_required");
    let state = first.result()["requestState"].as_str().unwrap().to_owned();

    let done = modern(d, Some(&alice), &eu, &ask("eu", Some(&state))).await;
    assert_eq!(text(&done), "eu: accept");
    let replays = [
        (Some(&bob), "eu", "it was issued to another caller"),
        (None, "eu", "it was issued to another caller"),
        (Some(&alice), "us", "it was issued for other arguments"),
    ];
    for (caller, region, why) in replays {
        let h = [("mcp-param-region", region)];
        let sent = modern(d, caller, &h, &ask(region, Some(&state))).await;
        assert_eq!(sent.fault, Some(Fault::Invalid), "{why}");
        let expected = format!("invalid `requestState`: {why}");
        assert_eq!(sent.error(), (-32602, expected.as_str()));
    }
}
