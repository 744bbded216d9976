//! The control API itself: status, bad requests (4xx with a JSON error naming the mistake, never
//! a crash), configuration read and changed at run time, the event stream.

mod common;

use common::ctl::*;
use common::*;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::time::Duration;

const T: Duration = Duration::from_secs(10);

#[test]
fn status_shows_mode_sessions_signals_and_counters() {
    let mut sim = Sim::start(&[]);
    assert!(sim.control_port() > 0);
    let _s = sim.connect();
    sim.wait_event("session_opened", T);
    let st = sim.status();
    assert_eq!(st["mode"], "tcp");
    assert_eq!(st["sessions"][0]["role"], "server");
    assert_eq!(st["sessions"][0]["state"], "established");
    assert_eq!(st["signals"]["inputs"]["dsr"], true);
    assert_eq!(st["signals"]["outputs"]["dtr"], true);
    assert_eq!(st["serial"]["settings"], "9600 8N1");
    assert_eq!(st["counters"]["connections_accepted"], 1);
    assert_eq!(st["ports"]["data"], sim.data_port());
}

#[test]
fn bad_requests_get_4xx_with_a_json_error_and_the_device_lives_on() {
    let sim = Sim::start(&[]);
    let cases: &[(&str, &str, &str, u16, &str)] = &[
        ("GET", "/nope", "", 404, "no endpoint"),
        ("DELETE", "/status", "", 405, "not allowed"),
        ("POST", "/signals", "{oops", 400, "not valid JSON"),
        ("POST", "/signals", r#"{"rts":"low"}"#, 400, "output"),
        ("POST", "/signals", r#"{"dsr":"sideways"}"#, 400, "dsr"),
        (
            "POST",
            "/break",
            r#"{"duration_ms":-5}"#,
            400,
            "duration_ms",
        ),
        (
            "GET",
            "/config/port1.serial.bawd",
            "",
            404,
            "port1.serial.bawd",
        ),
        (
            "PUT",
            "/config/port1.serial.baud",
            r#"{"value":12345}"#,
            400,
            "port1.serial.baud = 12345",
        ),
        ("PUT", "/config/port1.serial.baud", r#"[1]"#, 400, "value"),
        (
            "POST",
            "/config",
            r#"{"set":{"port1.nothing":1}}"#,
            400,
            "port1.nothing",
        ),
    ];
    for (method, path, body, status, needle) in cases {
        let (got, json) = http(&sim, method, path, body);
        assert_eq!(got, *status, "{method} {path} {body}: {json}");
        let msg = json["error"].as_str().unwrap_or_default();
        assert!(msg.contains(needle), "{method} {path}: {msg}");
    }
    // A huge body is refused too.
    let (got, _) = http(&sim, "POST", "/signals", &"x".repeat(100_000));
    assert_eq!(got, 413);
    let (code, _, err) = sim.ctl(&["config", "set", "port1.serial.parity=sometimes"]);
    assert_eq!(code, 1);
    assert!(err.contains("port1.serial.parity"), "{err}");
    assert_eq!(sim.status()["mode"], "tcp");
}

#[test]
fn configuration_is_read_and_changed_at_run_time() {
    let sim = Sim::start(&[
        "--set",
        "system.users[0].name=op",
        "--set",
        "system.users[0].password=s3cret",
    ]);
    let v = sim.ctl_ok(&["config", "get", "port1.serial.baud"]);
    assert_eq!(v["value"], 9600);
    // `config set` stages; the running device uses the values once applied.
    let staged = sim.ctl_ok(&[
        "config",
        "set",
        "port1.serial.baud=115200",
        "port1.serial.parity=even",
    ]);
    assert_eq!(staged["staged"]["port1.serial.baud"], 115200);
    assert_eq!(sim.status()["serial"]["settings"], "9600 8N1");
    assert_eq!(
        sim.status()["store"]["staged"],
        serde_json::json!(["port1.serial.baud", "port1.serial.parity"])
    );
    let applied = sim.ctl_ok(&["apply"]);
    assert_eq!(
        applied["applied"],
        serde_json::json!(["port1.serial.baud", "port1.serial.parity"])
    );
    assert_eq!(sim.status()["serial"]["settings"], "115200 8E1");
    // All or nothing: one bad key changes nothing.
    let (code, _, _) = sim.ctl(&[
        "config",
        "set",
        "--apply",
        "port1.serial.baud=1200",
        "port1.serial.stop_bits=3",
    ]);
    assert_eq!(code, 1);
    assert_eq!(sim.status()["store"]["staged"], serde_json::json!([]));
    assert_eq!(sim.status()["serial"]["settings"], "115200 8E1");
    // Passwords never leave the device.
    let all = sim.ctl_ok(&["config", "get"]);
    assert_eq!(all["system"]["users"][0]["password"], "***");
    let text = all.to_string();
    assert!(!text.contains("s3cret"));
    let one = sim.ctl_ok(&["config", "get", "system.users[0].password"]);
    assert_eq!(one["value"], "***");
}

#[test]
fn the_event_stream_carries_connects_disconnects_and_signal_changes() {
    let sim = Sim::start(&[]);
    let mut stream = TcpStream::connect((sim.ip, sim.control_port())).expect("connect");
    stream
        .write_all(
            format!(
                "GET /events HTTP/1.0\r\nHost: {}\r\n\r\n",
                sim.control_addr()
            )
            .as_bytes(),
        )
        .expect("request");
    stream.set_read_timeout(Some(T)).ok();
    let mut lines = BufReader::new(stream);
    let mut head = String::new();
    while lines.read_line(&mut head).is_ok_and(|n| n > 2) {
        if head.ends_with("\r\n\r\n") {
            break;
        }
    }
    assert!(
        head.starts_with("HTTP/1.0 200") || head.starts_with("HTTP/1.1 200"),
        "{head}"
    );
    let s = sim.connect();
    drop(s);
    sim.ctl_ok(&["signal", "ri=high"]);
    let mut names = Vec::new();
    for _ in 0..20 {
        let mut line = String::new();
        if lines.read_line(&mut line).unwrap_or(0) == 0 {
            break;
        }
        let v: serde_json::Value = serde_json::from_str(line.trim()).expect("a JSON line");
        names.push(v["event"].as_str().unwrap_or_default().to_owned());
        if v["event"] == "signal_changed" {
            assert_eq!(v["signal"], "ri");
            break;
        }
    }
    for want in ["session_opened", "session_closed", "signal_changed"] {
        assert!(
            names.iter().any(|n| n == want),
            "{want} missing from {names:?}"
        );
    }
}
