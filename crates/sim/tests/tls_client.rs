//! The device as TLS client (TCP client role), with `openssl s_server` as the remote host.

mod common;

use common::openssl::make_cert;
use common::*;
use nix::sys::termios::BaudRate;
use std::io::{Read, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}

fn s_server(dir: &Path, name: &str, port: u16) -> Child {
    let child = Command::new("openssl")
        .args([
            "s_server",
            "-accept",
            &format!("127.0.0.1:{port}"),
            "-cert",
            &format!("{name}.pem"),
            "-key",
            &format!("{name}.key"),
            "-quiet",
        ])
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("openssl s_server");
    // Wait until it accepts connections.
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child
}

fn device(ca: &Path, port: u16) -> Sim {
    Sim::start(&[
        "--config",
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../sim-configs/tls-client.toml"
        ),
        "--set",
        "port1.remote_hosts[0].host=127.0.0.1",
        "--set",
        &format!("port1.remote_hosts[0].port={port}"),
        "--set",
        &format!("port1.crypto.ca_file={}", ca.display()),
    ])
}

#[test]
fn the_device_verifies_the_server_and_moves_data_both_ways() {
    let dir = temp_dir("tlsclient");
    make_cert(&dir, "good", "/CN=127.0.0.1");
    let port = free_port();
    let mut server = s_server(&dir, "good", port);
    let mut sim = device(&dir.join("good-ca.pem"), port);
    let mut serial = sim.open_serial(BaudRate::B115200);
    serial.write_all(b"reading=42").expect("write");
    let est = sim.wait_event("tls_established", Duration::from_secs(20));
    assert_eq!(est["version"], "TLSv1.2");
    let mut out = server.stdout.take().expect("stdout");
    let mut got = Vec::new();
    let mut buf = [0u8; 64];
    while got.len() < 10 {
        match out.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => got.extend_from_slice(&buf[..n]),
        }
    }
    assert_eq!(got, b"reading=42");
    server
        .stdin
        .as_mut()
        .expect("stdin")
        .write_all(b"ack\n")
        .expect("write");
    assert_eq!(read_for(&mut serial, 4, Duration::from_secs(10)), b"ack\n");
    let _ = server.kill();
    let _ = server.wait();
}

#[test]
fn a_server_certificate_from_an_unknown_ca_is_refused() {
    let dir = temp_dir("tlsbad");
    make_cert(&dir, "good", "/CN=127.0.0.1");
    make_cert(&dir, "rogue", "/CN=127.0.0.1");
    let port = free_port();
    let mut server = s_server(&dir, "rogue", port);
    let mut sim = device(&dir.join("good-ca.pem"), port);
    let mut serial = sim.open_serial(BaudRate::B115200);
    serial.write_all(b"secret").expect("write");
    let closed = sim.wait_event("session_closed", Duration::from_secs(20));
    let reason = closed["reason"]["failed"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(reason.starts_with("TLS"), "{closed}");
    assert!(sim.seen.iter().all(|e| e["event"] != "tls_established"));
    let _ = server.kill();
    let out = server.wait_with_output().expect("wait");
    assert!(
        !String::from_utf8_lossy(&out.stdout).contains("secret"),
        "data leaked to an unverified server"
    );
}
