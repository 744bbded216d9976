//! Certificates for tests that use openssl as the real TLS peer.

use super::{binary, Sim};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// Runs `openssl ARGS` in `dir` and fails the test with its stderr if it fails.
pub fn openssl(args: &[&str], dir: &Path) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run openssl");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A P-256 CA (`<name>-ca.pem`, `<name>-ca.key`) and a certificate it signed for `subject`
/// (`<name>.pem`, `<name>.key`), all in `dir`.
pub fn make_cert(dir: &Path, name: &str, subject: &str) {
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
    ];
    let (ca, ca_key) = (format!("{name}-ca.pem"), format!("{name}-ca.key"));
    let (cert, key, csr) = (
        format!("{name}.pem"),
        format!("{name}.key"),
        format!("{name}.csr"),
    );
    let ca_subject = format!("/CN={name} CA");
    let mut args = vec!["req", "-x509"];
    args.extend(ec);
    args.extend([
        "-keyout",
        &ca_key,
        "-out",
        &ca,
        "-days",
        "30",
        "-subj",
        &ca_subject,
    ]);
    openssl(&args, dir);
    let mut args = vec!["req"];
    args.extend(ec);
    args.extend(["-keyout", &key, "-out", &csr, "-subj", subject]);
    openssl(&args, dir);
    openssl(
        &[
            "x509",
            "-req",
            "-in",
            &csr,
            "-CA",
            &ca,
            "-CAkey",
            &ca_key,
            "-CAcreateserial",
            "-out",
            &cert,
            "-days",
            "30",
        ],
        dir,
    );
}

/// The device certificate, fetched the way a client would (`m2285-sim print-cert`), written to
/// `device.pem` in the test's directory.
pub fn device_cert(sim: &Sim) -> PathBuf {
    let out = Command::new(binary())
        .args(["print-cert", "--ip", &sim.ip.to_string(), "--state-dir"])
        .arg(sim.dir.join("state"))
        .output()
        .expect("print-cert");
    assert!(out.status.success());
    let path = sim.dir.join("device.pem");
    std::fs::write(&path, &out.stdout).expect("write cert");
    path
}

/// `openssl s_client` connected to the device's data port, run in `dir` (for relative
/// certificate paths), that keeps reading after its input ends and fails on any verification
/// error; `extra` adds options (CA file, client certificate, ...).
pub fn s_client(sim: &Sim, dir: Option<&Path>, extra: &[&str]) -> Child {
    let mut cmd = Command::new("openssl");
    cmd.args([
        "s_client",
        "-connect",
        &format!("{}:{}", sim.ip, sim.data_port()),
        "-quiet",
        "-ign_eof",
        "-verify_return_error",
    ])
    .args(extra)
    .stdin(Stdio::piped())
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    if let Some(dir) = dir {
        cmd.current_dir(dir);
    }
    cmd.spawn().expect("openssl s_client")
}
