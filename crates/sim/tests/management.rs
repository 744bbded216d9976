//! The management core seen from outside (issue 11, docs/management.md): accounts and the
//! failed-login policy, the IP filter on real connections from distinct loopback addresses, the
//! port log, and that no password or hash ever shows.

mod common;

use common::ctl::http;
use common::*;
use nix::sys::termios::BaudRate;
use serde_json::Value;
use std::io::{Read, Write};
use std::net::{IpAddr, SocketAddr, TcpStream, UdpSocket};
use std::process::{Command, Stdio};
use std::time::Duration;

const T: Duration = Duration::from_secs(10);

/// Source addresses of the filter test's clients (no other test binds them).
const ACCEPTED: [u8; 4] = [127, 0, 0, 2];
const REFUSED: [u8; 4] = [127, 0, 0, 3];

/// A TCP connection to `to` from source address `from`.
fn connect_from(from: [u8; 4], to: SocketAddr) -> std::io::Result<TcpStream> {
    let s = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None)?;
    s.bind(&SocketAddr::from((from, 0)).into())?;
    s.connect_timeout(&to.into(), T)?;
    let s: TcpStream = s.into();
    // A reset may already have arrived (a rejected peer): the read that follows reports it.
    let _ = s.set_nodelay(true);
    Ok(s)
}

/// `ctl ARGS` with `stdin` as its standard input; returns (exit code, JSON, stderr).
fn ctl_with_stdin(sim: &Sim, args: &[&str], stdin: &str) -> (i32, Value, String) {
    let mut child = Command::new(binary())
        .arg("ctl")
        .arg("--addr")
        .arg(sim.control_addr())
        .arg("--state-dir")
        .arg(&sim.state)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run ctl");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("write stdin");
    let out = child.wait_with_output().expect("ctl output");
    (
        out.status.code().unwrap_or(-1),
        serde_json::from_slice(&out.stdout).unwrap_or(Value::Null),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The system log as `ctl log` prints it.
fn log_text(sim: &Sim) -> String {
    let out = Command::new(binary())
        .args(["ctl", "--addr", &sim.control_addr(), "--state-dir"])
        .arg(&sim.state)
        .arg("log")
        .output()
        .expect("ctl log");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn log_until(sim: &Sim, want: &str) -> String {
    let end = std::time::Instant::now() + T;
    loop {
        let log = log_text(sim);
        if log.contains(want) || std::time::Instant::now() > end {
            return log;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn the_ip_filter_accepts_one_address_and_rejects_or_drops_another() {
    let mut sim = Sim::start(&[
        "--set",
        "system.filter.rules[0].address=127.0.0.3",
        "--set",
        "system.filter.rules[0].service=port1",
        "--set",
        "system.filter.rules[0].rule=reject",
    ]);
    let to = SocketAddr::new(sim.ip, sim.data_port());
    let mut serial = sim.open_serial(BaudRate::B9600);

    // 127.0.0.2 matches no rule: served.
    let mut good = connect_from(ACCEPTED, to).expect("connect from 127.0.0.2");
    let opened = sim.wait_event("session_opened", T);
    assert_eq!(
        opened["peer"].as_str().map(|p| p.starts_with("127.0.0.2:")),
        Some(true)
    );
    good.write_all(b"ok").expect("write");
    assert_eq!(read_for(&mut serial, 2, T), b"ok");

    // 127.0.0.3 is rejected: the kernel completes the handshake, then the device resets it.
    // On a busy machine the reset can beat the end of our own connect call: either way the
    // connection is reset.
    let err = match connect_from(REFUSED, to) {
        Ok(mut bad) => {
            let mut buf = [0u8; 16];
            bad.set_read_timeout(Some(T)).ok();
            bad.read(&mut buf)
                .expect_err("a rejected connection is reset")
        }
        Err(e) => e,
    };
    assert_eq!(err.kind(), std::io::ErrorKind::ConnectionReset, "{err}");
    let refused = sim.wait_event("filter_refused", T);
    assert_eq!(refused["verdict"], "reject");
    assert_eq!(refused["service"], "port1");
    assert_eq!(refused["rule"], 0);
    assert!(refused["peer"]
        .as_str()
        .is_some_and(|p| p.starts_with("127.0.0.3:")));

    // Drop: no answer and no data; what the peer sends never reaches the serial port.
    sim.ctl_ok(&["filter", "clear", "--apply"]);
    let rules = sim.ctl_ok(&[
        "filter",
        "add",
        "--apply",
        "address=127.0.0.3",
        "service=port1",
        "rule=drop",
    ]);
    assert_eq!(rules["rules"][0]["rule"], "drop");
    let mut dropped = connect_from(REFUSED, to).expect("the handshake completes");
    dropped
        .write_all(b"let me in")
        .expect("the kernel takes the bytes");
    dropped
        .set_read_timeout(Some(Duration::from_millis(700)))
        .ok();
    let mut buf = [0u8; 16];
    let silent = dropped.read(&mut buf).expect_err("no answer, no close");
    assert!(
        matches!(
            silent.kind(),
            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
        ),
        "{silent}"
    );
    assert_eq!(read_for(&mut serial, 1, Duration::from_millis(300)), b"");

    // UDP: a rule for the UDP receiving port drops datagrams from 127.0.0.3 only.
    sim.ctl_ok(&[
        "config",
        "set",
        "--apply",
        "port1.host.mode=udp",
        "port1.host.accept_unlisted=true",
    ]);
    sim.ctl_ok(&[
        "filter",
        "add",
        "--apply",
        "address=127.0.0.3",
        "service=port1_udp",
        "rule=drop",
    ]);
    let port = sim.status()["ports"]["data"].as_u64().expect("udp port") as u16;
    let udp_to = SocketAddr::new(sim.ip, port);
    let from_bad = UdpSocket::bind(SocketAddr::from((REFUSED, 0))).expect("bind .3");
    from_bad.send_to(b"BAD", udp_to).expect("send");
    let from_good = UdpSocket::bind(SocketAddr::from((ACCEPTED, 0))).expect("bind .2");
    from_good.send_to(b"GOOD", udp_to).expect("send");
    assert_eq!(read_for(&mut serial, 4, T), b"GOOD");

    // The counters and the log say what happened.
    let filter = sim.ctl_ok(&["filter"]);
    let c = &filter["counters"];
    assert_eq!(
        (
            c["port1"]["accepted"].as_u64(),
            c["port1"]["rejected"].as_u64(),
            c["port1"]["dropped"].as_u64()
        ),
        (Some(1), Some(1), Some(1)),
        "{filter}"
    );
    assert_eq!(
        (
            c["port1_udp"]["accepted"].as_u64(),
            c["port1_udp"]["dropped"].as_u64()
        ),
        (Some(1), Some(1)),
        "{filter}"
    );
    assert_eq!(sim.status()["filter"], filter["counters"]);
    let log = log_until(&sim, "service=\"port1_udp\"");
    let refusals: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("filter_refused"))
        .collect();
    assert_eq!(refusals.len(), 3, "{log}");
    assert!(
        refusals[0].contains("warning")
            && refusals[0].contains("peer=\"127.0.0.3:")
            && refusals[0].contains("verdict=\"reject\""),
        "{log}"
    );
    assert!(refusals[1].contains("verdict=\"drop\""), "{log}");
}

#[test]
fn accounts_are_managed_with_ctl_and_used_by_the_port_login() {
    let mut sim = Sim::start(&[
        "--set",
        "port1.host.user_auth=true",
        "--set",
        "system.login.max_failures=3",
    ]);
    let users = sim.ctl_ok(&["users"]);
    let names: Vec<(&str, &str)> = users["users"]
        .as_array()
        .expect("users")
        .iter()
        .map(|u| {
            (
                u["name"].as_str().unwrap_or(""),
                u["role"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(names, vec![("admin", "admin"), ("root", "root")]);
    let (code, added, err) = ctl_with_stdin(
        &sim,
        &["users", "add", "--apply", "op", "--role", "user"],
        "Op-pass-1\n",
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        added["users"][2],
        serde_json::json!({"name": "op", "role": "user", "password_set": true})
    );
    let (code, _, err) = ctl_with_stdin(
        &sim,
        &["users", "add", "--apply", "bad", "--role", "wizard"],
        "x\n",
    );
    assert_eq!(code, 1);
    assert!(err.contains("system.users[3].role"), "{err}");

    // The new account logs in to the data port; the factory admin account too.
    let mut net = sim.connect();
    net.write_all(b"op\r\nOp-pass-1\r\n").expect("write");
    assert_eq!(
        String::from_utf8_lossy(&read_for(&mut net, 29, T)),
        "login: password: \r\nlogin ok\r\n"
    );
    drop(net);
    let (code, _, err) = ctl_with_stdin(&sim, &["users", "passwd", "--apply", "op"], "Op-pass-2\n");
    assert_eq!(code, 0, "{err}");
    // Account changes stage like `config set`: without --apply the running accounts stay.
    let staged = sim.ctl_ok(&["users", "del", "root"]);
    assert!(
        staged["users"]
            .as_array()
            .is_some_and(|u| u.iter().any(|u| u["name"] == "root")),
        "{staged}"
    );
    assert_ne!(staged["staged"], serde_json::json!([]), "{staged}");
    let applied = sim.ctl_ok(&["apply"]);
    assert_ne!(applied["applied"], serde_json::json!([]), "{applied}");
    let users = sim.ctl_ok(&["users"]);
    assert!(
        !users["users"]
            .as_array()
            .is_some_and(|u| u.iter().any(|u| u["name"] == "root")),
        "{users}"
    );
    let (code, _, err) = sim.ctl(&["users", "del", "--apply", "admin"]);
    assert_eq!(code, 1, "the last managing account stays");
    assert!(err.contains("last account"), "{err}");

    // Three failures from one address lock it out: the next connection is reset at once.
    let to = SocketAddr::new(sim.ip, sim.data_port());
    let mut net = connect_from(ACCEPTED, to).expect("connect");
    net.write_all(b"op\rOp-pass-1\rop\rwrong\radmin\rroot\r")
        .expect("write");
    assert!(
        closed_within(&mut net, T),
        "three failures close the session"
    );
    let lockout = sim.wait_event("login_lockout", T);
    assert_eq!(lockout["peer"], "127.0.0.2");
    // The reset can beat the client's own set-up calls (set_nodelay) or come with its first read.
    let reset = match connect_from(ACCEPTED, to) {
        Err(e) => e,
        Ok(mut locked) => {
            locked.set_read_timeout(Some(T)).ok();
            let mut buf = [0u8; 8];
            locked
                .read(&mut buf)
                .expect_err("the locked-out address is reset")
        }
    };
    assert_eq!(reset.kind(), std::io::ErrorKind::ConnectionReset, "{reset}");
    let users = sim.ctl_ok(&["users"]);
    assert_eq!(users["failed_logins"], 3);
    assert_eq!(users["locked_out"][0], "127.0.0.2");
    // Another address still may try, with the changed password.
    let mut net = sim.connect();
    net.write_all(b"op\r\nOp-pass-2\r\n").expect("write");
    assert_eq!(
        String::from_utf8_lossy(&read_for(&mut net, 29, T)),
        "login: password: \r\nlogin ok\r\n"
    );
}

#[test]
fn no_password_or_hash_appears_in_any_output() {
    let dir = temp_dir("no-secrets");
    let ip = unique_ip();
    let plain = [
        "Tr0ub4dor-cli",
        "Tr0ub4dor-ctl",
        "Tr0ub4dor-wrong",
        "letmein",
        "rig-2285",
    ];
    let (mut child, ready, mut stdout) = spawn_reading_ready(
        Command::new(binary())
            .args(["--ip", &ip.to_string(), "--state-dir"])
            .arg(dir.join("state"))
            .args([
                "--config",
                concat!(env!("CARGO_MANIFEST_DIR"), "/../../sim-configs/login.toml"),
                "--set",
                "sim.free_ports=true",
                "--set",
                "system.users[2].name=cli",
                "--set",
                "system.users[2].password=Tr0ub4dor-cli",
                "--set",
                "port1.log.enabled=true",
                "--log",
                "trace",
            ]),
    );
    let rest = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stdout.read_to_string(&mut s);
        s
    });
    // stderr is read all along: trace logs would fill the pipe and stall the device.
    let mut stderr = child.stderr.take().expect("stderr");
    let logs = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });
    let sim_ctl = |args: &[&str], stdin: &str| -> String {
        let mut c = Command::new(binary())
            .args([
                "ctl",
                "--addr",
                &format!("{ip}:{}", ready["ports"]["control"]),
                "--state-dir",
            ])
            .arg(dir.join("state"))
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("ctl");
        c.stdin
            .take()
            .expect("stdin")
            .write_all(stdin.as_bytes())
            .expect("stdin");
        let out = c.wait_with_output().expect("ctl");
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    };
    let mut seen = String::new();
    seen += &sim_ctl(
        &["users", "add", "--apply", "ctl", "--role", "admin"],
        "Tr0ub4dor-ctl\n",
    );
    seen += &sim_ctl(&["config", "set", "system.users[0].password=letmein"], "");
    let port = ready["ports"]["data"].as_u64().expect("data port") as u16;
    let mut net = TcpStream::connect((ip, port)).expect("connect");
    net.write_all(b"cli\r\nTr0ub4dor-wrong\r\ncli\r\nTr0ub4dor-cli\r\n")
        .expect("write");
    let answer = String::from_utf8_lossy(&read_for(&mut net, 66, T)).into_owned();
    if !answer.contains("login ok") {
        let _ = child.kill();
        panic!("{answer}\n{}", rest.join().unwrap_or_default());
    }
    for args in [
        &["config", "get"][..],
        &["config", "get", "system.users"],
        &["config", "get", "system.users[2].password"],
        &["users"],
        &["log"],
        &["port-log"],
        &["status"],
    ] {
        let out = sim_ctl(args, "");
        assert!(
            out.contains("***") || !args.starts_with(&["config"]),
            "{args:?}: {out}"
        );
        seen += &out;
    }
    let (code, body) = http_at(ip, &ready, &dir.join("state"), "GET", "/config");
    assert_eq!(code, 200);
    seen += &body;
    let _ = child.kill();
    let _ = child.wait();
    seen += &logs.join().unwrap_or_default();
    seen += &rest.join().unwrap_or_default();
    assert!(seen.contains("login"), "the outputs were captured: {seen}");
    for p in plain {
        assert!(!seen.contains(p), "password {p:?} shown somewhere");
    }
    for marker in ["$argon2", "argon2id", "m=1024"] {
        assert!(!seen.contains(marker), "a hash ({marker}) shown somewhere");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// One HTTP request to the control API of the device at `ip` (ready line `ready`).
fn http_at(
    ip: IpAddr,
    ready: &Value,
    state: &std::path::Path,
    method: &str,
    path: &str,
) -> (u16, String) {
    let port = ready["ports"]["control"].as_u64().unwrap_or(0) as u16;
    let token = std::fs::read_to_string(state.join("control.token")).expect("control token");
    let mut s = TcpStream::connect((ip, port)).expect("control");
    write!(
        s,
        "{method} {path} HTTP/1.0\r\nHost: {ip}:{port}\r\nAuthorization: Bearer {}\r\nConnection: close\r\n\r\n",
        token.trim()
    )
    .expect("request");
    let mut text = String::new();
    s.read_to_string(&mut text).expect("response");
    let code = text
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    (code, text)
}

#[test]
fn the_port_log_keeps_both_directions_and_can_be_cleared() {
    let mut sim = Sim::start(&[
        "--set",
        "port1.log.enabled=true",
        "--set",
        "port1.log.size_bytes=256",
        "--set",
        "port1.serial.baud=115200",
    ]);
    let mut serial = sim.open_serial(BaudRate::B115200);
    let mut net = sim.connect();
    sim.wait_event("session_opened", T);
    serial.write_all(b"from the program").expect("write");
    assert_eq!(read_for(&mut net, 16, T), b"from the program");
    net.write_all(b"from the network").expect("write");
    assert_eq!(read_for(&mut serial, 16, T), b"from the network");
    let log = sim.ctl_ok(&["port-log"]);
    let chunks = log["chunks"].as_array().expect("chunks");
    let text = |dir: &str| -> String {
        chunks
            .iter()
            .filter(|c| c["dir"] == dir)
            .filter_map(|c| c["text"].as_str())
            .collect()
    };
    assert_eq!(text("from_serial"), "from the program", "{log}");
    assert_eq!(text("to_serial"), "from the network", "{log}");
    assert_eq!(log["captured_bytes"], 32);
    sim.ctl_ok(&["port-log", "--clear"]);
    assert_eq!(sim.ctl_ok(&["port-log"])["held_bytes"], 0);
    let (code, _) = http(&sim, "DELETE", "/users/nobody", "");
    assert_eq!(code, 404);
}

#[test]
fn ctl_log_follow_prints_new_messages_as_they_come() {
    let sim = Sim::start(&[]);
    let mut follow = Command::new(binary())
        .args(["ctl", "--addr", &sim.control_addr(), "--state-dir"])
        .arg(&sim.state)
        .args(["log", "--follow"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("ctl log --follow");
    let stdout = follow.stdout.take().expect("stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        use std::io::BufRead;
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let booted = rx.recv_timeout(T).expect("the boot message");
    assert!(booted.contains(" notice  booted "), "{booted}");
    // A session opened after the follower started shows up too.
    let _net = sim.connect();
    let opened = rx.recv_timeout(T).expect("a new message");
    assert!(
        opened.contains(" info    session_opened conn=1 "),
        "{opened}"
    );
    let _ = follow.kill();
    let _ = follow.wait();
}
