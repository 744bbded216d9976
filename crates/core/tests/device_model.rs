//! The device model on synthetic time: no sleeps, no sockets, exact instants.

use m2285_core::io::{Action, CloseReason, ConnId, DeviceEvent, ListenerId, NetEvent};
use m2285_core::{Config, Device, Event, LineEvent};
use m2285_time::Instant;
use std::net::SocketAddr;
use std::time::Duration;

fn device(sets: &[&str]) -> Device {
    let config = Config::factory()
        .with_sets(sets.iter().copied())
        .unwrap_or_else(|e| panic!("bad test config: {e:?}"));
    Device::new(config, Instant::ZERO)
}

fn drain(d: &mut Device) -> Vec<Action> {
    std::iter::from_fn(|| d.poll_action()).collect()
}

fn peer(n: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 40000 + n))
}

fn accept(d: &mut Device, conn: u64, now: Instant) -> Vec<Action> {
    d.handle(
        Event::Net(NetEvent::Accepted {
            listener: ListenerId::Data,
            conn: ConnId(conn),
            peer: peer(conn as u16),
        }),
        now,
    );
    drain(d)
}

fn sent(actions: &[Action]) -> Vec<(u64, Vec<u8>)> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Send { conn, data } => Some((conn.0, data.clone())),
            _ => None,
        })
        .collect()
}

/// Runs the device's timers up to `until`, returning every action on the way.
fn run_until(d: &mut Device, until: Instant) -> Vec<Action> {
    let mut all = Vec::new();
    while let Some(t) = d.next_deadline().filter(|t| *t <= until) {
        d.handle_timeout(t);
        all.extend(drain(d));
    }
    all
}

#[test]
fn boots_listening_on_the_data_port() {
    let mut d = device(&[]);
    let actions = drain(&mut d);
    assert!(matches!(
        actions.as_slice(),
        [
            Action::Notify(DeviceEvent::Booted { .. }),
            Action::Listen {
                listener: ListenerId::Data,
                port: 7001,
                ..
            }
        ]
    ));
}

#[test]
fn inter_character_timeout_holds_data_until_the_gap() {
    let mut d = device(&[
        "port1.serial.baud=9600",
        "port1.serial.inter_char_timeout_ms=200",
    ]);
    drain(&mut d);
    accept(&mut d, 1, Instant::ZERO);
    d.handle(
        Event::Line(LineEvent::Received(b"hello".to_vec())),
        Instant::from_millis(10),
    );
    // 5 chars at 9600 8N1 finish at 10 ms + 5.208 ms; the flush is 200 ms after the last one.
    let last_char = Instant::from_millis(10) + Duration::from_nanos(5 * 1_041_666 + 2);
    let before = run_until(&mut d, last_char + Duration::from_millis(199));
    assert!(sent(&before).is_empty(), "{before:?}");
    let after = run_until(&mut d, last_char + Duration::from_millis(201));
    assert_eq!(sent(&after), vec![(1, b"hello".to_vec())]);
}

#[test]
fn zero_timeout_sends_each_character_as_it_completes() {
    let mut d = device(&[]);
    drain(&mut d);
    accept(&mut d, 1, Instant::ZERO);
    d.handle(
        Event::Line(LineEvent::Received(b"ab".to_vec())),
        Instant::ZERO,
    );
    let first = run_until(&mut d, Instant::from_nanos(1_041_667));
    assert_eq!(sent(&first), vec![(1, b"a".to_vec())]);
    let second = run_until(&mut d, Instant::from_millis(3));
    assert_eq!(sent(&second), vec![(1, b"b".to_vec())]);
}

#[test]
fn serial_data_fans_out_and_the_connection_over_the_limit_is_closed() {
    let mut d = device(&["port1.host.max_connections=2", "sim.pacing=false"]);
    drain(&mut d);
    accept(&mut d, 1, Instant::ZERO);
    accept(&mut d, 2, Instant::ZERO);
    let third = accept(&mut d, 3, Instant::ZERO);
    assert!(third.contains(&Action::Close { conn: ConnId(3) }));
    assert!(third.iter().any(|a| matches!(
        a,
        Action::Notify(DeviceEvent::ConnectionRejected {
            reason: "max connections reached",
            ..
        })
    )));
    d.handle(
        Event::Line(LineEvent::Received(b"xyz".to_vec())),
        Instant::from_millis(1),
    );
    let out = drain(&mut d);
    assert_eq!(sent(&out), vec![(1, b"xyz".to_vec()), (2, b"xyz".to_vec())]);
    // Each peer's data goes to the serial port.
    for (conn, data) in [(1, b"from1"), (2, b"from2")] {
        d.handle(
            Event::Net(NetEvent::Received {
                conn: ConnId(conn),
                data: data.to_vec(),
            }),
            Instant::from_millis(2),
        );
    }
    let tx: Vec<u8> = drain(&mut d)
        .into_iter()
        .filter_map(|a| match a {
            Action::SerialTx(b) => Some(b),
            _ => None,
        })
        .flatten()
        .collect();
    assert_eq!(tx, b"from1from2");
    assert_eq!(d.stats().connections_rejected, 1);
    assert_eq!(d.stats().connections_accepted, 2);
}

#[test]
fn inactivity_timeout_closes_an_idle_session() {
    let mut d = device(&["port1.host.inactivity_timeout_s=1"]);
    drain(&mut d);
    accept(&mut d, 1, Instant::from_secs(5));
    assert!(run_until(&mut d, Instant::from_millis(5999)).is_empty());
    let out = run_until(&mut d, Instant::from_secs(7));
    assert!(out.contains(&Action::Close { conn: ConnId(1) }));
    assert!(out.iter().any(|a| matches!(
        a,
        Action::Notify(DeviceEvent::SessionClosed {
            reason: CloseReason::InactivityTimeout,
            ..
        })
    )));
    assert_eq!(d.next_deadline(), None);
}

#[test]
fn serial_traffic_keeps_the_session_alive() {
    let mut d = device(&["port1.host.inactivity_timeout_s=1", "sim.pacing=false"]);
    drain(&mut d);
    accept(&mut d, 1, Instant::ZERO);
    for ms in [800, 1600, 2400] {
        d.handle(
            Event::Line(LineEvent::Received(b"k".to_vec())),
            Instant::from_millis(ms),
        );
    }
    let out = run_until(&mut d, Instant::from_millis(3399));
    assert!(!out.contains(&Action::Close { conn: ConnId(1) }));
    let out = run_until(&mut d, Instant::from_millis(3400));
    assert!(out.contains(&Action::Close { conn: ConnId(1) }));
}

#[test]
fn serial_data_with_no_session_is_discarded_and_counted() {
    let mut d = device(&["sim.pacing=false"]);
    drain(&mut d);
    d.handle(
        Event::Line(LineEvent::Received(vec![0; 100])),
        Instant::ZERO,
    );
    d.handle_timeout(Instant::ZERO);
    assert!(sent(&drain(&mut d)).is_empty());
    assert_eq!(d.stats().serial_rx_discarded, 100);
    assert_eq!(d.stats().serial_rx_bytes, 100);
}

#[test]
fn keepalive_settings_are_applied_to_each_session() {
    let mut d = device(&[]);
    drain(&mut d);
    let out = accept(&mut d, 1, Instant::ZERO);
    assert!(out.iter().any(|a| matches!(
        a,
        Action::SetKeepalive { params, .. } if (params.time_s, params.probes, params.interval_s) == (15, 3, 5)
    )));
}

#[test]
fn baud_mismatch_is_reported_once_and_counted() {
    let mut d = device(&[]);
    drain(&mut d);
    d.handle(Event::Line(LineEvent::ObservedBaud(115200)), Instant::ZERO);
    d.handle(Event::Line(LineEvent::ObservedBaud(115200)), Instant::ZERO);
    let out = drain(&mut d);
    assert_eq!(out.len(), 1);
    assert_eq!(d.stats().baud_mismatches, 1);
}
