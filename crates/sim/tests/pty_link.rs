//! `--pty PATH`: a link a running simulator holds is never taken over; a link left behind by a
//! simulator that is gone (stopped, or killed outright) is.

mod common;

use common::*;
use nix::sys::signal::{kill, Signal};
use nix::sys::termios::BaudRate;
use nix::unistd::Pid;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A second simulator on `link`: it must refuse, quickly, naming the holder.
fn second_is_refused(link: &Path, holder: u32) {
    let dir = temp_dir("second");
    let mut child = Command::new(binary())
        .arg("--pty")
        .arg(link)
        .args([
            "--ip",
            &unique_ip().to_string(),
            "--set",
            "sim.free_ports=true",
        ])
        .arg("--state-dir")
        .arg(dir.join("state"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start");
    let end = Instant::now() + Duration::from_secs(10);
    while child.try_wait().expect("wait").is_none() {
        if Instant::now() > end {
            let _ = child.kill();
            panic!("the second simulator took the link and kept running");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().expect("output");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!(
            "in use by another running simulator (pid {holder}); refusing to take over"
        )),
        "{err}"
    );
    assert!(out.stdout.is_empty(), "no ready line");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Bytes written on `sim`'s link reach a session on its data port.
fn link_carries_data(sim: &Sim) {
    assert_eq!(
        std::fs::read_link(&sim.link).expect("link").to_str(),
        sim.ready["pty"].as_str()
    );
    let mut serial = open_raw(&sim.link, BaudRate::B9600);
    let mut net = sim.connect();
    serial.write_all(b"still mine").expect("write");
    assert_eq!(
        read_for(&mut net, 10, Duration::from_secs(10)),
        b"still mine"
    );
}

#[test]
fn a_link_held_by_a_running_simulator_is_refused_and_a_stale_one_is_taken() {
    let dir = temp_dir("pty-link");
    let link = dir.join("L");
    let mut first = Sim::start_with_link(temp_dir("first"), link.clone(), &[]);
    second_is_refused(&link, first.child.id());
    link_carries_data(&first);

    // Stopped cleanly: the link is gone and the path free.
    assert!(first.terminate().success());
    assert!(std::fs::symlink_metadata(&link).is_err());
    let mut after_term = Sim::start_with_link(temp_dir("third"), link.clone(), &[]);
    link_carries_data(&after_term);
    second_is_refused(&link, after_term.child.id());

    // Killed outright: the link stays behind, stale, and the next simulator takes it.
    let pid = Pid::from_raw(after_term.child.id() as i32);
    kill(pid, Signal::SIGKILL).expect("kill");
    let _ = after_term.child.wait();
    assert!(std::fs::symlink_metadata(&link).is_ok(), "left behind");
    let fourth = Sim::start_with_link(temp_dir("fourth"), link.clone(), &[]);
    link_carries_data(&fourth);
    drop(fourth);
    let _ = std::fs::remove_dir_all(&dir);
}
