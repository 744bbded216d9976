//! Cipher suite names: the default list, user lists by IANA or OpenSSL name, and the names
//! reported after a handshake.
//!
//! Mbed TLS names suites like IANA with dashes (`TLS-ECDHE-RSA-WITH-AES-128-GCM-SHA256`).
//! Users may write the IANA form with underscores or dashes (any case) or the OpenSSL form
//! (`ECDHE-RSA-AES128-GCM-SHA256`, via the table below). Reported names are IANA with
//! underscores.

use std::ffi::{c_int, CStr, CString};

use crate::TlsError;

/// Default suites, preference order: forward-secret (ECDHE) AEAD only.
const DEFAULTS: &[&str] = &[
    "TLS-ECDHE-ECDSA-WITH-AES-128-GCM-SHA256",
    "TLS-ECDHE-RSA-WITH-AES-128-GCM-SHA256",
    "TLS-ECDHE-ECDSA-WITH-AES-256-GCM-SHA384",
    "TLS-ECDHE-RSA-WITH-AES-256-GCM-SHA384",
    "TLS-ECDHE-ECDSA-WITH-CHACHA20-POLY1305-SHA256",
    "TLS-ECDHE-RSA-WITH-CHACHA20-POLY1305-SHA256",
];

/// OpenSSL names of the suites people actually configure, mapped to Mbed TLS names.
const OPENSSL_NAMES: &[(&str, &str)] = &[
    (
        "ECDHE-ECDSA-AES128-GCM-SHA256",
        "TLS-ECDHE-ECDSA-WITH-AES-128-GCM-SHA256",
    ),
    (
        "ECDHE-ECDSA-AES256-GCM-SHA384",
        "TLS-ECDHE-ECDSA-WITH-AES-256-GCM-SHA384",
    ),
    (
        "ECDHE-RSA-AES128-GCM-SHA256",
        "TLS-ECDHE-RSA-WITH-AES-128-GCM-SHA256",
    ),
    (
        "ECDHE-RSA-AES256-GCM-SHA384",
        "TLS-ECDHE-RSA-WITH-AES-256-GCM-SHA384",
    ),
    (
        "ECDHE-ECDSA-CHACHA20-POLY1305",
        "TLS-ECDHE-ECDSA-WITH-CHACHA20-POLY1305-SHA256",
    ),
    (
        "ECDHE-RSA-CHACHA20-POLY1305",
        "TLS-ECDHE-RSA-WITH-CHACHA20-POLY1305-SHA256",
    ),
    (
        "DHE-RSA-AES128-GCM-SHA256",
        "TLS-DHE-RSA-WITH-AES-128-GCM-SHA256",
    ),
    (
        "DHE-RSA-AES256-GCM-SHA384",
        "TLS-DHE-RSA-WITH-AES-256-GCM-SHA384",
    ),
    (
        "DHE-RSA-CHACHA20-POLY1305",
        "TLS-DHE-RSA-WITH-CHACHA20-POLY1305-SHA256",
    ),
    ("ECDHE-ECDSA-AES128-CCM", "TLS-ECDHE-ECDSA-WITH-AES-128-CCM"),
    ("ECDHE-ECDSA-AES256-CCM", "TLS-ECDHE-ECDSA-WITH-AES-256-CCM"),
    (
        "ECDHE-ECDSA-AES128-CCM8",
        "TLS-ECDHE-ECDSA-WITH-AES-128-CCM-8",
    ),
    (
        "ECDHE-ECDSA-AES256-CCM8",
        "TLS-ECDHE-ECDSA-WITH-AES-256-CCM-8",
    ),
    (
        "ECDHE-ECDSA-AES128-SHA256",
        "TLS-ECDHE-ECDSA-WITH-AES-128-CBC-SHA256",
    ),
    (
        "ECDHE-ECDSA-AES256-SHA384",
        "TLS-ECDHE-ECDSA-WITH-AES-256-CBC-SHA384",
    ),
    (
        "ECDHE-RSA-AES128-SHA256",
        "TLS-ECDHE-RSA-WITH-AES-128-CBC-SHA256",
    ),
    (
        "ECDHE-RSA-AES256-SHA384",
        "TLS-ECDHE-RSA-WITH-AES-256-CBC-SHA384",
    ),
    (
        "ECDHE-ECDSA-AES128-SHA",
        "TLS-ECDHE-ECDSA-WITH-AES-128-CBC-SHA",
    ),
    (
        "ECDHE-ECDSA-AES256-SHA",
        "TLS-ECDHE-ECDSA-WITH-AES-256-CBC-SHA",
    ),
    ("ECDHE-RSA-AES128-SHA", "TLS-ECDHE-RSA-WITH-AES-128-CBC-SHA"),
    ("ECDHE-RSA-AES256-SHA", "TLS-ECDHE-RSA-WITH-AES-256-CBC-SHA"),
    (
        "DHE-RSA-AES128-SHA256",
        "TLS-DHE-RSA-WITH-AES-128-CBC-SHA256",
    ),
    (
        "DHE-RSA-AES256-SHA256",
        "TLS-DHE-RSA-WITH-AES-256-CBC-SHA256",
    ),
    ("DHE-RSA-AES128-SHA", "TLS-DHE-RSA-WITH-AES-128-CBC-SHA"),
    ("DHE-RSA-AES256-SHA", "TLS-DHE-RSA-WITH-AES-256-CBC-SHA"),
    ("AES128-GCM-SHA256", "TLS-RSA-WITH-AES-128-GCM-SHA256"),
    ("AES256-GCM-SHA384", "TLS-RSA-WITH-AES-256-GCM-SHA384"),
    ("AES128-SHA256", "TLS-RSA-WITH-AES-128-CBC-SHA256"),
    ("AES256-SHA256", "TLS-RSA-WITH-AES-256-CBC-SHA256"),
    ("AES128-SHA", "TLS-RSA-WITH-AES-128-CBC-SHA"),
    ("AES256-SHA", "TLS-RSA-WITH-AES-256-CBC-SHA"),
];

/// The Mbed TLS name of suite `id`, if this build knows it.
fn mbedtls_name(id: c_int) -> Option<String> {
    // SAFETY: takes any int; returns a static string ("unknown" for ids this build lacks).
    let p = unsafe { mbedtls_sys::ssl_get_ciphersuite_name(id) };
    if p.is_null() {
        return None;
    }
    // SAFETY: non-null pointers from Mbed TLS here are static NUL-terminated strings.
    let s = unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned();
    (s != "unknown").then_some(s)
}

/// The id of the suite with Mbed TLS name `name` (e.g. `TLS-RSA-WITH-AES-128-GCM-SHA256`).
fn id_of(name: &str) -> Option<c_int> {
    let c = CString::new(name).ok()?;
    // SAFETY: valid NUL-terminated string; returns 0 when unknown.
    let id = unsafe { mbedtls_sys::ssl_get_ciphersuite_id(c.as_ptr()) };
    (id != 0).then_some(id)
}

/// Every suite id compiled into this Mbed TLS, in its own preference order.
fn compiled_ids() -> Vec<c_int> {
    let mut out = Vec::new();
    // SAFETY: a static, zero-terminated list.
    let mut p = unsafe { mbedtls_sys::ssl_list_ciphersuites() };
    if p.is_null() {
        return out;
    }
    // SAFETY: walk until the terminating 0, as the list guarantees.
    unsafe {
        while *p != 0 {
            out.push(*p);
            p = p.add(1);
        }
    }
    out
}

/// IANA-style (underscore) name of a suite id, as reported in `HandshakeComplete`.
pub(crate) fn iana_name(id: u16) -> String {
    match mbedtls_name(c_int::from(id)) {
        Some(n) => n.replace('-', "_"),
        None => format!("0x{id:04X}"),
    }
}

/// The default suite list, IANA names (what an empty `ciphersuites` setting means).
pub fn default_ciphersuites() -> Vec<String> {
    DEFAULTS.iter().map(|n| n.replace('-', "_")).collect()
}

/// Every suite this engine can be told to use, IANA names, in Mbed TLS's preference order.
pub fn available_ciphersuites() -> Vec<String> {
    compiled_ids()
        .into_iter()
        .filter_map(mbedtls_name)
        .map(|n| n.replace('-', "_"))
        .collect()
}

/// Resolves one user-given name (IANA or OpenSSL form) to a suite id.
fn resolve(name: &str) -> Option<c_int> {
    let norm = name.trim().to_ascii_uppercase().replace('_', "-");
    if norm.starts_with("TLS-") {
        return id_of(&norm);
    }
    OPENSSL_NAMES
        .iter()
        .find(|(ossl, _)| *ossl == norm)
        .and_then(|(_, mb)| id_of(mb))
}

/// The zero-terminated id list Mbed TLS wants, from the setting (empty = defaults).
pub(crate) fn resolve_list(names: &[String]) -> Result<Vec<c_int>, TlsError> {
    let mut ids: Vec<c_int> = Vec::new();
    if names.is_empty() {
        ids.extend(DEFAULTS.iter().filter_map(|n| id_of(n)));
    } else {
        for name in names {
            let Some(id) = resolve(name) else {
                return Err(TlsError::Settings(format!(
                    "unknown cipher suite {name:?} in ciphersuites; use IANA names such as \
                     TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 or TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256, \
                     or OpenSSL names such as ECDHE-RSA-AES256-GCM-SHA384 ({} suites available, \
                     see available_ciphersuites())",
                    compiled_ids().len()
                )));
            };
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
    }
    if ids.is_empty() {
        return Err(TlsError::Settings(
            "no usable cipher suite in ciphersuites".into(),
        ));
    }
    ids.push(0);
    Ok(ids)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_all_compiled_in() {
        let ids = resolve_list(&[]).unwrap();
        assert_eq!(ids.len(), DEFAULTS.len() + 1);
        assert_eq!(ids.last(), Some(&0));
        assert_eq!(iana_name(0xC02B), "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256");
        assert_eq!(
            default_ciphersuites()[0],
            "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"
        );
    }

    #[test]
    fn every_openssl_alias_resolves() {
        for (ossl, mb) in OPENSSL_NAMES {
            assert!(id_of(mb).is_some(), "{mb} not compiled in");
            assert_eq!(resolve(ossl), id_of(mb), "{ossl}");
        }
    }

    #[test]
    fn names_in_any_form() {
        let want = vec![0xCCA8, 0xC02F, 0];
        let names = [
            "tls_ecdhe_rsa_with_chacha20_poly1305_sha256".to_string(),
            "ECDHE-RSA-AES128-GCM-SHA256".to_string(),
            "TLS-ECDHE-RSA-WITH-AES-128-GCM-SHA256".to_string(), // duplicate, dropped
        ];
        assert_eq!(resolve_list(&names).unwrap(), want);
        assert!(available_ciphersuites().len() > 50);
    }

    #[test]
    fn unknown_name_is_named() {
        let e = resolve_list(&["TLS_FOO".into()]).unwrap_err().to_string();
        assert!(
            e.contains("\"TLS_FOO\"") && e.contains("TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"),
            "{e}"
        );
        assert!(resolve_list(&["RC4-SHA".into()]).is_err());
    }
}
