//! Client and server sessions of this crate talking to each other through memory.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use m2285_tls::{TlsEngineConfig, TlsEvent, TlsSession, TlsSettings, TlsVersion};

fn pair_cfgs() -> (TlsEngineConfig, TlsEngineConfig) {
    let id = self_signed("device.test", 1);
    let server = TlsEngineConfig::server(&server_settings(&id)).unwrap();
    let client = TlsEngineConfig::client(&verifying_client(&id.cert_pem)).unwrap();
    (server, client)
}

#[test]
fn handshake_data_both_ways_and_close() {
    let (scfg, ccfg) = pair_cfgs();
    let mut server = session(&scfg, None, 2);
    let mut client = session(&ccfg, Some("device.test"), 3);
    // Handed over before the handshake: buffered, then sent.
    client.send_plaintext(b"early ");
    let mut x = Exchange::default();
    run(&mut client, &mut server, usize::MAX, &mut x);
    assert!(client.is_established() && server.is_established());
    match completed(&x.client_events) {
        Some(TlsEvent::HandshakeComplete {
            version,
            ciphersuite,
            peer_cert_subject,
        }) => {
            assert_eq!(version, "TLSv1.2");
            assert_eq!(ciphersuite, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256");
            assert_eq!(peer_cert_subject.as_deref(), Some("CN=device.test"));
        }
        other => panic!("no handshake: {other:?} {x:?}"),
    }
    assert!(matches!(
        completed(&x.server_events),
        Some(TlsEvent::HandshakeComplete {
            peer_cert_subject: None,
            ..
        })
    ));
    assert_eq!(plaintext(&x.server_events), b"early ");

    // 40 000 bytes take three records; deliver them 7 bytes at a time.
    let big: Vec<u8> = (0..40_000u32).map(|i| (i * 7 % 251) as u8).collect();
    server.send_plaintext(&big);
    let mut x = Exchange::default();
    run(&mut client, &mut server, 7, &mut x);
    assert_eq!(plaintext(&x.client_events), big);

    client.close();
    client.send_plaintext(b"dropped after close");
    let mut x = Exchange::default();
    run(&mut client, &mut server, usize::MAX, &mut x);
    assert_eq!(x.server_events, vec![TlsEvent::PeerClosed]);
    assert!(!client.is_finished());
    server.send_plaintext(b"last words");
    server.close();
    run(&mut client, &mut server, usize::MAX, &mut x);
    assert_eq!(
        x.client_events,
        vec![
            TlsEvent::Plaintext(b"last words".to_vec()),
            TlsEvent::PeerClosed
        ]
    );
    assert!(client.is_finished() && server.is_finished());
}

fn transcript(client_seed: u8, server_seed: u8, chunk: usize) -> Exchange {
    let (scfg, ccfg) = pair_cfgs();
    let mut server =
        TlsSession::with_unix_time(&scfg, None, [server_seed; 32], Some(T2030)).unwrap();
    let mut client =
        TlsSession::with_unix_time(&ccfg, Some("device.test"), [client_seed; 32], Some(T2030))
            .unwrap();
    let mut x = Exchange::default();
    run(&mut client, &mut server, chunk, &mut x);
    client.send_plaintext(b"ping");
    run(&mut client, &mut server, chunk, &mut x);
    server.send_plaintext(b"pong");
    server.close();
    run(&mut client, &mut server, chunk, &mut x);
    client.close();
    run(&mut client, &mut server, chunk, &mut x);
    assert!(client.is_finished() && server.is_finished(), "{x:?}");
    x
}

#[test]
fn same_seed_and_clock_give_identical_transcripts() {
    let a = transcript(10, 20, usize::MAX);
    let b = transcript(10, 20, usize::MAX);
    let drip = transcript(10, 20, 5);
    assert_eq!(a.c2s, b.c2s);
    assert_eq!(a.s2c, b.s2c);
    assert_eq!(a.client_events, b.client_events);
    assert_eq!(
        (&a.c2s, &a.s2c),
        (&drip.c2s, &drip.s2c),
        "chunking must not matter"
    );
    // gmt_unix_time in the ClientHello random is the injected clock.
    assert_eq!(&a.c2s[11..15], &(T2030 as u32).to_be_bytes());

    let other_client = transcript(11, 20, usize::MAX);
    assert_ne!(a.c2s, other_client.c2s);
    let other_server = transcript(10, 21, usize::MAX);
    assert_eq!(
        a.c2s[..100],
        other_server.c2s[..100],
        "the ClientHello depends on the client seed only"
    );
    assert_ne!(a.s2c, other_server.s2c);
}

#[test]
fn wrong_host_name_and_unknown_ca_fail_with_reasons() {
    let (scfg, ccfg) = pair_cfgs();
    let mut server = session(&scfg, None, 2);
    let mut client = session(&ccfg, Some("other.test"), 3);
    let mut x = Exchange::default();
    run(&mut client, &mut server, usize::MAX, &mut x);
    let reason = failure(&x.client_events).unwrap();
    assert!(
        reason.contains("X509CertVerifyFailed") && reason.contains("Common Name"),
        "{reason}"
    );
    // The alert reached the server, which fails as well instead of waiting forever.
    assert!(failure(&x.server_events).is_some(), "{x:?}");
    assert!(!client.is_established() && client.is_finished());

    let stranger = self_signed("device.test", 9);
    let ccfg = TlsEngineConfig::client(&verifying_client(&stranger.cert_pem)).unwrap();
    let mut server = session(&scfg, None, 2);
    let mut client = session(&ccfg, Some("device.test"), 3);
    let mut x = Exchange::default();
    run(&mut client, &mut server, usize::MAX, &mut x);
    let reason = failure(&x.client_events).unwrap();
    assert!(
        reason.contains("not correctly signed by the trusted CA"),
        "{reason}"
    );
}

#[test]
fn client_certificates_when_the_server_requires_them() {
    let server_id = self_signed("device.test", 1);
    let client_id = self_signed("serial-client", 4);
    let server_settings = TlsSettings {
        verify_peer: true,
        ca_pem: Some(client_id.cert_pem.clone()),
        ..server_settings(&server_id)
    };
    let scfg = TlsEngineConfig::server(&server_settings).unwrap();

    // Without a client certificate: refused, and the client is told.
    let ccfg = TlsEngineConfig::client(&verifying_client(&server_id.cert_pem)).unwrap();
    let (mut server, mut client) = (
        session(&scfg, None, 2),
        session(&ccfg, Some("device.test"), 3),
    );
    let mut x = Exchange::default();
    run(&mut client, &mut server, usize::MAX, &mut x);
    let reason = failure(&x.server_events).unwrap();
    assert!(
        reason.contains("SslNoClientCertificate") && reason.contains("client sent no certificate"),
        "{reason}"
    );
    let creason = failure(&x.client_events).unwrap();
    assert!(creason.contains("SslFatalAlertMessage"), "{creason}");

    // With one.
    let with_cert = TlsSettings {
        cert_chain_pem: client_id.cert_pem.clone(),
        key_pem: client_id.key_pem.clone(),
        ..verifying_client(&server_id.cert_pem)
    };
    let ccfg = TlsEngineConfig::client(&with_cert).unwrap();
    let (mut server, mut client) = (
        session(&scfg, None, 2),
        session(&ccfg, Some("device.test"), 3),
    );
    let mut x = Exchange::default();
    run(&mut client, &mut server, usize::MAX, &mut x);
    match completed(&x.server_events) {
        Some(TlsEvent::HandshakeComplete {
            peer_cert_subject, ..
        }) => {
            assert_eq!(peer_cert_subject.as_deref(), Some("CN=serial-client"))
        }
        other => panic!("{other:?} {x:?}"),
    }

    // With a certificate the server does not trust.
    let stranger = self_signed("serial-client", 5);
    let bad = TlsSettings {
        cert_chain_pem: stranger.cert_pem,
        key_pem: stranger.key_pem,
        ..with_cert
    };
    let ccfg = TlsEngineConfig::client(&bad).unwrap();
    let (mut server, mut client) = (
        session(&scfg, None, 2),
        session(&ccfg, Some("device.test"), 3),
    );
    let mut x = Exchange::default();
    run(&mut client, &mut server, usize::MAX, &mut x);
    let reason = failure(&x.server_events).unwrap();
    assert!(reason.contains("X509CertVerifyFailed"), "{reason}");
    assert!(failure(&x.client_events).is_some());
}

#[test]
fn plaintext_garbage_to_a_server_fails_and_is_answered_with_an_alert() {
    let (scfg, _) = pair_cfgs();
    let mut server = session(&scfg, None, 2);
    server.receive_ciphertext(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    let reason = failure(&drain(&mut server)).unwrap();
    assert!(reason.starts_with("SslBadHsClientHello"), "{reason}");
    assert!(
        reason.contains("does not speak TLS (it sent \"GET / HTTP/1\"...)"),
        "{reason}"
    );
    let out = server.take_ciphertext();
    assert_eq!(out.first(), Some(&0x15), "an alert record: {out:?}");
    // A dead session ignores further input and never panics.
    server.receive_ciphertext(&[0x16, 3, 3, 0, 1, 0]);
    server.send_plaintext(b"x");
    assert!(server.poll_event().is_none());
    assert!(server.is_finished());
}

#[test]
fn suite_lists_and_settings_errors() {
    let id = self_signed("device.test", 1);
    let mut s = server_settings(&id);
    s.ciphersuites = vec!["ECDHE-ECDSA-CHACHA20-POLY1305".into()];
    let scfg = TlsEngineConfig::server(&s).unwrap();
    let ccfg = TlsEngineConfig::client(&verifying_client(&id.cert_pem)).unwrap();
    let (mut server, mut client) = (
        session(&scfg, None, 2),
        session(&ccfg, Some("device.test"), 3),
    );
    let mut x = Exchange::default();
    run(&mut client, &mut server, usize::MAX, &mut x);
    assert!(
        matches!(completed(&x.client_events), Some(TlsEvent::HandshakeComplete { ciphersuite, .. }) if ciphersuite == "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"),
        "{x:?}"
    );

    // No common suite: both sides fail.
    let mut c = verifying_client(&id.cert_pem);
    c.ciphersuites = vec!["TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384".into()];
    let ccfg = TlsEngineConfig::client(&c).unwrap();
    let (mut server, mut client) = (
        session(&scfg, None, 2),
        session(&ccfg, Some("device.test"), 3),
    );
    let mut x = Exchange::default();
    run(&mut client, &mut server, usize::MAX, &mut x);
    assert!(
        failure(&x.server_events)
            .unwrap()
            .contains("NoCipherChosen"),
        "{x:?}"
    );
    assert!(failure(&x.client_events).is_some());

    let mut bad = server_settings(&id);
    bad.ciphersuites = vec![
        "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256".into(),
        "RC4-MD5".into(),
    ];
    let e = TlsEngineConfig::server(&bad).unwrap_err().to_string();
    assert!(e.contains("\"RC4-MD5\""), "{e}");

    let mut v13 = server_settings(&id);
    v13.min_version = TlsVersion::Tls1_3;
    v13.max_version = TlsVersion::Tls1_3;
    assert!(TlsEngineConfig::server(&v13)
        .unwrap_err()
        .to_string()
        .contains("TLSv1.3"));

    let e = TlsEngineConfig::server(&TlsSettings::default())
        .unwrap_err()
        .to_string();
    assert!(e.contains("cert_chain_pem"), "{e}");
    let e = TlsEngineConfig::client(&TlsSettings {
        verify_peer: true,
        ..TlsSettings::default()
    })
    .unwrap_err();
    assert!(e.to_string().contains("ca_pem"), "{e}");
    let other = self_signed("device.test", 2);
    let mismatched = TlsSettings {
        key_pem: other.key_pem,
        ..server_settings(&id)
    };
    let e = TlsEngineConfig::server(&mismatched)
        .unwrap_err()
        .to_string();
    assert!(e.contains("does not match"), "{e}");
    let e = TlsSession::new(&ccfg, None, [0; 32])
        .unwrap_err()
        .to_string();
    assert!(e.contains("host name"), "{e}");
    let swapped = TlsSettings {
        cert_chain_pem: id.key_pem.clone(),
        key_pem: id.cert_pem.clone(),
        ..TlsSettings::default()
    };
    assert!(TlsEngineConfig::server(&swapped).is_err());
}

#[test]
fn unverified_client_without_a_server_name() {
    let (scfg, _) = pair_cfgs();
    let ccfg = TlsEngineConfig::client(&TlsSettings::default()).unwrap();
    let (mut server, mut client) = (session(&scfg, None, 2), session(&ccfg, None, 3));
    let mut x = Exchange::default();
    run(&mut client, &mut server, usize::MAX, &mut x);
    assert!(client.is_established() && server.is_established(), "{x:?}");
}

#[test]
fn sessions_and_configs_can_move_between_threads() {
    fn send<T: Send>() {}
    fn sync<T: Send + Sync>() {}
    send::<TlsSession>();
    sync::<TlsEngineConfig>();
    let (scfg, ccfg) = pair_cfgs();
    let mut client = session(&ccfg, Some("device.test"), 3);
    let mut server = std::thread::spawn(move || session(&scfg, None, 2))
        .join()
        .unwrap();
    let mut x = Exchange::default();
    run(&mut client, &mut server, usize::MAX, &mut x);
    assert!(client.is_established());
}
