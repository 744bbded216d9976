//! The device's TLS clock is the device's date at the `now` of each call (docs/tls.md "The
//! device's TLS clock"): the platform's Unix time at device time zero, plus the device time, plus
//! the RTC offset. Never the host clock, never frozen when a session or the stack is built.
//!
//! Mbed TLS writes its clock into the first four bytes of the ServerHello random
//! (`gmt_unix_time`), so each test reads the device's "now" off the wire.

use m2285_core::admin::Platform;
use m2285_core::io::{Action, ConnId, ListenerId, NetEvent};
use m2285_core::{Config, Device, Event, TlsMaterial};
use m2285_time::Instant;
use m2285_tls::{identity, TlsEngineConfig, TlsSession, TlsSettings};
use std::net::SocketAddr;
use std::time::Duration;

/// 2026-01-01T00:00:00Z: the platform's Unix time at device time zero in these tests.
const T0: i64 = 1_767_225_600;

fn ok<T, E: std::fmt::Debug>(r: Result<T, E>) -> T {
    r.unwrap_or_else(|e| panic!("{e:?}"))
}

/// A device serving TLS on its data port, its platform clock starting at `T0`.
fn tls_device() -> Device {
    let config = ok(Config::factory().with_sets(["port1.crypto.method=ssl"]));
    let mut d = Device::new(config, Instant::ZERO);
    d.set_platform(Platform {
        unix_ms_at_power_on: T0 * 1000,
        rtc_offset_ms: 0,
        hardware_id: 7,
    });
    let year = 365 * 24 * 3600;
    let id = ok(identity::generate_self_signed(
        "127.0.0.1",
        [5; 32],
        T0 - year,
        T0 + 10 * year,
    ));
    d.install_tls(TlsMaterial {
        cert_chain_pem: id.cert_pem,
        key_pem: id.key_pem,
        ca_pem: None,
    });
    d
}

fn drain(d: &mut Device) -> Vec<Action> {
    std::iter::from_fn(|| d.poll_action()).collect()
}

/// Opens connection `conn` at `now`, sends a ClientHello and returns the `gmt_unix_time` of the
/// device's ServerHello.
fn server_hello_time(d: &mut Device, conn: u64, now: Instant) -> u32 {
    drain(d);
    let peer = SocketAddr::from(([127, 0, 0, 1], 40_000 + conn as u16));
    d.handle(
        Event::Net(NetEvent::Accepted {
            listener: ListenerId::Data,
            conn: ConnId(conn),
            peer,
        }),
        now,
    );
    drain(d);
    // The client's own clock is far from the device's, so nothing here can come from it.
    let cfg = ok(TlsEngineConfig::client(&TlsSettings::default()));
    let mut client = ok(TlsSession::with_unix_time(&cfg, None, [9; 32], Some(1)));
    let hello = client.take_ciphertext();
    assert!(!hello.is_empty(), "the client sends a ClientHello");
    d.handle(
        Event::Net(NetEvent::Received {
            conn: ConnId(conn),
            data: hello,
        }),
        now,
    );
    let reply: Vec<u8> = drain(d)
        .into_iter()
        .filter_map(|a| match a {
            Action::Send { conn: c, data } if c == ConnId(conn) => Some(data),
            _ => None,
        })
        .flatten()
        .collect();
    // Record header (5 bytes), handshake header (4: type 2 = ServerHello), version (2), random.
    assert!(
        reply.len() >= 15 && reply[0] == 0x16 && reply[5] == 2,
        "expected a ServerHello, got {reply:02x?}"
    );
    u32::from_be_bytes([reply[11], reply[12], reply[13], reply[14]])
}

fn at(secs: u64) -> Instant {
    Instant::ZERO + Duration::from_secs(secs)
}

#[test]
fn tls_sees_the_platform_time_plus_the_device_time_of_each_call() {
    let mut d = tls_device();
    assert_eq!(i64::from(server_hello_time(&mut d, 1, at(5))), T0 + 5);
    // Nothing rebuilt the stack in between: a later session still sees the time move on.
    assert_eq!(i64::from(server_hello_time(&mut d, 2, at(1000))), T0 + 1000);
    assert_eq!(
        i64::from(server_hello_time(&mut d, 3, at(86_400))),
        T0 + 86_400
    );
}

#[test]
fn setting_the_device_clock_moves_the_tls_clock() {
    let mut d = tls_device();
    let set_to = T0 + 50_000;
    d.set_clock(set_to * 1000, at(10));
    assert_eq!(i64::from(server_hello_time(&mut d, 1, at(10))), set_to);
    assert_eq!(i64::from(server_hello_time(&mut d, 2, at(70))), set_to + 60);
}

#[test]
fn the_kept_rtc_offset_counts_after_a_power_on() {
    let mut d = tls_device();
    // Same device, told at power-on of the RTC offset the state directory kept (an hour).
    d.set_platform(Platform {
        unix_ms_at_power_on: T0 * 1000,
        rtc_offset_ms: 3_600_000,
        hardware_id: 7,
    });
    assert_eq!(i64::from(server_hello_time(&mut d, 1, at(2))), T0 + 3_602);
}
