//! The conformance fixture: every feature the official conformance suite exercises, as the
//! suite's server scenarios expect it (`cargo run --release --example everything -- --http
//! 127.0.0.1:PORT`). See the README for what is not implemented yet.

use std::time::Duration;

use mcp_runtime::RequestError;
use mcp_runtime::prelude::*;

struct Everything;

/// A 1x1 PNG.
const PNG: &str = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==";
/// A tiny WAV.
const WAV: &str = "UklGRiYAAABXQVZFZm10IBAAAAABAAEAQB8AAAB9AAACABAAZGF0YQIAAAA=";

fn text_resource(uri: &str, mime_type: &str, text: &str) -> ResourceContents {
    ResourceContents {
        uri: uri.into(),
        mime_type: Some(mime_type.into()),
        text: Some(text.into()),
        blob: None,
        meta: None,
    }
}

/// A contact form whose JSON Schema uses 2020-12 features the derive cannot express.
#[derive(Deserialize)]
#[allow(dead_code)]
struct ContactForm {
    name: Option<String>,
    address: Option<serde_json::Value>,
    #[serde(rename = "contactMethod")]
    contact_method: Option<String>,
    phone: Option<String>,
    email: Option<String>,
}

impl JsonSchema for ContactForm {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "ContactForm".into()
    }

    fn inline_schema() -> bool {
        true
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "object",
            "$defs": {
                "address": {
                    "$anchor": "addressDef",
                    "type": "object",
                    "properties": {"street": {"type": "string"}, "city": {"type": "string"}}
                }
            },
            "properties": {
                "name": {"type": "string"},
                "address": {"$ref": "#/$defs/address"},
                "contactMethod": {"type": "string", "enum": ["phone", "email"]},
                "phone": {"type": "string"},
                "email": {"type": "string"}
            },
            "allOf": [{"anyOf": [{"required": ["phone"]}, {"required": ["email"]}]}],
            "if": {"properties": {"contactMethod": {"const": "phone"}}, "required": ["contactMethod"]},
            "then": {"required": ["phone"]},
            "else": {"required": ["email"]},
            "additionalProperties": false
        })
    }
}

#[mcp_server(name = "mcp-conformance-everything", version = "1.0.0")]
impl Everything {
    /// Answers with plain text.
    #[tool]
    fn test_simple_text(&self) -> String {
        "This is a simple text response for testing.".into()
    }

    /// Answers with an image.
    #[tool]
    fn test_image_content(&self) -> Content {
        Content::image(PNG, "image/png")
    }

    /// Answers with audio.
    #[tool]
    fn test_audio_content(&self) -> Content {
        Content::audio(WAV, "audio/wav")
    }

    /// Answers with an embedded resource.
    #[tool]
    fn test_embedded_resource(&self) -> Content {
        Content::resource(text_resource(
            "test://embedded-resource",
            "text/plain",
            "This is an embedded resource content.",
        ))
    }

    /// Answers with text, an image and a resource.
    #[tool]
    fn test_multiple_content_types(&self) -> Vec<Content> {
        vec![
            Content::text("Multiple content types test:"),
            Content::image(PNG, "image/png"),
            Content::resource(text_resource(
                "test://mixed-content-resource",
                "application/json",
                r#"{"test":"data","value":123}"#,
            )),
        ]
    }

    /// Fails as a tool: the result says so.
    #[tool]
    fn test_error_handling(&self) -> Result<String, String> {
        Err("This tool intentionally returns an error for testing".into())
    }

    /// Reports progress three times, then answers.
    #[tool]
    async fn test_tool_with_progress(&self, ctx: Context) -> String {
        for (i, progress) in [0.0, 50.0, 100.0].into_iter().enumerate() {
            if i > 0 {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            ctx.progress(progress, Some(100.0), None);
        }
        "Progress test completed".into()
    }

    /// Logs three messages, then answers.
    #[tool]
    async fn test_tool_with_logging(&self, ctx: Context) -> String {
        let steps = [
            "Tool execution started",
            "Tool processing data",
            "Tool execution completed",
        ];
        for (i, step) in steps.into_iter().enumerate() {
            if i > 0 {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            ctx.log(LoggingLevel::Info, None, step);
        }
        "Logging test completed".into()
    }

    /// Asks the client's model to answer a prompt.
    #[tool]
    async fn test_sampling(
        &self,
        ctx: Context,
        /// What to ask the model.
        prompt: String,
    ) -> Result<String, RequestError> {
        let params = serde_json::json!({
            "messages": [{"role": "user", "content": {"type": "text", "text": prompt}}],
            "maxTokens": 100,
        });
        let result = ctx.create_message(params).await?;
        let text = result["content"]["text"]
            .as_str()
            .unwrap_or("(no text)")
            .to_owned();
        Ok(format!("LLM response: {text}"))
    }

    /// Asks the user for a username and an email.
    #[tool]
    async fn test_elicitation(
        &self,
        ctx: Context,
        /// What to tell the user.
        message: String,
    ) -> Result<String, RequestError> {
        let schema = serde_json::json!({
            "type": "object",
            "properties": {
                "username": {"type": "string", "description": "User's response"},
                "email": {"type": "string", "description": "User's email address"},
            },
            "required": ["username", "email"],
        });
        let answer = ctx.elicit(&message, schema).await?;
        Ok(format!(
            "User response: action={}, content={}",
            answer.action,
            serde_json::json!(answer.content)
        ))
    }

    /// Asks for input whose fields have defaults.
    #[tool]
    async fn test_elicitation_sep1034_defaults(
        &self,
        ctx: Context,
    ) -> Result<String, RequestError> {
        let schema = serde_json::json!({
            "type": "object",
            "properties": {
                "name": {"type": "string", "default": "John Doe"},
                "age": {"type": "integer", "default": 30},
                "score": {"type": "number", "default": 95.5},
                "status": {"type": "string", "enum": ["active", "inactive", "pending"], "default": "active"},
                "verified": {"type": "boolean", "default": true},
            },
        });
        let answer = ctx
            .elicit(
                "Please review and update the form fields with defaults",
                schema,
            )
            .await?;
        Ok(format!(
            "Elicitation completed: action={}, content={}",
            answer.action,
            serde_json::json!(answer.content)
        ))
    }

    /// Asks for input with every kind of enum.
    #[tool]
    async fn test_elicitation_sep1330_enums(&self, ctx: Context) -> Result<String, RequestError> {
        let options = |prefix: &str, titles: [&str; 3]| {
            (1..=3).zip(titles).map(|(i, title)| serde_json::json!({"const": format!("{prefix}{i}"), "title": title})).collect::<Vec<_>>()
        };
        let schema = serde_json::json!({
            "type": "object",
            "properties": {
                "untitledSingle": {"type": "string", "enum": ["option1", "option2", "option3"]},
                "titledSingle": {"type": "string", "oneOf": options("value", ["First Option", "Second Option", "Third Option"])},
                "legacyEnum": {"type": "string", "enum": ["opt1", "opt2", "opt3"], "enumNames": ["Option One", "Option Two", "Option Three"]},
                "untitledMulti": {"type": "array", "items": {"type": "string", "enum": ["option1", "option2", "option3"]}},
                "titledMulti": {"type": "array", "items": {"anyOf": options("value", ["First Choice", "Second Choice", "Third Choice"])}},
            },
        });
        let answer = ctx
            .elicit("Please select options from the enum fields", schema)
            .await?;
        Ok(format!(
            "Elicitation completed: action={}, content={}",
            answer.action,
            serde_json::json!(answer.content)
        ))
    }

    /// Tool with JSON Schema 2020-12 features
    #[tool]
    fn json_schema_2020_12_tool(&self, #[arguments] form: ContactForm) -> String {
        format!(
            "Received contact form for {}",
            form.name.as_deref().unwrap_or("someone")
        )
    }

    /// A static text resource.
    #[resource("test://static-text", mime_type = "text/plain")]
    fn static_text(&self) -> String {
        "This is the content of the static text resource.".into()
    }

    /// A static binary resource.
    #[resource("test://static-binary", mime_type = "image/png")]
    fn static_binary(&self) -> ResourceContents {
        ResourceContents {
            uri: "test://static-binary".into(),
            mime_type: Some("image/png".into()),
            text: None,
            blob: Some(PNG.into()),
            meta: None,
        }
    }

    /// A resource that changes.
    #[resource("test://watched-resource", mime_type = "text/plain")]
    fn watched_resource(&self) -> String {
        "This resource is watched for changes.".into()
    }

    /// Data for an id.
    #[resource("test://template/{id}/data", mime_type = "application/json")]
    fn template_data(&self, id: String) -> String {
        serde_json::json!({"id": id, "templateTest": true, "data": format!("Data for ID: {id}")})
            .to_string()
    }

    /// A simple prompt.
    #[prompt]
    fn test_simple_prompt(&self) -> String {
        "This is a simple prompt for testing.".into()
    }

    /// A prompt with two arguments.
    #[prompt]
    fn test_prompt_with_arguments(
        &self,
        /// The first argument.
        arg1: String,
        /// The second argument.
        arg2: String,
    ) -> String {
        format!("Prompt with arguments: arg1='{arg1}', arg2='{arg2}'")
    }

    /// A prompt that embeds a resource.
    #[prompt]
    fn test_prompt_with_embedded_resource(
        &self,
        /// The URI of the resource to embed.
        #[allow(non_snake_case)]
        resourceUri: String,
    ) -> Vec<PromptMessage> {
        let resource = text_resource(
            &resourceUri,
            "text/plain",
            "Embedded resource content for testing.",
        );
        vec![
            PromptMessage::user(Content::resource(resource)),
            PromptMessage::user(Content::text("Please process the embedded resource above.")),
        ]
    }

    /// A prompt with an image.
    #[prompt]
    fn test_prompt_with_image(&self) -> Vec<PromptMessage> {
        vec![
            PromptMessage::user(Content::image(PNG, "image/png")),
            PromptMessage::user(Content::text("Please analyze the image above.")),
        ]
    }

    /// Completes `arg1` of `test_prompt_with_arguments`.
    #[complete(prompt = "test_prompt_with_arguments", argument = "arg1")]
    fn complete_arg1(&self, value: String) -> Vec<String> {
        ["paris", "park", "party"]
            .into_iter()
            .filter(|v| v.starts_with(&value))
            .map(String::from)
            .collect()
    }

    /// Completes `id` of `test://template/{id}/data`.
    #[complete(resource = "test://template/{id}/data", argument = "id")]
    fn complete_id(&self, value: String) -> Vec<String> {
        ["123", "124", "200"]
            .into_iter()
            .filter(|v| v.starts_with(&value))
            .map(String::from)
            .collect()
    }
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    Everything.serve().await
}
