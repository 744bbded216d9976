//! Several namespaces on one LAN (docs/network.md): a fleet of devices each at its own address
//! on one bridge, and client namespaces of the test's own for the IP filter.

mod common;

use common::netns::*;
use common::*;
use nix::sys::termios::BaudRate;
use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::Duration;

const T: Duration = Duration::from_secs(10);

#[test]
fn twenty_devices_on_one_bridge_are_each_reachable_at_their_own_address() {
    if !can_run("netns fleet") {
        return;
    }
    let dir = temp_dir("netns-fleet");
    let base = format!("127.{}.210.0", 100 + std::process::id() % 100);
    let mut child = Command::new(binary())
        .args([
            "fleet",
            "--count",
            "20",
            "--netns",
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
        .arg("--pty-dir")
        .arg(dir.join("ptys"))
        .arg("--state-dir")
        .arg(dir.join("state"))
        .stdout(Stdio::piped())
        .spawn()
        .expect("start fleet");
    let pid = child.id();
    // Stop it and remove what it made even if an assertion fails.
    struct Stop(std::process::Child, u32);
    impl Drop for Stop {
        fn drop(&mut self) {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(self.1 as i32),
                nix::sys::signal::Signal::SIGTERM,
            );
            let end = std::time::Instant::now() + Duration::from_secs(10);
            while std::time::Instant::now() < end && !matches!(self.0.try_wait(), Ok(Some(_))) {
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = self.0.kill();
            let _ = self.0.wait();
            sweep(self.1);
        }
    }
    let stdout = child.stdout.take().expect("stdout");
    let mut stop = Stop(child, pid);
    let mut lines = BufReader::new(stdout).lines();
    let ready: Value =
        serde_json::from_str(&lines.next().expect("ready").expect("line")).expect("ready JSON");
    let devices = ready["devices"].as_array().expect("devices").clone();
    assert_eq!(devices.len(), 20, "{ready}");
    let lan = devices[0]["netns"]["lan"].as_str().expect("lan").to_owned();
    for (i, d) in devices.iter().enumerate() {
        let want = format!("192.168.161.{}", 5 + i);
        assert_eq!(d["netns"]["ip"], want.as_str(), "{d}");
        assert_eq!(d["netns"]["lan"], lan.as_str(), "one LAN for all");
        let mut serial = open_raw(
            &dir.join("ptys").join(format!("ttyS{i}")),
            BaudRate::B115200,
        );
        let addr = format!("{want}:7001");
        let mut net = in_ns(&lan, move || TcpStream::connect(addr).expect("connect"));
        let hello = format!("device {i}");
        net.write_all(hello.as_bytes()).expect("write");
        assert_eq!(
            read_for(&mut serial, hello.len(), T),
            hello.as_bytes(),
            "device {i}"
        );
        serial.write_all(b"back").expect("write serial");
        assert_eq!(read_for(&mut net, 4, T), b"back", "device {i}");
    }
    let ping = exec_in(&lan, "ping", &["-c", "1", "-W", "5", "192.168.161.24"]);
    assert!(ping.status.success(), "the 20th device answers ping");
    assert_eq!(of_simulator(pid).len(), 21, "20 devices and the LAN");
    let _ = nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(pid as i32),
        nix::sys::signal::Signal::SIGTERM,
    );
    let status = stop.0.wait().expect("wait");
    assert!(status.success(), "{status}");
    assert!(of_simulator(pid).is_empty(), "all removed after SIGTERM");
    drop(stop);
    let _ = std::fs::remove_dir_all(&dir);
}

/// A client namespace with its own address on the simulator's LAN bridge.
fn client(tag: &str, lan: &str, cidr: &str) -> TestNs {
    let ns = TestNs::new(tag);
    let veth = format!("c{}{tag}", std::process::id() % 100_000);
    ip(&[
        "-n", lan, "link", "add", &veth, "type", "veth", "peer", "name", "eth0", "netns", &ns.0,
    ]);
    ip(&["-n", lan, "link", "set", &veth, "master", "br0", "up"]);
    ip(&["-n", &ns.0, "addr", "add", cidr, "dev", "eth0"]);
    ip(&["-n", &ns.0, "link", "set", "eth0", "up"]);
    ns
}

#[test]
fn the_ip_filter_serves_one_client_namespace_and_rejects_the_other() {
    if !can_run("netns IP filter") {
        return;
    }
    let mut dev = NetnsSim::start(&[
        "--set",
        "system.filter.rules[0].address=192.168.7.2",
        "--set",
        "system.filter.rules[0].service=port1",
        "--set",
        "system.filter.rules[0].rule=reject",
    ]);
    let lan = dev.lan_ns();
    let good = client("a", &lan, "192.168.7.1/16");
    let bad = client("b", &lan, "192.168.7.2/16");
    let mut serial = dev.sim.open_serial(BaudRate::B9600);
    let mut ok = in_ns(&good.0, || {
        TcpStream::connect("192.168.161.5:7001").expect("connect a")
    });
    let opened = dev.sim.wait_event("session_opened", T);
    assert!(
        opened["peer"]
            .as_str()
            .is_some_and(|p| p.starts_with("192.168.7.1:")),
        "{opened}"
    );
    ok.write_all(b"ok").expect("write");
    assert_eq!(read_for(&mut serial, 2, T), b"ok");
    let mut refused = in_ns(&bad.0, || {
        TcpStream::connect("192.168.161.5:7001").expect("connect b")
    });
    refused.set_read_timeout(Some(T)).ok();
    let mut buf = [0u8; 8];
    let err = refused.read(&mut buf).expect_err("reset");
    assert_eq!(err.kind(), std::io::ErrorKind::ConnectionReset, "{err}");
    let event = dev.sim.wait_event("filter_refused", T);
    assert!(
        event["peer"]
            .as_str()
            .is_some_and(|p| p.starts_with("192.168.7.2:")),
        "{event}"
    );
}
