//! User authentication on the data port (manual §4.3): a login before any data flows, wrong
//! credentials closed after three tries, passwords never logged.

mod common;

use common::*;
use nix::sys::termios::BaudRate;
use std::io::Write;
use std::process::Command;
use std::time::Duration;

const T: Duration = Duration::from_secs(10);

fn login_sim() -> Sim {
    Sim::start(&[
        "--config",
        concat!(env!("CARGO_MANIFEST_DIR"), "/../../sim-configs/login.toml"),
        "--set",
        "port1.serial.baud=115200",
        "--set",
        "port1.host.socket_id=UNIT7:",
    ])
}

fn expect(s: &mut std::net::TcpStream, want: &[u8]) {
    assert_eq!(
        String::from_utf8_lossy(&read_for(s, want.len(), T)),
        String::from_utf8_lossy(want)
    );
}

#[test]
fn login_is_required_before_data_flows() {
    let mut sim = login_sim();
    let mut serial = sim.open_serial(BaudRate::B115200);
    let mut net = sim.connect();
    expect(&mut net, b"login: ");
    let status = sim.status();
    assert_eq!(status["sessions"][0]["state"], "login");
    // Serial data does not reach a peer that has not logged in...
    serial.write_all(b"secret data").expect("write");
    std::thread::sleep(Duration::from_millis(200));
    // ...and what the peer types is the login, not data.
    net.write_all(b"operator\r\n").expect("write");
    expect(&mut net, b"password: ");
    net.write_all(b"letmein\r\nafter login").expect("write");
    expect(&mut net, b"\r\nlogin ok\r\nUNIT7:");
    let ok = sim.wait_event("login", T);
    assert_eq!(
        (ok["user"].as_str(), ok["ok"].as_bool()),
        (Some("operator"), Some(true))
    );
    assert_eq!(read_for(&mut serial, 11, T), b"after login");
    serial.write_all(b"now it flows").expect("write");
    expect(&mut net, b"now it flows");
    assert_eq!(sim.status()["sessions"][0]["state"], "established");
}

#[test]
fn wrong_credentials_close_the_session_after_three_tries() {
    let mut sim = login_sim();
    let mut serial = sim.open_serial(BaudRate::B115200);
    let mut net = sim.connect();
    expect(&mut net, b"login: ");
    for i in 1..=3 {
        net.write_all(b"operator\rwrong-pass\r").expect("write");
        expect(&mut net, b"password: \r\nLogin incorrect\r\n");
        if i < 3 {
            expect(&mut net, b"login: ");
        }
    }
    assert!(closed_within(&mut net, T), "session stayed open");
    let closed = sim.wait_event("session_closed", T);
    assert_eq!(closed["reason"], "login_failed");
    assert_eq!(
        read_for(&mut serial, 1, Duration::from_millis(200)),
        b"",
        "login text reached the serial port"
    );
    // The password appears nowhere: not in events, not in the status.
    for e in &sim.seen {
        assert!(!e.to_string().contains("wrong-pass"), "{e}");
    }
    let status = Command::new(binary())
        .args([
            "ctl",
            "--addr",
            &format!("{}:{}", sim.ip, sim.ready["ports"]["control"]),
            "status",
        ])
        .output()
        .expect("ctl");
    let text = String::from_utf8_lossy(&status.stdout);
    assert!(text.contains("\"login_failures\": 3"), "{text}");
}

#[test]
fn passwords_are_never_logged() {
    // Run with debug logs on stderr and look for the passwords there.
    let dir = temp_dir("login-log");
    let ip = unique_ip();
    let (mut child, ready, _stdout) = spawn_reading_ready(
        Command::new(binary())
            .args(["--ip", &ip.to_string(), "--state-dir"])
            .arg(dir.join("state"))
            .args([
                "--config",
                concat!(env!("CARGO_MANIFEST_DIR"), "/../../sim-configs/login.toml"),
                "--set",
                "sim.free_ports=true",
                "--log",
                "trace",
            ]),
    );
    let port = ready["ports"]["data"].as_u64().expect("data port") as u16;
    let mut net = std::net::TcpStream::connect((ip, port)).expect("connect");
    net.write_all(b"operator\r\nwrong-pass\r\noperator\r\nletmein\r\n")
        .expect("write");
    read_for(&mut net, 60, Duration::from_millis(800));
    let _ = child.kill();
    let out = child.wait_with_output().expect("wait");
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(log.contains("login"), "no login in the log: {log}");
    assert!(
        !log.contains("wrong-pass") && !log.contains("letmein"),
        "password in the log"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
