//! The server trait that `#[mcp_server]` implements, and the dispatch of requests to it.

pub(crate) mod catalog;
mod context;
pub(crate) mod dispatch;
pub(crate) mod features;
pub(crate) mod listen;
pub(crate) mod requests;
pub(crate) mod resolve;
pub(crate) mod rounds;
pub(crate) mod tasks;
mod tool;

use std::future::Future;

use serde_json::value::RawValue;

pub use catalog::Catalog;
pub(crate) use context::Emitter;
pub(crate) use context::Notifier;
pub use context::{Change, Context, ElicitResult};
pub use features::{
    CompletionRef, IntoCompletion, IntoPromptResult, IntoResourceContents, PromptArgumentDef,
    PromptDef, ResourceDef, base64, base64_decode, match_uri_template,
};
pub use requests::RequestError;
pub use tasks::TaskSupport;
pub use tool::{
    IntoToolResult, Json, StructuredOutput, ToolCallError, ToolDef, ToolParam, assert_param,
    output_schema, parse_arguments,
};

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::protocol::{CallToolResult, Completion, GetPromptResult, ReadResourceResult};
use crate::session::{NewSession, Reinit, ReinitPolicy, ReinitRequest, Session};

/// The static description of a server, written by `#[mcp_server]`.
#[derive(Debug)]
pub struct ServerDescription {
    /// The server's name; defaults to the user's crate name.
    pub name: &'static str,
    /// The server's version; defaults to the user's crate version.
    pub version: &'static str,
    /// Display name.
    pub title: Option<&'static str>,
    /// Guidance for the model, sent in `initialize` and `server/discover`.
    pub instructions: Option<&'static str>,
    /// The URI of the server's icon.
    pub icon: Option<&'static str>,
    /// The tools, in declaration order.
    pub tools: &'static [ToolDef],
    /// The resources and resource templates, in declaration order.
    pub resources: &'static [ResourceDef],
    /// The prompts, in declaration order.
    pub prompts: &'static [PromptDef],
}

/// An MCP server. `#[mcp_server]` implements it for the type of an annotated `impl` block;
/// the runtime is generic over it, so dispatch is monomorphized for each server.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an MCP server",
    note = "put `#[mcp_server]` on an `impl {Self} {{ ... }}` block with `#[tool]` methods"
)]
pub trait Server: Send + Sync + Sized + 'static {
    /// The per-session state of legacy-protocol sessions (`#[mcp_server(session = T)]`); `()`
    /// when the server keeps none.
    type Session: Serialize + DeserializeOwned + Default + Send + Sync + 'static;

    /// What a request on an unknown or expired session gets, fixed at compile time.
    const REINIT: ReinitPolicy;

    /// The server's static description: name, version, tools.
    fn description() -> &'static ServerDescription;

    /// The first state of a session created by `initialize`: the `#[on_initialize]` handler, or
    /// `Default::default()` without one.
    fn initial_state(&self, session: NewSession) -> impl Future<Output = Self::Session> + Send;

    /// The `#[on_reinit]` handler; called only when [`Self::REINIT`] is
    /// [`ReinitPolicy::Handler`].
    fn reinit(&self, request: ReinitRequest) -> impl Future<Output = Reinit<Self::Session>> + Send;

    /// Looks a tool up by name and deserializes its arguments; the returned future runs it.
    /// `session` is the caller's legacy session, `None` for stateless requests.
    fn call_tool<'s>(
        &'s self,
        name: &str,
        arguments: Option<&RawValue>,
        cx: Context,
        session: Option<Session<Self::Session>>,
    ) -> Result<impl Future<Output = CallToolResult> + Send + use<'s, Self>, ToolCallError>;

    /// Finds the resource a URI names; `None` when none matches. The future reads it.
    fn read_resource<'s>(
        &'s self,
        uri: &str,
        cx: Context,
    ) -> Option<impl Future<Output = Result<ReadResourceResult, String>> + Send + use<'s, Self>>;

    /// Looks a prompt up by name and deserializes its arguments; the future renders it.
    fn get_prompt<'s>(
        &'s self,
        name: &str,
        arguments: Option<&RawValue>,
        cx: Context,
    ) -> Result<
        impl Future<Output = Result<GetPromptResult, String>> + Send + use<'s, Self>,
        ToolCallError,
    >;

    /// The completion handler for an argument of a prompt or resource template, if any.
    fn complete<'s>(
        &'s self,
        reference: CompletionRef,
        target: &str,
        argument: &str,
        value: String,
    ) -> Option<impl Future<Output = Completion> + Send + use<'s, Self>>;
}
