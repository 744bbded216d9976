//! The device's web server against its management core, over plain HTTP from real sockets
//! (docs/web.md): logins checked against the accounts' hashes under the failed-login policy,
//! logged in the system log; the IP filter on connections from two loopback addresses; and the
//! firmware upgrade (a wrong image refused with its reason, a good one booted and reported by
//! the status page, `ctl status` and SNMP, kept across a power cycle).

mod common;

use common::snmp::{tool, MANAGERS};
use common::*;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::Command;
use std::time::{Duration, Instant};

const T: Duration = Duration::from_secs(10);

/// Source addresses of the filter test's clients (no other test binds them).
const ACCEPTED: [u8; 4] = [127, 0, 0, 12];
const REFUSED: [u8; 4] = [127, 0, 0, 13];

/// One request on a fresh connection from `from` (or the default source): the status code
/// (0 when the connection was refused or closed without an answer) and the whole answer.
fn request(sim: &Sim, from: Option<[u8; 4]>, req: &[u8]) -> (u16, String) {
    let to = SocketAddr::new(sim.ip, http_port(sim));
    let stream = match from {
        None => TcpStream::connect(to),
        Some(from) => (|| {
            let s = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None)?;
            s.bind(&SocketAddr::from((from, 0)).into())?;
            s.connect_timeout(&to.into(), T)?;
            Ok(s.into())
        })(),
    };
    let Ok(mut s) = stream else {
        return (0, String::new());
    };
    s.set_read_timeout(Some(T)).ok();
    let _ = s.write_all(req);
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    let text = String::from_utf8_lossy(&out).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    (status, text)
}

fn http_port(sim: &Sim) -> u16 {
    sim.ready["ports"]["http"].as_u64().expect("ports.http") as u16
}

fn get(sim: &Sim, path: &str, sid: Option<&str>) -> (u16, String) {
    let cookie = sid.map_or(String::new(), |s| format!("Cookie: m2285_sid={s}\r\n"));
    request(
        sim,
        None,
        format!(
            "GET {path} HTTP/1.1\r\nHost: {}\r\n{cookie}Connection: close\r\n\r\n",
            sim.ip
        )
        .as_bytes(),
    )
}

fn post(sim: &Sim, path: &str, cookie: &str, content_type: &str, body: &[u8]) -> (u16, String) {
    let mut req = format!(
        "POST {path} HTTP/1.1\r\nHost: {}\r\nCookie: {cookie}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        sim.ip,
        body.len()
    )
    .into_bytes();
    req.extend_from_slice(body);
    request(sim, None, &req)
}

fn cookie_value(answer: &str, name: &str) -> Option<String> {
    answer
        .split(&format!("{name}="))
        .nth(1)
        .and_then(|s| s.split(';').next())
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

/// Logs in; the answer (status and text) and the session id, if one was opened.
fn login(sim: &Sim, user: &str, password: &str) -> (u16, String, Option<String>) {
    let (code, page) = get(sim, "/login", None);
    assert_eq!(code, 200, "{page}");
    let token = cookie_value(&page, "m2285_login").expect("login cookie");
    let form = format!("csrf={token}&username={user}&password={password}");
    let (code, answer) = post(
        sim,
        "/login",
        &format!("m2285_login={token}"),
        "application/x-www-form-urlencoded",
        form.as_bytes(),
    );
    let sid = cookie_value(&answer, "m2285_sid");
    (code, answer, sid)
}

/// The CSRF token of a logged-in page.
fn csrf(sim: &Sim, sid: &str) -> String {
    let (code, page) = get(sim, "/system", Some(sid));
    assert_eq!(code, 200, "{page}");
    page.split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("csrf field")
        .to_owned()
}

fn log_text(sim: &Sim) -> String {
    let out = Command::new(binary())
        .args(["ctl", "--addr", &sim.control_addr(), "--state-dir"])
        .arg(&sim.state)
        .arg("log")
        .output()
        .expect("ctl log");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn log_until(sim: &Sim, want: &str) -> String {
    let end = Instant::now() + T;
    loop {
        let log = log_text(sim);
        if log.contains(want) || Instant::now() > end {
            return log;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn web_logins_use_the_accounts_and_the_failed_login_policy() {
    let mut sim = Sim::start(&[
        "--set",
        "system.login.max_failures=3",
        "--set",
        "system.users[2].name=op",
        "--set",
        "system.users[2].role=user",
        "--set",
        "system.users[2].password=oppass",
    ]);
    // The factory administrator, checked against its Argon2 hash.
    let (code, answer, sid) = login(&sim, "admin", "admin");
    assert_eq!(code, 303, "{answer}");
    let sid = sid.expect("session cookie");
    let ev = sim.wait_event("web_login", T);
    assert_eq!(ev["user"], "admin", "{ev}");
    assert_eq!(ev["service"], "http", "{ev}");
    let (code, page) = get(&sim, "/status", Some(&sid));
    assert_eq!(code, 200);
    assert!(!page.contains("$argon2"), "a hash on a page");
    // Logout ends the session and is logged.
    let token = csrf(&sim, &sid);
    let (code, _) = post(
        &sim,
        "/logout",
        &format!("m2285_sid={sid}"),
        "application/x-www-form-urlencoded",
        format!("csrf={token}").as_bytes(),
    );
    assert_eq!(code, 303);
    let ev = sim.wait_event("web_logout", T);
    assert_eq!(ev["reason"], "logout", "{ev}");
    assert_eq!(get(&sim, "/status", Some(&sid)).0, 303, "session gone");

    // An account that may not manage the device is refused like a wrong password.
    let (code, answer, sid) = login(&sim, "op", "oppass");
    assert_eq!(code, 401, "{answer}");
    assert!(answer.contains("wrong user name or password"));
    assert!(sid.is_none());
    let ev = sim.wait_event("web_login_failed", T);
    assert_eq!(ev["user"], "op", "{ev}");
    assert_eq!(ev["reason"], "wrong_password", "{ev}");
    // Two more failures lock the address out: even the right password is not checked.
    for _ in 0..2 {
        assert_eq!(login(&sim, "admin", "nope").0, 401);
    }
    sim.wait_event("login_lockout", T);
    let (code, answer, sid) = login(&sim, "admin", "admin");
    assert_eq!(code, 429, "{answer}");
    assert!(answer.contains("too many failed logins"), "{answer}");
    assert!(sid.is_none());
    let log = log_until(&sim, "locked_out");
    for want in [
        "web_login",
        "web_logout",
        "web_login_failed",
        "login_lockout",
        "locked_out",
    ] {
        assert!(log.contains(want), "{want} not in the system log: {log}");
    }
    assert!(!log.contains("oppass") && !log.contains("nope"), "{log}");
    sim.terminate();
}

#[test]
fn the_ip_filter_guards_the_web_server() {
    let mut sim = Sim::start(&[
        "--set",
        &format!(
            "system.filter.rules[0].address={}",
            std::net::Ipv4Addr::from(REFUSED)
        ),
        "--set",
        "system.filter.rules[0].service=http",
        "--set",
        "system.filter.rules[0].rule=reject",
    ]);
    let req = format!(
        "GET /login HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
        sim.ip
    );
    let (code, page) = request(&sim, Some(ACCEPTED), req.as_bytes());
    assert_eq!(code, 200, "{page}");
    let (code, page) = request(&sim, Some(REFUSED), req.as_bytes());
    assert_eq!(
        (code, page.as_str()),
        (0, ""),
        "the refused address got an answer"
    );
    let ev = sim.wait_event("filter_refused", T);
    assert_eq!(ev["service"], "http", "{ev}");
    assert_eq!(ev["verdict"], "reject", "{ev}");
    // The server keeps serving the accepted address.
    assert_eq!(request(&sim, Some(ACCEPTED), req.as_bytes()).0, 200);
    sim.terminate();
}

fn firmware_image(dir: &std::path::Path, version: &str) -> Vec<u8> {
    let path = dir.join(format!("fw-{version}.bin"));
    let out = Command::new(binary())
        .args(["firmware-image", "--version", version, "-o"])
        .arg(&path)
        .output()
        .expect("firmware-image");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::read(&path).expect("image")
}

fn upload(sim: &Sim, sid: &str, image: &[u8]) -> (u16, String) {
    let token = csrf(sim, sid);
    let boundary = "----m2285test";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{token}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"image\"; filename=\"fw.bin\"\r\nContent-Type: application/octet-stream\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(image);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    post(
        sim,
        "/system/firmware",
        &format!("m2285_sid={sid}"),
        &format!("multipart/form-data; boundary={boundary}"),
        &body,
    )
}

fn sys_descr(sim: &Sim) -> String {
    let (_, out, err) = tool(
        "snmpget",
        &[
            "-v2c",
            "-c",
            "public",
            &sim.snmp_target(),
            ".1.3.6.1.2.1.1.1.0",
        ],
    );
    format!("{out}{err}")
}

#[test]
fn a_firmware_upgrade_checks_the_image_and_boots_the_new_version() {
    let mut args = MANAGERS.to_vec();
    args.extend_from_slice(&["--set", "sim.boot_time_ms=200"]);
    let mut sim = Sim::start(&args);
    let before = sim.status()["device"]["firmware"].clone();
    let good = firmware_image(&sim.dir, "9.8.7-test");
    let (_, _, sid) = login(&sim, "admin", "admin");
    let sid = sid.expect("session");

    // Wrong images: refused with the reason, nothing changes.
    let mut damaged = good.clone();
    let last = damaged.len() - 1;
    damaged[last] ^= 0x55;
    for (image, reason) in [
        (
            b"#!/bin/sh\necho not firmware\n".to_vec(),
            "shorter than the 80-byte header",
        ),
        (
            [b"PK\x03\x04".as_slice(), &[0u8; 100]].concat(),
            "not an M2285 firmware image",
        ),
        (damaged, "damaged"),
    ] {
        let (code, page) = upload(&sim, &sid, &image);
        assert_eq!(code, 400, "{page}");
        assert!(
            page.contains("firmware upgrade refused, nothing was changed") && page.contains(reason),
            "{reason}: {page}"
        );
    }
    let st = sim.status();
    assert_eq!(st["device"]["firmware"], before, "{st}");
    assert_eq!(st["device"]["boots"], 0, "{st}");

    // A good image: the device reboots into it.
    let (code, answer) = upload(&sim, &sid, &good);
    assert_eq!(code, 303, "{answer}");
    let ev = sim.wait_event("firmware_upgrade", T);
    assert_eq!(ev["to"], "9.8.7-test", "{ev}");
    let st = sim.status_until(
        |s| s["device"]["boots"] == 1 && s["device"]["state"] == "up",
        T,
    );
    assert_eq!(st["device"]["firmware"], "9.8.7-test", "{st}");
    let kept = sim.state.join("firmware");
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(&kept)
            .expect("firmware state file")
            .permissions(),
    );
    assert_eq!(mode & 0o777, 0o600);
    // The status page (a new login: the reboot ended the session) and SNMP say so.
    let (_, _, sid) = login(&sim, "admin", "admin");
    let (code, page) = get(&sim, "/status", sid.as_deref());
    assert_eq!(code, 200);
    assert!(page.contains("9.8.7-test"), "{page}");
    let descr = sys_descr(&sim);
    assert!(descr.contains("9.8.7-test"), "{descr}");
    // A power cycle boots the same firmware.
    sim.ctl_ok(&["power-cycle"]);
    let st = sim.status_until(
        |s| s["device"]["boots"] == 2 && s["device"]["state"] == "up",
        T,
    );
    assert_eq!(st["device"]["firmware"], "9.8.7-test", "{st}");
    sim.terminate();
}

/// The value of the statistics page's cell `id`.
fn stats_cell(sim: &Sim, sid: &str, id: &str) -> u64 {
    let (code, page) = get(sim, "/statistics", Some(sid));
    assert_eq!(code, 200, "{page}");
    let start = format!("<td id=\"{id}\">");
    page.split(&start)
        .nth(1)
        .and_then(|s| s.split('<').next())
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("{id} not on the page:\n{page}"))
}

/// A MIB-II counter as snmpget reads it.
fn snmp_counter(sim: &Sim, oid: &str) -> u64 {
    let (_, out, err) = tool(
        "snmpget",
        &["-v2c", "-c", "public", "-Oqv", &sim.snmp_target(), oid],
    );
    out.trim()
        .parse()
        .unwrap_or_else(|_| panic!("snmpget {oid}: {out}{err}"))
}

#[test]
fn the_statistics_page_shows_tcp_and_udp_as_snmp_answers() {
    let sim = Sim::start(MANAGERS);
    let (_, _, sid) = login(&sim, "admin", "admin");
    let sid = sid.expect("session");
    let mut client = sim.connect();
    client.write_all(&[b'n'; 100]).expect("client write");
    let end = Instant::now() + T;
    while stats_cell(&sim, &sid, "stats-tcp-InSegs") == 0 {
        assert!(Instant::now() < end, "tcpInSegs stayed 0");
        std::thread::sleep(Duration::from_millis(50));
    }
    // Nothing moves TCP now; UDP moves by the SNMP requests themselves, so it is read twice
    // around the page and the page must lie between.
    for (id, oid) in [
        ("stats-tcp-PassiveOpens", ".1.3.6.1.2.1.6.6.0"),
        ("stats-tcp-CurrEstab", ".1.3.6.1.2.1.6.9.0"),
        ("stats-tcp-InSegs", ".1.3.6.1.2.1.6.10.0"),
        ("stats-tcp-OutSegs", ".1.3.6.1.2.1.6.11.0"),
    ] {
        assert_eq!(stats_cell(&sim, &sid, id), snmp_counter(&sim, oid), "{id}");
    }
    assert_eq!(stats_cell(&sim, &sid, "stats-tcp-PassiveOpens"), 1);
    let first = snmp_counter(&sim, ".1.3.6.1.2.1.7.1.0");
    let page = stats_cell(&sim, &sid, "stats-udp-InDatagrams");
    let last = snmp_counter(&sim, ".1.3.6.1.2.1.7.1.0");
    assert!(
        first <= page && page <= last,
        "udpInDatagrams {first} <= {page} <= {last}"
    );
    drop(client);
}
