//! `tools/call` in both eras: a plain call, a call with an input-required round (2026-07-28),
//! or a call that becomes a task (the tasks extension).

use std::sync::Arc;
use std::task::Poll;

use serde_json::value::RawValue;
use tokio::sync::mpsc;

use super::bridge;
use super::capabilities::Declared;
use super::dispatch::{Answer, Call, Dispatcher};
use super::panics::{Panic, catching, failed};
use super::params::Params;
use super::reply::{Body, Encoded, Failure, Reply, pump};
use super::requests::Cancel;
use super::results::{encode_call, write_call_result};
use super::rounds::{Interruptible, Outcome, Round};
use super::tasks::TaskSupport;
use super::{Context, Emitter, Server, ToolCallError};
use crate::protocol::jsonrpc::{self, RequestId};
use crate::protocol::{CallToolResult, ErrorObject, ProtocolVersion, code};
use crate::session::Session;

/// Everything a tool call runs with, besides the request it answers.
pub(crate) struct ToolCall<'p, T: 'static> {
    pub name: Option<&'p str>,
    pub arguments: Option<&'p RawValue>,
    pub cx: Context,
    /// The caller's legacy session, `None` for stateless requests.
    pub session: Option<Session<T>>,
    /// The 2026-07-28 input-required round, for tools that can ask for input.
    pub round: Option<Arc<Round>>,
    /// How a legacy client cancels the call.
    pub cancel: Option<Cancel>,
    /// Where the messages the call emits before its result arrive, for tools that can.
    pub messages: Option<Outbox>,
}

/// The messages a call emits before its result, as a reply reads them.
pub(crate) struct Outbox {
    rx: mpsc::UnboundedReceiver<Vec<u8>>,
    /// The tool's name as its description holds it: the call may outlive the request (as a
    /// stream), and the log of a panic still names the tool.
    tool: &'static str,
}

impl<S: Server> Dispatcher<S> {
    /// Where a call of `tool` sends messages before its result: only a tool that takes a
    /// `Context` can, so only its calls set up a channel.
    pub(super) fn messages(&self, tool: Option<&str>) -> (Option<Emitter>, Option<Outbox>) {
        match tool.and_then(|t| self.catalog.context_tool(t)) {
            Some(tool) => {
                let (tx, rx) = mpsc::unbounded_channel();
                (Some(tx), Some(Outbox { rx, tool }))
            }
            None => (None, None),
        }
    }

    /// Runs a tool: plain JSON when it finishes before emitting anything, a stream otherwise.
    pub(super) async fn call_tool(
        &'static self,
        call: Call<'_>,
        tool: ToolCall<'_, S::Session>,
    ) -> Answer {
        let name = tool.name.ok_or_else(|| {
            Failure::bad_request(ErrorObject::invalid_params("`tools/call` needs `name`"))
        })?;
        self.authorize(name, &tool.cx)?;
        let cx = match &tool.round {
            Some(round) => tool.cx.in_round(round.clone()),
            None => tool.cx,
        };
        let sink = bridge::sink(&cx);
        let future = match self
            .server
            .call_tool(name, tool.arguments, cx, tool.session)
        {
            Ok(future) => future,
            Err(e) => return self.not_called(call, name, e),
        };
        let run = Interruptible::new(catching(bridge::scoped(sink, future)), tool.round);
        let run = match tool.cancel {
            Some(cancel) => run.cancellable(cancel),
            None => run,
        };
        let version = call.version;
        let (body, fault) = match tool.messages {
            // Nothing to send before the result: the call runs here, and answers here.
            None => {
                let (fault, body) = encode_run(call.id, version, name, run.await);
                (Body::Json(body), fault)
            }
            Some(Outbox { rx, tool }) => {
                let id = call.id.clone();
                let encoded = async move { encode_run(&id, version, tool, run.await) };
                pump(encoded, Some(rx)).await
            }
        };
        Ok(Reply {
            body,
            fault,
            version: Some(version),
            session: None,
        })
    }

    /// A 2026-07-28 `tools/call`: a task for clients of the tasks extension when the tool
    /// supports it, otherwise a call in an input-required round (for tools that can ask).
    pub(super) async fn call_tool_modern(
        &'static self,
        call: Call<'_>,
        params: &Params<'_>,
        cx: Context,
        declared: Declared,
    ) -> Answer {
        let name = params.name.as_deref().unwrap_or_default();
        let subject = || format!("tools/call:{name}");
        let (support, logged) = self.catalog.task_support(name);
        if support == TaskSupport::Required && !declared.tasks {
            return Err(Failure::bad_request(super::tasks::extension_required()));
        }
        if declared.tasks && support != TaskSupport::Forbidden {
            self.authorize(name, &cx)?;
            let round = Round::open(subject(), params, declared, cx.principal())?;
            return self.call_as_task(call, params, cx, round, logged).await;
        }
        // Only a tool that takes a `Context` can ask for input; the others get no round.
        let (tx, messages) = self.messages(params.name.as_deref());
        let round = match messages {
            Some(_) => Some(Round::open(subject(), params, declared, cx.principal())?),
            None => None,
        };
        // The stateless call's throwaway session carries the caller; only authenticated calls
        // pay for it.
        let session = cx
            .principal()
            .map(|p| crate::session::Session::ephemeral_for(Some(p.clone())));
        let tool = ToolCall {
            name: params.name.as_deref(),
            arguments: params.arguments,
            cx: cx.emitting(tx),
            session,
            round,
            cancel: None,
            messages,
        };
        self.call_tool(call, tool).await
    }

    /// A task-supporting tool called by a client of the tasks extension: it runs until it first
    /// waits; by then it has either finished (a plain result), asked for input (an
    /// input-required round), or become a task that goes on in the background.
    async fn call_as_task(
        &'static self,
        call: Call<'_>,
        params: &Params<'_>,
        cx: Context,
        round: Arc<Round>,
        logged: &'static str,
    ) -> Answer {
        let name = params.name.as_deref().unwrap_or_default();
        let sink = bridge::sink(&cx);
        let future =
            match self
                .server
                .call_tool(name, params.arguments, cx.in_round(round.clone()), None)
            {
                Ok(future) => future,
                Err(e) => return self.not_called(call, name, e),
            };
        let future = bridge::scoped(sink, future);
        let mut run = Box::pin(Interruptible::new(catching(future), Some(round.clone())));
        let first = std::future::poll_fn(|cx| Poll::Ready(run.as_mut().poll(cx))).await;
        if let Poll::Ready(outcome) = first {
            // Answered as it always was: the status of an early end stays 200 here.
            let (_, body) = encode_run(call.id, call.version, logged, outcome);
            return Ok(Reply::json(body, Some(call.version)));
        }
        let task = self.tasks.create().await;
        round.become_task(task.clone());
        let created = task.created();
        let running = tokio::spawn(run);
        task.set_abort(running.abort_handle());
        tokio::spawn(async move {
            match running.await.map(Outcome::unwound) {
                Ok(Ok(Outcome::Done(result))) => task.finish(Ok(&result)),
                Ok(Ok(Outcome::MissingCapability(capability))) => {
                    task.finish(Err(ErrorObject::new(
                        code::MISSING_REQUIRED_CLIENT_CAPABILITY,
                        format!("the task needs the client capability `{capability}`"),
                    )))
                }
                Ok(Ok(Outcome::InputRequired(..) | Outcome::DuplicateId)) => {
                    task.finish(Err(ErrorObject::internal(
                        "the task ended waiting for input",
                    )));
                }
                Ok(Ok(Outcome::Cancelled)) => task.cancelled(),
                Ok(Err(panic)) => task.finish(Err(failed("tool", logged, panic))),
                Err(e) if e.is_cancelled() => task.cancelled(),
                // Only dropping the call can panic here; its message stays in the log.
                Err(e) => {
                    tracing::error!(tool = logged, "a task failed: {e}");
                    task.finish(Err(ErrorObject::internal("the tool failed unexpectedly")));
                }
            }
        });
        Ok(call.reply(|buf| serde_json::to_writer(buf, &created).expect("results serialize")))
    }

    /// Refuses a call of `tool` by a caller without every scope it needs (403, with the scope
    /// challenge); nothing to check for a tool that needs none.
    fn authorize(&self, tool: &str, cx: &Context) -> Result<(), Failure> {
        let needed = self.catalog.scopes(tool);
        if needed.is_empty() {
            return Ok(());
        }
        authorize(&format!("`{tool}`"), needed, cx)
    }

    /// A call that could not start: an unknown tool is a protocol error; arguments that do not
    /// fit are a tool result with `isError`, so the model can correct them.
    fn not_called(&self, call: Call<'_>, name: &str, error: ToolCallError) -> Answer {
        match error {
            ToolCallError::UnknownTool => Err(Failure::ok(ErrorObject::invalid_params(format!(
                "unknown tool: `{name}`"
            )))),
            ToolCallError::InvalidArguments(message) => Ok(call.reply(|buf| {
                write_call_result(buf, &CallToolResult::error(message), call.version)
            })),
        }
    }
}

/// The response to a tool call however it ended, a panic included.
fn encode_run(
    id: &RequestId,
    version: ProtocolVersion,
    name: &str,
    outcome: Outcome<Result<CallToolResult, Panic>>,
) -> Encoded {
    match outcome.unwound() {
        Ok(outcome) => encode_call(id, version, &outcome),
        Err(panic) => (
            None,
            jsonrpc::error_response(Some(id), &failed("tool", name, panic)),
        ),
    }
}

/// Refuses `what` (a tool, resource or prompt, as the error names it) to a caller without every
/// scope in `needed` (403, with the scope challenge); nothing to check when it needs none.
pub(super) fn authorize(what: &str, needed: &[&str], cx: &Context) -> Result<(), Failure> {
    let lacking = match cx.principal() {
        Some(caller) => needed.iter().any(|s| !caller.has_scope(s)),
        None => !needed.is_empty(),
    };
    if !lacking {
        return Ok(());
    }
    let scope = needed.join(" ");
    let e = ErrorObject::new(
        code::INSUFFICIENT_SCOPE,
        format!("{what} needs the scope `{scope}`, which the caller was not granted"),
    )
    .with_data(serde_json::json!({ "scope": scope }));
    Err(Failure::new(super::reply::Fault::Forbidden, e))
}
