//! This crate's client role against `openssl s_server`, over 127.0.0.1 sockets.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use m2285_tls::TlsEvent;

const SERVER_CN: &str = "device.test";

#[test]
fn our_client_against_s_server() {
    let pki = Pki::new("client", SERVER_CN);
    let trusting = verifying_client(&pki.file("ca.pem"));

    let (port, _server) = s_server(&pki, "server.pem", "server.key");
    let log = our_client(port, &trusting, SERVER_CN, b"abc-123\n");
    assert_eq!(plaintext(&log.events), b"321-cba\n", "{:?}", log.events);
    match completed(&log.events) {
        Some(TlsEvent::HandshakeComplete {
            version,
            ciphersuite,
            peer_cert_subject,
        }) => {
            eprintln!(
                "our client -> openssl s_server: {version} {ciphersuite}, handshake {:?}",
                log.handshake_time
            );
            assert_eq!(version, "TLSv1.2");
            assert_eq!(peer_cert_subject.as_deref(), Some("CN=device.test"));
        }
        other => panic!("{other:?}"),
    }

    // Wrong host name.
    let (port, _server) = s_server(&pki, "server.pem", "server.key");
    let log = our_client(port, &trusting, "elsewhere.test", b"x\n");
    let reason = failure(&log.events).unwrap();
    assert!(
        reason.contains("X509CertVerifyFailed") && reason.contains("Common Name"),
        "{reason}"
    );

    // Unknown CA.
    let (port, _server) = s_server(&pki, "server.pem", "server.key");
    let stranger = verifying_client(&pki.file("other-ca.pem"));
    let log = our_client(port, &stranger, SERVER_CN, b"x\n");
    let reason = failure(&log.events).unwrap();
    assert!(
        reason.contains("not correctly signed by the trusted CA"),
        "{reason}"
    );

    // A CA bundle of several certificates (the right one second) is fine.
    let mut bundle = pki.file("other-ca.pem");
    bundle.extend(pki.file("ca.pem"));
    let (port, _server) = s_server(&pki, "server.pem", "server.key");
    let log = our_client(port, &verifying_client(&bundle), SERVER_CN, b"ok\n");
    assert_eq!(plaintext(&log.events), b"ko\n", "{:?}", log.events);
}
