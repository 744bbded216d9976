//! Example from docs/testing.md: Rust tests against the simulator, with the m2285-harness
//! crate (this file is a test target of crates/harness, so scripts/test runs it).

use m2285_harness::{io, Baud, Sim, VirtualDevice};
use std::io::Write;
use std::time::Duration;

#[test]
fn a_peer_reaches_the_serial_program() -> Result<(), Box<dyn std::error::Error>> {
    let mut sim = Sim::builder().start()?; // factory device, free ports, own 127.x address
    let mut serial = sim.open_serial(Baud::B9600)?; // the PTY, raw, like a program opens it
    let mut peer = sim.connect()?;
    sim.wait_for("session_opened", |_| true, Duration::from_secs(5))?;
    peer.write_all(b"PING\r\n")?;
    assert_eq!(
        io::read_for(&mut serial, 6, Duration::from_secs(5)),
        b"PING\r\n"
    );
    serial.write_all(b"PONG\r\n")?;
    assert_eq!(
        io::read_for(&mut peer, 6, Duration::from_secs(5)),
        b"PONG\r\n"
    );
    let status = sim.control().status()?;
    assert_eq!(status["sessions"][0]["state"], "established");
    Ok(()) // dropping `sim` stops the process and removes its PTY link and state directory
}

#[test]
fn the_same_in_virtual_time() -> Result<(), String> {
    let mut dev = VirtualDevice::builder().peer("scada").build()?;
    dev.connect("scada")?;
    dev.peer_send("scada", b"PING\r\n")?;
    // Six characters at 9600 8N1 take 6.25 ms on the wire.
    let took = dev.expect_serial(b"PING\r\n", Duration::from_millis(10))?;
    assert!(took >= Duration::from_micros(6250), "{took:?}");
    dev.serial_write(b"PONG\r\n");
    dev.expect_peer("scada", b"PONG\r\n", Duration::from_millis(10))?;
    Ok(())
}

#[test]
fn the_scenario_example_passes() -> Result<(), String> {
    let scenario = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/examples/serial-echo.toml"
    );
    let out = std::process::Command::new(m2285_harness::binary::sim_binary()?)
        .args(["run", scenario])
        .output()
        .map_err(|e| e.to_string())?;
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{report}");
    assert!(report.starts_with("PASS serial-echo"), "{report}");
    Ok(())
}
