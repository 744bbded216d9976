//! The configuration store and power through the built binary: set → apply → the running
//! device uses it; save → SIGTERM → start again from flash; reboot and power cycle with the
//! PTY program undisturbed; factory reset; export and import; SIGKILL during saves.

mod common;

use common::ctl::*;
use common::*;
use m2285_core::Config;
use nix::sys::termios::BaudRate;
use rand::Rng;
use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::{Duration, Instant};

const T: Duration = Duration::from_secs(10);

/// The saved configuration in a state directory, if there is a valid one.
fn saved(state: &Path) -> Option<Config> {
    let text = std::fs::read_to_string(state.join("config.toml")).ok()?;
    Some(
        Config::from_toml_str(&text).unwrap_or_else(|e| panic!("broken saved file: {e:?}\n{text}")),
    )
}

#[test]
fn set_stages_and_apply_makes_the_running_device_use_it() {
    let mut sim = Sim::start(&[]);
    let mut serial = sim.open_serial(BaudRate::B2400);
    sim.ctl_ok(&["config", "set", "port1.serial.baud=2400"]);
    assert_eq!(
        sim.status()["serial"]["settings"],
        "9600 8N1",
        "staged only"
    );
    let applied = sim.ctl_ok(&["apply"]);
    assert_eq!(applied["applied"], serde_json::json!(["port1.serial.baud"]));
    sim.wait_for("config_applied", |v| v["keys"][0] == "port1.serial.baud", T);
    assert_eq!(sim.status()["serial"]["settings"], "2400 8N1");
    // The line now runs at 2400 baud: 240 characters take a second to reach the program.
    let mut peer = sim.connect();
    sim.wait_event("session_opened", T);
    let data = random_bytes(240, 5);
    let sent = Instant::now();
    peer.write_all(&data).expect("send");
    let got = read_for(&mut serial, data.len(), T);
    let took = sent.elapsed();
    assert_eq!(got, data);
    assert!(
        took >= Duration::from_millis(950),
        "240 bytes at 2400 baud in {took:?}"
    );
    // Not saved: the store says so.
    assert_eq!(
        sim.status()["store"]["unsaved"],
        serde_json::json!(["port1.serial.baud"])
    );
}

#[test]
fn a_saved_value_is_in_effect_after_sigterm_and_a_start_without_config() {
    let dir = temp_dir("store-restart");
    let state = dir.join("state");
    let mut first = Sim::start_at(&state, &[]);
    first.ctl_ok(&[
        "config",
        "set",
        "--apply",
        "port1.serial.baud=19200",
        "port1.title=kept",
    ]);
    let st = first.ctl_ok(&["save"]);
    assert_eq!(st["saves"], 1, "{st}");
    assert_eq!(st["unsaved"], serde_json::json!([]));
    first.wait_event("config_saved", T);
    let meta = std::fs::metadata(state.join("config.toml")).expect("saved file");
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    assert!(first.terminate().success());
    drop(first);
    let second = Sim::start_at(&state, &[]);
    assert_eq!(second.status()["serial"]["settings"], "19200 8N1");
    assert_eq!(
        second.ctl_ok(&["config", "get", "port1.title"])["value"],
        "kept"
    );
    drop(second);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn reboot_refuses_connections_while_booting_then_serves_and_the_pty_stays_open() {
    let mut sim = Sim::start(&["--set", "sim.boot_time_ms=1500"]);
    let mut serial = sim.open_serial(BaudRate::B9600);
    let port = sim.data_port();
    let mut before = sim.connect();
    sim.wait_event("session_opened", T);
    // A network key waits for the reboot; saved, it is in force after it.
    let r = sim.ctl_ok(&["config", "set", "--apply", "network.ip=10.0.0.9"]);
    assert_eq!(r["pending_reboot"], serde_json::json!(["network.ip"]));
    sim.ctl_ok(&["save"]);
    let r = sim.ctl_ok(&["reboot"]);
    assert_eq!(r["boot_time_ms"], 1500);
    sim.wait_for("rebooting", |v| v["cause"] == "reboot", T);
    assert!(
        closed_within(&mut before, T),
        "the session survived the reboot"
    );
    let refused = TcpStream::connect((sim.ip, port));
    assert!(
        matches!(&refused, Err(e) if e.kind() == ErrorKind::ConnectionRefused),
        "connect while booting: {refused:?}"
    );
    assert_eq!(sim.status()["device"]["state"], "booting");
    sim.wait_for("booted", |v| v["boot"] == 1, T);
    let st = sim.status();
    assert_eq!(st["device"]["state"], "up");
    assert_eq!(st["store"]["pending_reboot"], serde_json::json!([]));
    let boots: Vec<&serde_json::Value> = sim
        .seen
        .iter()
        .filter(|v| v["event"] == "booted")
        .map(|v| &v["boot"])
        .collect();
    assert_eq!(boots, [0, 1], "exactly one booted per boot");
    assert_eq!(
        sim.ctl_ok(&["config", "get", "network.ip"])["value"],
        "10.0.0.9"
    );
    // Same port, and the program's descriptor, opened before the reboot, still carries data.
    let mut after = TcpStream::connect((sim.ip, port)).expect("connect after boot");
    sim.wait_for("session_opened", |v| v["conn"] != 1, T);
    after.write_all(b"hello after boot").expect("send");
    assert_eq!(read_for(&mut serial, 16, T), b"hello after boot");
    serial.write_all(b"and back").expect("serial write");
    let mut buf = [0u8; 8];
    after.set_read_timeout(Some(T)).ok();
    after.read_exact(&mut buf).expect("network read");
    assert_eq!(&buf, b"and back");
}

#[test]
fn power_cycle_resets_sessions_and_loses_unsaved_changes() {
    let mut sim = Sim::start(&["--set", "sim.boot_time_ms=200"]);
    let mut peer = sim.connect();
    sim.wait_event("session_opened", T);
    sim.ctl_ok(&["config", "set", "--apply", "port1.serial.baud=19200"]);
    let r = sim.ctl_ok(&["power-cycle", "--off", "300"]);
    assert_eq!(r["off_ms"], 300);
    // The peer learns it from a reset, not an orderly close.
    peer.set_read_timeout(Some(T)).ok();
    let mut buf = [0u8; 16];
    let got = peer.read(&mut buf);
    assert!(
        matches!(&got, Err(e) if e.kind() == ErrorKind::ConnectionReset),
        "read after a power cut: {got:?}"
    );
    sim.wait_for("booted", |v| v["boot"] == 1, T);
    assert_eq!(sim.status()["serial"]["settings"], "9600 8N1");
    let _again = sim.connect();
    sim.wait_for("session_opened", |v| v["conn"] != 1, T);
    // The same power cycle as a fault, with the name scenarios use.
    let (status, body) = http(
        &sim,
        "POST",
        "/faults",
        r#"{"name":"device.power_cycle","params":{"off":"100ms"}}"#,
    );
    assert_eq!(status, 201, "{body}");
    sim.wait_for("booted", |v| v["boot"] == 2, T);
}

#[test]
fn factory_reset_brings_factory_values_and_keeps_the_network_on_request() {
    let mut sim = Sim::start(&[
        "--set",
        "sim.boot_time_ms=100",
        "--set",
        "port1.crypto.method=ssl",
        "--set",
        "port1.serial.baud=19200",
        "--set",
        "network.ip=10.1.2.3",
        "--set",
        "system.users[0].name=op",
        "--set",
        "system.users[0].password=s3cret",
    ]);
    let state = sim.state.clone();
    let cert = std::fs::read(state.join("device.crt")).expect("the device's certificate");
    sim.ctl_ok(&["factory-reset", "--keep-network"]);
    sim.wait_for("rebooting", |v| v["cause"] == "factory_reset", T);
    sim.wait_for("booted", |v| v["boot"] == 1, T);
    let c = sim.ctl_ok(&["config", "get"]);
    assert_eq!(c["port1"]["crypto"]["method"], "none");
    assert_eq!(
        std::fs::read(state.join("device.crt")).ok(),
        Some(cert),
        "the device keeps its certificate"
    );
    assert_eq!(c["port1"]["serial"]["baud"], 9600);
    assert_eq!(c["network"]["ip"], "10.1.2.3");
    assert_eq!(
        c["system"]["users"],
        serde_json::json!([
            {"name": "admin", "password": "***", "role": "admin"},
            {"name": "root", "password": "***", "role": "root"},
        ]),
        "the factory accounts are back"
    );
    assert_eq!(c["sim"]["free_ports"], true, "the rig's keys stay");
    let on_flash = saved(&state).expect("factory values saved");
    assert_eq!(on_flash.port1.serial.baud, 9600);
    // The reset button held 5 s: everything, network included.
    let r = sim.ctl_ok(&["reset-button", "--hold", "5000"]);
    assert_eq!(r["action"], "factory_reset");
    sim.wait_for("booted", |v| v["boot"] == 2, T);
    assert_eq!(
        sim.ctl_ok(&["config", "get", "network.ip"])["value"],
        "192.168.161.5"
    );
    // A short press only reboots.
    assert_eq!(
        sim.ctl_ok(&["reset-button", "--hold", "300"])["action"],
        "reboot"
    );
    sim.wait_for("booted", |v| v["boot"] == 3, T);
}

#[test]
fn export_masks_secrets_and_import_is_checked_whole() {
    let sim = Sim::start(&[
        "--set",
        "system.users[0].name=op",
        "--set",
        "system.users[0].password=s3cret",
    ]);
    let (code, exported, _) = sim.ctl_raw(&["config", "export"]);
    assert_eq!(code, 0);
    assert!(!exported.contains("s3cret"), "{exported}");
    assert!(exported.contains("password = \"***\""), "{exported}");
    let dir = temp_dir("import");
    let bad = dir.join("bad.toml");
    let broken = exported
        .replace("baud = 9600", "baud = 12345")
        .replace("parity = \"none\"", "parity = \"sometimes\"");
    std::fs::write(&bad, broken).expect("write");
    let (code, _, err) = sim.ctl_raw(&["config", "import", bad.to_str().unwrap_or_default()]);
    assert_eq!(code, 1);
    assert!(
        err.contains("port1.serial.baud") && err.contains("port1.serial.parity"),
        "{err}"
    );
    assert_eq!(sim.status()["store"]["staged"], serde_json::json!([]));
    let good = dir.join("good.toml");
    std::fs::write(&good, exported.replace("baud = 9600", "baud = 38400")).expect("write");
    let r = sim.ctl_ok(&[
        "config",
        "import",
        "--apply",
        good.to_str().unwrap_or_default(),
    ]);
    assert_eq!(
        r["applied"],
        serde_json::json!(["port1.serial.baud"]),
        "{r}"
    );
    assert_eq!(sim.status()["serial"]["settings"], "38400 8N1");
    // The masked password kept the real one: the export of now still masks a password.
    let (_, again, _) = sim.ctl_raw(&["config", "export"]);
    assert!(again.contains("password = \"***\""));
    let _ = std::fs::remove_dir_all(dir);
}

/// SIGKILL at a random instant just after a save was asked for, 100 times: the state directory
/// always holds a whole configuration, the old or the new one, and the device starts from it.
#[test]
fn sigkill_during_100_saves_leaves_the_old_or_the_new_configuration() {
    let dir = temp_dir("store-kill");
    let state = dir.join("state");
    let mut rng = rand::rng();
    let (mut old_kept, mut new_kept) = (0, 0);
    let mut expected_old: Option<String> = None;
    for round in 0..100u32 {
        let mut sim = Sim::start_at(&state, &[]);
        let leftovers = std::fs::read_dir(&state)
            .map(|d| {
                d.flatten()
                    .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
                    .count()
            })
            .unwrap_or(0);
        assert_eq!(
            leftovers, 0,
            "round {round}: an interrupted save's temporary file stayed"
        );
        let on_flash = saved(&state).map(|c| c.port1.title);
        assert_eq!(on_flash, expected_old, "round {round}: the device's flash");
        let title = format!("round{round}");
        let (status, _) = http(
            &sim,
            "POST",
            "/config",
            &format!(r#"{{"set":{{"port1.title":"{title}"}},"apply":true}}"#),
        );
        assert_eq!(status, 200);
        let mut s = TcpStream::connect((sim.ip, sim.control_port())).expect("control API");
        let req = format!(
            "POST /save HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {}\r\nContent-Length: 0\r\n\r\n",
            sim.control_addr(),
            sim.control_token()
        );
        s.write_all(req.as_bytes()).expect("request");
        std::thread::sleep(Duration::from_micros(rng.random_range(0..3000)));
        let _ = sim.child.kill();
        let _ = sim.child.wait();
        let now = saved(&state).map(|c| c.port1.title);
        if now.as_deref() == Some(title.as_str()) {
            new_kept += 1;
        } else {
            assert_eq!(now, expected_old, "round {round}: neither old nor new");
            old_kept += 1;
        }
        expected_old = now;
        drop(sim);
    }
    println!(
        "100 SIGKILLs during saves: {new_kept} left the new configuration, {old_kept} the old"
    );
    let _ = std::fs::remove_dir_all(dir);
}
