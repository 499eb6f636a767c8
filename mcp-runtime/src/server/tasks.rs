//! The tasks extension (`io.modelcontextprotocol/tasks`, 2026-07-28): long-running tool calls
//! answered at once with a task that the client polls (`tasks/get`), feeds input
//! (`tasks/update`) and cancels (`tasks/cancel`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use tokio::sync::Notify;

use crate::protocol::{CallToolResult, ErrorObject, JsonObject, code};
use crate::session::unix_ms;

/// The extension's identifier.
pub(crate) const EXTENSION: &str = "io.modelcontextprotocol/tasks";
/// How long a task stays readable after it was created.
const TTL_MS: u64 = 60 * 60 * 1000;
/// How often clients should poll.
const POLL_INTERVAL_MS: u64 = 250;

/// Whether a tool runs as a task when the client supports them (`#[tool(task = "..")]`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TaskSupport {
    /// Always synchronous.
    #[default]
    Forbidden,
    /// A task when the client supports tasks, synchronous otherwise.
    Optional,
    /// Only as a task: clients without the extension get -32021.
    Required,
}

impl TaskSupport {
    /// The `execution.taskSupport` value of `tools/list`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Forbidden => "forbidden",
            Self::Optional => "optional",
            Self::Required => "required",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Status {
    Working,
    InputRequired,
    Completed,
    Failed,
    Cancelled,
}

impl Status {
    fn as_str(self) -> &'static str {
        match self {
            Self::Working => "working",
            Self::InputRequired => "input_required",
            Self::Completed => "completed",
            Self::Failed => "failed",
            Self::Cancelled => "cancelled",
        }
    }

    fn is_terminal(self) -> bool {
        matches!(self, Self::Completed | Self::Failed | Self::Cancelled)
    }
}

#[derive(Debug)]
struct State {
    status: Status,
    updated_ms: u64,
    result: Option<Value>,
    error: Option<ErrorObject>,
    /// Questions the running call waits on: key, `{method, params}`.
    waiting: Vec<(String, Value)>,
    /// Answers delivered by `tasks/update`.
    answers: JsonObject,
    abort: Option<tokio::task::AbortHandle>,
}

/// One task.
#[derive(Debug)]
pub(crate) struct Task {
    id: String,
    created_ms: u64,
    state: Mutex<State>,
    /// Woken when answers arrive.
    pub changed: Notify,
}

impl Task {
    fn set(&self, f: impl FnOnce(&mut State)) {
        let mut state = self.state.lock().expect("task state");
        if !state.status.is_terminal() {
            f(&mut state);
            state.updated_ms = unix_ms();
        }
    }

    /// The answer to `key`, if delivered; otherwise the question is recorded and the task
    /// waits for input.
    pub(crate) fn answer(
        &self,
        key: &str,
        request: Value,
        fits: impl Fn(&Value) -> bool,
    ) -> Option<Value> {
        let mut state = self.state.lock().expect("task state");
        if let Some(answer) = state.answers.get(key).filter(|a| fits(a)) {
            return Some(answer.clone());
        }
        if !state.waiting.iter().any(|(k, _)| k == key) {
            state.waiting.push((key.to_owned(), request));
        }
        if !state.status.is_terminal() {
            state.status = Status::InputRequired;
            state.updated_ms = unix_ms();
        }
        None
    }

    /// Ends the task with how its call ended.
    pub(crate) fn finish(&self, result: Result<&CallToolResult, ErrorObject>) {
        self.set(|s| match result {
            Ok(result) => {
                s.status = Status::Completed;
                s.result = Some(serde_json::to_value(result).expect("tool results serialize"));
            }
            Err(error) => {
                s.status = Status::Failed;
                s.error = Some(error);
            }
        });
    }

    /// Marks the task cancelled when the runtime cancelled it.
    pub(crate) fn cancelled(&self) {
        self.set(|s| s.status = Status::Cancelled);
    }

    /// Remembers how to stop the running call.
    pub(crate) fn set_abort(&self, abort: tokio::task::AbortHandle) {
        self.state.lock().expect("task state").abort = Some(abort);
    }

    fn envelope(&self, state: &State) -> Value {
        json!({
            "taskId": self.id,
            "status": state.status.as_str(),
            "createdAt": iso8601(self.created_ms),
            "lastUpdatedAt": iso8601(state.updated_ms),
            "ttlMs": TTL_MS,
            "pollIntervalMs": POLL_INTERVAL_MS,
        })
    }

    /// The `CreateTaskResult` of the call that started it.
    pub(crate) fn created(&self) -> Value {
        let state = self.state.lock().expect("task state");
        let mut result = self.envelope(&state);
        result["resultType"] = "task".into();
        result
    }
}

/// The tasks of one server.
#[derive(Debug, Default)]
pub(crate) struct Tasks(Mutex<HashMap<String, Arc<Task>>>);

impl Tasks {
    /// Starts a task (working).
    pub(crate) fn create(&self) -> Arc<Task> {
        let mut bytes = [0u8; 16];
        getrandom::fill(&mut bytes).expect("the operating system's random source failed");
        let id = format!("task-{}", u128::from_le_bytes(bytes));
        let now = unix_ms();
        let state = State {
            status: Status::Working,
            updated_ms: now,
            result: None,
            error: None,
            waiting: Vec::new(),
            answers: JsonObject::new(),
            abort: None,
        };
        let task = Arc::new(Task {
            id: id.clone(),
            created_ms: now,
            state: Mutex::new(state),
            changed: Notify::new(),
        });
        let mut tasks = self.0.lock().expect("tasks");
        tasks.retain(|_, t| now.saturating_sub(t.created_ms) < TTL_MS);
        tasks.insert(id, task.clone());
        task
    }

    fn find(&self, id: &str) -> Result<Arc<Task>, ErrorObject> {
        let task = self.0.lock().expect("tasks").get(id).cloned();
        task.ok_or_else(|| ErrorObject::invalid_params(format!("unknown task: {id}")))
    }

    /// `tasks/get`: the task, with its result, error or pending questions inlined.
    pub(crate) fn get(&self, id: &str) -> Result<Value, ErrorObject> {
        let task = self.find(id)?;
        let state = task.state.lock().expect("task state");
        let mut result = task.envelope(&state);
        result["resultType"] = "complete".into();
        match state.status {
            Status::Completed => {
                result["result"] = state.result.clone().unwrap_or(json!({ "content": [] }))
            }
            Status::Failed => result["error"] = json!(state.error),
            Status::InputRequired => {
                let requests: JsonObject = state.waiting.iter().cloned().collect();
                result["inputRequests"] = Value::Object(requests);
            }
            Status::Working | Status::Cancelled => {}
        }
        Ok(result)
    }

    /// `tasks/update`: delivers answers; the call waiting on them goes on.
    pub(crate) fn update(&self, id: &str, responses: Option<&Value>) -> Result<(), ErrorObject> {
        let task = self.find(id)?;
        task.set(|s| {
            if let Some(Value::Object(responses)) = responses {
                s.answers
                    .extend(responses.iter().map(|(k, v)| (k.clone(), v.clone())));
            }
            let answers = &s.answers;
            s.waiting.retain(|(key, _)| !answers.contains_key(key));
            if s.waiting.is_empty() && s.status == Status::InputRequired {
                s.status = Status::Working;
            }
        });
        task.changed.notify_waiters();
        Ok(())
    }

    /// `tasks/cancel`: stops the call; a task that already ended stays as it is.
    pub(crate) fn cancel(&self, id: &str) -> Result<(), ErrorObject> {
        let task = self.find(id)?;
        task.set(|s| {
            s.status = Status::Cancelled;
            if let Some(abort) = s.abort.take() {
                abort.abort();
            }
        });
        Ok(())
    }
}

impl<S: super::Server> super::dispatch::Dispatcher<S> {
    /// `tasks/get`, `tasks/update` and `tasks/cancel`, for clients of the extension.
    pub(super) fn task_method(
        &self,
        call: super::dispatch::Call<'_>,
        method: &str,
        params: &super::params::Params<'_>,
        declared: super::capabilities::Declared,
    ) -> super::dispatch::Answer {
        use super::reply::Failure;
        if !declared.tasks {
            return Err(Failure::bad_request(extension_required()));
        }
        let task_id = params.task_id.as_deref().ok_or_else(|| {
            Failure::bad_request(ErrorObject::invalid_params("`taskId` is required"))
        })?;
        let done = || json!({ "resultType": "complete" });
        let result = match method {
            "tasks/get" => self.tasks.get(task_id),
            "tasks/update" => self
                .tasks
                .update(task_id, params.input_responses.as_ref())
                .map(|()| done()),
            _ => self.tasks.cancel(task_id).map(|()| done()),
        }
        .map_err(Failure::ok)?;
        Ok(call.reply(|buf| serde_json::to_writer(buf, &result).expect("results serialize")))
    }
}

/// The error for a request that needs the extension the client did not declare.
pub(crate) fn extension_required() -> ErrorObject {
    ErrorObject::new(
        code::MISSING_REQUIRED_CLIENT_CAPABILITY,
        format!("this request needs the `{EXTENSION}` extension"),
    )
    .with_data(json!({ "requiredCapabilities": { "extensions": { EXTENSION: {} } } }))
}

/// Unix milliseconds as ISO 8601 UTC (`2026-11-24T21:45:00.123Z`).
fn iso8601(ms: u64) -> String {
    let (secs, millis) = (ms / 1000, ms % 1000);
    let (days, rem) = (secs / 86_400, secs % 86_400);
    // Civil date from days since 1970-01-01 (H. Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{millis:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso8601_dates() {
        assert_eq!(iso8601(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso8601(951_782_400_000), "2000-02-29T00:00:00.000Z");
        assert_eq!(iso8601(1_795_988_700_123), "2026-11-29T21:45:00.123Z");
    }

    #[test]
    fn tasks_wait_for_answers_and_cancel() {
        let tasks = Tasks::default();
        let task = tasks.create();
        let id = task.id.clone();
        assert!(
            task.answer("name", json!({"method": "elicitation/create"}), |_| true)
                .is_none()
        );
        assert_eq!(tasks.get(&id).unwrap()["status"], "input_required");
        assert!(tasks.get(&id).unwrap()["inputRequests"]["name"].is_object());
        tasks
            .update(&id, Some(&json!({"name": {"action": "accept"}})))
            .unwrap();
        assert_eq!(tasks.get(&id).unwrap()["status"], "working");
        assert!(task.answer("name", json!({}), |_| true).is_some());
        tasks.cancel(&id).unwrap();
        assert_eq!(tasks.get(&id).unwrap()["status"], "cancelled");
        task.finish(Ok(&CallToolResult::default()));
        assert_eq!(
            tasks.get(&id).unwrap()["status"],
            "cancelled",
            "terminal states stay"
        );
        assert_eq!(tasks.get("nope").unwrap_err().code, -32602);
    }
}
