//! The harness against the real binary: it finds (or builds) it, starts it, and cleans up.

use m2285_harness::{io, Baud, Sim};
use std::io::Write;
use std::time::Duration;

#[test]
fn starts_moves_bytes_and_cleans_up_on_drop() {
    let mut sim = Sim::builder()
        .set("port1.serial.baud", "115200")
        .start()
        .unwrap_or_else(|e| panic!("{e}"));
    let dir = sim.dir.clone();
    let pid = sim.child.id();
    let mut serial = sim.open_serial(Baud::B115200).expect("open the PTY");
    let mut peer = sim.connect().expect("connect");
    let opened = sim
        .wait_for("session_opened", |_| true, Duration::from_secs(5))
        .expect("session");
    assert_eq!(opened["role"], "server");
    peer.write_all(b"harness").expect("send");
    assert_eq!(
        io::read_for(&mut serial, 7, Duration::from_secs(5)),
        b"harness"
    );
    let status = sim.control().status().expect("status");
    assert_eq!(status["serial"]["settings"], "115200 8N1");
    assert!(dir.join("ttyS0").exists());
    drop(sim);
    assert!(!dir.exists(), "{} left behind", dir.display());
    assert!(
        !std::path::Path::new(&format!("/proc/{pid}")).exists(),
        "process {pid} still there"
    );
}
