//! The device in a network namespace of its own (`--netns`, docs/network.md): its real address
//! and ports, the kernel's stack (ping, counters, retransmissions), clean-up, privileges.

mod common;

use common::netns::*;
use common::*;
use nix::sys::termios::BaudRate;
use std::net::TcpStream;
use std::process::Command;
use std::time::Duration;

const MIB: usize = 1 << 20;

/// An SNMP counter of the device, asked with net-snmp's snmpget from the LAN.
fn snmp_counter(lan: &str, oid: &str) -> u64 {
    let out = exec_in(
        lan,
        "snmpget",
        &[
            "-m",
            "",
            "-On",
            "-t",
            "2",
            "-r",
            "1",
            "-v2c",
            "-c",
            "public",
            "udp:192.168.161.5:161",
            oid,
        ],
    );
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.rsplit(' ')
        .next()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| {
            panic!(
                "snmpget {oid}: {text}{}",
                String::from_utf8_lossy(&out.stderr)
            )
        })
}
const TIMEOUT: Duration = Duration::from_secs(90);
const FAST: [&str; 4] = [
    "--set",
    "sim.pacing=false",
    "--set",
    "port1.serial.baud=921600",
];

/// Connects from the LAN namespace to the device's port 7001.
fn connect(lan: &str, addr: &str) -> TcpStream {
    let addr = format!("{addr}:7001");
    let s = in_ns(lan, move || {
        TcpStream::connect(addr).expect("connect to the device")
    });
    s.set_nodelay(true).ok();
    s
}

/// Sends a MiB each way at once between `net` and the serial port; asserts both arrive exact.
fn mib_each_way(sim: &Sim, net: TcpStream, seed: u64) {
    let serial = sim.open_serial(BaudRate::B921600);
    let to_net = random_bytes(MIB, seed);
    let to_serial = random_bytes(MIB, seed + 1);
    let net_reader = net.try_clone().expect("clone socket");
    let serial_reader = serial.try_clone().expect("clone tty");
    let w1 = write_in_thread(serial, to_net.clone());
    let w2 = write_in_thread(net, to_serial.clone());
    let r1 = std::thread::spawn(move || {
        let mut s = net_reader;
        read_for(&mut s, MIB, TIMEOUT)
    });
    let mut serial_reader = serial_reader;
    let got_serial = read_for(&mut serial_reader, MIB, TIMEOUT);
    let got_net = r1.join().expect("reader");
    w1.join().expect("writer");
    w2.join().expect("writer");
    assert!(
        got_net == to_net,
        "serial→network differs ({} bytes)",
        got_net.len()
    );
    assert!(
        got_serial == to_serial,
        "network→serial differs ({} bytes)",
        got_serial.len()
    );
}

#[test]
fn the_device_at_its_factory_address_answers_ping_and_moves_a_mib_each_way() {
    if !can_run("netns ping + MiB") {
        return;
    }
    let mut args = FAST.to_vec();
    args.extend_from_slice(common::snmp::MANAGERS);
    let dev = NetnsSim::start(&args);
    let ready = &dev.sim.ready;
    assert_eq!(ready["ip"], "192.168.161.5", "{ready}");
    assert_eq!(ready["netns"]["ip"], "192.168.161.5");
    assert_eq!(ready["netns"]["prefix"], 16);
    assert_eq!(
        ready["control_ip"],
        dev.sim.ip.to_string().as_str(),
        "control stays on --ip"
    );
    assert_eq!(
        ready["netns"]["host_ip"], "192.168.1.1",
        "the factory gateway"
    );
    assert_eq!(ready["ports"]["data"], 7001, "the real data port: {ready}");
    assert_eq!(ready["ports"]["telnet"], 23);
    assert_eq!(ready["ports"]["snmp"], 161);
    assert_eq!(ready["ports"]["http"], 80);
    assert_eq!(ready["ports"]["https"], 443);
    let lan = dev.lan_ns();
    let ping = exec_in(&lan, "ping", &["-c", "2", "-W", "5", "192.168.161.5"]);
    assert!(
        ping.status.success(),
        "ping: {}{}",
        String::from_utf8_lossy(&ping.stdout),
        String::from_utf8_lossy(&ping.stderr)
    );
    assert!(dev.kernel_counter("Icmp", "InEchos") >= 2);
    assert!(dev.kernel_counter("Icmp", "OutEchoReps") >= 2);
    // SNMP shows the same kernel counters: icmpInEchos.
    assert!(snmp_counter(&lan, ".1.3.6.1.2.1.5.8.0") >= 2);
    let segs_before = dev.kernel_counter("Tcp", "InSegs");
    let net = connect(&lan, "192.168.161.5");
    let status = dev.sim.status();
    let peer = status["sessions"][0]["peer"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(
        peer.starts_with("192.168.1.1:"),
        "the peer is the host side: {status}"
    );
    mib_each_way(&dev.sim, net, 11);
    // The device's own stack carried it: its kernel counted the segments.
    let segs = dev.kernel_counter("Tcp", "InSegs") - segs_before;
    assert!(segs > 2 * (MIB as i64) / 65536, "only {segs} segments in");
    // Nothing of it is in the host's namespace.
    let host_route = Command::new("ip")
        .args(["route", "get", "192.168.161.5"])
        .output()
        .expect("ip route");
    assert!(
        !String::from_utf8_lossy(&host_route.stdout).contains(
            &dev.sim.ready["netns"]["host_veth"]
                .as_str()
                .unwrap_or("?")
                .to_string()
        ),
        "the host's own routes know nothing of the device"
    );
}

#[test]
fn namespaces_are_gone_after_sigterm_and_after_sigkill_and_a_restart() {
    if !can_run("netns clean-up") {
        return;
    }
    // SIGTERM: the simulator removes its own.
    let mut dev = NetnsSim::start(&[]);
    let (device, lan) = (dev.device_ns(), dev.lan_ns());
    assert!(exists(&device) && exists(&lan));
    assert!(dev.sim.terminate().success());
    assert!(!exists(&device), "{device} left after SIGTERM");
    assert!(!exists(&lan), "{lan} left after SIGTERM");
    drop(dev);
    // SIGKILL: left behind, until the next simulator starts.
    let mut killed = NetnsSim::start(&[]);
    let pid = killed.sim.child.id();
    let (device, lan) = (killed.device_ns(), killed.lan_ns());
    killed.sim.child.kill().expect("SIGKILL");
    killed.sim.child.wait().expect("wait");
    assert!(
        exists(&device) && exists(&lan),
        "a killed simulator cannot clean up"
    );
    // The killed one's guard (which would sweep) stays alive until the next simulator ran.
    let next = NetnsSim::start(&[]);
    let gone = !exists(&device) && !exists(&lan);
    drop(killed);
    sweep(pid);
    assert!(gone, "the next simulator removes a killed one's namespaces");
    assert!(exists(&next.device_ns()));
}

#[test]
fn without_cap_net_admin_the_mode_says_what_is_missing() {
    if !can_run("netns privileges") {
        return;
    }
    let dir = temp_dir("netns-caps");
    let out = Command::new("setpriv")
        .args(["--inh-caps=-all", "--bounding-set=-net_admin", "--"])
        .arg(binary())
        .args([
            "--netns",
            "--ip",
            &unique_ip().to_string(),
            "--set",
            "sim.free_ports=true",
        ])
        .arg("--state-dir")
        .arg(dir.join("state"))
        .arg("--pty")
        .arg(dir.join("ttyS0"))
        .output()
        .expect("run setpriv");
    let _ = std::fs::remove_dir_all(&dir);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "it must refuse: {err}");
    assert!(err.contains("missing: CAP_NET_ADMIN"), "{err}");
    assert!(
        err.contains("loopback mode (without --netns) needs no privileges"),
        "{err}"
    );
    assert!(out.stdout.is_empty(), "no ready line");
}

#[test]
fn net_loss_makes_the_kernel_retransmit_and_the_data_stays_exact() {
    if !can_run("netns loss") {
        return;
    }
    let mut args = FAST.to_vec();
    args.extend_from_slice(common::snmp::MANAGERS);
    let dev = NetnsSim::start(&args);
    let lan = dev.lan_ns();
    let before = dev.kernel_counter("Tcp", "RetransSegs");
    let added = dev
        .sim
        .ctl_ok(&["fault", "add", "net.loss", "probability=0.05", "id=lossy"]);
    assert_eq!(added["added"]["at"], "link", "{added}");
    let rules = exec_in(&lan, "nft", &["list", "ruleset"]);
    assert!(String::from_utf8_lossy(&rules.stdout).contains("numgen random mod 10000 < 500"));
    let net = connect(&lan, "192.168.161.5");
    mib_each_way(&dev.sim, net, 21);
    let retrans = dev.kernel_counter("Tcp", "RetransSegs") - before;
    assert!(retrans > 0, "5 % loss and no retransmission by the device");
    // tcpRetransSegs over SNMP is the kernel's count.
    assert!(snmp_counter(&lan, ".1.3.6.1.2.1.6.12.0") >= retrans as u64);
    let listed = dev.sim.ctl_ok(&["fault", "list"]);
    assert!(listed.to_string().contains("lossy"), "{listed}");
    dev.sim.ctl_ok(&["fault", "clear", "lossy"]);
    let rules = exec_in(&lan, "nft", &["list", "ruleset"]);
    assert!(
        !String::from_utf8_lossy(&rules.stdout).contains("numgen"),
        "cleared"
    );
}

#[test]
fn bandwidth_is_a_tbf_on_the_veth_and_a_partition_takes_the_link_down() {
    if !can_run("netns link faults") {
        return;
    }
    let dev = NetnsSim::start(&FAST);
    let lan = dev.lan_ns();
    let veth = dev.sim.ready["netns"]["host_veth"]
        .as_str()
        .expect("veth")
        .to_owned();
    dev.sim
        .ctl_ok(&["fault", "add", "net.bandwidth", "rate=4Mbit/s", "id=slow"]);
    let qdisc = Command::new("tc")
        .args(["-n", &lan, "qdisc", "show", "dev", &veth])
        .output()
        .expect("tc");
    assert!(
        String::from_utf8_lossy(&qdisc.stdout).contains("tbf"),
        "a tbf on {veth}"
    );
    let mut serial = dev.sim.open_serial(BaudRate::B921600);
    let net = connect(&lan, "192.168.161.5");
    let data = random_bytes(MIB, 31);
    let started = std::time::Instant::now();
    let writer = write_in_thread(net, data.clone());
    let got = read_for(&mut serial, MIB, TIMEOUT);
    let took = started.elapsed();
    writer.join().expect("writer");
    assert!(got == data, "bytes differ ({})", got.len());
    // 8 Mbit at 4 Mbit/s: about 2 s; a safe lower bound only.
    assert!(
        took >= Duration::from_millis(1200),
        "1 MiB in {took:?} through 4 Mbit/s"
    );
    dev.sim.ctl_ok(&["fault", "clear", "slow"]);

    dev.sim
        .ctl_ok(&["fault", "add", "net.partition", "id=cable"]);
    assert_eq!(dev.sim.status()["netns"]["link_down"], true);
    let ping = exec_in(&lan, "ping", &["-c", "1", "-W", "1", "192.168.161.5"]);
    assert!(
        !ping.status.success(),
        "no answer while the cable is pulled"
    );
    dev.sim.ctl_ok(&["fault", "clear", "cable"]);
    let ping = exec_in(&lan, "ping", &["-c", "1", "-w", "10", "192.168.161.5"]);
    assert!(ping.status.success(), "answers again once the link is up");
}
