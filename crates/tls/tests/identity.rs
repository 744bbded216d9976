//! The on-disk device identity: created once, read back afterwards, checked when read.
#![allow(clippy::unwrap_used)]

mod common;

use std::os::unix::fs::PermissionsExt;

use common::TempDir;
use m2285_tls::identity::{self, fingerprint_sha256, load_or_create, CERT_FILE, KEY_FILE};
use m2285_tls::TlsError;

#[test]
fn created_once_then_read_back() {
    let dir = TempDir::new("identity");
    let sub = dir.path().join("state/tls");
    let first = load_or_create(&sub, "m2285.local", [9; 32]).unwrap();
    let mode = std::fs::metadata(sub.join(KEY_FILE))
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o600);
    assert_eq!(std::fs::read(sub.join(CERT_FILE)).unwrap(), first.cert_pem);
    assert!(first.cert_pem.starts_with(b"-----BEGIN CERTIFICATE-----"));
    assert!(!sub.join("device.key.tmp").exists());

    // Afterwards the files win, whatever the arguments say.
    let again = load_or_create(&sub, "other-name", [1; 32]).unwrap();
    assert_eq!(again, first);
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
        &sub,
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
    common::openssl(&sub, &["pkey", "-in", KEY_FILE, "-noout"]);
    let out = common::openssl(
        &sub,
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
fn broken_or_half_pairs_are_errors_naming_the_file() {
    let dir = TempDir::new("identity-bad");
    let id = load_or_create(dir.path(), "m2285.local", [9; 32]).unwrap();

    std::fs::remove_file(dir.path().join(KEY_FILE)).unwrap();
    let e = load_or_create(dir.path(), "m2285.local", [9; 32]).unwrap_err();
    assert!(
        matches!(&e, TlsError::Io { path, .. } if path.ends_with(KEY_FILE)),
        "{e}"
    );
    assert!(e.to_string().contains("remove both"), "{e}");

    std::fs::write(dir.path().join(KEY_FILE), b"not a key").unwrap();
    let e = load_or_create(dir.path(), "m2285.local", [9; 32]).unwrap_err();
    assert!(
        e.to_string().contains(KEY_FILE) && e.to_string().contains("private key"),
        "{e}"
    );

    let other =
        identity::generate_self_signed("x", [3; 32], 0, identity::DEFAULT_NOT_AFTER).unwrap();
    std::fs::write(dir.path().join(KEY_FILE), &other.key_pem).unwrap();
    let e = load_or_create(dir.path(), "m2285.local", [9; 32]).unwrap_err();
    assert!(e.to_string().contains("does not match"), "{e}");

    // A user's own pair (with a trailing NUL, as some tools write) is accepted.
    let mut cert = id.cert_pem.clone();
    cert.push(0);
    std::fs::write(dir.path().join(CERT_FILE), &cert).unwrap();
    std::fs::write(dir.path().join(KEY_FILE), &id.key_pem).unwrap();
    assert_eq!(
        load_or_create(dir.path(), "ignored", [0; 32])
            .unwrap()
            .cert_pem,
        cert
    );

    assert!(fingerprint_sha256(b"garbage").is_err());
}
