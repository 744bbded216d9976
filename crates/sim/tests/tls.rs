//! TLS on the data port, with openssl as the real peer.

mod common;

use common::openssl::{device_cert, make_cert, s_client};
use common::*;
use nix::sys::termios::BaudRate;
use std::io::{Read, Write};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const CONFIGS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../sim-configs");

fn stop(mut child: Child) -> String {
    let _ = child.kill();
    let out = child.wait_with_output().expect("wait");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn s_client_moves_one_mib_each_way_through_the_serial_port() {
    let mut sim = Sim::start(&["--config", &format!("{CONFIGS}/tls-server.toml")]);
    let cert = device_cert(&sim);
    let serial = sim.open_serial(BaudRate::B921600);
    let mut client = s_client(
        &sim,
        None,
        &[
            "-CAfile",
            cert.to_str().unwrap_or_default(),
            "-verify_ip",
            &sim.ip.to_string(),
        ],
    );
    let established = sim.wait_event("tls_established", Duration::from_secs(20));
    assert_eq!(established["version"], "TLSv1.2");
    let to_serial = random_bytes(1 << 20, 11);
    let to_net = random_bytes(1 << 20, 12);
    let stdin = client.stdin.take().expect("stdin");
    let mut stdout = client.stdout.take().expect("stdout");
    let w1 = write_in_thread(stdin, to_serial.clone());
    let serial_reader = serial.try_clone().expect("clone");
    let w2 = write_in_thread(serial, to_net.clone());
    let r = std::thread::spawn(move || {
        let mut got = Vec::new();
        let mut buf = vec![0u8; 65536];
        while got.len() < 1 << 20 {
            match stdout.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
        got
    });
    let mut serial_reader = serial_reader;
    let got_serial = read_for(&mut serial_reader, 1 << 20, Duration::from_secs(120));
    let got_net = r.join().expect("reader");
    w1.join().expect("w1");
    w2.join().expect("w2");
    stop(client);
    assert!(
        got_serial == to_serial,
        "network→serial differs ({} bytes)",
        got_serial.len()
    );
    assert!(
        got_net == to_net,
        "serial→network differs ({} bytes)",
        got_net.len()
    );
}

#[test]
fn client_authentication_refuses_missing_and_foreign_certificates() {
    let certs = temp_dir("certs");
    make_cert(&certs, "good", "/CN=good client");
    make_cert(&certs, "rogue", "/CN=rogue client");
    let ca = certs.join("good-ca.pem");
    let mut sim = Sim::start(&[
        "--config",
        &format!("{CONFIGS}/tls-mutual.toml"),
        "--set",
        &format!("port1.crypto.ca_file={}", ca.display()),
    ]);
    let cert = device_cert(&sim);
    let cafile = cert.to_str().unwrap_or_default().to_owned();
    let ip = sim.ip.to_string();
    for (who, extra) in [
        ("no certificate", vec![]),
        (
            "a certificate from another CA",
            vec!["-cert", "rogue.pem", "-key", "rogue.key"],
        ),
    ] {
        let mut args = vec!["-CAfile", cafile.as_str(), "-verify_ip", ip.as_str()];
        args.extend(extra.iter().map(|s| &**s));
        let mut c = Command::new("openssl")
            .args([
                "s_client",
                "-connect",
                &format!("{}:{}", sim.ip, sim.data_port()),
                "-quiet",
            ])
            .args(&args)
            .current_dir(&certs)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("s_client");
        let mut out = Vec::new();
        let mut stdout = c.stdout.take().expect("stdout");
        let _ = c.stdin.take().map(|mut s| s.write_all(b"hello"));
        let _ = stdout.read_to_end(&mut out);
        let _ = c.wait();
        assert!(out.is_empty(), "{who}: got data {out:?}");
        let closed = sim.wait_event("session_closed", Duration::from_secs(10));
        assert!(
            closed["reason"]["failed"]
                .as_str()
                .unwrap_or_default()
                .starts_with("TLS"),
            "{who}: {closed}"
        );
        sim.seen.clear();
    }
    // A client with a certificate from the configured CA gets through.
    let mut serial = sim.open_serial(BaudRate::B115200);
    let mut c = s_client(
        &sim,
        Some(&certs),
        &[
            "-CAfile",
            &cafile,
            "-verify_ip",
            &ip,
            "-cert",
            "good.pem",
            "-key",
            "good.key",
        ],
    );
    let est = sim.wait_event("tls_established", Duration::from_secs(20));
    assert!(
        est["peer"]
            .as_str()
            .unwrap_or_default()
            .contains("good client"),
        "{est}"
    );
    c.stdin
        .as_mut()
        .expect("stdin")
        .write_all(b"authenticated")
        .expect("write");
    assert_eq!(
        read_for(&mut serial, 13, Duration::from_secs(10)),
        b"authenticated"
    );
    stop(c);
}

#[test]
fn a_plaintext_client_is_refused_and_the_port_keeps_serving() {
    let mut sim = Sim::start(&["--config", &format!("{CONFIGS}/tls-server.toml")]);
    let mut plain = sim.connect();
    plain.write_all(b"GET / HTTP/1.0\r\n\r\n").expect("write");
    assert!(
        closed_within(&mut plain, Duration::from_secs(10)),
        "plaintext client not closed"
    );
    let closed = sim.wait_event("session_closed", Duration::from_secs(5));
    assert!(
        closed["reason"]["failed"]
            .as_str()
            .unwrap_or_default()
            .contains("TLS"),
        "{closed}"
    );
    let cert = device_cert(&sim);
    let mut serial = sim.open_serial(BaudRate::B921600);
    let mut c = s_client(
        &sim,
        None,
        &[
            "-CAfile",
            cert.to_str().unwrap_or_default(),
            "-verify_ip",
            &sim.ip.to_string(),
        ],
    );
    c.stdin
        .as_mut()
        .expect("stdin")
        .write_all(b"still serving")
        .expect("write");
    assert_eq!(
        read_for(&mut serial, 13, Duration::from_secs(20)),
        b"still serving"
    );
    stop(c);
}

#[test]
fn the_device_keeps_its_certificate_across_restarts() {
    let dir = temp_dir("keep");
    let state = dir.join("state");
    let print = || {
        let out = Command::new(binary())
            .args(["print-cert", "--ip", "127.0.0.1", "--state-dir"])
            .arg(&state)
            .output()
            .expect("print-cert");
        assert!(out.status.success());
        out.stdout
    };
    let first = print();
    assert!(String::from_utf8_lossy(&first).starts_with("-----BEGIN CERTIFICATE-----"));
    assert_eq!(print(), first);
    let key = std::fs::metadata(state.join("device.key")).expect("key file");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(key.permissions().mode() & 0o777, 0o600);
}

#[test]
fn a_client_that_never_finishes_the_handshake_loses_the_slot_at_the_timeout() {
    let mut sim = Sim::start(&[
        "--config",
        &format!("{CONFIGS}/tls-server.toml"),
        "--set",
        "port1.crypto.handshake_timeout_s=2",
        "--set",
        "port1.host.max_connections=1",
    ]);
    // Connects and sends nothing: the handshake never starts.
    let started = std::time::Instant::now();
    let mut stalled = sim.connect();
    sim.wait_event("session_opened", Duration::from_secs(5));
    // It holds the only slot: the next peer is turned away.
    let mut second = sim.connect();
    assert!(
        closed_within(&mut second, Duration::from_secs(5)),
        "the slot was free"
    );
    sim.wait_event("connection_rejected", Duration::from_secs(5));
    assert!(
        closed_within(&mut stalled, Duration::from_secs(15)),
        "the stalled client kept the slot"
    );
    assert!(
        started.elapsed() >= Duration::from_secs(2),
        "closed before the timeout"
    );
    let closed = sim.wait_event("session_closed", Duration::from_secs(5));
    assert_eq!(
        closed["reason"]["failed"], "TLS: handshake timed out",
        "{closed}"
    );
    assert_eq!(sim.status()["counters"]["tls_failures"], 1);
    // Now a real client gets the slot.
    let cert = device_cert(&sim);
    let mut serial = sim.open_serial(BaudRate::B921600);
    let mut c = s_client(
        &sim,
        None,
        &[
            "-CAfile",
            cert.to_str().unwrap_or_default(),
            "-verify_ip",
            &sim.ip.to_string(),
        ],
    );
    c.stdin
        .as_mut()
        .expect("stdin")
        .write_all(b"slot is free")
        .expect("write");
    assert_eq!(
        read_for(&mut serial, 12, Duration::from_secs(20)),
        b"slot is free"
    );
    stop(c);
}
