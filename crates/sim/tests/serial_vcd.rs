//! `--vcd FILE` in real time, against the built binary with a real PTY: the serial port's data
//! lines at bit level and its modem signals, drawn by the boundary crate's recorder as in a
//! virtual run and read back with its reader.

mod common;

use common::*;
use m2285_boundary::trace::vcd::ParsedVcd;
use m2285_uart::SerialParams;
use nix::sys::termios::BaudRate;
use std::io::Write;
use std::time::Duration;

const T: Duration = Duration::from_secs(5);

#[test]
fn the_vcd_shows_the_bytes_both_ways_and_the_modem_lines() {
    let dir = temp_dir("vcd");
    let path = dir.join("serial.vcd");
    let path_arg = path.to_string_lossy().into_owned();
    let mut sim = Sim::start(&[
        "--set",
        "port1.serial.baud=115200",
        "--set",
        "sim.boot_time_ms=100",
        "--vcd",
        &path_arg,
    ]);
    let mut peer = sim.connect();
    sim.wait_event("session_opened", T);
    // Transmitted with no program on the port: on the wire all the same, received by nobody.
    peer.write_all(b"early ").expect("peer write");
    std::thread::sleep(Duration::from_millis(300));
    let mut serial = sim.open_serial(BaudRate::B115200);

    serial.write_all(b"from the program").expect("serial write");
    assert_eq!(read_for(&mut peer, 16, T), b"from the program");
    peer.write_all(b"from the network").expect("peer write");
    assert_eq!(read_for(&mut serial, 16, T), b"from the network");
    sim.ctl_ok(&["signal", "dcd=high"]);
    // More than a second later, so part of the file is written while the run goes on.
    std::thread::sleep(Duration::from_millis(1500));
    serial.write_all(b"+later").expect("serial write");
    assert_eq!(read_for(&mut peer, 6, T), b"+later");
    let written_while_running = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        written_while_running.contains("$enddefinitions"),
        "nothing written while running: {written_while_running:?}"
    );
    // A power cycle: the device's outputs go low while it is off.
    sim.ctl_ok(&["power-cycle", "--off", "300"]);
    sim.wait_for("booted", |v| v["boot"] == 1, T);
    assert!(sim.terminate().success());

    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&path).map(|m| m.permissions().mode() & 0o777);
    assert_eq!(mode.ok(), Some(0o600), "it holds the serial data");
    let text = std::fs::read_to_string(&path).expect("the VCD");
    let _ = std::fs::remove_dir_all(&dir);
    let stamps: Vec<u64> = text
        .lines()
        .filter_map(|l| l.strip_prefix('#'))
        .filter_map(|t| t.parse().ok())
        .collect();
    assert!(
        stamps.windows(2).all(|w| w[0] < w[1]),
        "time stamps must increase"
    );
    let vcd = ParsedVcd::parse(&text).expect("a VCD");
    let line = SerialParams {
        baud: 115_200,
        ..SerialParams::default()
    };
    assert_eq!(vcd.decode_uart("rxd", &line), b"from the program+later");
    assert_eq!(vcd.decode_uart("txd", &line), b"early from the network");
    let dtr = &vcd.signals["dtr"];
    match dtr.as_slice() {
        [(0, true), (off, false), (on, true)] => assert!(on - off >= 300_000_000, "{dtr:?}"),
        other => panic!("dtr: {other:?}"),
    }
    let dcd = &vcd.signals["dcd"];
    assert_eq!(dcd.first().map(|c| c.1), Some(false), "{dcd:?}");
    assert_eq!(dcd.get(1).map(|c| c.1), Some(true), "{dcd:?}");
    // One frame of 8N1 at 115200 is 10 bits of 8681 ns each: the first character's edges.
    let rxd = &vcd.signals["rxd"];
    let start = rxd.iter().find(|c| !c.1).map(|c| c.0).unwrap_or(0);
    let next_high = rxd.iter().find(|c| c.0 > start && c.1).map(|c| c.0);
    // 'f' = 0x66: start bit, then data bit 0 is 0 and bit 1 is 1: low for two bit times.
    assert_eq!(
        next_high.map(|t| t - start),
        Some(17_362),
        "{:?}",
        &rxd[..4]
    );
}
