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
use sha2::Sha256;

use super::tasks::Task;
use crate::protocol::base64::{base64_url, base64_url_decode};
use crate::protocol::{ClientCapabilities, ErrorObject, JsonObject};

/// How long a `requestState` stays valid.
const STATE_TTL_SECS: u64 = 3600;

/// One round of a call: the answers it has, and what it found missing.
#[derive(Debug)]
pub(crate) struct Round {
    /// What the call is (tool or prompt name), so a state cannot be replayed on another call.
    subject: String,
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
}

#[derive(Serialize, Deserialize)]
struct SealedState {
    /// Subject.
    s: String,
    /// Answers so far.
    a: JsonObject,
    /// Issued at, in Unix seconds.
    t: u64,
}

impl Round {
    /// A round for `subject` from the request's `requestState` and `inputResponses`; a state
    /// that does not verify is an error.
    pub(crate) fn new(
        subject: &str,
        state: Option<&str>,
        responses: Option<&Value>,
        capabilities: Declared,
    ) -> Result<Self, ErrorObject> {
        let mut answers = match state {
            Some(state) => unseal(subject, state)?,
            None => JsonObject::new(),
        };
        if let Some(Value::Object(responses)) = responses {
            answers.extend(responses.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
        Ok(Self {
            subject: subject.to_owned(),
            answers,
            capabilities,
            needs: Mutex::default(),
            task: OnceLock::new(),
        })
    }

    /// The round of a 2026-07-28 call of `subject`, from its params.
    pub(crate) fn open(
        subject: &str,
        params: &super::params::Params<'_>,
        capabilities: Declared,
    ) -> Result<Arc<Self>, super::reply::Failure> {
        let round = Self::new(
            subject,
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
            seal(&self.subject, &self.answers),
        ))
    }
}

/// Which client capabilities the server acts on were declared: all it needs to know, without
/// keeping the objects the client sent.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Declared {
    pub sampling: bool,
    pub elicitation: bool,
    pub roots: bool,
    /// The tasks extension (`extensions["io.modelcontextprotocol/tasks"]`).
    pub tasks: bool,
}

impl Declared {
    /// From capabilities a legacy client sent in `initialize`.
    pub(crate) fn from_capabilities(capabilities: &ClientCapabilities) -> Self {
        Self {
            sampling: capabilities.sampling.is_some(),
            elicitation: capabilities.elicitation.is_some(),
            roots: capabilities.roots.is_some(),
            tasks: capabilities
                .extensions
                .as_ref()
                .is_some_and(|e| e.contains_key(super::tasks::EXTENSION)),
        }
    }

    /// Whether `capability` (`sampling`, `elicitation`, `roots`) was declared.
    pub(crate) fn supports(self, capability: &str) -> bool {
        match capability {
            "sampling" => self.sampling,
            "elicitation" => self.elicitation,
            "roots" => self.roots,
            _ => true,
        }
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
    static KEY: OnceLock<Vec<u8>> = OnceLock::new();
    KEY.get_or_init(|| {
        // Replicas that share a secret accept each other's states.
        if let Ok(secret) = std::env::var("MCP_STATE_KEY")
            && !secret.is_empty()
        {
            return secret.into_bytes();
        }
        let mut key = vec![0u8; 32];
        getrandom::fill(&mut key).expect("the operating system's random source failed");
        key
    })
}

fn mac(payload: &[u8]) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key()).expect("HMAC takes any key length");
    mac.update(payload);
    mac.finalize().into_bytes().to_vec()
}

fn now() -> u64 {
    crate::session::unix_ms() / 1000
}

fn seal(subject: &str, answers: &JsonObject) -> String {
    let state = SealedState {
        s: subject.to_owned(),
        a: answers.clone(),
        t: now(),
    };
    let payload = serde_json::to_vec(&state).expect("state serializes");
    format!("{}.{}", base64_url(&payload), base64_url(&mac(&payload)))
}

fn unseal(subject: &str, state: &str) -> Result<JsonObject, ErrorObject> {
    let invalid = |why: &str| ErrorObject::invalid_params(format!("invalid `requestState`: {why}"));
    let (payload, tag) = state.split_once('.').ok_or_else(|| invalid("malformed"))?;
    let payload = base64_url_decode(payload).ok_or_else(|| invalid("malformed"))?;
    let tag = base64_url_decode(tag).ok_or_else(|| invalid("malformed"))?;
    let mut check = Hmac::<Sha256>::new_from_slice(key()).expect("HMAC takes any key length");
    check.update(&payload);
    check
        .verify_slice(&tag)
        .map_err(|_| invalid("it was not issued by this server, or was altered"))?;
    let state: SealedState = serde_json::from_slice(&payload).map_err(|_| invalid("malformed"))?;
    if state.s != subject {
        return Err(invalid("it belongs to another call"));
    }
    if now().saturating_sub(state.t) > STATE_TTL_SECS {
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
        if let Some(cancel) = this.cancel.as_mut()
            && cancel.poll_cancelled(cx)
        {
            return Poll::Ready(Outcome::Cancelled);
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
mod tests {
    use super::*;

    #[test]
    fn states_verify_and_tampering_is_caught() {
        let mut answers = JsonObject::new();
        answers.insert("k".into(), serde_json::json!({"action": "accept"}));
        let state = seal("tool", &answers);
        assert_eq!(unseal("tool", &state).unwrap(), answers);
        assert!(unseal("other", &state).is_err());
        assert!(unseal("tool", &format!("{state}-TAMPERED")).is_err());
        assert!(unseal("tool", "garbage").is_err());
    }

    use proptest::prelude::*;

    /// JSON without floats, whose text form does not always read back bit for bit.
    fn json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            any::<String>().prop_map(Value::from),
        ];
        leaf.prop_recursive(3, 24, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
                prop::collection::btree_map(any::<String>(), inner, 0..4)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    fn answers() -> impl Strategy<Value = JsonObject> {
        prop::collection::btree_map(any::<String>(), json(), 0..4)
            .prop_map(|m| m.into_iter().collect())
    }

    proptest! {
        #[test]
        fn sealed_states_unseal_to_what_was_sealed(subject in any::<String>(), answers in answers()) {
            prop_assert_eq!(unseal(&subject, &seal(&subject, &answers)), Ok(answers));
        }

        #[test]
        fn a_state_sealed_for_another_subject_is_rejected(
            subject in any::<String>(),
            other in any::<String>(),
            answers in answers(),
        ) {
            prop_assume!(subject != other);
            prop_assert!(unseal(&other, &seal(&subject, &answers)).is_err());
        }

        #[test]
        fn arbitrary_states_are_rejected_without_panic(state in any::<String>()) {
            prop_assert!(unseal("tools/call:t", &state).is_err());
        }
    }

    proptest! {
        // Every position, every replacement: the few texts that would decode to the same bytes
        // sit at the ends of the two base64 parts, where sampling rarely lands. Each case costs
        // thousands of HMACs, and the tag's end alone is there in every one: few cases do.
        #![proptest_config(ProptestConfig::with_cases(3))]
        #[test]
        fn every_changed_byte_is_rejected(
            answers in prop::collection::btree_map("[a-z]{1,8}", any::<i64>().prop_map(Value::from), 0..3),
        ) {
            let answers: JsonObject = answers.into_iter().collect();
            let state = seal("t", &answers);
            for at in 0..state.len() {
                // The state is ASCII, so any ASCII byte in place of another keeps it a string.
                for byte in (0u8..0x80).filter(|b| *b != state.as_bytes()[at]) {
                    let mut changed = state.clone().into_bytes();
                    changed[at] = byte;
                    let changed = String::from_utf8(changed).unwrap();
                    prop_assert!(unseal("t", &changed).is_err(), "{}", changed);
                }
            }
        }
    }
}
