//! TCP server behaviour of the data port: session limit, fan-out, timers, keep-alive.

mod common;

use common::*;
use nix::sys::termios::BaudRate;
use std::io::Write;
use std::time::{Duration, Instant};

#[test]
fn two_sessions_both_get_serial_data_and_a_third_is_closed() {
    let mut sim = Sim::start(&[
        "--set",
        "port1.host.max_connections=2",
        "--set",
        "port1.serial.baud=115200",
    ]);
    let mut a = sim.connect();
    let mut b = sim.connect();
    sim.wait_event("session_opened", Duration::from_secs(5));
    let mut c = sim.connect();
    assert!(
        closed_within(&mut c, Duration::from_secs(5)),
        "third connection stayed open"
    );
    let rejected = sim.wait_event("connection_rejected", Duration::from_secs(5));
    assert_eq!(rejected["reason"], "max connections reached");
    let mut serial = sim.open_serial(BaudRate::B115200);
    serial.write_all(b"to everyone").expect("write");
    assert_eq!(read_for(&mut a, 11, Duration::from_secs(5)), b"to everyone");
    assert_eq!(read_for(&mut b, 11, Duration::from_secs(5)), b"to everyone");
    // Each peer's data reaches the serial port.
    a.write_all(b"A").expect("write");
    assert_eq!(read_for(&mut serial, 1, Duration::from_secs(5)), b"A");
    b.write_all(b"B").expect("write");
    assert_eq!(read_for(&mut serial, 1, Duration::from_secs(5)), b"B");
}

#[test]
fn inactivity_timeout_closes_an_idle_session() {
    let mut sim = Sim::start(&["--set", "port1.host.inactivity_timeout_s=1"]);
    let mut s = sim.connect();
    let opened = Instant::now();
    assert!(
        closed_within(&mut s, Duration::from_secs(10)),
        "session not closed"
    );
    assert!(
        opened.elapsed() >= Duration::from_millis(990),
        "closed after {:?}",
        opened.elapsed()
    );
    let closed = sim.wait_event("session_closed", Duration::from_secs(5));
    assert_eq!(closed["reason"], "inactivity_timeout");
}

#[test]
fn keepalive_is_set_on_each_session_socket() {
    let mut sim = Sim::start(&[]);
    let _s = sim.connect();
    let applied = sim.wait_event("keepalive_applied", Duration::from_secs(5));
    // Values read back from the accepted socket with getsockopt.
    assert_eq!(applied["time_s"], 15);
    assert_eq!(applied["interval_s"], 5);
    assert_eq!(applied["probes"], 3);
    drop(sim);
    let mut sim = Sim::start(&[
        "--set",
        "network.tcp_keepalive.time_s=7",
        "--set",
        "network.tcp_keepalive.interval_s=2",
        "--set",
        "network.tcp_keepalive.probes=4",
    ]);
    let _s = sim.connect();
    let applied = sim.wait_event("keepalive_applied", Duration::from_secs(5));
    assert_eq!(
        (
            applied["time_s"].as_u64(),
            applied["interval_s"].as_u64(),
            applied["probes"].as_u64()
        ),
        (Some(7), Some(2), Some(4))
    );
}

#[test]
fn serial_data_with_no_session_is_discarded() {
    let sim = Sim::start(&["--set", "port1.serial.baud=115200"]);
    let mut serial = sim.open_serial(BaudRate::B115200);
    serial.write_all(b"nobody hears this").expect("write");
    std::thread::sleep(Duration::from_millis(300));
    let mut net = sim.connect();
    std::thread::sleep(Duration::from_millis(100));
    serial.write_all(b"now").expect("write");
    assert_eq!(read_for(&mut net, 3, Duration::from_secs(5)), b"now");
}
