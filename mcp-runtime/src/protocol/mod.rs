//! The wire types a server constructs or receives: tool, prompt, resource and completion
//! results, content, log levels, protocol revisions, the client's description of itself, and
//! JSON-RPC error objects. The rest of the wire model (the JSON-RPC envelope, every request's
//! params, the pre-serialized lists) is the runtime's own. No I/O here.

pub(crate) mod base64;
pub(crate) mod error;
pub(crate) mod jsonrpc;
pub(crate) mod types;
pub(crate) mod uri_template;
pub(crate) mod version;

pub use error::ErrorObject;
pub(crate) use error::code;
pub(crate) use jsonrpc::{Incoming, RequestId};
pub(crate) use types::*;
pub use types::{
    CallToolResult, ClientCapabilities, Completion, Content, EmbeddedResource, GetPromptResult,
    Implementation, LoggingLevel, MediaContent, PromptMessage, ResourceContents, ResourceLink,
    Role, TextContent,
};
pub use version::ProtocolVersion;
pub(crate) use version::{Era, SUPPORTED_VERSIONS};
