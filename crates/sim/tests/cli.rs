//! The command line: PTY link rules, signals, check-config, --attach, baud observation.

mod common;

use common::*;
use nix::sys::termios::BaudRate;
use std::process::Command;
use std::time::Duration;

#[test]
fn pty_over_a_regular_file_is_refused_and_the_file_is_untouched() {
    let dir = temp_dir("refuse");
    let file = dir.join("important.txt");
    std::fs::write(&file, b"keep me").expect("write");
    let out = Command::new(binary())
        .arg("--pty")
        .arg(&file)
        .arg("--state-dir")
        .arg(dir.join("state"))
        .output()
        .expect("run");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("refusing"), "stderr: {err}");
    assert_eq!(std::fs::read(&file).expect("read"), b"keep me");
    assert!(out.stdout.is_empty(), "no ready line expected");
}

#[test]
fn sigterm_closes_sessions_removes_the_link_and_exits_zero() {
    let mut sim = Sim::start(&[]);
    let mut s = sim.connect();
    sim.wait_event("session_opened", Duration::from_secs(5));
    assert!(std::fs::symlink_metadata(&sim.link).is_ok());
    let status = sim.terminate();
    assert!(status.success(), "exit status {status:?}");
    assert!(
        std::fs::symlink_metadata(&sim.link).is_err(),
        "link still there"
    );
    assert!(closed_within(&mut s, Duration::from_secs(5)));
}

#[test]
fn a_stale_link_is_replaced() {
    let dir = temp_dir("stale");
    let link = dir.join("ttyS0");
    std::os::unix::fs::symlink("/dev/pts/9999", &link).expect("symlink");
    let mut child = Command::new(binary())
        .arg("--pty")
        .arg(&link)
        .arg("--state-dir")
        .arg(dir.join("state"))
        .args([
            "--ip",
            &unique_ip().to_string(),
            "--set",
            "sim.free_ports=true",
        ])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("run");
    let mut line = String::new();
    let stdout = child.stdout.take().expect("stdout");
    std::io::BufRead::read_line(&mut std::io::BufReader::new(stdout), &mut line).expect("read");
    let ready: serde_json::Value = serde_json::from_str(&line).expect("json");
    assert_eq!(
        std::fs::read_link(&link).expect("link").to_str(),
        ready["pty"].as_str()
    );
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn check_config_reports_every_mistake_with_its_key() {
    let dir = temp_dir("check");
    let file = dir.join("bad.toml");
    std::fs::write(&file, "[port1.serial]\nbaud = 12345\nparity = \"sometimes\"\n[port1.host]\nmax_connections = 99\n").expect("write");
    let out = Command::new(binary())
        .arg("check-config")
        .arg(&file)
        .output()
        .expect("run");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("3 mistake(s)"), "{err}");
    for key in [
        "port1.serial.baud = 12345",
        "port1.serial.parity = \"sometimes\"",
        "port1.host.max_connections = 99",
    ] {
        assert!(err.contains(key), "missing {key} in: {err}");
    }
    let good = dir.join("good.toml");
    std::fs::write(&good, "[port1.serial]\nbaud = 115200\n").expect("write");
    let out = Command::new(binary())
        .arg("check-config")
        .arg(&good)
        .output()
        .expect("run");
    assert!(out.status.success());
}

#[test]
fn shipped_configs_are_valid() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../sim-configs");
    let mut n = 0;
    for entry in std::fs::read_dir(dir).expect("sim-configs") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "toml") {
            let out = Command::new(binary())
                .arg("check-config")
                .arg(&path)
                .output()
                .expect("run");
            assert!(
                out.status.success(),
                "{}: {}",
                path.display(),
                String::from_utf8_lossy(&out.stderr)
            );
            n += 1;
        }
    }
    assert!(n >= 2);
}

#[test]
fn an_attached_program_talks_to_the_network_and_its_exit_is_reported() {
    let mut sim = Sim::start(&[
        "--set",
        "port1.serial.baud=115200",
        "--attach",
        "stty raw -echo; sleep 0.5; printf 'hello from the instrument'; sleep 0.5",
    ]);
    let mut net = sim.connect();
    let got = read_for(&mut net, 25, Duration::from_secs(10));
    assert_eq!(got, b"hello from the instrument");
    let exited = sim.wait_event("attach_exited", Duration::from_secs(10));
    assert_eq!(exited["code"], 0);
    // The device keeps running: a new session after the first one ends is served.
    drop(net);
    sim.wait_event("session_closed", Duration::from_secs(5));
    let mut again = sim.connect();
    assert!(!closed_within(&mut again, Duration::from_millis(300)));
    assert!(
        sim.child.try_wait().expect("wait").is_none(),
        "simulator exited"
    );
}

#[test]
fn the_programs_baud_rate_is_observed_and_a_mismatch_reported() {
    let mut sim = Sim::start(&["--set", "port1.serial.baud=9600"]);
    let _serial = sim.open_serial(BaudRate::B115200);
    let mismatch = sim.wait_event("baud_mismatch", Duration::from_secs(5));
    assert_eq!(mismatch["observed"], 115200);
    assert_eq!(mismatch["configured"], 9600);
}

#[test]
fn only_a_rate_the_program_sets_is_a_baud_mismatch_once_per_open() {
    use std::os::unix::fs::OpenOptionsExt;
    let sim = Sim::start(&["--set", "port1.serial.baud=115200"]);
    let open_plain = || {
        std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .custom_flags(nix::libc::O_NOCTTY)
            .open(&sim.link)
            .expect("open the port")
    };
    let set_rate = |f: &std::fs::File, baud: BaudRate| {
        let mut t = nix::sys::termios::tcgetattr(f).expect("tcgetattr");
        nix::sys::termios::cfsetspeed(&mut t, baud).expect("cfsetspeed");
        nix::sys::termios::tcsetattr(f, nix::sys::termios::SetArg::TCSANOW, &t).expect("set");
    };
    let mismatches = |s: &serde_json::Value| s["counters"]["baud_mismatches"].as_u64();
    let attached = |s: &serde_json::Value, yes: bool| s["serial"]["program_attached"] == yes;

    // A program that never sets a speed sees the device's rate: no mismatch.
    let plain = open_plain();
    sim.status_until(|s| attached(s, true), Duration::from_secs(5));
    std::thread::sleep(Duration::from_millis(200));
    let s = sim.status();
    assert_eq!(mismatches(&s), Some(0), "{s}");
    assert_eq!(s["serial"]["observed_baud"], 115200, "{s}");

    // One that sets another rate: one mismatch.
    set_rate(&plain, BaudRate::B57600);
    sim.status_until(|s| mismatches(s) == Some(1), Duration::from_secs(5));
    drop(plain);
    sim.status_until(|s| attached(s, false), Duration::from_secs(5));

    // The next program that sets nothing is not blamed for the last one's rate...
    let plain = open_plain();
    sim.status_until(|s| attached(s, true), Duration::from_secs(5));
    std::thread::sleep(Duration::from_millis(200));
    let s = sim.status();
    assert_eq!(mismatches(&s), Some(1), "{s}");
    assert_eq!(s["serial"]["observed_baud"], 115200, "{s}");
    // ...and one that sets the wrong rate again is reported again, once.
    set_rate(&plain, BaudRate::B57600);
    sim.status_until(|s| mismatches(s) == Some(2), Duration::from_secs(5));
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(mismatches(&sim.status()), Some(2));
}
