//! The control token: a secret the device makes on first start and keeps in its state
//! directory as `control.token` (mode 0600), so only its owner (and `ctl` run by them) can
//! change the device through the control API (docs/control-api.md).

use std::io::{self, Read, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
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
    let describe = |e: io::Error| format!("control token {}: {e}", path.display());
    match read(dir) {
        Ok(token) => {
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
        Err(e) if e.kind() == io::ErrorKind::NotFound => match create(&path) {
            Ok(token) => Ok(token),
            // Another process made it first: use theirs.
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => read(dir).map_err(describe),
            Err(e) => Err(describe(e)),
        },
        Err(e) => Err(describe(e)),
    }
}

/// Reads the token in `dir` without following a link; `NotFound` when there is none.
pub fn read(dir: &Path) -> io::Result<String> {
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(nix::libc::O_NOFOLLOW | nix::libc::O_CLOEXEC)
        .open(dir.join(TOKEN_FILE))
        .map_err(|e| {
            if e.raw_os_error() == Some(nix::libc::ELOOP) {
                io::Error::other("is a symbolic link; refusing it")
            } else {
                e
            }
        })?;
    if !file.metadata()?.is_file() {
        return Err(io::Error::other("not a regular file"));
    }
    let mut text = String::new();
    file.take(MAX_FILE)
        .read_to_string(&mut text)
        .map_err(|_| io::Error::other("not a token (not text)"))?;
    let token = text.trim();
    if valid(token) {
        Ok(token.to_owned())
    } else {
        Err(io::Error::other(
            "not a token (expected one line of letters and digits); delete it to make a new one",
        ))
    }
}

/// A token is 16 to 256 ASCII letters, digits, `-`, `_` or `.` (it travels in a header).
pub fn valid(token: &str) -> bool {
    (16..=256).contains(&token.len())
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// Makes a fresh token at `path`: created new (never through a link, never over a file), 0600.
fn create(path: &Path) -> io::Result<String> {
    let token = fresh()?;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .custom_flags(nix::libc::O_NOFOLLOW | nix::libc::O_CLOEXEC)
        .open(path)?;
    // The mode given at creation is narrowed by the umask only, never widened; say it again
    // in case the file system ignores it.
    file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
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
        assert!(e.contains("symbolic link"), "{e}");
        assert_eq!(std::fs::read_to_string(&victim).expect("victim"), "v\n");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
