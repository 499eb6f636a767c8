//! The in-process test client (`mcp_runtime::testing`) against a server of every kind of tool:
//! both eras, scripted answers to questions, captured notifications, and a session that expires
//! and comes back through the server's own `#[on_reinit]` handler.

use mcp_runtime::prelude::*;
use mcp_runtime::testing::TestClient;
use serde_json::json;

#[derive(Default, Serialize, Deserialize)]
struct Visits {
    count: u64,
}

struct Shop;

#[mcp_server(session = Visits)]
impl Shop {
    /// Add two integers.
    #[tool]
    fn add(&self, a: i64, b: i64) -> String {
        (a + b).to_string()
    }

    /// Asks the user's name, reporting progress first.
    #[tool]
    async fn greet(&self, ctx: Context) -> String {
        ctx.progress(1.0, Some(2.0), None);
        let schema = json!({"type": "object", "properties": {"name": {"type": "string"}}});
        match ctx.elicit("Your name?", schema).await {
            Ok(answer) => {
                let content = answer.content.unwrap_or_default();
                format!("hello {}", content["name"].as_str().unwrap_or("?"))
            }
            Err(e) => format!("no answer: {e}"),
        }
    }

    /// Announces a changed tool list.
    #[tool]
    fn change(&self, ctx: Context) -> String {
        ctx.notify(Change::Tools);
        "changed".into()
    }

    /// Counts visits in the session.
    #[tool]
    async fn visit(&self, session: Session<Visits>) -> Result<String, StateError> {
        Ok(session
            .update(|v| {
                v.count += 1;
                v.count
            })
            .await?
            .to_string())
    }

    /// A gone session comes back at 100 visits.
    #[on_reinit]
    async fn resume(&self, _req: ReinitRequest) -> Reinit<Visits> {
        Reinit::Resume(Visits { count: 100 })
    }
}

fn text(result: &CallToolResult) -> String {
    serde_json::to_value(&result.content).unwrap()[0]["text"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn scripted() -> mcp_runtime::testing::Builder<Shop> {
    TestClient::builder(Shop).on_elicit(|_| json!({"action": "accept", "content": {"name": "ada"}}))
}

#[tokio::test]
async fn both_eras_call_tools_and_answer_questions() {
    for client in [scripted().legacy().await, scripted().stateless().await] {
        let tools = client.list_tools().await.unwrap();
        assert_eq!(tools.len(), 4);
        assert_eq!(
            text(
                &client
                    .call_tool("add", json!({"a": 2, "b": 40}))
                    .await
                    .unwrap()
            ),
            "42"
        );
        assert_eq!(
            text(&client.call_tool("greet", json!({})).await.unwrap()),
            "hello ada"
        );
        let unknown = client.call_tool("nope", json!({})).await.unwrap_err();
        assert_eq!(unknown.code, -32602);
    }
}

#[tokio::test]
async fn notifications_are_captured() {
    let client = scripted().legacy().await;
    client.call_tool("greet", json!({})).await.unwrap();
    client.call_tool("change", json!({})).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    let methods: Vec<_> = client
        .notifications()
        .iter()
        .map(|n| n["method"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert!(
        methods.contains(&"notifications/tools/list_changed".to_owned()),
        "{methods:?}"
    );
}

#[tokio::test]
async fn an_expired_session_comes_back_through_the_handler() {
    let client = TestClient::legacy(Shop).await;
    assert_eq!(
        text(&client.call_tool("visit", json!({})).await.unwrap()),
        "1"
    );
    assert_eq!(
        text(&client.call_tool("visit", json!({})).await.unwrap()),
        "2"
    );
    let id = client.session_id();
    client.expire_session().await;
    assert_eq!(
        text(&client.call_tool("visit", json!({})).await.unwrap()),
        "101"
    );
    assert_eq!(client.session_id(), id, "resumed under the same id");
}

/// A server that keeps a counter per authenticated caller.
struct Counters;

#[derive(Default, Serialize, Deserialize)]
struct Count {
    n: u64,
}

#[mcp_server(user = Count)]
impl Counters {
    /// Counts one more for the caller.
    #[tool]
    async fn bump(&self, user: User<Count>) -> Result<String, UserStateError> {
        Ok(user
            .update(|c| {
                c.n += 1;
                c.n
            })
            .await?
            .to_string())
    }

    /// The caller's count, and whose it is.
    #[tool(read_only)]
    async fn count(&self, user: User<Count>) -> Result<String, UserStateError> {
        let n = user.get().await?.n;
        Ok(format!("{}: {n}", user.principal().subject()))
    }
}

#[tokio::test]
async fn user_state_is_kept_per_caller_and_no_concurrent_update_is_lost() {
    for legacy in [true, false] {
        let builder = TestClient::builder(Counters).caller(Principal::new("ada"));
        let client = if legacy {
            builder.legacy().await
        } else {
            builder.stateless().await
        };
        let bumps = (0..20).map(|_| client.call_tool("bump", json!({})));
        for result in futures_util::future::join_all(bumps).await {
            assert_eq!(result.unwrap().is_error, None);
        }
        let count = client.call_tool("count", json!({})).await.unwrap();
        assert_eq!(text(&count), "ada: 20");
    }
}

#[tokio::test]
async fn user_state_without_a_caller_is_a_clear_tool_error() {
    let client = TestClient::stateless(Counters).await;
    let result = client.call_tool("bump", json!({})).await.unwrap();
    assert_eq!(result.is_error, Some(true));
    assert!(
        text(&result).contains("needs an authenticated caller"),
        "{}",
        text(&result)
    );
}

/// A store of one's own that keeps sessions nowhere and callers' state not at all.
#[derive(Debug)]
struct Forgetful;

impl mcp_runtime::session::SessionStore for Forgetful {
    fn is_persistent(&self) -> bool {
        false
    }
    fn load(
        &self,
        _: mcp_runtime::session::SessionId,
    ) -> mcp_runtime::session::StoreFuture<'_, Option<mcp_runtime::session::Loaded>> {
        Box::pin(async { Ok(None) })
    }
    fn save(
        &self,
        _: mcp_runtime::session::StoredSession,
    ) -> mcp_runtime::session::StoreFuture<'_, ()> {
        Box::pin(async { Ok(()) })
    }
    fn touch(
        &self,
        _: mcp_runtime::session::SessionId,
    ) -> mcp_runtime::session::StoreFuture<'_, ()> {
        Box::pin(async { Ok(()) })
    }
    fn retire(
        &self,
        _: mcp_runtime::session::StoredSession,
    ) -> mcp_runtime::session::StoreFuture<'_, ()> {
        Box::pin(async { Ok(()) })
    }
    fn remove(
        &self,
        _: mcp_runtime::session::SessionId,
    ) -> mcp_runtime::session::StoreFuture<'_, ()> {
        Box::pin(async { Ok(()) })
    }
}

#[tokio::test]
async fn user_state_is_refused_at_start_up_without_authentication_or_a_store_that_keeps_it() {
    let refused = |options: mcp_runtime::Options| async move {
        match mcp_runtime::router(Counters, &options).await {
            Ok(_) => panic!("served"),
            Err(e) => e.to_string(),
        }
    };
    let unauthenticated = refused(mcp_runtime::Options::default()).await;
    assert!(
        unauthenticated.contains("mount the router behind an authentication layer"),
        "{unauthenticated}"
    );
    let store = refused(mcp_runtime::Options {
        external_auth: true,
        session_store: Some(std::sync::Arc::new(Forgetful)),
        ..Default::default()
    })
    .await;
    assert!(
        store.contains("the session store given keeps none"),
        "{store}"
    );
    // Behind a layer that authenticates, on a store that keeps it: served.
    let options = mcp_runtime::Options {
        external_auth: true,
        ..Default::default()
    };
    assert!(mcp_runtime::router(Counters, &options).await.is_ok());
}
