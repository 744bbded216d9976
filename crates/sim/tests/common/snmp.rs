//! net-snmp's own tools against the simulator: snmpget/snmpwalk/snmpbulkwalk/snmpset, and an
//! snmptrapd that logs the traps it receives to a file. `-m ''` keeps them from looking for
//! MIB modules Debian does not ship; OIDs are compared in numeric form.

use super::Sim;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The managers every SNMP test configures: `public` read-only from anywhere, `private`
/// read-write from anywhere.
pub const MANAGERS: &[&str] = &[
    "--set",
    "network.snmp.managers[0].community=public",
    "--set",
    "network.snmp.managers[1].community=private",
    "--set",
    "network.snmp.managers[1].access=read_write",
];

impl Sim {
    /// The agent's port from the ready line.
    pub fn snmp_port(&self) -> u16 {
        self.ready["ports"]["snmp"].as_u64().expect("ports.snmp") as u16
    }

    /// `host:port` of the agent for net-snmp (`udp:` prefix, IPv4).
    pub fn snmp_target(&self) -> String {
        format!("udp:{}:{}", self.ip, self.snmp_port())
    }
}

/// Runs a net-snmp tool: (exit code, stdout, stderr).
pub fn tool(name: &str, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(name)
        .env("MIBS", "")
        .args(["-m", "", "-On", "-t", "1", "-r", "1"])
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{name} runs (scripts/setup installs snmp): {e}"));
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `OID = TYPE: value` lines as a map from numeric OID to the text after `=`.
pub fn parse_lines(out: &str) -> BTreeMap<String, String> {
    out.lines()
        .filter_map(|l| l.split_once(" = "))
        .map(|(o, v)| (o.trim().to_owned(), v.trim().to_owned()))
        .collect()
}

/// The number in a `Counter32: 12` / `INTEGER: 3` / `Gauge32: 1` value.
pub fn number(value: &str) -> u64 {
    value
        .rsplit(':')
        .next()
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("not a number: {value}"))
}

/// An snmptrapd logging to a file, on a free UDP port of `ip`.
pub struct TrapReceiver {
    child: Child,
    /// Where it logs.
    pub log: PathBuf,
    /// Its UDP port.
    pub port: u16,
}

impl TrapReceiver {
    /// Starts snmptrapd (no authorization checks) and waits until it listens.
    pub fn start(dir: &Path, ip: &str) -> TrapReceiver {
        let port = std::net::UdpSocket::bind((ip, 0))
            .and_then(|s| s.local_addr())
            .expect("free UDP port")
            .port();
        let conf = dir.join("snmptrapd.conf");
        std::fs::write(&conf, "disableAuthorization yes\n").expect("write conf");
        let log = dir.join(format!("traps-{port}.log"));
        let child = Command::new("snmptrapd")
            .env("MIBS", "")
            .args(["-f", "-n", "-On", "-m", "", "-C", "-c"])
            .arg(&conf)
            .arg("-Lf")
            .arg(&log)
            .arg(format!("udp:{ip}:{port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("snmptrapd runs (scripts/setup installs snmptrapd)");
        let r = TrapReceiver { child, log, port };
        r.wait_for("NET-SNMP version", Duration::from_secs(10));
        r
    }

    /// The log so far.
    pub fn text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Waits until the log contains `needle`; returns the log.
    pub fn wait_for(&self, needle: &str, timeout: Duration) -> String {
        let end = Instant::now() + timeout;
        loop {
            let text = self.text();
            if text.contains(needle) {
                return text;
            }
            assert!(
                Instant::now() < end,
                "snmptrapd did not log {needle:?} within {timeout:?}; log:\n{text}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for TrapReceiver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
