//! The packet and connection faults on host sockets in real time (`ctl fault add`), against the
//! built binary with a real PTY and loopback sockets: `net.loss`, `net.duplicate`,
//! `net.reorder` (TCP: what a TCP peer observes; UDP: real loss, copies and reordering),
//! `net.bandwidth` (pacing), `net.refuse` (incoming and outgoing) and `net.connect_timeout`.
//! Timing is asserted only as lower bounds.

mod common;

use common::ctl::*;
use common::*;
use nix::sys::termios::BaudRate;
use serde_json::Value;
use std::io::{Read, Write};
use std::net::{TcpStream, UdpSocket};
use std::time::{Duration, Instant};

const T: Duration = Duration::from_secs(10);
const FAST: &[&str] = &["--seed", "11", "--set", "port1.serial.baud=921600"];

/// The counters of the fault called `id`.
fn counters(sim: &Sim, id: &str) -> Value {
    let list = sim.ctl_ok(&["fault", "list"]);
    list["faults"]
        .as_array()
        .and_then(|l| l.iter().find(|f| f["id"] == id))
        .map(|f| f["counters"].clone())
        .unwrap_or_else(|| panic!("fault {id} not listed: {list}"))
}

fn count(c: &Value, key: &str) -> u64 {
    c[key].as_u64().unwrap_or_else(|| panic!("no {key} in {c}"))
}

/// A device with a TCP session open from a peer, and its serial port.
fn session(extra: &[&str]) -> (Sim, TcpStream, std::fs::File) {
    let mut args = FAST.to_vec();
    args.extend_from_slice(extra);
    let mut sim = Sim::start(&args);
    let peer = sim.connect();
    sim.wait_event("session_opened", T);
    let serial = sim.open_serial(BaudRate::B921600);
    (sim, peer, serial)
}

#[test]
fn tcp_loss_delays_each_lost_segment_by_a_retransmission_timeout() {
    let (sim, mut peer, mut serial) = session(&[]);
    let lossy = [
        "fault",
        "add",
        "net.loss",
        "id=lossy",
        "probability=0.3",
        "direction=to_device",
    ];
    sim.ctl_ok(&lossy);
    // One segment at a time, each waited for: no segment waits behind another.
    let mut waited = Duration::ZERO;
    for n in 0..10u8 {
        let sent = Instant::now();
        peer.write_all(&[b'a' + n]).expect("write");
        // Five losses in a row would take 6.2 s (200 ms, doubling).
        let got = read_for(&mut serial, 1, Duration::from_secs(30));
        assert_eq!(got, [b'a' + n], "segment {n}");
        waited += sent.elapsed();
    }
    let lost = count(&counters(&sim, "lossy"), "packets_lost");
    assert!(lost >= 1, "no segment lost in 10 at p=0.3");
    // Each lost copy costs at least the first retransmission timeout (200 ms).
    assert!(
        waited >= Duration::from_millis(200) * lost as u32,
        "{waited:?} for {lost} lost"
    );
    // The other way is untouched.
    serial.write_all(b"ok").expect("write");
    assert_eq!(read_for(&mut peer, 2, T), b"ok");
}

#[test]
fn tcp_duplicates_are_counted_and_invisible_in_the_byte_stream() {
    let (sim, mut peer, mut serial) = session(&[]);
    sim.ctl_ok(&["fault", "add", "net.duplicate", "id=twice", "probability=1"]);
    peer.write_all(b"once").expect("write");
    assert_eq!(read_for(&mut serial, 4, T), b"once");
    serial.write_all(b"single").expect("write");
    assert_eq!(read_for(&mut peer, 6, T), b"single");
    // Nothing more follows either way.
    assert!(read_for(&mut serial, 1, Duration::from_millis(300)).is_empty());
    assert!(read_for(&mut peer, 1, Duration::from_millis(300)).is_empty());
    assert!(count(&counters(&sim, "twice"), "packets_duplicated") >= 2);
}

#[test]
fn tcp_reordering_delays_but_keeps_the_order() {
    let (sim, mut peer, mut serial) = session(&[]);
    sim.ctl_ok(&[
        "fault",
        "add",
        "net.reorder",
        "id=late",
        "probability=1",
        "delay=300ms",
        "direction=from_device",
    ]);
    let sent = Instant::now();
    serial.write_all(b"first").expect("write");
    std::thread::sleep(Duration::from_millis(50));
    serial.write_all(b"second").expect("write");
    assert_eq!(read_for(&mut peer, 11, T), b"firstsecond");
    assert!(sent.elapsed() >= Duration::from_millis(300));
    assert!(count(&counters(&sim, "late"), "packets_reordered") >= 1);
}

#[test]
fn bandwidth_paces_both_ways() {
    let (sim, mut peer, mut serial) = session(&[]);
    sim.ctl_ok(&["fault", "add", "net.bandwidth", "rate=80kbit/s"]);
    // 8000 bytes at 80 kbit/s: at least 0.8 s (headers come on top).
    let data = random_bytes(8000, 3);
    let sent = Instant::now();
    peer.write_all(&data).expect("write");
    assert_eq!(read_for(&mut serial, data.len(), T), data);
    let took = sent.elapsed();
    assert!(took >= Duration::from_millis(800), "to device in {took:?}");
    let back = random_bytes(4000, 4);
    let sent = Instant::now();
    serial.write_all(&back).expect("write");
    assert_eq!(read_for(&mut peer, back.len(), T), back);
    let took = sent.elapsed();
    assert!(
        took >= Duration::from_millis(400),
        "from device in {took:?}"
    );
    drop(sim);
}

/// A UDP-mode device sending to and listening for `peer`, with its serial port.
fn udp_device(peer: &UdpSocket) -> (Sim, std::fs::File) {
    let a = peer.local_addr().expect("addr");
    let host = format!("port1.remote_hosts[0].host={}", a.ip());
    let port = format!("port1.remote_hosts[0].port={}", a.port());
    let mut args = FAST.to_vec();
    args.extend([
        "--set",
        "port1.host.mode=udp",
        "--set",
        &host,
        "--set",
        &port,
        "--set",
        "port1.serial.inter_char_timeout_ms=20",
    ]);
    let sim = Sim::start(&args);
    let serial = sim.open_serial(BaudRate::B921600);
    (sim, serial)
}

#[test]
fn udp_datagrams_are_really_lost_duplicated_and_reordered() {
    let peer = udp_peer();
    let (sim, mut serial) = udp_device(&peer);
    let device = (sim.ip, sim.data_port());

    sim.ctl_ok(&["fault", "add", "net.loss", "id=gone", "probability=1"]);
    peer.send_to(b"lost", device).expect("send");
    assert!(read_for(&mut serial, 1, Duration::from_millis(500)).is_empty());
    serial.write_all(b"lost too").expect("write");
    assert!(recv_all(&peer, Duration::from_millis(500)).is_empty());
    assert_eq!(count(&counters(&sim, "gone"), "packets_lost"), 2);
    sim.ctl_ok(&["fault", "clear", "gone"]);

    sim.ctl_ok(&["fault", "add", "net.duplicate", "id=copy", "probability=1"]);
    peer.send_to(b"x", device).expect("send");
    assert_eq!(read_for(&mut serial, 2, T), b"xx");
    serial.write_all(b"y").expect("write");
    assert_eq!(
        recv_all(&peer, Duration::from_millis(500)),
        vec![b"y".to_vec(), b"y".to_vec()]
    );
    sim.ctl_ok(&["fault", "clear", "copy"]);

    sim.ctl_ok(&[
        "fault",
        "add",
        "net.reorder",
        "id=shuffle",
        "probability=0.5",
        "delay=400ms",
        "direction=to_device",
    ]);
    let sent: Vec<u8> = (b'0'..=b'9').collect();
    for b in &sent {
        peer.send_to(&[*b], device).expect("send");
        std::thread::sleep(Duration::from_millis(30));
    }
    let got = read_for(&mut serial, sent.len(), T);
    let mut sorted = got.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, sent, "every datagram once: {got:?}");
    let held = count(&counters(&sim, "shuffle"), "packets_reordered");
    if (1..=8).contains(&held) {
        assert_ne!(got, sent, "{held} held back, none overtaken");
    }
    assert!(held >= 1, "none held at p=0.5");
}

#[test]
fn refused_incoming_connections_are_reset_and_never_reach_the_device() {
    let mut sim = Sim::start(FAST);
    sim.ctl_ok(&["fault", "add", "net.refuse", "id=no"]);
    let mut peer = sim.connect();
    let mut buf = [0u8; 1];
    peer.set_read_timeout(Some(T)).ok();
    let read = peer.read(&mut buf);
    assert!(
        matches!(read, Ok(0)) || read.is_err(),
        "the refused connection stayed open: {read:?}"
    );
    assert_eq!(count(&counters(&sim, "no"), "connections_refused"), 1);
    assert!(sim.seen.iter().all(|v| v["event"] != "session_opened"));
    assert_eq!(sim.status()["sessions"].as_array().map(Vec::len), Some(0));
    sim.ctl_ok(&["fault", "clear", "no"]);
    let _again = sim.connect();
    sim.wait_event("session_opened", T);
}

/// A TCP-client device dialling `server` when serial data arrives.
fn client_device(server: &Server) -> (Sim, std::fs::File) {
    let host = format!("port1.remote_hosts[0].host={}", ip_of(server.addr));
    let port = format!("port1.remote_hosts[0].port={}", server.addr.port());
    let mut args = FAST.to_vec();
    args.extend(["--set", &host, "--set", &port]);
    let sim = Sim::start(&args);
    let serial = sim.open_serial(BaudRate::B921600);
    (sim, serial)
}

#[test]
fn a_refused_connect_fails_at_once_without_reaching_the_server() {
    let server = Server::start();
    let (mut sim, mut serial) = client_device(&server);
    sim.ctl_ok(&["fault", "add", "net.refuse", "id=no"]);
    serial.write_all(b"hello").expect("write");
    let failed = sim.wait_event("connect_failed", T);
    assert_eq!(failed["remote"], server.addr.to_string());
    let reason = failed["reason"].as_str().unwrap_or_default();
    assert!(reason.contains("refused"), "{failed}");
    assert!(server.accept(Duration::from_millis(300)).is_none());
    assert_eq!(count(&counters(&sim, "no"), "connections_refused"), 1);
}

#[test]
fn a_connect_whose_syn_vanishes_ends_by_the_device_timeout() {
    let server = Server::start();
    let (mut sim, mut serial) = client_device(&server);
    sim.ctl_ok(&["fault", "add", "net.connect_timeout", "id=void"]);
    let sent = Instant::now();
    serial.write_all(b"hello").expect("write");
    let failed = sim.wait_event("connect_failed", Duration::from_secs(30));
    assert_eq!(failed["reason"], "connect timeout", "{failed}");
    // The device's connect timer (10 s, docs/config.md) ended it.
    assert!(
        sent.elapsed() >= Duration::from_secs(9),
        "{:?}",
        sent.elapsed()
    );
    assert!(server.accept(Duration::from_millis(300)).is_none());
    assert_eq!(count(&counters(&sim, "void"), "packets_lost"), 1);
}

/// Parses `tshark -z follow,tcp,raw,0` output: the client's bytes (flush left) and the
/// server's (indented).
fn follow(stdout: &str) -> (Vec<u8>, Vec<u8>) {
    let mut client = Vec::new();
    let mut server = Vec::new();
    for line in stdout.lines() {
        let (hex, to) = match line.strip_prefix('\t') {
            Some(h) => (h, &mut server),
            None => (line, &mut client),
        };
        if !hex.is_empty() && hex.len() % 2 == 0 && hex.chars().all(|c| c.is_ascii_hexdigit()) {
            for pair in hex.as_bytes().chunks(2) {
                let text = std::str::from_utf8(pair).unwrap_or("00");
                to.push(u8::from_str_radix(text, 16).unwrap_or(0));
            }
        }
    }
    (client, server)
}

#[test]
fn the_pcap_holds_the_host_sockets_bytes_and_tshark_follows_the_stream() {
    use std::os::unix::fs::PermissionsExt;
    let dir = temp_dir("pcap");
    let path = dir.join("net.pcap");
    let path_arg = path.to_string_lossy().into_owned();
    let (mut sim, mut peer, mut serial) = session(&["--pcap", &path_arg]);
    sim.ctl_ok(&["fault", "add", "net.duplicate", "probability=1"]);
    peer.write_all(b"hello from the peer").expect("write");
    assert_eq!(read_for(&mut serial, 19, T), b"hello from the peer");
    serial.write_all(b"and from the device").expect("write");
    assert_eq!(read_for(&mut peer, 19, T), b"and from the device");
    drop(peer);
    sim.wait_event("session_closed", T);
    let meta = std::fs::metadata(&path).expect("the pcap exists");
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    let pcap = std::fs::read(&path).expect("read pcap");
    assert_eq!(&pcap[..4], &[0x4d, 0x3c, 0xb2, 0xa1], "nanosecond pcap");
    let out = std::process::Command::new("tshark")
        .arg("-r")
        .arg(&path)
        .args(["-q", "-z", "follow,tcp,raw,0"])
        .output()
        .expect("tshark (scripts/setup installs it)");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The peer opened the connection: it is the client. Duplicates do not show on a host
    // socket: each byte is there once.
    let (from_peer, from_device) = follow(&stdout);
    assert_eq!(from_peer, b"hello from the peer", "{stdout}");
    assert_eq!(from_device, b"and from the device", "{stdout}");
    let flags = std::process::Command::new("tshark")
        .arg("-r")
        .arg(&path)
        .args(["-T", "fields", "-e", "tcp.flags.str", "-e", "ip.src"])
        .output()
        .expect("tshark");
    let text = String::from_utf8_lossy(&flags.stdout);
    let device_ip = sim.ip.to_string();
    // Handshake from the peer, the device's FIN answers the peer's.
    assert!(
        text.lines()
            .next()
            .is_some_and(|l| l.contains("S") && !l.contains(&device_ip)),
        "{text}"
    );
    assert!(
        text.lines()
            .any(|l| l.contains("F") && l.contains(&device_ip)),
        "{text}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
