//! The real-time JSON-lines trace file (`--trace FILE`).
//!
//! The records and their JSON form are the boundary crate's (`m2285_boundary::trace::json`,
//! the same lines the virtual runtime writes; docs/traces.md), so one reader serves both. This
//! file only owns the file: created safely, each line written with one `write` call,
//! unbuffered, so the file is complete whenever the simulator stops, SIGKILL included. Every
//! record carries the `now` the event loop read once for its turn, so stamps never go back.

use m2285_boundary::trace::{json, Record, TraceEvent};
use m2285_time::Instant;
use serde_json::Value;
use std::fs::File;
use std::io::Write;
use std::path::Path;
use std::sync::{Arc, Mutex};

/// Where trace records go: a file, or nowhere. Cheap to clone; clones share the file.
#[derive(Clone, Default)]
pub struct Tracer {
    file: Option<Arc<Mutex<File>>>,
}

impl Tracer {
    /// A tracer writing to `path` (a new file replacing any old one, mode 0600 because traces
    /// hold the data, passwords included; never written through a planted link), or one that
    /// records nothing.
    pub fn open(path: Option<&Path>) -> Result<Self, String> {
        let Some(path) = path else {
            return Ok(Tracer::default());
        };
        let file = m2285_hostfs::create_output(path, m2285_hostfs::SECRET_MODE)
            .map_err(|e| format!("--trace: {e}"))?;
        Ok(Tracer {
            file: Some(Arc::new(Mutex::new(file))),
        })
    }

    /// True when records are written somewhere.
    pub fn is_on(&self) -> bool {
        self.file.is_some()
    }

    /// Writes one boundary record.
    pub fn record(&self, t: Instant, event: TraceEvent) {
        if self.file.is_some() {
            self.write_line(json::line(&Record { t, event }));
        }
    }

    /// Writes an event line the runtime prints as a `device` record.
    pub fn device_line(&self, t: Instant, value: &Value) {
        if self.file.is_some() {
            self.write_line(json::device_line(t, value));
        }
    }

    fn write_line(&self, mut line: String) {
        let Some(file) = &self.file else { return };
        let Ok(mut file) = file.lock() else { return };
        line.push('\n');
        if let Err(e) = file.write_all(line.as_bytes()) {
            tracing::warn!("cannot write the trace: {e}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use m2285_boundary::trace::Bytes;
    use serde_json::json;

    #[test]
    fn lines_have_the_virtual_shape() {
        let path = std::env::temp_dir().join(format!("m2285-trace-{}.jsonl", std::process::id()));
        let t = Tracer::open(Some(&path)).unwrap_or_default();
        assert!(t.is_on());
        t.record(
            Instant::from_millis(2),
            TraceEvent::SerialIn {
                data: Bytes(vec![0xff, b'a']),
                sent: Some(Bytes(b"xa".to_vec())),
            },
        );
        t.device_line(
            Instant::from_millis(3),
            &json!({"event": "session_opened", "conn": 1}),
        );
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        let _ = std::fs::remove_file(&path);
        assert_eq!(
            text,
            "{\"t_ns\":2000000,\"ev\":\"serial_in\",\"data\":{\"hex\":\"ff61\"},\"sent\":\"xa\"}\n\
             {\"t_ns\":3000000,\"ev\":\"device\",\"event\":\"session_opened\",\"conn\":1}\n"
        );
    }
}
