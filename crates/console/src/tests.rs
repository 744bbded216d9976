//! Engine tests: a session driven against a small in-memory device that answers its requests.

use super::*;
use m2285_core::config::schema::{Kind, KEYS};
use m2285_time::Instant;

/// The device side of the tests: a running configuration and a log of what was asked.
struct Device {
    running: Config,
    saved: Option<Config>,
    lock_free: bool,
    asked: Vec<Request>,
}

impl Device {
    fn new() -> Self {
        Device {
            running: Config::factory(),
            saved: None,
            lock_free: true,
            asked: Vec::new(),
        }
    }

    fn answer(&mut self, request: &Request) -> Answer {
        self.asked.push(request.clone());
        match request {
            Request::Login { user, password } if user == "admin" && password == "secret" => {
                Answer::Done(String::new())
            }
            Request::Login { .. } => Answer::Refused("login incorrect".into()),
            Request::Snapshot => Answer::Config(Box::new(self.running.clone())),
            Request::Lock if self.lock_free => Answer::Config(Box::new(self.running.clone())),
            Request::Lock => Answer::Refused("the edit lock is held by other (telnet)".into()),
            Request::Unlock => Answer::Done(String::new()),
            Request::Apply(pairs) => {
                let sets: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect();
                match self.running.with_sets(sets.iter().map(String::as_str)) {
                    Ok(c) => {
                        self.running = c;
                        Answer::Config(Box::new(self.running.clone()))
                    }
                    Err(e) => Answer::Refused(format!("{e:?}")),
                }
            }
            Request::Save => {
                self.saved = Some(self.running.clone());
                Answer::Done(String::new())
            }
            Request::Reboot | Request::FactoryReset | Request::Logout => {
                Answer::Done(String::new())
            }
            Request::Query(t) => Answer::Done(format!("query {t:?}\nsecond line")),
        }
    }
}

/// Feeds `input` and answers requests until the session waits for the user.
fn drive(c: &mut Console, d: &mut Device, input: &[u8], now: Instant) -> String {
    c.receive(input, now);
    settle(c, d, now)
}

fn settle(c: &mut Console, d: &mut Device, now: Instant) -> String {
    while let Some(r) = c.poll_request() {
        let a = d.answer(&r);
        c.answer(a, now);
    }
    String::from_utf8_lossy(&c.take_output()).into_owned()
}

fn t(s: u64) -> Instant {
    Instant::from_nanos(s * 1_000_000_000)
}

fn logged_in(d: &mut Device) -> Console {
    let mut c = Console::new(Settings::default(), t(0));
    let banner = settle(&mut c, d, t(0));
    assert!(banner.ends_with("login: "), "{banner:?}");
    drive(&mut c, d, b"admin\r", t(1));
    let menu = drive(&mut c, d, b"secret\r", t(1));
    assert!(menu.contains("Logged in as admin."), "{menu}");
    assert!(menu.contains("-- Main menu --"), "{menu}");
    assert!(menu.ends_with("Select: "), "{menu}");
    c
}

#[test]
fn password_is_not_echoed_and_user_is() {
    let mut d = Device::new();
    let mut c = Console::new(Settings::default(), t(0));
    c.take_output();
    assert_eq!(
        drive(&mut c, &mut d, b"admin\r", t(0)),
        "admin\r\nPassword: "
    );
    let out = drive(&mut c, &mut d, b"wrong\r", t(0));
    assert!(!out.contains("wrong"), "{out:?}");
    assert!(out.contains("Login incorrect."), "{out:?}");
    // The next prompt only after the pause; typed-ahead input waits.
    assert_eq!(c.poll_timeout(), Some(t(2)));
    c.handle_timeout(t(2));
    assert!(String::from_utf8_lossy(&c.take_output()).ends_with("login: "));
}

#[test]
fn three_wrong_logins_close_the_session() {
    let mut d = Device::new();
    let mut c = Console::new(Settings::default(), t(0));
    let mut out = String::new();
    for i in 0..3 {
        out += &drive(&mut c, &mut d, b"admin\rnope\r", t(10 * i));
        c.handle_timeout(t(10 * i + 5));
    }
    assert!(c.is_closed());
    assert!(out.contains("Too many failures"), "{out}");
}

#[test]
fn menus_change_the_baud_rate_and_apply() {
    let mut d = Device::new();
    let mut c = logged_in(&mut d);
    let serial = drive(&mut c, &mut d, b"2\r", t(2));
    assert!(
        serial.contains("-- Serial port configuration --"),
        "{serial}"
    );
    let line = serial
        .lines()
        .find(|l| l.contains(". Serial"))
        .unwrap_or_default()
        .to_owned();
    let n = line.split('.').next().unwrap_or("").trim().to_owned();
    let sub = drive(&mut c, &mut d, format!("{n}\r").as_bytes(), t(2));
    assert!(sub.contains("-- Serial --"), "{sub}");
    let baud = sub
        .lines()
        .find(|l| l.contains("Baud"))
        .unwrap_or_default()
        .to_owned();
    assert!(baud.ends_with("9600"), "{baud}");
    let n = baud.split('.').next().unwrap_or("").trim().to_owned();
    let ask = drive(&mut c, &mut d, format!("{n}\r").as_bytes(), t(3));
    assert!(ask.contains("Allowed: one of 75,"), "{ask}");
    let wrong = drive(&mut c, &mut d, b"12345\r", t(3));
    assert!(
        wrong.contains("Error: port1.serial.baud = 12345: allowed:"),
        "{wrong}"
    );
    assert!(wrong.ends_with("New value (Enter = keep): "), "{wrong}");
    let staged = drive(&mut c, &mut d, b"115200\r", t(4));
    assert!(
        staged.contains("Staged: port1.serial.baud = 115200"),
        "{staged}"
    );
    assert_eq!(d.running.port1.serial.baud, 9600, "not applied yet");
    // ESC (then a pause) goes back twice to the main menu; 6 = Apply.
    c.receive(b"\x1b", t(5));
    c.handle_timeout(t(6));
    drive(&mut c, &mut d, b"0\r", t(6));
    let applied = drive(&mut c, &mut d, b"6\r", t(7));
    assert!(applied.contains("Done: applied 1 change(s)."), "{applied}");
    assert_eq!(d.running.port1.serial.baud, 115200);
    assert!(!c.holds_lock());
}

#[test]
fn command_mode_answers_ok_and_err() {
    let mut d = Device::new();
    let mut c = logged_in(&mut d);
    let out = drive(&mut c, &mut d, b"9\r", t(2));
    assert!(out.ends_with("m2285> "), "{out}");
    let out = drive(&mut c, &mut d, b"get port1.serial.baud\r", t(2));
    assert_eq!(out, "get port1.serial.baud\r\nOK 9600\r\nm2285> ");
    let out = drive(&mut c, &mut d, b"set port1.serial.parity purple\r", t(2));
    assert!(
        out.contains("\r\nERR port1.serial.parity = \"purple\": allowed: one of none"),
        "{out}"
    );
    assert!(!c.holds_lock(), "a refused first edit gives the lock back");
    let out = drive(&mut c, &mut d, b"set port1.serial.parity even\r", t(2));
    assert!(
        out.contains("\r\nOK port1.serial.parity = \"even\"\r\n"),
        "{out}"
    );
    let out = drive(&mut c, &mut d, b"show port1.serial.parity\r", t(2));
    assert!(
        out.contains("port1.serial.parity = \"even\"\r\nOK\r\n"),
        "{out}"
    );
    let out = drive(&mut c, &mut d, b"save\r", t(2));
    assert!(out.contains("OK applied 1 change(s) and saved"), "{out}");
    assert_eq!(
        d.saved
            .as_ref()
            .and_then(|s| s.get("port1.serial.parity"))
            .map(|v| v.to_string()),
        Some("\"even\"".into())
    );
    let out = drive(&mut c, &mut d, b"frobnicate\r", t(2));
    assert!(out.contains("ERR \"frobnicate\": unknown command"), "{out}");
    let out = drive(&mut c, &mut d, b"stats\r", t(2));
    assert!(
        out.contains("query Stats\r\nsecond line\r\nOK\r\n"),
        "{out}"
    );
}

#[test]
fn a_second_editor_is_refused_the_lock() {
    let mut d = Device::new();
    d.lock_free = false;
    let mut c = Console::exec(
        Settings::default(),
        "admin",
        "set port1.title x; get port1.title",
        t(0),
    );
    let out = settle(&mut c, &mut d, t(0));
    assert_eq!(out, "ERR the edit lock is held by other (telnet)\r\n");
    assert_eq!(c.exit_status(), 1);
    assert!(c.is_closed());
}

#[test]
fn exec_runs_commands_and_closes() {
    let mut d = Device::new();
    let mut c = Console::exec(
        Settings::default(),
        "admin",
        "set port1.serial.baud 115200; apply; save",
        t(0),
    );
    let out = settle(&mut c, &mut d, t(0));
    assert_eq!(
        out,
        "OK port1.serial.baud = 115200\r\nOK applied 1 change(s)\r\nOK applied 0 change(s) and saved\r\n"
    );
    assert_eq!(c.exit_status(), 0);
    assert!(c.is_closed());
    assert_eq!(d.running.port1.serial.baud, 115200);
}

#[test]
fn idle_sessions_are_logged_out_and_drop_their_edits() {
    let mut d = Device::new();
    let mut c = logged_in(&mut d);
    drive(&mut c, &mut d, b"9\rset port1.title x\r", t(10));
    assert!(c.holds_lock());
    assert_eq!(c.poll_timeout(), Some(t(310)));
    c.handle_timeout(t(310));
    assert!(c.is_closed());
    assert!(String::from_utf8_lossy(&c.take_output()).contains("Idle timeout: logged out."));
}

#[test]
fn every_key_can_be_set_in_command_mode() {
    let mut d = Device::new();
    let mut c = Console::exec(Settings::default(), "admin", "", t(0));
    settle(&mut c, &mut d, t(0));
    let mut c = logged_in(&mut d);
    drive(&mut c, &mut d, b"9\r", t(1));
    for spec in KEYS {
        let Some(value) = sample_value(spec) else {
            continue;
        };
        let key = spec.path.replace("[]", "[0]");
        let out = drive(
            &mut c,
            &mut d,
            format!("set {key} {value}\r").as_bytes(),
            t(2),
        );
        assert!(out.contains("\r\nOK "), "{key} = {value}: {out}");
    }
    let out = drive(&mut c, &mut d, b"apply\r", t(3));
    assert!(out.contains("OK applied"), "{out}");
}

/// A valid non-default value for a key (None for lists themselves).
pub(crate) fn sample_value(spec: &m2285_core::config::schema::KeySpec) -> Option<String> {
    use m2285_core::config::schema::DefaultValue as D;
    Some(match (spec.kind, spec.default) {
        (Kind::Bool, D::Bool(b)) => (!b).to_string(),
        (Kind::Int { min, max }, D::Int(v)) => (if v < max { v + 1 } else { min }).to_string(),
        (Kind::OneOfInt(list), D::Int(v)) => list.iter().rev().find(|x| **x != v)?.to_string(),
        (Kind::OneOf(list), D::Str(v)) => list
            .iter()
            .find(|x| **x != v)
            .unwrap_or(&list[0])
            .to_string(),
        (Kind::Ipv4, _) => "127.0.0.9".into(),
        // The one text key with a fixed vocabulary (checked against the TLS engine).
        (Kind::Text { .. }, _) if spec.path.ends_with("ciphersuites") => {
            "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256".into()
        }
        (Kind::Text { .. }, _) => "x".into(),
        _ => return None,
    })
}

#[test]
fn random_bytes_and_long_lines_never_lock_the_console() {
    let mut d = Device::new();
    let mut c = logged_in(&mut d);
    let mut seed = 0x2285_u64;
    for round in 0..2000 {
        let mut chunk = Vec::new();
        for _ in 0..(seed % 64) {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            chunk.push((seed >> 33) as u8);
        }
        let out = drive(&mut c, &mut d, &chunk, t(2 + round / 100));
        assert!(out.len() < 64 * 1024);
        c.handle_timeout(t(2 + round / 100));
        if c.is_closed() {
            c = logged_in(&mut d);
        }
    }
    let long = vec![b'7'; 100_000];
    let out = drive(&mut c, &mut d, &long, t(50));
    assert!(out.len() < 1000, "the line is cut: {}", out.len());
    // Still answering after all that: Ctrl-C, then command mode.
    let out = drive(&mut c, &mut d, b"\x03\r0\r0\r0\r9\rget sim.pacing\r", t(51));
    assert!(out.contains("OK true"), "{out}");
}

#[test]
fn users_and_filter_rules_are_added_and_deleted_in_command_mode() {
    let mut d = Device::new();
    let commands = "users add op secret1; users add ops secret2; users del op; \
        filter add address=127.0.0.5 mask=255.255.255.255 service=telnet rule=reject; \
        filter add address=127.0.0.6 rule=drop; filter del 0; apply";
    let mut c = Console::exec(Settings::default(), "admin", commands, t(0));
    let out = settle(&mut c, &mut d, t(0));
    let lines: Vec<&str> = out.lines().collect();
    let users_before = Config::factory().system.users.len();
    assert_eq!(
        lines[2],
        format!("OK system.users[{users_before}] deleted"),
        "{out}"
    );
    assert!(lines[3].starts_with("OK system.filter.rules[0].address = \"127.0.0.5\""));
    assert_eq!(lines[5], "OK system.filter.rules[0] deleted", "{out}");
    assert_eq!(c.exit_status(), 0, "{out}");
    let names: Vec<&str> = d
        .running
        .system
        .users
        .iter()
        .map(|u| u.name.as_str())
        .collect();
    assert!(
        names.contains(&"ops") && !names.contains(&"op"),
        "{names:?}"
    );
    let rules = &d.running.system.filter.rules;
    assert_eq!(rules.len(), 1);
    assert_eq!(rules[0].address.to_string(), "127.0.0.6");
    assert_eq!(rules[0].rule, "drop");
    // Mistakes are explained and stop an exec script.
    for bad in [
        "users del nobody",
        "users del admin; users del root",
        "filter del 7",
        "filter add address",
        "filter add port=1",
    ] {
        let mut c = Console::exec(Settings::default(), "admin", bad, t(0));
        let out = settle(&mut c, &mut d, t(0));
        let last = out.lines().last().unwrap_or_default();
        assert!(last.starts_with("ERR "), "{bad}: {out}");
        if bad.contains("del root") {
            assert!(last.starts_with("ERR root is the last account"), "{out}");
        }
        assert_eq!(c.exit_status(), 1);
    }
}

#[test]
fn menus_delete_a_list_entry_but_never_the_last_administrator() {
    let mut d = Device::new();
    let mut c = logged_in(&mut d);
    drive(&mut c, &mut d, b"3\r", t(2));
    let users = drive(&mut c, &mut d, b"2\r", t(3));
    assert!(
        users.contains("1. Entry 1") && users.contains("\"admin\""),
        "{users}"
    );
    let entry = drive(&mut c, &mut d, b"1\r", t(4));
    assert!(entry.contains("4. Delete this entry"), "{entry}");
    let out = drive(&mut c, &mut d, b"4\r", t(5));
    assert!(out.contains("Staged: system.users[0] deleted"), "{out}");
    // Back at the list, where root is entry 1 now: it is the last administrator left.
    drive(&mut c, &mut d, b"1\r", t(6));
    let out = drive(&mut c, &mut d, b"4\r", t(7));
    assert!(
        out.contains("Error: root is the last account that can manage the device"),
        "{out}"
    );
    let out = drive(&mut c, &mut d, b"0\r0\r6\r", t(8));
    assert!(out.contains("Done: applied 1 change(s)."), "{out}");
    let names: Vec<&str> = d
        .running
        .system
        .users
        .iter()
        .map(|u| u.name.as_str())
        .collect();
    assert_eq!(names, ["root"]);
}
