//! What a port's TLS looks like, as plain data: versions, suites, peer verification, PEM.

use std::fmt;
use std::str::FromStr;

use crate::TlsError;

/// A TLS protocol version.
///
/// All four exist as values so configuration can name them; the engine (Mbed TLS 2.28 built
/// without legacy protocols) speaks only TLS 1.2, and [`crate::TlsEngineConfig`] refuses a
/// range that does not include it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TlsVersion {
    /// TLS 1.0 (RFC 2246). Not available in this engine.
    Tls1_0,
    /// TLS 1.1 (RFC 4346). Not available in this engine.
    Tls1_1,
    /// TLS 1.2 (RFC 5246). The one version this engine speaks.
    Tls1_2,
    /// TLS 1.3 (RFC 8446). Not available in this engine (Mbed TLS 2.28 has none).
    Tls1_3,
}

impl TlsVersion {
    /// The versions this engine can negotiate.
    pub const SUPPORTED: &'static [TlsVersion] = &[TlsVersion::Tls1_2];

    /// The OpenSSL-style name, e.g. `TLSv1.2` (what `HandshakeComplete::version` reports).
    pub fn name(self) -> &'static str {
        match self {
            TlsVersion::Tls1_0 => "TLSv1",
            TlsVersion::Tls1_1 => "TLSv1.1",
            TlsVersion::Tls1_2 => "TLSv1.2",
            TlsVersion::Tls1_3 => "TLSv1.3",
        }
    }

    /// Whether this engine can negotiate the version.
    pub fn is_supported(self) -> bool {
        Self::SUPPORTED.contains(&self)
    }
}

impl fmt::Display for TlsVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for TlsVersion {
    type Err = TlsError;

    /// Accepts `TLSv1.2`, `TLS1.2`, `tls1_2`, `1.2` (any case); likewise for 1.0, 1.1, 1.3.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let norm: String = s.trim().to_ascii_lowercase().replace('_', ".");
        let bare = norm
            .strip_prefix("tlsv")
            .or_else(|| norm.strip_prefix("tls"))
            .unwrap_or(&norm);
        match bare {
            "1" | "1.0" => Ok(TlsVersion::Tls1_0),
            "1.1" => Ok(TlsVersion::Tls1_1),
            "1.2" => Ok(TlsVersion::Tls1_2),
            "1.3" => Ok(TlsVersion::Tls1_3),
            _ => Err(TlsError::Settings(format!(
                "unknown TLS version {s:?}; allowed: TLSv1, TLSv1.1, TLSv1.2, TLSv1.3 (this engine speaks TLSv1.2)"
            ))),
        }
    }
}

/// One port's TLS settings, as the configuration schema holds them.
///
/// Build a [`crate::TlsEngineConfig`] from it once per port (`server` when the network side
/// connects to the device, `client` when the device connects out, manual §11.4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsSettings {
    /// Lowest version offered or accepted.
    pub min_version: TlsVersion,
    /// Highest version offered or accepted.
    pub max_version: TlsVersion,
    /// Cipher suites in preference order, by IANA name (`TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256`)
    /// or OpenSSL name (`ECDHE-RSA-AES128-GCM-SHA256`). Empty means the defaults: forward-secret
    /// AEAD suites only ([`crate::default_ciphersuites`]).
    pub ciphersuites: Vec<String>,
    /// Client role: verify the server's certificate against `ca_pem` and the server name.
    /// Server role: require a client certificate and verify it against `ca_pem` (the device's
    /// "Client Authentication by certificate").
    pub verify_peer: bool,
    /// Trusted CA certificates (PEM, one or more; DER for a single one), needed when
    /// `verify_peer` is set.
    pub ca_pem: Option<Vec<u8>>,
    /// Own certificate chain, leaf first (PEM). Required for the server role; optional for the
    /// client role (a client certificate, sent when the server asks).
    pub cert_chain_pem: Vec<u8>,
    /// Private key of the leaf certificate (PEM: PKCS#8, SEC1 or PKCS#1; unencrypted).
    pub key_pem: Vec<u8>,
}

impl Default for TlsSettings {
    /// TLS 1.2 only, default suites, no peer verification, no certificates.
    fn default() -> Self {
        TlsSettings {
            min_version: TlsVersion::Tls1_2,
            max_version: TlsVersion::Tls1_2,
            ciphersuites: Vec::new(),
            verify_peer: false,
            ca_pem: None,
            cert_chain_pem: Vec::new(),
            key_pem: Vec::new(),
        }
    }
}

impl TlsSettings {
    /// The supported versions inside `min_version..=max_version`, lowest first; an error naming
    /// both settings when none is left.
    pub(crate) fn effective_versions(&self) -> Result<(TlsVersion, TlsVersion), TlsError> {
        if self.min_version > self.max_version {
            return Err(TlsError::Settings(format!(
                "min_version {} is above max_version {}",
                self.min_version, self.max_version
            )));
        }
        let inside: Vec<TlsVersion> = TlsVersion::SUPPORTED
            .iter()
            .copied()
            .filter(|v| (self.min_version..=self.max_version).contains(v))
            .collect();
        match (inside.first(), inside.last()) {
            (Some(lo), Some(hi)) => Ok((*lo, *hi)),
            _ => Err(TlsError::Settings(format!(
                "versions {}..{} are not available in this engine (Mbed TLS 2.28); allowed: {}",
                self.min_version,
                self.max_version,
                TlsVersion::SUPPORTED
                    .iter()
                    .map(|v| v.name())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn version_names_parse() {
        for s in ["TLSv1.2", "tls1.2", "TLS1_2", "1.2", " tlsv1.2 "] {
            assert_eq!(s.parse::<TlsVersion>(), Ok(TlsVersion::Tls1_2), "{s}");
        }
        assert_eq!("TLSv1".parse::<TlsVersion>(), Ok(TlsVersion::Tls1_0));
        assert!("SSLv3".parse::<TlsVersion>().is_err());
    }

    #[test]
    fn range_must_contain_tls12() {
        let mut s = TlsSettings::default();
        assert_eq!(
            s.effective_versions(),
            Ok((TlsVersion::Tls1_2, TlsVersion::Tls1_2))
        );
        s.min_version = TlsVersion::Tls1_0;
        s.max_version = TlsVersion::Tls1_3;
        assert_eq!(
            s.effective_versions(),
            Ok((TlsVersion::Tls1_2, TlsVersion::Tls1_2))
        );
        s.min_version = TlsVersion::Tls1_3;
        let e = s.effective_versions().unwrap_err().to_string();
        assert!(
            e.contains("TLSv1.3") && e.contains("allowed: TLSv1.2"),
            "{e}"
        );
        s.max_version = TlsVersion::Tls1_2;
        assert!(s
            .effective_versions()
            .unwrap_err()
            .to_string()
            .contains("above"));
    }
}
