//! Machine-readable output: one JSON object per line on stdout, flushed at once so a test or
//! a supervising program sees each event as it happens. Humans read the logs on stderr.
//!
//! The same lines go to every subscriber of the control API's event stream (`GET /events`).

use crate::realtime::trace::Tracer;
use m2285_time::Instant;
use serde_json::{json, Value};
use std::io::Write;
use std::sync::Mutex;
use tokio::sync::mpsc::error::TrySendError;
use tokio::sync::mpsc::{Receiver, Sender};

/// Lines kept for one event-stream subscriber that does not keep up; beyond this its lines are
/// dropped (stdout never waits for a slow HTTP client).
const SUBSCRIBER_BACKLOG: usize = 4096;

static SUBSCRIBERS: Mutex<Vec<Sender<String>>> = Mutex::new(Vec::new());

/// Prints one JSON line.
pub fn emit(value: &Value) {
    let line = value.to_string();
    {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{line}");
        let _ = out.flush();
    }
    if let Ok(mut subs) = SUBSCRIBERS.lock() {
        subs.retain(|s| !matches!(s.try_send(line.clone()), Err(TrySendError::Closed(_))));
    }
}

std::thread_local! {
    /// The fleet index of the device this thread runs, added to its events as `device`.
    static DEVICE_INDEX: std::cell::Cell<Option<usize>> = const { std::cell::Cell::new(None) };
}

/// Labels the events this thread prints with a fleet device index.
pub fn set_device_index(index: usize) {
    DEVICE_INDEX.with(|d| d.set(Some(index)));
}

/// Prints an event with the device time (`t`, seconds since power-on) added, and in a fleet the
/// device's index (`device`); the device's `trace` records it too (before `t` is added: the
/// record has its own stamp).
pub fn emit_event(mut value: Value, now: Instant, trace: &Tracer) {
    trace.device_line(now, &value);
    if let Value::Object(map) = &mut value {
        if let Some(i) = DEVICE_INDEX.with(std::cell::Cell::get) {
            map.insert("device".into(), json!(i));
        }
        map.insert("t".into(), json!(now.as_nanos() as f64 / 1e9));
    }
    emit(&value);
}

/// A receiver of every line printed from now on (an async channel: the event stream is
/// served on the management thread).
pub fn subscribe() -> Receiver<String> {
    let (tx, rx) = tokio::sync::mpsc::channel(SUBSCRIBER_BACKLOG);
    if let Ok(mut subs) = SUBSCRIBERS.lock() {
        subs.push(tx);
    }
    rx
}
