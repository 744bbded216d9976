//! Fleet mode: many devices in one process, each with its own address, PTY and data port.

mod common;

use common::*;
use nix::sys::termios::BaudRate;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::Duration;

#[test]
fn a_fleet_of_20_devices_moves_data_through_each_one() {
    let dir = temp_dir("fleet");
    let base = format!("127.{}.200.0", 100 + std::process::id() % 100);
    let mut child = Command::new(binary())
        .args([
            "fleet",
            "--count",
            "20",
            "--ip-base",
            &base,
            "--log",
            "warn",
        ])
        .args([
            "--set",
            "sim.free_ports=true",
            "--set",
            "port1.serial.baud=115200",
        ])
        .args(["--device", "7:port1.serial.baud=9600"])
        .arg("--pty-dir")
        .arg(dir.join("ptys"))
        .arg("--state-dir")
        .arg(dir.join("state"))
        .stdout(Stdio::piped())
        .spawn()
        .expect("start fleet");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let ready: serde_json::Value =
        serde_json::from_str(&lines.next().expect("ready line").expect("read")).expect("json");
    assert_eq!(ready["event"], "ready");
    let devices = ready["devices"].as_array().expect("devices").clone();
    assert_eq!(devices.len(), 20);
    let mut ips = std::collections::BTreeSet::new();
    for (i, d) in devices.iter().enumerate() {
        assert_eq!(d["index"], i);
        let ip = d["ip"].as_str().expect("ip").to_owned();
        assert!(ips.insert(ip.clone()), "address {ip} used twice");
        let port = d["ports"]["data"].as_u64().expect("data port") as u16;
        let link = dir.join("ptys").join(format!("ttyS{i}"));
        assert_eq!(d["link"].as_str(), link.to_str());
        let baud = if i == 7 {
            BaudRate::B9600
        } else {
            BaudRate::B115200
        };
        let mut serial = open_raw(&link, baud);
        let mut net = TcpStream::connect((ip.as_str(), port)).expect("connect");
        let msg = format!("device {i} to network");
        serial.write_all(msg.as_bytes()).expect("write");
        assert_eq!(
            read_for(&mut net, msg.len(), Duration::from_secs(10)),
            msg.as_bytes()
        );
        let back = format!("network to device {i}");
        net.write_all(back.as_bytes()).expect("write");
        assert_eq!(
            read_for(&mut serial, back.len(), Duration::from_secs(10)),
            back.as_bytes()
        );
    }
    // Events carry the device they come from.
    let event: serde_json::Value =
        serde_json::from_str(&lines.next().expect("event").expect("read")).expect("json");
    assert!(event["device"].is_u64(), "{event}");
    let pid = nix::unistd::Pid::from_raw(child.id() as i32);
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM).expect("kill");
    let status = child.wait().expect("wait");
    assert!(status.success(), "{status:?}");
    assert!(!dir.join("ptys/ttyS0").exists(), "links removed on exit");
    let _ = std::fs::remove_dir_all(&dir);
}
