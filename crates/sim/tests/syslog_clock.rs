//! Remote syslog with a real rsyslogd, and the clock: SNTP from a small server the test runs,
//! a manual set, and the RTC kept across a restart while the uptime starts again
//! (docs/management.md "Logs", "Identity and clock").

mod common;

use common::*;
use std::io::Write;
use std::net::{SocketAddr, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const T: Duration = Duration::from_secs(10);

/// An rsyslogd of the test's own: UDP input on a loopback port, its own config, pid file and
/// work directory; every message filed in one file with the fields the test checks.
struct Rsyslogd {
    child: Child,
    dir: PathBuf,
    port: u16,
}

impl Rsyslogd {
    fn start() -> Rsyslogd {
        let dir = temp_dir("rsyslogd");
        std::fs::create_dir_all(dir.join("work")).expect("work dir");
        let port = UdpSocket::bind("127.0.0.1:0")
            .and_then(|s| s.local_addr())
            .expect("free port")
            .port();
        let conf = format!(
            r#"global(workDirectory="{dir}/work")
module(load="imudp")
input(type="imudp" address="127.0.0.1" port="{port}")
template(name="fields" type="string" string="host=%HOSTNAME% app=%APP-NAME% msgid=%MSGID% pri=%PRI% time=%TIMESTAMP:::date-rfc3339% msg=%msg%\n")
*.* action(type="omfile" file="{dir}/messages" template="fields")
"#,
            dir = dir.display()
        );
        std::fs::write(dir.join("rsyslog.conf"), conf).expect("config");
        let child = Command::new("rsyslogd")
            .arg("-n")
            .arg("-f")
            .arg(dir.join("rsyslog.conf"))
            .arg("-i")
            .arg(dir.join("rsyslogd.pid"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("rsyslogd (scripts/setup installs rsyslog)");
        let r = Rsyslogd { child, dir, port };
        // Ready once it wrote its pid file (after opening its inputs).
        let end = Instant::now() + T;
        while !r.dir.join("rsyslogd.pid").exists() {
            assert!(Instant::now() < end, "rsyslogd did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
        r
    }

    /// What rsyslogd filed, once it contains every string of `want` (or after the timeout).
    fn filed_until(&self, want: &[&str]) -> String {
        let end = Instant::now() + T;
        loop {
            let text = std::fs::read_to_string(self.dir.join("messages")).unwrap_or_default();
            if want.iter().all(|w| text.contains(w)) || Instant::now() > end {
                return text;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Rsyslogd {
    fn drop(&mut self) {
        let pid = nix::unistd::Pid::from_raw(self.child.id() as i32);
        let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM);
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[test]
fn rsyslogd_files_the_boot_and_login_failure_messages() {
    let syslog = Rsyslogd::start();
    let port = syslog.port.to_string();
    let sim = Sim::start(&[
        "--set",
        "system.device_name=lab-2285",
        "--set",
        "system.log.remote_host=127.0.0.1",
        "--set",
        &format!("system.log.remote_port={port}"),
        "--set",
        "port1.host.user_auth=true",
    ]);
    let mut net = sim.connect();
    net.write_all(b"admin\r\nnot-the-password\r\n")
        .expect("write");
    assert!(String::from_utf8_lossy(&read_for(&mut net, 43, T)).contains("Login incorrect"));
    let filed = syslog.filed_until(&["msgid=booted", "msgid=login"]);
    let line = |id: &str| {
        filed
            .lines()
            .find(|l| l.contains(&format!("msgid={id} ")))
            .unwrap_or_else(|| panic!("no {id} message filed: {filed}"))
            .to_owned()
    };
    let booted = line("booted");
    // local0.notice = 16 * 8 + 5; the device's name is the HOSTNAME, m2285 the APP-NAME.
    assert!(
        booted.starts_with("host=lab-2285 app=m2285 msgid=booted pri=133 time="),
        "{booted}"
    );
    assert!(
        booted.contains("model=\"Patton EtherBits Model 2285\""),
        "{booted}"
    );
    let login = line("login");
    assert!(login.contains("pri=132 "), "local0.warning: {login}");
    assert!(
        login.contains("user=\"admin\"") && login.contains("ok=false"),
        "{login}"
    );
    assert!(!filed.contains("not-the-password"), "{filed}");
    // The device's own log has the same messages.
    let log = sim.ctl_ok(&["status"]);
    assert_eq!(log["device"]["name"], "lab-2285");
}

/// A small SNTP server: answers every request with the time `server_unix_s` (seconds), as a
/// server whose clock is there would; counts requests.
fn sntp_server(server_unix_s: u64) -> (SocketAddr, std::sync::Arc<std::sync::atomic::AtomicU32>) {
    let sock = UdpSocket::bind("127.0.0.1:0").expect("bind sntp");
    let addr = sock.local_addr().expect("addr");
    let count = std::sync::Arc::new(std::sync::atomic::AtomicU32::new(0));
    let seen = count.clone();
    std::thread::spawn(move || {
        let mut buf = [0u8; 512];
        while let Ok((n, from)) = sock.recv_from(&mut buf) {
            if n < 48 || buf[0] & 7 != 3 {
                continue;
            }
            seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let ts = ((server_unix_s + 2_208_988_800) << 32).to_be_bytes();
            let mut ans = [0u8; 48];
            ans[0] = 0x24; // version 4, mode 4 (server)
            ans[1] = 1; // stratum 1
            ans[24..32].copy_from_slice(&buf[40..48]); // originate = the request's transmit
            ans[32..40].copy_from_slice(&ts);
            ans[40..48].copy_from_slice(&ts);
            let _ = sock.send_to(&ans, from);
        }
    });
    (addr, count)
}

fn clock_ms(sim: &Sim) -> (i64, u64) {
    let c = sim.ctl_ok(&["clock"]);
    (
        c["unix_ms"].as_i64().expect("unix_ms"),
        c["uptime_ms"].as_u64().expect("uptime_ms"),
    )
}

fn start_with_state(state: &Path, extra: &[&str]) -> Sim {
    Sim::start_at(state, extra)
}

#[test]
fn sntp_sets_the_clock_and_the_rtc_survives_a_restart_but_the_uptime_does_not() {
    // 2030-01-01T00:00:00Z: far from the host's clock, so the test sees whose time it is.
    const SERVER: u64 = 1_893_456_000;
    let (server, requests) = sntp_server(SERVER);
    let keep = temp_dir("rtc");
    let state = keep.join("state");
    let mut sim = start_with_state(
        &state,
        &[
            "--set",
            "system.clock.ntp_server=127.0.0.1",
            "--set",
            &format!("system.clock.ntp_port={}", server.port()),
        ],
    );
    let set = sim.wait_event("clock_set", T);
    assert_eq!(set["source"], "ntp");
    let (unix, _) = clock_ms(&sim);
    assert!(
        (unix - SERVER as i64 * 1000).abs() < 5_000,
        "device time {unix} is the server's"
    );
    assert!(requests.load(std::sync::atomic::Ordering::SeqCst) >= 1);
    let c = sim.ctl_ok(&["clock"]);
    assert_eq!(c["ntp"]["last_sync"]["server"], server.to_string());
    assert!(
        c["time"]
            .as_str()
            .is_some_and(|t| t.starts_with("2030-01-01T00:00:")),
        "{c}"
    );
    sim.terminate();

    // Restarted without an NTP server: the RTC kept the server's time; the uptime is new.
    std::thread::sleep(Duration::from_millis(300));
    let mut sim = start_with_state(&state, &[]);
    let (unix, uptime) = clock_ms(&sim);
    assert!(
        (unix - SERVER as i64 * 1000).abs() < 10_000,
        "the RTC kept {unix}"
    );
    assert!(uptime < 5_000, "uptime {uptime} starts again at boot");

    // A manual set moves it again, and is kept too.
    let manual = 2_000_000_000i64;
    let c = sim.ctl_ok(&["clock", "set", &manual.to_string()]);
    assert!(
        (c["unix_ms"].as_i64().unwrap_or(0) - manual * 1000).abs() < 2_000,
        "{c}"
    );
    assert_eq!(sim.wait_event("clock_set", T)["source"], "manual");
    sim.terminate();
    let sim = start_with_state(&state, &[]);
    let (unix, _) = clock_ms(&sim);
    assert!((unix - manual * 1000).abs() < 10_000, "kept {unix}");
    let rtc = std::fs::metadata(state.join("rtc-offset")).expect("rtc file");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(rtc.permissions().mode() & 0o777, 0o600);
    let device = &sim.status()["device"];
    assert!(
        device["mac"]
            .as_str()
            .is_some_and(|m| m.starts_with("02:22:85:")),
        "{device}"
    );
    let _ = std::fs::remove_dir_all(&keep);
}
