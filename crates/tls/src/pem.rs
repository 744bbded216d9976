//! Turning user-supplied PEM (or DER) into Mbed TLS certificates and keys.
//!
//! Mbed TLS's PEM parsers need the buffer to end with a NUL byte; users' files do not, so
//! every input is copied with one added when it is missing. Nothing here panics on bad input:
//! every failure is a [`TlsError::Pem`] naming the input.

use mbedtls::alloc::List;
use mbedtls::pk::Pk;
use mbedtls::x509::Certificate;

use crate::TlsError;

const CERT_BEGIN: &[u8] = b"-----BEGIN CERTIFICATE-----";

/// `bytes` with exactly one trailing NUL, as Mbed TLS's PEM parsers want.
pub(crate) fn nul_terminated(bytes: &[u8]) -> Vec<u8> {
    let trimmed = match bytes.iter().rposition(|&b| b != 0) {
        Some(last) => &bytes[..=last],
        None => &[][..],
    };
    let mut v = Vec::with_capacity(trimmed.len() + 1);
    v.extend_from_slice(trimmed);
    v.push(0);
    v
}

fn looks_like_pem(bytes: &[u8]) -> bool {
    bytes.windows(11).any(|w| w == b"-----BEGIN ")
}

fn count(haystack: &[u8], needle: &[u8]) -> usize {
    haystack
        .windows(needle.len())
        .filter(|w| *w == needle)
        .count()
}

/// Parses one or more certificates (PEM with any number of `CERTIFICATE` blocks, or a single
/// DER certificate). `what` names the input in errors ("certificate chain", "CA list").
pub(crate) fn parse_certs(what: &'static str, bytes: &[u8]) -> Result<List<Certificate>, TlsError> {
    if bytes.iter().all(|b| b.is_ascii_whitespace() || *b == 0) {
        return Err(TlsError::Pem {
            what,
            reason: "it is empty".into(),
        });
    }
    if !looks_like_pem(bytes) {
        let cert = Certificate::from_der(bytes).map_err(|e| TlsError::pem(what, &e))?;
        let mut list = List::new();
        list.push(cert);
        return Ok(list);
    }
    let blocks = count(bytes, CERT_BEGIN);
    if blocks == 0 {
        return Err(TlsError::Pem {
            what,
            reason: "no \"-----BEGIN CERTIFICATE-----\" block found (is this a key?)".into(),
        });
    }
    let list = Certificate::from_pem_multiple(&nul_terminated(bytes))
        .map_err(|e| TlsError::pem(what, &e))?;
    let parsed = list.iter().count();
    if parsed != blocks {
        // Mbed TLS skips certificates it cannot parse when at least one parses.
        return Err(TlsError::Pem {
            what,
            reason: format!("only {parsed} of its {blocks} certificates could be parsed"),
        });
    }
    Ok(list)
}

/// Parses an unencrypted private key: PEM (PKCS#8 `PRIVATE KEY`, SEC1 `EC PRIVATE KEY`, PKCS#1
/// `RSA PRIVATE KEY`) or DER.
pub(crate) fn parse_key(bytes: &[u8]) -> Result<Pk, TlsError> {
    const WHAT: &str = "private key";
    if bytes.iter().all(|b| b.is_ascii_whitespace() || *b == 0) {
        return Err(TlsError::Pem {
            what: WHAT,
            reason: "it is empty".into(),
        });
    }
    if looks_like_pem(bytes) && count(bytes, b"PRIVATE KEY-----") == 0 {
        return Err(TlsError::Pem {
            what: WHAT,
            reason: "no \"PRIVATE KEY\" block found (is this a certificate?)".into(),
        });
    }
    let input = if looks_like_pem(bytes) {
        nul_terminated(bytes)
    } else {
        bytes.to_vec()
    };
    Pk::from_private_key(&input, None).map_err(|e| match e.high_level() {
        Some(mbedtls::error::codes::PkPasswordRequired) => TlsError::Pem {
            what: WHAT,
            reason: "the key is encrypted; give it unencrypted (e.g. `openssl pkey -in k.pem -out plain.pem`)".into(),
        },
        _ => TlsError::pem(WHAT, &e),
    })
}

/// Checks that `key` is the private half of `cert`'s public key.
pub(crate) fn check_pair(cert: &Certificate, key: &Pk) -> Result<(), TlsError> {
    if Pk::check_pair(cert.public_key(), key) {
        Ok(())
    } else {
        Err(TlsError::Pem {
            what: "private key",
            reason: "it does not match the public key of the first certificate in the chain".into(),
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn nul_is_added_once() {
        assert_eq!(nul_terminated(b"ab"), b"ab\0");
        assert_eq!(nul_terminated(b"ab\0"), b"ab\0");
        assert_eq!(nul_terminated(b"ab\0\0"), b"ab\0");
        assert_eq!(nul_terminated(b""), b"\0");
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        for input in [
            &b""[..],
            b"   \n",
            b"hello",
            b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
        ] {
            assert!(parse_certs("certificate chain", input).is_err());
            assert!(parse_key(input).is_err());
        }
        let Err(e) =
            parse_key(b"-----BEGIN PRIVATE KEY-----\nnot base64!\n-----END PRIVATE KEY-----\n")
        else {
            panic!("garbage key parsed");
        };
        assert!(e.to_string().starts_with("unusable private key"), "{e}");
    }
}
