//! Input-required rounds (2026-07-28): a handler that asks the client something does not send
//! a request; its call ends with an `input_required` result listing what it needs, and runs
//! again when the client retries with the answers. What was answered in earlier rounds travels
//! in `requestState`, sealed with an HMAC so that a client cannot forge it.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, OnceLock};
use std::task::{Context as TaskContext, Poll};

use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use serde_json::value::RawValue;
use sha2::Digest;
use sha2::Sha256;

use super::capabilities::Declared;
use super::requests::Signal;
use super::tasks::Task;
use crate::auth::Principal;
use crate::protocol::base64::{base64_url, base64_url_decode};
use crate::protocol::{ErrorObject, JsonObject};

/// How long a `requestState` stays valid unless `MCP_STATE_TTL` (seconds) says otherwise: long
/// enough for a user to answer, short enough that a leaked state is soon worthless.
const DEFAULT_STATE_TTL_SECS: u64 = 300;

/// One round of a call: the answers it has, and what it found missing.
#[derive(Debug)]
pub(crate) struct Round {
    /// Whom and what its states are for.
    binding: Binding,
    answers: JsonObject,
    capabilities: Declared,
    needs: Mutex<Needs>,
    /// Set once the call became a task: questions then wait for `tasks/update`.
    task: OnceLock<Arc<Task>>,
}

#[derive(Debug, Default)]
struct Needs {
    requests: Vec<(String, Value)>,
    missing_capability: Option<&'static str>,
}

/// How a call ended.
pub(crate) enum Outcome<T> {
    /// It ran to completion.
    Done(T),
    /// It needs input from the client: the requests, keyed, and the sealed state.
    InputRequired(JsonObject, String),
    /// It needs a capability the client did not declare.
    MissingCapability(&'static str),
    /// The client cancelled it (`notifications/cancelled`).
    Cancelled,
    /// Another call of the same session is in flight under the same request id.
    DuplicateId,
}

impl<T> Outcome<Result<T, super::panics::Panic>> {
    /// The outcome of a call whose handler did not panic, or what its panic left.
    pub(crate) fn unwound(self) -> Result<Outcome<T>, super::panics::Panic> {
        Ok(match self {
            Outcome::Done(done) => Outcome::Done(done?),
            Outcome::InputRequired(requests, state) => Outcome::InputRequired(requests, state),
            Outcome::MissingCapability(capability) => Outcome::MissingCapability(capability),
            Outcome::Cancelled => Outcome::Cancelled,
            Outcome::DuplicateId => Outcome::DuplicateId,
        })
    }
}

/// What a `requestState` is bound to, so that it cannot be replayed by another caller, on
/// another call, or with other arguments.
#[derive(Debug)]
pub(crate) struct Binding {
    /// What the call is (`tools/call:name`, `prompts/get:name`).
    subject: String,
    principal: Option<Principal>,
    /// SHA-256 of the arguments' raw JSON text: a client retries with what it sent.
    arguments: [u8; 32],
}

impl Binding {
    pub(crate) fn new(
        subject: String,
        principal: Option<&Principal>,
        arguments: Option<&RawValue>,
    ) -> Self {
        Self {
            subject,
            principal: principal.cloned(),
            arguments: Sha256::digest(arguments.map_or("", |a| a.get())).into(),
        }
    }
}

#[derive(Serialize, Deserialize)]
struct SealedState {
    /// Subject.
    s: String,
    /// Principal, when the caller was authenticated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    p: Option<String>,
    /// Digest of the arguments, base64url.
    d: String,
    /// Answers so far.
    a: JsonObject,
    /// Issued at, in Unix seconds.
    t: u64,
}

impl Round {
    /// A round for `subject` from the request's `requestState` and `inputResponses`; a state
    /// that does not verify is an error.
    pub(crate) fn new(
        binding: Binding,
        state: Option<&str>,
        responses: Option<&Value>,
        capabilities: Declared,
    ) -> Result<Self, ErrorObject> {
        let mut answers = match state {
            Some(state) => unseal(&binding, state, now(), state_ttl())?,
            None => JsonObject::new(),
        };
        if let Some(Value::Object(responses)) = responses {
            answers.extend(responses.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
        Ok(Self {
            binding,
            answers,
            capabilities,
            needs: Mutex::default(),
            task: OnceLock::new(),
        })
    }

    /// The round of a 2026-07-28 call of `subject` by `principal`, from its params.
    pub(crate) fn open(
        subject: String,
        params: &super::params::Params<'_>,
        capabilities: Declared,
        principal: Option<&Principal>,
    ) -> Result<Arc<Self>, super::reply::Failure> {
        let round = Self::new(
            Binding::new(subject, principal, params.arguments),
            params.request_state.as_deref(),
            params.input_responses.as_ref(),
            capabilities,
        );
        round
            .map(Arc::new)
            .map_err(super::reply::Failure::bad_request)
    }

    /// Turns the call into a task.
    pub(crate) fn become_task(&self, task: Arc<Task>) {
        let _ = self.task.set(task);
    }

    /// The task the call became, if it did.
    pub(crate) fn task(&self) -> Option<&Arc<Task>> {
        self.task.get()
    }

    /// Whether the client declared a capability on this request.
    pub(crate) fn supports(&self, capability: &str) -> bool {
        self.capabilities.supports(capability)
    }

    /// The answer to `key`, if the client gave one that fits `method`; otherwise the request
    /// is recorded and `None` returned.
    pub(crate) fn answer(
        &self,
        key: &str,
        method: &str,
        capability: &'static str,
        params: &Value,
    ) -> Option<Value> {
        if let Some(answer) = self.answers.get(key).filter(|a| fits(method, a)) {
            return Some(answer.clone());
        }
        if let Some(task) = self.task.get() {
            let request = serde_json::json!({ "method": method, "params": params });
            return task.answer(key, request, |a| fits(method, a));
        }
        let mut needs = self.needs.lock().expect("round needs");
        if !self.supports(capability) {
            needs.missing_capability.get_or_insert(capability);
        } else if !needs.requests.iter().any(|(k, _)| k == key) {
            needs.requests.push((
                key.to_owned(),
                serde_json::json!({ "method": method, "params": params }),
            ));
        }
        None
    }

    fn interrupted<T>(&self) -> Option<Outcome<T>> {
        if self.task.get().is_some() {
            return None;
        }
        let needs = self.needs.lock().expect("round needs");
        if let Some(capability) = needs.missing_capability {
            return Some(Outcome::MissingCapability(capability));
        }
        if needs.requests.is_empty() {
            return None;
        }
        let requests = needs.requests.iter().cloned().collect();
        Some(Outcome::InputRequired(
            requests,
            seal(&self.binding, &self.answers, now()),
        ))
    }
}

// An answer fits when it has the shape of its method's result.
fn fits(method: &str, answer: &Value) -> bool {
    match method {
        "elicitation/create" => answer.get("action").is_some_and(Value::is_string),
        "sampling/createMessage" => answer.get("content").is_some() && answer.get("role").is_some(),
        "roots/list" => answer.get("roots").is_some_and(Value::is_array),
        _ => answer.is_object(),
    }
}

fn key() -> &'static [u8] {
    static KEY: OnceLock<[u8; 32]> = OnceLock::new();
    // Replicas that share the deployment secret accept each other's states.
    KEY.get_or_init(|| crate::secret::derive("requestState"))
}

fn mac(payload: &[u8]) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key()).expect("HMAC takes any key length");
    mac.update(payload);
    mac.finalize().into_bytes().to_vec()
}

fn now() -> u64 {
    crate::session::unix_ms() / 1000
}

/// `MCP_STATE_TTL`, read once.
fn state_ttl() -> u64 {
    static TTL: OnceLock<u64> = OnceLock::new();
    *TTL.get_or_init(|| match std::env::var("MCP_STATE_TTL") {
        Ok(secs) => secs.trim().parse().unwrap_or_else(|_| {
            tracing::warn!("MCP_STATE_TTL is not a number of seconds: {secs:?}");
            DEFAULT_STATE_TTL_SECS
        }),
        Err(_) => DEFAULT_STATE_TTL_SECS,
    })
}

fn seal(binding: &Binding, answers: &JsonObject, now: u64) -> String {
    let state = SealedState {
        s: binding.subject.clone(),
        p: binding.principal.as_ref().map(|p| p.as_str().to_owned()),
        d: base64_url(&binding.arguments),
        a: answers.clone(),
        t: now,
    };
    let payload = serde_json::to_vec(&state).expect("state serializes");
    format!("{}.{}", base64_url(&payload), base64_url(&mac(&payload)))
}

fn unseal(binding: &Binding, state: &str, now: u64, ttl: u64) -> Result<JsonObject, ErrorObject> {
    let invalid = |why: &str| ErrorObject::invalid_params(format!("invalid `requestState`: {why}"));
    let (payload, tag) = state.split_once('.').ok_or_else(|| invalid("malformed"))?;
    let payload = base64_url_decode(payload).ok_or_else(|| invalid("malformed"))?;
    let tag = base64_url_decode(tag).ok_or_else(|| invalid("malformed"))?;
    let mut check = Hmac::<Sha256>::new_from_slice(key()).expect("HMAC takes any key length");
    check.update(&payload);
    check
        .verify_slice(&tag)
        .map_err(|_| {
            invalid(
                "it was altered, or sealed under another deployment secret (replicas share one through a shared store or the same `MCP_STATE_KEY`)",
            )
        })?;
    let state: SealedState = serde_json::from_slice(&payload).map_err(|_| invalid("malformed"))?;
    if state.s != binding.subject {
        return Err(invalid("it belongs to another call"));
    }
    if state.p.as_deref() != binding.principal.as_ref().map(Principal::as_str) {
        return Err(invalid("it was issued to another caller"));
    }
    if state.d != base64_url(&binding.arguments) {
        return Err(invalid("it was issued for other arguments"));
    }
    if now.saturating_sub(state.t) > ttl {
        return Err(invalid("it has expired"));
    }
    Ok(state.a)
}

pin_project_lite::pin_project! {
    /// A handler's future that ends early, with [`Outcome::InputRequired`] or
    /// [`Outcome::MissingCapability`], once it waits for input the client has not given.
    pub(crate) struct Interruptible<F> {
        #[pin]
        inner: F,
        round: Option<Arc<Round>>,
        cancel: Option<crate::server::requests::Cancel>,
    }
}

impl<F> Interruptible<F> {
    pub(super) fn new(inner: F, round: Option<Arc<Round>>) -> Self {
        Self {
            inner,
            round,
            cancel: None,
        }
    }

    /// Ends the call with [`Outcome::Cancelled`] when the client cancels it.
    pub(super) fn cancellable(mut self, cancel: crate::server::requests::Cancel) -> Self {
        self.cancel = Some(cancel);
        self
    }
}

impl<F: Future> Future for Interruptible<F> {
    type Output = Outcome<F::Output>;

    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Self::Output> {
        let this = self.project();
        if let Poll::Ready(value) = this.inner.poll(cx) {
            return Poll::Ready(Outcome::Done(value));
        }
        if let Some(cancel) = this.cancel.as_mut() {
            match cancel.poll(cx) {
                Signal::Running => {}
                Signal::Cancelled => return Poll::Ready(Outcome::Cancelled),
                Signal::DuplicateId => return Poll::Ready(Outcome::DuplicateId),
            }
        }
        // Everything a handler asks for in one poll (`join!` of several questions) is recorded
        // by now, so one round carries all of it.
        match this.round.as_ref().and_then(|r| r.interrupted()) {
            Some(outcome) => Poll::Ready(outcome),
            None => Poll::Pending,
        }
    }
}

#[cfg(test)]
mod tests;
