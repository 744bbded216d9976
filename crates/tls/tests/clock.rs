//! The injected clock really drives certificate validity (and reaches Mbed TLS at all).
//!
//! One test per concern that touches the process-wide clock, kept in this file alone so no
//! other test runs while it is set.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use m2285_tls::identity::generate_self_signed;
use m2285_tls::{clock, TlsEngineConfig, TlsEvent, TlsSession};

/// 2030-01-01T00:00:00Z and 2031-01-01T00:00:00Z.
const Y2030: i64 = 1_893_456_000;
const Y2031: i64 = 1_924_992_000;

fn handshake(client_time: Option<i64>) -> Exchange {
    let id = generate_self_signed("future.test", [3; 32], Y2030, Y2031).unwrap();
    let scfg = TlsEngineConfig::server(&server_settings(&id)).unwrap();
    let ccfg = TlsEngineConfig::client(&verifying_client(&id.cert_pem)).unwrap();
    let mut server = TlsSession::new(&scfg, None, [1; 32]).unwrap();
    let mut client =
        TlsSession::with_unix_time(&ccfg, Some("future.test"), [2; 32], client_time).unwrap();
    let mut x = Exchange::default();
    run(&mut client, &mut server, usize::MAX, &mut x);
    x
}

#[test]
fn certificate_validity_follows_the_injected_clock() {
    assert!(
        clock::hook_linked(),
        "this test binary must be linked with -Wl,--wrap=time"
    );

    // Real time (before 2030): the certificate is not valid yet.
    clock::set_unix_time(None);
    assert!(clock::unix_time() < Y2030);
    let x = handshake(None);
    let reason = failure(&x.client_events).unwrap();
    assert!(
        reason.contains("X509CertVerifyFailed") && reason.contains("future"),
        "{reason}"
    );

    // Process-wide clock at 2030-06-01: valid.
    clock::set_unix_time(Some(T2030));
    assert_eq!(clock::unix_time(), T2030);
    let x = handshake(None);
    assert!(completed(&x.client_events).is_some(), "{x:?}");
    assert_eq!(
        &x.c2s[11..15],
        &(T2030 as u32).to_be_bytes(),
        "the ClientHello carries the injected time"
    );

    // A session's own time wins over the process-wide one: 2032 = expired.
    let x = handshake(Some(Y2031 + 365 * 86_400));
    let reason = failure(&x.client_events).unwrap();
    assert!(reason.contains("expired"), "{reason}");

    // ...and back to the real clock.
    clock::set_unix_time(None);
    assert_eq!(clock::configured_unix_time(), None);
    let x = handshake(None);
    assert!(matches!(
        x.client_events.last(),
        Some(TlsEvent::Failed { .. })
    ));
    // With the session's own time in range, it passes even though the real clock is not.
    let x = handshake(Some(T2030));
    assert!(completed(&x.client_events).is_some(), "{x:?}");
}
