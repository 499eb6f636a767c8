//! The re-initialization matrix: where a session is (live, in a persistent store, expired with
//! or without a retained record) × the compiled policy (reject, restore, a handler that resumes
//! or rejects), plus the principal binding and notifications that must never create sessions.
//! Over 500 lines on purpose: the whole matrix against the same few test servers and stores,
//! read in one place, shows its gaps.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use mcp_runtime::prelude::*;
use serde_json::json;

use crate::protocol::ProtocolVersion;
use crate::server::Server;
use crate::server::dispatch::Dispatcher;
use crate::server::reply::Fault;
use crate::session::{
    Issuer, Loaded, MemoryStore, SessionId, SessionStore, StoreFuture, StoredSession,
};
use crate::test_support::{Sent, Via, dispatcher, headers, initialize, memory_store, send};

#[derive(Debug, Default, PartialEq, Serialize, Deserialize)]
struct Tally {
    n: u64,
}

async fn count(session: Session<Tally>) -> Result<String, StateError> {
    let n = session.update(|t| {
        t.n += 1;
        t.n
    });
    Ok(n.await?.to_string())
}

struct Rejecting;

#[mcp_server(session = Tally, reinit = "reject")]
impl Rejecting {
    /// Count a visit.
    #[tool]
    async fn bump(&self, session: Session<Tally>) -> Result<String, StateError> {
        count(session).await
    }
}

struct Restoring;

#[mcp_server(session = Tally, reinit = "restore")]
impl Restoring {
    /// Count a visit.
    #[tool]
    async fn bump(&self, session: Session<Tally>) -> Result<String, StateError> {
        count(session).await
    }
}

/// A handler that resumes (from the stored state, or from 100) or rejects, and remembers what
/// it was asked.
struct Deciding {
    resume: bool,
    calls: AtomicUsize,
    asked: Mutex<Option<ReinitRequest>>,
}

impl Deciding {
    fn new(resume: bool) -> Self {
        Self {
            resume,
            calls: AtomicUsize::new(0),
            asked: Mutex::new(None),
        }
    }

    fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }
}

#[mcp_server(session = Tally)]
impl Deciding {
    /// Count a visit.
    #[tool]
    async fn bump(&self, session: Session<Tally>) -> Result<String, StateError> {
        count(session).await
    }

    #[on_reinit]
    async fn decide(&self, req: ReinitRequest) -> Reinit<Tally> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let state = req.stored_state().unwrap_or(Tally { n: 100 });
        *self.asked.lock().unwrap() = Some(req);
        if self.resume {
            Reinit::Resume(state)
        } else {
            Reinit::Reject
        }
    }
}

/// A persistent store shared by "replicas" (dispatchers) of one test: everything it holds is live.
#[derive(Debug, Default)]
struct Shared(Mutex<HashMap<SessionId, StoredSession>>);

impl SessionStore for Shared {
    fn is_persistent(&self) -> bool {
        true
    }
    fn load(&self, id: SessionId) -> StoreFuture<'_, Option<Loaded>> {
        let found = self.0.lock().unwrap().get(&id).cloned();
        Box::pin(async move { Ok(found.map(Loaded::Live)) })
    }
    fn save(&self, session: StoredSession) -> StoreFuture<'_, ()> {
        let id = session.id.parse().expect("ids the runtime wrote");
        self.0.lock().unwrap().insert(id, session);
        Box::pin(async { Ok(()) })
    }
    fn touch(&self, _: SessionId) -> StoreFuture<'_, ()> {
        Box::pin(async { Ok(()) })
    }
    fn retire(&self, session: StoredSession) -> StoreFuture<'_, ()> {
        self.save(session)
    }
    fn remove(&self, id: SessionId) -> StoreFuture<'_, ()> {
        self.0.lock().unwrap().remove(&id);
        Box::pin(async { Ok(()) })
    }
}

const IDLE: Duration = Duration::from_secs(60);

fn over<S: Server>(server: S, store: &'static dyn SessionStore) -> &'static Dispatcher<S> {
    dispatcher(server, store, IDLE)
}

async fn open<S: Server>(d: &'static Dispatcher<S>, caller: Option<&Principal>) -> String {
    let h = headers(&[]);
    let via = Via {
        caller,
        headers: Some(&h),
        ..Via::default()
    };
    let sent = send(d, via, &initialize(1, "2025-11-25")).await;
    sent.session.expect("a session").to_string()
}

/// A message on `session`, as a 2025-11-25 HTTP client that says who it is sends it.
async fn on<S: Server>(
    d: &'static Dispatcher<S>,
    session: &str,
    caller: Option<&Principal>,
    message: &serde_json::Value,
) -> Sent {
    let h = headers(&[("mcp-protocol-version", "2025-11-25"), ("x-client", "unit")]);
    let via = Via {
        session: Some(session),
        caller,
        headers: Some(&h),
    };
    send(d, via, message).await
}

/// `bump` on `session`; the tally it answers, or the error's code and message.
async fn bump<S: Server>(
    d: &'static Dispatcher<S>,
    session: &str,
    caller: Option<&Principal>,
) -> Result<String, (Option<Fault>, i64, String)> {
    let call = json!({ "jsonrpc": "2.0", "id": 2, "method": "tools/call",
                       "params": { "name": "bump", "arguments": {} } });
    let sent = on(d, session, caller, &call).await;
    match sent.body.as_ref().and_then(|b| b.get("error")) {
        None => Ok(sent.result()["content"][0]["text"]
            .as_str()
            .unwrap()
            .to_owned()),
        Some(_) => Err((sent.fault, sent.error().0, sent.error().1.to_owned())),
    }
}

fn gone(reason: &str) -> (Option<Fault>, i64, String) {
    let advice = "send `initialize` without `Mcp-Session-Id` to start a new session";
    (
        Some(Fault::UnknownSession),
        -32001,
        format!("{reason}: {advice}"),
    )
}

/// A memory store retaining the record of an expired session `id` with `n` visits.
async fn retained(id: SessionId, n: u64, principal: Option<&str>) -> &'static dyn SessionStore {
    let store = memory_store(IDLE);
    let record = serde_json::from_value(json!({
        "id": id.to_string(),
        "initialize": { "protocolVersion": "2025-06-18", "capabilities": {},
                        "clientInfo": { "name": "earlier", "version": "1" } },
        "principal": principal,
        "logLevel": "error",
        "createdMs": 1,
        "state": { "n": n },
    }));
    store.retire(record.unwrap()).await.unwrap();
    store
}

#[tokio::test]
async fn live_sessions_are_served_whatever_the_policy() {
    async fn twice<S: Server>(server: S) -> &'static Dispatcher<S> {
        let d = over(server, memory_store(IDLE));
        let s = open(d, None).await;
        assert_eq!(bump(d, &s, None).await, Ok("1".into()));
        assert_eq!(bump(d, &s, None).await, Ok("2".into()));
        d
    }
    twice(Rejecting).await;
    twice(Restoring).await;
    assert_eq!(twice(Deciding::new(true)).await.server.calls(), 0);
    assert_eq!(twice(Deciding::new(false)).await.server.calls(), 0);
}

#[tokio::test]
async fn a_session_live_in_the_store_is_rehydrated_without_the_policy() {
    let store: &'static Shared = Box::leak(Box::default());
    let alice = Principal::new("alice");
    let first = over(Deciding::new(false), store);
    let s = open(first, Some(&alice)).await;
    assert_eq!(bump(first, &s, Some(&alice)).await, Ok("1".into()));
    // Another replica (or this one after a restart) finds it in the store, state and all.
    let second = over(Deciding::new(false), store);
    assert_eq!(bump(second, &s, Some(&alice)).await, Ok("2".into()));
    assert_eq!(second.server.calls(), 0);
    assert!(second.sessions.map.touch(s.parse().unwrap()).is_ok());
    let third = over(Rejecting, store);
    assert_eq!(bump(third, &s, Some(&alice)).await, Ok("3".into()));
    // The store's copy is still bound to its principal.
    let fourth = over(Deciding::new(true), store);
    let bob = Principal::new("bob");
    assert_eq!(
        bump(fourth, &s, Some(&bob)).await,
        Err(gone("session not found"))
    );
    assert_eq!(fourth.server.calls(), 0);
}

#[tokio::test]
async fn an_expired_session_with_a_retained_record() {
    let id = SessionId::random();
    let s = id.to_string();
    let d = over(Rejecting, retained(id, 7, None).await);
    assert_eq!(bump(d, &s, None).await, Err(gone("session expired")));
    assert!(d.sessions.map.is_empty());

    let d = over(Restoring, retained(id, 7, None).await);
    assert_eq!(bump(d, &s, None).await, Ok("8".into()));
    let entry = d.sessions.map.touch(id).unwrap();
    let client = entry.initialize_record().client_info.as_ref().unwrap();
    assert_eq!(client.name, "earlier");
    assert_eq!(entry.version(), ProtocolVersion::V2025_06_18);
    assert_eq!(entry.log_level(), Some(LoggingLevel::Error));

    let d = over(Deciding::new(true), retained(id, 7, None).await);
    assert_eq!(bump(d, &s, None).await, Ok("8".into()));
    assert_eq!(d.server.calls(), 1);
    let asked = d.server.asked.lock().unwrap().take().unwrap();
    assert_eq!(asked.session_id, s);
    assert_eq!(asked.stored_state(), Some(Tally { n: 7 }));
    assert_eq!(
        asked.initialize.unwrap().client_info.unwrap().name,
        "earlier"
    );
    assert_eq!(asked.protocol_version, Some(ProtocolVersion::V2025_11_25));
    assert_eq!(asked.headers.get("x-client"), Some("unit"));
    assert_eq!(asked.principal, None);
    // Resumed once, it is live: the handler is not asked again.
    assert_eq!(bump(d, &s, None).await, Ok("9".into()));
    assert_eq!(d.server.calls(), 1);

    let d = over(Deciding::new(false), retained(id, 7, None).await);
    assert_eq!(bump(d, &s, None).await, Err(gone("session expired")));
    assert_eq!(d.server.calls(), 1);
    assert!(d.sessions.map.is_empty());
}

#[tokio::test]
async fn a_gone_session_without_a_record() {
    let id = SessionId::random();
    let s = id.to_string();
    let d = over(Rejecting, memory_store(IDLE));
    assert_eq!(bump(d, &s, None).await, Err(gone("session expired")));
    let d = over(Restoring, memory_store(IDLE));
    assert_eq!(bump(d, &s, None).await, Err(gone("session expired")));
    assert!(d.sessions.map.is_empty());

    let d = over(Deciding::new(true), memory_store(IDLE));
    assert_eq!(bump(d, &s, None).await, Ok("101".into()));
    let asked = d.server.asked.lock().unwrap().take().unwrap();
    assert_eq!(asked.stored_state::<Tally>(), None);
    assert_eq!(asked.initialize, None);
    // Resumed without a record: the header's revision, no client info, no capabilities.
    let entry = d.sessions.map.touch(id).unwrap();
    assert_eq!(entry.version(), ProtocolVersion::V2025_11_25);
    assert_eq!(entry.initialize_record().client_info, None);

    let d = over(Deciding::new(false), memory_store(IDLE));
    assert_eq!(bump(d, &s, None).await, Err(gone("session expired")));
    assert_eq!(d.server.calls(), 1);
}

#[tokio::test]
async fn idle_sessions_expire_into_retained_records() {
    let idle = Duration::from_millis(150);
    let d = dispatcher(Restoring, memory_store(IDLE), idle);
    let (swept, touched) = (open(d, None).await, open(d, None).await);
    assert_eq!(bump(d, &swept, None).await, Ok("1".into()));
    assert_eq!(bump(d, &touched, None).await, Ok("1".into()));
    tokio::time::sleep(idle * 2).await;
    // One is found idle by its own next request, the other expires in the periodic sweep.
    assert_eq!(bump(d, &touched, None).await, Ok("2".into()));
    assert_eq!(d.sessions.sweep().await, 1);
    assert_eq!(d.sessions.map.len(), 1);
    assert_eq!(bump(d, &swept, None).await, Ok("2".into()));

    let d = dispatcher(Restoring, memory_store(Duration::ZERO), idle);
    let s = open(d, None).await;
    assert_eq!(bump(d, &s, None).await, Ok("1".into()));
    tokio::time::sleep(idle * 2).await;
    // Retention is over at once: the record is gone with the session.
    assert_eq!(bump(d, &s, None).await, Err(gone("session expired")));
    assert!(d.sessions.map.is_empty());
}

#[tokio::test]
async fn another_principal_gets_404_and_the_policy_is_not_asked() {
    let (alice, bob) = (Principal::new("alice"), Principal::new("bob"));
    let d = over(Deciding::new(true), memory_store(IDLE));
    let s = open(d, Some(&alice)).await;
    assert_eq!(
        bump(d, &s, Some(&bob)).await,
        Err(gone("session not found"))
    );
    assert_eq!(bump(d, &s, None).await, Err(gone("session not found")));
    assert_eq!(bump(d, &s, Some(&alice)).await, Ok("1".into()));
    assert_eq!(d.server.calls(), 0);

    let id = SessionId::random();
    let d = over(Deciding::new(true), retained(id, 7, Some("alice")).await);
    let s = id.to_string();
    assert_eq!(
        bump(d, &s, Some(&bob)).await,
        Err(gone("session not found"))
    );
    assert_eq!(bump(d, &s, None).await, Err(gone("session not found")));
    assert_eq!(d.server.calls(), 0);
    assert!(d.sessions.map.is_empty());
    assert_eq!(bump(d, &s, Some(&alice)).await, Ok("8".into()));
    assert_eq!(d.server.calls(), 1);
}

#[tokio::test]
async fn notifications_and_responses_never_create_sessions() {
    let note = json!({ "jsonrpc": "2.0", "method": "notifications/initialized" });
    let response = json!({ "jsonrpc": "2.0", "id": 1, "result": {} });
    let id = SessionId::random();
    let s = id.to_string();
    let resuming = over(Deciding::new(true), memory_store(IDLE));
    let restoring = over(Restoring, retained(id, 7, None).await);
    for message in [&note, &response] {
        for sent in [
            on(resuming, &s, None, message).await,
            on(restoring, &s, None, message).await,
        ] {
            assert_eq!(sent.fault, Some(Fault::UnknownSession), "{message}");
            let expected = gone("session not found");
            assert_eq!(sent.error(), (expected.1, expected.2.as_str()));
        }
    }
    assert_eq!(resuming.server.calls(), 0);
    assert!(resuming.sessions.map.is_empty());
    assert!(restoring.sessions.map.is_empty());
    // The record is still there for the request that comes next.
    assert_eq!(bump(restoring, &s, None).await, Ok("8".into()));
}

/// A memory store that counts how often it is asked for a record.
#[derive(Debug)]
struct Counting {
    inner: MemoryStore,
    loads: AtomicUsize,
}

impl Counting {
    fn new(limit: usize) -> &'static Self {
        Box::leak(Box::new(Self {
            inner: MemoryStore::bounded(IDLE, limit),
            loads: AtomicUsize::new(0),
        }))
    }

    fn loads(&self) -> usize {
        self.loads.load(Ordering::SeqCst)
    }
}

impl SessionStore for Counting {
    fn is_persistent(&self) -> bool {
        false
    }
    fn load(&self, id: SessionId) -> StoreFuture<'_, Option<Loaded>> {
        self.loads.fetch_add(1, Ordering::SeqCst);
        self.inner.load(id)
    }
    fn save(&self, session: StoredSession) -> StoreFuture<'_, ()> {
        self.inner.save(session)
    }
    fn touch(&self, id: SessionId) -> StoreFuture<'_, ()> {
        self.inner.touch(id)
    }
    fn retire(&self, session: StoredSession) -> StoreFuture<'_, ()> {
        self.inner.retire(session)
    }
    fn remove(&self, id: SessionId) -> StoreFuture<'_, ()> {
        self.inner.remove(id)
    }
    fn sweep(&self) {
        self.inner.sweep();
    }
    fn retained(&self) -> Option<usize> {
        self.inner.retained()
    }
}

/// Ids no process of this deployment issued: the all-zero internal one, the untagged form of
/// before, an issued id with its tag or its nonce altered, and a tag copied onto another nonce.
fn forged() -> Vec<String> {
    let (a, b) = (
        SessionId::random().to_string(),
        SessionId::random().to_string(),
    );
    let flip = |s: &str, at: usize| {
        let mut bytes = s.as_bytes().to_vec();
        bytes[at] = if bytes[at] == b'0' { b'1' } else { b'0' };
        String::from_utf8(bytes).unwrap()
    };
    vec![
        "0".repeat(64),
        "0123456789abcdef0123456789abcdef".into(),
        flip(&a, 63),
        flip(&a, 0),
        format!("{}{}", &a[..32], &b[32..]),
    ]
}

#[tokio::test]
async fn ids_this_deployment_did_not_issue_get_404_before_the_store_or_the_policy() {
    async fn refuses<S: Server>(server: S) -> &'static Dispatcher<S> {
        let store = Counting::new(10);
        let d = over(server, store);
        let note = json!({ "jsonrpc": "2.0", "method": "notifications/initialized" });
        for id in forged() {
            assert_eq!(
                bump(d, &id, None).await,
                Err(gone("session not found")),
                "{id}"
            );
            assert_eq!(
                on(d, &id, None, &note).await.fault,
                Some(Fault::UnknownSession)
            );
        }
        assert_eq!(store.loads(), 0, "the store was not asked");
        assert!(d.sessions.map.is_empty());
        d
    }
    refuses(Rejecting).await;
    refuses(Restoring).await;
    assert_eq!(refuses(Deciding::new(true)).await.server.calls(), 0);
}

#[tokio::test]
async fn a_forged_id_is_not_restored_even_when_a_store_holds_a_record_for_it() {
    for id in forged() {
        let Ok(parsed) = id.parse::<SessionId>() else {
            continue;
        };
        let d = over(Restoring, retained(parsed, 7, None).await);
        assert_eq!(bump(d, &id, None).await, Err(gone("session not found")));
        let d = over(Deciding::new(true), retained(parsed, 7, None).await);
        assert_eq!(bump(d, &id, None).await, Err(gone("session not found")));
        assert_eq!(d.server.calls(), 0);
    }
}

#[tokio::test]
async fn the_handler_is_told_which_process_issued_the_id() {
    let cases = [
        (SessionId::random(), Issuer::ThisProcess),
        (SessionId::from_another_process(), Issuer::OtherProcess),
    ];
    for (id, issuer) in cases {
        let d = over(Deciding::new(true), memory_store(IDLE));
        assert_eq!(bump(d, &id.to_string(), None).await, Ok("101".into()));
        let asked = d.server.asked.lock().unwrap().take().unwrap();
        assert_eq!(asked.issued_by, issuer);
    }
    // Another process's id under `reject`: it was issued, so it expired rather than never was.
    let other = SessionId::from_another_process().to_string();
    let d = over(Rejecting, memory_store(IDLE));
    assert_eq!(bump(d, &other, None).await, Err(gone("session expired")));
}

#[tokio::test]
async fn expired_sessions_are_retained_only_when_the_policy_can_read_them() {
    async fn expire_two<S: Server>(server: S) -> Option<usize> {
        let idle = Duration::from_millis(100);
        let store = Counting::new(10);
        let d = dispatcher(server, store, idle);
        let (swept, touched) = (open(d, None).await, open(d, None).await);
        tokio::time::sleep(idle * 2).await;
        // One found idle by its own next request, the other by the periodic sweep.
        let _ = bump(d, &touched, None).await;
        assert_eq!(d.sessions.sweep().await, 1);
        let _ = swept;
        store.retained()
    }
    assert_eq!(expire_two(Rejecting).await, Some(0));
    // Restored or resumed at once by the request that found it idle: its record is dropped.
    assert_eq!(expire_two(Restoring).await, Some(1));
    assert_eq!(expire_two(Deciding::new(true)).await, Some(1));
    assert_eq!(expire_two(Deciding::new(false)).await, Some(2));
}

#[tokio::test]
async fn the_retained_set_is_bounded() {
    let idle = Duration::from_millis(100);
    let store = Counting::new(1);
    let d = dispatcher(Restoring, store, idle);
    let (a, b) = (open(d, None).await, open(d, None).await);
    assert_eq!(bump(d, &a, None).await, Ok("1".into()));
    assert_eq!(bump(d, &b, None).await, Ok("1".into()));
    tokio::time::sleep(idle * 2).await;
    assert_eq!(d.sessions.sweep().await, 2);
    assert_eq!(store.retained(), Some(1));
    // One sweep retired both: whichever went second is the one kept.
    let answers = [bump(d, &a, None).await, bump(d, &b, None).await];
    assert!(answers.contains(&Ok("2".into())), "{answers:?}");
    assert!(
        answers.contains(&Err(gone("session expired"))),
        "{answers:?}"
    );
    assert_eq!(
        store.retained(),
        Some(0),
        "restored: the record is live again"
    );
}

#[test]
fn a_secret_random_to_the_process_is_warned_about_when_ids_must_outlive_it() {
    use super::id_warning;
    use crate::secret::Origin;
    use crate::session::ReinitPolicy::{Handler, Reject, Restore};
    assert_eq!(id_warning(Reject, false, Origin::Process), None);
    assert_eq!(id_warning(Handler, true, Origin::Operator), None);
    for policy in [Restore, Handler] {
        let warning = id_warning(policy, false, Origin::Process).unwrap();
        assert!(warning.starts_with("MCP_STATE_KEY is not set"), "{warning}");
        assert!(warning.contains("resumed"), "{warning}");
    }
    let warning = id_warning(Reject, true, Origin::Process).unwrap();
    assert!(warning.contains("found in the store"), "{warning}");
}
