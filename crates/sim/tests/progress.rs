//! Progress on a terminal: `m2285-sim run` draws bars on stderr when stderr is a terminal (a
//! real PTY here) and nothing at all when it is piped, and the reports on stdout stay clean.

mod common;

use common::*;
use nix::pty::openpty;
use std::io::Read;
use std::os::fd::OwnedFd;
use std::path::PathBuf;
use std::process::{Command, Stdio};

fn scenarios() -> [PathBuf; 2] {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../scenarios");
    [dir.join("one-hour-polling.toml"), dir.join("udp-loss.toml")]
}

/// Everything written to the PTY until the last slave descriptor closes.
fn read_master(master: OwnedFd) -> std::thread::JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut file = std::fs::File::from(master);
        let mut out = Vec::new();
        let mut buf = [0u8; 4096];
        // EIO once the child has exited and the slave is closed: the end of the output.
        while let Ok(n) = file.read(&mut buf) {
            if n == 0 {
                break;
            }
            out.extend_from_slice(&buf[..n]);
        }
        out
    })
}

fn assert_reports(stdout: &[u8]) {
    let text = String::from_utf8_lossy(stdout);
    assert_eq!(text.matches("PASS ").count(), 2, "{text}");
    assert!(!text.contains('\x1b'), "escape codes on stdout: {text:?}");
}

#[test]
fn run_draws_progress_when_stderr_is_a_terminal() {
    let pty = openpty(None, None).expect("openpty");
    let reader = read_master(pty.master);
    let child = Command::new(binary())
        .arg("run")
        .args(scenarios())
        .stdout(Stdio::piped())
        .stderr(Stdio::from(pty.slave))
        .spawn()
        .expect("spawn");
    let out = child.wait_with_output().expect("wait");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert_reports(&out.stdout);
    let drawn = String::from_utf8_lossy(&reader.join().expect("reader")).into_owned();
    for part in [
        "scenarios 0/2",
        "one-hour-polling.toml",
        "device time",
        "of 1:01:37",
        "\x1b[2K",
    ] {
        assert!(drawn.contains(part), "{part:?} not drawn: {drawn:?}");
    }
    // The bars are cleared at the end: the last thing on the terminal is an erased line.
    let last_bar = drawn.rfind("device time").expect("a bar");
    assert!(
        drawn[last_bar..].contains("\x1b[2K"),
        "the bar stays on screen: {:?}",
        &drawn[last_bar..]
    );
}

#[test]
fn run_draws_nothing_when_stderr_is_piped() {
    let out = Command::new(binary())
        .arg("run")
        .args(scenarios())
        .env("TERM", "xterm")
        .output()
        .expect("run");
    assert!(out.status.success());
    assert_reports(&out.stdout);
    assert!(
        out.stderr.is_empty(),
        "stderr of a piped run: {:?}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Drives scripts/bench's status line (scripts/bench_lib/progress.py) as the bench does: pieces
/// of work begin and end, a log line comes in between.
const BENCH_DRIVER: &str = r#"
from progress import Progress
p = Progress(3)
p.start("round 1: socat")
p.step()
p.log("[bench] a log line")
p.start("fleet of 10")
p.step(2)
p.close()
"#;

fn bench_progress(stderr: Stdio) -> std::process::Output {
    let lib = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../scripts/bench_lib");
    Command::new("python3")
        .args(["-B", "-c", BENCH_DRIVER])
        .env("PYTHONPATH", lib)
        .stdout(Stdio::piped())
        .stderr(stderr)
        .output()
        .expect("python3")
}

#[test]
fn bench_status_line_is_drawn_only_on_a_terminal() {
    let pty = openpty(None, None).expect("openpty");
    let reader = read_master(pty.master);
    let out = bench_progress(Stdio::from(pty.slave));
    assert!(out.status.success());
    let drawn = String::from_utf8_lossy(&reader.join().expect("reader")).into_owned();
    for part in [
        "bench 1/3 [",
        "round 1: socat",
        "bench 3/3 [",
        "fleet of 10",
    ] {
        assert!(drawn.contains(part), "{part:?} not drawn: {drawn:?}");
    }
    // The log line starts on an erased line, never after a half-drawn status.
    assert!(
        drawn.contains("\x1b[2K[bench] a log line"),
        "log line mixed with the status: {drawn:?}"
    );
    assert!(
        drawn.ends_with("\x1b[2K"),
        "status left on screen: {drawn:?}"
    );

    let piped = bench_progress(Stdio::piped());
    assert!(piped.status.success());
    assert_eq!(
        String::from_utf8_lossy(&piped.stderr),
        "[bench] a log line\n",
        "a piped stderr gets the log line only"
    );
}
