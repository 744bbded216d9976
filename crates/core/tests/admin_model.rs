//! The management core inside the device model, on synthetic time: the IP filter's verdicts as
//! actions, the held connection of a drop, the system log fed by the events, syslog and SNTP
//! datagrams on the management socket. Both runtimes carry out exactly these actions.

use m2285_core::admin::Platform;
use m2285_core::io::{Action, ConnId, DeviceEvent, ListenerId, NetEvent};
use m2285_core::{Config, Device, Event};
use m2285_time::Instant;
use std::net::SocketAddr;
use std::time::Duration;

fn device(sets: &[&str]) -> Device {
    let config = Config::factory()
        .with_sets(sets.iter().copied())
        .unwrap_or_else(|e| panic!("bad test config: {e:?}"));
    let mut d = Device::new(config, Instant::ZERO);
    d.set_platform(Platform {
        unix_ms_at_power_on: 1_700_000_000_000,
        rtc_offset_ms: 0,
        hardware_id: 7,
    });
    d
}

fn drain(d: &mut Device) -> Vec<Action> {
    std::iter::from_fn(|| d.poll_action()).collect()
}

fn from(ip: [u8; 4]) -> SocketAddr {
    SocketAddr::from((ip, 40000))
}

fn net(d: &mut Device, ev: NetEvent, now: Instant) -> Vec<Action> {
    d.handle(Event::Net(ev), now);
    drain(d)
}

#[test]
fn reject_resets_drop_holds_silently_and_accept_serves() {
    let mut d = device(&[
        "system.filter.rules[0].address=127.0.0.3",
        "system.filter.rules[0].rule=reject",
        "system.filter.rules[1].address=127.0.0.4",
        "system.filter.rules[1].rule=drop",
    ]);
    drain(&mut d);
    let t = Instant::ZERO;
    let accept = |conn, ip| NetEvent::Accepted {
        listener: ListenerId::Data,
        conn: ConnId(conn),
        peer: from(ip),
    };
    let a = net(&mut d, accept(1, [127, 0, 0, 3]), t);
    assert!(a.contains(&Action::Reset { conn: ConnId(1) }), "{a:?}");
    assert!(a.iter().any(|x| matches!(
        x,
        Action::Notify(DeviceEvent::FilterRefused {
            service: "port1",
            rule: Some(0),
            ..
        })
    )));
    let a = net(&mut d, accept(2, [127, 0, 0, 4]), t);
    assert!(
        !a.iter().any(|x| matches!(
            x,
            Action::Reset { .. } | Action::Send { .. } | Action::Close { .. }
        )),
        "{a:?}"
    );
    let a = net(
        &mut d,
        NetEvent::Received {
            conn: ConnId(2),
            data: b"hello".to_vec(),
        },
        t,
    );
    assert!(
        a.iter().all(|x| matches!(x, Action::Notify(_))),
        "nothing answers a dropped peer: {a:?}"
    );
    assert_eq!(d.status().stats.serial_tx_bytes, 0);
    let a = net(&mut d, accept(3, [127, 0, 0, 2]), t);
    assert!(
        a.iter()
            .any(|x| matches!(x, Action::Notify(DeviceEvent::SessionOpened { .. }))),
        "{a:?}"
    );
    // The held connection is reset when its time is up.
    let later = t + m2285_core::admin::DROP_HOLD;
    assert_eq!(d.next_deadline().map(|x| x <= later), Some(true));
    d.handle_timeout(later);
    assert!(drain(&mut d).contains(&Action::Reset { conn: ConnId(2) }));
    let counts = d.admin().filter.counts();
    let c = counts.get("port1").copied().unwrap_or_default();
    assert_eq!((c.accepted, c.dropped, c.rejected), (1, 1, 1));
    let log = d.admin().log.since(0);
    assert_eq!(
        log.iter().filter(|e| e.event == "filter_refused").count(),
        2
    );
    assert_eq!(log[0].event, "booted");
    assert_eq!(log[0].time, "2023-11-14T22:13:20.000Z");
}

#[test]
fn syslog_messages_and_sntp_requests_leave_by_the_management_socket() {
    let mut d = device(&[
        "system.log.remote_host=127.0.0.9",
        "system.log.remote_severity=notice",
        "system.clock.ntp_server=127.0.0.9",
    ]);
    let a = drain(&mut d);
    let mgmt_listen = a.iter().position(|x| {
        matches!(
            x,
            Action::Listen {
                listener: ListenerId::Mgmt,
                ..
            }
        )
    });
    let boot_msg = a.iter().position(|x| {
        matches!(
            x,
            Action::SendTo {
                listener: ListenerId::Mgmt,
                port: 514,
                ..
            }
        )
    });
    assert!(
        mgmt_listen.is_some() && boot_msg > mgmt_listen,
        "socket first, then the boot message: {a:?}"
    );
    d.handle_timeout(Instant::ZERO + Duration::from_millis(1));
    let a = drain(&mut d);
    let Some(Action::SendTo {
        data, port: 123, ..
    }) = a
        .iter()
        .find(|x| matches!(x, Action::SendTo { port: 123, .. }))
    else {
        panic!("no SNTP request: {a:?}");
    };
    assert_eq!((data.len(), data[0]), (48, 0x23));
    // Info-level events (a session) are below the threshold: not sent.
    let a = net(
        &mut d,
        NetEvent::Accepted {
            listener: ListenerId::Data,
            conn: ConnId(1),
            peer: from([127, 0, 0, 2]),
        },
        Instant::ZERO + Duration::from_millis(2),
    );
    assert!(
        !a.iter()
            .any(|x| matches!(x, Action::SendTo { port: 514, .. })),
        "{a:?}"
    );
}
