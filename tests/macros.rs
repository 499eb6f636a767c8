//! The macros: compile-fail cases with their messages (trybuild, one topic per folder), and a
//! server that uses every supported form, checked through its generated description.

use mcp_runtime::Server;
use mcp_runtime::prelude::*;

#[test]
fn compile_errors() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/server/*.rs");
    t.compile_fail("tests/ui/tool/*.rs");
    t.compile_fail("tests/ui/params/*.rs");
    t.compile_fail("tests/ui/arguments/*.rs");
    t.compile_fail("tests/ui/task/*.rs");
    t.compile_fail("tests/ui/scopes/*.rs");
    t.compile_fail("tests/ui/user/*.rs");
    t.compile_fail("tests/ui/resource/*.rs");
    t.compile_fail("tests/ui/prompt/*.rs");
    t.compile_fail("tests/ui/complete/*.rs");
    t.compile_fail("tests/ui/reinit/*.rs");
    t.compile_fail("tests/ui/initialize/*.rs");
}

struct Forms;

#[derive(Serialize, JsonSchema)]
struct Point {
    x: i64,
    y: i64,
}

#[derive(Debug)]
struct Failure;

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("it failed")
    }
}

#[mcp_server(
    name = "forms",
    version = "1.2.3",
    title = "Forms",
    instructions = "Use the forms."
)]
impl Forms {
    /// Structured, from an async method.
    ///
    /// Second paragraph.
    #[tool(
        title = "Make a point",
        read_only,
        destructive = false,
        idempotent,
        open_world = false
    )]
    async fn point(&self, x: i64, y: Option<i64>) -> Point {
        Point {
            x,
            y: y.unwrap_or(0),
        }
    }

    /// A `Result` of a structured value.
    #[tool(name = "try.point")]
    fn try_point(&self, x: i64) -> Result<Point, Failure> {
        if x < 0 {
            Err(Failure)
        } else {
            Ok(Point { x, y: x })
        }
    }

    /// A `Result` of text.
    #[tool]
    fn try_text(&self, ok: bool) -> Result<String, Failure> {
        if ok { Ok("fine".into()) } else { Err(Failure) }
    }

    /// Content blocks.
    #[tool]
    fn blocks(&self) -> Vec<Content> {
        vec![Content::text("a"), Content::image("AAAA", "image/png")]
    }

    /// Nothing.
    #[tool]
    fn nothing(&self) {}

    /// A raw identifier.
    #[tool]
    fn r#type(&self, r#in: String) -> &'static str {
        if r#in.is_empty() { "empty" } else { "full" }
    }

    /// Not a tool: stays an ordinary method.
    fn helper(&self) -> i64 {
        1
    }
}

#[test]
fn every_form_is_described() {
    let desc = <Forms as Server>::description();
    assert_eq!(
        (desc.name, desc.version, desc.title),
        ("forms", "1.2.3", Some("Forms"))
    );
    assert_eq!(desc.instructions, Some("Use the forms."));
    let names: Vec<_> = desc.tools.iter().map(|t| t.name).collect();
    assert_eq!(
        names,
        [
            "point",
            "try.point",
            "try_text",
            "blocks",
            "nothing",
            "type"
        ]
    );
    let point = &desc.tools[0];
    assert_eq!(point.title, Some("Make a point"));
    assert_eq!(
        point.description,
        Some("Structured, from an async method.\n\nSecond paragraph.")
    );
    let a = &point.annotations;
    assert_eq!(
        (
            a.read_only_hint,
            a.destructive_hint,
            a.idempotent_hint,
            a.open_world_hint
        ),
        (Some(true), Some(false), Some(true), Some(false))
    );
    assert!(point.output_schema.is_some());
    assert!(
        desc.tools[1].output_schema.is_some(),
        "Result<Point, _> has an output schema"
    );
    assert!(desc.tools[2].output_schema.is_none());
    assert_eq!(Forms.helper(), 1);
}

#[test]
fn schemas_follow_the_parameters() {
    let desc = <Forms as Server>::description();
    let schema = |i: usize| {
        let mut g = schemars::generate::SchemaSettings::draft2020_12().into_generator();
        (desc.tools[i].input_schema)(&mut g).to_value()
    };
    let point = schema(0);
    assert_eq!(
        point["required"],
        serde_json::json!(["x"]),
        "Option<T> is optional"
    );
    assert_eq!(point["properties"]["x"]["type"], "integer");
    assert_eq!(
        schema(5)["required"],
        serde_json::json!(["in"]),
        "raw identifiers lose `r#`"
    );
    assert_eq!(schema(4)["type"], "object");
}

/// Every return form, called through the in-process client: what each becomes on the wire.
#[tokio::test]
async fn every_form_answers_as_described() {
    use mcp_runtime::testing::TestClient;
    use serde_json::json;
    let client = TestClient::legacy(Forms).await;
    let call = |name: &'static str, args: serde_json::Value| {
        let client = &client;
        async move { client.call_tool(name, args).await.expect("a result") }
    };
    let point = call("point", json!({"x": 1})).await;
    assert_eq!(
        point.structured_content.map(|s| s.get().to_owned()),
        Some(r#"{"x":1,"y":0}"#.to_owned())
    );
    let failed = call("try.point", json!({"x": -1})).await;
    assert_eq!(failed.is_error, Some(true));
    assert_eq!(failed.content, vec![Content::text("it failed")]);
    assert_eq!(
        call("try_text", json!({"ok": true})).await.content,
        vec![Content::text("fine")]
    );
    assert_eq!(call("blocks", json!({})).await.content.len(), 2);
    assert!(call("nothing", json!({})).await.content.is_empty());
    assert_eq!(
        call("type", json!({"in": ""})).await.content,
        vec![Content::text("empty")]
    );
}

/// A type of the user's own named `User` (no generic arguments): an ordinary argument, not the
/// caller's state, so a server without `user = T` and without authentication serves it.
#[derive(Deserialize, JsonSchema)]
struct User {
    name: String,
}

struct Accounts;

#[mcp_server]
impl Accounts {
    /// Greets an account.
    #[tool]
    fn greet(&self, user: User) -> String {
        format!("hello {}", user.name)
    }
}

#[tokio::test]
async fn an_argument_of_a_type_named_user_is_an_argument() {
    use mcp_runtime::testing::TestClient;
    let client = TestClient::stateless(Accounts).await;
    let tools = client.list_tools().await.expect("tools");
    let schema = &tools[0]["inputSchema"];
    assert_eq!(schema["required"], serde_json::json!(["user"]), "{schema}");
    let result = client
        .call_tool("greet", serde_json::json!({"user": {"name": "ada"}}))
        .await
        .expect("a result");
    assert_eq!(result.content, vec![Content::text("hello ada")]);
}
