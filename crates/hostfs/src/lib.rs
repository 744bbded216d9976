//! The device's non-volatile memory on the host, made safe to write.
//!
//! Everything the simulator keeps in a device's state directory (saved configuration, private
//! keys, tokens, logs) goes through this crate, so the rules below hold for every file:
//!
//! * the state directory is a real directory (not a link), owned by the user running the
//!   simulator, and neither group- nor world-writable; a new one is made with mode 0700
//!   ([`prepare_private_dir`]);
//! * a file is never written in place: its bytes go to a fresh temporary name opened with
//!   `O_CREAT | O_EXCL | O_NOFOLLOW` (a planted file or link at that name is never opened), are
//!   synced, renamed over the target and the directory is synced ([`write_atomic`]); a power cut
//!   at any instant leaves the old file or the new one, never half of either;
//! * files read from outside (configuration, scenarios) must be regular files of a bounded size
//!   ([`read_regular`]), so `/dev/zero` or a FIFO is refused instead of read forever.
//!
//! * an output file the user names (a trace) replaces what was at its name by a rename of a
//!   fresh file, never by opening the old name ([`create_output`]);
//! * a lock file ([`try_lock`]) is opened without following links and locked with `flock`,
//!   which the kernel releases when the process dies, however it dies.
//!
//! The three steps of a write ([`write_temp`], [`rename_into`], [`sync_dir`]) are public so a
//! runtime can carry them out one action at a time, as the device model asks for them.

use std::fs::{self, DirBuilder, File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Mode of secret files (keys, tokens, password hashes).
pub const SECRET_MODE: u32 = 0o600;

/// Mode of a state directory the simulator creates.
pub const DIR_MODE: u32 = 0o700;

/// Largest file a user may name as configuration, scenario, certificate or key: far above any
/// real one, small enough that a mistaken path (a disk image, a log) fails at once.
pub const USER_FILE_LIMIT: u64 = 16 << 20;

/// Makes sure `dir` is a private directory of the current user, creating it (mode 0700, and its
/// missing parents with the same mode) when absent.
///
/// An existing directory is refused, with a message that says what to do, when it is a symlink,
/// not a directory, owned by another user, or writable by group or others: any of those would
/// let another local user plant links or files the device then trusts.
pub fn prepare_private_dir(dir: &Path) -> io::Result<()> {
    if fs::symlink_metadata(dir).is_err() {
        DirBuilder::new()
            .recursive(true)
            .mode(DIR_MODE)
            .create(dir)
            .map_err(|e| with_path(dir, "cannot create the state directory", e))?;
    }
    check_private_dir(dir)
}

/// Checks, without changing anything, that `dir` is a private directory of the current user.
pub fn check_private_dir(dir: &Path) -> io::Result<()> {
    let meta =
        fs::symlink_metadata(dir).map_err(|e| with_path(dir, "state directory unusable", e))?;
    let refuse = |why: &str| {
        Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!(
                "state directory {}: {why}; use a private directory (mode 0700, owned by you), e.g. --state-dir under your home",
                dir.display()
            ),
        ))
    };
    if meta.file_type().is_symlink() {
        return refuse("is a symbolic link");
    }
    if !meta.is_dir() {
        return refuse("is not a directory");
    }
    if meta.uid() != nix::unistd::geteuid().as_raw() {
        return refuse(&format!("is owned by uid {}, not by you", meta.uid()));
    }
    if meta.mode() & 0o022 != 0 {
        return refuse(&format!(
            "is writable by group or others (mode {:o})",
            meta.mode() & 0o777
        ));
    }
    Ok(())
}

/// Writes `bytes` to `dir/name` atomically and durably, with file mode `mode`: a fresh temporary
/// file (never following a link), fsync, rename over `name`, fsync of the directory.
pub fn write_atomic(dir: &Path, name: &str, bytes: &[u8], mode: u32) -> io::Result<()> {
    let tmp = write_temp(dir, name, bytes, mode)?;
    if let Err(e) = rename_into(dir, &tmp, name) {
        let _ = fs::remove_file(&tmp);
        return Err(e);
    }
    sync_dir(dir)
}

/// First step of an atomic write: `bytes` in a new temporary file beside `dir/name`, synced to
/// disk, with mode `mode`. Returns the temporary file's path.
///
/// The name is fresh (process id, a counter, the clock) and opened with `O_EXCL | O_NOFOLLOW`,
/// so whatever another user planted in the directory is never opened or overwritten.
pub fn write_temp(dir: &Path, name: &str, bytes: &[u8], mode: u32) -> io::Result<PathBuf> {
    let (path, mut file) = create_fresh(dir, name, mode)?;
    let written = file
        .write_all(bytes)
        .and_then(|()| file.set_permissions(fs::Permissions::from_mode(mode)))
        .and_then(|()| file.sync_all());
    match written {
        Ok(()) => Ok(path),
        Err(e) => {
            let _ = fs::remove_file(&path);
            Err(with_path(&path, "cannot write", e))
        }
    }
}

/// Second step of an atomic write: the temporary file replaces `dir/name` in one rename.
pub fn rename_into(dir: &Path, tmp: &Path, name: &str) -> io::Result<()> {
    let target = dir.join(name);
    fs::rename(tmp, &target).map_err(|e| with_path(&target, "cannot replace", e))
}

/// Last step of an atomic write: the directory entry itself reaches the disk.
pub fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| with_path(dir, "cannot sync", e))
}

/// Removes what writes to `dir/name` left behind when the power went off (the process was
/// killed) between [`write_temp`] and [`rename_into`]: regular files with this crate's
/// temporary names for `name`. Links and other entries are left alone. Returns how many went.
pub fn remove_stale_temps(dir: &Path, name: &str) -> io::Result<usize> {
    let prefix = format!(".{name}.");
    let mut removed = 0;
    for entry in fs::read_dir(dir).map_err(|e| with_path(dir, "cannot list", e))? {
        let entry = entry?;
        let file_name = entry.file_name();
        let Some(file_name) = file_name.to_str() else {
            continue;
        };
        if !(file_name.starts_with(&prefix) && file_name.ends_with(".tmp")) {
            continue;
        }
        // `file_type` does not follow links: only a planted link would be one.
        if entry.file_type()?.is_file() {
            fs::remove_file(entry.path())?;
            removed += 1;
        }
    }
    Ok(removed)
}

/// Opens a new file at exactly `path` for writing, mode `mode`, refusing if anything (a file or
/// a link) is already there.
pub fn create_new(path: &Path, mode: u32) -> io::Result<File> {
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .custom_flags(nix::libc::O_NOFOLLOW | nix::libc::O_CLOEXEC)
        .open(path)
        .map_err(|e| with_path(path, "cannot create", e))
}

/// Opens `path` for appending, creating it with mode `mode` if absent, never through a link
/// (for logs and traces the device keeps growing).
pub fn open_append(path: &Path, mode: u32) -> io::Result<File> {
    let file = OpenOptions::new()
        .append(true)
        .create(true)
        .mode(mode)
        .custom_flags(nix::libc::O_NOFOLLOW | nix::libc::O_CLOEXEC)
        .open(path)
        .map_err(|e| with_path(path, "cannot open", e))?;
    if !file.metadata()?.is_file() {
        return Err(with_path(
            path,
            "cannot open",
            io::Error::new(io::ErrorKind::InvalidInput, "not a regular file"),
        ));
    }
    file.set_permissions(fs::Permissions::from_mode(mode))?;
    Ok(file)
}

/// Opens an output file a user named (a trace) for writing: a new file of mode `mode` that
/// takes the place of whatever was at `path`.
///
/// The file is made under a fresh name beside `path` (`O_EXCL | O_NOFOLLOW`) and renamed over
/// `path`: a link planted at `path` is replaced, never followed, and an old file is replaced
/// rather than truncated in place. A directory at `path` is refused. A pipe or terminal there
/// (`/dev/stderr`, a shell's `>(...)`) is written to as it is: nothing is created or truncated.
pub fn create_output(path: &Path, mode: u32) -> io::Result<File> {
    use std::os::unix::fs::FileTypeExt;
    if fs::metadata(path).is_ok_and(|m| m.file_type().is_fifo() || m.file_type().is_char_device()) {
        return OpenOptions::new()
            .write(true)
            .custom_flags(nix::libc::O_CLOEXEC)
            .open(path)
            .map_err(|e| with_path(path, "cannot open", e));
    }
    let name = path.file_name().and_then(|n| n.to_str()).ok_or_else(|| {
        with_path(
            path,
            "cannot create",
            io::Error::new(io::ErrorKind::InvalidInput, "not a file name"),
        )
    })?;
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    if fs::symlink_metadata(path).is_ok_and(|m| m.is_dir()) {
        return Err(with_path(
            path,
            "cannot create",
            io::Error::new(io::ErrorKind::AlreadyExists, "a directory is there"),
        ));
    }
    let (tmp, file) = create_fresh(dir, name, mode)?;
    if let Err(e) = fs::rename(&tmp, path) {
        let _ = fs::remove_file(&tmp);
        return Err(with_path(path, "cannot create", e));
    }
    Ok(file)
}

/// An exclusive `flock` on a lock file, held until dropped or until the process ends (the
/// kernel releases it even on SIGKILL). Dropping it removes the lock file.
#[derive(Debug)]
pub struct Lock {
    file: nix::fcntl::Flock<File>,
    path: PathBuf,
}

impl Lock {
    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for Lock {
    /// Removes the lock file while still holding the lock; a process waiting on the old file
    /// notices (see [`try_lock`]) and starts again on a new one.
    fn drop(&mut self) {
        if same_file(&self.file, &self.path) {
            let _ = fs::remove_file(&self.path);
        }
    }
}

/// Takes the exclusive lock at `path` (created mode 0600 if absent, never through a link),
/// writing this process's id into it. `Ok(Err(holder))` when another live process holds it:
/// `holder` is the process id it wrote, when readable.
pub fn try_lock(path: &Path) -> io::Result<Result<Lock, Option<u32>>> {
    use nix::fcntl::{Flock, FlockArg};
    // A holder may remove the file between our open and our flock: retry on the new file.
    for _ in 0..16 {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .mode(SECRET_MODE)
            .custom_flags(nix::libc::O_NOFOLLOW | nix::libc::O_CLOEXEC | nix::libc::O_NONBLOCK)
            .open(path)
            .map_err(|e| with_path(path, "cannot open the lock file", e))?;
        if !file.metadata()?.is_file() {
            return Err(with_path(
                path,
                "cannot lock",
                io::Error::new(io::ErrorKind::InvalidInput, "not a regular file"),
            ));
        }
        let mut file = match Flock::lock(file, FlockArg::LockExclusiveNonblock) {
            Ok(locked) => locked,
            Err((file, nix::errno::Errno::EWOULDBLOCK)) => {
                let mut text = String::new();
                let _ = (&file).take(32).read_to_string(&mut text);
                return Ok(Err(text.trim().parse().ok()));
            }
            Err((_, e)) => return Err(with_path(path, "cannot lock", e.into())),
        };
        if !same_file(&file, path) {
            continue;
        }
        file.set_len(0)
            .and_then(|()| writeln!(*file, "{}", std::process::id()))
            .map_err(|e| with_path(path, "cannot write", e))?;
        return Ok(Ok(Lock {
            file,
            path: path.to_path_buf(),
        }));
    }
    Err(with_path(
        path,
        "cannot lock",
        io::Error::new(io::ErrorKind::WouldBlock, "the lock file keeps changing"),
    ))
}

/// True when `path` still names the file `file` is open on.
fn same_file(file: &File, path: &Path) -> bool {
    match (file.metadata(), fs::symlink_metadata(path)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

/// Reads a state-directory file without following a link at its name; `None` when absent.
pub fn read_private(path: &Path, max_len: u64) -> io::Result<Option<Vec<u8>>> {
    match open_regular(path, true) {
        Ok(file) => read_capped(file, path, max_len).map(Some),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// Reads a file a user named (configuration, scenario): it must be a regular file (links to
/// one are fine) of at most `max_len` bytes, else a clear error instead of an endless read.
pub fn read_regular(path: &Path, max_len: u64) -> io::Result<Vec<u8>> {
    let file = open_regular(path, false)?;
    read_capped(file, path, max_len)
}

/// [`read_regular`], as UTF-8 text.
pub fn read_regular_text(path: &Path, max_len: u64) -> io::Result<String> {
    let bytes = read_regular(path, max_len)?;
    String::from_utf8(bytes).map_err(|_| {
        with_path(
            path,
            "cannot read",
            io::Error::new(io::ErrorKind::InvalidData, "not UTF-8 text"),
        )
    })
}

fn open_regular(path: &Path, no_follow: bool) -> io::Result<File> {
    let mut flags = nix::libc::O_CLOEXEC | nix::libc::O_NONBLOCK;
    if no_follow {
        flags |= nix::libc::O_NOFOLLOW;
    }
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(flags)
        .open(path)
        .map_err(|e| with_path(path, "cannot open", e))?;
    if !file.metadata()?.is_file() {
        return Err(with_path(
            path,
            "refused",
            io::Error::new(
                io::ErrorKind::InvalidInput,
                "not a regular file (a device, FIFO or directory)",
            ),
        ));
    }
    Ok(file)
}

fn read_capped(file: File, path: &Path, max_len: u64) -> io::Result<Vec<u8>> {
    let mut out = Vec::new();
    file.take(max_len + 1)
        .read_to_end(&mut out)
        .map_err(|e| with_path(path, "cannot read", e))?;
    if out.len() as u64 > max_len {
        return Err(with_path(
            path,
            "refused",
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("larger than the {max_len}-byte limit"),
            ),
        ));
    }
    Ok(out)
}

fn create_fresh(dir: &Path, name: &str, mode: u32) -> io::Result<(PathBuf, File)> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    for _ in 0..16 {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let path = dir.join(format!(".{name}.{}.{n}.{nanos:x}.tmp", std::process::id()));
        match create_new(&path, mode) {
            Ok(file) => return Ok((path, file)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(with_path(
        dir,
        "cannot create a temporary file",
        io::Error::new(io::ErrorKind::AlreadyExists, "every fresh name was taken"),
    ))
}

fn with_path(path: &Path, what: &str, e: io::Error) -> io::Error {
    io::Error::new(e.kind(), format!("{}: {what}: {e}", path.display()))
}

#[cfg(test)]
mod tests;
