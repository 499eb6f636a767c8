//! The server: the trait `#[mcp_server]` implements, and the one entry point every transport
//! calls ([`Dispatcher::handle`](dispatch::Dispatcher::handle)).
//!
//! - `request` and `reply`: the seam. A transport builds a request value; the server returns a
//!   reply value, fully encoded, with a typed fault the transport maps to its status codes.
//! - `dispatch`: routes a request by era and method, and finds its legacy session.
//! - `lifecycle`, `tools`, `resources`, `prompts`, `completion`, `tasks`, `listen`: the methods;
//!   `changelog`: the changes a legacy session's stream resumes from.
//! - `checks` and `params`: what a 2026-07-28 request must carry, and the params methods read.
//! - `catalog`: every static result, serialized once at start-up.
//! - `context`, `requests`, `rounds`: what a handler can do while it runs (progress, logging,
//!   questions to the client in either era).
//! - `tool` and `features`: what the macros describe, and how return values become results.

mod args;
pub(crate) mod bridge;
mod capabilities;
pub(crate) mod catalog;
pub(crate) mod changelog;
mod checks;
mod completion;
mod context;
pub(crate) mod dispatch;
mod features;
mod lifecycle;
mod listen;
pub(crate) mod panics;
mod params;
mod prompts;
pub(crate) mod reply;
pub(crate) mod request;
mod requests;
mod resources;
mod results;
mod rounds;
mod tasks;
mod tool;
mod tools;

use std::future::Future;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;

pub use args::{NamedArgs, ParamSchema, object_schema, optional, param_schema, parse_named};
pub use context::{Change, Context, ElicitResult};
pub(crate) use context::{Emitter, Notifier};
pub use features::{
    CompletionRef, IntoCompletion, IntoPromptResult, IntoResourceContents, PromptArgumentDef,
    PromptDef, ResourceDef,
};
pub use requests::RequestError;
pub use tasks::TaskSupport;
pub use tool::{
    IntoToolResult, Json, StructuredOutput, ToolCallError, ToolDef, ToolParam, assert_param,
    output_schema, parse_arguments,
};

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
/// the runtime is generic over it, so dispatch is monomorphized for each server. Implement it
/// through the macro: its methods are the seam between generated code and the runtime, and
/// every one but [`description`](Self::description) has a default for servers that have no
/// such items.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an MCP server",
    note = "put `#[mcp_server]` on an `impl {Self} {{ ... }}` block with `#[tool]` methods"
)]
pub trait Server: Send + Sync + Sized + 'static {
    /// The per-session state of legacy-protocol sessions (`#[mcp_server(session = T)]`); `()`
    /// when the server keeps none.
    type Session: Serialize + DeserializeOwned + Default + Send + Sync + 'static;

    /// The state kept per authenticated caller (`#[mcp_server(user = T)]`), which
    /// [`User<T>`](crate::User) parameters reach; `()` when the server keeps none.
    type User: Serialize + DeserializeOwned + Default + Send + Sync + 'static;

    /// Whether the server declares state per caller: serving it then needs authentication.
    #[doc(hidden)]
    const USER_STATE: bool = false;

    /// What a request on an unknown or expired session gets, fixed at compile time.
    #[doc(hidden)]
    const REINIT: ReinitPolicy = ReinitPolicy::Reject;

    /// The server's static description: name, version, tools.
    #[doc(hidden)]
    fn description() -> &'static ServerDescription;

    /// The first state of a session created by `initialize`: the `#[on_initialize]` handler, or
    /// `Default::default()` without one.
    #[doc(hidden)]
    fn initial_state(&self, session: NewSession) -> impl Future<Output = Self::Session> + Send {
        let _ = session;
        std::future::ready(Self::Session::default())
    }

    /// The `#[on_reinit]` handler; called only when `REINIT` is `ReinitPolicy::Handler`.
    #[doc(hidden)]
    fn reinit(&self, request: ReinitRequest) -> impl Future<Output = Reinit<Self::Session>> + Send {
        let _ = request;
        std::future::ready(Reinit::Reject)
    }

    /// Looks a tool up by name and deserializes its arguments; the returned future runs it.
    /// `session` is the caller's legacy session, `None` for stateless requests.
    #[doc(hidden)]
    fn call_tool<'s>(
        &'s self,
        name: &str,
        arguments: Option<&RawValue>,
        cx: Context,
        session: Option<Session<Self::Session>>,
    ) -> Result<impl Future<Output = CallToolResult> + Send + use<'s, Self>, ToolCallError> {
        let _ = (name, arguments, cx, session);
        Err::<std::future::Ready<CallToolResult>, _>(ToolCallError::UnknownTool)
    }

    /// Finds the resource a URI names; `None` when none matches. The future reads it.
    #[doc(hidden)]
    fn read_resource<'s>(
        &'s self,
        uri: &str,
        cx: Context,
    ) -> Option<impl Future<Output = Result<ReadResourceResult, String>> + Send + use<'s, Self>>
    {
        let _ = (uri, cx);
        None::<std::future::Ready<Result<ReadResourceResult, String>>>
    }

    /// Looks a prompt up by name and deserializes its arguments; the future renders it.
    #[doc(hidden)]
    fn get_prompt<'s>(
        &'s self,
        name: &str,
        arguments: Option<&RawValue>,
        cx: Context,
    ) -> Result<
        impl Future<Output = Result<GetPromptResult, String>> + Send + use<'s, Self>,
        ToolCallError,
    > {
        let _ = (name, arguments, cx);
        Err::<std::future::Ready<Result<GetPromptResult, String>>, _>(ToolCallError::UnknownTool)
    }

    /// The completion handler for an argument of a prompt or resource template, if any.
    #[doc(hidden)]
    fn complete<'s>(
        &'s self,
        reference: CompletionRef,
        target: &str,
        argument: &str,
        value: String,
    ) -> Option<impl Future<Output = Completion> + Send + use<'s, Self>> {
        let _ = (reference, target, argument, value);
        None::<std::future::Ready<Completion>>
    }
}
