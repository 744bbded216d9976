//! Line behaviours (manual §4.8) driven the way a cable would, through `m2285-sim ctl`: DSR
//! gating, DTR following the sessions, XON/XOFF and RTS/CTS flow control, RS-485 echo, break,
//! port enable.

mod common;

use common::ctl::*;
use common::*;
use nix::sys::termios::BaudRate;
use std::io::Write;
use std::time::Duration;

const T: Duration = Duration::from_secs(10);
const QUIET: Duration = Duration::from_millis(400);

#[test]
fn dsr_low_refuses_connections_and_high_to_low_drops_the_open_one() {
    let mut sim = Sim::start(&["--set", "port1.serial.dsr=allow_only_when_high"]);
    let signals = sim.ctl_ok(&["signal", "dsr=low"]);
    assert_eq!(signals["inputs"]["dsr"], false);
    let mut refused = sim.connect();
    assert!(
        closed_within(&mut refused, T),
        "connection accepted while DSR low"
    );
    let rejected = sim.wait_event("connection_rejected", T);
    assert_eq!(rejected["reason"], "dsr low");
    assert_eq!(sim.status()["dsr_allows_sessions"], false);

    sim.ctl_ok(&["signal", "dsr=high"]);
    let mut open = sim.connect();
    sim.wait_event("session_opened", T);
    assert!(!closed_within(&mut open, Duration::from_millis(300)));
    sim.ctl_ok(&["signal", "dsr=low"]);
    assert!(closed_within(&mut open, T), "session survived DSR low");
    let closed = sim.wait_event("session_closed", T);
    assert_eq!(closed["reason"], "dsr_low");
    let changed = sim.wait_for("signal_changed", |v| v["signal"] == "dsr", T);
    assert_eq!(changed["direction"], "input");
}

#[test]
fn dsr_low_to_high_connects_the_client_side() {
    let server = Server::start();
    let host = format!("port1.remote_hosts[0].host={}", ip_of(server.addr));
    let port = format!("port1.remote_hosts[0].port={}", server.addr.port());
    let sim = Sim::start(&[
        "--set",
        "port1.serial.dsr=allow_only_when_high",
        "--set",
        &host,
        "--set",
        &port,
    ]);
    sim.ctl_ok(&["signal", "dsr=low"]);
    assert!(server.accept(Duration::from_millis(300)).is_none());
    sim.ctl_ok(&["signal", "dsr=high"]);
    let (mut conn, _) = server.accept(T).expect("DSR high dialled the remote host");
    sim.ctl_ok(&["signal", "dsr=low"]);
    assert!(closed_within(&mut conn, T));
}

#[test]
fn dtr_is_high_while_a_session_is_open() {
    let mut sim = Sim::start(&["--set", "port1.serial.dtr=high_when_connected"]);
    assert_eq!(sim.ctl_ok(&["signals"])["outputs"]["dtr"], false);
    let s = sim.connect();
    sim.wait_event("session_opened", T);
    assert_eq!(sim.ctl_ok(&["signals"])["outputs"]["dtr"], true);
    drop(s);
    sim.wait_event("session_closed", T);
    assert_eq!(sim.ctl_ok(&["signals"])["outputs"]["dtr"], false);
    let up = sim.wait_for(
        "signal_changed",
        |v| v["signal"] == "dtr" && v["high"] == true,
        T,
    );
    assert_eq!(up["direction"], "output");
    // Always-low DTR stays low with a session (changed at run time through ctl).
    sim.ctl_ok(&["config", "set", "--apply", "port1.serial.dtr=always_low"]);
    let _s = sim.connect();
    sim.wait_for("session_opened", |v| v["conn"] != 1, T);
    assert_eq!(sim.ctl_ok(&["signals"])["outputs"]["dtr"], false);
}

#[test]
fn xoff_pauses_delivery_and_xon_resumes_it_with_no_byte_lost() {
    let sim = Sim::start(&[
        "--set",
        "port1.serial.baud=2400",
        "--set",
        "port1.serial.flow_control=xon_xoff",
    ]);
    let mut net = sim.connect();
    let mut serial = sim.open_serial(BaudRate::B2400);
    // 480 printable bytes take 2 s at 2400 8N1.
    let data: Vec<u8> = (0..480u32).map(|i| b'A' + (i % 26) as u8).collect();
    net.write_all(&data).expect("write");
    let mut got = read_for(&mut serial, 60, T);
    assert_eq!(got.len(), 60);
    serial.write_all(&[0x13]).expect("XOFF");
    // What was already on the wire finishes (a few characters, more on a loaded machine)...
    got.extend(read_for(&mut serial, 480, Duration::from_millis(300)));
    let paused_at = got.len();
    assert!(paused_at < 400, "XOFF did not pause: {paused_at} bytes");
    // ...then nothing.
    assert_eq!(
        read_for(&mut serial, 1, QUIET),
        b"",
        "data flowed while paused"
    );
    assert_eq!(sim.status()["serial"]["tx_paused"], true);
    serial.write_all(&[0x11]).expect("XON");
    got.extend(read_for(&mut serial, 480 - got.len(), T));
    assert_eq!(got, data, "bytes lost or reordered");
    // XON/XOFF never reach the network.
    assert_eq!(read_for(&mut net, 1, Duration::from_millis(200)), b"");
}

#[test]
fn the_device_sends_xoff_when_its_receive_buffer_fills() {
    let sim = Sim::start(&[
        "--set",
        "port1.serial.baud=115200",
        "--set",
        "port1.serial.flow_control=xon_xoff",
        "--set",
        "port1.serial.inter_char_timeout_ms=1500",
    ]);
    let _net = sim.connect();
    let mut serial = sim.open_serial(BaudRate::B115200);
    serial.write_all(&[b'x'; 3100]).expect("write");
    assert_eq!(read_for(&mut serial, 1, T), [0x13], "no XOFF");
    // Once the buffer is flushed to the network the device sends XON.
    assert_eq!(read_for(&mut serial, 1, T), [0x11], "no XON");
}

#[test]
fn cts_low_holds_data_back_and_cts_high_releases_it_in_order() {
    let sim = Sim::start(&[
        "--set",
        "port1.serial.baud=115200",
        "--set",
        "port1.serial.flow_control=rts_cts",
    ]);
    let mut net = sim.connect();
    let mut serial = sim.open_serial(BaudRate::B115200);
    sim.ctl_ok(&["signal", "cts=low"]);
    net.write_all(b"held back").expect("write");
    assert_eq!(read_for(&mut serial, 1, QUIET), b"", "sent while CTS low");
    net.write_all(b", in order").expect("write");
    sim.ctl_ok(&["signal", "cts=high"]);
    assert_eq!(read_for(&mut serial, 19, T), b"held back, in order");
}

#[test]
fn the_device_drops_rts_when_its_buffer_is_nearly_full() {
    let sim = Sim::start(&[
        "--set",
        "port1.serial.baud=115200",
        "--set",
        "port1.serial.flow_control=rts_cts",
        "--set",
        "port1.serial.inter_char_timeout_ms=1500",
    ]);
    let mut net = sim.connect();
    let mut serial = sim.open_serial(BaudRate::B115200);
    serial.write_all(&[b'r'; 3500]).expect("write");
    sim.status_until(|s| s["signals"]["outputs"]["rts"] == false, T);
    // The buffer goes to the network after the inter-character timeout; RTS comes back.
    assert_eq!(read_for(&mut net, 3500, T).len(), 3500);
    sim.status_until(|s| s["signals"]["outputs"]["rts"] == true, T);
}

#[test]
fn rs485_echo_returns_what_the_program_sends() {
    let sim = Sim::start(&[
        "--set",
        "port1.serial.baud=115200",
        "--set",
        "port1.serial.type=rs485",
        "--set",
        "port1.serial.rs485_echo=true",
        "--set",
        "port1.serial.flow_control=xon_xoff",
    ]);
    let mut net = sim.connect();
    let mut serial = sim.open_serial(BaudRate::B115200);
    // XOFF is data on RS-485 (no flow control there).
    serial.write_all(b"ping\x13").expect("write");
    assert_eq!(read_for(&mut serial, 5, T), b"ping\x13");
    assert_eq!(read_for(&mut net, 5, T), b"ping\x13");
    assert_eq!(sim.status()["serial"]["flow_in_effect"], "none");
}

#[test]
fn break_and_port_disable_through_ctl() {
    let mut sim = Sim::start(&[]);
    sim.ctl_ok(&["break", "--ms", "300"]);
    let b = sim.wait_event("break_received", T);
    assert_eq!(b["duration_ms"], 300);
    assert_eq!(sim.status()["counters"]["breaks_received"], 1);

    let mut s = sim.connect();
    sim.wait_event("session_opened", T);
    sim.ctl_ok(&["config", "set", "--apply", "port1.enabled=false"]);
    assert!(closed_within(&mut s, T));
    let closed = sim.wait_event("session_closed", T);
    assert_eq!(closed["reason"], "port_disabled");
    // The session's close and the listener's are two steps of one turn of the loop: the
    // client may see the first an instant before the second.
    let end = std::time::Instant::now() + Duration::from_secs(2);
    while std::net::TcpStream::connect((sim.ip, sim.data_port())).is_ok() {
        assert!(
            std::time::Instant::now() < end,
            "a disabled port still listens"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(sim.status()["port_enabled"], false);
}
