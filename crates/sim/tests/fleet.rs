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

/// A fleet's control API client: the built binary's `ctl` against the fleet's one server.
fn fleet_ctl(control: &str, state: &std::path::Path, args: &[&str]) -> (bool, serde_json::Value) {
    let out = Command::new(binary())
        .args(["ctl", "--addr", control, "--state-dir"])
        .arg(state)
        .args(args)
        .output()
        .expect("ctl");
    let body = serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null);
    (out.status.success(), body)
}

/// Sends `len` random bytes each way between a device's PTY and its data port at once and
/// returns what arrived on the network side and on the serial side (within `wait`).
fn both_ways(
    link: &std::path::Path,
    ip: &str,
    port: u16,
    len: usize,
    seed: u64,
    wait: Duration,
) -> [Vec<u8>; 2] {
    let serial = open_raw(link, BaudRate::B921600);
    let net = TcpStream::connect((ip, port)).expect("connect");
    let up = random_bytes(len, seed);
    let down = random_bytes(len, seed + 1);
    let w1 = write_in_thread(serial.try_clone().expect("clone"), up);
    let w2 = write_in_thread(net.try_clone().expect("clone"), down);
    let (mut serial, mut net) = (serial, net);
    let at_net = read_for(&mut net, len, wait);
    let at_serial = read_for(&mut serial, len, wait);
    w1.join().expect("serial writer");
    w2.join().expect("net writer");
    [at_net, at_serial]
}

#[test]
fn a_plant_of_200_devices_moves_data_isolates_faults_grows_shrinks_and_cleans_up() {
    const COUNT: usize = 200;
    const LEN: usize = 4096;
    const SLOW: Duration = Duration::from_secs(60);
    let dir = temp_dir("plant");
    let base = format!("127.{}.210.0", 100 + std::process::id() % 100);
    let state = dir.join("state");
    let ptys = dir.join("ptys");
    let mut cmd = Command::new(binary());
    cmd.args([
        "fleet",
        "--count",
        "200",
        "--ip-base",
        &base,
        "--log",
        "warn",
    ])
    .args(["--set", "sim.free_ports=true"])
    .args(["--set", "port1.serial.baud=921600"])
    .arg("--pty-dir")
    .arg(&ptys)
    .arg("--state-dir")
    .arg(&state);
    let (mut child, ready, stdout) = spawn_reading_ready(&mut cmd);
    // Everything printed after the ready line, so the pipe never fills.
    let printed = std::thread::spawn(move || {
        BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .collect::<Vec<_>>()
    });
    let devices = ready["devices"].as_array().expect("devices").clone();
    assert_eq!(devices.len(), COUNT);
    let control = format!(
        "{}:{}",
        ready["control"]["ip"].as_str().expect("control ip"),
        ready["control"]["port"]
    );
    let endpoint = |d: &serde_json::Value| {
        (
            std::path::PathBuf::from(d["link"].as_str().expect("link")),
            d["ip"].as_str().expect("ip").to_owned(),
            d["ports"]["data"].as_u64().expect("data port") as u16,
        )
    };

    // Data through 50 devices at once, both ways, byte-exact.
    let movers: Vec<_> = devices[..50]
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let (link, ip, port) = endpoint(d);
            std::thread::spawn(move || (i, both_ways(&link, &ip, port, LEN, 100 * i as u64, SLOW)))
        })
        .collect();
    for mover in movers {
        let (i, [at_net, at_serial]) = mover.join().expect("mover");
        assert!(
            at_net == random_bytes(LEN, 100 * i as u64),
            "device {i} to the network"
        );
        assert!(
            at_serial == random_bytes(LEN, 100 * i as u64 + 1),
            "device {i} to the PTY"
        );
    }

    // Bit errors on device 100's serial line: its data is damaged, its neighbours' is not.
    let (ok, fault) = fleet_ctl(
        &control,
        &state,
        &[
            "--device",
            "100",
            "fault",
            "add",
            "serial.bit_errors",
            "ber=0.01",
        ],
    );
    assert!(ok, "fault refused: {fault}");
    let neighbours: Vec<_> = [99usize, 100, 101]
        .into_iter()
        .map(|i| {
            let (link, ip, port) = endpoint(&devices[i]);
            // Bit errors may also drop or add characters: the damaged device gets a short wait.
            let wait = if i == 100 {
                Duration::from_secs(5)
            } else {
                SLOW
            };
            std::thread::spawn(move || (i, both_ways(&link, &ip, port, LEN, 7 * i as u64, wait)))
        })
        .collect();
    for n in neighbours {
        let (i, [at_net, at_serial]) = n.join().expect("neighbour");
        let sent = [
            random_bytes(LEN, 7 * i as u64),
            random_bytes(LEN, 7 * i as u64 + 1),
        ];
        if i == 100 {
            assert!(
                at_net != sent[0] || at_serial != sent[1],
                "device 100's fault changed nothing"
            );
        } else {
            assert!(
                at_net == sent[0] && at_serial == sent[1],
                "device {i} was touched"
            );
        }
    }

    // A device added at run time has its link and moves data; a removed one is gone.
    let (ok, added) = fleet_ctl(&control, &state, &["fleet", "add", "--index", "200"]);
    assert!(ok, "add refused: {added}");
    assert_eq!(added["index"], 200);
    assert!(ptys.join("ttyS200").exists(), "the new device's link");
    let (link, ip, port) = endpoint(&added);
    assert!(
        both_ways(&link, &ip, port, 512, 5, SLOW) == [random_bytes(512, 5), random_bytes(512, 6)]
    );
    let (ok, removed) = fleet_ctl(&control, &state, &["fleet", "remove", "5"]);
    assert!(ok, "remove refused: {removed}");
    assert!(
        !ptys.join("ttyS5").exists(),
        "the removed device's link is gone"
    );
    let (ok, _) = fleet_ctl(&control, &state, &["--device", "5", "status"]);
    assert!(!ok, "a removed device still answers");
    let (ok, status) = fleet_ctl(&control, &state, &["fleet", "status"]);
    assert!(ok);
    assert_eq!(status["count"], COUNT);
    let (ok, status) = fleet_ctl(&control, &state, &["--device", "4", "status"]);
    assert!(ok && status["device"].is_object(), "{status}");

    // SIGTERM stops every device and removes every link.
    let pid = nix::unistd::Pid::from_raw(child.id() as i32);
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM).expect("kill");
    let status = child.wait().expect("wait");
    assert!(status.success(), "{status:?}");
    let left: Vec<_> = std::fs::read_dir(&ptys)
        .expect("pty dir")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
    let printed = printed.join().expect("stdout");
    let events = |name: &str| printed.iter().filter(|l| l.contains(name)).count();
    assert_eq!(events("\"device_added\""), 1);
    assert_eq!(events("\"device_removed\""), 1);
    assert_eq!(
        events("\"shutdown\""),
        COUNT + 1,
        "every device shut down once"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_fleet_too_large_for_the_open_file_limit_is_refused_before_anything_starts() {
    use std::os::unix::process::CommandExt;
    let dir = temp_dir("fleet-limit");
    let base = format!("127.{}.220.0", 100 + std::process::id() % 100);
    let mut cmd = Command::new(binary());
    cmd.args(["fleet", "--count", "200", "--ip-base", &base])
        .args(["--set", "sim.free_ports=true"])
        .arg("--pty-dir")
        .arg(dir.join("ptys"))
        .arg("--state-dir")
        .arg(dir.join("state"));
    // SAFETY: setrlimit is async-signal-safe; nothing else runs between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            nix::sys::resource::setrlimit(nix::sys::resource::Resource::RLIMIT_NOFILE, 1000, 1000)
                .map_err(std::io::Error::from)
        });
    }
    let out = cmd.output().expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        out.stdout.is_empty(),
        "no ready line: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(
        stderr.contains("a fleet of 200: 200 device(s) do not fit, at most "),
        "{stderr}"
    );
    assert!(stderr.contains("the open-file limit is 1000"), "{stderr}");
    let fits: usize = stderr
        .split(" would")
        .next()
        .and_then(|s| s.rsplit(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no number that fits in: {stderr}"));
    assert!(fits > 0 && fits < 200, "{stderr}");
    assert!(stderr.contains("Nothing was started"), "{stderr}");
    assert!(!dir.join("ptys").exists(), "no PTY directory, no links");
    let _ = std::fs::remove_dir_all(&dir);
}
