//! The tasks extension (`io.modelcontextprotocol/tasks`, 2026-07-28): long-running tool calls
//! answered at once with a task that the client polls (`tasks/get`), feeds input
//! (`tasks/update`) and cancels (`tasks/cancel`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio::sync::Notify;

use crate::protocol::{CallToolResult, ErrorObject, JsonObject, code};
use crate::session::{SessionStore, unix_ms};

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

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
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

/// What a client can learn of a task: what `tasks/get` shows, and what a shared store keeps
/// for the replicas that do not run it.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct Record {
    /// Counts the changes, so that a store keeps the latest whatever order writes land in.
    seq: u64,
    status: Status,
    created_ms: u64,
    updated_ms: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    result: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    error: Option<ErrorObject>,
    /// Questions the running call waits on: key, `{method, params}`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    waiting: Vec<(String, Value)>,
}

impl Record {
    fn envelope(&self, id: &str) -> Value {
        json!({
            "taskId": id,
            "status": self.status.as_str(),
            "createdAt": iso8601(self.created_ms),
            "lastUpdatedAt": iso8601(self.updated_ms),
            "ttlMs": TTL_MS,
            "pollIntervalMs": POLL_INTERVAL_MS,
        })
    }

    /// `tasks/get`'s result: the task, with its result, error or pending questions inlined.
    fn render(&self, id: &str) -> Value {
        let mut result = self.envelope(id);
        result["resultType"] = "complete".into();
        match self.status {
            Status::Completed => {
                result["result"] = self.result.clone().unwrap_or(json!({ "content": [] }))
            }
            Status::Failed => result["error"] = json!(self.error),
            Status::InputRequired => {
                let requests: JsonObject = self.waiting.iter().cloned().collect();
                result["inputRequests"] = Value::Object(requests);
            }
            Status::Working | Status::Cancelled => {}
        }
        result
    }
}

#[derive(Debug)]
struct State {
    record: Record,
    /// Answers delivered by `tasks/update`.
    answers: JsonObject,
    abort: Option<tokio::task::AbortHandle>,
}

/// One task.
#[derive(Debug)]
pub(crate) struct Task {
    id: String,
    state: Mutex<State>,
    /// Where the record goes for the other replicas; `None` with a store no other process sees.
    store: Option<&'static dyn SessionStore>,
    /// Woken when answers arrive.
    pub changed: Notify,
}

impl Task {
    fn set(&self, f: impl FnOnce(&mut State)) {
        let mut state = self.state.lock().expect("task state");
        if !state.record.status.is_terminal() {
            f(&mut state);
            self.changed_record(&mut state.record);
        }
    }

    /// Notes a change of the record, and writes it to a shared store in the background (the
    /// store keeps the one with the highest `seq`, and a finished one for good).
    fn changed_record(&self, record: &mut Record) {
        record.updated_ms = unix_ms();
        record.seq += 1;
        if let Some(store) = self.store {
            save(store, &self.id, record);
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
        let record = &mut state.record;
        let asked = !record.waiting.iter().any(|(k, _)| k == key);
        if asked {
            record.waiting.push((key.to_owned(), request));
        }
        if !record.status.is_terminal() && (asked || record.status != Status::InputRequired) {
            record.status = Status::InputRequired;
            self.changed_record(record);
        }
        None
    }

    /// Ends the task with how its call ended.
    pub(crate) fn finish(&self, result: Result<&CallToolResult, ErrorObject>) {
        self.set(|s| match result {
            Ok(result) => {
                s.record.status = Status::Completed;
                s.record.result =
                    Some(serde_json::to_value(result).expect("tool results serialize"));
            }
            Err(error) => {
                s.record.status = Status::Failed;
                s.record.error = Some(error);
            }
        });
    }

    /// Marks the task cancelled when the runtime cancelled it.
    pub(crate) fn cancelled(&self) {
        self.set(|s| s.record.status = Status::Cancelled);
    }

    /// Remembers how to stop the running call.
    pub(crate) fn set_abort(&self, abort: tokio::task::AbortHandle) {
        self.state.lock().expect("task state").abort = Some(abort);
    }

    /// The `CreateTaskResult` of the call that started it.
    pub(crate) fn created(&self) -> Value {
        let state = self.state.lock().expect("task state");
        let mut result = state.record.envelope(&self.id);
        result["resultType"] = "task".into();
        result
    }

    /// Delivers answers; the call waiting on them goes on.
    fn update(&self, responses: Option<&Value>) {
        self.set(|s| {
            if let Some(Value::Object(responses)) = responses {
                s.answers
                    .extend(responses.iter().map(|(k, v)| (k.clone(), v.clone())));
            }
            let answers = &s.answers;
            s.record
                .waiting
                .retain(|(key, _)| !answers.contains_key(key));
            if s.record.waiting.is_empty() && s.record.status == Status::InputRequired {
                s.record.status = Status::Working;
            }
        });
        self.changed.notify_waiters();
    }

    /// Stops the call; a task that already ended stays as it is.
    fn cancel(&self) {
        self.set(|s| {
            s.record.status = Status::Cancelled;
            if let Some(abort) = s.abort.take() {
                abort.abort();
            }
        });
    }
}

/// Writes `record` to a shared store (`None` when the store keeps no tasks).
fn saving(
    store: &'static dyn SessionStore,
    id: &str,
    record: &Record,
) -> Option<crate::session::StoreFuture<'static, ()>> {
    let json = serde_json::to_string(record).expect("task records serialize");
    let ttl = Duration::from_millis(TTL_MS);
    store.save_task(id, record.seq, record.status.is_terminal(), json, ttl)
}

/// Writes `record` to a shared store in the background.
fn save(store: &'static dyn SessionStore, id: &str, record: &Record) {
    if let Some(saving) = saving(store, id, record) {
        let id = id.to_owned();
        tokio::spawn(async move {
            if let Err(e) = saving.await {
                tracing::warn!(task = id, "a task's record was not stored: {e}");
            }
        });
    }
}

/// The tasks of one server: those it runs, and through a shared store, those other replicas
/// run.
#[derive(Debug, Default)]
pub(crate) struct Tasks {
    local: Mutex<HashMap<String, Arc<Task>>>,
    store: Option<&'static dyn SessionStore>,
}

/// What a request about a task found.
enum Found {
    /// This process runs it.
    Here(Arc<Task>),
    /// Another replica runs (or ran) it: its record as last stored.
    Elsewhere(Record),
}

impl Tasks {
    /// The tasks of a server whose sessions are in `store`: shared with the other processes
    /// when the store outlives this one.
    pub(crate) fn new(store: &'static dyn SessionStore) -> Self {
        Self {
            local: Mutex::default(),
            store: store.is_persistent().then_some(store),
        }
    }

    /// Starts a task (working). With a shared store its record is written before the task is
    /// announced to the client, so that any replica finds it at once.
    pub(crate) async fn create(&self) -> Arc<Task> {
        let mut bytes = [0u8; 16];
        getrandom::fill(&mut bytes).expect("the operating system's random source failed");
        let id = format!("task-{}", u128::from_le_bytes(bytes));
        let now = unix_ms();
        let record = Record {
            seq: 1,
            status: Status::Working,
            created_ms: now,
            updated_ms: now,
            result: None,
            error: None,
            waiting: Vec::new(),
        };
        if let Some(saving) = self.store.and_then(|store| saving(store, &id, &record))
            && let Err(e) = saving.await
        {
            tracing::warn!(task = id, "a task's record was not stored: {e}");
        }
        let state = State {
            record,
            answers: JsonObject::new(),
            abort: None,
        };
        let task = Arc::new(Task {
            id: id.clone(),
            state: Mutex::new(state),
            store: self.store,
            changed: Notify::new(),
        });
        let mut tasks = self.local.lock().expect("tasks");
        tasks.retain(|_, t| {
            let created = t.state.lock().expect("task state").record.created_ms;
            now.saturating_sub(created) < TTL_MS
        });
        tasks.insert(id, task.clone());
        task
    }

    fn here(&self, id: &str) -> Option<Arc<Task>> {
        self.local.lock().expect("tasks").get(id).cloned()
    }

    async fn find(&self, id: &str) -> Result<Found, ErrorObject> {
        if let Some(task) = self.here(id) {
            return Ok(Found::Here(task));
        }
        let unknown = || ErrorObject::invalid_params(format!("unknown task: {id}"));
        // Only ids this runtime could have issued are looked up in the store.
        let issued = id
            .strip_prefix("task-")
            .is_some_and(|n| n.len() <= 39 && n.bytes().all(|b| b.is_ascii_digit()));
        let Some(store) = self.store.filter(|_| issued) else {
            return Err(unknown());
        };
        let stored = store.load_task(id).await.map_err(|e| {
            tracing::warn!(task = id, "a task's record could not be read: {e}");
            ErrorObject::internal("the task store is unavailable; try again")
        })?;
        let record = stored.ok_or_else(unknown)?;
        let record = serde_json::from_str(&record).map_err(|e| {
            tracing::warn!(task = id, "a task's record is corrupt: {e}");
            ErrorObject::internal("the task's record is unreadable")
        })?;
        Ok(Found::Elsewhere(record))
    }

    /// `tasks/get`: the task, with its result, error or pending questions inlined.
    pub(crate) async fn get(&self, id: &str) -> Result<Value, ErrorObject> {
        Ok(match self.find(id).await? {
            Found::Here(task) => task.state.lock().expect("task state").record.render(id),
            Found::Elsewhere(record) => record.render(id),
        })
    }

    /// `tasks/update`: delivers answers; the call waiting on them goes on, here or on the
    /// replica that runs it.
    pub(crate) async fn update(
        &self,
        id: &str,
        responses: Option<&Value>,
    ) -> Result<Option<String>, ErrorObject> {
        match self.find(id).await? {
            Found::Here(task) => {
                task.update(responses);
                Ok(None)
            }
            Found::Elsewhere(record) if record.status.is_terminal() => Ok(None),
            Found::Elsewhere(_) => {
                let responses = responses.cloned().unwrap_or_else(|| json!({}));
                Ok(Some(format!("task-update {id} {responses}")))
            }
        }
    }

    /// `tasks/cancel`: stops the call, here or on the replica that runs it; a task that
    /// already ended stays as it is.
    pub(crate) async fn cancel(&self, id: &str) -> Result<Option<String>, ErrorObject> {
        match self.find(id).await? {
            Found::Here(task) => {
                task.cancel();
                Ok(None)
            }
            Found::Elsewhere(record) if record.status.is_terminal() => Ok(None),
            Found::Elsewhere(mut record) => {
                // Recorded as cancelled at once, unless the task finished meanwhile (the
                // store keeps a finished record): even a replica that died cannot leave it
                // working. The replica that runs it stops the call when it hears.
                record.status = Status::Cancelled;
                record.waiting.clear();
                record.updated_ms = unix_ms();
                record.seq += 1;
                if let Some(saving) = self.store.and_then(|store| saving(store, id, &record)) {
                    saving.await.map_err(|e| {
                        tracing::warn!(task = id, "a task's cancellation was not stored: {e}");
                        ErrorObject::internal("the task store is unavailable; try again")
                    })?;
                }
                Ok(Some(format!("task-cancel {id}")))
            }
        }
    }

    /// What another replica asked of a task this one may run: `task-update ID ANSWERS` or
    /// `task-cancel ID`. `false` when the message is not about a task.
    pub(crate) fn heard(&self, message: &str) -> bool {
        let mut words = message.splitn(3, ' ');
        let (Some(verb), Some(id)) = (words.next(), words.next()) else {
            return false;
        };
        let task = match verb {
            "task-update" | "task-cancel" => self.here(id),
            _ => return false,
        };
        if let Some(task) = task {
            if verb == "task-cancel" {
                task.cancel();
            } else {
                let answers = words.next().and_then(|a| serde_json::from_str(a).ok());
                task.update(answers.as_ref());
            }
        }
        true
    }
}

impl<S: super::Server> super::dispatch::Dispatcher<S> {
    /// `tasks/get`, `tasks/update` and `tasks/cancel`, for clients of the extension.
    pub(super) async fn task_method(
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
        let done = json!({ "resultType": "complete" });
        let result = match method {
            "tasks/get" => self.tasks.get(task_id).await,
            "tasks/update" => self
                .tasks
                .update(task_id, params.input_responses.as_ref())
                .await
                .map(|elsewhere| self.hand_on(elsewhere, done)),
            _ => self
                .tasks
                .cancel(task_id)
                .await
                .map(|elsewhere| self.hand_on(elsewhere, done)),
        }
        .map_err(Failure::ok)?;
        Ok(call.reply(|buf| serde_json::to_writer(buf, &result).expect("results serialize")))
    }
}

impl<S: super::Server> super::dispatch::Dispatcher<S> {
    /// Hands a request about a task another replica runs to the replicas; `done` is the answer.
    fn hand_on(&self, elsewhere: Option<String>, done: Value) -> Value {
        if let Some(message) = elsewhere {
            self.announce(format!("{} {message}", super::listen::origin()));
        }
        done
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

    #[tokio::test]
    async fn tasks_wait_for_answers_and_cancel() {
        let tasks = Tasks::default();
        let task = tasks.create().await;
        let id = task.id.clone();
        assert!(
            task.answer("name", json!({"method": "elicitation/create"}), |_| true)
                .is_none()
        );
        assert_eq!(tasks.get(&id).await.unwrap()["status"], "input_required");
        assert!(tasks.get(&id).await.unwrap()["inputRequests"]["name"].is_object());
        tasks
            .update(&id, Some(&json!({"name": {"action": "accept"}})))
            .await
            .unwrap();
        assert_eq!(tasks.get(&id).await.unwrap()["status"], "working");
        assert!(task.answer("name", json!({}), |_| true).is_some());
        tasks.cancel(&id).await.unwrap();
        assert_eq!(tasks.get(&id).await.unwrap()["status"], "cancelled");
        task.finish(Ok(&CallToolResult::default()));
        assert_eq!(
            tasks.get(&id).await.unwrap()["status"],
            "cancelled",
            "terminal states stay"
        );
        assert_eq!(tasks.get("nope").await.unwrap_err().code, -32602);
    }
}
