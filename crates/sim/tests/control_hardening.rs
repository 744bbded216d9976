//! The control API under hostile or careless clients (issue 17): descriptor exhaustion, a
//! thousand idle connections, requests from foreign web pages, requests without the token, and
//! a malformed request line. docs/control-api.md says what each must do.

mod common;

use common::ctl::*;
use common::*;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::Command;
use std::time::{Duration, Instant};

const T: Duration = Duration::from_secs(10);

/// Lifts this test process's own descriptor limit so it can hold many connections.
fn lift_own_descriptor_limit(need: u64) {
    use nix::sys::resource::{getrlimit, setrlimit, Resource};
    let (soft, hard) = getrlimit(Resource::RLIMIT_NOFILE).expect("getrlimit");
    assert!(
        hard >= need,
        "this test needs {need} descriptors; the hard limit is {hard}"
    );
    if soft < need {
        setrlimit(Resource::RLIMIT_NOFILE, hard, hard).expect("setrlimit");
    }
}

/// Opens up to `n` idle TCP connections to `addr` (each within a short connect timeout).
fn idle_connections(addr: SocketAddr, n: usize) -> Vec<TcpStream> {
    (0..n)
        .filter_map(|_| TcpStream::connect_timeout(&addr, Duration::from_secs(2)).ok())
        .collect()
}

/// The threads of a process, from /proc.
fn threads(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/task"))
        .expect("/proc/PID/task")
        .count()
}

/// `GET /status` until it answers 200 (or `timeout` passes); returns the last status seen.
fn status_until_ok(sim: &Sim, timeout: Duration) -> u16 {
    let end = Instant::now() + timeout;
    loop {
        let (status, _) = http(sim, "GET", "/status", "");
        if status == 200 || Instant::now() > end {
            return status;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// What a new client gets while the API is saturated: a reply or a close, never a hang.
fn answer_or_close(sim: &Sim) -> Result<String, String> {
    let addr = SocketAddr::new(sim.ip, sim.control_port());
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(3))
        .map_err(|e| format!("connect: {e}"))?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok();
    let req = format!(
        "GET /status HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
        sim.control_addr()
    );
    let _ = s.write_all(req.as_bytes());
    let mut got = Vec::new();
    match s.read_to_end(&mut got) {
        Ok(_) => Ok(String::from_utf8_lossy(&got).into_owned()),
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => Ok(String::new()),
        Err(e) => Err(format!("no answer and no close: {e}")),
    }
}

#[test]
fn out_of_descriptors_the_api_refuses_new_connections_and_recovers_when_they_close() {
    lift_own_descriptor_limit(1024);
    let sim = Sim::launch(
        &["--set", "sim.control_idle_timeout_ms=120000"],
        Launch {
            max_files: Some(256),
            ..Launch::default()
        },
    );
    assert_eq!(status_until_ok(&sim, T), 200);
    let addr = SocketAddr::new(sim.ip, sim.control_port());
    let idle = idle_connections(addr, 400);
    assert!(idle.len() >= 300, "only {} connections opened", idle.len());
    // Out of descriptors: a new client is told so or closed at once, it does not hang.
    std::thread::sleep(Duration::from_millis(500));
    let saturated = answer_or_close(&sim).expect("the API answers or closes while saturated");
    assert!(
        saturated.is_empty() || saturated.starts_with("HTTP/1.1 503"),
        "{saturated}"
    );
    drop(idle);
    assert_eq!(
        status_until_ok(&sim, T),
        200,
        "the API serves again once the idle connections are gone"
    );
    // And it keeps doing so.
    for _ in 0..20 {
        assert_eq!(http(&sim, "GET", "/status", "").0, 200);
    }
}

#[test]
fn a_thousand_idle_connections_cost_no_threads_and_are_closed_by_the_idle_timeout() {
    lift_own_descriptor_limit(2048);
    let mut sim = Sim::start(&["--set", "sim.control_idle_timeout_ms=1500"]);
    assert_eq!(status_until_ok(&sim, T), 200);
    let pid = sim.child.id();
    let before = threads(pid);
    let addr = SocketAddr::new(sim.ip, sim.control_port());
    let started = Instant::now();
    let mut idle = idle_connections(addr, 1000);
    assert_eq!(idle.len(), 1000, "every connect succeeds");
    std::thread::sleep(Duration::from_millis(300));
    let during = threads(pid);
    assert!(
        during <= before + 2,
        "threads: {before} before, {during} with 1000 idle connections"
    );
    // Each connection is closed by the device: at once beyond the cap, the others when the
    // idle timeout (1.5 s) passes; none before it, none much after.
    let mut open_after_timeout = 0;
    for s in &mut idle {
        if !closed_within(s, Duration::from_secs(10)) {
            open_after_timeout += 1;
        }
    }
    assert_eq!(open_after_timeout, 0, "connections the device never closed");
    assert!(started.elapsed() >= Duration::from_millis(1500));
    assert_eq!(status_until_ok(&sim, T), 200);
    assert!(threads(pid) <= before + 2);
    assert_eq!(sim.terminate().code(), Some(0));
}

#[test]
fn a_foreign_web_page_cannot_change_the_device() {
    let sim = Sim::start(&[]);
    let token = format!("Bearer {}", sim.control_token());
    let own = sim.control_addr();
    let body = r#"{"set":{"port1.title":"csrf"}}"#;
    let before = sim.ctl_ok(&["config", "get", "port1.title"])["value"].clone();
    // DNS rebinding: the page's own name in Host (and Origin), even with a token.
    let (status, json) = http_with(
        &sim,
        "POST",
        "/config",
        &[
            ("Host", "evil.example"),
            ("Origin", "http://evil.example"),
            ("Content-Type", "text/plain"),
            ("Authorization", &token),
        ],
        body,
    );
    assert_eq!(status, 421, "{json}");
    assert!(json["error"].as_str().is_some_and(|m| m.contains("Host")));
    let (status, _) = http_with(&sim, "GET", "/status", &[("Host", "evil.example:80")], "");
    assert_eq!(status, 421, "reads are not served to a rebound name either");
    // A simple cross-site POST: the right Host, a foreign Origin.
    let (status, json) = http_with(
        &sim,
        "POST",
        "/config",
        &[
            ("Host", &own),
            ("Origin", "http://evil.example"),
            ("Content-Type", "application/json"),
            ("Authorization", &token),
        ],
        body,
    );
    assert_eq!(status, 403, "{json}");
    // A body that is not declared JSON (what a form or a no-cors fetch sends).
    for kind in ["text/plain", "application/x-www-form-urlencoded"] {
        let (status, json) = http_with(
            &sim,
            "POST",
            "/config",
            &[
                ("Host", &own),
                ("Content-Type", kind),
                ("Authorization", &token),
            ],
            body,
        );
        assert_eq!(status, 415, "{kind}: {json}");
    }
    let after = sim.ctl_ok(&["config", "get", "port1.title"])["value"].clone();
    assert_eq!(after, before, "nothing changed");
    // The device's own address as Origin is fine.
    let origin = format!("http://{own}");
    let (status, _) = http_with(
        &sim,
        "GET",
        "/status",
        &[("Host", &own), ("Origin", &origin)],
        "",
    );
    assert_eq!(status, 200);
}

#[test]
fn changes_need_the_token_and_ctl_finds_it_in_the_default_state_directory() {
    let sim = Sim::launch(
        &[],
        Launch {
            default_state_dir: true,
            ..Launch::default()
        },
    );
    let own = sim.control_addr();
    let token = sim.control_token();
    let mode = {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(sim.state.join("control.token"))
            .expect("control.token")
            .permissions()
            .mode()
            & 0o777
    };
    assert_eq!(mode, 0o600);
    let body = r#"{"set":{"port1.title":"no-token"}}"#;
    let json_host = [("Host", own.as_str()), ("Content-Type", "application/json")];
    let (status, json) = http_with(&sim, "POST", "/config", &json_host, body);
    assert_eq!(status, 401, "{json}");
    assert!(json["error"]
        .as_str()
        .is_some_and(|m| m.contains("control.token")));
    let wrong = [
        ("Host", own.as_str()),
        ("Content-Type", "application/json"),
        ("Authorization", "Bearer 0123456789abcdef0123456789abcdef"),
    ];
    assert_eq!(http_with(&sim, "POST", "/config", &wrong, body).0, 401);
    assert_eq!(
        http_with(&sim, "POST", "/break", &[("Host", own.as_str())], "").0,
        401
    );
    // Reads are open.
    assert_eq!(
        http_with(&sim, "GET", "/status", &[("Host", own.as_str())], "").0,
        200
    );
    // `ctl` with only the address finds the token where the device keeps it.
    let xdg = sim.dir.join("xdg");
    let ctl = |args: &[&str]| {
        Command::new(binary())
            .arg("ctl")
            .arg("--addr")
            .arg(&own)
            .args(args)
            .env("XDG_STATE_HOME", &xdg)
            .env_remove("M2285_CTL_TOKEN")
            .output()
            .expect("run ctl")
    };
    let out = ctl(&["config", "set", "--apply", "port1.title=by-ctl"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let title = sim.ctl_ok(&["config", "get", "port1.title"]);
    assert_eq!(title["value"], "by-ctl");
    // Given on the command line it works from anywhere; a wrong one is refused.
    let elsewhere = sim.dir.join("nowhere");
    let out = Command::new(binary())
        .args(["ctl", "--addr", &own, "--control-token", &token, "break"])
        .env("XDG_STATE_HOME", &elsewhere)
        .output()
        .expect("run ctl");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = Command::new(binary())
        .args(["ctl", "--addr", &own, "break"])
        .env("XDG_STATE_HOME", &elsewhere)
        .env("M2285_CTL_TOKEN", "0123456789abcdef0123456789abcdef")
        .output()
        .expect("run ctl");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("401"));
}

#[test]
fn a_request_line_with_raw_non_ascii_bytes_gets_a_4xx() {
    let sim = Sim::start(&[]);
    let answer = http_raw(&sim, b"GET /\xff HTTP/1.1\r\n\r\n");
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer:?}");
    let answer = http_raw(&sim, b"GET /st\x80tus HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    assert!(answer.starts_with("HTTP/1.1 4"), "{answer:?}");
    assert_eq!(http(&sim, "GET", "/status", "").0, 200);
}

#[test]
fn the_event_stream_outlives_the_idle_timeout() {
    let sim = Sim::start(&["--set", "sim.control_idle_timeout_ms=300"]);
    let mut events = std::process::Command::new(binary())
        .args(["ctl", "--addr", &sim.control_addr(), "events"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("ctl events");
    let stdout = events.stdout.take().expect("stdout");
    // Quiet for several idle timeouts, then an event.
    std::thread::sleep(Duration::from_millis(1500));
    sim.ctl_ok(&["signal", "ri=high"]);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        use std::io::BufRead;
        for line in std::io::BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    // (A line printed just as the stream began, like the ready line, may come first.)
    let end = Instant::now() + T;
    let changed = loop {
        let left = end.saturating_duration_since(Instant::now());
        let line = rx
            .recv_timeout(left)
            .expect("a signal_changed line from ctl events");
        let v: serde_json::Value = serde_json::from_str(&line).expect("a JSON line");
        if v["event"] == "signal_changed" {
            break v;
        }
    };
    assert_eq!(changed["signal"], "ri");
    let _ = events.kill();
    let _ = events.wait();
}
