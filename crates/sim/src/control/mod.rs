//! The control API: HTTP + JSON on the device's loopback address, for what a cable, a test rig
//! or a hand on the device would do (docs/control-api.md).
//!
//! A thread runs the HTTP server (`tiny_http`: a small, maintained, synchronous server, which
//! fits a runtime that is one mio loop and wants no async executor). Each request is parsed and
//! checked here; what needs the device is sent to the loop as a [`Request`] over a crossbeam
//! channel, with a `mio::Waker` to wake it, and the loop answers on the request's own channel.
//! The event stream (`GET /events`) does not involve the loop: it subscribes to the JSON lines
//! the simulator prints on stdout.

pub mod client;
mod faults;
mod routes;

use crossbeam_channel::{Receiver, Sender};
use m2285_core::lines::InputLine;
use serde_json::{json, Value};
use std::io::{Read, Write};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

/// How long the HTTP side waits for the loop to answer before giving up with 503.
const LOOP_TIMEOUT: Duration = Duration::from_secs(5);

/// Largest request body accepted.
const MAX_BODY: u64 = 64 * 1024;

/// What the control API asks of the running device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Call {
    /// The status snapshot.
    Status,
    /// Line levels.
    Signals,
    /// Set input lines, in order.
    SetSignals(Vec<(InputLine, bool)>),
    /// The attached equipment sends a break.
    Break {
        /// Its length.
        duration_ms: u32,
    },
    /// One configuration key, or the whole configuration.
    ConfigGet(Option<String>),
    /// Change keys (`key`, raw value) in order, all or nothing.
    ConfigSet(Vec<(String, String)>),
    /// Start a fault: its name and raw parameters, checked already (docs/control-api.md).
    FaultAdd {
        /// The fault's name, e.g. `serial.bit_errors`.
        name: String,
        /// Its `key=value` parameters, as given.
        params: Vec<(String, String)>,
    },
    /// The faults not yet ended.
    FaultList,
    /// End the faults with this id, or every fault.
    FaultClear(Option<String>),
}

/// A call with the channel its answer goes back on.
#[derive(Debug)]
pub struct Request {
    /// What is asked.
    pub call: Call,
    /// Where the answer goes.
    pub reply: Sender<Reply>,
}

/// An answer: HTTP status and JSON body.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    /// HTTP status code.
    pub status: u16,
    /// JSON body.
    pub body: Value,
}

impl Reply {
    /// 200 with `body`.
    pub fn ok(body: Value) -> Self {
        Reply { status: 200, body }
    }

    /// A 4xx/5xx with a JSON error naming what is wrong.
    pub fn error(status: u16, message: impl Into<String>) -> Self {
        Reply {
            status,
            body: json!({ "error": message.into() }),
        }
    }
}

/// The running control server.
pub struct ControlServer {
    /// The port it listens on.
    pub port: u16,
}

impl ControlServer {
    /// Binds `ip:port` (0 = a free port) and starts the server thread, which hands calls to the
    /// loop through `to_loop` and wakes it with `wake`.
    pub fn start(
        ip: IpAddr,
        port: u16,
        to_loop: Sender<Request>,
        wake: Arc<dyn Fn() + Send + Sync>,
    ) -> Result<Self, String> {
        let addr = SocketAddr::new(ip, port);
        let server = tiny_http::Server::http(addr)
            .map_err(|e| format!("control API: cannot listen on {addr}: {e}"))?;
        let port = server
            .server_addr()
            .to_ip()
            .map(|a| a.port())
            .ok_or("control API: no TCP address")?;
        std::thread::Builder::new()
            .name("control-api".into())
            .spawn(move || serve(server, to_loop, wake))
            .map_err(|e| format!("control API: {e}"))?;
        Ok(ControlServer { port })
    }
}

fn serve(server: tiny_http::Server, to_loop: Sender<Request>, wake: Arc<dyn Fn() + Send + Sync>) {
    for mut request in server.incoming_requests() {
        let method = request.method().as_str().to_owned();
        let url = request.url().to_owned();
        let path = url.split('?').next().unwrap_or("").to_owned();
        if method == "GET" && path == "/events" {
            stream_events(request);
            continue;
        }
        let body = match read_body(&mut request) {
            Ok(b) => b,
            Err(reply) => {
                respond(request, reply);
                continue;
            }
        };
        let reply = match routes::route(&method, &path, &body) {
            Ok(call) => ask_loop(&to_loop, &*wake, call),
            Err(reply) => reply,
        };
        respond(request, reply);
    }
}

fn read_body(request: &mut tiny_http::Request) -> Result<Vec<u8>, Reply> {
    if request.body_length().is_some_and(|n| n as u64 > MAX_BODY) {
        return Err(Reply::error(
            413,
            format!("body larger than {MAX_BODY} bytes"),
        ));
    }
    let mut body = Vec::new();
    request
        .as_reader()
        .take(MAX_BODY + 1)
        .read_to_end(&mut body)
        .map_err(|e| Reply::error(400, format!("cannot read the body: {e}")))?;
    if body.len() as u64 > MAX_BODY {
        return Err(Reply::error(
            413,
            format!("body larger than {MAX_BODY} bytes"),
        ));
    }
    Ok(body)
}

fn ask_loop(to_loop: &Sender<Request>, wake: &(dyn Fn() + Send + Sync), call: Call) -> Reply {
    let (tx, rx): (Sender<Reply>, Receiver<Reply>) = crossbeam_channel::bounded(1);
    if to_loop.send(Request { call, reply: tx }).is_err() {
        return Reply::error(503, "the device is shutting down");
    }
    wake();
    rx.recv_timeout(LOOP_TIMEOUT)
        .unwrap_or_else(|_| Reply::error(503, "the device did not answer in time"))
}

fn respond(request: tiny_http::Request, reply: Reply) {
    let mut text = serde_json::to_string_pretty(&reply.body).unwrap_or_else(|_| "{}".into());
    text.push('\n');
    let mut response = tiny_http::Response::from_string(text).with_status_code(reply.status);
    if let Ok(h) = tiny_http::Header::from_bytes(&b"Content-Type"[..], &b"application/json"[..]) {
        response = response.with_header(h);
    }
    let _ = request.respond(response);
}

/// `GET /events`: the JSON lines of stdout as they happen, until the client goes away. The
/// body ends with the connection (no length), so each line is written and flushed at once.
fn stream_events(request: tiny_http::Request) {
    let lines = crate::output::subscribe();
    std::thread::spawn(move || {
        let mut w = request.into_writer();
        let head = "HTTP/1.1 200 OK\r\nContent-Type: application/x-ndjson\r\nCache-Control: no-cache\r\nConnection: close\r\n\r\n";
        if w.write_all(head.as_bytes())
            .and_then(|()| w.flush())
            .is_err()
        {
            return;
        }
        for line in lines.iter() {
            if w.write_all(line.as_bytes())
                .and_then(|()| w.write_all(b"\n"))
                .and_then(|()| w.flush())
                .is_err()
            {
                return;
            }
        }
    });
}
