//! Flow control never loses a byte (issue 17 item 9), on synthetic time: when the device asks
//! the program to pause (RTS low, or XOFF) the program's side of the wire stops at once, and
//! when the program pauses the device (CTS low, or XOFF) the device's side stops, paced or not.

use m2285_core::flow::{HIGH_WATER, XOFF, XON};
use m2285_core::io::{Action, ConnId, DeviceEvent, ListenerId, NetEvent};
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

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
}

/// Data without XON/XOFF (in band, those are flow control, not data).
fn pattern(n: usize) -> Vec<u8> {
    (0..n).map(|i| b' ' + (i % 95) as u8).collect()
}

/// The program's bytes as the real-time runtime hands them over: only as many as
/// [`Device::serial_input_room`] allows, at every instant the device has work, from `from`
/// until `until`. Returns every action.
fn program_writes(
    d: &mut Device,
    data: &mut Vec<u8>,
    from: Instant,
    until: Instant,
) -> Vec<Action> {
    let mut all = Vec::new();
    let mut now = from;
    for _ in 0..1_000_000 {
        let room = d.serial_input_room().min(data.len());
        if room > 0 {
            let chunk: Vec<u8> = data.drain(..room).collect();
            d.handle(Event::Line(LineEvent::Received(chunk)), now);
        }
        all.extend(drain(d));
        match d.next_deadline().filter(|t| *t <= until) {
            Some(t) => {
                now = now.max(t);
                d.handle_timeout(now);
                all.extend(drain(d));
            }
            None if room > 0 => {}
            None => break,
        }
    }
    d.handle_timeout(until);
    all.extend(drain(d));
    all
}

fn sent_to_network(actions: &[Action]) -> Vec<u8> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Send { data, .. } => Some(data.clone()),
            _ => None,
        })
        .flatten()
        .collect()
}

fn serial_tx(actions: &[Action]) -> Vec<u8> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::SerialTx(b) => Some(b.clone()),
            _ => None,
        })
        .flatten()
        .collect()
}

fn discarded(actions: &[Action]) -> bool {
    actions
        .iter()
        .any(|a| matches!(a, Action::Notify(DeviceEvent::DataDiscarded { .. })))
}

/// The scenario: a TCP client whose remote host is still connecting, a program that
/// writes 7 500 bytes. The device pauses the program at the threshold and everything reaches
/// the session once it is up.
fn slow_connect_loses_nothing(flow: &str, pacing: bool) {
    let flow_set = format!("port1.serial.flow_control={flow}");
    let pacing_set = format!("sim.pacing={pacing}");
    let mut d = device(&[
        "port1.remote_hosts[0].host=127.0.0.2",
        "port1.remote_hosts[0].port=9000",
        "port1.serial.baud=115200",
        &flow_set,
        &pacing_set,
    ]);
    drain(&mut d);
    let data = pattern(7500);
    let mut left = data.clone();
    let t_connect = Instant::from_secs(2);
    let before = program_writes(&mut d, &mut left, Instant::ZERO, t_connect);
    let case = format!("{flow}, pacing {pacing}");
    assert!(!discarded(&before), "{case}: {before:?}");
    assert_eq!(d.stats().serial_rx_discarded, 0, "{case}");
    // The device took no more than the threshold (plus the character on the wire) and the
    // program holds the rest.
    let taken = d.stats().serial_rx_bytes as usize;
    assert!(
        (HIGH_WATER..=HIGH_WATER + 1).contains(&taken),
        "{case}: took {taken}"
    );
    if flow == "rts_cts" {
        assert!(
            !d.lines().rts,
            "{case}: RTS is low while the buffer is full"
        );
    } else {
        assert_eq!(serial_tx(&before), vec![XOFF], "{case}");
    }
    let conn = before
        .iter()
        .find_map(|a| match a {
            Action::Connect { conn, .. } => Some(*conn),
            _ => None,
        })
        .unwrap_or_else(|| panic!("{case}: the device dialled"));
    d.handle(
        Event::Net(NetEvent::Connected {
            conn,
            peer: addr("127.0.0.2:9000"),
        }),
        t_connect,
    );
    let mut after = drain(&mut d);
    after.extend(program_writes(
        &mut d,
        &mut left,
        t_connect,
        Instant::from_secs(4),
    ));
    let mut got = sent_to_network(&before);
    got.extend(sent_to_network(&after));
    assert_eq!(got.len(), data.len(), "{case}");
    assert!(got == data, "{case}: bytes differ");
    assert_eq!(d.stats().serial_rx_discarded, 0, "{case}");
    if flow == "rts_cts" {
        assert!(d.lines().rts, "{case}: RTS is high again");
    } else {
        assert_eq!(serial_tx(&after), vec![XON], "{case}");
    }
}

#[test]
fn rts_cts_pauses_the_program_while_connecting_and_loses_nothing() {
    slow_connect_loses_nothing("rts_cts", true);
    slow_connect_loses_nothing("rts_cts", false);
}

#[test]
fn xoff_pauses_the_program_while_connecting_and_loses_nothing() {
    slow_connect_loses_nothing("xon_xoff", true);
    slow_connect_loses_nothing("xon_xoff", false);
}

/// The network→serial direction: while the program pauses the device (CTS low, or XOFF) no
/// character goes out, even with pacing off; the device stops reading the network once its
/// buffer is full, and everything arrives after the pause.
fn program_pause_holds_network_data(flow: &str, pacing: bool) {
    let flow_set = format!("port1.serial.flow_control={flow}");
    let pacing_set = format!("sim.pacing={pacing}");
    let mut d = device(&["port1.serial.baud=115200", &flow_set, &pacing_set]);
    drain(&mut d);
    let conn = ConnId(1);
    d.handle(
        Event::Net(NetEvent::Accepted {
            listener: ListenerId::Data,
            conn,
            peer: addr("127.0.0.1:4000"),
        }),
        Instant::ZERO,
    );
    drain(&mut d);
    let case = format!("{flow}, pacing {pacing}");
    let t_pause = Instant::from_millis(1);
    if flow == "rts_cts" {
        d.set_input_line(InputLine::Cts, false, t_pause);
    } else {
        d.handle(Event::Line(LineEvent::Received(vec![XOFF])), t_pause);
        let _ = program_writes(&mut d, &mut Vec::new(), t_pause, Instant::from_millis(2));
    }
    drain(&mut d);
    let data = pattern(10_000);
    let mut offered = 0;
    let mut now = Instant::from_millis(2);
    let mut out = Vec::new();
    while offered < data.len() {
        let room = d.net_input_room(conn).min(data.len() - offered);
        if room == 0 {
            break;
        }
        d.handle(
            Event::Net(NetEvent::Received {
                conn,
                data: data[offered..offered + room].to_vec(),
            }),
            now,
        );
        offered += room;
        now += std::time::Duration::from_millis(1);
        out.extend(program_writes(&mut d, &mut Vec::new(), now, now));
    }
    out.extend(program_writes(
        &mut d,
        &mut Vec::new(),
        now,
        Instant::from_secs(1),
    ));
    assert!(serial_tx(&out).is_empty(), "{case}: nothing goes out");
    assert!(offered < data.len(), "{case}: the device stopped reading");
    assert_eq!(d.net_input_room(conn), 0, "{case}");
    let t_resume = Instant::from_secs(1);
    if flow == "rts_cts" {
        d.set_input_line(InputLine::Cts, true, t_resume);
    } else {
        d.handle(Event::Line(LineEvent::Received(vec![XON])), t_resume);
    }
    let mut got = serial_tx(&program_writes(
        &mut d,
        &mut Vec::new(),
        t_resume,
        Instant::from_secs(2),
    ));
    now = Instant::from_secs(2);
    while offered < data.len() {
        let room = d.net_input_room(conn).min(data.len() - offered);
        d.handle(
            Event::Net(NetEvent::Received {
                conn,
                data: data[offered..offered + room].to_vec(),
            }),
            now,
        );
        offered += room;
        got.extend(serial_tx(&program_writes(
            &mut d,
            &mut Vec::new(),
            now,
            now + std::time::Duration::from_secs(1),
        )));
        now += std::time::Duration::from_secs(1);
    }
    assert_eq!(got.len(), data.len(), "{case}");
    assert!(got == data, "{case}: bytes differ");
    assert_eq!(d.stats().net_rx_overflow, 0, "{case}");
}

#[test]
fn cts_low_holds_network_data_paced_or_not() {
    program_pause_holds_network_data("rts_cts", true);
    program_pause_holds_network_data("rts_cts", false);
}

#[test]
fn xoff_from_the_program_holds_network_data_paced_or_not() {
    program_pause_holds_network_data("xon_xoff", true);
    program_pause_holds_network_data("xon_xoff", false);
}
