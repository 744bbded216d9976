//! Port event handling and the locating server with real peers: a keyword on the serial port
//! sends an e-mail that Python's aiosmtpd receives, a trap snmptrapd logs and a reply on the
//! serial port; locating reports decode to the device's identity.

mod common;

use common::snmp::*;
use common::*;
use m2285_notify::locating::Report;
use nix::sys::termios::BaudRate;
use std::io::Write;
use std::net::UdpSocket;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const T: Duration = Duration::from_secs(10);

/// aiosmtpd printing every message it receives to a file.
struct SmtpServer {
    child: Child,
    out: std::path::PathBuf,
    port: u16,
}

impl SmtpServer {
    fn start(dir: &std::path::Path) -> SmtpServer {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let out = dir.join("smtp.out");
        let file = std::fs::File::create(&out).expect("create");
        // Debian's python3 (python3-aiosmtpd), not whatever python3 comes first on PATH.
        let child = Command::new("/usr/bin/python3")
            .args(["-u", "-m", "aiosmtpd", "-n", "-l"])
            .arg(format!("127.0.0.1:{port}"))
            .args(["-c", "aiosmtpd.handlers.Debugging"])
            .stdout(file)
            .stderr(Stdio::null())
            .spawn()
            .expect("aiosmtpd runs (scripts/setup installs python3-aiosmtpd)");
        let end = Instant::now() + T;
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < end, "aiosmtpd did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        SmtpServer { child, out, port }
    }

    fn wait_for(&self, needle: &str) -> String {
        let end = Instant::now() + T;
        loop {
            let text = std::fs::read_to_string(&self.out).unwrap_or_default();
            if text.contains(needle) {
                return text;
            }
            assert!(Instant::now() < end, "no {needle:?} in the mail:\n{text}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn a_keyword_sends_an_email_a_trap_and_a_reply_once_per_interval() {
    let dir = temp_dir("events");
    let smtp = SmtpServer::start(&dir);
    let trapd = TrapReceiver::start(&dir, "127.0.0.1");
    let sets = [
        "port1.events.enabled=true".to_owned(),
        "port1.events.email_to=ops@localhost".to_owned(),
        "port1.events.min_interval_s=60".to_owned(),
        "port1.events.rules[0].keyword=ALARM".to_owned(),
        "port1.events.rules[0].email=true".to_owned(),
        "port1.events.rules[0].trap=true".to_owned(),
        r"port1.events.rules[0].reply=ACK\r\n".to_owned(),
        "network.smtp.server=127.0.0.1".to_owned(),
        format!("network.smtp.port={}", smtp.port),
        "system.device_name=lab-7".to_owned(),
        format!("network.snmp.trap_receivers[0].port={}", trapd.port),
    ];
    let mut args: Vec<&str> = MANAGERS.to_vec();
    for s in &sets {
        args.extend(["--set", s.as_str()]);
    }
    let mut sim = Sim::start(&args);
    let mut serial = sim.open_serial(BaudRate::B9600);
    serial.write_all(b"temp ok ... AL").expect("write");
    serial.write_all(b"ARM: door open\r\n").expect("write");
    let ev = sim.wait_event("port_event", T);
    assert_eq!(ev["keyword"], "ALARM");
    assert_eq!(
        (
            ev["email"].as_bool(),
            ev["trap"].as_bool(),
            ev["reply"].as_bool()
        ),
        (Some(true), Some(true), Some(true))
    );
    assert_eq!(read_for(&mut serial, 5, T), b"ACK\r\n");
    let sent = sim.wait_event("email_sent", T);
    assert_eq!(sent["to"], "ops@localhost");
    let mail = smtp.wait_for("END MESSAGE");
    assert!(
        mail.contains("Subject: lab-7: port 1 event \"ALARM\""),
        "{mail}"
    );
    assert!(
        mail.contains("The keyword \"ALARM\" appeared in the data of serial port 1."),
        "{mail}"
    );
    let log = trapd.wait_for(".1.3.6.1.4.1.32473.2285.0.3", T);
    assert!(log.contains("\"ALARM\""), "{log}");
    // Within the minimum interval a second match is only counted.
    serial.write_all(b"ALARM again\r\n").expect("write");
    let st = sim.status_until(|s| s["counters"]["port_event_matches"] == 2, T);
    assert_eq!(st["counters"]["port_events_suppressed"], 1);
    assert_eq!(
        read_for(&mut serial, 1, Duration::from_millis(300)),
        b"",
        "no second reply"
    );
    assert_eq!(
        std::fs::read_to_string(&smtp.out)
            .unwrap_or_default()
            .matches("END MESSAGE")
            .count(),
        1
    );
}

#[test]
fn an_unreachable_smtp_server_is_reported_not_fatal() {
    let sets = [
        "port1.events.enabled=true",
        "port1.events.email_to=ops@localhost",
        "port1.events.rules[0].keyword=HELP",
        "port1.events.rules[0].email=true",
        "network.smtp.server=127.0.0.1",
        "network.smtp.port=1",
    ];
    let mut args = Vec::new();
    for s in sets {
        args.extend(["--set", s]);
    }
    let mut sim = Sim::start(&args);
    let mut serial = sim.open_serial(BaudRate::B9600);
    serial.write_all(b"HELP").expect("write");
    let failed = sim.wait_event("email_failed", T);
    assert!(
        failed["reason"]
            .as_str()
            .is_some_and(|r| r.contains("127.0.0.1:1")),
        "{failed}"
    );
    assert_eq!(sim.status()["counters"]["port_event_matches"], 1);
}

#[test]
fn locating_reports_carry_the_device_identity_every_interval() {
    let server = UdpSocket::bind("127.0.0.1:0").expect("bind");
    server.set_read_timeout(Some(T)).ok();
    let port = server.local_addr().expect("addr").port().to_string();
    let sets = [
        "network.locating.enabled=true".to_owned(),
        format!("network.locating.port={port}"),
        "network.locating.interval_s=1".to_owned(),
        "system.device_name=lab-9".to_owned(),
    ];
    let mut args = Vec::new();
    for s in &sets {
        args.extend(["--set", s.as_str()]);
    }
    let sim = Sim::start(&args);
    let mut buf = [0u8; 512];
    let (n, from) = server.recv_from(&mut buf).expect("a report");
    assert_eq!(from.ip(), sim.ip);
    let first = Instant::now();
    let report = Report::decode(&buf[..n]).expect("a locating report");
    let std::net::IpAddr::V4(ip) = sim.ip else {
        panic!("IPv4")
    };
    assert_eq!(report.name, "lab-9");
    assert_eq!(report.model, "Patton EtherBits Model 2285");
    assert_eq!(report.ip, ip);
    // The one identity the device shows everywhere (ctl status, syslog, SNMP).
    let device = &sim.status()["device"];
    let mac: Vec<String> = report.mac.iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(device["mac"], mac.join(":"), "{report:?}");
    assert_eq!(device["serial_number"], report.serial.as_str());
    assert_eq!(report.ports, vec![sim.data_port()]);
    let (n2, _) = server.recv_from(&mut buf).expect("a second report");
    assert_eq!(Report::decode(&buf[..n2]), Some(report));
    let gap = first.elapsed();
    assert!(gap >= Duration::from_millis(500), "reports {gap:?} apart");
}
