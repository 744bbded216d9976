//! Machine-readable output: one JSON object per line on stdout, flushed at once so a test or
//! a supervising program sees each event as it happens. Humans read the logs on stderr.

use m2285_time::Instant;
use serde_json::{json, Value};
use std::io::Write;

/// Prints one JSON line.
pub fn emit(value: &Value) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{value}");
    let _ = out.flush();
}

/// Prints an event with the device time (`t`, seconds since power-on) added.
pub fn emit_event(mut value: Value, now: Instant) {
    if let Value::Object(map) = &mut value {
        map.insert("t".into(), json!(now.as_nanos() as f64 / 1e9));
    }
    emit(&value);
}
