//! The timeline of a run, gathered from its JSON-lines trace: sessions, line signals, faults,
//! power, bytes per second each way and expectations, each at its device time.

use serde::Serialize;
use serde_json::Value;

/// How many buckets the bytes-per-second series have over the whole run.
const RATE_BUCKETS: u64 = 400;

/// A session the device reported, from `session_opened` to `session_closed`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Session {
    /// The device's connection id.
    pub conn: u64,
    /// The remote end, as the device saw it.
    pub peer: String,
    /// Opened at (ns).
    pub open_ns: u64,
    /// Closed at (ns), if it closed during the run.
    pub close_ns: Option<u64>,
    /// Why it closed.
    pub reason: String,
}

/// A line signal's changes.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Signal {
    /// `dsr`, `rts`, ...
    pub name: String,
    /// `input` or `output`.
    pub direction: String,
    /// (time ns, high) at each change.
    pub changes: Vec<(u64, bool)>,
}

/// A fault instance's active span.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Fault {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Active from (ns).
    pub on_ns: u64,
    /// Until (ns), if it ended during the run.
    pub off_ns: Option<u64>,
}

/// An expectation checked at an instant.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Expectation {
    /// When it was decided (ns).
    pub t_ns: u64,
    /// Its line in the scenario file.
    pub line: u64,
    /// Met?
    pub ok: bool,
    /// What was expected.
    pub what: String,
}

/// Bytes per second in equal buckets of `bucket_ns`, both ways on both sides of the device.
#[derive(Debug, Clone, Serialize, PartialEq, Default)]
pub struct Rates {
    /// Bucket width (ns).
    pub bucket_ns: u64,
    /// Serial side, program → device.
    pub serial_to_device: Vec<f64>,
    /// Serial side, device → program.
    pub serial_from_device: Vec<f64>,
    /// Network side, peers → device.
    pub net_to_device: Vec<f64>,
    /// Network side, device → peers.
    pub net_from_device: Vec<f64>,
}

/// Everything the report draws.
#[derive(Debug, Clone, Serialize, PartialEq, Default)]
pub struct Timeline {
    /// Device time at the end of the run (ns).
    pub end_ns: u64,
    /// Sessions in the order they opened.
    pub sessions: Vec<Session>,
    /// Line signals that changed, in the order they first changed.
    pub signals: Vec<Signal>,
    /// Fault instances in the order they started.
    pub faults: Vec<Fault>,
    /// Power changes: (time ns, on).
    pub power: Vec<(u64, bool)>,
    /// Expectations in order.
    pub expectations: Vec<Expectation>,
    /// Bytes per second.
    pub rates: Rates,
}

/// Length in bytes of a trace `data` field: text, or `{"hex": ...}`.
fn data_len(data: &Value) -> u64 {
    match data {
        Value::String(s) => s.len() as u64,
        Value::Object(m) => m
            .get("hex")
            .and_then(Value::as_str)
            .map_or(0, |h| h.len() as u64 / 2),
        _ => 0,
    }
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

impl Timeline {
    /// Gathers the timeline from JSON-lines trace text; lines that are not JSON objects are
    /// skipped. `end_ns` is the run's end (the last record's time if later).
    pub fn from_trace(json_lines: &str, end_ns: u64) -> Timeline {
        let records: Vec<Value> = json_lines
            .lines()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .filter(Value::is_object)
            .collect();
        let last = records.iter().filter_map(|r| r["t_ns"].as_u64()).max();
        let mut timeline = Timeline {
            end_ns: end_ns.max(last.unwrap_or(0)).max(1),
            ..Timeline::default()
        };
        let bucket_ns = timeline.end_ns.div_ceil(RATE_BUCKETS).max(1);
        let buckets = timeline.end_ns.div_ceil(bucket_ns) as usize + 1;
        let mut bytes = [
            vec![0u64; buckets],
            vec![0; buckets],
            vec![0; buckets],
            vec![0; buckets],
        ];
        for r in &records {
            let t = r["t_ns"].as_u64().unwrap_or(0);
            let bucket = (t / bucket_ns) as usize;
            match r["ev"].as_str().unwrap_or("") {
                "device" => timeline.device_event(t, r),
                "fault" => timeline.fault(t, r),
                "power" => timeline.power.push((t, r["on"].as_bool().unwrap_or(false))),
                "expect" => timeline.expectations.push(Expectation {
                    t_ns: t,
                    line: r["line"].as_u64().unwrap_or(0),
                    ok: r["ok"].as_bool().unwrap_or(false),
                    what: text(&r["what"]),
                }),
                "serial_in" => bytes[0][bucket] += data_len(&r["data"]),
                "serial_out" => bytes[1][bucket] += data_len(&r["data"]),
                "net_event" if r["kind"] == "received" => bytes[2][bucket] += data_len(&r["data"]),
                "action" if r["action"] == "send" => bytes[3][bucket] += data_len(&r["data"]),
                _ => {}
            }
        }
        let per_second = |v: &[u64]| -> Vec<f64> {
            v.iter()
                .map(|&b| b as f64 * 1e9 / bucket_ns as f64)
                .collect()
        };
        let [serial_in, serial_out, net_in, net_out] = &bytes;
        timeline.rates = Rates {
            bucket_ns,
            serial_to_device: per_second(serial_in),
            serial_from_device: per_second(serial_out),
            net_to_device: per_second(net_in),
            net_from_device: per_second(net_out),
        };
        timeline
    }

    fn device_event(&mut self, t: u64, r: &Value) {
        match r["event"].as_str().unwrap_or("") {
            "session_opened" => self.sessions.push(Session {
                conn: r["conn"].as_u64().unwrap_or(0),
                peer: text(&r["peer"]),
                open_ns: t,
                close_ns: None,
                reason: String::new(),
            }),
            "session_closed" => {
                let conn = r["conn"].as_u64().unwrap_or(0);
                if let Some(s) = self
                    .sessions
                    .iter_mut()
                    .rev()
                    .find(|s| s.conn == conn && s.close_ns.is_none())
                {
                    s.close_ns = Some(t);
                    s.reason = text(&r["reason"]);
                }
            }
            "signal_changed" => {
                let name = text(&r["signal"]);
                let direction = text(&r["direction"]);
                let high = r["high"].as_bool().unwrap_or(false);
                match self.signals.iter_mut().find(|s| s.name == name) {
                    Some(s) => s.changes.push((t, high)),
                    None => self.signals.push(Signal {
                        name,
                        direction,
                        changes: vec![(t, high)],
                    }),
                }
            }
            _ => {}
        }
    }

    fn fault(&mut self, t: u64, r: &Value) {
        let id = text(&r["id"]);
        if r["on"].as_bool().unwrap_or(false) {
            self.faults.push(Fault {
                id,
                name: text(&r["name"]),
                on_ns: t,
                off_ns: None,
            });
        } else if let Some(f) = self
            .faults
            .iter_mut()
            .rev()
            .find(|f| f.id == id && f.off_ns.is_none())
        {
            f.off_ns = Some(t);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gathers_sessions_faults_signals_expectations_and_rates() {
        let trace = r#"{"t_ns":0,"ev":"power","on":true}
{"t_ns":10,"ev":"device","event":"session_opened","port":1,"conn":1,"peer":"127.0.0.10:49152","role":"server"}
{"t_ns":20,"ev":"fault","id":"cut","name":"net.partition","on":true}
{"t_ns":30,"ev":"device","event":"signal_changed","port":1,"signal":"dsr","direction":"input","high":false}
{"t_ns":40,"ev":"net_event","kind":"received","conn":1,"data":"abcd"}
{"t_ns":45,"ev":"serial_out","data":{"hex":"ff00"}}
{"t_ns":50,"ev":"device","event":"session_closed","port":1,"conn":1,"reason":{"failed":"reset"}}
{"t_ns":60,"ev":"fault","id":"cut","name":"net.partition","on":false}
{"t_ns":70,"ev":"expect","line":9,"ok":false,"what":"x on serial"}
not json"#;
        let t = Timeline::from_trace(trace, 100);
        assert_eq!(t.end_ns, 100);
        assert_eq!(t.sessions.len(), 1);
        assert_eq!(t.sessions[0].close_ns, Some(50));
        assert_eq!(t.sessions[0].reason, r#"{"failed":"reset"}"#);
        assert_eq!(t.faults[0].off_ns, Some(60));
        assert_eq!(t.signals[0].changes, vec![(30, false)]);
        assert_eq!(t.power, vec![(0, true)]);
        assert!(!t.expectations[0].ok);
        // 100 ns in 400 buckets: 1 ns each; 4 bytes in 1 ns is 4e9 bytes/s.
        assert_eq!(t.rates.bucket_ns, 1);
        assert_eq!(t.rates.net_to_device[40], 4e9);
        assert_eq!(t.rates.serial_from_device[45], 2e9);
        assert_eq!(t.rates.net_from_device.iter().sum::<f64>(), 0.0);
    }
}
