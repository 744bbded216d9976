//! The real-time JSON-lines trace (`--trace FILE`): every event at the device's boundaries,
//! stamped with device time, in the shape of the virtual-time trace (docs/traces.md), so one
//! reader serves both.
//!
//! Records come from three places: the boundary middleware (`serial_in`, `serial_out`, `action`,
//! `net_event`, `fault`, `dropped`, written by [`Tracer::record`]) and every JSON line the
//! runtime prints on stdout (`device`, through [`tap`], which `output::emit_event` calls). Each
//! line is written with one `write` call, unbuffered, so the file is complete whenever the
//! simulator stops, SIGKILL included.

use m2285_boundary::trace::{json, Record, TraceEvent};
use m2285_time::Instant;
use serde_json::Value;
use std::cell::RefCell;
use std::fs::File;
use std::io::Write;
use std::path::Path;
use std::sync::{Arc, Mutex};

/// Where trace records go: a file, or nowhere. Cheap to clone; clones share the file.
#[derive(Clone, Default)]
pub struct Tracer {
    file: Option<Arc<Mutex<Sink>>>,
}

/// The file and the last time written: records come from several readings of the clock (the
/// loop's and the middleware's), so a stamp is never allowed to go below the one before.
struct Sink {
    file: File,
    last: u64,
}

std::thread_local! {
    /// The tracer of the device this thread runs, for the lines `output::emit_event` prints.
    static TAP: RefCell<Tracer> = RefCell::new(Tracer::default());
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
            file: Some(Arc::new(Mutex::new(Sink { file, last: 0 }))),
        })
    }

    /// True when records are written somewhere.
    pub fn is_on(&self) -> bool {
        self.file.is_some()
    }

    /// Makes this tracer receive the lines this thread prints on stdout.
    pub fn tap_this_thread(&self) {
        TAP.with(|t| *t.borrow_mut() = self.clone());
    }

    /// Writes one boundary record.
    pub fn record(&self, t: Instant, event: TraceEvent) {
        if self.file.is_some() {
            self.write_line(t, |t| json::line(&Record { t, event }));
        }
    }

    /// Writes a printed event line as a `device` record: `{"t_ns":..,"ev":"device",...}`.
    pub fn device_line(&self, t: Instant, value: &Value) {
        if self.file.is_none() {
            return;
        }
        let body = value.to_string();
        self.write_line(t, |t| match body.strip_prefix('{') {
            Some("}") | None => format!("{{\"t_ns\":{},\"ev\":\"device\"}}", t.as_nanos()),
            Some(rest) => format!("{{\"t_ns\":{},\"ev\":\"device\",{rest}", t.as_nanos()),
        });
    }

    /// Writes the line `make` builds for the stamp: `t`, or the last stamp if that is later.
    fn write_line(&self, t: Instant, make: impl FnOnce(Instant) -> String) {
        let Some(sink) = &self.file else { return };
        let Ok(mut sink) = sink.lock() else { return };
        let t = t.as_nanos().max(sink.last);
        sink.last = t;
        let mut line = make(Instant::from_nanos(t));
        line.push('\n');
        if let Err(e) = sink.file.write_all(line.as_bytes()) {
            tracing::warn!("cannot write the trace: {e}");
        }
    }
}

/// Records a line the runtime prints (before `t` is added) in this thread's trace, if any.
pub fn tap(value: &Value, now: Instant) {
    TAP.with(|t| t.borrow().device_line(now, value));
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
