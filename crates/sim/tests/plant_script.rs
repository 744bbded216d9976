//! The worked example of docs/fleet.md: scripts/plant-local runs a plant of several fleet
//! processes (each started by scripts/plant-member as an orchestrator would) on loopback.

mod common;

use common::*;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::Duration;

#[test]
fn a_plant_of_two_fleet_processes_takes_disjoint_slices_and_stops_cleanly() {
    let dir = temp_dir("plant-local");
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../../scripts/plant-local");
    let mut child = Command::new(script)
        .args(["2", "3"])
        .arg(&dir)
        .args(["--log", "warn"])
        .env("M2285_SIM", binary())
        .env(
            "PLANT_IP_BASE",
            format!("127.{}.230.0", 100 + std::process::id() % 100),
        )
        .stdout(Stdio::piped())
        .spawn()
        .expect("start plant-local");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let ready: serde_json::Value =
        serde_json::from_str(&lines.next().expect("plant line").expect("read")).expect("json");
    assert_eq!(ready["event"], "plant_ready", "{ready}");
    assert_eq!(ready["devices"], 6);
    let mut devices = Vec::new();
    for member in 0..2 {
        let events = std::fs::read_to_string(dir.join(format!("events/member-{member}.jsonl")))
            .expect("member's events");
        let first: serde_json::Value =
            serde_json::from_str(events.lines().next().expect("ready line")).expect("json");
        assert_eq!(first["event"], "ready");
        devices.extend(first["devices"].as_array().expect("devices").clone());
    }
    let indices: Vec<_> = devices.iter().map(|d| d["index"].as_u64()).collect();
    assert_eq!(
        indices,
        (0..6).map(Some).collect::<Vec<_>>(),
        "slices 0..3 and 3..6"
    );
    let ips: std::collections::BTreeSet<_> = devices.iter().map(|d| d["ip"].to_string()).collect();
    assert_eq!(ips.len(), 6, "every device its own address");
    // Device 4 belongs to the second process: data crosses it both ways.
    let d = &devices[4];
    let link = dir.join("ptys/ttyS4");
    assert_eq!(d["link"].as_str(), link.to_str());
    let mut serial = open_raw(&link, nix::sys::termios::BaudRate::B115200);
    let port = d["ports"]["data"].as_u64().expect("data port") as u16;
    let mut net = TcpStream::connect((d["ip"].as_str().expect("ip"), port)).expect("connect");
    serial.write_all(b"member one").expect("write");
    assert_eq!(
        read_for(&mut net, 10, Duration::from_secs(10)),
        b"member one"
    );
    drop((serial, net));
    let pid = nix::unistd::Pid::from_raw(child.id() as i32);
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM).expect("kill");
    let stopped = lines.next().expect("stop line").expect("read");
    assert!(stopped.contains("plant_stopped"), "{stopped}");
    assert!(child.wait().expect("wait").success());
    let left: Vec<_> = std::fs::read_dir(dir.join("ptys"))
        .expect("ptys")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
    let _ = std::fs::remove_dir_all(&dir);
}
