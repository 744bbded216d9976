//! A client of the simulator's control API (docs/control-api.md), HTTP/1.1 + JSON over a plain
//! loopback socket.
//!
//! Requests carry a plain `Host` (the address connected to) and bodies are
//! `application/json`; when the device's state directory holds `control.token`, it is sent as
//! `Authorization: Bearer TOKEN`, so the client works whether or not the device asks for one.

use serde_json::{json, Map, Value};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::time::Duration;

/// One device's control API.
#[derive(Debug, Clone)]
pub struct Control {
    /// Where it listens (the ready line's `ip` and `ports.control`).
    pub addr: SocketAddr,
    /// The device's state directory, where a `control.token` may be.
    pub state_dir: Option<PathBuf>,
}

/// An answer: HTTP status and JSON body (`Null` when there was none or it was not JSON).
pub type Answer = (u16, Value);

impl Control {
    /// The client of the API at `addr`, reading a token from `state_dir` if there is one.
    pub fn new(addr: SocketAddr, state_dir: Option<PathBuf>) -> Control {
        Control { addr, state_dir }
    }

    /// The device's control token, if its state directory has one.
    pub fn token(&self) -> Option<String> {
        let dir = self.state_dir.as_ref()?;
        let token = std::fs::read_to_string(dir.join("control.token")).ok()?;
        let token = token.trim();
        (!token.is_empty()).then(|| token.to_owned())
    }

    /// One request with any method, path and JSON body; returns the status and JSON body
    /// whatever the status (for tests of refusals). Errors are connection failures.
    pub fn raw(&self, method: &str, path: &str, body: Option<&Value>) -> Result<Answer, String> {
        self.send_text(
            method,
            path,
            &body.map(Value::to_string).unwrap_or_default(),
        )
    }

    /// One request whose body is `body` as it is (even if it is not JSON), sent as
    /// `application/json` when not empty; returns the status and JSON body.
    pub fn send_text(&self, method: &str, path: &str, body: &str) -> Result<Answer, String> {
        let mut s = TcpStream::connect_timeout(&self.addr, Duration::from_secs(5))
            .map_err(|e| format!("connect to the control API at {}: {e}", self.addr))?;
        s.set_read_timeout(Some(Duration::from_secs(10))).ok();
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nContent-Length: {}\r\n",
            self.addr,
            body.len()
        );
        if !body.is_empty() {
            head.push_str("Content-Type: application/json\r\n");
        }
        if let Some(token) = self.token() {
            head.push_str(&format!("Authorization: Bearer {token}\r\n"));
        }
        head.push_str("\r\n");
        s.write_all(head.as_bytes())
            .and_then(|()| s.write_all(body.as_bytes()))
            .map_err(|e| format!("send {method} {path}: {e}"))?;
        let mut resp = Vec::new();
        s.read_to_end(&mut resp)
            .map_err(|e| format!("read the answer to {method} {path}: {e}"))?;
        Ok(parse_response(&String::from_utf8_lossy(&resp)))
    }

    /// A request that must succeed (2xx); the error carries the device's `error` message.
    pub fn request(&self, method: &str, path: &str, body: Option<&Value>) -> Result<Value, String> {
        let (status, answer) = self.raw(method, path, body)?;
        if (200..300).contains(&status) {
            Ok(answer)
        } else {
            Err(format!(
                "{method} {path}: HTTP {status}: {}",
                answer["error"]
            ))
        }
    }

    /// `GET /status`: mode, sessions, signals, observed baud rate, counters.
    pub fn status(&self) -> Result<Value, String> {
        self.request("GET", "/status", None)
    }

    /// `POST /signals`: sets input lines, e.g. `&[("dsr", "low")]`.
    pub fn set_signals(&self, levels: &[(&str, &str)]) -> Result<Value, String> {
        let map: Map<String, Value> = levels
            .iter()
            .map(|(k, v)| ((*k).to_owned(), json!(v)))
            .collect();
        self.request("POST", "/signals", Some(&Value::Object(map)))
    }

    /// `POST /break` of `ms` milliseconds.
    pub fn send_break(&self, ms: u32) -> Result<Value, String> {
        self.request("POST", "/break", Some(&json!({ "duration_ms": ms })))
    }

    /// `GET /config/KEY`: the key's value.
    pub fn config_get(&self, key: &str) -> Result<Value, String> {
        Ok(self.request("GET", &format!("/config/{key}"), None)?["value"].take())
    }

    /// `POST /config`: stages keys, all or nothing, and applies them at once.
    pub fn config_set(&self, keys: &[(&str, Value)]) -> Result<Value, String> {
        let map: Map<String, Value> = keys
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect();
        self.request(
            "POST",
            "/config",
            Some(&json!({ "set": map, "apply": true })),
        )
    }

    /// `POST /faults`: starts a fault by its scenario name with `params`.
    pub fn fault_add(&self, name: &str, params: &[(&str, &str)]) -> Result<Value, String> {
        let map: Map<String, Value> = params
            .iter()
            .map(|(k, v)| ((*k).to_owned(), json!(v)))
            .collect();
        self.request(
            "POST",
            "/faults",
            Some(&json!({ "name": name, "params": map })),
        )
    }

    /// `DELETE /faults[/ID]`: ends the faults with this id, or all.
    pub fn fault_clear(&self, id: Option<&str>) -> Result<Value, String> {
        let path = id.map_or_else(|| "/faults".to_owned(), |id| format!("/faults/{id}"));
        self.request("DELETE", &path, None)
    }
}

/// Status and JSON body of an HTTP/1.1 response (plain or chunked body).
fn parse_response(resp: &str) -> Answer {
    let status = resp
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let (head, body) = resp.split_once("\r\n\r\n").unwrap_or((resp, ""));
    let chunked = head.lines().any(|l| {
        l.to_ascii_lowercase()
            .starts_with("transfer-encoding: chunked")
    });
    let body = if chunked {
        dechunk(body)
    } else {
        body.to_owned()
    };
    (status, serde_json::from_str(&body).unwrap_or(Value::Null))
}

fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let Ok(n) = usize::from_str_radix(size.trim(), 16) else {
            break;
        };
        if n == 0 || rest.len() < n {
            break;
        }
        out.push_str(&rest[..n]);
        body = rest[n..].trim_start_matches("\r\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_plain_and_chunked_answers() {
        let plain = "HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\n{\"a\":1}\n";
        assert_eq!(parse_response(plain), (200, json!({"a": 1})));
        let chunked = "HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n{\"a\"\r\n3\r\n:2}\r\n0\r\n\r\n";
        assert_eq!(parse_response(chunked), (404, json!({"a": 2})));
    }
}
