//! The serial console behind the data/console switch, driven from the PTY side; `ctl console`
//! reporting sessions of every transport; the IP filter on the Telnet and SSH consoles, from two
//! loopback source addresses.

mod common;

use common::console::{connect_from, ssh_port, telnet_port, Commands};
use common::{unique_ip, ReadFd, Sim};
use nix::sys::termios::BaudRate;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

#[test]
fn the_serial_console_logs_in_and_runs_command_mode_while_the_switch_is_on() {
    let mut sim = Sim::start(&[]);
    let report = sim.ctl_ok(&["console"]);
    assert_eq!(report["switch"], "data", "{report}");
    // A data session is open when the switch moves: it is closed, and new ones are refused.
    let mut data = sim.connect();
    sim.wait_event("session_opened", Duration::from_secs(5));
    let report = sim.ctl_ok(&["console", "on"]);
    assert_eq!(report["switch"], "console", "{report}");
    assert_eq!(report["on"], true);
    assert_eq!(report["line"], "9600 8N1, no flow control");
    assert_eq!(sim.ctl_ok(&["status"])["console_switch"], "console");
    sim.wait_for(
        "session_closed",
        |e| e["reason"] == "console_mode",
        Duration::from_secs(5),
    );
    let mut buf = [0u8; 16];
    data.set_read_timeout(Some(Duration::from_secs(5))).ok();
    assert!(matches!(data.read(&mut buf), Ok(0) | Err(_)));
    let end = std::time::Instant::now() + Duration::from_secs(5);
    while TcpStream::connect((sim.ip, sim.data_port())).is_ok() {
        assert!(
            std::time::Instant::now() < end,
            "the data port still accepts in console mode"
        );
        std::thread::sleep(Duration::from_millis(50));
    }

    // The program on the serial port gets the console at 9600 8N1.
    let pty = sim.open_serial(BaudRate::B9600);
    let mut console = Commands::raw(pty);
    console.send("");
    console.until("login: ");
    console.send("admin");
    console.until("Password: ");
    console.send("wrong");
    console.until("Login incorrect.");
    console.until("login: ");
    console.send("admin");
    console.until("Password: ");
    console.send("admin");
    console.until("Logged in as admin.");
    console.until("Select: ");
    console.send("9");
    console.until("m2285> ");
    assert_eq!(
        console.run("set port1.title from-the-serial-console"),
        "OK port1.title = \"from-the-serial-console\""
    );
    let report = sim.ctl_ok(&["console"]);
    let sessions = report["sessions"].as_array().cloned().unwrap_or_default();
    assert!(
        sessions
            .iter()
            .any(|s| s["peer"] == "serial" && s["user"] == "admin" && s["editing"] == true),
        "{report}"
    );
    assert_eq!(report["lock"], "serial", "{report}");
    // Line noise (no line ends, no Ctrl-D) and an over-long line: refused with a bell, and
    // Ctrl-C drops what was typed.
    let mut noise: Vec<u8> = common::random_bytes(20_000, 7)
        .into_iter()
        .filter(|b| !matches!(b, b'\r' | b'\n' | 0x04))
        .collect();
    noise.extend(std::iter::repeat_n(b'x', 2_000));
    noise.push(0x03);
    console.stream.write_all(&noise).expect("write noise");
    // (Ctrl-C in the noise prints prompts of its own: skip to this command's answer.)
    console.send("get port1.serial.baud");
    console.until("OK 9600\r\n");
    console.until("m2285> ");
    assert_eq!(console.run("apply"), "OK applied 1 change(s)");
    let log = console.answer("log");
    assert!(log.contains(" booted "), "{log}");
    // Console logins are in the system log, as the device's events are.
    assert!(
        log.contains(r#" notice console_login method="password" peer="serial" user="admin""#),
        "{log}"
    );
    assert!(
        log.contains(
            r#" warning console_login_failed method="password" peer="serial" user="admin""#
        ),
        "{log}"
    );
    assert!(log.trim_end().ends_with("OK"), "{log}");
    console.send("exit");
    console.until("OK logged out");
    // A new session waits at the login prompt, as on a real console port.
    console.until("login: ");
    sim.wait_for(
        "console_login_failed",
        |e| e["peer"] == "serial",
        Duration::from_secs(5),
    );
    sim.wait_for(
        "console_login",
        |e| e["peer"] == "serial" && e["user"] == "admin" && e["method"] == "password",
        Duration::from_secs(5),
    );
    sim.wait_for(
        "console_logout",
        |e| e["peer"] == "serial",
        Duration::from_secs(5),
    );
    let report = sim.ctl_ok(&["console"]);
    assert_eq!(report["logins"], 1, "{report}");
    assert_eq!(report["login_failures"], 1, "{report}");
    assert_eq!(report["logouts"], 1, "{report}");
    assert_eq!(report["lock"], serde_json::Value::Null, "{report}");
    assert_eq!(
        sim.ctl_ok(&["config", "get", "port1.title"])["value"],
        "from-the-serial-console"
    );

    // Back to data: the port listens again and carries data.
    let report = sim.ctl_ok(&["console", "off"]);
    assert_eq!(report["switch"], "data", "{report}");
    sim.wait_event("console_switch", Duration::from_secs(5));
    let end = std::time::Instant::now() + Duration::from_secs(5);
    let mut peer = loop {
        if let Ok(s) = TcpStream::connect((sim.ip, sim.data_port())) {
            break s;
        }
        assert!(
            std::time::Instant::now() < end,
            "the data port never came back"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    sim.wait_event("session_opened", Duration::from_secs(5));
    peer.write_all(b"data again").expect("write");
    let got = common::read_for(&mut console.stream, 10, Duration::from_secs(5));
    assert_eq!(got, b"data again");
}

#[test]
fn the_console_switch_is_kept_over_a_reboot_and_checked_by_the_api() {
    let mut sim = Sim::start(&["--set", "sim.boot_time_ms=200"]);
    let (code, body) = common::ctl::http(&sim, "POST", "/console", r#"{"on": "yes"}"#);
    assert_eq!(code, 400, "{body}");
    let (code, body) = common::ctl::http(&sim, "POST", "/console", r#"{"on": true}"#);
    assert_eq!(
        (code, &body["switch"]),
        (200, &serde_json::json!("console")),
        "{body}"
    );
    sim.ctl_ok(&["reboot"]);
    sim.wait_event("booted", Duration::from_secs(10));
    assert_eq!(sim.ctl_ok(&["console"])["switch"], "console");
    assert!(TcpStream::connect((sim.ip, sim.data_port())).is_err());
    let pty = sim.open_serial(BaudRate::B9600);
    let mut console = Commands::raw(pty);
    console.send("");
    console.until("login: ");
}

#[test]
fn the_ip_filter_guards_the_telnet_and_ssh_consoles() {
    let mut sim = Sim::start(&[]);
    let (refused, allowed) = (unique_ip(), unique_ip());
    for (service, rule) in [("telnet", "reject"), ("ssh", "drop")] {
        sim.ctl_ok(&[
            "filter",
            "add",
            &format!("address={refused}"),
            "mask=255.255.255.255",
            &format!("service={service}"),
            &format!("rule={rule}"),
            "--apply",
        ]);
    }
    // Telnet from the refused address: reset at once, no banner (the reset may even beat the
    // end of our connect on a loaded machine).
    match connect_from(refused, &sim, telnet_port(&sim)) {
        Err(e) => assert_eq!(e.kind(), std::io::ErrorKind::ConnectionReset, "{e}"),
        Ok(mut s) => {
            s.set_read_timeout(Some(Duration::from_secs(5))).ok();
            let mut buf = [0u8; 64];
            match s.read(&mut buf) {
                Ok(0) => {}
                Err(e) => assert_eq!(e.kind(), std::io::ErrorKind::ConnectionReset, "{e}"),
                Ok(n) => panic!("a refused peer read {:?}", &buf[..n]),
            }
        }
    }
    sim.wait_for(
        "filter_refused",
        |e| e["service"] == "telnet" && e["verdict"] == "reject",
        Duration::from_secs(5),
    );
    // SSH from the refused address: dropped, so not even the server's banner comes.
    let mut s = connect_from(refused, &sim, ssh_port(&sim)).expect("connect");
    assert!(
        !s.wait_readable(Duration::from_millis(1500)),
        "a dropped peer got an answer"
    );
    drop(s.write_all(b"SSH-2.0-test\r\n"));
    sim.wait_for(
        "filter_refused",
        |e| e["service"] == "ssh" && e["verdict"] == "drop",
        Duration::from_secs(5),
    );
    // The other address is served by both.
    let mut s = connect_from(allowed, &sim, ssh_port(&sim)).expect("connect");
    let banner = common::read_for(&mut s, 8, Duration::from_secs(5));
    assert_eq!(banner, b"SSH-2.0-");
    let stream = connect_from(allowed, &sim, telnet_port(&sim)).expect("connect");
    let mut c = Commands::login(stream, "admin", "admin");
    let listing = c.answer("filter");
    assert!(
        listing.contains(&format!(
            "0: address={refused} mask=255.255.255.255 service=telnet rule=reject"
        )),
        "{listing}"
    );
    assert!(
        listing.contains("telnet: accepted 1, dropped 0, rejected 1"),
        "{listing}"
    );
    assert!(
        listing.contains("ssh: accepted 1, dropped 1, rejected 0"),
        "{listing}"
    );
    // Rules are deleted from the console too; then the refused address gets in.
    assert_eq!(c.run("filter del 0"), "OK system.filter.rules[0] deleted");
    assert_eq!(c.run("apply"), "OK applied 1 change(s)");
    let stream = connect_from(refused, &sim, telnet_port(&sim)).expect("connect");
    let mut again = Commands::login(stream, "admin", "admin");
    assert_eq!(again.run("get sim.pacing"), "OK true");
}

#[test]
fn failed_console_logins_lock_the_address_out_of_the_network_consoles() {
    let mut sim = Sim::start(&["--set", "system.login.max_failures=2"]);
    let (guessing, other) = (unique_ip(), unique_ip());
    let stream = connect_from(guessing, &sim, telnet_port(&sim)).expect("connect");
    let mut c = Commands::raw(stream);
    for _ in 0..2 {
        c.until("login: ");
        c.send("admin");
        c.until("Password: ");
        c.send("guess");
        c.until("Login incorrect.");
    }
    let lockout = sim.wait_event("login_lockout", Duration::from_secs(10));
    assert_eq!(lockout["peer"], guessing.to_string(), "{lockout}");
    // The address is reset at once on both consoles; another address is served.
    for port in [telnet_port(&sim), ssh_port(&sim)] {
        let Ok(mut s) = connect_from(guessing, &sim, port) else {
            continue; // reset before our connect ended: refused too
        };
        s.set_read_timeout(Some(Duration::from_secs(5))).ok();
        let mut buf = [0u8; 64];
        match s.read(&mut buf) {
            Ok(0) => {}
            Err(e) => assert_eq!(e.kind(), std::io::ErrorKind::ConnectionReset, "{e}"),
            Ok(n) => panic!("a locked-out peer read {:?}", &buf[..n]),
        }
    }
    let users = sim.ctl_ok(&["users"]);
    assert_eq!(users["refused_locked_out"], 2, "{users}");
    let stream = connect_from(other, &sim, telnet_port(&sim)).expect("connect");
    let mut c = Commands::login(stream, "admin", "admin");
    assert_eq!(c.run("get system.login.max_failures"), "OK 2");
}
