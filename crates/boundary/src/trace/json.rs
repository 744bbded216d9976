//! The JSON-lines trace: one object per event, `t_ns` (device time in nanoseconds) first, then
//! `ev` (the kind) and the event's fields. Field order is fixed and nothing depends on hash
//! order, so the same run gives the same bytes.

use super::Record;
use m2285_time::Instant;

/// One record as a JSON line (without the newline).
pub fn line(record: &Record) -> String {
    let body = serde_json::to_string(&record.event).unwrap_or_else(|e| {
        format!(
            "{{\"ev\":\"unserialisable\",\"error\":{:?}}}",
            e.to_string()
        )
    });
    // The event is an object: splice the time in as its first field.
    match body.strip_prefix('{') {
        Some(rest) if rest != "}" => format!("{{\"t_ns\":{},{rest}", record.t.as_nanos()),
        _ => format!("{{\"t_ns\":{}}}", record.t.as_nanos()),
    }
}

/// A line a runtime printed (a JSON object) as a `device` record at `t`:
/// `{"t_ns":..,"ev":"device",<the object's fields>}`, so a trace reader sees the device's own
/// events among the boundary records.
pub fn device_line(t: Instant, value: &serde_json::Value) -> String {
    let body = value.to_string();
    match body.strip_prefix('{') {
        Some("}") | None => format!("{{\"t_ns\":{},\"ev\":\"device\"}}", t.as_nanos()),
        Some(rest) => format!("{{\"t_ns\":{},\"ev\":\"device\",{rest}", t.as_nanos()),
    }
}

/// Appends one record and a newline to `out`.
pub fn write_line(out: &mut Vec<u8>, record: &Record) {
    out.extend_from_slice(line(record).as_bytes());
    out.push(b'\n');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::{Bytes, TraceEvent};
    use m2285_core::io::{CloseReason, ConnId, DeviceEvent};
    use m2285_time::Instant;

    #[test]
    fn lines_start_with_the_time_and_nest_device_events() {
        let r = Record {
            t: Instant::from_millis(1500),
            event: TraceEvent::SerialIn {
                data: Bytes(b"ping\r".to_vec()),
                sent: None,
            },
        };
        assert_eq!(
            line(&r),
            r#"{"t_ns":1500000000,"ev":"serial_in","data":"ping\r"}"#
        );
        let r = Record {
            t: Instant::ZERO,
            event: TraceEvent::Device(DeviceEvent::SessionClosed {
                port: 1,
                conn: ConnId(3),
                reason: CloseReason::Failed("keep-alive timeout".into()),
            }),
        };
        assert_eq!(
            line(&r),
            r#"{"t_ns":0,"ev":"device","event":"session_closed","port":1,"conn":3,"reason":{"failed":"keep-alive timeout"}}"#
        );
        let r = Record {
            t: Instant::ZERO,
            event: TraceEvent::SerialOut {
                data: Bytes(vec![0xff]),
                sent: Some(Bytes(b"a".to_vec())),
            },
        };
        assert_eq!(
            line(&r),
            r#"{"t_ns":0,"ev":"serial_out","data":{"hex":"ff"},"sent":"a"}"#
        );
    }
}
