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

fn name_schema() -> serde_json::Value {
    serde_json::json!({"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]})
}

fn ok_schema() -> serde_json::Value {
    serde_json::json!({"type": "object", "properties": {"ok": {"type": "boolean"}}, "required": ["ok"]})
}

fn capital_question() -> serde_json::Value {
    serde_json::json!({
        "messages": [{"role": "user", "content": {"type": "text", "text": "What is the capital of France?"}}],
        "maxTokens": 100,
    })
}

fn text_resource(uri: &str, mime_type: &str, text: &str) -> ResourceContents {
    ResourceContents::text(uri, text).with_mime_type(mime_type)
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

#[mcp_server(
    name = "mcp-conformance-everything",
    version = "1.0.0",
    icon = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg=="
)]
impl Everything {
    /// Answers with plain text.
    #[tool]
    fn test_simple_text(&self) -> String {
        // With `--log-to-client`, these reach the client at the level it asked for.
        tracing::info!(tool = "test_simple_text", "answering");
        tracing::debug!("a detail");
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

    /// Needs sampling: with a client that lacks it, the call fails with -32021.
    #[tool]
    async fn test_missing_capability(&self, ctx: Context) -> Result<String, RequestError> {
        let params = serde_json::json!({
            "messages": [{"role": "user", "content": {"type": "text", "text": "Say hello"}}],
            "maxTokens": 10,
        });
        ctx.create_message(params).await?;
        Ok("The client can sample.".into())
    }

    /// Answers without sending any request to the client.
    #[tool]
    fn test_streaming_elicitation(&self) -> String {
        "Streaming elicitation test completed without server-to-client requests.".into()
    }

    /// Logs, which reaches the client only when it asked for a log level.
    #[tool]
    fn test_logging_tool(&self, ctx: Context) -> String {
        ctx.log(LoggingLevel::Info, None, "test_logging_tool ran");
        "Logging tool completed".into()
    }

    /// Asks for the user's name (input-required round in 2026-07-28).
    #[tool]
    async fn test_input_required_result_elicitation(
        &self,
        ctx: Context,
    ) -> Result<String, RequestError> {
        let answer = ctx
            .elicit_keyed("user_name", "What is your name?", name_schema())
            .await?;
        let name = answer
            .content
            .as_ref()
            .and_then(|c| c.get("name"))
            .and_then(|n| n.as_str())
            .unwrap_or("stranger");
        Ok(format!("Hello, {name}!"))
    }

    /// Asks the client's model a question.
    #[tool]
    async fn test_input_required_result_sampling(
        &self,
        ctx: Context,
    ) -> Result<String, RequestError> {
        let answer = ctx
            .request_keyed(
                "capital_question",
                "sampling/createMessage",
                "sampling",
                capital_question(),
            )
            .await?;
        Ok(format!(
            "The model said: {}",
            answer["content"]["text"].as_str().unwrap_or("(nothing)")
        ))
    }

    /// Asks the client for its roots.
    #[tool]
    async fn test_input_required_result_list_roots(
        &self,
        ctx: Context,
    ) -> Result<String, RequestError> {
        let answer = ctx
            .request_keyed("client_roots", "roots/list", "roots", serde_json::json!({}))
            .await?;
        Ok(format!(
            "The client has {} root(s)",
            answer["roots"].as_array().map_or(0, Vec::len)
        ))
    }

    /// Asks for a confirmation, carrying state across the round.
    #[tool]
    async fn test_input_required_result_request_state(
        &self,
        ctx: Context,
    ) -> Result<String, RequestError> {
        let answer = ctx
            .elicit_keyed("confirm", "Please confirm", ok_schema())
            .await?;
        Ok(format!("state-ok: action={}", answer.action))
    }

    /// Asks for three things at once.
    #[tool]
    async fn test_input_required_result_multiple_inputs(
        &self,
        ctx: Context,
    ) -> Result<String, RequestError> {
        let (name, capital, roots) = tokio::join!(
            ctx.elicit_keyed("user_name", "What is your name?", name_schema()),
            ctx.request_keyed(
                "capital_question",
                "sampling/createMessage",
                "sampling",
                capital_question()
            ),
            ctx.request_keyed("client_roots", "roots/list", "roots", serde_json::json!({})),
        );
        let (name, _, _) = (name?, capital?, roots?);
        Ok(format!("All inputs received: {}", name.action))
    }

    /// Asks in two rounds.
    #[tool]
    async fn test_input_required_result_multi_round(
        &self,
        ctx: Context,
    ) -> Result<String, RequestError> {
        let first = ctx
            .elicit_keyed("step1", "Step 1: what is your name?", name_schema())
            .await?;
        let second = ctx
            .elicit_keyed("step2", "Step 2: please confirm", ok_schema())
            .await?;
        Ok(format!(
            "Both rounds done: {} then {}",
            first.action, second.action
        ))
    }

    /// Asks once; its `requestState` is integrity-protected.
    #[tool]
    async fn test_input_required_result_tampered_state(
        &self,
        ctx: Context,
    ) -> Result<String, RequestError> {
        let answer = ctx
            .elicit_keyed("confirm", "Please confirm", ok_schema())
            .await?;
        Ok(format!("Untampered: action={}", answer.action))
    }

    /// Asks only for what the client declared it can do.
    #[tool]
    async fn test_input_required_result_capabilities(
        &self,
        ctx: Context,
    ) -> Result<String, RequestError> {
        if ctx.client_supports("elicitation") {
            ctx.elicit_keyed("user_name", "What is your name?", name_schema())
                .await?;
        } else if ctx.client_supports("sampling") {
            ctx.request_keyed(
                "capital_question",
                "sampling/createMessage",
                "sampling",
                capital_question(),
            )
            .await?;
        } else {
            ctx.request_keyed("client_roots", "roots/list", "roots", serde_json::json!({}))
                .await?;
        }
        Ok("Capability-aware input received".into())
    }

    /// Asks for context before rendering.
    #[prompt]
    async fn test_input_required_result_prompt(
        &self,
        ctx: Context,
    ) -> Result<Vec<PromptMessage>, RequestError> {
        let answer = ctx
            .elicit_keyed(
                "user_context",
                "What should the prompt be about?",
                name_schema(),
            )
            .await?;
        let topic = answer
            .content
            .as_ref()
            .and_then(|c| c.get("name"))
            .and_then(|n| n.as_str())
            .unwrap_or("anything");
        Ok(vec![PromptMessage::user(Content::text(format!(
            "Write about {topic}."
        )))])
    }

    /// Mirrors its `region` in the `Mcp-Param-Region` header, which the server checks.
    #[tool]
    fn test_x_mcp_header(
        &self,
        /// Where to run.
        #[header("Region")]
        region: String,
        /// How much.
        level: Option<i64>,
    ) -> String {
        format!("Region {region}, level {}", level.unwrap_or(0))
    }

    /// Announces that the tool list changed.
    #[tool]
    fn test_trigger_tool_change(&self, ctx: Context) -> String {
        ctx.notify(Change::Tools);
        "Tool list change announced".into()
    }

    /// Announces that a resource changed, to the sessions subscribed to it.
    #[tool]
    fn test_trigger_resource_update(&self, ctx: Context, uri: String) -> String {
        ctx.notify(Change::ResourceUpdated(uri));
        "Resource update announced".into()
    }

    /// Announces that the prompt list changed.
    #[tool]
    fn test_trigger_prompt_change(&self, ctx: Context) -> String {
        ctx.notify(Change::Prompts);
        "Prompt list change announced".into()
    }

    /// Greets, synchronously.
    #[tool]
    fn greet(
        &self,
        /// Whom to greet.
        name: String,
    ) -> String {
        format!("Hello, {name}!")
    }

    /// Computes for a while: a task for clients of the tasks extension.
    #[tool(task = "optional")]
    async fn slow_compute(
        &self,
        /// How long to take.
        seconds: f64,
        /// What to call the result.
        label: String,
    ) -> String {
        tokio::time::sleep(Duration::from_secs_f64(seconds.clamp(0.0, 3600.0))).await;
        format!("Computed {label} in {seconds}s")
    }

    /// Runs as a task and reports a tool error.
    #[tool(task = "required")]
    async fn failing_job(&self) -> Result<String, String> {
        tokio::time::sleep(Duration::from_secs(1)).await;
        Err("The job failed, as it always does".into())
    }

    /// Runs as a task and fails at the protocol level.
    #[tool(task = "optional")]
    async fn protocol_error_job(&self) -> String {
        tokio::time::sleep(Duration::from_millis(200)).await;
        panic!("protocol_error_job fails by design");
    }

    /// Asks for confirmation, as a task, before deleting.
    #[tool(task = "required")]
    async fn confirm_delete(
        &self,
        ctx: Context,
        /// What to delete.
        filename: String,
    ) -> Result<String, RequestError> {
        tokio::time::sleep(Duration::from_millis(50)).await;
        let schema = serde_json::json!({"type": "object", "properties": {"confirm": {"type": "boolean"}}, "required": ["confirm"]});
        let answer = ctx
            .elicit_keyed("confirm", &format!("Delete {filename}?"), schema)
            .await?;
        let confirmed = answer
            .content
            .as_ref()
            .and_then(|c| c.get("confirm"))
            .and_then(|c| c.as_bool())
            == Some(true);
        Ok(if answer.action == "accept" && confirmed {
            format!("Deleted {filename}")
        } else {
            format!("Kept {filename}")
        })
    }

    /// Asks two questions at once, as a task.
    #[tool(task = "required")]
    async fn multi_input(&self, ctx: Context) -> Result<String, RequestError> {
        tokio::time::sleep(Duration::from_millis(50)).await;
        let (first, second) = tokio::join!(
            ctx.elicit_keyed("first_name", "Your first name?", name_schema()),
            ctx.elicit_keyed("last_name", "Your last name?", name_schema()),
        );
        Ok(format!(
            "Both answered: {} and {}",
            first?.action, second?.action
        ))
    }

    /// Asks for a name first (an input-required round), then works as a task.
    #[tool(task = "required")]
    async fn test_tool_with_task(&self, ctx: Context) -> Result<String, RequestError> {
        let answer = ctx
            .elicit_keyed("name", "What is your name?", name_schema())
            .await?;
        let name = answer
            .content
            .as_ref()
            .and_then(|c| c.get("name"))
            .and_then(|n| n.as_str())
            .unwrap_or("stranger")
            .to_owned();
        tokio::time::sleep(Duration::from_millis(300)).await;
        Ok(format!("Hello, {name}! (from a task)"))
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
        ResourceContents::blob("test://static-binary", PNG).with_mime_type("image/png")
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
