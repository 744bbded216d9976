//! Harness for the control API and the host modes: `ctl` through the built binary, raw HTTP,
//! events matching a condition, and small peers (TCP servers, UDP sockets) on their own
//! loopback addresses.

use super::{binary, unique_ip, Sim};
use serde_json::Value;
use std::io::{Read, Write};
use std::net::{IpAddr, SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::process::Command;
use std::time::{Duration, Instant};

impl Sim {
    /// The control API's port from the ready line.
    pub fn control_port(&self) -> u16 {
        self.ready["ports"]["control"]
            .as_u64()
            .expect("ports.control in the ready line") as u16
    }

    /// `HOST:PORT` of the control API.
    pub fn control_addr(&self) -> String {
        format!("{}:{}", self.ip, self.control_port())
    }

    /// The control token the device made in its state directory.
    pub fn control_token(&self) -> String {
        std::fs::read_to_string(self.state.join("control.token"))
            .expect("control.token in the state directory")
            .trim()
            .to_owned()
    }

    /// Runs `m2285-sim ctl --addr ... --state-dir ... ARGS` (so `ctl` finds the token the way
    /// a user's does); returns the exit code, stdout parsed as JSON (or Null) and stderr.
    pub fn ctl(&self, args: &[&str]) -> (i32, Value, String) {
        let (code, stdout, stderr) = self.ctl_raw(args);
        let json = serde_json::from_str(&stdout).unwrap_or(Value::Null);
        (code, json, stderr)
    }

    /// Runs `m2285-sim ctl --addr ... ARGS`; returns the exit code, stdout and stderr as text.
    pub fn ctl_raw(&self, args: &[&str]) -> (i32, String, String) {
        let out = Command::new(binary())
            .arg("ctl")
            .arg("--addr")
            .arg(self.control_addr())
            .arg("--state-dir")
            .arg(&self.state)
            .args(args)
            .output()
            .expect("run m2285-sim ctl");
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    /// `ctl ARGS` that must succeed; returns its JSON.
    pub fn ctl_ok(&self, args: &[&str]) -> Value {
        let (code, json, err) = self.ctl(args);
        assert_eq!(code, 0, "ctl {args:?} failed: {err}");
        json
    }

    /// `ctl status`.
    pub fn status(&self) -> Value {
        self.ctl_ok(&["status"])
    }

    /// Waits for an event named `name` for which `pred` holds (events already seen count).
    pub fn wait_for(
        &mut self,
        name: &str,
        pred: impl Fn(&Value) -> bool,
        timeout: Duration,
    ) -> Value {
        if let Some(v) = self.seen.iter().find(|v| v["event"] == name && pred(v)) {
            return v.clone();
        }
        let end = Instant::now() + timeout;
        loop {
            let left = end.saturating_duration_since(Instant::now());
            match self.events.recv_timeout(left) {
                Ok(v) => {
                    self.seen.push(v.clone());
                    if v["event"] == name && pred(&v) {
                        return v;
                    }
                }
                Err(_) => panic!(
                    "no matching '{name}' event within {timeout:?}; saw {:?}",
                    self.seen
                ),
            }
        }
    }

    /// Polls `ctl status` until `pred` holds.
    pub fn status_until(&self, pred: impl Fn(&Value) -> bool, timeout: Duration) -> Value {
        let end = Instant::now() + timeout;
        loop {
            let s = self.status();
            if pred(&s) {
                return s;
            }
            assert!(Instant::now() < end, "status never matched: {s}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// One HTTP request to the control API with a raw socket, as a well-behaved client sends it
/// (its own Host, JSON, the token); returns status and JSON body.
pub fn http(sim: &Sim, method: &str, path: &str, body: &str) -> (u16, Value) {
    let host = sim.control_addr();
    let auth = format!("Bearer {}", sim.control_token());
    let headers = [
        ("Host", host.as_str()),
        ("Content-Type", "application/json"),
        ("Authorization", auth.as_str()),
    ];
    http_with(sim, method, path, &headers, body)
}

/// One HTTP/1.1 request to the control API with exactly these headers (plus `Connection:
/// close` and the body's `Content-Length`); returns status and JSON body.
pub fn http_with(
    sim: &Sim,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, Value) {
    let mut req = format!("{method} {path} HTTP/1.1\r\n");
    for (name, value) in headers {
        req.push_str(&format!("{name}: {value}\r\n"));
    }
    req.push_str(&format!(
        "Connection: close\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    ));
    let resp = http_raw(sim, req.as_bytes());
    let status = resp
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = resp.split("\r\n\r\n").nth(1).unwrap_or("");
    (status, serde_json::from_str(body).unwrap_or(Value::Null))
}

/// Sends `request` as is to the control API and returns everything it answers until it
/// closes (or 10 s pass).
pub fn http_raw(sim: &Sim, request: &[u8]) -> String {
    let mut s = TcpStream::connect((sim.ip, sim.control_port())).expect("connect control API");
    s.set_read_timeout(Some(Duration::from_secs(10))).ok();
    s.write_all(request).expect("send request");
    let mut resp = Vec::new();
    s.read_to_end(&mut resp).ok();
    String::from_utf8_lossy(&resp).into_owned()
}

/// A TCP server on a loopback address of its own.
pub struct Server {
    /// The listening socket.
    pub listener: TcpListener,
    /// Its address.
    pub addr: SocketAddr,
}

impl Server {
    /// Listens on a fresh address, a free port.
    pub fn start() -> Server {
        let listener = TcpListener::bind((unique_ip(), 0)).expect("bind test server");
        let addr = listener.local_addr().expect("addr");
        Server { listener, addr }
    }

    /// Listens on `addr` (again).
    pub fn at(addr: SocketAddr) -> Server {
        let listener = TcpListener::bind(addr).expect("bind test server again");
        Server { listener, addr }
    }

    /// Accepts one connection within `timeout`.
    pub fn accept(&self, timeout: Duration) -> Option<(TcpStream, SocketAddr)> {
        self.listener.set_nonblocking(true).ok();
        let end = Instant::now() + timeout;
        while Instant::now() < end {
            match self.listener.accept() {
                Ok((s, peer)) => {
                    s.set_nonblocking(false).ok();
                    return Some((s, peer));
                }
                Err(_) => std::thread::sleep(Duration::from_millis(10)),
            }
        }
        None
    }
}

/// An address nobody listens on: a fresh loopback address and a port that was just free.
pub fn dead_addr() -> SocketAddr {
    let l = TcpListener::bind((unique_ip(), 0)).expect("bind");
    l.local_addr().expect("addr")
}

/// A UDP socket on a loopback address of its own.
pub fn udp_peer() -> UdpSocket {
    let s = UdpSocket::bind((unique_ip(), 0)).expect("bind UDP");
    s.set_read_timeout(Some(Duration::from_millis(200))).ok();
    s
}

/// Receives datagrams until `timeout` passes with none.
pub fn recv_all(s: &UdpSocket, timeout: Duration) -> Vec<Vec<u8>> {
    let end = Instant::now() + timeout;
    let mut out = Vec::new();
    let mut buf = [0u8; 65536];
    while Instant::now() < end {
        if let Ok((n, _)) = s.recv_from(&mut buf) {
            out.push(buf[..n].to_vec());
        }
    }
    out
}

/// The IP of a socket address as text.
pub fn ip_of(a: SocketAddr) -> String {
    let ip: IpAddr = a.ip();
    ip.to_string()
}
