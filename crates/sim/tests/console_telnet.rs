//! The Telnet console with real clients: Debian's `telnet` driven by `expect` through the menus,
//! and command mode over a plain socket walking every key of the schema.

mod common;

use common::console::{telnet_port, Commands};
use common::Sim;
use m2285_core::config::schema::{DefaultValue as D, KeySpec, Kind, KEYS};
use nix::sys::termios::BaudRate;
use serde_json::{json, Value};
use std::io::Write;
use std::net::TcpStream;
use std::process::Command;
use std::time::{Duration, Instant};

#[test]
fn telnet_client_walks_the_menus_to_change_the_baud_rate() {
    let mut sim = Sim::start(&[]);
    // The program on the serial side already runs at 115200: a mismatch until the device follows.
    let _program = sim.open_serial(BaudRate::B115200);
    sim.status_until(
        |s| s["serial"]["observed_baud"] == 115200,
        Duration::from_secs(5),
    );
    let script = format!(
        r#"set timeout 10
spawn telnet {ip} {port}
expect "login: "
send "admin\r"
expect "Password: "
send "admin\r"
expect "Logged in as admin."
expect "Select: "
send "2\r"
expect -re {{ ([0-9]+)\. Serial\r}}
set serial $expect_out(1,string)
expect "Select: "
send "$serial\r"
expect -re {{ ([0-9]+)\. Baud  }}
set baud $expect_out(1,string)
expect "Select: "
send "$baud\r"
expect "New value (Enter = keep): "
send "12345\r"
expect "Error: port1.serial.baud = 12345: allowed: one of 75,"
expect "New value (Enter = keep): "
send "115200\r"
expect "Staged: port1.serial.baud = 115200"
expect "Select: "
send "\033"
expect "Select: "
send "0\r"
expect "Main menu --"
expect "Select: "
send "6\r"
expect "Done: applied 1 change(s)."
expect "Select: "
send "8\r"
expect "Done: logged out."
expect eof
"#,
        ip = sim.ip,
        port = telnet_port(&sim)
    );
    let path = sim.dir.join("baud.exp");
    std::fs::write(&path, script).expect("write the expect script");
    let out = Command::new("expect")
        .arg(&path)
        .output()
        .expect("run expect (scripts/setup installs it)");
    let transcript = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "expect failed:\n{transcript}");
    // The password was not echoed.
    assert!(!transcript.contains("Password: admin"), "{transcript}");
    let status = sim.status_until(
        |s| s["serial"]["settings"] == "115200 8N1",
        Duration::from_secs(5),
    );
    assert_eq!(status["serial"]["observed_baud"], 115200, "{status}");
    assert_eq!(
        sim.ctl_ok(&["config", "get", "port1.serial.baud"])["value"],
        115200
    );
    sim.wait_for(
        "console_login",
        |e| e["user"] == "admin",
        Duration::from_secs(5),
    );
    sim.wait_for(
        "console_logout",
        |e| e["user"] == "admin",
        Duration::from_secs(5),
    );
}

/// A valid value other than the factory default, as typed and as `ctl config get` shows it.
fn sample(spec: &KeySpec) -> Option<(String, Value)> {
    Some(match (spec.kind, spec.default) {
        (Kind::Bool, D::Bool(b)) => ((!b).to_string(), json!(!b)),
        (Kind::Int { min, max }, D::Int(v)) => {
            let n = if v < max { v + 1 } else { min };
            (n.to_string(), json!(n))
        }
        (Kind::OneOfInt(list), D::Int(v)) => {
            let n = *list.iter().rev().find(|x| **x != v)?;
            (n.to_string(), json!(n))
        }
        (Kind::OneOf(list), D::Str(v)) => {
            let s = *list.iter().find(|x| **x != v).unwrap_or(&list[0]);
            (s.to_owned(), json!(s))
        }
        (Kind::Ipv4, _) => ("127.0.0.9".into(), json!("127.0.0.9")),
        // The one text key with a fixed vocabulary (the TLS engine's suites).
        (Kind::Text { .. }, _) if spec.path.ends_with("ciphersuites") => {
            let s = "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256";
            (s.to_owned(), json!(s))
        }
        (Kind::Text { .. }, _) => ("console-x".into(), json!("console-x")),
        // Passwords are typed in clear and only ever shown masked.
        (Kind::Secret { .. }, _) => ("s3cret-x".into(), json!("***")),
        _ => return None,
    })
}

#[test]
fn command_mode_sets_every_key_of_the_schema() {
    let sim = Sim::start(&[]);
    let mut c = Commands::open(&sim, "admin", "admin");
    assert_eq!(c.run("get port1.serial.baud"), "OK 9600");
    assert!(c
        .run("set port1.serial.baud 12")
        .starts_with("ERR port1.serial.baud = 12: allowed:"));
    assert!(c.run("frobnicate").starts_with("ERR "));
    let mut expected = Vec::new();
    for spec in KEYS {
        let Some((typed, shown)) = sample(spec) else {
            continue;
        };
        let key = spec.path.replace("[]", "[0]");
        let answer = c.run(&format!("set {key} {typed}"));
        assert!(
            answer.starts_with(&format!("OK {key} = ")),
            "{key}: {answer}"
        );
        expected.push((key, shown));
    }
    assert!(c.run("apply").starts_with("OK applied "), "apply");
    for (key, shown) in expected {
        let got = &sim.ctl_ok(&["config", "get", &key])["value"];
        if key.ends_with(".password") {
            assert_eq!(got, "***", "{key}");
        } else {
            assert_eq!(*got, shown, "{key}");
        }
    }
}

#[test]
fn a_second_administrator_cannot_edit_until_the_first_lets_go() {
    let sim = Sim::start(&[]);
    let mut first = Commands::open(&sim, "admin", "admin");
    let mut second = Commands::open(&sim, "admin", "admin");
    assert!(first.run("set port1.title first").starts_with("OK"));
    let refused = second.run("set port1.title second");
    assert!(
        refused.starts_with("ERR the edit lock is held by telnet "),
        "{refused}"
    );
    // The first disconnects mid-edit: its staged edit is dropped and the lock released.
    drop(first);
    let end = Instant::now() + Duration::from_secs(5);
    loop {
        let answer = second.run("set port1.title second");
        if answer.starts_with("OK") {
            break;
        }
        assert!(
            Instant::now() < end,
            "the lock was never released: {answer}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(second.run("apply").starts_with("OK"));
    assert_eq!(
        sim.ctl_ok(&["config", "get", "port1.title"])["value"],
        "second"
    );
}

#[test]
fn telnet_garbage_and_long_lines_do_not_stop_the_console() {
    let sim = Sim::start(&[]);
    let mut junk = TcpStream::connect((sim.ip, telnet_port(&sim))).expect("connect");
    let mut bytes = common::random_bytes(50_000, 12);
    bytes.extend(std::iter::repeat_n(b'A', 100_000));
    junk.write_all(&bytes).expect("write garbage");
    // Another session still logs in and answers.
    let mut c = Commands::open(&sim, "admin", "admin");
    assert_eq!(c.run("get sim.pacing"), "OK true");
}
