use super::*;
use std::os::unix::fs::{symlink, FileTypeExt};

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("m2285-hostfs-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    prepare_private_dir(&dir).expect("scratch dir");
    dir
}

#[test]
fn a_new_state_directory_is_private() -> io::Result<()> {
    let dir = scratch("new").join("a/b");
    prepare_private_dir(&dir)?;
    assert_eq!(fs::metadata(&dir)?.mode() & 0o777, 0o700);
    Ok(())
}

#[test]
fn a_shared_or_linked_directory_is_refused() -> io::Result<()> {
    let base = scratch("shared");
    let open = base.join("open");
    fs::create_dir(&open)?;
    fs::set_permissions(&open, fs::Permissions::from_mode(0o777))?;
    let err = prepare_private_dir(&open).expect_err("world-writable refused");
    assert!(
        err.to_string().contains("writable by group or others"),
        "{err}"
    );
    let link = base.join("link");
    symlink(&open, &link)?;
    let err = prepare_private_dir(&link).expect_err("link refused");
    assert!(err.to_string().contains("symbolic link"), "{err}");
    Ok(())
}

#[test]
fn atomic_write_replaces_the_file_and_never_follows_a_planted_link() -> io::Result<()> {
    let dir = scratch("atomic");
    let victim = dir.join("victim");
    fs::write(&victim, b"v")?;
    // Links planted at every name an old writer used: none of them may be written through.
    symlink(&victim, dir.join("device.key.tmp"))?;
    symlink(&victim, dir.join(".device.key.tmp"))?;
    write_atomic(&dir, "device.key", b"secret", SECRET_MODE)?;
    assert_eq!(fs::read(&victim)?, b"v");
    let meta = fs::symlink_metadata(dir.join("device.key"))?;
    assert!(meta.is_file());
    assert_eq!(meta.mode() & 0o777, 0o600);
    assert_eq!(fs::read(dir.join("device.key"))?, b"secret");
    write_atomic(&dir, "device.key", b"second", SECRET_MODE)?;
    assert_eq!(fs::read(dir.join("device.key"))?, b"second");
    Ok(())
}

#[test]
fn create_new_refuses_a_planted_link() -> io::Result<()> {
    let dir = scratch("create");
    let victim = dir.join("victim");
    fs::write(&victim, b"v")?;
    symlink(&victim, dir.join("token"))?;
    assert!(create_new(&dir.join("token"), SECRET_MODE).is_err());
    assert!(open_append(&dir.join("token"), SECRET_MODE).is_err());
    assert_eq!(fs::read(&victim)?, b"v");
    Ok(())
}

#[test]
fn reading_refuses_devices_and_oversized_files() -> io::Result<()> {
    let err = read_regular(Path::new("/dev/zero"), 1024).expect_err("device refused");
    assert!(err.to_string().contains("not a regular file"), "{err}");
    let dir = scratch("read");
    let big = dir.join("big.toml");
    fs::write(&big, vec![b'#'; 2048])?;
    let err = read_regular(&big, 1024).expect_err("too big");
    assert!(err.to_string().contains("1024-byte limit"), "{err}");
    assert_eq!(read_regular(&big, 4096)?.len(), 2048);
    assert!(read_private(&dir.join("absent"), 10)?.is_none());
    Ok(())
}

#[test]
fn create_output_replaces_a_planted_link_instead_of_following_it() -> io::Result<()> {
    let dir = scratch("replacing");
    let victim = dir.join("victim");
    fs::write(&victim, b"v")?;
    let trace = dir.join("run.jsonl");
    symlink(&victim, &trace)?;
    let mut file = create_output(&trace, SECRET_MODE)?;
    file.write_all(b"line\n")?;
    assert_eq!(fs::read(&victim)?, b"v");
    let meta = fs::symlink_metadata(&trace)?;
    assert!(meta.is_file());
    assert_eq!(meta.mode() & 0o777, 0o600);
    assert_eq!(fs::read(&trace)?, b"line\n");
    // An old file is replaced, not appended to.
    create_output(&trace, SECRET_MODE)?.write_all(b"new\n")?;
    assert_eq!(fs::read(&trace)?, b"new\n");
    assert!(create_output(&dir, SECRET_MODE).is_err());
    // A terminal or pipe is written as it is.
    assert!(create_output(Path::new("/dev/null"), SECRET_MODE).is_ok());
    assert!(fs::metadata("/dev/null")?.file_type().is_char_device());
    Ok(())
}

#[test]
fn a_lock_is_exclusive_names_its_holder_and_is_removed_on_drop() -> io::Result<()> {
    let dir = scratch("lock");
    let path = dir.join("x.lock");
    let lock = try_lock(&path)?.expect("free lock taken");
    assert_eq!(lock.path(), path);
    // flock locks belong to the open file, so a second open in this process conflicts too.
    assert_eq!(try_lock(&path)?.err(), Some(Some(std::process::id())));
    drop(lock);
    assert!(fs::symlink_metadata(&path).is_err(), "lock file removed");
    let again = try_lock(&path)?;
    assert!(again.is_ok());
    // A link planted at the lock's name is never followed.
    drop(again);
    let victim = dir.join("victim");
    fs::write(&victim, b"v")?;
    symlink(&victim, &path)?;
    assert!(try_lock(&path).is_err());
    assert_eq!(fs::read(&victim)?, b"v");
    Ok(())
}

#[test]
fn stale_temporary_files_are_removed_and_nothing_else() {
    let dir = scratch("stale");
    let tmp =
        write_temp(&dir, "config.toml", b"half", SECRET_MODE).unwrap_or_else(|e| panic!("{e}"));
    write_atomic(&dir, "config.toml", b"whole", SECRET_MODE).unwrap_or_else(|e| panic!("{e}"));
    let other = write_temp(&dir, "device.key", b"k", SECRET_MODE).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(remove_stale_temps(&dir, "config.toml").ok(), Some(1));
    assert!(!tmp.exists());
    assert!(other.exists(), "another file's temporary is not touched");
    assert_eq!(
        fs::read(dir.join("config.toml")).ok(),
        Some(b"whole".to_vec())
    );
    let _ = fs::remove_dir_all(&dir);
}
