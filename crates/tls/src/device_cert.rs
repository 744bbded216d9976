//! The device's own dated certificate: made from the device's date with a lifetime browsers and
//! scanners accept (at most 398 days), renewed when it nears its end, naming a CRL the device
//! serves itself, and that (empty) CRL signed with the device's key. docs/tls.md "The device's
//! own certificate" gives the reasons.
//!
//! Sans-IO: the device's date comes in as seconds since the Unix epoch; the runtime keeps the
//! files and serves the CRL bytes.

use mbedtls::hash::{Md, Type as MdType};
use mbedtls::x509::Certificate;

use crate::identity::{self, der, generate_with_crl, Identity};
use crate::rng::SeededRng;
use crate::{pem, TlsError};

/// Days from `notBefore` to `notAfter` of a certificate [`issue`] makes: under the 398 days
/// browsers accept for a server certificate (and testssl.sh's 825-day warning).
pub const VALIDITY_DAYS: i64 = 397;

/// A certificate with fewer days left than this is renewed ([`needs_renewal`]): testssl.sh rates
/// "expires < 60 days" MEDIUM and "< 30 days" HIGH.
pub const RENEW_WITHIN_DAYS: i64 = 60;

const DAY_S: i64 = 86_400;

/// ecdsa-with-SHA256 (1.2.840.10045.4.3.2) as a DER AlgorithmIdentifier.
const ECDSA_SHA256: [u8; 12] = [
    0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02,
];

/// Makes the device's self-signed certificate for `common_name`, valid from the start of the
/// (UTC) day of `device_unix` for [`VALIDITY_DAYS`], naming `crl_uri` as its CRL distribution
/// point when given.
///
/// The key and serial come from `seed` mixed with that day, so the same seed on the same day
/// always gives the same certificate (tests pin it with `--seed`), and a renewal on a later day
/// never reuses the serial of the certificate it replaces.
pub fn issue(
    common_name: &str,
    seed: [u8; 32],
    device_unix: i64,
    crl_uri: Option<&str>,
) -> Result<Identity, TlsError> {
    let day = device_unix.div_euclid(DAY_S);
    let mut dated_seed = seed;
    for (b, d) in dated_seed[24..].iter_mut().zip(day.to_le_bytes()) {
        *b ^= d;
    }
    let not_before = day * DAY_S;
    let not_after = not_before + VALIDITY_DAYS * DAY_S - 1;
    generate_with_crl(common_name, dated_seed, not_before, not_after, crl_uri)
}

/// The validity of the first certificate of `cert_pem`, as seconds since the Unix epoch
/// (`notBefore`, `notAfter`).
pub fn validity(cert_pem: &[u8]) -> Result<(i64, i64), TlsError> {
    let chain = pem::parse_certs("certificate", cert_pem)?;
    let leaf = chain.iter().next().ok_or_else(|| TlsError::Pem {
        what: "certificate",
        reason: "it holds no certificate".into(),
    })?;
    let read = |t: mbedtls::Result<mbedtls::x509::Time>| {
        t.map(|t| unix_of(&t))
            .map_err(|e| TlsError::engine("reading the certificate's validity", &e))
    };
    Ok((read(leaf.not_before())?, read(leaf.not_after())?))
}

/// Why the device's own certificate must be made again at `device_unix`, or `None` when it is
/// fine: not yet valid (the clock was set back), expired or within [`RENEW_WITHIN_DAYS`] of
/// its end, or valid longer than [`VALIDITY_DAYS`] (made by an older version, 30 years).
pub fn needs_renewal(cert_pem: &[u8], device_unix: i64) -> Result<Option<String>, TlsError> {
    let (not_before, not_after) = validity(cert_pem)?;
    let days_left = (not_after - device_unix).div_euclid(DAY_S);
    Ok(if device_unix < not_before {
        Some("it is not valid yet at the device's date".into())
    } else if days_left < RENEW_WITHIN_DAYS {
        Some(format!(
            "{days_left} days left (renewed within {RENEW_WITHIN_DAYS})"
        ))
    } else if not_after - not_before >= VALIDITY_DAYS * DAY_S {
        Some(format!(
            "its validity of {} days is longer than {VALIDITY_DAYS}",
            (not_after - not_before + 1) / DAY_S
        ))
    } else {
        None
    })
}

/// An empty X.509 v1 CRL (DER) issued by `identity`'s certificate and signed with its key:
/// `thisUpdate` is `device_unix`, `nextUpdate` the certificate's `notAfter` (the device never
/// revokes its certificate; a renewal replaces it, with a new CRL). The signature is made from
/// the CRL's own hash, so the same inputs always give the same bytes.
pub fn empty_crl(identity: &Identity, device_unix: i64) -> Result<Vec<u8>, TlsError> {
    let fail = |e: mbedtls::Error| TlsError::engine("signing the CRL", &e);
    let chain = pem::parse_certs("certificate", &identity.cert_pem)?;
    let leaf: &Certificate = chain.iter().next().ok_or_else(|| TlsError::Pem {
        what: "certificate",
        reason: "it holds no certificate".into(),
    })?;
    let issuer = leaf.subject_raw().map_err(fail)?;
    let (_, not_after) = validity(&identity.cert_pem)?;
    let mut tbs = ECDSA_SHA256.to_vec();
    tbs.extend_from_slice(&issuer);
    tbs.extend(asn1_time(device_unix.min(not_after))?);
    tbs.extend(asn1_time(not_after)?);
    let tbs = der(0x30, &tbs);

    let mut hash = [0u8; 32];
    Md::hash(MdType::Sha256, &tbs, &mut hash).map_err(fail)?;
    let mut key = pem::parse_key(&identity.key_pem)?;
    let mut sig = vec![0u8; 160];
    let mut rng = SeededRng::new(hash);
    let len = key
        .sign_deterministic(MdType::Sha256, &hash, &mut sig, &mut rng)
        .map_err(fail)?;
    sig.truncate(len);
    let mut bits = vec![0u8]; // no unused bits
    bits.extend_from_slice(&sig);

    let mut list = tbs;
    list.extend_from_slice(&ECDSA_SHA256);
    list.extend(der(0x03, &bits));
    Ok(der(0x30, &list))
}

/// UTCTime up to 2049, GeneralizedTime after (RFC 5280 4.1.2.5).
fn asn1_time(unix: i64) -> Result<Vec<u8>, TlsError> {
    let t = identity::x509_time(unix)?;
    let full = format!(
        "{:04}{:02}{:02}{:02}{:02}{:02}Z",
        t.year(),
        t.month(),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    );
    Ok(if t.year() < 2050 {
        der(0x17, &full.as_bytes()[2..])
    } else {
        der(0x18, full.as_bytes())
    })
}

/// Seconds since the epoch of an X.509 time (UTC).
fn unix_of(t: &mbedtls::x509::Time) -> i64 {
    let days = days_from_civil(i64::from(t.year()), t.month(), t.day());
    days * DAY_S + i64::from(t.hour()) * 3600 + i64::from(t.minute()) * 60 + i64::from(t.second())
}

/// (year, month, day) to days since 1970-01-01, proleptic Gregorian (H. Hinnant's algorithm;
/// the inverse of `identity::civil_from_days`).
fn days_from_civil(y: i64, m: u8, d: u8) -> i64 {
    let (m, d) = (i64::from(m), i64::from(d));
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_round_trip() {
        for days in [-1, 0, 59, 10_957, 20_000, 29_219] {
            let (y, m, d) = identity::civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
    }
}
