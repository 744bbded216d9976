//! The device's certificate and key on the host: read from the configured PEM files, or the
//! device's own self-signed pair, made on first boot from the device's date and kept in the
//! state directory (private key mode 0600) so it survives restarts, and made again at boot when
//! it nears its end (`m2285_tls::device_cert`, docs/tls.md).

use m2285_core::config::CryptoMethod;
use m2285_core::{Config, TlsMaterial};
use m2285_hostfs::{SECRET_MODE, USER_FILE_LIMIT};
use m2285_tls::device_cert;
use m2285_tls::identity::{self, Identity};
use m2285_tls::TlsError;
use std::path::Path;

/// File name of the device certificate in the state directory.
pub const CERT_FILE: &str = "device.crt";
/// File name of the device's private key in the state directory (mode 0600).
pub const KEY_FILE: &str = "device.key";

/// Mode of the certificate: public, but only the user may replace it.
const CERT_MODE: u32 = 0o644;

/// Path of the CRL the device's own certificate names, served by the web server.
pub const CRL_PATH: &str = "/device.crl";

/// The TLS material the device needs, or `None` when no port encrypts and none was asked for.
/// `device_unix` is the device's date (seconds since the Unix epoch) at boot: the device's own
/// certificate is made or renewed against it.
pub fn load(
    config: &Config,
    state_dir: &Path,
    common_name: &str,
    seed: u64,
    device_unix: i64,
    always: bool,
) -> Result<Option<TlsMaterial>, String> {
    let crypto = &config.port1.crypto;
    if crypto.method == CryptoMethod::None && !always {
        return Ok(None);
    }
    let read = |key: &str, path: &str| {
        m2285_hostfs::read_regular(Path::new(path), USER_FILE_LIMIT)
            .map_err(|e| format!("port1.crypto.{key} = \"{path}\": {e}"))
    };
    let (cert_chain_pem, key_pem) = match (crypto.cert_file.as_str(), crypto.key_file.as_str()) {
        ("", "") => {
            let identity = load_or_create(state_dir, common_name, seed_bytes(seed), device_unix)
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

/// The empty CRL the device's own certificate names at [`CRL_PATH`] (DER, signed with the
/// device's key), or `None` when the configuration gives its own certificate files (which name
/// their CA's CRL, if any) or the CRL cannot be made (logged).
pub fn device_crl(
    config: &Config,
    cert_pem: &[u8],
    key_pem: &[u8],
    device_unix: i64,
) -> Option<Vec<u8>> {
    let crypto = &config.port1.crypto;
    if !crypto.cert_file.is_empty() {
        return None;
    }
    let identity = Identity {
        cert_pem: cert_pem.to_vec(),
        key_pem: key_pem.to_vec(),
    };
    device_cert::empty_crl(&identity, device_unix)
        .map_err(|e| tracing::error!("device certificate: cannot make its CRL: {e}"))
        .ok()
}

/// The URI the device's own certificate names for its CRL: the device's address (its common
/// name) on its web server's port 80.
fn crl_uri(common_name: &str) -> String {
    format!("http://{common_name}{CRL_PATH}")
}

/// Reads the device's own pair from `dir` (a private state directory), or, when neither file
/// exists, makes one for `common_name` from `seed` and the device's date `device_unix` and writes
/// it there through `m2285-hostfs` (fresh temporary names, never following a planted link; the
/// key mode 0600). A pair read back that needs renewal at `device_unix`
/// ([`device_cert::needs_renewal`]) is made again and replaced, with a log line saying why.
///
/// The pair read back is checked: both must parse and the key must match the certificate. If
/// only one of the files exists, that is an error (nothing is overwritten). A link at either
/// name is refused, so a user who wants their own pair gives `port1.crypto.cert_file`.
fn load_or_create(
    dir: &Path,
    common_name: &str,
    seed: [u8; 32],
    device_unix: i64,
) -> Result<Identity, String> {
    let issue = || -> Result<Identity, String> {
        let id = device_cert::issue(common_name, seed, device_unix, Some(&crl_uri(common_name)))
            .map_err(|e| e.to_string())?;
        m2285_hostfs::write_atomic(dir, KEY_FILE, &id.key_pem, SECRET_MODE)
            .and_then(|()| m2285_hostfs::write_atomic(dir, CERT_FILE, &id.cert_pem, CERT_MODE))
            .map_err(|e| e.to_string())?;
        Ok(id)
    };
    let read = |name: &str| {
        m2285_hostfs::read_private(&dir.join(name), USER_FILE_LIMIT).map_err(|e| e.to_string())
    };
    match (read(CERT_FILE)?, read(KEY_FILE)?) {
        (Some(cert_pem), Some(key_pem)) => {
            let id = Identity { cert_pem, key_pem };
            identity::check(&id).map_err(|e| {
                let file = match &e {
                    TlsError::Pem { what, .. } if *what == "private key" => KEY_FILE,
                    _ => CERT_FILE,
                };
                format!("{file}: {e}")
            })?;
            match device_cert::needs_renewal(&id.cert_pem, device_unix)
                .map_err(|e| format!("{CERT_FILE}: {e}"))?
            {
                Some(why) => {
                    tracing::warn!("device certificate renewed: {why}");
                    issue()
                }
                None => Ok(id),
            }
        }
        (None, None) => issue(),
        (Some(_), None) => Err(half_pair(KEY_FILE, CERT_FILE)),
        (None, Some(_)) => Err(half_pair(CERT_FILE, KEY_FILE)),
    }
}

fn half_pair(missing: &str, present: &str) -> String {
    format!(
        "{missing} is missing while {present} exists; restore it, or remove both files to have a \
         new pair generated"
    )
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    fn private_dir(tag: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("m2285-tlsfiles-{tag}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        m2285_hostfs::prepare_private_dir(&dir)
            .map(|()| dir)
            .unwrap_or_default()
    }

    /// 2026-12-01T00:00:00Z.
    const NOW: i64 = 1_796_083_200;

    #[test]
    fn created_once_then_read_back_and_half_pairs_refused() -> Result<(), String> {
        use std::os::unix::fs::PermissionsExt;
        let dir = private_dir("pair");
        let first = load_or_create(&dir, "m2285.local", [9; 32], NOW)?;
        let key = fs::metadata(dir.join(KEY_FILE)).map_err(|e| e.to_string())?;
        assert_eq!(key.permissions().mode() & 0o777, 0o600);
        // Afterwards the files win, whatever the arguments say.
        assert_eq!(load_or_create(&dir, "other", [1; 32], NOW)?, first);

        // Renewed within 60 days of its end, not before.
        let day = 86_400;
        assert_eq!(load_or_create(&dir, "x", [1; 32], NOW + 330 * day)?, first);
        let renewed = load_or_create(&dir, "m2285.local", [9; 32], NOW + 340 * day)?;
        assert_ne!(renewed, first);
        let (not_before, not_after) =
            device_cert::validity(&renewed.cert_pem).map_err(|e| e.to_string())?;
        assert_eq!(not_before, (NOW + 340 * day) / day * day);
        assert_eq!(not_after - not_before + 1, 397 * day);
        assert_eq!(
            load_or_create(&dir, "y", [2; 32], NOW + 341 * day)?,
            renewed
        );

        fs::remove_file(dir.join(KEY_FILE)).map_err(|e| e.to_string())?;
        let e = load_or_create(&dir, "m2285.local", [9; 32], NOW)
            .err()
            .unwrap_or_default();
        assert!(
            e.contains("device.key is missing") && e.contains("remove both"),
            "{e}"
        );
        fs::write(dir.join(KEY_FILE), b"not a key").map_err(|e| e.to_string())?;
        let e = load_or_create(&dir, "m2285.local", [9; 32], NOW)
            .err()
            .unwrap_or_default();
        assert!(
            e.starts_with("device.key:") && e.contains("private key"),
            "{e}"
        );
        fs::remove_dir_all(&dir).map_err(|e| e.to_string())
    }
}
