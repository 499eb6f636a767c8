//! `tools/call` in both eras: a plain call, a call with an input-required round (2026-07-28),
//! or a call that becomes a task (the tasks extension).

use std::sync::Arc;
use std::task::Poll;

use serde_json::value::RawValue;
use tokio::sync::mpsc;

use super::dispatch::{Answer, Call, Dispatcher};
use super::params::Params;
use super::reply::{Failure, Reply, pump};
use super::requests::Cancel;
use super::results::{encode_call, write_call_result};
use super::rounds::{Declared, Interruptible, Outcome, Round};
use super::tasks::TaskSupport;
use super::{Context, Server, ToolCallError};
use crate::protocol::{CallToolResult, ErrorObject, code};
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
    /// Where the messages the call emits before its result arrive.
    pub messages: Option<mpsc::UnboundedReceiver<Vec<u8>>>,
}

impl<S: Server> Dispatcher<S> {
    /// Runs a tool: plain JSON when it finishes before emitting anything, a stream otherwise.
    pub(super) async fn call_tool(
        &'static self,
        call: Call<'_>,
        tool: ToolCall<'_, S::Session>,
    ) -> Answer {
        let name = tool
            .name
            .ok_or_else(|| Failure::ok(ErrorObject::invalid_params("`tools/call` needs `name`")))?;
        let cx = match &tool.round {
            Some(round) => tool.cx.in_round(round.clone()),
            None => tool.cx,
        };
        let future = match self
            .server
            .call_tool(name, tool.arguments, cx, tool.session)
        {
            Ok(future) => future,
            Err(e) => return self.not_called(call, name, e),
        };
        let run = Interruptible::new(future, tool.round);
        let run = match tool.cancel {
            Some(cancel) => run.cancellable(cancel),
            None => run,
        };
        let (id, version) = (call.id.clone(), call.version);
        let encoded = async move { encode_call(&id, version, &run.await) };
        let (body, fault) = pump(encoded, tool.messages).await;
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
        messages: Option<mpsc::UnboundedReceiver<Vec<u8>>>,
    ) -> Answer {
        let name = params.name.as_deref().unwrap_or_default();
        let subject = || format!("tools/call:{name}");
        let support = self.catalog.task_support(name);
        if support == TaskSupport::Required && !declared.tasks {
            return Err(Failure::bad_request(super::tasks::extension_required()));
        }
        if declared.tasks && support != TaskSupport::Forbidden {
            let round = Round::open(&subject(), params, declared)?;
            return self.call_as_task(call, params, cx, round).await;
        }
        // Only a tool that takes a `Context` can ask for input; without one, no round.
        let round = match self.emits {
            true => Some(Round::open(&subject(), params, declared)?),
            false => None,
        };
        let tool = ToolCall {
            name: params.name.as_deref(),
            arguments: params.arguments,
            cx,
            session: None,
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
    ) -> Answer {
        let name = params.name.as_deref().unwrap_or_default();
        let future =
            match self
                .server
                .call_tool(name, params.arguments, cx.in_round(round.clone()), None)
            {
                Ok(future) => future,
                Err(e) => return self.not_called(call, name, e),
            };
        let mut run = Box::pin(Interruptible::new(future, Some(round.clone())));
        let first = std::future::poll_fn(|cx| Poll::Ready(run.as_mut().poll(cx))).await;
        if let Poll::Ready(outcome) = first {
            // Answered as it always was: the status of an early end stays 200 here.
            let (_, body) = encode_call(call.id, call.version, &outcome);
            return Ok(Reply::json(body, Some(call.version)));
        }
        let task = self.tasks.create();
        round.become_task(task.clone());
        let created = task.created();
        let running = tokio::spawn(run);
        task.set_abort(running.abort_handle());
        tokio::spawn(async move {
            match running.await {
                Ok(Outcome::Done(result)) => task.finish(Ok(&result)),
                Ok(Outcome::MissingCapability(capability)) => task.finish(Err(ErrorObject::new(
                    code::MISSING_REQUIRED_CLIENT_CAPABILITY,
                    format!("the task needs the client capability `{capability}`"),
                ))),
                Ok(Outcome::InputRequired(..)) => {
                    task.finish(Err(ErrorObject::internal(
                        "the task ended waiting for input",
                    )));
                }
                Ok(Outcome::Cancelled) => task.cancelled(),
                Err(e) if e.is_cancelled() => task.cancelled(),
                Err(e) => task.finish(Err(ErrorObject::internal(format!("the tool failed: {e}")))),
            }
        });
        Ok(call.reply(|buf| serde_json::to_writer(buf, &created).expect("results serialize")))
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
