//! The device's certificate and key on the host: read from the configured PEM files, or the
//! device's own self-signed pair, made on first boot and kept in the state directory (private
//! key mode 0600) so it survives restarts.

use m2285_core::config::CryptoMethod;
use m2285_core::{Config, TlsMaterial};
use std::path::Path;

/// The TLS material the device needs, or `None` when no port encrypts and none was asked for.
pub fn load(
    config: &Config,
    state_dir: &Path,
    common_name: &str,
    seed: u64,
    always: bool,
) -> Result<Option<TlsMaterial>, String> {
    let crypto = &config.port1.crypto;
    if crypto.method == CryptoMethod::None && !always {
        return Ok(None);
    }
    let read = |key: &str, path: &str| {
        std::fs::read(path).map_err(|e| format!("port1.crypto.{key} = \"{path}\": {e}"))
    };
    let (cert_chain_pem, key_pem) = match (crypto.cert_file.as_str(), crypto.key_file.as_str()) {
        ("", "") => {
            let identity =
                m2285_tls::identity::load_or_create(state_dir, common_name, seed_bytes(seed))
                    .map_err(|e| format!("device certificate in {}: {e}", state_dir.display()))?;
            (identity.cert_pem, identity.key_pem)
        }
        ("", _) | (_, "") => {
            return Err(
                "port1.crypto.cert_file and port1.crypto.key_file must be given together".into(),
            )
        }
        (cert, key) => (read("cert_file", cert)?, read("key_file", key)?),
    };
    let ca_pem = match crypto.ca_file.as_str() {
        "" => None,
        path => Some(read("ca_file", path)?),
    };
    Ok(Some(TlsMaterial {
        cert_chain_pem,
        key_pem,
        ca_pem,
    }))
}

/// 32 seed bytes from the run's seed.
pub fn seed_bytes(seed: u64) -> [u8; 32] {
    let mut out = [0u8; 32];
    for (i, chunk) in out.chunks_mut(8).enumerate() {
        chunk.copy_from_slice(
            &(seed ^ (i as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15)).to_le_bytes(),
        );
    }
    out
}

/// A seed for a real-time run when none is given: different every run.
pub fn fresh_seed() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0),
    );
    h.write_u32(std::process::id());
    h.finish()
}
