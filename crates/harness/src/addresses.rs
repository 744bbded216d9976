//! Loopback addresses and temporary directories, a fresh one for every use in a test process.
//!
//! Addresses are 127.(100 + pid % 100).x.y: each test binary (a process of its own) gets its
//! own second octet most of the time, and within it every call a new address, so simulators of
//! different tests never share an address even with fixed ports.

use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// A loopback address of its own for each simulator or peer a test starts.
pub fn unique_ip() -> IpAddr {
    let n = COUNTER.fetch_add(1, Ordering::SeqCst);
    let pid = std::process::id();
    IpAddr::V4(Ipv4Addr::new(
        127,
        100 + (pid % 100) as u8,
        (n / 250) as u8,
        (n % 250 + 1) as u8,
    ))
}

/// A fresh, empty temporary directory for one test (`m2285-test-PID-TAG-N`), mode 0700.
pub fn temp_dir(tag: &str) -> std::io::Result<PathBuf> {
    use std::os::unix::fs::DirBuilderExt;
    let n = COUNTER.fetch_add(1, Ordering::SeqCst);
    let dir = std::env::temp_dir().join(format!("m2285-test-{}-{tag}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(&dir)?;
    Ok(dir)
}
