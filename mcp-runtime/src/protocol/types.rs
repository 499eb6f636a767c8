//! MCP message types for the lifecycle and tools, in both eras.
//!
//! Incoming params borrow from the request body where they can; outgoing results are written
//! once per revision where they are static (see `server::catalog`).

use std::borrow::Cow;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use serde_json::value::RawValue;

use super::jsonrpc::RequestId;

/// A progress token: a string or an integer, chosen by the client.
pub type ProgressToken = RequestId;

/// The `_meta` key of the protocol version on a 2026-07-28 request.
pub const META_PROTOCOL_VERSION: &str = "io.modelcontextprotocol/protocolVersion";
/// The `_meta` key of the client's capabilities on a 2026-07-28 request.
pub const META_CLIENT_CAPABILITIES: &str = "io.modelcontextprotocol/clientCapabilities";
/// The `_meta` key of the client's name and version on a 2026-07-28 request.
pub const META_CLIENT_INFO: &str = "io.modelcontextprotocol/clientInfo";
/// The `_meta` key of the requested log level on a 2026-07-28 request.
pub const META_LOG_LEVEL: &str = "io.modelcontextprotocol/logLevel";
/// The `_meta` key of the server's name and version on a 2026-07-28 result.
pub const META_SERVER_INFO: &str = "io.modelcontextprotocol/serverInfo";

/// The name and version of a client or server implementation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Implementation {
    /// Programmatic name.
    pub name: String,
    /// Version string.
    pub version: String,
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
}

/// What a client declares it can do. Kept as raw JSON objects: the server only asks whether a
/// capability is present.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ClientCapabilities {
    /// Roots listing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roots: Option<Value>,
    /// Sampling (`sampling/createMessage`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sampling: Option<Value>,
    /// Elicitation (`elicitation/create`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub elicitation: Option<Value>,
    /// Experimental capabilities.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub experimental: Option<Value>,
    /// Extensions, keyed by identifier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extensions: Option<Value>,
}

/// Params of a legacy `initialize` request.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InitializeParams {
    /// The revision the client asks for.
    pub protocol_version: String,
    /// What the client can do.
    #[serde(default)]
    pub capabilities: ClientCapabilities,
    /// Who the client is.
    pub client_info: Implementation,
}

/// Severity of a log message, as in RFC 5424.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[allow(missing_docs)]
pub enum LoggingLevel {
    Debug,
    Info,
    Notice,
    Warning,
    Error,
    Critical,
    Alert,
    Emergency,
}

/// The `_meta` object of a request. In 2026-07-28 it carries the protocol version and the
/// client's capabilities on every request; in the legacy era it may carry a progress token.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct RequestMeta {
    /// The revision this request speaks (2026-07-28).
    #[serde(rename = "io.modelcontextprotocol/protocolVersion")]
    pub protocol_version: Option<String>,
    /// The client's capabilities for this request (2026-07-28).
    #[serde(rename = "io.modelcontextprotocol/clientCapabilities")]
    pub client_capabilities: Option<ClientCapabilities>,
    /// Who the client is (2026-07-28, optional).
    #[serde(rename = "io.modelcontextprotocol/clientInfo")]
    pub client_info: Option<Implementation>,
    /// The log level the client opts in to for this request (2026-07-28).
    #[serde(rename = "io.modelcontextprotocol/logLevel")]
    pub log_level: Option<LoggingLevel>,
    /// The token under which the client wants progress notifications.
    #[serde(rename = "progressToken")]
    pub progress_token: Option<ProgressToken>,
}

/// Params that only matter for their `_meta` (`server/discover`, `ping`, list requests).
#[derive(Debug, Default, Deserialize)]
pub struct MetaParams {
    /// The request's `_meta`.
    #[serde(rename = "_meta")]
    pub meta: Option<RequestMeta>,
    /// The pagination cursor of a list request.
    pub cursor: Option<String>,
}

/// Params of `tools/call`; the arguments stay raw so that they deserialize straight into the
/// tool's generated arguments struct.
#[derive(Debug, Deserialize)]
pub struct CallToolParams<'a> {
    /// The tool's name.
    #[serde(borrow)]
    pub name: Cow<'a, str>,
    /// The arguments object, unparsed.
    #[serde(borrow, default)]
    pub arguments: Option<&'a RawValue>,
    /// The request's `_meta`.
    #[serde(rename = "_meta")]
    pub meta: Option<RequestMeta>,
}

/// Params of legacy `logging/setLevel`.
#[derive(Debug, Deserialize)]
pub struct SetLevelParams {
    /// The lowest level the client wants to receive.
    pub level: LoggingLevel,
}

/// Hints that describe a tool's behaviour to clients.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ToolAnnotations {
    /// The tool does not modify its environment.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub read_only_hint: Option<bool>,
    /// The tool may perform destructive updates.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub destructive_hint: Option<bool>,
    /// Calling the tool again with the same arguments has no further effect.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub idempotent_hint: Option<bool>,
    /// The tool interacts with an open world of external entities.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub open_world_hint: Option<bool>,
}

impl ToolAnnotations {
    /// Whether no hint is set, so the `annotations` object can be left out.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// One block of a tool result's or prompt's content.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Content {
    /// Plain text.
    Text {
        /// The text.
        text: String,
    },
    /// A base64-encoded image.
    Image {
        /// Base64 data.
        data: String,
        /// E.g. `image/png`.
        #[serde(rename = "mimeType")]
        mime_type: String,
    },
    /// A base64-encoded audio clip.
    Audio {
        /// Base64 data.
        data: String,
        /// E.g. `audio/wav`.
        #[serde(rename = "mimeType")]
        mime_type: String,
    },
    /// A resource embedded in the result.
    Resource {
        /// The resource's contents.
        resource: ResourceContents,
    },
}

impl Content {
    /// A text block.
    pub fn text(text: impl Into<String>) -> Self {
        Self::Text { text: text.into() }
    }

    /// An image block from base64 data.
    pub fn image(data: impl Into<String>, mime_type: impl Into<String>) -> Self {
        Self::Image {
            data: data.into(),
            mime_type: mime_type.into(),
        }
    }

    /// An audio block from base64 data.
    pub fn audio(data: impl Into<String>, mime_type: impl Into<String>) -> Self {
        Self::Audio {
            data: data.into(),
            mime_type: mime_type.into(),
        }
    }
}

/// The contents of a resource: text or base64 blob.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceContents {
    /// The resource's URI.
    pub uri: String,
    /// Its MIME type.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mime_type: Option<String>,
    /// Text contents.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// Base64 contents.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub blob: Option<String>,
}

/// The result of a tool call.
///
/// Tools usually return plain values and the runtime builds this; return it directly for full
/// control over the content.
#[derive(Clone, Debug, Default)]
pub struct CallToolResult {
    /// The unstructured content.
    pub content: Vec<Content>,
    /// The structured result, already serialized (2025-06-18 and later).
    pub structured_content: Option<Box<RawValue>>,
    /// Whether the call ended in an error the model should see.
    pub is_error: bool,
}

impl CallToolResult {
    /// A successful result with these content blocks.
    pub fn success(content: Vec<Content>) -> Self {
        Self {
            content,
            ..Self::default()
        }
    }

    /// An error result whose single text block is the message.
    pub fn error(message: impl Into<String>) -> Self {
        Self {
            content: vec![Content::text(message)],
            structured_content: None,
            is_error: true,
        }
    }
}
