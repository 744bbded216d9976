//! One byte stream through both runtimes with serial faults and the same seed: the corrupted
//! bytes must be identical (bit errors alone, and bit errors with a baud mismatch, an overrun
//! and lost characters together).
//!
//! The virtual runtime runs a whole simulation (a serial program and a network peer on
//! simulated time) and its JSON trace shows each burst that crossed the line, as sent and as
//! received. The real-time side is the PTY adapter's code path ([`super::serial::cross`]) fed
//! the same bursts: a test cannot make the kernel's PTY split a stream into the same reads, and
//! what is compared is the corruption, not the kernel's buffering. The faults are added through
//! the real-time parser (`super::parse`, what the control API calls).

use super::serial::cross;
use super::{parse, Faults};
use m2285_boundary::faults::Direction;
use m2285_boundary::trace::TraceOptions;
use m2285_core::Config;
use m2285_time::Instant;
use m2285_virtual::network::PeerState;
use m2285_virtual::{FaultSpec, SimConfig, Simulation};
use serde_json::Value;
use std::time::Duration;

const SEED: u64 = 2285;
const BER: &str = "0.02";

/// A fault by name and parameters.
type Fault<'a> = (&'a str, &'a [(&'a str, &'a str)]);

const BIT_ERRORS: &[Fault] = &[("serial.bit_errors", &[("ber", BER)])];

/// Every random serial fault together, with a program at another rate and a small FIFO.
const TOGETHER: &[Fault] = &[
    ("serial.bit_errors", &[("ber", "0.005")]),
    ("serial.baud_mismatch", &[("baud", "10400")]),
    ("serial.drop", &[("probability", "0.01")]),
    ("serial.parity_errors", &[("probability", "0.02")]),
    ("serial.overrun", &[("fifo", "200")]),
];

/// Bytes of a trace field: a string, or `{"hex": ...}`.
fn bytes_of(v: &Value) -> Vec<u8> {
    match v {
        Value::String(s) => s.as_bytes().to_vec(),
        Value::Object(m) => {
            let hex = m.get("hex").and_then(Value::as_str).unwrap_or("");
            (0..hex.len() / 2)
                .filter_map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).ok())
                .collect()
        }
        _ => Vec::new(),
    }
}

/// The bursts a virtual run put on the serial line going `ev` (`serial_in` or `serial_out`):
/// (sent, received) each.
fn virtual_bursts(stream: &[u8], ev: &str, faults: &[Fault]) -> Vec<(Vec<u8>, Vec<u8>)> {
    let mut cfg = SimConfig::new(Config::factory());
    cfg.seed = SEED;
    cfg.trace = TraceOptions {
        json: true,
        ..TraceOptions::default()
    };
    let mut sim = Simulation::new(cfg);
    for (name, params) in faults {
        let spec = FaultSpec::parse(name, params.iter().copied());
        sim.inject(spec.unwrap_or_else(|e| panic!("{e:?}")));
    }
    let until = |sim: &mut Simulation, d: Duration, f: &dyn Fn(&Simulation) -> bool| {
        let end = sim.now() + d;
        sim.run_until(end, |s| f(s))
            .unwrap_or_else(|e| panic!("{e:?}"))
    };
    if ev == "serial_in" {
        sim.serial_write(stream);
    } else {
        sim.add_peer("scada", None)
            .unwrap_or_else(|e| panic!("{e}"));
        sim.peer_connect("scada").unwrap_or_else(|e| panic!("{e}"));
        let up = |s: &Simulation| s.peer("scada").map(|p| p.state) == Some(PeerState::Connected);
        assert!(until(&mut sim, Duration::from_secs(1), &up));
        sim.peer_send("scada", stream)
            .unwrap_or_else(|e| panic!("{e}"));
    }
    until(&mut sim, Duration::from_secs(5), &|_| false);
    let json = sim.finish().json.unwrap_or_default();
    String::from_utf8_lossy(&json)
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v["ev"] == ev)
        .map(|v| {
            let got = bytes_of(&v["data"]);
            let sent = v.get("sent").map_or_else(|| got.clone(), bytes_of);
            (sent, got)
        })
        .collect()
}

/// The same bursts through the real-time adapter, with the fault parsed as the control API
/// parses it and the same seed.
fn realtime_crossing(bursts: &[(Vec<u8>, Vec<u8>)], way: Direction, with: &[Fault]) -> Vec<u8> {
    let mut faults = Faults::new(SEED);
    for (name, params) in with {
        let params: Vec<(String, String)> = params
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        let spec = parse(name, &params).unwrap_or_else(|e| panic!("{e}"));
        faults.add(spec, params, Instant::ZERO);
    }
    faults.update(Instant::ZERO);
    let line = Config::factory().port1.serial.params();
    bursts
        .iter()
        .flat_map(|(sent, _)| cross(&mut faults, line, way, sent).unwrap_or_default())
        .collect()
}

fn stream() -> Vec<u8> {
    (0..600u32).map(|i| (i * 37 % 251) as u8).collect()
}

fn check(ev: &str, way: Direction, faults: &[Fault]) {
    let stream = stream();
    let bursts = virtual_bursts(&stream, ev, faults);
    let sent: Vec<u8> = bursts.iter().flat_map(|(s, _)| s.clone()).collect();
    assert_eq!(sent, stream, "the virtual run carried the whole stream");
    let virtual_got: Vec<u8> = bursts.iter().flat_map(|(_, g)| g.clone()).collect();
    assert_ne!(
        virtual_got,
        stream,
        "{faults:?} left {} bytes intact",
        stream.len()
    );
    assert_eq!(realtime_crossing(&bursts, way, faults), virtual_got);
}

#[test]
fn bit_errors_corrupt_the_same_bytes_in_both_runtimes_towards_the_device() {
    check("serial_in", Direction::ToDevice, BIT_ERRORS);
}

#[test]
fn bit_errors_corrupt_the_same_bytes_in_both_runtimes_from_the_device() {
    check("serial_out", Direction::FromDevice, BIT_ERRORS);
}

#[test]
fn every_serial_fault_together_gives_the_same_bytes_in_both_runtimes_towards_the_device() {
    check("serial_in", Direction::ToDevice, TOGETHER);
}

#[test]
fn every_serial_fault_together_gives_the_same_bytes_in_both_runtimes_from_the_device() {
    check("serial_out", Direction::FromDevice, TOGETHER);
}
