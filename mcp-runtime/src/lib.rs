#![doc = include_str!("../../README.md")]
#![doc(test(attr(deny(warnings))))]

pub mod auth;
pub mod protocol;
mod serve;
pub mod server;
pub mod session;
pub mod transport;

pub use auth::Principal;
pub use mcp_macros::{complete, mcp_server, on_initialize, on_reinit, prompt, resource, tool};
pub use serve::{Options, Serve, Transport, router};
pub use server::{Change, Context, ElicitResult, RequestError, Server};
pub use session::{NewSession, Reinit, ReinitRequest, Session};

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
    pub use crate::Change;
    pub use crate::protocol::{
        CallToolResult, Content, GetPromptResult, LoggingLevel, PromptMessage, ResourceContents,
        Role,
    };
    pub use crate::{
        Context, NewSession, Principal, Reinit, ReinitRequest, Serve, Session, complete,
        mcp_server, on_initialize, on_reinit, prompt, resource, tool,
    };
    pub use schemars::JsonSchema;
    pub use serde::{Deserialize, Serialize};
}

/// What generated code uses. Not public API.
#[doc(hidden)]
pub mod __private {
    pub use crate::protocol::{
        CallToolResult, Completion, GetPromptResult, ReadResourceResult, ToolAnnotations,
    };
    pub use crate::server::TaskSupport;
    pub use crate::server::{
        CompletionRef, IntoCompletion, IntoPromptResult, IntoResourceContents, PromptArgumentDef,
        PromptDef, ResourceDef, match_uri_template,
    };
    pub use crate::server::{
        Context, IntoToolResult, Json, Server, ServerDescription, ToolCallError, ToolDef,
        assert_param, output_schema, parse_arguments,
    };
    pub use crate::session::{NewSession, Reinit, ReinitPolicy, ReinitRequest, Session};
    pub use schemars;
    pub use serde;
    pub use serde_json::value::RawValue;
}
