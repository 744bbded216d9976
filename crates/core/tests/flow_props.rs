//! Property tests of flow control in the device model (docs/host-modes.md, "Flow control"):
//! with RTS/CTS or XON/XOFF on, a program that honours the device's flow control loses no byte
//! in either direction, whatever it writes, in whatever chunks, at whatever times, while the
//! session is still being connected or while CTS holds the device's transmitter
//! (docs/ROBUSTNESS.md).
//!
//! `serial_to_network_loses_nothing_while_connecting` is a property form of issue 17's defect 9:
//! before its fix (8e2b5ff) it failed with RTS/CTS and with XON/XOFF alike, because up to
//! `WIRE_IN_FLIGHT` bytes already taken onto the simulated wire still arrived after RTS dropped
//! (or after the device's XOFF) and were discarded (minimal cases: 115200 baud, three writes of
//! a few hundred to two thousand bytes, `serial_rx_discarded` = 1).
//! `flow_props.proptest-regressions` keeps that case, which proptest replays first.

use std::time::Duration;

use m2285_core::io::{Action, ConnId, ListenerId, NetEvent};
use m2285_core::lines::InputLine;
use m2285_core::{Config, Device, Event, LineEvent};
use m2285_time::Instant;
use proptest::prelude::*;
use std::net::SocketAddr;

const XON: u8 = 0x11;
const XOFF: u8 = 0x13;

fn device(sets: &[String]) -> Device {
    let config = Config::factory()
        .with_sets(sets.iter().map(String::as_str))
        .unwrap_or_else(|e| panic!("bad test config: {e:?}"));
    Device::new(config, Instant::ZERO)
}

fn peer() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 2], 9000))
}

/// The program on the serial side: writes only while the device lets it (RTS high, room on
/// the wire; or, with XON/XOFF, until the device's last flow byte was XOFF).
#[derive(Default)]
struct Program {
    xoff: bool,
    received: Vec<u8>,
}

impl Program {
    fn take(&mut self, actions: Vec<Action>, conn_sent: &mut Vec<u8>) -> Vec<Action> {
        let mut rest = Vec::new();
        for a in actions {
            match a {
                Action::SerialTx(bytes) => {
                    for &b in &bytes {
                        match b {
                            XOFF => self.xoff = true,
                            XON => self.xoff = false,
                            _ => {}
                        }
                    }
                    self.received.extend_from_slice(&bytes);
                }
                Action::Send { data, .. } => conn_sent.extend_from_slice(&data),
                other => rest.push(other),
            }
        }
        rest
    }
}

fn drain(d: &mut Device) -> Vec<Action> {
    std::iter::from_fn(|| d.poll_action()).collect()
}

/// Runs the device's timers up to `until`.
fn run_until(d: &mut Device, until: Instant) -> Vec<Action> {
    let mut all = drain(d);
    while let Some(t) = d.next_deadline().filter(|t| *t <= until) {
        d.handle_timeout(t);
        all.extend(drain(d));
    }
    d.handle_timeout(until);
    all.extend(drain(d));
    all
}

fn chunks() -> impl Strategy<Value = Vec<(u16, u32)>> {
    // (bytes the program tries to write, microseconds before it tries)
    proptest::collection::vec((1u16..2_000, 0u32..20_000), 1..120)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// TCP client mode, the connection still being made for up to 3 s: everything the program
    /// writes (honouring RTS or XOFF) reaches the session once it is up, in order, and nothing
    /// is discarded.
    #[test]
    fn serial_to_network_loses_nothing_while_connecting(
        xon_xoff in any::<bool>(),
        baud in prop::sample::select(vec![9_600u32, 115_200, 460_800]),
        writes in chunks(),
        connect_after_ms in 100u64..3_000,
    ) {
        let flow = if xon_xoff { "xon_xoff" } else { "rts_cts" };
        let mut d = device(&[
            "port1.remote_hosts[0].host=127.0.0.2".into(),
            "port1.remote_hosts[0].port=9000".into(),
            format!("port1.serial.flow_control={flow}"),
            format!("port1.serial.baud={baud}"),
        ]);
        let mut program = Program::default();
        let mut sent = Vec::new();
        let mut written = Vec::new();
        let mut conn: Option<ConnId> = None;
        let mut connected = false;
        let connect_at = Instant::from_millis(connect_after_ms);
        let mut now = Instant::ZERO;
        let mut pending = writes.into_iter();
        let mut next = pending.next();
        let mut counter = 0u8;
        // Runs until the program has written everything and the device sent it on.
        for _ in 0..100_000 {
            let Some((len, wait)) = next else { break };
            now += Duration::from_micros(u64::from(wait));
            if !connected && now >= connect_at {
                if let Some(c) = conn {
                    d.handle(Event::Net(NetEvent::Connected { conn: c, peer: peer() }), connect_at);
                    connected = true;
                }
            }
            for a in program.take(run_until(&mut d, now), &mut sent) {
                if let Action::Connect { conn: c, .. } = a {
                    conn = Some(c);
                }
            }
            let room = if program.xoff { 0 } else { d.serial_input_room() };
            let n = usize::from(len).min(room);
            if n == 0 {
                continue; // blocked: try the same write again later
            }
            let bytes: Vec<u8> = (0..n)
                .map(|_| {
                    counter = counter.wrapping_add(1);
                    if xon_xoff && (counter == XON || counter == XOFF) { b'x' } else { counter }
                })
                .collect();
            written.extend_from_slice(&bytes);
            d.handle(Event::Line(LineEvent::Received(bytes)), now);
            next = if usize::from(len) > n {
                Some((len - n as u16, 0))
            } else {
                pending.next()
            };
        }
        if !connected {
            // The last write may still be on the wire: the device dials once it has crossed.
            now = now.max(connect_at);
            for a in program.take(run_until(&mut d, now), &mut sent) {
                if let Action::Connect { conn: c, .. } = a {
                    conn = Some(c);
                }
            }
            let c = conn.expect("the device dialled");
            d.handle(Event::Net(NetEvent::Connected { conn: c, peer: peer() }), now);
        }
        program.take(run_until(&mut d, now + Duration::from_secs(120)), &mut sent);
        prop_assert_eq!(d.stats().serial_rx_discarded, 0, "discarded with {} on", flow);
        prop_assert_eq!(sent.len(), written.len());
        prop_assert!(sent == written, "bytes changed on the way");
    }

    /// TCP server mode: a client sends data (honouring the device's receive window) while CTS
    /// goes low and high at random; every byte reaches the program, in order, and none crosses
    /// the wire while CTS is low except the character already on it.
    #[test]
    fn network_to_serial_loses_nothing_under_cts(
        baud in prop::sample::select(vec![9_600u32, 115_200]),
        ops in proptest::collection::vec((0u8..4, 1u16..3_000, 0u32..30_000), 1..150),
    ) {
        let mut d = device(&[
            "port1.serial.flow_control=rts_cts".into(),
            format!("port1.serial.baud={baud}"),
        ]);
        let mut program = Program::default();
        let mut ignored = Vec::new();
        program.take(drain(&mut d), &mut ignored);
        let conn = ConnId(1);
        d.handle(
            Event::Net(NetEvent::Accepted { listener: ListenerId::Data, conn, peer: peer() }),
            Instant::ZERO,
        );
        program.take(drain(&mut d), &mut ignored);
        let before = program.received.len();
        let mut from_network = Vec::new();
        let mut now = Instant::ZERO;
        let mut cts = true;
        let mut counter = 0u8;
        for (op, len, wait) in ops {
            let t = now + Duration::from_micros(u64::from(wait));
            let got_before = program.received.len();
            program.take(run_until(&mut d, t), &mut ignored);
            if !cts {
                prop_assert!(program.received.len() - got_before <= 1, "crossed the wire with CTS low");
            }
            now = t;
            match op {
                0 => {
                    cts = !cts;
                    d.set_input_line(InputLine::Cts, cts, now);
                    program.take(drain(&mut d), &mut ignored);
                }
                _ => {
                    let n = usize::from(len).min(d.net_input_room(conn));
                    let data: Vec<u8> = (0..n).map(|_| { counter = counter.wrapping_add(1); counter }).collect();
                    from_network.extend_from_slice(&data);
                    d.handle(Event::Net(NetEvent::Received { conn, data }), now);
                    program.take(drain(&mut d), &mut ignored);
                }
            }
        }
        d.set_input_line(InputLine::Cts, true, now);
        program.take(run_until(&mut d, now + Duration::from_secs(60)), &mut ignored);
        let got = &program.received[before..];
        prop_assert_eq!(got.len(), from_network.len());
        prop_assert!(got == from_network.as_slice(), "bytes changed on the way");
    }
}
