//! [`TlsEngineConfig`]: a port's TLS settings, validated and parsed once, from which each
//! session builds its own Mbed TLS `Config`.
//!
//! Mbed TLS keeps the RNG in the `Config`, and every session needs its own seeded RNG for
//! determinism, so the expensive parts (certificates, key, CA list, suite and curve lists) are
//! parsed here once and shared by `Arc`, while the cheap `Config` wrapper is made per session.

use std::ffi::c_int;
use std::sync::Arc;

use mbedtls::alloc::List;
use mbedtls::pk::Pk;
use mbedtls::ssl::config::{AuthMode, Endpoint, Preset, Transport};
use mbedtls::ssl::{Config, Version};
use mbedtls::x509::Certificate;
use mbedtls_sys::ecp_group_id;

use crate::rng::SeededRng;
use crate::settings::{TlsSettings, TlsVersion};
use crate::{pem, suites, TlsError};

/// Key-exchange curves, preference order: X25519 and P-256 first; P-384/P-521 stay allowed
/// because Mbed TLS also uses this list to accept a peer's ECDSA certificate key.
const CURVES: &[ecp_group_id] = &[
    mbedtls_sys::ECP_DP_CURVE25519,
    mbedtls_sys::ECP_DP_SECP256R1,
    mbedtls_sys::ECP_DP_SECP384R1,
    mbedtls_sys::ECP_DP_SECP521R1,
    mbedtls_sys::ECP_DP_NONE,
];

/// Which side of the handshake a configuration is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    Server,
    Client,
}

/// A port's TLS configuration, built once from [`TlsSettings`] and shared by all of the port's
/// sessions (clone it or put it in an `Arc`; clones share the parsed certificates).
#[derive(Clone)]
pub struct TlsEngineConfig {
    pub(crate) role: Role,
    pub(crate) verify_peer: bool,
    versions: (TlsVersion, TlsVersion),
    suites: Arc<Vec<c_int>>,
    curves: Arc<Vec<ecp_group_id>>,
    ca: Option<Arc<List<Certificate>>>,
    own: Option<(Arc<List<Certificate>>, Arc<Pk>)>,
}

impl std::fmt::Debug for TlsEngineConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsEngineConfig")
            .field("role", &self.role)
            .field("verify_peer", &self.verify_peer)
            .field("versions", &self.versions)
            .field("suites", &self.suites.len().saturating_sub(1))
            .field("has_ca", &self.ca.is_some())
            .field("has_own_cert", &self.own.is_some())
            .finish()
    }
}

impl TlsEngineConfig {
    /// Configuration for the server role (the network side connected to the device).
    ///
    /// Needs `cert_chain_pem` and `key_pem`; with `verify_peer` ("Client Authentication by
    /// certificate") it also needs `ca_pem` and then requires and verifies a client certificate.
    pub fn server(s: &TlsSettings) -> Result<Self, TlsError> {
        if s.cert_chain_pem.is_empty() || s.key_pem.is_empty() {
            return Err(TlsError::Settings(
                "the server role needs cert_chain_pem and key_pem (identity::generate_default makes a \
                 self-signed pair)"
                    .into(),
            ));
        }
        Self::build(Role::Server, s)
    }

    /// Configuration for the client role (the device connecting out).
    ///
    /// With `verify_peer` it needs `ca_pem` and checks the server certificate against it and
    /// against the server name given to [`crate::TlsSession::new`]. `cert_chain_pem`/`key_pem`
    /// are optional: when given, they are sent if the server asks for a client certificate.
    pub fn client(s: &TlsSettings) -> Result<Self, TlsError> {
        if s.cert_chain_pem.is_empty() != s.key_pem.is_empty() {
            return Err(TlsError::Settings(
                "cert_chain_pem and key_pem must be given together (or both left empty)".into(),
            ));
        }
        Self::build(Role::Client, s)
    }

    fn build(role: Role, s: &TlsSettings) -> Result<Self, TlsError> {
        let versions = s.effective_versions()?;
        let suites = Arc::new(suites::resolve_list(&s.ciphersuites)?);
        let ca = match &s.ca_pem {
            Some(bytes) => Some(Arc::new(pem::parse_certs("CA list", bytes)?)),
            None if s.verify_peer => return Err(TlsError::Settings(
                "verify_peer is on but no ca_pem is given: a peer certificate cannot be verified \
                     without trusted CA certificates"
                    .into(),
            )),
            None => None,
        };
        let own = if s.cert_chain_pem.is_empty() {
            None
        } else {
            let chain = pem::parse_certs("certificate chain", &s.cert_chain_pem)?;
            let key = pem::parse_key(&s.key_pem)?;
            if let Some(leaf) = chain.iter().next() {
                pem::check_pair(leaf, &key)?;
            }
            Some((Arc::new(chain), Arc::new(key)))
        };
        Ok(TlsEngineConfig {
            role,
            verify_peer: s.verify_peer,
            versions,
            suites,
            curves: Arc::new(CURVES.to_vec()),
            ca,
            own,
        })
    }

    /// Whether this is the server-role configuration.
    pub fn is_server(&self) -> bool {
        self.role == Role::Server
    }

    /// A fresh Mbed TLS `Config` for one session, with its own RNG seeded from `seed`.
    pub(crate) fn session_config(&self, seed: [u8; 32]) -> Result<Config, TlsError> {
        let endpoint = match self.role {
            Role::Server => Endpoint::Server,
            Role::Client => Endpoint::Client,
        };
        let mut c = Config::new(endpoint, Transport::Stream, Preset::Default);
        c.set_rng(Arc::new(SeededRng::new(seed)));
        c.set_min_version(mbedtls_version(self.versions.0))
            .map_err(|e| TlsError::engine("setting the minimum version", &e))?;
        c.set_max_version(mbedtls_version(self.versions.1))
            .map_err(|e| TlsError::engine("setting the maximum version", &e))?;
        c.set_ciphersuites(self.suites.clone());
        c.set_curves(self.curves.clone());
        c.set_authmode(if self.verify_peer {
            AuthMode::Required
        } else {
            AuthMode::None
        });
        if let Some(ca) = &self.ca {
            c.set_ca_list(ca.clone(), None);
        }
        if let Some((chain, key)) = &self.own {
            c.push_cert(chain.clone(), key.clone())
                .map_err(|e| TlsError::engine("installing the certificate", &e))?;
        }
        Ok(c)
    }
}

fn mbedtls_version(v: TlsVersion) -> Version {
    match v {
        TlsVersion::Tls1_0 => Version::Tls1_0,
        TlsVersion::Tls1_1 => Version::Tls1_1,
        // Only TLS 1.2 survives `effective_versions`; 1.3 cannot reach here.
        TlsVersion::Tls1_2 | TlsVersion::Tls1_3 => Version::Tls1_2,
    }
}
