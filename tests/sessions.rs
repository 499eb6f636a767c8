//! The session layer on the wire, in-process: principals, the compiled policies, DELETE,
//! notifications on unknown sessions, the live-session limit.

use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use mcp_runtime::auth::ApiKeys;
use mcp_runtime::prelude::*;
use mcp_runtime::{Options, router};
use serde_json::{Value, json};
use tower::ServiceExt;

#[derive(Default, Serialize, Deserialize)]
struct Tally {
    n: u64,
}

/// Resumes any authenticated caller, starting from the stored state or from 100.
struct Resuming;

#[mcp_server(session = Tally)]
impl Resuming {
    /// Increment this session's tally.
    #[tool]
    async fn bump(&self, session: Session<Tally>) -> Result<String, StateError> {
        let n = session.update(|t| {
            t.n += 1;
            t.n
        });
        Ok(n.await?.to_string())
    }

    /// Who the session belongs to, and which client opened it.
    #[tool]
    fn whoami(&self, session: Session<Tally>) -> String {
        let client = session
            .initialize_record()
            .client_info
            .as_ref()
            .map(|c| c.name.clone());
        format!(
            "{:?} {:?}",
            session.principal().map(|p| p.to_string()),
            client
        )
    }

    #[on_reinit]
    async fn resume(&self, req: ReinitRequest) -> Reinit<Tally> {
        if req.principal.is_none() {
            return Reinit::Reject;
        }
        Reinit::Resume(req.stored_state().unwrap_or(Tally { n: 100 }))
    }
}

/// Restores what the store retained.
struct Restoring;

#[mcp_server(session = Tally, reinit = "restore")]
impl Restoring {
    /// Increment this session's tally.
    #[tool]
    async fn bump(&self, session: Session<Tally>) -> Result<String, StateError> {
        Ok(session
            .update(|t| {
                t.n += 1;
                t.n
            })
            .await?
            .to_string())
    }
}

/// Builds each session's first state from its `initialize`.
struct Welcoming;

#[derive(Default, Serialize, Deserialize)]
struct Greeting {
    text: String,
}

#[mcp_server(session = Greeting, reinit = "reject")]
impl Welcoming {
    /// The greeting this session started with.
    #[tool]
    fn greeting(&self, session: Session<Greeting>) -> String {
        session.read().text.clone()
    }

    #[on_initialize]
    async fn welcome(&self, new: NewSession) -> Greeting {
        let client = new
            .initialize
            .client_info
            .map(|c| c.name)
            .unwrap_or_default();
        let who = new.principal.map(|p| p.to_string()).unwrap_or_default();
        Greeting {
            text: format!("welcome {who} on {client}"),
        }
    }
}

/// Rejects (the default for a server without state).
struct Rejecting;

#[mcp_server]
impl Rejecting {
    /// Nothing.
    #[tool]
    fn noop(&self) -> String {
        "ok".into()
    }
}

async fn app<S: mcp_runtime::Server>(server: S, idle_ms: u64, max_sessions: usize) -> Router {
    let options = Options {
        session_idle: Duration::from_millis(idle_ms),
        max_sessions,
        ..Options::default()
    };
    router(server, &options)
        .await
        .unwrap()
        .layer(ApiKeys::parse("alice=k1,bob=k2"))
}

struct Reply {
    status: StatusCode,
    session: Option<String>,
    body: Value,
}

async fn post(app: &Router, key: Option<&str>, session: Option<&str>, body: Value) -> Reply {
    let mut req = Request::builder()
        .method("POST")
        .uri("/mcp")
        .header("host", "localhost")
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream");
    if let Some(key) = key {
        req = req.header("authorization", format!("Bearer {key}"));
    }
    if let Some(session) = session {
        req = req
            .header("mcp-session-id", session)
            .header("mcp-protocol-version", "2025-06-18");
    }
    let res = app
        .clone()
        .oneshot(req.body(Body::from(body.to_string())).unwrap())
        .await
        .unwrap();
    let status = res.status();
    let session = res
        .headers()
        .get("mcp-session-id")
        .map(|v| v.to_str().unwrap().to_owned());
    let bytes = axum::body::to_bytes(res.into_body(), usize::MAX)
        .await
        .unwrap();
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).unwrap()
    };
    Reply {
        status,
        session,
        body,
    }
}

async fn initialize(app: &Router, key: &str) -> String {
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "first-client", "version": "1"}}});
    let reply = post(app, Some(key), None, body).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    reply.session.expect("a session id")
}

async fn call(app: &Router, key: Option<&str>, session: &str, tool: &str) -> Reply {
    let body = json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": tool, "arguments": {}}});
    post(app, key, Some(session), body).await
}

fn text(reply: &Reply) -> &str {
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    reply.body["result"]["content"][0]["text"]
        .as_str()
        .unwrap_or_else(|| panic!("no text in {}", reply.body))
}

#[tokio::test]
async fn authentication_runs_first() {
    let app = app(Resuming, 60_000, 100).await;
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": "ping"});
    let reply = post(&app, None, None, body.clone()).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert!(
        reply.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Bearer")
    );
    assert_eq!(
        post(&app, Some("wrong"), None, body).await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn a_session_belongs_to_its_principal() {
    let app = app(Resuming, 60_000, 100).await;
    let sid = initialize(&app, "k1").await;
    assert_eq!(text(&call(&app, Some("k1"), &sid, "bump").await), "1");
    assert_eq!(
        text(&call(&app, Some("k1"), &sid, "whoami").await),
        r#"Some("alice") Some("first-client")"#
    );
    // Bob holds Alice's session id: 404, and the policy is not consulted (it would resume).
    let stolen = call(&app, Some("k2"), &sid, "bump").await;
    assert_eq!(stolen.status, StatusCode::NOT_FOUND);
    assert_eq!(stolen.body["error"]["code"], -32001);
    assert_eq!(
        text(&call(&app, Some("k1"), &sid, "bump").await),
        "2",
        "Alice's session is untouched"
    );
}

#[tokio::test]
async fn resume_keeps_the_id_and_serves_the_request_that_arrived() {
    let app = app(Resuming, 200, 100).await;
    let sid = initialize(&app, "k1").await;
    assert_eq!(text(&call(&app, Some("k1"), &sid, "bump").await), "1");
    tokio::time::sleep(Duration::from_millis(400)).await;
    // Expired; the handler resumes from the state the memory store retained.
    assert_eq!(text(&call(&app, Some("k1"), &sid, "bump").await), "2");
    assert_eq!(
        text(&call(&app, Some("k1"), &sid, "whoami").await),
        r#"Some("alice") Some("first-client")"#
    );
    // Another principal on the expired record: 404 without asking the handler.
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(
        call(&app, Some("k2"), &sid, "bump").await.status,
        StatusCode::NOT_FOUND
    );
}

/// A session id issued by another server of this process, as a server that restarted with the
/// same secret, or another replica, would have issued it: genuine, and unknown to `app`.
async fn issued_elsewhere() -> String {
    initialize(&app(Resuming, 60_000, 100).await, "k2").await
}

#[tokio::test]
async fn resume_without_a_record_starts_from_what_the_handler_builds() {
    let app = app(Resuming, 60_000, 100).await;
    let unknown = &issued_elsewhere().await;
    assert_eq!(text(&call(&app, Some("k2"), unknown, "bump").await), "101");
    // Capabilities and client info are unknown after such a resume.
    assert_eq!(
        text(&call(&app, Some("k2"), unknown, "whoami").await),
        r#"Some("bob") None"#
    );
    assert_eq!(
        call(&app, Some("k1"), unknown, "bump").await.status,
        StatusCode::NOT_FOUND,
        "now bound to bob"
    );
    assert_eq!(
        call(&app, Some("k1"), "not-an-id", "bump").await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn notifications_and_responses_never_create_sessions() {
    let app = app(Resuming, 60_000, 100).await;
    let unknown = &issued_elsewhere().await;
    let note = json!({"jsonrpc": "2.0", "method": "notifications/initialized"});
    assert_eq!(
        post(&app, Some("k1"), Some(unknown), note).await.status,
        StatusCode::NOT_FOUND
    );
    let response = json!({"jsonrpc": "2.0", "id": 5, "result": {}});
    assert_eq!(
        post(&app, Some("k1"), Some(unknown), response).await.status,
        StatusCode::NOT_FOUND
    );
    // Nothing was created: a request now reaches the handler, which starts from scratch.
    assert_eq!(text(&call(&app, Some("k1"), unknown, "bump").await), "101");
}

#[tokio::test]
async fn requests_before_initialized_are_served() {
    let app = app(Resuming, 60_000, 100).await;
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "eager", "version": "1"}}});
    let sid = post(&app, Some("k1"), None, body).await.session.unwrap();
    assert_eq!(text(&call(&app, Some("k1"), &sid, "bump").await), "1");
}

#[tokio::test]
async fn delete_ends_the_session_and_the_policy_decides_after() {
    let app = app(Resuming, 60_000, 100).await;
    let sid = initialize(&app, "k1").await;
    assert_eq!(text(&call(&app, Some("k1"), &sid, "bump").await), "1");
    let delete = Request::builder()
        .method("DELETE")
        .uri("/mcp")
        .header("host", "localhost")
        .header("authorization", "Bearer k1")
        .header("mcp-session-id", &sid)
        .body(Body::empty())
        .unwrap();
    assert_eq!(
        app.clone().oneshot(delete).await.unwrap().status(),
        StatusCode::OK
    );
    // Deleted, so nothing is retained: the handler resumes from scratch.
    assert_eq!(text(&call(&app, Some("k1"), &sid, "bump").await), "101");

    let rejecting = app_rejecting().await;
    let sid = initialize(&rejecting, "k1").await;
    let delete = Request::builder()
        .method("DELETE")
        .uri("/mcp")
        .header("host", "localhost")
        .header("authorization", "Bearer k1")
        .header("mcp-session-id", &sid)
        .body(Body::empty())
        .unwrap();
    assert_eq!(
        rejecting.clone().oneshot(delete).await.unwrap().status(),
        StatusCode::OK
    );
    assert_eq!(
        call(&rejecting, Some("k1"), &sid, "noop").await.status,
        StatusCode::NOT_FOUND
    );
}

async fn app_rejecting() -> Router {
    app(Rejecting, 60_000, 100).await
}

#[tokio::test]
async fn reject_never_says_not_initialized() {
    let app = app(Rejecting, 200, 100).await;
    let sid = initialize(&app, "k1").await;
    assert_eq!(text(&call(&app, Some("k1"), &sid, "noop").await), "ok");
    tokio::time::sleep(Duration::from_millis(400)).await;
    let reply = call(&app, Some("k1"), &sid, "noop").await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert_eq!(reply.body["jsonrpc"], "2.0");
    let message = reply.body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("initialize") && !message.contains("not initialized"),
        "{message}"
    );
}

#[tokio::test]
async fn restore_replays_the_retained_record() {
    let app = app(Restoring, 200, 100).await;
    let sid = initialize(&app, "k1").await;
    assert_eq!(text(&call(&app, Some("k1"), &sid, "bump").await), "1");
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(text(&call(&app, Some("k1"), &sid, "bump").await), "2");
    // Nothing retained for an id never seen here: 404.
    let unknown = &issued_elsewhere().await;
    assert_eq!(
        call(&app, Some("k1"), unknown, "bump").await.status,
        StatusCode::NOT_FOUND
    );
}

/// The JSON-RPC error of a 404, checked to be one.
fn not_found(reply: &Reply) -> (i64, &str) {
    assert_eq!(reply.status, StatusCode::NOT_FOUND, "{}", reply.body);
    let error = &reply.body["error"];
    (
        error["code"].as_i64().unwrap(),
        error["message"].as_str().unwrap(),
    )
}

const ADVICE: &str = "send `initialize` without `Mcp-Session-Id` to start a new session";

#[tokio::test]
async fn ids_no_server_issued_are_not_found_under_every_policy() {
    let genuine = issued_elsewhere().await;
    let tampered = format!(
        "{}{}",
        &genuine[..63],
        if genuine.ends_with('0') { '1' } else { '0' }
    );
    let forged = [
        "0".repeat(64),
        "0123456789abcdef0123456789abcdef".to_owned(),
        tampered,
    ];
    let expected = (-32001, format!("session not found: {ADVICE}"));
    for app in [
        app(Resuming, 60_000, 100).await,
        app(Restoring, 60_000, 100).await,
        app(Rejecting, 60_000, 100).await,
    ] {
        for id in &forged {
            // Refused before any tool is looked up.
            let reply = call(&app, Some("k1"), id, "bump").await;
            assert_eq!(not_found(&reply), (expected.0, expected.1.as_str()), "{id}");
        }
    }
    // The resuming server would have resumed a genuine one.
    let app = app(Resuming, 60_000, 100).await;
    assert_eq!(text(&call(&app, Some("k2"), &genuine, "bump").await), "101");
}

#[tokio::test]
async fn expired_is_said_only_of_sessions_that_existed() {
    let app = app(Rejecting, 200, 100).await;
    let sid = initialize(&app, "k1").await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    let expired = call(&app, Some("k1"), &sid, "noop").await;
    let message = format!("session expired: {ADVICE}");
    assert_eq!(not_found(&expired), (-32001, message.as_str()));
    let message = format!("session not found: {ADVICE}");
    for never in ["0".repeat(64), "0123456789abcdef0123456789abcdef".into()] {
        let reply = call(&app, Some("k1"), &never, "noop").await;
        assert_eq!(not_found(&reply), (-32001, message.as_str()), "{never}");
    }
}

#[tokio::test]
async fn the_session_limit_refuses_new_sessions_only() {
    let app = app(Resuming, 60_000, 2).await;
    let first = initialize(&app, "k1").await;
    initialize(&app, "k1").await;
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "third", "version": "1"}}});
    let full = post(&app, Some("k1"), None, body).await;
    assert_eq!(full.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        full.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("limit")
    );
    assert_eq!(
        text(&call(&app, Some("k1"), &first, "bump").await),
        "1",
        "existing sessions are unharmed"
    );
}

#[tokio::test]
async fn on_initialize_builds_the_first_state() {
    let app = app(Welcoming, 60_000, 100).await;
    let sid = initialize(&app, "k2").await;
    assert_eq!(
        text(&call(&app, Some("k2"), &sid, "greeting").await),
        "welcome bob on first-client"
    );
}

/// A store of the user's own, shared by two routers as two replicas would share a database.
#[derive(Debug, Default)]
struct SharedStore(std::sync::Mutex<std::collections::HashMap<String, StoredSession>>);

use mcp_runtime::session::{Loaded, SessionId, SessionStore, StoreFuture, StoredSession};

impl SessionStore for SharedStore {
    fn is_persistent(&self) -> bool {
        true
    }
    fn load(&self, id: SessionId) -> StoreFuture<'_, Option<Loaded>> {
        let found = self.0.lock().unwrap().get(&id.to_string()).cloned();
        Box::pin(async move { Ok(found.map(Loaded::Live)) })
    }
    fn save(&self, session: StoredSession) -> StoreFuture<'_, ()> {
        self.0.lock().unwrap().insert(session.id.clone(), session);
        Box::pin(async { Ok(()) })
    }
    fn touch(&self, _: SessionId) -> StoreFuture<'_, ()> {
        Box::pin(async { Ok(()) })
    }
    fn retire(&self, session: StoredSession) -> StoreFuture<'_, ()> {
        self.save(session)
    }
    fn remove(&self, id: SessionId) -> StoreFuture<'_, ()> {
        self.0.lock().unwrap().remove(&id.to_string());
        Box::pin(async { Ok(()) })
    }
}

#[tokio::test]
async fn a_store_of_your_own_is_used_through_options() {
    let store = std::sync::Arc::new(SharedStore::default());
    let options = Options {
        session_store: Some(store.clone()),
        ..Options::default()
    };
    let keys = || ApiKeys::parse("alice=k1");
    let a = router(Resuming, &options).await.unwrap().layer(keys());
    let b = router(Resuming, &options).await.unwrap().layer(keys());
    let session = initialize(&a, "k1").await;
    assert!(store.0.lock().unwrap().contains_key(&session));
    assert_eq!(text(&call(&a, Some("k1"), &session, "bump").await), "1");
    // The other "replica" has never seen the session: it finds it in the store.
    assert_eq!(text(&call(&b, Some("k1"), &session, "bump").await), "2");
    let stored = store.0.lock().unwrap()[&session].state.get().to_owned();
    assert_eq!(stored, r#"{"n":2}"#);
}
