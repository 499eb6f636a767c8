//! `prompts/get` in both eras; in 2026-07-28 a prompt may ask for input in a round, as tools do.

use super::capabilities::Declared;
use super::dispatch::{Answer, Call, Dispatcher};
use super::panics::{catching, failed};
use super::params::Params;
use super::reply::Failure;
use super::results::{Cache, encode_interrupted, write_result};
use super::rounds::{Interruptible, Outcome, Round};
use super::{Context, Server, ToolCallError};
use crate::protocol::ErrorObject;

impl<S: Server> Dispatcher<S> {
    /// `capabilities` are the 2026-07-28 request's; `None` in the legacy era.
    pub(super) async fn get_prompt(
        &'static self,
        call: Call<'_>,
        params: &Params<'_>,
        capabilities: Option<Declared>,
        cx: Context,
    ) -> Answer {
        let name = params.required_name("prompts/get")?;
        let needed = self.catalog.prompt_scopes(name);
        if !needed.is_empty() {
            super::tools::authorize(&format!("the prompt `{name}`"), needed, &cx)?;
        }
        let round = match capabilities {
            Some(caps) => {
                let subject = format!("prompts/get:{name}");
                Some(Round::open(subject, params, caps, cx.principal())?)
            }
            None => None,
        };
        let cx = match &round {
            Some(round) => cx.in_round(round.clone()),
            None => cx,
        };
        let get = match self.server.get_prompt(name, params.arguments, cx) {
            Ok(get) => get,
            Err(ToolCallError::UnknownTool) => {
                let e = ErrorObject::invalid_params(format!("unknown prompt: `{name}`"));
                return Err(Failure::ok(e));
            }
            Err(ToolCallError::InvalidArguments(message)) => {
                return Err(Failure::ok(ErrorObject::invalid_params(message)));
            }
        };
        let outcome = Interruptible::new(catching(get), round).await.unwound();
        let outcome = outcome.map_err(|panic| Failure::ok(failed("prompt", name, panic)))?;
        let result = match outcome {
            Outcome::Done(result) => result.map_err(|e| Failure::ok(ErrorObject::internal(e)))?,
            // Answered as it always was: the status of an early end stays 200 here.
            other => {
                let (_, body) = encode_interrupted(call.id, &other);
                return Ok(super::reply::Reply::json(body, Some(call.version)));
            }
        };
        Ok(call.reply(|buf| write_result(buf, &result, call.version, Cache::None)))
    }
}
