//! Tool descriptions and the conversion of tool return values into results.

use super::args::describe;
use std::fmt::Display;

use schemars::Schema;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;

use crate::protocol::{CallToolResult, Content, ToolAnnotations};

/// The static description of one tool, written by `#[tool]`.
#[derive(Debug)]
pub struct ToolDef {
    /// The name clients call it by.
    pub name: &'static str,
    /// Display name.
    pub title: Option<&'static str>,
    /// The method's doc comment.
    pub description: Option<&'static str>,
    /// Behaviour hints.
    pub annotations: ToolAnnotations,
    /// The JSON Schema of the arguments object.
    pub input_schema: fn(&mut schemars::SchemaGenerator) -> Schema,
    /// The JSON Schema of the structured result, for tools that return one.
    pub output_schema: Option<fn(&mut schemars::SchemaGenerator) -> Schema>,
    /// Parameters mirrored in HTTP headers (`#[header("Name")]`): (parameter, header name).
    pub headers: &'static [(&'static str, &'static str)],
    /// Whether it runs as a task for clients of the tasks extension.
    pub task: super::tasks::TaskSupport,
    /// The OAuth scopes a caller needs to call it (`#[tool(scopes = [..])]`): every one.
    pub scopes: &'static [&'static str],
    /// The URI of its icon.
    pub icon: Option<&'static str>,
    /// Whether it takes a `Context`, and so may send messages before its result.
    pub context: bool,
}

/// Why a tool call could not start.
#[derive(Debug)]
pub enum ToolCallError {
    /// No tool has this name: a protocol error (-32602).
    UnknownTool,
    /// The arguments did not deserialize: a tool result with `isError`, naming the field.
    InvalidArguments(String),
}

/// Deserializes a tool's arguments straight into its generated arguments struct. A missing or
/// `null` arguments object counts as `{}`. On failure, the message names the offending field.
pub fn parse_arguments<T: DeserializeOwned>(raw: Option<&RawValue>) -> Result<T, ToolCallError> {
    let json = match raw.map(RawValue::get) {
        None | Some("null") => "{}",
        Some(json) => json,
    };
    serde_json::from_str(json)
        .map_err(|_| ToolCallError::InvalidArguments(describe::<T>(None, json)))
}

/// Wraps a structured tool return value: it becomes `structuredContent` plus a text copy.
#[derive(Debug)]
pub struct Json<T>(pub T);

/// Converts what a tool method returns into a tool result.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be returned from a `#[tool]` method",
    label = "unsupported tool return type",
    note = "return a type that implements `Serialize + JsonSchema`, `String`, `Content`, `Vec<Content>`, `CallToolResult`, `()`, or a `Result` of one whose error implements `Display`"
)]
pub trait IntoToolResult {
    /// Builds the result.
    fn into_tool_result(self) -> CallToolResult;
}

impl IntoToolResult for CallToolResult {
    fn into_tool_result(self) -> CallToolResult {
        self
    }
}

impl IntoToolResult for String {
    fn into_tool_result(self) -> CallToolResult {
        CallToolResult::success(vec![Content::text(self)])
    }
}

impl IntoToolResult for &str {
    fn into_tool_result(self) -> CallToolResult {
        self.to_owned().into_tool_result()
    }
}

impl IntoToolResult for Content {
    fn into_tool_result(self) -> CallToolResult {
        CallToolResult::success(vec![self])
    }
}

impl IntoToolResult for Vec<Content> {
    fn into_tool_result(self) -> CallToolResult {
        CallToolResult::success(self)
    }
}

impl IntoToolResult for () {
    fn into_tool_result(self) -> CallToolResult {
        CallToolResult::success(Vec::new())
    }
}

impl<T: Serialize> IntoToolResult for Json<T> {
    fn into_tool_result(self) -> CallToolResult {
        let json = match serde_json::to_string(&self.0) {
            Ok(json) => json,
            Err(e) => {
                return CallToolResult::error(format!("the tool's result did not serialize: {e}"));
            }
        };
        // Only objects are structured content in every revision; anything else is text alone.
        let structured = json
            .starts_with('{')
            .then(|| RawValue::from_string(json.clone()).ok())
            .flatten();
        CallToolResult {
            content: vec![Content::text(json)],
            structured_content: structured,
            ..CallToolResult::default()
        }
    }
}

impl<T: IntoToolResult, E: Display> IntoToolResult for Result<T, E> {
    fn into_tool_result(self) -> CallToolResult {
        match self {
            Ok(v) => v.into_tool_result(),
            Err(e) => CallToolResult::error(e.to_string()),
        }
    }
}

/// A tool parameter: deserialized from the arguments object and described by a JSON Schema.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a `#[tool]` parameter",
    label = "not `Deserialize + JsonSchema`",
    note = "tool parameters implement `serde::Deserialize` and `schemars::JsonSchema`; derive both on your type"
)]
pub trait ToolParam: DeserializeOwned + schemars::JsonSchema {}
impl<T: DeserializeOwned + schemars::JsonSchema> ToolParam for T {}

/// A structured tool result: serialized into `structuredContent`, described by `outputSchema`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be returned from a `#[tool]` method",
    label = "not `Serialize + JsonSchema`",
    note = "return a type that implements `Serialize + JsonSchema`, or `String`, `Content`, `Vec<Content>`, `CallToolResult`, `()`, or a `Result` of one"
)]
pub trait StructuredOutput: Serialize + schemars::JsonSchema {}
impl<T: Serialize + schemars::JsonSchema> StructuredOutput for T {}

/// Asserts, at the user's span, that a parameter type is usable.
pub const fn assert_param<T: ToolParam>() {}

/// The output schema of a structured result type.
pub fn output_schema<T: StructuredOutput>(g: &mut schemars::SchemaGenerator) -> Schema {
    g.root_schema_for::<T>()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Args {
        a: i64,
        b: Option<String>,
    }

    fn message(raw: &str) -> String {
        let raw = RawValue::from_string(raw.to_owned()).unwrap();
        match parse_arguments::<Args>(Some(&raw)) {
            Err(ToolCallError::InvalidArguments(m)) => m,
            other => panic!("expected invalid arguments, got {other:?}"),
        }
    }

    #[test]
    fn argument_errors_name_the_field() {
        assert_eq!(
            message(r#"{"a":"x"}"#),
            "invalid arguments: `a`: invalid type: string \"x\", expected i64"
        );
        assert_eq!(message(r#"{}"#), "invalid arguments: missing field `a`");
        assert_eq!(
            message(r#"{"a":1,"b":2}"#),
            "invalid arguments: `b`: invalid type: integer `2`, expected a string"
        );
    }

    #[test]
    fn missing_arguments_count_as_empty_object() {
        #[derive(serde::Deserialize)]
        struct NoArgs {}
        assert!(parse_arguments::<NoArgs>(None).is_ok());
        let null = RawValue::from_string("null".into()).unwrap();
        assert!(parse_arguments::<NoArgs>(Some(&null)).is_ok());
    }

    #[test]
    fn structured_values_get_a_text_copy() {
        let r = Json(serde_json::json!({"sum": 42})).into_tool_result();
        assert_eq!(r.structured_content.unwrap().get(), r#"{"sum":42}"#);
        assert_eq!(r.content, vec![Content::text(r#"{"sum":42}"#)]);
        let r = Json(5).into_tool_result();
        assert!(r.structured_content.is_none());
        let r: CallToolResult = Err::<String, _>("boom").into_tool_result();
        assert!(r.is_error());
        assert_eq!(r.content, vec![Content::text("boom")]);
    }
}
