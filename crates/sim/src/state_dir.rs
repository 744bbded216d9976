//! The device's non-volatile memory on the host: a private directory per device.
//!
//! Every file the device keeps there is written through `m2285-hostfs`, which refuses a
//! directory another user could write into and never follows a link planted in it.

use std::net::IpAddr;
use std::path::{Path, PathBuf};

/// File in the state directory holding the saved configuration.
pub const CONFIG_FILE: &str = "config.toml";

/// The directory holding the default state directories:
/// `$XDG_STATE_HOME/m2285-sim`, else `$HOME/.local/state/m2285-sim`, else (no home at all, as
/// under some service managers) a per-user `m2285-sim-<uid>` in the temporary directory. The
/// last one is never a name shared between users: it carries the user id and is checked to be
/// private like any state directory, so another user cannot plant it in advance.
pub fn default_root() -> PathBuf {
    let non_empty = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
    if let Some(state) = non_empty("XDG_STATE_HOME") {
        return PathBuf::from(state).join("m2285-sim");
    }
    if let Some(home) = non_empty("HOME") {
        return PathBuf::from(home).join(".local/state/m2285-sim");
    }
    std::env::temp_dir().join(format!("m2285-sim-{}", nix::unistd::geteuid()))
}

/// The default state directory of the device at `ip`.
pub fn default_for(ip: IpAddr) -> PathBuf {
    default_root().join(ip.to_string())
}

/// The state directory of the device `args` describe (`--state-dir`, else the default for its
/// address), created private if needed, refused if it is not private.
pub fn of(args: &crate::cli::RunArgs) -> Result<PathBuf, String> {
    let dir = args
        .state_dir
        .clone()
        .unwrap_or_else(|| default_for(args.ip));
    prepare(&dir)?;
    Ok(dir)
}

/// Makes sure `dir` is a private directory of the user (mode 0700 when created); under the
/// default root, the root is checked too, so nobody else can swap the directory out.
pub fn prepare(dir: &Path) -> Result<(), String> {
    let root = default_root();
    if dir.starts_with(&root) && dir != root {
        m2285_hostfs::prepare_private_dir(&root).map_err(|e| e.to_string())?;
    }
    m2285_hostfs::prepare_private_dir(dir).map_err(|e| e.to_string())
}

/// The saved configuration, if the device has one (never read through a link).
pub fn saved_config(dir: &Path) -> Result<Option<(PathBuf, String)>, String> {
    let path = dir.join(CONFIG_FILE);
    let bytes = m2285_hostfs::read_private(&path, m2285_hostfs::USER_FILE_LIMIT)
        .map_err(|e| e.to_string())?;
    match bytes {
        None => Ok(None),
        Some(bytes) => String::from_utf8(bytes)
            .map(|text| Some((path.clone(), text)))
            .map_err(|_| format!("{}: not UTF-8 text", path.display())),
    }
}
