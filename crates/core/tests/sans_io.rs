//! The device model stays sans-IO (docs/architecture.md): `m2285-core` and what it links must
//! not bring in OS I/O (PTYs, sockets, event loops, OS randomness), and its own sources and those
//! of the sans-IO crates it builds on must not read a clock, sleep, spawn threads or open files
//! or sockets. These tests fail the moment a dependency or a call like that creeps back in.
//!
//! The dependency check asks Cargo itself (`cargo tree`, the same Cargo that runs the tests, with
//! `--offline`: after the build every package it needs is already on disk, so it works on a clean
//! CI clone without network).

use std::path::{Path, PathBuf};
use std::process::Command;

/// Crates that do OS I/O (or are the runtimes' boundary crates): none may be a normal
/// dependency of the device model, directly or through another crate.
const OS_CRATES: &[&str] = &[
    "nix",
    "pty-process",
    "mio",
    "socket2",
    "tokio",
    "polling",
    "async-io",
    "rustix",
    "signal-hook",
    "signal-hook-registry",
    "getrandom",
    "libloading",
    "m2285-pty",
    "m2285-net",
    "m2285-hostfs",
    "m2285-sim",
    "m2285-virtual",
];

/// The only crates allowed to depend on `libc` directly: Mbed TLS's C bindings use its C types
/// (`c_int`, `size_t`); the engine never calls into libc for I/O (docs/tls.md).
const LIBC_USERS: &[&str] = &["mbedtls-sys-auto", "mbedtls-platform-support", "mbedtls"];

fn workspace_root() -> PathBuf {
    let core = Path::new(env!("CARGO_MANIFEST_DIR"));
    core.ancestors().nth(2).unwrap_or(core).to_path_buf()
}

/// `cargo tree` for m2285-core with `args`, one crate name per line.
fn cargo_tree(args: &[&str]) -> Vec<String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| env!("CARGO").to_owned());
    let out = Command::new(cargo)
        .current_dir(workspace_root())
        .args(["tree", "--offline", "-p", "m2285-core", "--prefix", "none"])
        .args(["--format", "{p}"])
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run cargo tree: {e}"));
    assert!(
        out.status.success(),
        "cargo tree failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut names: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .map(str::to_owned)
        .collect();
    names.sort();
    names.dedup();
    names
}

#[test]
fn the_device_model_links_no_os_crate() {
    let deps = cargo_tree(&["-e", "normal"]);
    assert!(
        deps.iter().any(|d| d == "m2285-uart") && deps.iter().any(|d| d == "m2285-tls"),
        "cargo tree did not list the model's known dependencies: {deps:?}"
    );
    let os: Vec<&String> = deps
        .iter()
        .filter(|d| OS_CRATES.contains(&d.as_str()))
        .collect();
    assert!(
        os.is_empty(),
        "m2285-core depends on OS crates {os:?} (move host I/O to a runtime crate); all: {deps:?}"
    );
}

#[test]
fn only_mbed_tls_bindings_use_libc() {
    // Inverted, depth 1: libc itself and the crates that depend on it directly.
    let users = cargo_tree(&["-e", "normal", "-i", "libc", "--depth", "1"]);
    let others: Vec<&String> = users
        .iter()
        .filter(|u| *u != "libc" && !LIBC_USERS.contains(&u.as_str()))
        .collect();
    assert!(
        others.is_empty(),
        "crates in m2285-core's tree use libc directly: {others:?}"
    );
}

/// What a sans-IO crate never uses (the runtimes do these and pass the results in).
const FORBIDDEN_CALLS: &[&str] = &[
    "SystemTime",
    "Instant::now",
    "std::thread",
    "std::fs",
    "std::process",
    "std::os::",
    "std::env::var",
    "std::net::Tcp",
    "std::net::Udp",
    "thread_rng",
    "OsRng",
];

/// The sources the device model is made of (its own and its sans-IO building blocks), minus
/// test-only files. `crates/tls/src/clock.rs` is the one exception: the link-time `time()` hook
/// falls back to the wall clock for sessions given no time, which the model never creates.
fn model_sources() -> Vec<PathBuf> {
    let root = workspace_root();
    let mut files = Vec::new();
    let mut dirs: Vec<PathBuf> = ["core", "uart", "telnet", "modem", "time", "tls"]
        .iter()
        .map(|c| root.join("crates").join(c).join("src"))
        .collect();
    while let Some(dir) = dirs.pop() {
        let entries = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()));
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|x| x == "rs")
                && path.file_name().is_some_and(|n| n != "tests.rs")
                && !path.ends_with("tls/src/clock.rs")
            {
                files.push(path);
            }
        }
    }
    files
}

#[test]
fn the_model_sources_read_no_clock_and_open_nothing() {
    let files = model_sources();
    assert!(files.len() > 20, "found too few sources: {files:?}");
    let mut hits = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", file.display()));
        // Unit tests at the end of a file may do as they like.
        let code = text.split("#[cfg(test)]").next().unwrap_or_default();
        for (n, line) in code.lines().enumerate() {
            let line = line.trim_start();
            if line.starts_with("//") {
                continue;
            }
            for call in FORBIDDEN_CALLS.iter().filter(|c| line.contains(*c)) {
                hits.push(format!("{}:{}: {call}", file.display(), n + 1));
            }
        }
    }
    assert!(hits.is_empty(), "host I/O in the device model: {hits:#?}");
}
