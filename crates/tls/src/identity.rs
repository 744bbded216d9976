//! The device's own certificate and key: deterministic self-signed generation, the check of a
//! pair read back, and fingerprints.
//!
//! This crate does no file I/O: the runtime keeps the pair in the device's state directory
//! (through `m2285-hostfs`, which creates files without following planted links) and hands the
//! PEM bytes in and out of these functions.

use std::net::IpAddr;

use mbedtls::hash::{Md, Type as MdType};
use mbedtls::pk::{EcGroupId, Pk};
use mbedtls::x509::certificate::Builder;
use mbedtls::x509::Time;

use crate::rng::SeededRng;
use crate::{pem, TlsError};

/// 2020-01-01T00:00:00Z: `notBefore` of the certificate [`generate_default`] makes.
pub const DEFAULT_NOT_BEFORE: i64 = 1_577_836_800;
/// 2049-12-31T23:59:59Z: `notAfter` of the certificate [`generate_default`] makes (the last
/// second X.509 UTCTime can express).
pub const DEFAULT_NOT_AFTER: i64 = 2_524_607_999;

/// A certificate and its private key, both PEM (no trailing NUL), ready for
/// [`crate::TlsSettings::cert_chain_pem`] and [`crate::TlsSettings::key_pem`].
#[derive(Clone, PartialEq, Eq)]
pub struct Identity {
    /// The certificate (chain), PEM.
    pub cert_pem: Vec<u8>,
    /// The private key, PEM.
    pub key_pem: Vec<u8>,
}

impl std::fmt::Debug for Identity {
    /// Never prints the key.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Identity")
            .field("cert_pem", &String::from_utf8_lossy(&self.cert_pem))
            .field("key_pem", &"<redacted>")
            .finish()
    }
}

/// Makes a self-signed P-256 certificate for `common_name`, valid from `not_before` to
/// `not_after` (seconds since the Unix epoch, UTC).
///
/// Everything (key, serial, ECDSA signature) comes from `seed`, so the same arguments always
/// give the same certificate. A host name or IP address as `common_name` is also put in the
/// subjectAltName, which modern clients check instead of the CN.
pub fn generate_self_signed(
    common_name: &str,
    seed: [u8; 32],
    not_before: i64,
    not_after: i64,
) -> Result<Identity, TlsError> {
    generate_with_crl(common_name, seed, not_before, not_after, None)
}

/// [`generate_self_signed`], with a cRLDistributionPoints extension naming `crl_uri` when given
/// (the device's own certificate names the CRL it serves, `crate::device_cert`).
pub(crate) fn generate_with_crl(
    common_name: &str,
    seed: [u8; 32],
    not_before: i64,
    not_after: i64,
    crl_uri: Option<&str>,
) -> Result<Identity, TlsError> {
    let subject = subject_for(common_name)?;
    if not_before >= not_after {
        return Err(TlsError::Settings(format!(
            "certificate validity: not_before {not_before} is not before not_after {not_after}"
        )));
    }
    let (nb, na) = (x509_time(not_before)?, x509_time(not_after)?);
    let gen = |e: mbedtls::Error| TlsError::engine("generating the self-signed certificate", &e);

    let mut rng = SeededRng::new(seed);
    let mut key = Pk::generate_ec(&mut rng, EcGroupId::SecP256R1).map_err(gen)?;
    let key_pem = key.write_private_pem_string().map_err(gen)?;
    let key_der = key.write_private_der_vec().map_err(gen)?;
    let mut issuer_key = Pk::from_private_key(&key_der, None).map_err(gen)?;
    let mut serial = [0u8; 16];
    rng.fill(&mut serial);
    serial[0] = (serial[0] & 0x7f) | 0x40; // positive, full length

    let mut builder = Builder::new();
    builder
        .subject_key(&mut key)
        .issuer_key(&mut issuer_key)
        .signature_hash(MdType::Sha256)
        .subject(&subject)
        .map_err(gen)?
        .issuer(&subject)
        .map_err(gen)?
        .serial(&serial)
        .map_err(gen)?
        .basic_constraints(false, None)
        .map_err(gen)?
        .validity(nb, na)
        .map_err(gen)?;
    if let Some(san) = subject_alt_name(common_name) {
        // id-ce-subjectAltName, 2.5.29.17
        builder
            .extension(&[0x55, 0x1d, 0x11], &san, false)
            .map_err(gen)?;
    }
    if let Some(uri) = crl_uri {
        // id-ce-cRLDistributionPoints, 2.5.29.31
        builder
            .extension(&[0x55, 0x1d, 0x1f], &crl_distribution_points(uri), false)
            .map_err(gen)?;
    }
    // Sign once: ECDSA signatures are randomized, two writes would give two certificates.
    let cert_pem = builder.write_pem_string(&mut rng).map_err(gen)?;
    Ok(Identity {
        cert_pem: cert_pem.trim_end_matches('\0').as_bytes().to_vec(),
        key_pem: key_pem.trim_end_matches('\0').as_bytes().to_vec(),
    })
}

/// The device's own certificate: self-signed for `common_name` from `seed`, valid
/// [`DEFAULT_NOT_BEFORE`] to [`DEFAULT_NOT_AFTER`].
pub fn generate_default(common_name: &str, seed: [u8; 32]) -> Result<Identity, TlsError> {
    generate_self_signed(common_name, seed, DEFAULT_NOT_BEFORE, DEFAULT_NOT_AFTER)
}

/// Checks a pair read back from storage (or given by a user): both must parse and the key must
/// match the first certificate of the chain. The error's `what` says which half is at fault.
pub fn check(identity: &Identity) -> Result<(), TlsError> {
    let chain = pem::parse_certs("certificate chain", &identity.cert_pem)?;
    let pk = pem::parse_key(&identity.key_pem)?;
    match chain.iter().next() {
        Some(leaf) => pem::check_pair(leaf, &pk),
        None => Err(TlsError::Pem {
            what: "certificate chain",
            reason: "it holds no certificate".into(),
        }),
    }
}

/// SHA-256 fingerprint of the first certificate in `cert_pem` (PEM or DER), as OpenSSL prints
/// it: `AB:CD:...` (32 upper-case hex pairs). Lets users check which certificate a port uses.
pub fn fingerprint_sha256(cert_pem: &[u8]) -> Result<String, TlsError> {
    let chain = pem::parse_certs("certificate", cert_pem)?;
    let Some(leaf) = chain.iter().next() else {
        return Err(TlsError::Pem {
            what: "certificate",
            reason: "it holds no certificate".into(),
        });
    };
    let mut out = [0u8; 32];
    Md::hash(MdType::Sha256, leaf.as_der(), &mut out)
        .map_err(|e| TlsError::engine("hashing the certificate", &e))?;
    Ok(out
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":"))
}

/// `CN=<name>` with the one character Mbed TLS's name parser treats specially (`,`) escaped.
fn subject_for(common_name: &str) -> Result<String, TlsError> {
    let ok_len = (1..=64).contains(&common_name.chars().count());
    if !ok_len || common_name.chars().any(|c| c.is_control() || c == '\\') {
        return Err(TlsError::Settings(format!(
            "certificate common name {common_name:?} must be 1 to 64 characters, without control \
             characters or backslashes"
        )));
    }
    Ok(format!("CN={}", common_name.replace(',', "\\,")))
}

/// DER `GeneralNames` holding `name` as an iPAddress or dNSName, when it is one.
fn subject_alt_name(name: &str) -> Option<Vec<u8>> {
    let (tag, value): (u8, Vec<u8>) = if let Ok(ip) = name.parse::<IpAddr>() {
        let octets = match ip {
            IpAddr::V4(v4) => v4.octets().to_vec(),
            IpAddr::V6(v6) => v6.octets().to_vec(),
        };
        (0x87, octets)
    } else if name.split('.').all(|label| {
        !label.is_empty()
            && label.len() <= 63
            && label
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '*')
    }) {
        (0x82, name.as_bytes().to_vec())
    } else {
        return None;
    };
    let mut inner = vec![tag];
    push_der_len(&mut inner, value.len());
    inner.extend_from_slice(&value);
    let mut out = vec![0x30];
    push_der_len(&mut out, inner.len());
    out.extend_from_slice(&inner);
    Some(out)
}

/// DER `CRLDistributionPoints` with one distribution point whose full name is the URI `uri`.
fn crl_distribution_points(uri: &str) -> Vec<u8> {
    let uri = der(0x86, uri.as_bytes()); // GeneralName uniformResourceIdentifier [6]
    let full_name = der(0xa0, &uri); // DistributionPointName fullName [0]
    let point_name = der(0xa0, &full_name); // DistributionPoint distributionPoint [0]
    der(0x30, &der(0x30, &point_name))
}

/// One DER element: `tag`, length, `content`.
pub(crate) fn der(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    push_der_len(&mut out, content.len());
    out.extend_from_slice(content);
    out
}

fn push_der_len(out: &mut Vec<u8>, len: usize) {
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes: Vec<u8> = len
            .to_be_bytes()
            .iter()
            .copied()
            .skip_while(|b| *b == 0)
            .collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend_from_slice(&bytes);
    }
}

/// Seconds since the epoch as an X.509 time (UTC).
pub(crate) fn x509_time(unix: i64) -> Result<Time, TlsError> {
    let (days, secs) = (unix.div_euclid(86_400), unix.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    let bad = || {
        TlsError::Settings(format!(
            "certificate time {unix} is outside the years 1950..=9999"
        ))
    };
    let year = u16::try_from(y)
        .ok()
        .filter(|y| (1950..=9999).contains(y))
        .ok_or_else(bad)?;
    let (h, min, s) = (
        (secs / 3600) as u8,
        ((secs % 3600) / 60) as u8,
        (secs % 60) as u8,
    );
    Time::new(year, m, d, h, min, s).ok_or_else(bad)
}

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian (H. Hinnant's algorithm).
pub(crate) fn civil_from_days(z: i64) -> (i64, u8, u8) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u8;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(DEFAULT_NOT_BEFORE / 86_400), (2020, 1, 1));
        assert_eq!(civil_from_days(DEFAULT_NOT_AFTER / 86_400), (2049, 12, 31));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        assert!(x509_time(-1_000_000_000_000).is_err());
    }

    #[test]
    fn san_encoding() {
        assert_eq!(
            subject_alt_name("a.b").unwrap(),
            vec![0x30, 5, 0x82, 3, b'a', b'.', b'b']
        );
        assert_eq!(
            subject_alt_name("127.0.0.1").unwrap(),
            vec![0x30, 6, 0x87, 4, 127, 0, 0, 1]
        );
        assert_eq!(subject_alt_name("Patton 2285"), None);
        let long = "a".repeat(63) + "." + &"b".repeat(63) + "." + &"c".repeat(20);
        let der = subject_alt_name(&long).unwrap();
        assert_eq!(&der[..2], &[0x30, 0x81]);
    }

    #[test]
    fn self_signed_is_deterministic_and_parses() {
        let a = generate_self_signed(
            "device.local",
            [1; 32],
            DEFAULT_NOT_BEFORE,
            DEFAULT_NOT_AFTER,
        )
        .unwrap();
        let b = generate_self_signed(
            "device.local",
            [1; 32],
            DEFAULT_NOT_BEFORE,
            DEFAULT_NOT_AFTER,
        )
        .unwrap();
        let c = generate_self_signed(
            "device.local",
            [2; 32],
            DEFAULT_NOT_BEFORE,
            DEFAULT_NOT_AFTER,
        )
        .unwrap();
        assert_eq!(a, b);
        assert_ne!(a.cert_pem, c.cert_pem);
        assert!(!a.cert_pem.contains(&0) && !a.key_pem.contains(&0));
        let chain = pem::parse_certs("certificate", &a.cert_pem).unwrap();
        let leaf = chain.iter().next().unwrap();
        assert_eq!(leaf.subject().unwrap(), "CN=device.local");
        pem::check_pair(leaf, &pem::parse_key(&a.key_pem).unwrap()).unwrap();
        assert_eq!(fingerprint_sha256(&a.cert_pem).unwrap().len(), 32 * 3 - 1);
        assert!(generate_self_signed("x", [1; 32], 10, 5).is_err());
        assert!(generate_self_signed("", [1; 32], DEFAULT_NOT_BEFORE, DEFAULT_NOT_AFTER).is_err());
        let odd = generate_self_signed(
            "Patton, 2285",
            [1; 32],
            DEFAULT_NOT_BEFORE,
            DEFAULT_NOT_AFTER,
        )
        .unwrap();
        let chain = pem::parse_certs("certificate", &odd.cert_pem).unwrap();
        assert!(chain
            .iter()
            .next()
            .unwrap()
            .subject()
            .unwrap()
            .contains("Patton"));
    }
}
