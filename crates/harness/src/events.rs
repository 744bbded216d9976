//! The simulator's event stream: the JSON lines of its stdout, read by a thread, waited for
//! with a deadline.

use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read};
use std::sync::mpsc::{channel, Receiver};
use std::time::{Duration, Instant};

/// Reads JSON lines from `stdout` on a thread of its own; each parsed line arrives on the
/// returned channel. A line that is not JSON arrives as `{"event": "not_json", "line": ...}`, so
/// a wait that fails shows it. The channel closes when the process closes its stdout.
pub fn read_json_lines(stdout: impl Read + Send + 'static) -> Receiver<Value> {
    let (tx, rx) = channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            let event = serde_json::from_str::<Value>(&line)
                .unwrap_or_else(|_| json!({"event": "not_json", "line": line}));
            if tx.send(event).is_err() {
                break;
            }
        }
    });
    rx
}

/// Waits for an event named `name` for which `pred` holds. Events already in `seen` count
/// (the first match there is returned); every event received is appended to `seen`. The error
/// names what arrived instead.
pub fn wait_matching(
    events: &Receiver<Value>,
    seen: &mut Vec<Value>,
    name: &str,
    pred: impl Fn(&Value) -> bool,
    timeout: Duration,
) -> Result<Value, String> {
    if let Some(v) = seen.iter().find(|v| v["event"] == name && pred(v)) {
        return Ok(v.clone());
    }
    let end = Instant::now() + timeout;
    loop {
        let left = end.saturating_duration_since(Instant::now());
        match events.recv_timeout(left) {
            Ok(v) => {
                seen.push(v.clone());
                if v["event"] == name && pred(&v) {
                    return Ok(v);
                }
            }
            Err(e) => {
                let names: Vec<&Value> = seen.iter().map(|v| &v["event"]).collect();
                return Err(format!(
                    "no matching '{name}' event within {timeout:?} ({e}); saw {names:?}"
                ));
            }
        }
    }
}
