//! The `tls.*` faults against the built binary, with `openssl s_client` as the peer: a
//! corrupted record ends the session with a TLS failure, a handshake cut by a reset fails on
//! both sides, and once the fault is cleared the port serves a new client.

mod common;

use common::openssl::{device_cert, s_client};
use common::*;
use nix::sys::termios::BaudRate;
use serde_json::Value;
use std::io::{Read, Write};
use std::process::Child;
use std::time::Duration;

const CONFIGS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../sim-configs");

/// `openssl s_client` verifying the device against `cert`.
fn client(sim: &Sim, cert: &std::path::Path) -> Child {
    let cert = cert.to_str().expect("utf-8 path");
    s_client(
        sim,
        None,
        &["-CAfile", cert, "-verify_ip", &sim.ip.to_string()],
    )
}

fn send(client: &mut Child, data: &[u8]) {
    let stdin = client.stdin.as_mut().expect("stdin");
    stdin.write_all(data).expect("write");
    stdin.flush().expect("flush");
}

fn fault_list(sim: &Sim) -> Vec<Value> {
    sim.ctl_ok(&["fault", "list"])["faults"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// A new client after the fault: the handshake completes and its data reaches the serial port.
fn port_still_serves(sim: &mut Sim, cert: &std::path::Path, serial: &mut std::fs::File) {
    sim.seen.clear();
    let mut c = client(sim, cert);
    sim.wait_event("tls_established", Duration::from_secs(20));
    send(&mut c, b"again");
    assert_eq!(read_for(serial, 5, Duration::from_secs(10)), b"again");
    let _ = c.kill();
    let _ = c.wait();
}

#[test]
fn a_corrupted_record_ends_the_session_with_a_tls_failure() {
    let mut sim = Sim::start(&["--config", &format!("{CONFIGS}/tls-server.toml")]);
    let cert = device_cert(&sim);
    let mut serial = sim.open_serial(BaudRate::B921600);
    let mut c = client(&sim, &cert);
    sim.wait_event("tls_established", Duration::from_secs(20));
    send(&mut c, b"before");
    assert_eq!(read_for(&mut serial, 6, Duration::from_secs(10)), b"before");

    sim.ctl_ok(&[
        "fault",
        "add",
        "tls.corrupt_record",
        "id=bad",
        "direction=to_device",
    ]);
    send(&mut c, b"after");
    let closed = sim.wait_event("session_closed", Duration::from_secs(10));
    let reason = closed["reason"]["failed"].as_str().unwrap_or_default();
    assert!(reason.starts_with("TLS: "), "{closed}");
    assert!(read_for(&mut serial, 5, Duration::from_millis(500)).is_empty());
    let mut out = Vec::new();
    let _ = c.stdout.take().map(|mut s| s.read_to_end(&mut out));
    let _ = c.wait();
    assert!(out.is_empty(), "{out:?}");
    assert_eq!(sim.status()["counters"]["tls_failures"], 1);
    let list = fault_list(&sim);
    assert_eq!(list[0]["counters"]["bytes_changed"], 1, "{list:?}");

    sim.ctl_ok(&["fault", "clear", "bad"]);
    port_still_serves(&mut sim, &cert, &mut serial);
}

#[test]
fn an_aborted_handshake_fails_on_both_sides_and_the_port_keeps_serving() {
    let mut sim = Sim::start(&["--config", &format!("{CONFIGS}/tls-server.toml")]);
    let cert = device_cert(&sim);
    let mut serial = sim.open_serial(BaudRate::B921600);
    sim.ctl_ok(&["fault", "add", "tls.abort_handshake", "id=cut"]);
    let c = client(&sim, &cert);
    let out = c.wait_with_output().expect("s_client");
    assert!(!out.status.success(), "the handshake should fail");
    assert!(out.stdout.is_empty());
    let closed = sim.wait_event("session_closed", Duration::from_secs(10));
    assert_eq!(
        closed["reason"]["failed"], "connection reset by peer",
        "{closed}"
    );
    let list = fault_list(&sim);
    assert_eq!(list[0]["counters"]["sessions_failed"], 1, "{list:?}");

    sim.ctl_ok(&["fault", "clear", "cut"]);
    port_still_serves(&mut sim, &cert, &mut serial);
}
