//! Modem emulation through the PTY, as a DTE would drive it.

mod common;

use common::*;
use nix::sys::termios::BaudRate;
use std::fs::File;
use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::time::Duration;

const CONFIG: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../sim-configs/modem.toml");

/// Sends a command line and returns what the device answered within `wait`.
fn at(serial: &mut File, line: &str, want_end: &[u8], wait: Duration) -> String {
    serial.write_all(line.as_bytes()).expect("write");
    serial.write_all(b"\r").expect("write");
    let mut got = Vec::new();
    let end = std::time::Instant::now() + wait;
    while std::time::Instant::now() < end && !got.ends_with(want_end) {
        got.extend(read_for(serial, 1, Duration::from_millis(50)));
    }
    String::from_utf8_lossy(&got).into_owned()
}

fn modem() -> (Sim, File) {
    let sim = Sim::start(&["--config", CONFIG]);
    let serial = sim.open_serial(BaudRate::B115200);
    (sim, serial)
}

#[test]
fn dial_talk_escape_and_hang_up() {
    let (_sim, mut serial) = modem();
    let server = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = server.local_addr().expect("addr").port();
    assert!(at(&mut serial, "ATS12=10", b"OK\r\n", Duration::from_secs(2)).ends_with("OK\r\n"));
    let reply = at(
        &mut serial,
        &format!("ATD127.0.0.1:{port}"),
        b"CONNECT\r\n",
        Duration::from_secs(5),
    );
    assert!(reply.ends_with("CONNECT\r\n"), "{reply:?}");
    let (mut peer, _) = server.accept().expect("accept");
    serial.write_all(b"to the host").expect("write");
    assert_eq!(
        read_for(&mut peer, 11, Duration::from_secs(5)),
        b"to the host"
    );
    peer.write_all(b"to the DTE").expect("write");
    assert_eq!(
        read_for(&mut serial, 10, Duration::from_secs(5)),
        b"to the DTE"
    );
    // +++ with the guard time (S12=10: 0.2 s) before and after.
    std::thread::sleep(Duration::from_millis(300));
    serial.write_all(b"+++").expect("write");
    let ok = read_for(&mut serial, 6, Duration::from_secs(3));
    assert_eq!(ok, b"\r\nOK\r\n");
    assert_eq!(
        at(&mut serial, "AT?", b"OK\r\n", Duration::from_secs(2)),
        "AT?\r\r\nOK\r\n"
    );
    let hang = at(&mut serial, "ATH", b"OK\r\n", Duration::from_secs(3));
    assert!(hang.ends_with("OK\r\n"), "{hang:?}");
    assert!(
        closed_within(&mut peer, Duration::from_secs(5)),
        "host still connected after ATH"
    );
    assert!(at(
        &mut serial,
        "AT?",
        b"NO CARRIER\r\n",
        Duration::from_secs(2)
    )
    .ends_with("NO CARRIER\r\n"));
}

#[test]
fn dialling_a_closed_port_answers_no_carrier() {
    let (_sim, mut serial) = modem();
    let port = {
        let l = TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr").port()
    };
    let reply = at(
        &mut serial,
        &format!("ATDT127.0.0.1:{port}"),
        b"NO CARRIER\r\n",
        Duration::from_secs(10),
    );
    assert!(reply.ends_with("NO CARRIER\r\n"), "{reply:?}");
}

#[test]
fn ata_answers_an_incoming_call_with_ring_and_connect() {
    let (mut sim, mut serial) = modem();
    assert!(at(&mut serial, "ATA", b"OK\r\n", Duration::from_secs(2)).ends_with("OK\r\n"));
    let listening = sim.wait_event("listening", Duration::from_secs(5));
    let port = listening["port"].as_u64().expect("port") as u16;
    let mut caller = TcpStream::connect((sim.ip, port)).expect("call");
    let mut got = Vec::new();
    let end = std::time::Instant::now() + Duration::from_secs(5);
    while std::time::Instant::now() < end && !got.ends_with(b"CONNECT\r\n") {
        got.extend(read_for(&mut serial, 1, Duration::from_millis(50)));
    }
    assert_eq!(String::from_utf8_lossy(&got), "\r\nRING\r\n\r\nCONNECT\r\n");
    caller.write_all(b"hello modem").expect("write");
    assert_eq!(
        read_for(&mut serial, 11, Duration::from_secs(5)),
        b"hello modem"
    );
    drop(caller);
    let nc = read_for(&mut serial, 14, Duration::from_secs(5));
    assert_eq!(String::from_utf8_lossy(&nc), "\r\nNO CARRIER\r\n");
}

#[test]
fn result_codes_echo_and_identification() {
    let (_sim, mut serial) = modem();
    assert_eq!(
        at(&mut serial, "ATI0", b"OK\r\n", Duration::from_secs(2)),
        "ATI0\r\r\nPatton Electronics Co.\r\n\r\nOK\r\n"
    );
    assert_eq!(
        at(&mut serial, "ATE0", b"OK\r\n", Duration::from_secs(2)),
        "ATE0\r\r\nOK\r\n"
    );
    assert_eq!(
        at(&mut serial, "AT", b"OK\r\n", Duration::from_secs(2)),
        "\r\nOK\r\n"
    );
    assert_eq!(
        at(&mut serial, "ATV0", b"0\r", Duration::from_secs(2)),
        "0\r"
    );
    assert_eq!(
        at(&mut serial, "ATJ", b"4\r", Duration::from_secs(2)),
        "4\r"
    );
    assert_eq!(
        at(&mut serial, "at?", b"3\r", Duration::from_secs(2)),
        "3\r"
    );
}

#[test]
fn thousands_of_random_lines_always_get_an_answer() {
    let (sim, mut serial) = modem();
    assert!(at(&mut serial, "ATE0V0", b"0\r", Duration::from_secs(2)).ends_with("0\r"));
    let mut rng = 0x2545_f491_4f6c_dd1du64;
    let mut next = || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    let alphabet = b"ATatDSZEQVHIO&%\\+?=0123456789 .:,;!#\x08\x7fxyz";
    for i in 0..2000 {
        let len = (next() % 40) as usize;
        let mut line: Vec<u8> = b"AT".to_vec();
        for _ in 0..len {
            line.push(alphabet[(next() % alphabet.len() as u64) as usize]);
        }
        // Never dial or listen (those answer later), never change the protocol settings.
        let text = String::from_utf8_lossy(&line).to_ascii_uppercase();
        if ["D", "A", "E", "V", "Q", "Z", "&F", "S", "O", "H", "I"]
            .iter()
            .any(|c| text[2..].contains(c))
        {
            continue;
        }
        serial.write_all(&line).expect("write");
        serial.write_all(b"\r").expect("write");
        let reply = read_for(&mut serial, 2, Duration::from_secs(3));
        assert!(
            reply == b"0\r" || reply == b"4\r",
            "line {i} {text:?} got {reply:?}"
        );
    }
    drop(sim);
}
