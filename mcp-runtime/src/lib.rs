#![doc = include_str!("../docs/crate.md")]
#![doc(test(attr(deny(warnings))))]

pub mod auth;
pub mod protocol;
mod secret;
mod serve;
mod server;
pub mod session;
#[cfg(test)]
mod test_support;
#[cfg(feature = "testing")]
pub mod testing;
mod transport;

// Generated code names `::mcp_runtime::__private::...`; unit tests write servers with the real
// macros, so the crate must answer to its own name.
#[cfg(test)]
extern crate self as mcp_runtime;

pub use auth::{Principal, Secret};
#[doc = include_str!("../docs/macros/complete.md")]
pub use mcp_macros::complete;
#[doc = include_str!("../docs/macros/mcp_server.md")]
pub use mcp_macros::mcp_server;
#[doc = include_str!("../docs/macros/on_initialize.md")]
pub use mcp_macros::on_initialize;
#[doc = include_str!("../docs/macros/on_reinit.md")]
pub use mcp_macros::on_reinit;
#[doc = include_str!("../docs/macros/prompt.md")]
pub use mcp_macros::prompt;
#[doc = include_str!("../docs/macros/resource.md")]
pub use mcp_macros::resource;
#[doc = include_str!("../docs/macros/tool.md")]
pub use mcp_macros::tool;
#[cfg(feature = "oauth")]
pub use serve::OAuthOptions;
pub use serve::{LogFormat, Options, Serve, ServeFlags, Transport, router};
pub use server::{Change, Context, ElicitResult, RequestError, Server};
pub use session::{
    Headers, Issuer, NewSession, Reinit, ReinitRequest, Session, StateError, User, UserStateError,
};

/// Errors of serving.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Reading or writing failed.
    #[error("i/o error: {0}")]
    Io(#[from] std::io::Error),
    /// The HTTP address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: std::net::SocketAddr,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The session store could not be set up.
    #[error(transparent)]
    Store(#[from] session::StoreError),
    /// A setting is invalid.
    #[error("invalid configuration: {0}")]
    Config(String),
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything a server needs: `use mcp_runtime::prelude::*;`.
pub mod prelude {
    #[doc(no_inline)]
    pub use crate::protocol::{
        CallToolResult, Content, GetPromptResult, LoggingLevel, PromptMessage, ResourceContents,
        Role,
    };
    #[doc(no_inline)]
    pub use crate::{
        Change, Context, Issuer, NewSession, Principal, Reinit, ReinitRequest, Serve, Session,
        StateError, User, UserStateError, complete, mcp_server, on_initialize, on_reinit, prompt,
        resource, tool,
    };
    #[doc(no_inline)]
    pub use schemars::JsonSchema;
    #[doc(no_inline)]
    pub use serde::{Deserialize, Serialize};
}

/// The whole wire model, for the project's own wire tests (the official example messages
/// round-trip through it). Not public API.
#[doc(hidden)]
pub mod __wire {
    pub use crate::protocol::error::*;
    pub use crate::protocol::jsonrpc::*;
    pub use crate::protocol::types::*;
    pub use crate::protocol::version::*;
}

/// What generated code uses. Not public API.
#[doc(hidden)]
pub mod __private {
    pub use crate::protocol::types::{
        CallToolResult, Completion, GetPromptResult, ReadResourceResult, ToolAnnotations,
    };
    pub use crate::protocol::uri_template::match_uri_template;
    pub use crate::server::TaskSupport;
    pub use crate::server::{
        CompletionRef, IntoCompletion, IntoPromptResult, IntoResourceContents, PromptArgumentDef,
        PromptDef, ResourceDef,
    };
    pub use crate::server::{
        Context, IntoToolResult, Json, Server, ServerDescription, StructuredOutput, ToolCallError,
        ToolDef, ToolParam, assert_param, output_schema, parse_arguments,
    };
    pub use crate::server::{
        NamedArgs, ParamSchema, object_schema, optional, param_schema, parse_named,
    };
    pub use crate::session::reinit::ReinitPolicy;
    pub use crate::session::{NewSession, Reinit, ReinitRequest, Session, User};
    pub use schemars;
    pub use serde;
    pub use serde_json::value::RawValue;
}

/// The README's examples, compiled as doctests so that they stay true (with the `testing`
/// feature, which one of them uses; the README's test command turns every feature on).
#[cfg(all(doctest, feature = "testing"))]
#[doc = include_str!("../../README.md")]
struct ReadmeDoctests;
