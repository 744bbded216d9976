//! pyserial's RFC 2217 client against the built binary with the Telnet protocol option on.

mod common;

use common::*;
use nix::sys::termios::BaudRate;
use std::io::{Read, Write};
use std::process::Command;
use std::time::Duration;

/// Echoes everything the device sends to the serial port back to it, until the port closes.
fn serial_echo(mut tty: std::fs::File) {
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = tty.read(&mut buf) {
            if n == 0 || tty.write_all(&buf[..n]).is_err() {
                break;
            }
        }
    });
}

#[test]
fn pyserial_rfc2217_client_sets_the_port_and_moves_data() {
    let mut sim = Sim::start(&[
        "--config",
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../sim-configs/rfc2217.toml"
        ),
    ]);
    serial_echo(sim.open_serial(BaudRate::B115200));
    // The attached equipment's lines, as a test rig would set them.
    sim.ctl_ok(&["signal", "dsr=low", "ri=high", "dcd=high"]);
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/py/rfc2217_client.py");
    let mut child = Command::new("/usr/bin/python3")
        .arg(script)
        .arg(sim.ip.to_string())
        .arg(sim.data_port().to_string())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run /usr/bin/python3 (scripts/setup installs python3-serial)");
    let mut stdout = std::io::BufReader::new(child.stdout.take().expect("stdout"));
    let mut line = String::new();
    std::io::BufRead::read_line(&mut stdout, &mut line).expect("read");
    assert_eq!(line, "WAITING\n", "script stopped early");
    // What the client did is visible through the control API...
    let signals = sim.ctl_ok(&["signals"]);
    assert_eq!(signals["outputs"]["rts"], false, "{signals}");
    assert_eq!(signals["outputs"]["dtr"], true, "{signals}");
    // ...and a change made there is pushed to the client.
    sim.ctl_ok(&["signal", "cts=low", "dsr=high"]);
    child
        .stdin
        .as_mut()
        .expect("stdin")
        .write_all(b"go\n")
        .expect("write");
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).expect("read");
    let out = child.wait_with_output().expect("wait");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "pyserial failed: {stderr}");
    let r: serde_json::Value = serde_json::from_str(&rest).expect("json from the script");
    assert_eq!(r["rejected"], serde_json::json!([]), "{r}");
    assert_eq!(r["echo_ok"], true, "{r}");
    assert_eq!(
        r["lines"],
        serde_json::json!({"cts": true, "dsr": false, "ri": true, "cd": true})
    );
    assert_eq!(
        r["lines_after"],
        serde_json::json!({"cts": false, "dsr": true, "ri": true, "cd": true})
    );
    assert!(r["purge_s"].as_f64().unwrap_or(9.0) < 2.0, "{r}");
    assert_eq!(r["paced_len"], 960);
    assert!(r["paced_s"].as_f64().unwrap_or(0.0) >= 0.99, "{r}");
    // The client's DTR/RTS changes and the break reached the device.
    let lines = sim.wait_event("lines_changed", Duration::from_secs(5));
    assert_eq!(lines["lines"]["dtr"], false);
    sim.wait_event("serial_break", Duration::from_secs(5));
}

#[test]
fn telnet_data_is_unescaped_towards_the_serial_port() {
    let sim = Sim::start(&[
        "--set",
        "port1.host.telnet=true",
        "--set",
        "port1.serial.baud=115200",
    ]);
    let mut serial = sim.open_serial(BaudRate::B115200);
    let mut net = sim.connect();
    // The device opens with its negotiation; refuse nothing, just send data with IAC IAC.
    net.write_all(b"a\xff\xffb").expect("write");
    assert_eq!(read_for(&mut serial, 3, Duration::from_secs(5)), b"a\xffb");
    serial.write_all(b"\xff").expect("write");
    let got = read_for(&mut net, 64, Duration::from_millis(500));
    assert!(
        got.ends_with(b"\xff\xff"),
        "0xFF from the serial side must be doubled: {got:?}"
    );
}
