//! TCP client side of the data port (manual §4.3, §4.6): remote hosts, backup host, discard when
//! unreachable, cyclic connection, Socket ID, server and client together.

mod common;

use common::ctl::*;
use common::*;
use nix::sys::termios::BaudRate;
use std::io::Write;
use std::time::{Duration, Instant};

const T: Duration = Duration::from_secs(10);

fn remote(addr: std::net::SocketAddr) -> Vec<String> {
    vec![
        format!("port1.remote_hosts[0].host={}", ip_of(addr)),
        format!("port1.remote_hosts[0].port={}", addr.port()),
    ]
}

fn start(sets: &[String]) -> Sim {
    let mut args = Vec::new();
    for s in sets {
        args.push("--set");
        args.push(s.as_str());
    }
    // Characters written together form one frame (the ICT), so the counts below do not depend
    // on how the host schedules the paced characters.
    args.extend([
        "--set",
        "port1.serial.baud=115200",
        "--set",
        "port1.serial.inter_char_timeout_ms=20",
    ]);
    Sim::start(&args)
}

#[test]
fn data_for_a_host_that_is_down_is_discarded_and_the_next_data_connects() {
    let addr = dead_addr();
    let mut sets = remote(addr);
    sets.push("port1.host.listen_port=0".into());
    sets.push("port1.host.socket_id=ID42:".into());
    let mut sim = start(&sets);
    // Listening port 0: client only, no data port at all.
    assert!(sim.ready["ports"]["data"].is_null(), "{}", sim.ready);
    let mut serial = sim.open_serial(BaudRate::B115200);
    serial.write_all(b"lost").expect("write");
    let failed = sim.wait_event("connect_failed", T);
    assert_eq!(failed["remote"], addr.to_string());
    assert_eq!(failed["trying_backup"], false);
    let discarded = sim.wait_event("data_discarded", T);
    assert_eq!(discarded["bytes"], 4);
    let status = sim.status();
    assert_eq!(status["counters"]["serial_rx_discarded"], 4);
    assert_eq!(status["counters"]["connect_failures"], 1);

    let server = Server::at(addr);
    serial.write_all(b"hello").expect("write");
    let (mut conn, peer) = server.accept(T).expect("the device connected");
    // The device connects from its own address.
    assert_eq!(peer.ip(), sim.ip);
    assert_eq!(read_for(&mut conn, 10, T), b"ID42:hello");
    let opened = sim.wait_event("session_opened", T);
    assert_eq!(opened["role"], "client");
    // The session carries data both ways.
    conn.write_all(b"back").expect("write");
    assert_eq!(read_for(&mut serial, 4, T), b"back");
}

#[test]
fn the_backup_host_takes_over_when_the_primary_refuses() {
    let primary = dead_addr();
    let backup = Server::start();
    let sets = vec![
        format!("port1.remote_hosts[0].host={}", ip_of(primary)),
        format!("port1.remote_hosts[0].port={}", primary.port()),
        format!("port1.remote_hosts[0].backup_host={}", ip_of(backup.addr)),
        format!("port1.remote_hosts[0].backup_port={}", backup.addr.port()),
    ];
    let mut sim = start(&sets);
    let mut serial = sim.open_serial(BaudRate::B115200);
    serial.write_all(b"via backup").expect("write");
    let (mut conn, _) = backup.accept(T).expect("the device reached the backup");
    assert_eq!(read_for(&mut conn, 10, T), b"via backup");
    let failed = sim.wait_event("connect_failed", T);
    assert_eq!(failed["remote"], primary.to_string());
    assert_eq!(failed["trying_backup"], true);
    let status = sim.status();
    assert_eq!(status["counters"]["serial_rx_discarded"], 0);
    assert_eq!(status["sessions"][0]["role"], "client");
}

#[test]
fn the_backup_is_not_used_while_the_primary_answers() {
    let primary = Server::start();
    let backup = Server::start();
    let sets = vec![
        format!("port1.remote_hosts[0].host={}", ip_of(primary.addr)),
        format!("port1.remote_hosts[0].port={}", primary.addr.port()),
        format!("port1.remote_hosts[0].backup_host={}", ip_of(backup.addr)),
        format!("port1.remote_hosts[0].backup_port={}", backup.addr.port()),
    ];
    let sim = start(&sets);
    let mut serial = sim.open_serial(BaudRate::B115200);
    serial.write_all(b"x").expect("write");
    let (mut conn, _) = primary.accept(T).expect("primary");
    assert_eq!(read_for(&mut conn, 1, T), b"x");
    assert!(backup.accept(Duration::from_millis(300)).is_none());
}

#[test]
fn cyclic_connection_reaches_the_host_on_schedule() {
    let server = Server::start();
    let mut sets = remote(server.addr);
    sets.push("port1.host.cyclic_interval_min=1".into());
    sets.push("sim.minute_s=1".into());
    sets.push("port1.host.socket_id=CYC".into());
    let started = Instant::now();
    let _sim = start(&sets);
    let (mut first, _) = server.accept(T).expect("first cyclic connection");
    let at_first = started.elapsed();
    assert!(
        at_first >= Duration::from_millis(900),
        "too early: {at_first:?}"
    );
    // No serial data: only the Socket ID arrives.
    assert_eq!(read_for(&mut first, 3, T), b"CYC");
    drop(first);
    let (_second, _) = server.accept(T).expect("second cyclic connection");
    let gap = started.elapsed() - at_first;
    assert!(
        gap >= Duration::from_millis(500),
        "second came after {gap:?}"
    );
}

#[test]
fn server_and_client_together_share_the_serial_data() {
    let server = Server::start();
    let mut sets = remote(server.addr);
    sets.push("port1.host.max_connections=2".into());
    let mut sim = start(&sets);
    // A peer connects to the data port first: serial data goes to it, no dial-out needed.
    let mut peer = sim.connect();
    sim.wait_event("session_opened", T);
    let mut serial = sim.open_serial(BaudRate::B115200);
    serial.write_all(b"one").expect("write");
    assert_eq!(read_for(&mut peer, 3, T), b"one");
    assert!(server.accept(Duration::from_millis(300)).is_none());
    // Without any session, serial data dials out.
    drop(peer);
    sim.wait_event("session_closed", T);
    serial.write_all(b"two").expect("write");
    let (mut conn, _) = server.accept(T).expect("dial-out");
    assert_eq!(read_for(&mut conn, 3, T), b"two");
}
