//! Host modes and line behaviours of the device model on synthetic time: exact instants, no
//! sockets. The black-box tests in crates/sim/tests show the same through the built binary.

use m2285_core::io::{Action, CloseReason, ConnId, DeviceEvent, ListenerId, NetEvent, Transport};
use m2285_core::lines::InputLine;
use m2285_core::{Config, Device, Event, LineEvent};
use m2285_time::Instant;
use std::net::SocketAddr;

fn device(sets: &[&str]) -> Device {
    let config = Config::factory()
        .with_sets(sets.iter().copied())
        .unwrap_or_else(|e| panic!("bad test config: {e:?}"));
    Device::new(config, Instant::ZERO)
}

fn drain(d: &mut Device) -> Vec<Action> {
    std::iter::from_fn(|| d.poll_action()).collect()
}

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

fn connects(actions: &[Action]) -> Vec<(ConnId, String, u16)> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Connect { conn, host, port } => Some((*conn, host.clone(), *port)),
            _ => None,
        })
        .collect()
}

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
}

fn serial_in(d: &mut Device, bytes: &[u8], now: Instant) -> Vec<Action> {
    d.handle(Event::Line(LineEvent::Received(bytes.to_vec())), now);
    drain(d)
}

#[test]
fn cyclic_connection_dials_every_interval_exactly() {
    let mut d = device(&[
        "port1.remote_hosts[0].host=127.0.0.2",
        "port1.remote_hosts[0].port=9000",
        "port1.host.cyclic_interval_min=1",
    ]);
    assert!(connects(&run_until(&mut d, Instant::from_millis(59_999))).is_empty());
    assert_eq!(d.next_deadline(), Some(Instant::from_secs(60)));
    let c = connects(&run_until(&mut d, Instant::from_secs(60)));
    assert_eq!(c.len(), 1);
    assert_eq!((c[0].1.as_str(), c[0].2), ("127.0.0.2", 9000));
    // Refused: the next tick is a minute after the first, not after the failure.
    d.handle(
        Event::Net(NetEvent::ConnectFailed {
            conn: c[0].0,
            reason: "refused".into(),
        }),
        Instant::from_millis(60_001),
    );
    drain(&mut d);
    assert!(connects(&run_until(&mut d, Instant::from_millis(119_999))).is_empty());
    assert_eq!(
        connects(&run_until(&mut d, Instant::from_secs(120))).len(),
        1
    );
}

#[test]
fn serial_data_dials_and_is_sent_after_the_socket_id_once_connected() {
    let mut d = device(&[
        "port1.remote_hosts[0].host=127.0.0.2",
        "port1.remote_hosts[0].port=9000",
        "port1.host.socket_id=ID",
        "port1.serial.baud=115200",
    ]);
    drain(&mut d);
    serial_in(&mut d, b"abc", Instant::ZERO);
    let a = run_until(&mut d, Instant::from_millis(5));
    let c = connects(&a);
    assert_eq!(c.len(), 1);
    d.handle(
        Event::Net(NetEvent::Connected {
            conn: c[0].0,
            peer: addr("127.0.0.2:9000"),
        }),
        Instant::from_millis(6),
    );
    let sent: Vec<u8> = drain(&mut d)
        .into_iter()
        .filter_map(|a| match a {
            Action::Send { data, .. } => Some(data),
            _ => None,
        })
        .flatten()
        .collect();
    assert_eq!(sent, b"IDabc");
}

#[test]
fn an_attempt_that_never_answers_times_out_and_its_data_is_discarded() {
    let mut d = device(&[
        "port1.remote_hosts[0].host=127.0.0.2",
        "port1.remote_hosts[0].port=9000",
        "port1.serial.baud=115200",
    ]);
    drain(&mut d);
    serial_in(&mut d, b"abcd", Instant::ZERO);
    let c = connects(&run_until(&mut d, Instant::from_millis(1)));
    assert_eq!(c.len(), 1);
    let a = run_until(&mut d, Instant::from_secs(11));
    assert!(a.contains(&Action::Close { conn: c[0].0 }));
    assert!(a.iter().any(|x| matches!(
        x,
        Action::Notify(DeviceEvent::DataDiscarded { bytes: 4, .. })
    )));
    assert_eq!(d.stats().serial_rx_discarded, 4);
    assert_eq!(d.stats().connect_failures, 1);
}

#[test]
fn xoff_holds_the_line_and_xon_resumes_on_the_exact_schedule() {
    let mut d = device(&["port1.serial.flow_control=xon_xoff"]);
    drain(&mut d);
    d.handle(
        Event::Net(NetEvent::Accepted {
            listener: ListenerId::Data,
            conn: ConnId(1),
            peer: addr("127.0.0.1:4000"),
        }),
        Instant::ZERO,
    );
    drain(&mut d);
    // XOFF from the program finishes at 1.0417 ms (9600 8N1).
    serial_in(&mut d, &[0x13], Instant::ZERO);
    run_until(&mut d, Instant::from_millis(2));
    d.handle(
        Event::Net(NetEvent::Received {
            conn: ConnId(1),
            data: b"xy".to_vec(),
        }),
        Instant::from_millis(2),
    );
    let held = run_until(&mut d, Instant::from_secs(5));
    assert!(!held.iter().any(|a| matches!(a, Action::SerialTx(_))));
    serial_in(&mut d, &[0x11], Instant::from_secs(5));
    // XON itself takes one character time, then "xy" takes two more.
    let a = run_until(&mut d, Instant::from_nanos(5_000_000_000 + 3 * 1_041_666));
    let tx: Vec<u8> = a
        .iter()
        .filter_map(|a| match a {
            Action::SerialTx(b) => Some(b.clone()),
            _ => None,
        })
        .flatten()
        .collect();
    assert_eq!(tx, b"x");
    let a = run_until(&mut d, Instant::from_nanos(5_000_000_000 + 3 * 1_041_667));
    assert!(a.contains(&Action::SerialTx(b"y".to_vec())));
    // Neither XON nor XOFF went to the network.
    assert_eq!(d.stats().serial_rx_bytes, 0);
}

#[test]
fn dsr_gating_closes_sessions_and_udp_listens_on_its_port() {
    let mut d = device(&["port1.serial.dsr=allow_only_when_high"]);
    drain(&mut d);
    d.handle(
        Event::Net(NetEvent::Accepted {
            listener: ListenerId::Data,
            conn: ConnId(1),
            peer: addr("127.0.0.1:4000"),
        }),
        Instant::ZERO,
    );
    drain(&mut d);
    d.handle(
        Event::Line(LineEvent::Signal {
            line: InputLine::Dsr,
            high: false,
        }),
        Instant::from_secs(1),
    );
    let a = drain(&mut d);
    assert!(a.iter().any(|x| matches!(
        x,
        Action::Notify(DeviceEvent::SessionClosed {
            reason: CloseReason::DsrLow,
            ..
        })
    )));
    let mut u = device(&["port1.host.mode=udp", "port1.host.listen_port=7005"]);
    assert!(drain(&mut u).contains(&Action::Listen {
        listener: ListenerId::Data,
        transport: Transport::Udp,
        port: 7005
    }));
}
