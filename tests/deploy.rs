//! The shipped deployment, for real: three replicas sharing one `redis-server` behind nginx
//! configured by `deploy/nginx.conf.template` (plain round robin, no sticky sessions), driven
//! by the official TypeScript and Python clients and by raw HTTP. Server requests complete,
//! changes reach every stream, concurrent updates all survive, DELETE holds, tasks are
//! followed, and a replica killed, every replica restarted in turn, or Redis restarted loses no
//! session and no committed update.
#![cfg(feature = "redis")]

mod common;

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::nginx::Nginx;
use common::{Client, Endpoint, HttpServer, RedisServer, Target, run_client_with};
use serde_json::{Value, json};

const REPLICAS: usize = 3;

/// The notebook's page keeps its newest notes only (`--max-notes`, 1000 by default); a writer
/// under load commits more than that in a few seconds, so the replicas keep every note, and a
/// missing one is a lost update, not a trimmed one.
const ENV: &[(&str, &str)] = &[("NOTEBOOK_MAX_NOTES", "1000000")];

/// Replicas of one example sharing a Redis, behind nginx.
struct Deployment {
    example: &'static str,
    redis: Option<RedisServer>,
    replicas: Vec<Option<HttpServer>>,
    ports: Vec<u16>,
    nginx: Nginx,
}

impl Deployment {
    fn start(example: &'static str) -> Self {
        let redis = RedisServer::start();
        let replicas: Vec<HttpServer> = (0..REPLICAS)
            .map(|_| HttpServer::start(example, &["--store", &redis.url], ENV))
            .collect();
        let ports: Vec<u16> = replicas.iter().map(HttpServer::port).collect();
        let upstreams: Vec<String> = ports.iter().map(|p| format!("127.0.0.1:{p}")).collect();
        let nginx = Nginx::start(&upstreams, replicas[0].path());
        Self {
            example,
            redis: Some(redis),
            replicas: replicas.into_iter().map(Some).collect(),
            ports,
            nginx,
        }
    }

    fn redis_url(&self) -> String {
        self.redis.as_ref().expect("redis").url.clone()
    }

    /// Replica `i` again, on its port, after it stopped.
    fn start_again(&mut self, i: usize) {
        let url = self.redis_url();
        let replica = HttpServer::start_on(self.example, self.ports[i], &["--store", &url], ENV);
        self.replicas[i] = Some(replica);
    }

    /// Kills replica `i` (SIGKILL) and starts it again.
    fn kill(&mut self, i: usize) {
        self.replicas[i].take().expect("running").kill();
        self.start_again(i);
    }

    /// Stops replica `i` gracefully (SIGTERM, as a deploy does) and starts it again.
    fn roll(&mut self, i: usize) {
        let status = self.replicas[i].take().expect("running").terminate();
        assert!(status.success(), "replica {i} exited with {status}");
        self.start_again(i);
    }
}

impl Endpoint for Deployment {
    fn authority(&self) -> &str {
        self.nginx.authority()
    }

    fn path(&self) -> &str {
        self.nginx.path()
    }
}

// ---- the official clients ----------------------------------------------------------------

const ELICIT: &str =
    r#"{"action":"accept","content":{"email":"ada@example.com","username":"ada"}}"#;
const ELICITED: &str =
    r#"User response: action=accept, content={"email":"ada@example.com","username":"ada"}"#;
const ROOTS: &str = r#"[{"uri":"file:///home/ada/project","name":"project"}]"#;

/// The text of a call line's result, after checking the call succeeded.
fn text(line: &Value) -> &str {
    assert_eq!(line["op"], "call", "{line}");
    assert_eq!(line["ok"], true, "{line}");
    line["result"]["content"][0]["text"]
        .as_str()
        .unwrap_or_else(|| panic!("a text result: {line}"))
}

/// `client` asks for its user's input, a model's answer and its roots, several times each:
/// every question is asked on one replica's stream and answered through the balancer, which
/// sends the answer to another replica (legacy) or retries on another (2026-07-28).
fn server_requests_complete(client: Client) {
    let deployment = Deployment::start("everything");
    let (elicit, sample, roots) = match client {
        Client::PythonDefault => (
            "test_input_required_result_elicitation",
            "test_input_required_result_sampling",
            "test_input_required_result_list_roots",
        ),
        _ => (
            "test_elicitation",
            "test_sampling",
            "test_input_required_result_list_roots",
        ),
    };
    let mut ops = Vec::new();
    for _ in 0..3 {
        ops.push(json!({"op": "call", "name": elicit, "args": {"message": "Who?"}}));
        ops.push(json!({"op": "call", "name": sample, "args": {"prompt": "Capital?"}}));
        ops.push(json!({"op": "call", "name": roots}));
    }
    let answer = match client {
        Client::PythonDefault => r#"{"action":"accept","content":{"name":"ada"}}"#,
        _ => ELICIT,
    };
    let options = [
        ("--elicit", answer),
        ("--sample", "Paris"),
        ("--roots", ROOTS),
    ];
    let lines = run_client_with(
        client,
        Target::Http(&deployment.nginx.url),
        &options,
        Value::Array(ops),
    );
    assert_eq!(lines[0]["ok"], true, "connected: {}", lines[0]);
    let calls: Vec<&Value> = lines.iter().filter(|l| l["op"] == "call").collect();
    assert_eq!(calls.len(), 9, "{lines:?}");
    for round in calls.chunks(3) {
        let elicited = text(round[0]);
        match client {
            // The 2026-07-28 tool greets by the name it elicited.
            Client::PythonDefault => assert_eq!(elicited, "Hello, ada!"),
            _ => assert_eq!(elicited, ELICITED),
        }
        assert!(text(round[1]).contains("Paris"), "{}", round[1]);
        assert_eq!(text(round[2]), "The client has 1 root(s)");
    }
    // The balancer did spread the session over the replicas.
    let served = deployment.nginx.served_by();
    assert_eq!(served.len(), REPLICAS, "requests per replica: {served:?}");
}

#[test]
fn typescript_server_requests_complete_through_the_balancer() {
    server_requests_complete(Client::TypeScript);
}

#[test]
fn python_legacy_server_requests_complete_through_the_balancer() {
    server_requests_complete(Client::PythonLegacy);
}

#[test]
fn python_2026_input_rounds_complete_through_the_balancer() {
    server_requests_complete(Client::PythonDefault);
}

/// `client` subscribes to a resource and hears of every change, whichever replica makes it and
/// whichever holds its stream.
fn changes_arrive(client: Client) {
    let deployment = Deployment::start("everything");
    const WATCHED: &str = "test://watched-resource";
    let mut ops = vec![
        // The client opens its GET stream right after connecting; let it.
        json!({"op": "sleep", "ms": 300}),
        json!({"op": "subscribe", "uri": WATCHED}),
    ];
    for _ in 0..3 {
        ops.push(json!({"op": "call", "name": "test_trigger_resource_update",
            "args": {"uri": WATCHED}}));
        ops.push(json!({"op": "call", "name": "test_trigger_resource_update",
            "args": {"uri": "test://not-watched"}}));
        ops.push(json!({"op": "call", "name": "test_trigger_tool_change"}));
    }
    ops.push(json!({"op": "changes", "count": 6, "ms": 10000}));
    let lines = run_client_with(
        client,
        Target::Http(&deployment.nginx.url),
        &[],
        Value::Array(ops),
    );
    let changes = lines.last().expect("the changes line");
    assert_eq!(changes["op"], "changes", "{lines:?}");
    let methods: Vec<&str> = changes["methods"]
        .as_array()
        .expect("methods")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let updated = methods
        .iter()
        .filter(|m| **m == "notifications/resources/updated")
        .count();
    let listed = methods
        .iter()
        .filter(|m| **m == "notifications/tools/list_changed")
        .count();
    assert_eq!((updated, listed), (3, 3), "every change, once: {methods:?}");
    assert_eq!(
        changes["updated"],
        json!([WATCHED, WATCHED, WATCHED]),
        "only the watched resource: {changes}"
    );
}

#[test]
fn typescript_hears_every_change_through_the_balancer() {
    changes_arrive(Client::TypeScript);
}

#[test]
fn python_legacy_hears_every_change_through_the_balancer() {
    changes_arrive(Client::PythonLegacy);
}

// ---- raw HTTP: state, DELETE, tasks --------------------------------------------------------

/// A unique note text.
fn fresh(prefix: &str) -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    format!("{prefix}-{}", NEXT.fetch_add(1, Ordering::Relaxed))
}

/// Why a note was not committed: the HTTP status, and the answer (shown when a test fails).
#[derive(Debug)]
#[allow(dead_code)]
struct Refused(u16, String);

/// `note` through `to`: the session's notes after it, or why it was refused.
fn note(to: &impl Endpoint, session: &str, text: &str) -> Result<Vec<String>, Refused> {
    // Calls in flight at once on one session need ids of their own.
    static NEXT_ID: AtomicU64 = AtomicU64::new(100);
    let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
    let call = json!({"jsonrpc": "2.0", "id": id, "method": "tools/call",
        "params": {"name": "note", "arguments": {"text": text}}});
    let reply = to.legacy(session, &call);
    let refused = || Refused(reply.status, reply.body.clone());
    if reply.status != 200 {
        return Err(refused());
    }
    let answer: Value = serde_json::from_str(&reply.body).map_err(|_| refused())?;
    let notes = &answer["result"]["structuredContent"]["notes"];
    serde_json::from_value(notes.clone()).map_err(|_| refused())
}

#[test]
fn two_clients_updating_one_session_through_the_balancer_lose_nothing() {
    const EACH: usize = 15;
    let deployment = Arc::new(Deployment::start("notebook"));
    let session = deployment.open_session();
    let writers: Vec<_> = (0..2)
        .map(|w| {
            let (deployment, session) = (deployment.clone(), session.clone());
            std::thread::spawn(move || {
                for n in 0..EACH {
                    let text = format!("client{w}-{n}");
                    let notes = note(&*deployment, &session, &text).expect("a committed note");
                    assert!(notes.contains(&text), "its own note is there: {notes:?}");
                }
            })
        })
        .collect();
    for writer in writers {
        writer.join().expect("a writer");
    }
    let notes = note(&*deployment, &session, "last").expect("a note");
    assert_eq!(notes.len(), 2 * EACH + 1, "counter = increments: {notes:?}");
}

#[test]
fn delete_through_the_balancer_ends_the_session_on_every_replica() {
    let deployment = Deployment::start("notebook");
    let session = deployment.open_session();
    for n in 0..REPLICAS {
        note(&deployment, &session, &format!("n{n}")).expect("a note");
    }
    let headers = [
        ("mcp-session-id", session.as_str()),
        ("mcp-protocol-version", "2025-11-25"),
    ];
    let deleted = common::http::exchange(
        deployment.authority(),
        "DELETE",
        deployment.path(),
        &headers,
        "",
    );
    assert_eq!(deleted.status, 200, "{}", deleted.body);
    // Every replica in turn (round robin), a few times: none brings it back.
    std::thread::sleep(Duration::from_millis(200));
    for _ in 0..2 * REPLICAS {
        let after = note(&deployment, &session, "after").map_err(|r| r.0);
        assert_eq!(after, Err(404));
    }
}

#[test]
fn tasks_are_followed_through_the_balancer() {
    let deployment = Deployment::start("everything");
    let created = deployment.modern(
        "tools/call",
        json!({"name": "confirm_delete", "arguments": {"filename": "f.txt"}}),
    );
    let task = created["taskId"].as_str().expect("a task").to_owned();
    let mut status = Value::Null;
    for _ in 0..100 {
        status = deployment.modern("tasks/get", json!({"taskId": task}));
        if status["status"] == "input_required" {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(status["status"], "input_required", "{status}");
    let answers = json!({"confirm": {"action": "accept", "content": {"confirm": true}}});
    deployment.modern(
        "tasks/update",
        json!({"taskId": task, "inputResponses": answers}),
    );
    for _ in 0..100 {
        status = deployment.modern("tasks/get", json!({"taskId": task}));
        if status["status"] == "completed" {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(status["status"], "completed", "{status}");
}

// ---- failures under load -----------------------------------------------------------------

/// Writers adding notes to their own sessions through the balancer until told to stop: what
/// each committed (answered 200 with the note in it), and every status that refused a call.
struct Load {
    stop: Arc<AtomicBool>,
    writers: Vec<std::thread::JoinHandle<()>>,
    committed: Arc<Mutex<Vec<(String, String)>>>,
    refused: Arc<Mutex<Vec<Refused>>>,
    sessions: Vec<String>,
}

impl Load {
    fn start(deployment: &Arc<Mutex<Deployment>>, writers: usize) -> Self {
        let nginx = {
            let d = deployment.lock().unwrap();
            (d.authority().to_owned(), d.path().to_owned())
        };
        let endpoint = Arc::new(Balancer(nginx.0, nginx.1));
        let sessions: Vec<String> = (0..writers).map(|_| endpoint.open_session()).collect();
        let stop = Arc::new(AtomicBool::new(false));
        let committed = Arc::new(Mutex::new(Vec::new()));
        let refused = Arc::new(Mutex::new(Vec::new()));
        let writers = sessions
            .iter()
            .map(|session| {
                let (stop, committed, refused) = (stop.clone(), committed.clone(), refused.clone());
                let (endpoint, session) = (endpoint.clone(), session.clone());
                std::thread::spawn(move || {
                    while !stop.load(Ordering::Relaxed) {
                        let text = fresh("load");
                        match note(&*endpoint, &session, &text) {
                            Ok(notes) if notes.contains(&text) => {
                                committed.lock().unwrap().push((session.clone(), text))
                            }
                            Ok(notes) => panic!("a note answered without itself: {notes:?}"),
                            Err(why) => {
                                refused.lock().unwrap().push(why);
                                std::thread::sleep(Duration::from_millis(50));
                            }
                        }
                    }
                })
            })
            .collect();
        Self {
            stop,
            writers,
            committed,
            refused,
            sessions,
        }
    }

    /// Stops the writers; checks that every session lives and holds every committed note.
    fn finish(self, deployment: &Arc<Mutex<Deployment>>) {
        self.stop.store(true, Ordering::Relaxed);
        for writer in self.writers {
            writer.join().expect("a writer");
        }
        let refused = self.refused.lock().unwrap();
        let lost = refused.iter().find(|r| r.0 == 404);
        assert!(lost.is_none(), "a session was lost: {lost:?}");
        let committed = self.committed.lock().unwrap().clone();
        assert!(committed.len() > 20, "the load ran: {}", committed.len());
        let d = deployment.lock().unwrap();
        for session in &self.sessions {
            let notes: HashSet<String> = note(&*d, session, "final")
                .expect("the session lives")
                .into_iter()
                .collect();
            let mine: Vec<&String> = committed
                .iter()
                .filter(|(s, _)| s == session)
                .map(|(_, text)| text)
                .collect();
            for text in &mine {
                assert!(
                    notes.contains(*text),
                    "committed note {text} lost ({} committed to the session, {} on its page)",
                    mine.len(),
                    notes.len()
                );
            }
        }
    }
}

/// The balancer's address, shareable with the writers' threads.
struct Balancer(String, String);

impl Endpoint for Balancer {
    fn authority(&self) -> &str {
        &self.0
    }

    fn path(&self) -> &str {
        &self.1
    }
}

#[test]
fn a_killed_replica_and_a_rolling_restart_under_load_lose_nothing() {
    let deployment = Arc::new(Mutex::new(Deployment::start("notebook")));
    let load = Load::start(&deployment, 4);
    std::thread::sleep(Duration::from_millis(500));
    // A replica's machine fails, and it comes back.
    deployment.lock().unwrap().kill(1);
    std::thread::sleep(Duration::from_millis(500));
    // A deploy: each replica in turn stops gracefully and starts again, and is back in
    // nginx's rotation (fail_timeout) before the next one goes.
    for i in 0..REPLICAS {
        deployment.lock().unwrap().roll(i);
        std::thread::sleep(Duration::from_millis(2500));
    }
    load.finish(&deployment);
}

#[test]
fn a_redis_restart_under_load_loses_nothing() {
    let deployment = Arc::new(Mutex::new(Deployment::start("notebook")));
    let load = Load::start(&deployment, 4);
    std::thread::sleep(Duration::from_millis(500));
    {
        let mut d = deployment.lock().unwrap();
        let redis = d.redis.take().expect("redis").restart();
        d.redis = Some(redis);
    }
    std::thread::sleep(Duration::from_millis(1500));
    load.finish(&deployment);
}

// ---- the shipped script ------------------------------------------------------------------

#[test]
fn the_script_starts_a_deployment_that_serves_and_stops_it_all() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    // What the script needs, installed as the test command installs everything.
    common::redis_binary();
    common::nginx_binary();
    common::curl_binary();
    let rundir = common::temp_path("run-sh", "d");
    let port = common::free_port().to_string();
    let mut script = Command::new("bash")
        .arg(common::root().join("deploy/run.sh"))
        .args(["--replicas", "2", "--port", &port, "--rundir"])
        .arg(&rundir)
        .arg("--bin")
        .arg(common::example("notebook"))
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("run deploy/run.sh");
    let mut out = BufReader::new(script.stdout.take().expect("stdout"));
    let mut printed = Vec::new();
    let url = loop {
        let mut line = String::new();
        assert!(
            out.read_line(&mut line).expect("read") > 0,
            "run.sh ended before it was ready: {printed:?}"
        );
        if let Some(url) = line.trim().strip_prefix("ready ") {
            break url.to_owned();
        }
        printed.push(line);
    };
    let pids: Vec<String> = printed
        .iter()
        .filter_map(|l| l.split(" pid ").nth(1))
        .filter_map(|rest| rest.split_whitespace().next())
        .map(str::to_owned)
        .collect();
    assert_eq!(pids.len(), 4, "redis, two replicas, nginx: {printed:?}");
    let balancer = Balancer(
        url.trim_start_matches("http://")
            .split('/')
            .next()
            .unwrap()
            .to_owned(),
        format!(
            "/{}",
            url.trim_start_matches("http://").split_once('/').unwrap().1
        ),
    );
    let session = balancer.open_session();
    for n in 0..4 {
        let notes = note(&balancer, &session, &format!("n{n}")).expect("a note");
        assert_eq!(notes.len(), n + 1);
    }
    // SIGTERM stops everything it started.
    let status = Command::new("kill")
        .args(["-TERM", &script.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    let exited = script.wait().expect("run.sh exits");
    assert!(exited.success(), "run.sh exited with {exited}");
    for pid in &pids {
        let alive = Command::new("kill")
            .args(["-0", pid])
            .stderr(Stdio::null())
            .status()
            .expect("kill -0")
            .success();
        assert!(!alive, "process {pid} outlived run.sh");
    }
    let _ = std::fs::remove_dir_all(&rundir);
}
