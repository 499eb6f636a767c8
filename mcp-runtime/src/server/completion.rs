//! `completion/complete`: suggestions for a prompt argument or a resource template variable.

use serde::Deserialize;
use serde_json::value::RawValue;

use super::Server;
use super::dispatch::{Answer, Call, Dispatcher};
use super::features::CompletionRef;
use super::panics::guarded;
use super::params::parse_params;
use super::reply::Failure;
use super::results::{Cache, write_result};
use crate::protocol::{CompleteResult, Completion, ErrorObject};

#[derive(Deserialize)]
struct Reference {
    #[serde(rename = "type")]
    kind: String,
    name: Option<String>,
    uri: Option<String>,
}

#[derive(Deserialize)]
struct Argument {
    name: String,
    value: String,
}

#[derive(Deserialize)]
struct CompleteParams {
    #[serde(rename = "ref")]
    reference: Reference,
    argument: Argument,
}

impl<S: Server> Dispatcher<S> {
    pub(super) async fn complete(&'static self, call: Call<'_>, raw: Option<&RawValue>) -> Answer {
        let params: CompleteParams = parse_params(raw)?;
        let desc = S::description();
        let (kind, target) = match (
            params.reference.kind.as_str(),
            params.reference.name,
            params.reference.uri,
        ) {
            ("ref/prompt", Some(name), _) if desc.prompts.iter().any(|p| p.name == name) => {
                (CompletionRef::Prompt, name)
            }
            ("ref/resource", _, Some(uri)) if desc.resources.iter().any(|r| r.uri == uri) => {
                (CompletionRef::Resource, uri)
            }
            _ => {
                return Err(Failure::ok(ErrorObject::invalid_params(
                    "`ref` names no prompt or resource template of this server",
                )));
            }
        };
        let completion =
            self.server
                .complete(kind, &target, &params.argument.name, params.argument.value);
        let completion = match completion {
            Some(future) => guarded("completion", &target, future)
                .await
                .map_err(Failure::ok)?,
            None => Completion::default(),
        };
        let result = CompleteResult {
            completion,
            meta: None,
        };
        Ok(call.reply(|buf| write_result(buf, &result, call.version, Cache::None)))
    }
}
