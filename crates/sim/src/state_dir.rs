//! The device's non-volatile memory on the host: a directory per device.

use std::io;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

/// File in the state directory holding the saved configuration.
pub const CONFIG_FILE: &str = "config.toml";

/// The default state directory of the device at `ip`.
pub fn default_for(ip: IpAddr) -> PathBuf {
    let base = std::env::var_os("XDG_STATE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/state")))
        .unwrap_or_else(std::env::temp_dir);
    base.join("m2285-sim").join(ip.to_string())
}

/// The state directory of the device `args` describe (`--state-dir`, else the default for its
/// address), created if needed.
pub fn of(args: &crate::cli::RunArgs) -> Result<PathBuf, String> {
    let dir = args
        .state_dir
        .clone()
        .unwrap_or_else(|| default_for(args.ip));
    prepare(&dir).map_err(|e| e.to_string())?;
    Ok(dir)
}

/// Creates the directory if needed.
pub fn prepare(dir: &Path) -> io::Result<()> {
    std::fs::create_dir_all(dir)
        .map_err(|e| io::Error::new(e.kind(), format!("state directory {}: {e}", dir.display())))
}

/// The saved configuration, if the device has one.
pub fn saved_config(dir: &Path) -> Option<(PathBuf, String)> {
    let path = dir.join(CONFIG_FILE);
    std::fs::read_to_string(&path).ok().map(|text| (path, text))
}
