//! The system log (docs/management.md "Logs"): a ring in RAM of the device's events, each with
//! the device's date and time, its uptime and a severity, and the RFC 5424 form of a message for
//! the remote syslog server.
//!
//! The log holds no events of its own: it is fed the [`DeviceEvent`]s the model produces once
//! (the same ones the runtime prints as JSON), so the log, stdout and the event stream cannot
//! disagree.

use crate::io::DeviceEvent;
use serde::Serialize;
use std::collections::VecDeque;

/// Syslog facility of every message: local0 (16), as device servers commonly use.
pub const FACILITY: u8 = 16;

/// RFC 5424 severities.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// 0: system unusable.
    Emerg,
    /// 1: act at once.
    Alert,
    /// 2: critical.
    Crit,
    /// 3: error.
    Err,
    /// 4: warning.
    Warning,
    /// 5: normal but significant.
    Notice,
    /// 6: informational.
    Info,
    /// 7: debug.
    Debug,
}

impl Severity {
    /// The severity named in `system.log.remote_severity`.
    pub fn from_name(name: &str) -> Severity {
        match name {
            "emerg" => Severity::Emerg,
            "alert" => Severity::Alert,
            "crit" => Severity::Crit,
            "err" => Severity::Err,
            "warning" => Severity::Warning,
            "notice" => Severity::Notice,
            "debug" => Severity::Debug,
            _ => Severity::Info,
        }
    }
}

/// How severe an event is.
pub fn severity_of(event: &DeviceEvent) -> Severity {
    match event {
        DeviceEvent::Login { ok: false, .. }
        | DeviceEvent::ConnectionRejected { .. }
        | DeviceEvent::DatagramRejected { .. }
        | DeviceEvent::ConnectFailed { .. }
        | DeviceEvent::BaudMismatch { .. }
        | DeviceEvent::DataDiscarded { .. }
        | DeviceEvent::FilterRefused { .. }
        | DeviceEvent::ConsoleLoginFailed { .. }
        | DeviceEvent::LoginLockout { .. }
        | DeviceEvent::WebLoginFailed { .. } => Severity::Warning,
        DeviceEvent::Login { ok: true, .. }
        | DeviceEvent::ConsoleLogin { .. }
        | DeviceEvent::Booted { .. }
        | DeviceEvent::ClockSet { .. }
        | DeviceEvent::WebLogin { .. }
        | DeviceEvent::FirmwareUpgrade { .. } => Severity::Notice,
        DeviceEvent::SessionOpened { .. }
        | DeviceEvent::SessionClosed { .. }
        | DeviceEvent::ConsoleLogout { .. }
        | DeviceEvent::TlsEstablished { .. }
        | DeviceEvent::Connecting { .. }
        | DeviceEvent::SerialPeer { .. }
        | DeviceEvent::WebLogout { .. } => Severity::Info,
        _ => Severity::Debug,
    }
}

/// One message of the system log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LogEntry {
    /// Sequence number since power-on (gaps show messages the ring overwrote).
    pub seq: u64,
    /// The device's date and time, RFC 3339 UTC with milliseconds.
    pub time: String,
    /// Milliseconds since boot.
    pub uptime_ms: u64,
    /// Severity.
    pub severity: Severity,
    /// The event's name (the `event` field of its JSON line); RFC 5424 MSGID.
    pub event: String,
    /// The event's other fields as `key=value` pairs.
    pub text: String,
}

impl std::fmt::Display for LogEntry {
    /// One line for a console: `SEQ TIME SEVERITY EVENT FIELDS`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let severity = format!("{:?}", self.severity).to_lowercase();
        write!(f, "{} {} {severity} {}", self.seq, self.time, self.event)?;
        if !self.text.is_empty() {
            write!(f, " {}", self.text)?;
        }
        Ok(())
    }
}

/// The ring of messages.
#[derive(Debug, Clone, Default)]
pub struct SystemLog {
    ring: VecDeque<LogEntry>,
    next_seq: u64,
}

impl SystemLog {
    /// Records `event` at `unix_ms` / `uptime_ms`, keeping at most `capacity` messages; returns
    /// the entry.
    pub fn record(
        &mut self,
        event: &DeviceEvent,
        unix_ms: i64,
        uptime_ms: u64,
        capacity: usize,
    ) -> LogEntry {
        let (name, text) = describe(event);
        self.next_seq += 1;
        let entry = LogEntry {
            seq: self.next_seq,
            time: rfc3339(unix_ms),
            uptime_ms,
            severity: severity_of(event),
            event: name,
            text,
        };
        self.ring.push_back(entry.clone());
        while self.ring.len() > capacity.max(1) {
            self.ring.pop_front();
        }
        entry
    }

    /// The messages, oldest first, with a sequence number above `after`.
    pub fn since(&self, after: u64) -> Vec<LogEntry> {
        self.ring
            .iter()
            .filter(|e| e.seq > after)
            .cloned()
            .collect()
    }

    /// Forgets every message (power off, `ctl log --clear`).
    pub fn clear(&mut self) {
        self.ring.clear();
    }
}

/// An event's name and its other fields as `key=value` text, sorted by field name.
pub fn describe(event: &DeviceEvent) -> (String, String) {
    let Ok(toml::Value::Table(t)) = toml::Value::try_from(event) else {
        return ("event".into(), String::new());
    };
    let name = t
        .get("event")
        .and_then(|v| v.as_str())
        .unwrap_or("event")
        .to_owned();
    let text = t
        .iter()
        .filter(|(k, _)| k.as_str() != "event")
        .map(|(k, v)| match v {
            toml::Value::String(s) => format!("{k}={s:?}"),
            other => format!("{k}={other}"),
        })
        .collect::<Vec<_>>()
        .join(" ");
    (name, text)
}

/// The RFC 5424 message for `entry` from host `hostname` (no structured data).
pub fn rfc5424(entry: &LogEntry, hostname: &str) -> String {
    let pri = u16::from(FACILITY) * 8 + entry.severity as u16;
    let host: String = hostname
        .chars()
        .filter(|c| c.is_ascii_graphic())
        .take(255)
        .collect();
    let host = if host.is_empty() { "-".into() } else { host };
    format!(
        "<{pri}>1 {} {host} m2285 - {} - {}",
        entry.time, entry.event, entry.text
    )
}

/// `unix_ms` as an RFC 3339 UTC timestamp with milliseconds.
pub fn rfc3339(unix_ms: i64) -> String {
    let secs = unix_ms.div_euclid(1000);
    let ms = unix_ms.rem_euclid(1000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{ms:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Days since 1970-01-01 to (year, month, day) in the proleptic Gregorian calendar (H. Hinnant).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_and_messages_have_the_rfc_form() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(rfc3339(951_782_400_123), "2000-02-29T00:00:00.123Z");
        assert_eq!(rfc3339(1_767_225_599_999), "2025-12-31T23:59:59.999Z");
        let mut log = SystemLog::default();
        let ev = DeviceEvent::Login {
            port: 1,
            conn: crate::io::ConnId(3),
            peer: "127.0.0.2:4000"
                .parse()
                .unwrap_or_else(|_| ([0, 0, 0, 0], 0).into()),
            user: "op".into(),
            ok: false,
        };
        let e = log.record(&ev, 0, 5, 2);
        assert_eq!(e.severity, Severity::Warning);
        let line = rfc5424(&e, "M2285");
        assert!(
            line.starts_with("<132>1 1970-01-01T00:00:00.000Z M2285 m2285 - login - "),
            "{line}"
        );
        assert!(
            line.contains("user=\"op\"") && line.contains("ok=false"),
            "{line}"
        );
        log.record(&ev, 1, 6, 2);
        log.record(&ev, 2, 7, 2);
        let kept: Vec<u64> = log.since(0).iter().map(|e| e.seq).collect();
        assert_eq!(kept, vec![2, 3]);
        assert_eq!(log.since(2).len(), 1);
    }
}
