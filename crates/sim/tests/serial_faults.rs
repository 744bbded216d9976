//! The serial-line faults and the power cycle that only virtual time carried before, against
//! the built binary with a real PTY and loopback sockets: `serial.baud_mismatch` (the program's
//! UART at another rate: the bytes are re-sampled at bit level and the device reports the rate),
//! `serial.overrun` (a burst beyond the FIFO is lost, and counted), and `device.power_cycle`
//! with a `start` (pending, then off and on again from flash, the PTY link kept).

mod common;

use common::*;
use m2285_boundary::faults::uart_bits;
use m2285_uart::SerialParams;
use nix::sys::termios::BaudRate;
use serde_json::Value;
use std::io::Write;
use std::time::Duration;

const T: Duration = Duration::from_secs(5);

fn fault_list(sim: &Sim) -> Vec<Value> {
    sim.ctl_ok(&["fault", "list"])["faults"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// What a receiver set to `rx` baud makes of `bytes` sent at `tx` baud (8N1): the boundary
/// crate's UART model, the rule the fault applies.
fn resampled(bytes: &[u8], tx: u32, rx: u32) -> Vec<u8> {
    let sender = SerialParams {
        baud: tx,
        ..SerialParams::default()
    };
    let receiver = SerialParams {
        baud: rx,
        ..SerialParams::default()
    };
    let bits = uart_bits::encode(bytes, &sender);
    uart_bits::decode(&bits, tx, &receiver)
        .iter()
        .map(|r| r.byte)
        .collect()
}

#[test]
fn a_baud_mismatch_garbles_both_ways_and_the_device_reports_the_rate() {
    let mut sim = Sim::start(&["--set", "port1.serial.baud=115200", "--seed", "3"]);
    let mut peer = sim.connect();
    sim.wait_event("session_opened", T);
    let mut serial = sim.open_serial(BaudRate::B115200);
    sim.status_until(|s| s["serial"]["observed_baud"] == 115200, T);
    let added = sim.ctl_ok(&[
        "fault",
        "add",
        "serial.baud_mismatch",
        "baud=57600",
        "id=mm",
    ]);
    assert_eq!(added["added"]["state"], "active", "{added}");
    // The device sees the program's UART at 57600, as in virtual time.
    let mismatch = sim.wait_event("baud_mismatch", T);
    assert_eq!(mismatch["observed"], 57600, "{mismatch}");
    assert_eq!(mismatch["configured"], 115200, "{mismatch}");

    // Program → device: one write is one burst, sampled by the device's UART at 115200.
    let sent = b"hello, world";
    serial.write_all(sent).expect("serial write");
    let expected = resampled(sent, 57600, 115200);
    assert_ne!(expected, sent);
    let got = read_for(&mut peer, expected.len(), T);
    assert_eq!(got, expected, "to the device");

    // Device → program: the program's UART at 57600 samples frames sent at 115200; the
    // device's bursts depend on its pacing, so only the damage is asserted.
    let sent = b"the quick brown fox jumps over the lazy dog";
    peer.write_all(sent).expect("peer write");
    let got = read_for(&mut serial, sent.len(), Duration::from_secs(2));
    assert!(!got.is_empty() && got != sent, "{got:?}");
    assert!(
        got.len() < sent.len(),
        "a slower receiver sees fewer: {got:?}"
    );
    let c = &fault_list(&sim)[0]["counters"];
    assert_eq!(c["bytes"], 12 + sent.len() as u64, "{c}");
    let (dropped, added) = (c["bytes_dropped"].as_u64(), c["bytes_added"].as_u64());
    assert_eq!(
        (expected.len() + got.len()) as u64 + dropped.unwrap_or(0),
        12 + sent.len() as u64 + added.unwrap_or(0),
        "received = sent - dropped + added ({c})"
    );

    // Cleared: the line is clean and the device observes the program's own rate again.
    sim.ctl_ok(&["fault", "clear", "mm"]);
    sim.status_until(|s| s["serial"]["observed_baud"] == 115200, T);
    serial.write_all(b"clean").expect("serial write");
    assert_eq!(read_for(&mut peer, 5, T), b"clean");
}

#[test]
fn an_overrun_keeps_the_fifo_of_each_burst_and_counts_the_rest() {
    let mut sim = Sim::start(&["--set", "port1.serial.baud=921600", "--seed", "4"]);
    let mut peer = sim.connect();
    sim.wait_event("session_opened", T);
    let mut serial = sim.open_serial(BaudRate::B921600);
    let added = sim.ctl_ok(&[
        "fault",
        "add",
        "serial.overrun",
        "fifo=16",
        "direction=to_device",
    ]);
    assert_eq!(added["added"]["params"]["fifo"], "16", "{added}");
    let sent = random_bytes(1000, 9);
    serial.write_all(&sent).expect("serial write");
    let got = read_for(&mut peer, 1000, Duration::from_secs(2));
    // Each read of the PTY is a burst arriving at once: at most its first 16 are kept.
    assert!(!got.is_empty() && got.len() < sent.len(), "{}", got.len());
    assert_eq!(&got[..got.len().min(16)], &sent[..got.len().min(16)]);
    let mut rest = sent.iter();
    assert!(
        got.iter().all(|b| rest.any(|s| s == b)),
        "the kept bytes are the sent ones, in order"
    );
    let c = &fault_list(&sim)[0]["counters"];
    assert_eq!(c["bytes"], 1000, "{c}");
    assert_eq!(c["bytes_dropped"], 1000 - got.len() as u64, "{c}");
    // The other way is not covered.
    peer.write_all(&sent).expect("peer write");
    assert_eq!(read_for(&mut serial, 1000, T), sent);
}

#[test]
fn a_power_cycle_with_a_start_waits_then_boots_from_flash_keeping_the_pty() {
    let mut sim = Sim::start(&["--set", "sim.boot_time_ms=100"]);
    let mut serial = sim.open_serial(BaudRate::B9600);
    let peer = sim.connect();
    sim.wait_event("session_opened", T);
    let added = sim.ctl_ok(&[
        "fault",
        "add",
        "device.power_cycle",
        "start=400ms",
        "off=200ms",
        "id=blackout",
    ]);
    assert_eq!(added["added"]["state"], "pending", "{added}");
    assert_eq!(fault_list(&sim)[0]["id"], "blackout");
    let off = sim.wait_event("power_off", T);
    assert_eq!(off["off_ms"], 200, "{off}");
    sim.wait_for("booted", |v| v["boot"] == 1, T);
    // One-shot: done once it happened.
    assert!(fault_list(&sim).is_empty());
    drop(peer);
    // The program's descriptor, opened before, still carries data after the boot.
    let mut again = sim.connect();
    sim.wait_for("session_opened", |v| v["conn"] != 1, T);
    again.write_all(b"after the blackout").expect("send");
    assert_eq!(read_for(&mut serial, 18, T), b"after the blackout");
}

#[test]
fn framing_errors_corrupt_or_drop_every_flagged_character() {
    let mut sim = Sim::start(&["--set", "port1.serial.baud=115200", "--seed", "5"]);
    let mut peer = sim.connect();
    sim.wait_event("session_opened", T);
    let mut serial = sim.open_serial(BaudRate::B115200);
    sim.ctl_ok(&[
        "fault",
        "add",
        "serial.framing_errors",
        "probability=1",
        "direction=to_device",
        "id=corrupt",
    ]);
    serial.write_all(b"abcdef").expect("serial write");
    let got = read_for(&mut peer, 6, T);
    assert_eq!(got.len(), 6, "{got:?}");
    assert!(got.iter().zip(b"abcdef").all(|(g, s)| g != s), "{got:?}");
    sim.ctl_ok(&["fault", "clear", "corrupt"]);
    sim.ctl_ok(&[
        "fault",
        "add",
        "serial.framing_errors",
        "probability=1",
        "action=drop",
        "direction=from_device",
        "id=lose",
    ]);
    peer.write_all(b"gone").expect("peer write");
    assert!(read_for(&mut serial, 4, Duration::from_millis(500)).is_empty());
    let list = fault_list(&sim);
    assert_eq!(list[0]["counters"]["bytes_dropped"], 4, "{list:?}");
}
