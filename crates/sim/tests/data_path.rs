//! The serial ↔ TCP data path of the built binary, through a real PTY and real sockets.

mod common;

use common::*;
use nix::sys::termios::BaudRate;
use std::io::Write;
use std::time::{Duration, Instant};

const MIB: usize = 1 << 20;
/// 1 MiB at 921600 8N1 takes 11.4 s; leave room for a loaded CI machine.
const BIG_TIMEOUT: Duration = Duration::from_secs(90);

fn fast_sim() -> Sim {
    Sim::start(&[
        "--config",
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../sim-configs/tcp-server-921600.toml"
        ),
    ])
}

#[test]
fn one_mib_serial_to_network_at_921600_is_byte_exact() {
    let sim = fast_sim();
    let mut net = sim.connect();
    let serial = sim.open_serial(BaudRate::B921600);
    let data = random_bytes(MIB, 1);
    let writer = write_in_thread(serial, data.clone());
    let got = read_for(&mut net, MIB, BIG_TIMEOUT);
    writer.join().expect("writer");
    assert_eq!(got.len(), MIB);
    assert!(got == data, "bytes differ");
}

#[test]
fn one_mib_network_to_serial_at_921600_is_byte_exact() {
    let sim = fast_sim();
    let net = sim.connect();
    let mut serial = sim.open_serial(BaudRate::B921600);
    let data = random_bytes(MIB, 2);
    let writer = write_in_thread(net, data.clone());
    let got = read_for(&mut serial, MIB, BIG_TIMEOUT);
    writer.join().expect("writer");
    assert_eq!(got.len(), MIB);
    assert!(got == data, "bytes differ");
}

#[test]
fn one_mib_both_ways_at_once_is_byte_exact() {
    let sim = fast_sim();
    let net = sim.connect();
    let serial = sim.open_serial(BaudRate::B921600);
    let to_net = random_bytes(MIB, 3);
    let to_serial = random_bytes(MIB, 4);
    let net_reader = net.try_clone().expect("clone socket");
    let serial_reader = serial.try_clone().expect("clone tty");
    let w1 = write_in_thread(serial, to_net.clone());
    let w2 = write_in_thread(net, to_serial.clone());
    let r1 = std::thread::spawn(move || {
        let mut s = net_reader;
        read_for(&mut s, MIB, BIG_TIMEOUT)
    });
    let mut serial_reader = serial_reader;
    let got_serial = read_for(&mut serial_reader, MIB, BIG_TIMEOUT);
    let got_net = r1.join().expect("reader");
    w1.join().expect("writer");
    w2.join().expect("writer");
    assert!(
        got_net == to_net,
        "serial→network differs ({} bytes)",
        got_net.len()
    );
    assert!(
        got_serial == to_serial,
        "network→serial differs ({} bytes)",
        got_serial.len()
    );
}

#[test]
fn at_9600_baud_960_bytes_take_at_least_a_second_each_way() {
    let sim = Sim::start(&["--set", "port1.serial.baud=9600"]);
    let mut net = sim.connect();
    let mut serial = sim.open_serial(BaudRate::B9600);
    // serial → network
    let start = Instant::now();
    serial.write_all(&[0x55; 960]).expect("write");
    let got = read_for(&mut net, 960, Duration::from_secs(20));
    let took = start.elapsed();
    assert_eq!(got.len(), 960);
    assert!(
        took >= Duration::from_millis(990),
        "960 bytes crossed in {took:?}"
    );
    // network → serial
    let start = Instant::now();
    net.write_all(&[0xaa; 960]).expect("write");
    let got = read_for(&mut serial, 960, Duration::from_secs(20));
    let took = start.elapsed();
    assert_eq!(got, vec![0xaa; 960]);
    assert!(
        took >= Duration::from_millis(990),
        "960 bytes crossed in {took:?}"
    );
}

#[test]
fn inter_character_timeout_holds_data_until_the_line_is_quiet() {
    let sim = Sim::start(&[
        "--set",
        "port1.serial.baud=115200",
        "--set",
        "port1.serial.inter_char_timeout_ms=200",
    ]);
    let mut net = sim.connect();
    let mut serial = sim.open_serial(BaudRate::B115200);
    std::thread::sleep(Duration::from_millis(100));
    serial.write_all(b"0123456789").expect("write");
    // The last of 10 characters is on the wire by ~1 ms after the write; nothing may arrive
    // for 200 ms after it.
    let sent = Instant::now();
    let early = read_for(&mut net, 1, Duration::from_millis(195));
    assert!(
        early.is_empty(),
        "data arrived {:?} after the write: {early:?}",
        sent.elapsed()
    );
    let got = read_for(&mut net, 10, Duration::from_secs(5));
    assert_eq!(got, b"0123456789");
    assert!(sent.elapsed() >= Duration::from_millis(200));
}
