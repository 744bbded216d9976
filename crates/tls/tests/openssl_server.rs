//! `openssl s_client` against this crate's server role, over 127.0.0.1 sockets.
//!
//! Every child process is killed when its test ends, and every loop is bounded in time.
#![allow(clippy::unwrap_used)]

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;

use common::*;
use m2285_tls::{TlsEngineConfig, TlsEvent, TlsSettings};

const SERVER_CN: &str = "device.test";

#[test]
fn s_client_echo_through_our_server() {
    let pki = Pki::new("echo", SERVER_CN);
    let cfg = TlsEngineConfig::server(&pki_server_settings(&pki)).unwrap();
    let data: Vec<u8> = (0..50_000u32).map(|i| (i % 256) as u8).collect();
    let (port, server) = echo_server(cfg, data.len());
    let ca = pki.path("ca.pem");
    let (ok, out, err) = s_client(
        port,
        &[
            "-CAfile",
            &ca,
            "-verify_hostname",
            SERVER_CN,
            "-verify_return_error",
        ],
        data.clone(),
    );
    let log = server.join().unwrap();
    assert!(ok, "s_client failed: {err}\n{:?}", log.events);
    assert_eq!(out.len(), data.len());
    assert!(out == data, "echo is not byte-exact");
    match completed(&log.events) {
        Some(TlsEvent::HandshakeComplete {
            version,
            ciphersuite,
            ..
        }) => {
            eprintln!(
                "openssl s_client -> our server: {version} {ciphersuite}, handshake {:?}",
                log.handshake_time
            );
            assert_eq!(version, "TLSv1.2");
            assert!(
                ciphersuite.starts_with("TLS_ECDHE_ECDSA_WITH_"),
                "{ciphersuite}"
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn s_client_with_our_self_signed_identity_and_an_rsa_pkcs1_key() {
    // The device's generated identity, trusted directly by s_client.
    let id = self_signed(SERVER_CN, 7);
    let dir = TempDir::new("selfsigned");
    std::fs::write(dir.path().join("device.crt"), &id.cert_pem).unwrap();
    let cfg = TlsEngineConfig::server(&server_settings(&id)).unwrap();
    let (port, server) = echo_server(cfg, 5);
    let ca = dir.path().join("device.crt").to_string_lossy().into_owned();
    let (ok, out, err) = s_client(
        port,
        &[
            "-CAfile",
            &ca,
            "-verify_hostname",
            SERVER_CN,
            "-verify_return_error",
        ],
        b"hello".to_vec(),
    );
    let log = server.join().unwrap();
    assert!(ok && out == b"hello", "{err}\n{:?}", log.events);

    // An RSA key in PKCS#1 form ("BEGIN RSA PRIVATE KEY"), with a trailing NUL for good
    // measure: ECDHE-RSA suites.
    openssl(
        dir.path(),
        &["genrsa", "-traditional", "-out", "rsa.key", "2048"],
    );
    openssl(
        dir.path(),
        &[
            "req",
            "-new",
            "-x509",
            "-key",
            "rsa.key",
            "-out",
            "rsa.pem",
            "-subj",
            "/CN=device.test",
            "-days",
            "30",
        ],
    );
    let mut key = dir.read("rsa.key");
    assert!(key.starts_with(b"-----BEGIN RSA PRIVATE KEY-----"));
    key.push(0);
    let settings = TlsSettings {
        cert_chain_pem: dir.read("rsa.pem"),
        key_pem: key,
        ..TlsSettings::default()
    };
    let (port, server) = echo_server(TlsEngineConfig::server(&settings).unwrap(), 3);
    let ca = dir.path().join("rsa.pem").to_string_lossy().into_owned();
    let (ok, out, err) = s_client(
        port,
        &["-CAfile", &ca, "-verify_return_error"],
        b"rsa".to_vec(),
    );
    let log = server.join().unwrap();
    assert!(ok && out == b"rsa", "{err}\n{:?}", log.events);
    assert!(
        matches!(completed(&log.events), Some(TlsEvent::HandshakeComplete { ciphersuite, .. }) if ciphersuite.starts_with("TLS_ECDHE_RSA_WITH_"))
    );
}

#[test]
fn client_authentication_by_certificate() {
    let pki = Pki::new("mtls", SERVER_CN);
    let settings = TlsSettings {
        verify_peer: true,
        ca_pem: Some(pki.file("ca.pem")),
        ..pki_server_settings(&pki)
    };
    let cfg = TlsEngineConfig::server(&settings).unwrap();
    let ca = pki.path("ca.pem");
    let verify = [
        "-CAfile",
        ca.as_str(),
        "-verify_hostname",
        SERVER_CN,
        "-verify_return_error",
    ];

    // No client certificate: refused.
    let (port, server) = echo_server(cfg.clone(), 4);
    let (ok, out, err) = s_client(port, &verify, b"ping".to_vec());
    let log = server.join().unwrap();
    assert!(!ok && out.is_empty(), "s_client should fail: {err}");
    let reason = failure(&log.events).unwrap();
    assert!(reason.contains("SslNoClientCertificate"), "{reason}");
    assert!(
        err.contains("alert handshake failure"),
        "s_client was told: {err}"
    );

    // A certificate signed by the configured CA: accepted, PKCS#8 key.
    let (port, server) = echo_server(cfg.clone(), 4);
    let (cert, key) = (pki.path("client.pem"), pki.path("client.key"));
    let mut args = verify.to_vec();
    args.extend(["-cert", cert.as_str(), "-key", key.as_str()]);
    let (ok, out, err) = s_client(port, &args, b"ping".to_vec());
    let log = server.join().unwrap();
    assert!(ok && out == b"ping", "{err}\n{:?}", log.events);
    assert!(
        matches!(completed(&log.events), Some(TlsEvent::HandshakeComplete { peer_cert_subject: Some(s), .. }) if s == "CN=serial-client-7")
    );

    // A certificate from an unrelated CA: refused, with the reason.
    let dir = pki.dir.path();
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            "rogue.key",
            "-out",
            "rogue.pem",
            "-subj",
            "/CN=rogue",
            "-days",
            "30",
        ],
    );
    let (port, server) = echo_server(cfg, 4);
    let (cert, key) = (pki.path("rogue.pem"), pki.path("rogue.key"));
    let mut args = verify.to_vec();
    args.extend(["-cert", cert.as_str(), "-key", key.as_str()]);
    let (ok, _, _) = s_client(port, &args, b"ping".to_vec());
    let log = server.join().unwrap();
    assert!(!ok);
    assert!(
        failure(&log.events)
            .unwrap()
            .contains("not correctly signed"),
        "{:?}",
        log.events
    );
}

#[test]
fn garbage_and_old_versions_are_refused() {
    let pki = Pki::new("refuse", SERVER_CN);
    let cfg = TlsEngineConfig::server(&pki_server_settings(&pki)).unwrap();

    // TLS 1.1 only: protocol_version alert.
    let (port, server) = echo_server(cfg.clone(), 1);
    let (ok, _, err) = s_client(
        port,
        &["-tls1_1", "-cipher", "DEFAULT:@SECLEVEL=0"],
        b"x".to_vec(),
    );
    let log = server.join().unwrap();
    assert!(!ok);
    assert!(
        failure(&log.events)
            .unwrap()
            .contains("SslBadHsProtocolVersion"),
        "{:?}",
        log.events
    );
    assert!(
        err.contains("alert protocol version") || err.contains("unsupported protocol"),
        "{err}"
    );

    // Plaintext HTTP: Failed, an alert back, the connection closed.
    let (port, server) = echo_server(cfg, 1);
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(LIMIT)).unwrap();
    s.write_all(b"GET / HTTP/1.1\r\nHost: device\r\n\r\n")
        .unwrap();
    let mut back = Vec::new();
    let _ = s.read_to_end(&mut back);
    let log = server.join().unwrap();
    assert!(failure(&log.events).is_some(), "{:?}", log.events);
    assert_eq!(back.first(), Some(&0x15), "an alert record: {back:?}");
}

#[test]
fn chain_with_an_intermediate_and_a_sec1_key() {
    let pki = Pki::new("chain", SERVER_CN);
    let d = pki.dir.path();
    std::fs::write(
        d.join("int.ext"),
        "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign\n",
    )
    .unwrap();
    std::fs::write(
        d.join("leaf.ext"),
        format!("subjectAltName=DNS:{SERVER_CN}\n"),
    )
    .unwrap();
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
    ];
    let mut args = vec!["req"];
    args.extend(ec);
    args.extend([
        "-keyout",
        "int.key",
        "-out",
        "int.csr",
        "-subj",
        "/CN=Intermediate",
    ]);
    openssl(d, &args);
    openssl(
        d,
        &[
            "x509",
            "-req",
            "-in",
            "int.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "int.pem",
            "-days",
            "30",
            "-extfile",
            "int.ext",
        ],
    );
    let mut args = vec!["req"];
    args.extend(ec);
    args.extend([
        "-keyout",
        "leaf.key",
        "-out",
        "leaf.csr",
        "-subj",
        "/CN=device.test",
    ]);
    openssl(d, &args);
    openssl(
        d,
        &[
            "x509",
            "-req",
            "-in",
            "leaf.csr",
            "-CA",
            "int.pem",
            "-CAkey",
            "int.key",
            "-CAcreateserial",
            "-out",
            "leaf.pem",
            "-days",
            "30",
            "-extfile",
            "leaf.ext",
        ],
    );
    openssl(d, &["ec", "-in", "leaf.key", "-out", "leaf.sec1"]);
    let key = pki.file("leaf.sec1");
    assert!(key.starts_with(b"-----BEGIN EC PRIVATE KEY-----"));
    let mut chain = pki.file("leaf.pem");
    chain.extend(pki.file("int.pem"));
    let settings = TlsSettings {
        cert_chain_pem: chain,
        key_pem: key,
        ..TlsSettings::default()
    };
    let (port, server) = echo_server(TlsEngineConfig::server(&settings).unwrap(), 5);
    let ca = pki.path("ca.pem");
    let (ok, out, err) = s_client(
        port,
        &[
            "-CAfile",
            &ca,
            "-verify_hostname",
            SERVER_CN,
            "-verify_return_error",
        ],
        b"chain".to_vec(),
    );
    let log = server.join().unwrap();
    assert!(ok && out == b"chain", "{err}\n{:?}", log.events);
}
