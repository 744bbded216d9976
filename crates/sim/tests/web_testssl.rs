//! testssl.sh (Debian's 3.0.8) against the device's HTTPS port with the device's certificate
//! trusted (`--add-ca`, as a browser that trusts the device): no finding rated HIGH or CRITICAL
//! (docs/web.md "testssl.sh"). Restricted to the server defaults (`-S`: the certificate checks),
//! the slow part of a full run; about 30 s. Also the CRL the certificate names: fetched over
//! HTTP from the device and checked by `openssl verify -crl_check`.

mod common;

use common::openssl::{device_cert, openssl};
use common::*;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::Command;
use std::time::Duration;

fn port(sim: &Sim, name: &str) -> u16 {
    sim.ready["ports"][name]
        .as_u64()
        .unwrap_or_else(|| panic!("ports.{name} in {}", sim.ready)) as u16
}

/// `GET path` over plain HTTP: the status line and headers, and the body.
fn http_get(sim: &Sim, path: &str) -> (String, Vec<u8>) {
    let mut s = TcpStream::connect(SocketAddr::new(sim.ip, port(sim, "http"))).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(10))).ok();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
        sim.ip
    )
    .expect("send");
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    let split = out
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a whole answer");
    (
        String::from_utf8_lossy(&out[..split]).into_owned(),
        out[split + 4..].to_vec(),
    )
}

#[test]
fn no_high_or_critical_finding_with_the_device_certificate_trusted() {
    let sim = Sim::start(&[]);
    let cert = device_cert(&sim);
    let dir = &sim.dir;

    // The certificate names the device's CRL, which the device serves without a login.
    let text = Command::new("openssl")
        .args(["x509", "-noout", "-text", "-in"])
        .arg(&cert)
        .output()
        .expect("openssl x509");
    let text = String::from_utf8_lossy(&text.stdout);
    let uri = format!("URI:http://{}/device.crl", sim.ip);
    assert!(text.contains(&uri), "{uri} not in\n{text}");
    let (head, crl) = http_get(&sim, "/device.crl");
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(head.contains("application/pkix-crl"), "{head}");
    std::fs::write(dir.join("device.crl"), &crl).expect("write crl");
    openssl(
        &[
            "crl",
            "-inform",
            "DER",
            "-in",
            "device.crl",
            "-out",
            "crl.pem",
        ],
        dir,
    );
    // Signed by the device's key, and the certificate is not on it.
    openssl(
        &[
            "verify",
            "-crl_check",
            "-CAfile",
            "device.pem",
            "-CRLfile",
            "crl.pem",
            "device.pem",
        ],
        dir,
    );

    let json = dir.join("testssl.json");
    let started = std::time::Instant::now();
    let out = Command::new("testssl")
        .args(["--quiet", "--color", "0", "-S", "--add-ca"])
        .arg(&cert)
        .arg("--jsonfile")
        .arg(&json)
        .arg(format!("{}:{}", sim.ip, port(&sim, "https")))
        .output()
        .expect("run testssl (Debian package testssl.sh)");
    eprintln!("testssl -S took {:?}", started.elapsed());
    let stdout = String::from_utf8_lossy(&out.stdout);
    let findings: Vec<serde_json::Value> =
        serde_json::from_slice(&std::fs::read(&json).expect("testssl wrote its JSON file"))
            .unwrap_or_else(|e| panic!("testssl's JSON: {e}\n{stdout}"));
    let severity = |id: &str| {
        findings
            .iter()
            .find(|f| f["id"] == id)
            .map(|f| f["severity"].as_str().unwrap_or("").to_owned())
    };
    // The checks ran: the chain is trusted, the validity and the revocation info were rated.
    assert_eq!(
        severity("cert_chain_of_trust").as_deref(),
        Some("OK"),
        "{stdout}"
    );
    assert_eq!(
        severity("cert_validityPeriod").as_deref(),
        Some("INFO"),
        "{stdout}"
    );
    assert_eq!(
        severity("cert_crlDistributionPoints").as_deref(),
        Some("INFO"),
        "{stdout}"
    );
    assert_eq!(severity("cert_revocation"), None, "{stdout}");
    let bad: Vec<_> = findings
        .iter()
        .filter(|f| matches!(f["severity"].as_str(), Some("HIGH" | "CRITICAL")))
        .collect();
    assert!(bad.is_empty(), "HIGH/CRITICAL findings: {bad:#?}");
}
