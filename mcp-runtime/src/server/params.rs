//! The params fields the methods read, parsed in one pass and without copying.

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::value::RawValue;

use super::capabilities::Declared;
use super::reply::Failure;
use crate::protocol::{ErrorObject, LoggingLevel, RequestId};

/// A request's `_meta`, read without copying: what the server acts on, nothing else (the
/// client's name, for one, is skipped).
#[derive(Debug, Default, Deserialize)]
#[serde(expecting = "`_meta` as an object")]
pub(crate) struct MetaView<'a> {
    #[serde(rename = "io.modelcontextprotocol/protocolVersion", borrow)]
    pub protocol_version: Option<Cow<'a, str>>,
    #[serde(rename = "io.modelcontextprotocol/clientCapabilities", borrow)]
    pub client_capabilities: Option<CapabilitiesView<'a>>,
    #[serde(rename = "io.modelcontextprotocol/logLevel")]
    pub log_level: Option<LoggingLevel>,
    #[serde(rename = "progressToken")]
    pub progress_token: Option<RequestId>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(expecting = "client capabilities as an object")]
pub(crate) struct CapabilitiesView<'a> {
    #[serde(borrow)]
    sampling: Option<&'a RawValue>,
    #[serde(borrow)]
    elicitation: Option<&'a RawValue>,
    #[serde(borrow)]
    roots: Option<&'a RawValue>,
    #[serde(borrow)]
    extensions: Option<&'a RawValue>,
}

impl MetaView<'_> {
    /// The declared capabilities; none without the capabilities object.
    pub(crate) fn declared(&self) -> Declared {
        let Some(caps) = &self.client_capabilities else {
            return Declared::default();
        };
        // Extension keys are read only when a client declares extensions at all.
        let tasks = caps.extensions.is_some_and(|e| {
            serde_json::from_str::<std::collections::HashMap<Cow<'_, str>, serde::de::IgnoredAny>>(
                e.get(),
            )
            .is_ok_and(|e| e.contains_key(super::tasks::EXTENSION))
        });
        Declared {
            sampling: caps.sampling.is_some(),
            elicitation: caps.elicitation.is_some(),
            roots: caps.roots.is_some(),
            tasks,
        }
    }
}

/// The params fields any method here needs, parsed in one pass; unknown fields are ignored.
#[derive(Debug, Default, Deserialize)]
#[serde(expecting = "`params` as an object")]
pub(crate) struct Params<'a> {
    #[serde(rename = "_meta", borrow)]
    pub meta: Option<MetaView<'a>>,
    #[serde(borrow)]
    pub name: Option<Cow<'a, str>>,
    #[serde(borrow)]
    pub uri: Option<Cow<'a, str>>,
    #[serde(borrow, rename = "taskId")]
    pub task_id: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub arguments: Option<&'a RawValue>,
    /// The pagination cursor of a list request.
    #[serde(borrow)]
    pub cursor: Option<Cow<'a, str>>,
    /// 2026-07-28: the state of an input-required round, echoed back.
    #[serde(rename = "requestState")]
    pub request_state: Option<String>,
    /// 2026-07-28: the client's answers to an input-required round.
    #[serde(rename = "inputResponses")]
    pub input_responses: Option<serde_json::Value>,
}

impl<'a> Params<'a> {
    pub(crate) fn parse(raw: Option<&'a RawValue>) -> Result<Self, Failure> {
        let Some(raw) = raw else {
            return Ok(Self::default());
        };
        let params: Self = serde_json::from_str(object(raw)?).map_err(invalid)?;
        if params.arguments.is_some_and(|a| !is_object(a)) {
            return Err(Failure::bad_request(ErrorObject::invalid_params(
                "`arguments` must be an object",
            )));
        }
        Ok(params)
    }

    /// What `Mcp-Name` must equal for this method, if it names anything.
    pub(crate) fn header_name(&self, method: &str) -> Option<&str> {
        match method {
            "tools/call" | "prompts/get" => self.name.as_deref(),
            "resources/read" => self.uri.as_deref(),
            "tasks/get" | "tasks/update" | "tasks/cancel" => self.task_id.as_deref(),
            _ => None,
        }
    }

    /// The `name` a method requires.
    pub(crate) fn required_name(&self, method: &str) -> Result<&str, Failure> {
        self.name.as_deref().ok_or_else(|| {
            Failure::bad_request(ErrorObject::invalid_params(format!(
                "`{method}` needs `name`"
            )))
        })
    }
}

/// Params of a method's own type; `{}` when absent.
pub(crate) fn parse_params<'a, T: Deserialize<'a>>(
    raw: Option<&'a RawValue>,
) -> Result<T, Failure> {
    let text = match raw {
        Some(raw) => object(raw)?,
        None => "{}",
    };
    serde_json::from_str(text).map_err(invalid)
}

/// A raw value's text (which starts at the value: serde_json skips the whitespace before it).
fn is_object(raw: &RawValue) -> bool {
    raw.get().starts_with('{')
}

/// `params` by name only: serde would read an array positionally into a struct's fields,
/// which MCP does not allow.
fn object(raw: &RawValue) -> Result<&str, Failure> {
    match is_object(raw) {
        true => Ok(raw.get()),
        false => Err(Failure::bad_request(ErrorObject::invalid_params(
            "`params` must be an object",
        ))),
    }
}

/// Params that do not deserialize, in the protocol's words: serde names the Rust type it
/// wanted (`expected struct InitializeParams`), which means nothing to a client.
fn invalid(e: serde_json::Error) -> Failure {
    let mut text = e.to_string();
    for (rust, json) in [
        ("expected struct ", "expected an object"),
        (
            "expected enum ",
            "expected one of the values the field takes",
        ),
    ] {
        if let Some(at) = text.find(rust) {
            let name = &text[at + rust.len()..];
            let len = name
                .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                .unwrap_or(name.len());
            text.replace_range(at..at + rust.len() + len, json);
        }
    }
    Failure::bad_request(ErrorObject::invalid_params(format!(
        "invalid params: {text}"
    )))
}
