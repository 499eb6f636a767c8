//! A real nginx in front of replicas, configured by the shipped `deploy/nginx.conf.template`.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use super::{free_port, nginx_binary, root, temp_path};

/// nginx balancing round robin across upstream replicas; stopped on drop.
pub(crate) struct Nginx {
    child: Child,
    /// `http://127.0.0.1:PORT/mcp`.
    pub(crate) url: String,
    rundir: PathBuf,
}

impl Nginx {
    /// nginx on a free port in front of `upstreams` (`host:port` each), with the deployment's
    /// configuration; the endpoint's path is `path`.
    pub(crate) fn start(upstreams: &[String], path: &str) -> Self {
        let binary = nginx_binary();
        let rundir = temp_path("nginx", "d");
        std::fs::create_dir_all(rundir.join("nginx-tmp")).expect("nginx's runtime directory");
        let port = free_port();
        let servers: Vec<String> = upstreams
            .iter()
            .map(|u| format!("        server {u} max_fails=1 fail_timeout=2s;"))
            .collect();
        // As root, the workers run as root too here: the runtime directory is root's.
        let user = if is_root() {
            "user root root;"
        } else {
            "# the workers run as the user that started nginx"
        };
        let template = std::fs::read_to_string(root().join("deploy/nginx.conf.template"))
            .expect("deploy/nginx.conf.template");
        let config = template
            .replace("@USER@", user)
            .replace("@RUNDIR@", &rundir.display().to_string())
            .replace("@LISTEN@", &format!("127.0.0.1:{port}"))
            .replace("@SERVERS@", &servers.join("\n"));
        let conf = rundir.join("nginx.conf");
        std::fs::write(&conf, config).expect("write nginx.conf");
        let prefix = format!("{}/", rundir.display());
        let error_log = rundir.join("nginx-error.log");
        let mut child = Command::new(binary)
            .args(["-p", &prefix, "-c"])
            .arg(&conf)
            .arg("-e")
            .arg(&error_log)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start nginx");
        let url = format!("http://127.0.0.1:{port}{path}");
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Self { child, url, rundir };
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = child.kill();
        let _ = child.wait();
        let log = std::fs::read_to_string(&error_log).unwrap_or_default();
        panic!("nginx did not listen on {port}: {log}");
    }

    /// `host:port`.
    pub(crate) fn authority(&self) -> &str {
        let rest = self.url.trim_start_matches("http://");
        &rest[..rest.find('/').expect("a path")]
    }

    /// The endpoint's path.
    pub(crate) fn path(&self) -> &str {
        let rest = self.url.trim_start_matches("http://");
        &rest[rest.find('/').expect("a path")..]
    }

    /// How many requests each upstream served so far, from the access log.
    pub(crate) fn served_by(&self) -> std::collections::HashMap<String, usize> {
        let log = std::fs::read_to_string(self.rundir.join("nginx-access.log")).unwrap_or_default();
        let mut served = std::collections::HashMap::new();
        for line in log.lines() {
            // `upstream=A, B upstream_status=..`: B served it when A refused.
            let Some(upstreams) = line
                .split(" upstream=")
                .nth(1)
                .and_then(|rest| rest.split(" upstream_status=").next())
            else {
                continue;
            };
            let last = upstreams
                .rsplit(", ")
                .next()
                .unwrap_or(upstreams)
                .to_owned();
            *served.entry(last).or_insert(0) += 1;
        }
        served
    }
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| out.stdout.starts_with(b"0\n"))
}

impl Drop for Nginx {
    fn drop(&mut self) {
        // The master stops its workers on SIGTERM; SIGKILL would leave them listening.
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.rundir);
    }
}
