//! The control token: a secret the device makes on first start and keeps in its state
//! directory as `control.token` (mode 0600), so only its owner (and `ctl` run by them) can
//! change the device through the control API (docs/control-api.md).

use std::io::{self, Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

/// The token's file in the state directory.
pub const TOKEN_FILE: &str = "control.token";

/// Random bytes in a fresh token (shown as twice as many hex digits).
const TOKEN_BYTES: usize = 32;

/// Longest token file read (a token is one short line).
const MAX_FILE: u64 = 1024;

/// The device's token: read from `dir`, or made there if there is none. Fails when the file is
/// a link, not a regular file, readable by others, or not a token.
pub fn load_or_create(dir: &Path) -> Result<String, String> {
    let path = dir.join(TOKEN_FILE);
    let describe = |e: io::Error| format!("control token: {e}");
    match read(dir) {
        Ok(Some(token)) => {
            let mode = std::fs::symlink_metadata(&path)
                .map_err(describe)?
                .permissions()
                .mode();
            if mode & 0o077 != 0 {
                return Err(format!(
                    "control token {}: readable by others (mode {:o}); chmod 600 it or delete it to make a new one",
                    path.display(),
                    mode & 0o777
                ));
            }
            Ok(token)
        }
        Ok(None) => match create(&path) {
            Ok(token) => Ok(token),
            // Another process made it first: use theirs.
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => match read(dir) {
                Ok(Some(token)) => Ok(token),
                Ok(None) => Err(format!("control token {}: vanished", path.display())),
                Err(e) => Err(describe(e)),
            },
            Err(e) => Err(describe(e)),
        },
        Err(e) => Err(describe(e)),
    }
}

/// Reads the token in `dir` without following a link at its name; `None` when there is none.
pub fn read(dir: &Path) -> io::Result<Option<String>> {
    let path = dir.join(TOKEN_FILE);
    let Some(bytes) = m2285_hostfs::read_private(&path, MAX_FILE)? else {
        return Ok(None);
    };
    let text = String::from_utf8_lossy(&bytes);
    let token = text.trim();
    if valid(token) {
        Ok(Some(token.to_owned()))
    } else {
        Err(io::Error::other(format!(
            "{}: not a token (expected one line of letters and digits); delete it to make a new one",
            path.display()
        )))
    }
}

/// A token is 16 to 256 ASCII letters, digits, `-`, `_` or `.` (it travels in a header).
pub fn valid(token: &str) -> bool {
    (16..=256).contains(&token.len())
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// Makes a fresh token at `path` with `O_CREAT|O_EXCL|O_NOFOLLOW`, mode 0600: never through a
/// link, never over a file someone put there first.
fn create(path: &Path) -> io::Result<String> {
    let token = fresh()?;
    let mut file = m2285_hostfs::create_new(path, m2285_hostfs::SECRET_MODE)?;
    // The mode given at creation is only ever narrowed by the umask; say it again anyway.
    file.set_permissions(std::fs::Permissions::from_mode(m2285_hostfs::SECRET_MODE))?;
    file.write_all(format!("{token}\n").as_bytes())?;
    file.sync_all()?;
    Ok(token)
}

/// 32 bytes from the kernel's random source, as hex.
fn fresh() -> io::Result<String> {
    let mut bytes = [0u8; TOKEN_BYTES];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut bytes)?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(tag: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("m2285-token-{}-{tag}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("scratch dir");
        dir
    }

    #[test]
    fn made_once_private_and_kept() {
        let dir = scratch("kept");
        let first = load_or_create(&dir).expect("made");
        assert_eq!(first.len(), 2 * TOKEN_BYTES);
        let meta = std::fs::metadata(dir.join(TOKEN_FILE)).expect("file");
        assert_eq!(meta.permissions().mode() & 0o777, 0o600);
        assert_eq!(load_or_create(&dir), Ok(first));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_planted_link_is_refused_and_its_target_untouched() {
        let dir = scratch("link");
        let victim = dir.join("victim");
        std::fs::write(&victim, "v\n").expect("victim");
        std::os::unix::fs::symlink(&victim, dir.join(TOKEN_FILE)).expect("link");
        let e = load_or_create(&dir).expect_err("a link is refused");
        assert!(e.contains("control token"), "{e}");
        assert_eq!(std::fs::read_to_string(&victim).expect("victim"), "v\n");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
