//! Starting the processes a benchmark measures: pinned to a core with `taskset`, so the server
//! and the load generator do not fight over one, and stopped when dropped.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

/// The core a role runs on: `BENCH_SERVER_CPU` (default 0) or `BENCH_LOAD_CPU` (default 1);
/// `none` turns pinning off. Off on machines with one core or without `taskset`.
pub(crate) fn cpu(role: Role) -> Option<String> {
    let (var, default) = match role {
        Role::Server => ("BENCH_SERVER_CPU", "0"),
        Role::Load => ("BENCH_LOAD_CPU", "1"),
    };
    let cpu = std::env::var(var).unwrap_or_else(|_| default.to_owned());
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let has_taskset = Command::new("taskset")
        .arg("-V")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    (cpu != "none" && cores >= 2 && has_taskset).then_some(cpu)
}

/// Who runs on a core.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Role {
    Server,
    Load,
}

/// `program args...`, under `taskset -c CPU` when the role is pinned. `taskset` execs the
/// program, so the child's pid is the program's.
pub(crate) fn pinned(role: Role, program: impl Into<PathBuf>) -> Command {
    let program = program.into();
    match cpu(role) {
        Some(cpu) => {
            let mut cmd = Command::new("taskset");
            cmd.arg("-c").arg(cpu).arg(program);
            cmd
        }
        None => Command::new(program),
    }
}

/// A running server; killed when dropped.
pub(crate) struct Server {
    pub url: String,
    child: Child,
}

impl Server {
    /// Starts `cmd` and waits for the line `... serving MCP at http://ADDR/PATH` on its stderr
    /// (the framework's and the floor's start-up line). Later stderr is passed through.
    pub(crate) fn start(name: &str, mut cmd: Command) -> Result<Self, String> {
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("{name}: cannot start: {e}"))?;
        let mut lines = BufReader::new(child.stderr.take().expect("piped stderr")).lines();
        let url = loop {
            let Some(Ok(line)) = lines.next() else {
                let _ = child.kill();
                return Err(format!("{name}: exited before saying where it serves"));
            };
            if let Some(at) = line.find("serving MCP at http://") {
                break line[at + "serving MCP at ".len()..].trim().to_owned();
            }
        };
        let label = name.to_owned();
        std::thread::spawn(move || {
            for line in lines.map_while(Result::ok) {
                eprintln!("[{label}] {line}");
            }
        });
        Ok(Self { url, child })
    }

    /// The server's pid, for its CPU time and memory.
    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An example of this package, built in release mode next to this benchmark (`cargo build
/// --release --example NAME`, a no-op when it is fresh).
pub(crate) fn example_binary(name: &str) -> Result<PathBuf, String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let status = Command::new(cargo)
        .args(["build", "--quiet", "--release", "--example", name])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !status.success() {
        return Err(format!("`cargo build --release --example {name}` failed"));
    }
    // This binary is target/release/deps/NAME-HASH; the example is target/release/examples/.
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let release = exe
        .parent()
        .and_then(|deps| deps.parent())
        .ok_or("cannot locate the target directory")?;
    let path = release.join("examples").join(name);
    if path.exists() {
        Ok(path)
    } else {
        Err(format!("{} was not built", path.display()))
    }
}

/// The `hello` example serving HTTP on a free loopback port, pinned to the server core.
pub(crate) fn start_hello(extra: &[&str]) -> Result<Server, String> {
    let mut cmd = pinned(Role::Server, example_binary("hello")?);
    cmd.args(["--http", "127.0.0.1:0"]).args(extra);
    Server::start("hello", cmd)
}
