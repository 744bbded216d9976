//! The device identity: generated deterministically, read by OpenSSL, checked when read back.
//! (Keeping it on disk is the runtime's job: crates/sim/src/tls_files.rs.)
#![allow(clippy::unwrap_used)]

mod common;

use common::TempDir;
use m2285_tls::identity::{self, check, fingerprint_sha256, generate_default, Identity};
use m2285_tls::TlsError;

const CERT_FILE: &str = "device.crt";
const KEY_FILE: &str = "device.key";

#[test]
fn generated_pairs_are_deterministic_and_openssl_reads_them() {
    let dir = TempDir::new("identity");
    let sub = dir.path();
    let first = generate_default("m2285.local", [9; 32]).unwrap();
    std::fs::write(sub.join(CERT_FILE), &first.cert_pem).unwrap();
    std::fs::write(sub.join(KEY_FILE), &first.key_pem).unwrap();
    assert!(first.cert_pem.starts_with(b"-----BEGIN CERTIFICATE-----"));
    check(&first).unwrap();
    let expected = identity::generate_self_signed(
        "m2285.local",
        [9; 32],
        identity::DEFAULT_NOT_BEFORE,
        identity::DEFAULT_NOT_AFTER,
    )
    .unwrap();
    assert_eq!(expected, first, "deterministic from the seed");

    // The fingerprint matches OpenSSL's.
    let out = common::openssl(
        sub,
        &[
            "x509",
            "-in",
            CERT_FILE,
            "-noout",
            "-fingerprint",
            "-sha256",
        ],
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        text.trim().rsplit('=').next().unwrap(),
        fingerprint_sha256(&first.cert_pem).unwrap()
    );
    // ...and OpenSSL reads the key and sees the subject and SAN.
    common::openssl(sub, &["pkey", "-in", KEY_FILE, "-noout"]);
    let out = common::openssl(
        sub,
        &[
            "x509",
            "-in",
            CERT_FILE,
            "-noout",
            "-subject",
            "-ext",
            "subjectAltName",
        ],
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("CN = m2285.local") && text.contains("DNS:m2285.local"),
        "{text}"
    );
}

#[test]
fn broken_pairs_are_errors_naming_the_half_at_fault() {
    let id = generate_default("m2285.local", [9; 32]).unwrap();
    let with_key = |key_pem: &[u8]| Identity {
        cert_pem: id.cert_pem.clone(),
        key_pem: key_pem.to_vec(),
    };
    let e = check(&with_key(b"not a key")).unwrap_err();
    assert!(
        matches!(&e, TlsError::Pem { what, .. } if *what == "private key"),
        "{e}"
    );
    let other =
        identity::generate_self_signed("x", [3; 32], 0, identity::DEFAULT_NOT_AFTER).unwrap();
    let e = check(&with_key(&other.key_pem)).unwrap_err();
    assert!(e.to_string().contains("does not match"), "{e}");
    let e = check(&Identity {
        cert_pem: b"garbage".to_vec(),
        key_pem: id.key_pem.clone(),
    })
    .unwrap_err();
    assert!(
        matches!(&e, TlsError::Pem { what, .. } if *what == "certificate chain"),
        "{e}"
    );

    // A user's own pair (with a trailing NUL, as some tools write) is accepted.
    let mut cert = id.cert_pem.clone();
    cert.push(0);
    check(&Identity {
        cert_pem: cert,
        key_pem: id.key_pem.clone(),
    })
    .unwrap();

    assert!(fingerprint_sha256(b"garbage").is_err());
}
