//! What the runtime reads from the device's state directory at power-on: the configuration
//! flash boots (or `--config`/`--set`), the RTC offset, and the host facts (wall clock, hardware
//! id) the model is handed as its platform.

use crate::cli::RunArgs;
use m2285_core::Config;
use std::path::PathBuf;

/// What the device learns about its host at power-on: the wall clock's Unix time, the RTC offset
/// kept in the state directory, and a hardware id from the state directory's path (so the serial
/// number and MAC stay the same across restarts).
pub fn platform(state_dir: &std::path::Path) -> m2285_core::admin::Platform {
    let unix_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
    let rtc_offset_ms = rtc_offset(state_dir);
    let path = std::fs::canonicalize(state_dir).unwrap_or_else(|_| state_dir.to_path_buf());
    m2285_core::admin::Platform {
        unix_ms_at_power_on: unix_ms,
        rtc_offset_ms,
        hardware_id: m2285_core::admin::identity::hardware_id(path.as_os_str().as_encoded_bytes()),
    }
}

/// The device's date at power-on, in seconds since the Unix epoch: the platform's wall clock plus
/// the RTC offset (the admin clock's rule at device time zero). The device's own certificate is
/// made or renewed against it.
pub fn device_unix_at_power_on(platform: &m2285_core::admin::Platform) -> i64 {
    (platform.unix_ms_at_power_on + platform.rtc_offset_ms).div_euclid(1000)
}

/// The RTC offset the state directory keeps (0 when there is none).
pub(super) fn rtc_offset(state_dir: &std::path::Path) -> i64 {
    m2285_hostfs::read_private(&state_dir.join(m2285_core::admin::clock::RTC_FILE), 64)
        .ok()
        .flatten()
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|t| t.trim().parse().ok())
        .unwrap_or(0)
}

/// The firmware version file the state directory keeps after an upgrade (None when there is
/// none or it cannot be read privately).
pub(super) fn kept_firmware(state_dir: &std::path::Path) -> Option<Vec<u8>> {
    let file = state_dir.join(m2285_core::admin::firmware::FIRMWARE_FILE);
    m2285_hostfs::read_private(&file, 64).ok().flatten()
}

/// Loads the configuration the way the device does at boot: `--config`, else the one saved in
/// the state directory, else factory; then the `--set` overrides.
pub fn load_config(args: &RunArgs, state_dir: &std::path::Path) -> Result<Config, String> {
    let (source, text): (PathBuf, Option<String>) = match &args.config {
        Some(path) => {
            let text = m2285_hostfs::read_regular_text(path, m2285_hostfs::USER_FILE_LIMIT)
                .map_err(|e| format!("--config: {e}"))?;
            (path.clone(), Some(text))
        }
        None => match crate::state_dir::saved_config(state_dir)? {
            Some((path, text)) => (path, Some(text)),
            None => (PathBuf::from("factory defaults"), None),
        },
    };
    let base = match text {
        Some(text) => Config::from_toml_str(&text)
            .map_err(|errors| crate::config_errors(&source.display().to_string(), &errors))?,
        None => Config::factory(),
    };
    let mut config = base
        .with_sets(args.sets.iter().map(String::as_str))
        .map_err(|errors| crate::config_errors("--set", &errors))?;
    // Plaintext passwords (a file or --set) are hashed here, before the loop runs.
    config.seal_secrets(&mut rand::random);
    Ok(config)
}
