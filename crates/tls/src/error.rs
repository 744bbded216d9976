//! The crate's error type and the translation of Mbed TLS error codes into human reasons.

use std::ffi::{c_char, CStr};
use std::fmt;

/// Why building a configuration, a session or an identity failed.
///
/// Every variant carries a message meant for a person (console, log, control API): it names
/// the setting or the file at fault and, where it helps, what is allowed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TlsError {
    /// A setting is invalid or settings contradict each other (e.g. `verify_peer` without a
    /// CA list, an unknown cipher suite name, TLS 1.3 asked of a TLS 1.2 engine).
    Settings(String),
    /// A certificate or key given as PEM (or DER) could not be used.
    Pem {
        /// Which input: "certificate chain", "CA list", "private key", ...
        what: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// Mbed TLS refused an operation that is not tied to user input.
    Engine {
        /// What the crate was doing.
        during: &'static str,
        /// The Mbed TLS error name and its description.
        reason: String,
    },
}

impl fmt::Display for TlsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TlsError::Settings(msg) => write!(f, "invalid TLS settings: {msg}"),
            TlsError::Pem { what, reason } => write!(f, "unusable {what}: {reason}"),
            TlsError::Engine { during, reason } => {
                write!(f, "TLS engine error while {during}: {reason}")
            }
        }
    }
}

impl std::error::Error for TlsError {}

impl TlsError {
    /// An engine error from an Mbed TLS error, with the step that failed.
    pub(crate) fn engine(during: &'static str, e: &mbedtls::Error) -> Self {
        TlsError::Engine {
            during,
            reason: describe(e),
        }
    }

    /// A PEM/DER input error from an Mbed TLS error.
    pub(crate) fn pem(what: &'static str, e: &mbedtls::Error) -> Self {
        TlsError::Pem {
            what,
            reason: describe(e),
        }
    }
}

/// The short Mbed TLS name of an error, e.g. `X509CertVerifyFailed`.
pub(crate) fn error_name(e: &mbedtls::Error) -> String {
    let s = e.as_str();
    // as_str() gives "mbedTLS error HiError :: X509CertVerifyFailed".
    let s = s.strip_prefix("mbedTLS error ").unwrap_or(s);
    // (stringify! may put spaces around the `::`.)
    match s.rsplit_once("::") {
        Some((_, name)) => name.trim().to_string(),
        None => s.trim().to_string(),
    }
}

/// `Name (Mbed TLS's own description)`, e.g.
/// `SslBadHsProtocolVersion (SSL - Handshake protocol not within min/max boundaries)`.
pub(crate) fn describe(e: &mbedtls::Error) -> String {
    let name = error_name(e);
    let mut buf = [0 as c_char; 256];
    // SAFETY: the buffer is valid for its length; mbedtls_strerror always NUL-terminates.
    unsafe { mbedtls_sys::strerror(e.to_int(), buf.as_mut_ptr(), buf.len()) };
    // SAFETY: NUL-terminated by mbedtls_strerror (the buffer was zeroed as well).
    let text = unsafe { CStr::from_ptr(buf.as_ptr()) }.to_string_lossy();
    if text.is_empty() {
        name
    } else {
        format!("{name} ({text})")
    }
}

/// The reasons Mbed TLS found for refusing a peer certificate (X.509 verify flags), as one line,
/// e.g. `the certificate is not correctly signed by the trusted CA`.
pub(crate) fn describe_verify_flags(flags: u32) -> String {
    if flags == 0 {
        return String::new();
    }
    let mut buf = [0 as c_char; 1024];
    // SAFETY: buffer valid for its length, prefix is a NUL-terminated empty string.
    let n = unsafe {
        mbedtls_sys::x509_crt_verify_info(buf.as_mut_ptr(), buf.len(), c"".as_ptr(), flags)
    };
    if n <= 0 {
        return format!("verify flags {flags:#x}");
    }
    // SAFETY: x509_crt_verify_info NUL-terminates what it wrote.
    let text = unsafe { CStr::from_ptr(buf.as_ptr()) }.to_string_lossy();
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| {
            let mut c = l.chars();
            match c.next() {
                Some(first) => first.to_lowercase().chain(c).collect::<String>(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use mbedtls::error::codes;

    #[test]
    fn names_and_descriptions_are_human() {
        let e: mbedtls::Error = codes::SslBadHsProtocolVersion.into();
        assert_eq!(error_name(&e), "SslBadHsProtocolVersion");
        let d = describe(&e);
        assert!(d.starts_with("SslBadHsProtocolVersion ("), "{d}");
        let flags = describe_verify_flags(0x08 | 0x04);
        assert!(flags.contains("not correctly signed"), "{flags}");
        assert!(
            flags.contains("Common Name") || flags.contains("CN"),
            "{flags}"
        );
    }
}
