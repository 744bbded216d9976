//! UDP mode (manual §4.4): listed and unlisted senders, Socket ID on every datagram, recent
//! unlisted destinations with their inactivity timeout.

mod common;

use common::ctl::*;
use common::*;
use nix::sys::termios::BaudRate;
use std::io::Write;
use std::net::UdpSocket;
use std::time::Duration;

const T: Duration = Duration::from_secs(10);

fn udp_sim(listed: &UdpSocket, extra: &[&str]) -> Sim {
    let a = listed.local_addr().expect("addr");
    let host = format!("port1.remote_hosts[0].host={}", a.ip());
    let port = format!("port1.remote_hosts[0].port={}", a.port());
    let mut args = vec![
        "--set",
        "port1.host.mode=udp",
        "--set",
        "port1.serial.baud=115200",
        "--set",
        &host,
        "--set",
        &port,
    ];
    for e in extra {
        args.extend(["--set", e]);
    }
    Sim::start(&args)
}

fn device_addr(sim: &Sim) -> (std::net::IpAddr, u16) {
    (sim.ip, sim.data_port())
}

#[test]
fn listed_senders_reach_the_serial_port_and_unlisted_ones_do_not() {
    let listed = udp_peer();
    let stranger = udp_peer();
    let mut sim = udp_sim(
        &listed,
        &[
            "port1.host.socket_id=S1|",
            "port1.serial.inter_char_timeout_ms=50",
        ],
    );
    let mut serial = sim.open_serial(BaudRate::B115200);
    listed
        .send_to(b"from listed", device_addr(&sim))
        .expect("send");
    assert_eq!(read_for(&mut serial, 11, T), b"from listed");
    stranger
        .send_to(b"from stranger", device_addr(&sim))
        .expect("send");
    let rejected = sim.wait_event("datagram_rejected", T);
    assert_eq!(rejected["reason"], "unlisted sender");
    assert_eq!(
        read_for(&mut serial, 1, Duration::from_millis(300)),
        b"",
        "an unlisted datagram reached the serial port"
    );
    // Serial data goes to the listed host only, Socket ID in front of every datagram.
    serial.write_all(b"first").expect("write");
    let got = recv_all(&listed, Duration::from_millis(500));
    serial.write_all(b"second").expect("write");
    let got2 = recv_all(&listed, Duration::from_millis(500));
    assert_eq!(got, vec![b"S1|first".to_vec()]);
    assert_eq!(got2, vec![b"S1|second".to_vec()]);
    assert!(recv_all(&stranger, Duration::from_millis(200)).is_empty());
    let status = sim.status();
    assert_eq!(status["mode"], "udp");
    assert_eq!(status["counters"]["datagrams_received"], 1);
    assert_eq!(status["counters"]["datagrams_rejected"], 1);
}

#[test]
fn recent_unlisted_senders_are_accepted_and_answered_until_their_timeout() {
    let listed = udp_peer();
    let stranger = udp_peer();
    let mut sim = udp_sim(
        &listed,
        &[
            "port1.host.accept_unlisted=true",
            "port1.host.send_to_unlisted=true",
            "port1.host.max_connections=2",
            "port1.host.inactivity_timeout_s=1",
            "port1.serial.inter_char_timeout_ms=50",
        ],
    );
    let mut serial = sim.open_serial(BaudRate::B115200);
    stranger.send_to(b"hi", device_addr(&sim)).expect("send");
    assert_eq!(read_for(&mut serial, 2, T), b"hi");
    serial.write_all(b"reply").expect("write");
    assert_eq!(
        recv_all(&stranger, Duration::from_millis(500)),
        vec![b"reply".to_vec()]
    );
    assert_eq!(
        recv_all(&listed, Duration::from_millis(100)),
        vec![b"reply".to_vec()]
    );
    let status = sim.status();
    assert_eq!(
        status["udp_unlisted"][0]["peer"],
        stranger.local_addr().expect("addr").to_string()
    );
    // A third host is beyond max_connections (1 listed + 1 unlisted).
    let third = udp_peer();
    third.send_to(b"me too", device_addr(&sim)).expect("send");
    let rejected = sim.wait_event("datagram_rejected", T);
    assert_eq!(rejected["reason"], "max connections reached");
    // After the inactivity timeout the stranger gets nothing more.
    std::thread::sleep(Duration::from_millis(1300));
    serial.write_all(b"later").expect("write");
    assert_eq!(
        recv_all(&listed, Duration::from_millis(500)),
        vec![b"later".to_vec()]
    );
    assert!(recv_all(&stranger, Duration::from_millis(100)).is_empty());
}
