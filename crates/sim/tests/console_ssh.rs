//! The SSH console with OpenSSH's `ssh`: key login and exec mode, password login through
//! `sshpass` and through `expect` into the menus, and the host key kept in the state directory.

mod common;

use common::console::ssh_port;
use common::Sim;
use std::os::unix::fs::PermissionsExt;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

/// `ssh` options every test uses: no known-hosts file, no agent, no config.
fn ssh_args(sim: &Sim) -> Vec<String> {
    [
        "-F",
        "/dev/null",
        "-o",
        "StrictHostKeyChecking=no",
        "-o",
        "UserKnownHostsFile=/dev/null",
        "-o",
        "LogLevel=ERROR",
        "-o",
        "ConnectTimeout=10",
        "-p",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .chain([ssh_port(sim).to_string()])
    .collect()
}

fn text(out: &Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn key_login_exec_sets_and_applies_a_key() {
    let mut sim = Sim::start(&["--set", "sim.boot_time_ms=200"]);
    let key = sim.dir.join("id_ed25519");
    let made = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-f"])
        .arg(&key)
        .output()
        .expect("ssh-keygen (scripts/setup installs openssh-client)");
    assert!(made.status.success(), "{}", text(&made));
    let public = std::fs::read(key.with_extension("pub")).expect("public key");
    std::fs::write(sim.state.join("authorized_keys"), public).expect("authorized_keys");
    let args = ssh_args(&sim);
    let target = format!("admin@{}", sim.ip);
    let run = |commands: &str| {
        Command::new("ssh")
            .args(&args)
            .args([
                "-o",
                "BatchMode=yes",
                "-o",
                "PasswordAuthentication=no",
                "-i",
            ])
            .arg(&key)
            .arg(&target)
            .arg(commands)
            .output()
            .expect("run ssh")
    };
    let out = run("set port1.serial.baud 57600; apply; get port1.serial.baud");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    // The key login and the session's end are reported and counted like password ones.
    sim.wait_for(
        "console_login",
        |e| e["user"] == "admin" && e["method"] == "publickey",
        Duration::from_secs(5),
    );
    sim.wait_for(
        "console_logout",
        |e| e["user"] == "admin" && e["peer"].as_str().is_some_and(|p| p.starts_with("ssh ")),
        Duration::from_secs(5),
    );
    let report = sim.ctl_ok(&["console"]);
    assert_eq!(report["logins"], 1, "{report}");
    assert_eq!(report["logouts"], 1, "{report}");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "OK port1.serial.baud = 57600\r\nOK applied 1 change(s)\r\nOK 57600\r\n"
    );
    assert_eq!(
        sim.ctl_ok(&["config", "get", "port1.serial.baud"])["value"],
        57600
    );
    // A failing command stops the rest and gives exit status 1.
    let out = run("set port1.serial.parity purple; set port1.title never");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("ERR port1.serial.parity"));
    assert_eq!(sim.ctl_ok(&["config", "get", "port1.title"])["value"], "");
    // Exec sets and saves; the change survives a reboot.
    let out = run("set port1.title saved-over-ssh; save");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stdout).ends_with("OK applied 1 change(s) and saved\r\n"));
    sim.ctl_ok(&["reboot"]);
    sim.wait_event("booted", Duration::from_secs(10));
    assert_eq!(
        sim.ctl_ok(&["config", "get", "port1.title"])["value"],
        "saved-over-ssh"
    );
    let out = run("get port1.title");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "OK \"saved-over-ssh\"\r\n"
    );
    // The host key was made on first boot, private to the device.
    let mode = std::fs::metadata(sim.state.join("ssh_host_ed25519_key"))
        .expect("host key in the state directory")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
}

#[test]
fn password_login_with_sshpass_and_wrong_password() {
    let sim = Sim::start(&[]);
    let run = |password: &str| {
        Command::new("sshpass")
            .args(["-p", password, "ssh"])
            .args(ssh_args(&sim))
            .args([
                "-o",
                "PubkeyAuthentication=no",
                "-o",
                "NumberOfPasswordPrompts=1",
            ])
            .arg(format!("admin@{}", sim.ip))
            .arg("get sim.pacing")
            .output()
            .expect("run sshpass (scripts/setup installs it)")
    };
    let out = run("admin");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "OK true\r\n");
    let out = run("wrong");
    assert_ne!(out.status.code(), Some(0), "{}", text(&out));
    assert!(out.stdout.is_empty(), "{}", text(&out));
}

#[test]
fn password_login_through_expect_reaches_the_menus() {
    let mut sim = Sim::start(&[]);
    let script = format!(
        r#"set timeout 15
spawn ssh {args} -tt -o PubkeyAuthentication=no admin@{ip}
expect "password: "
send "admin\r"
expect "Logged in as admin."
expect "Select: "
send "9\r"
expect "m2285> "
send "get port1.host.listen_port\r"
expect "OK 7001"
expect "m2285> "
send "exit\r"
expect "OK logged out"
expect eof
"#,
        args = ssh_args(&sim).join(" "),
        ip = sim.ip
    );
    let path = sim.dir.join("ssh.exp");
    std::fs::write(&path, script).expect("write the expect script");
    let started = Instant::now();
    let out = Command::new("expect")
        .arg(&path)
        .output()
        .expect("run expect");
    assert!(out.status.success(), "{}", text(&out));
    eprintln!(
        "ssh password session through expect: {:?}",
        started.elapsed()
    );
    sim.wait_for(
        "console_login",
        |e| e["user"] == "admin",
        Duration::from_secs(5),
    );
    sim.wait_for(
        "console_logout",
        |e| e["user"] == "admin",
        Duration::from_secs(5),
    );
}

#[test]
fn an_unknown_key_is_refused_and_reported() {
    let mut sim = Sim::start(&[]);
    let key = sim.dir.join("id_stranger");
    let made = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-f"])
        .arg(&key)
        .output()
        .expect("ssh-keygen");
    assert!(made.status.success(), "{}", text(&made));
    let out = Command::new("ssh")
        .args(ssh_args(&sim))
        .args([
            "-o",
            "BatchMode=yes",
            "-o",
            "PasswordAuthentication=no",
            "-i",
        ])
        .arg(&key)
        .arg(format!("admin@{}", sim.ip))
        .arg("get sim.pacing")
        .output()
        .expect("run ssh");
    assert_ne!(out.status.code(), Some(0), "{}", text(&out));
    assert!(out.stdout.is_empty(), "{}", text(&out));
    sim.wait_for(
        "console_login_failed",
        |e| e["user"] == "admin" && e["method"] == "publickey",
        Duration::from_secs(5),
    );
    assert_eq!(sim.ctl_ok(&["console"])["login_failures"], 1);
}

#[test]
fn an_ssh_client_that_disconnects_mid_edit_releases_the_lock() {
    let mut sim = Sim::start(&[]);
    let script = format!(
        r#"set timeout 15
spawn ssh {args} -tt -o PubkeyAuthentication=no admin@{ip}
expect "password: "
send "admin\r"
expect "Select: "
send "9\r"
expect "m2285> "
send "set port1.title half-done\r"
expect "OK port1.title"
exit 0
"#,
        args = ssh_args(&sim).join(" "),
        ip = sim.ip
    );
    let path = sim.dir.join("mid-edit.exp");
    std::fs::write(&path, script).expect("write the expect script");
    let out = Command::new("expect")
        .arg(&path)
        .output()
        .expect("run expect");
    assert!(out.status.success(), "{}", text(&out));
    // expect killed ssh mid-edit: the staged edit is dropped and the lock given back.
    sim.wait_for(
        "console_logout",
        |e| e["peer"].as_str().is_some_and(|p| p.starts_with("ssh ")),
        Duration::from_secs(10),
    );
    let report = sim.ctl_ok(&["console"]);
    assert_eq!(report["lock"], serde_json::Value::Null, "{report}");
    assert_eq!(report["sessions"], serde_json::json!([]), "{report}");
    let mut other = common::console::Commands::open(&sim, "admin", "admin");
    assert_eq!(
        other.run("set port1.title whole"),
        "OK port1.title = \"whole\""
    );
    assert_eq!(other.run("apply"), "OK applied 1 change(s)");
    assert_eq!(
        sim.ctl_ok(&["config", "get", "port1.title"])["value"],
        "whole"
    );
}

#[test]
fn garbage_on_the_ssh_port_does_not_stop_the_console() {
    use std::io::Write;
    let sim = Sim::start(&[]);
    for seed in 0..3 {
        let mut junk = std::net::TcpStream::connect((sim.ip, ssh_port(&sim))).expect("connect");
        // The server may close on the first bad packet: a failed write is fine.
        let _ = junk.write_all(&common::random_bytes(100_000, seed));
    }
    let mut idle = std::net::TcpStream::connect((sim.ip, ssh_port(&sim))).expect("connect");
    idle.write_all(b"SSH-2.0-stalled\r\n").expect("write");
    let out = Command::new("sshpass")
        .args(["-p", "admin", "ssh"])
        .args(ssh_args(&sim))
        .args(["-o", "PubkeyAuthentication=no"])
        .arg(format!("admin@{}", sim.ip))
        .arg("get sim.pacing")
        .output()
        .expect("run sshpass");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "OK true\r\n");
}
