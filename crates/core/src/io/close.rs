//! Why a session ended, as values: the port engine decides on them by matching variants, never
//! by reading text. The words users and tests see (events, JSON lines, SNMP traps, scenario
//! reports) come from one place, [`CloseReason::keyword`] and the [`std::fmt::Display`] of
//! [`Failure`]:
//!
//! * JSON: a bare keyword (`"peer_closed"`), or `{"failed": "<failure>"}` for a failure;
//! * text ([`std::fmt::Display`]): the keyword, or `failed: <failure>`.

use serde::{Serialize, Serializer};
use std::fmt;

/// Why a session ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CloseReason {
    /// The peer closed it.
    PeerClosed,
    /// No serial traffic for the inactivity timeout.
    InactivityTimeout,
    /// The connection or a protocol layer failed (reset, keep-alive timeout, TLS, ...).
    Failed(Failure),
    /// The port was disabled or its mode changed.
    PortDisabled,
    /// Modem emulation hung up (`ATH`, `+++`/DTR drop, `AT\T`).
    HungUp,
    /// DSR dropped while `port1.serial.dsr` is allow_only_when_high.
    DsrLow,
    /// The peer did not log in (wrong credentials too often, or too slowly).
    LoginFailed,
    /// The device went down for a reboot.
    Reboot,
    /// The serial port was switched to the device's console (docs/console.md).
    ConsoleMode,
}

impl CloseReason {
    /// The reason's name in events: `peer_closed`, `inactivity_timeout`, `failed`, ...
    pub fn keyword(&self) -> &'static str {
        match self {
            CloseReason::PeerClosed => "peer_closed",
            CloseReason::InactivityTimeout => "inactivity_timeout",
            CloseReason::Failed(_) => "failed",
            CloseReason::PortDisabled => "port_disabled",
            CloseReason::HungUp => "hung_up",
            CloseReason::DsrLow => "dsr_low",
            CloseReason::LoginFailed => "login_failed",
            CloseReason::Reboot => "reboot",
            CloseReason::ConsoleMode => "console_mode",
        }
    }
}

impl fmt::Display for CloseReason {
    /// `peer_closed`, `failed: keep-alive timeout`, ...
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CloseReason::Failed(why) => write!(f, "{}: {why}", self.keyword()),
            other => f.write_str(other.keyword()),
        }
    }
}

impl Serialize for CloseReason {
    /// `"peer_closed"`, or `{"failed": "keep-alive timeout"}` (the shape serde gives an
    /// externally tagged enum, which events have always used).
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            CloseReason::Failed(why) => {
                use serde::ser::SerializeMap;
                let mut map = s.serialize_map(Some(1))?;
                map.serialize_entry(self.keyword(), &why.to_string())?;
                map.end()
            }
            other => s.serialize_str(other.keyword()),
        }
    }
}

/// How a session failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Failure {
    /// The runtime saw the connection fail (reset, keep-alive timeout, ...); its own words.
    Connection(String),
    /// The TLS engine failed (a bad record, a refused certificate, ...); the engine's words.
    Tls(String),
    /// The TLS handshake did not finish within `port1.crypto.handshake_timeout_s`.
    TlsHandshakeTimedOut,
    /// The peer ended TLS (close_notify) while the session was open.
    PeerClosedTls,
}

impl Failure {
    /// True for the failures the `tls_failures` counter counts.
    pub fn is_tls(&self) -> bool {
        matches!(self, Failure::Tls(_) | Failure::TlsHandshakeTimedOut)
    }
}

impl fmt::Display for Failure {
    /// `connection reset by peer`, `TLS: <engine's reason>`, `TLS: handshake timed out`,
    /// `peer closed TLS`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Connection(why) => f.write_str(why),
            Failure::Tls(why) => write!(f, "TLS: {why}"),
            Failure::TlsHandshakeTimedOut => f.write_str("TLS: handshake timed out"),
            Failure::PeerClosedTls => f.write_str("peer closed TLS"),
        }
    }
}

impl From<String> for Failure {
    /// A runtime's description of a failed connection.
    fn from(why: String) -> Self {
        Failure::Connection(why)
    }
}

impl From<&str> for Failure {
    /// A runtime's description of a failed connection.
    fn from(why: &str) -> Self {
        Failure::Connection(why.to_owned())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn json(r: &CloseReason) -> String {
        serde_json::to_string(r).unwrap()
    }

    #[test]
    fn events_and_text_keep_their_words() {
        assert_eq!(json(&CloseReason::PeerClosed), r#""peer_closed""#);
        assert_eq!(
            json(&CloseReason::InactivityTimeout),
            r#""inactivity_timeout""#
        );
        assert_eq!(json(&CloseReason::DsrLow), r#""dsr_low""#);
        let keepalive = CloseReason::Failed("keep-alive timeout".into());
        assert_eq!(json(&keepalive), r#"{"failed":"keep-alive timeout"}"#);
        assert_eq!(keepalive.to_string(), "failed: keep-alive timeout");
        let late = CloseReason::Failed(Failure::TlsHandshakeTimedOut);
        assert_eq!(json(&late), r#"{"failed":"TLS: handshake timed out"}"#);
        let bad = CloseReason::Failed(Failure::Tls("bad record MAC".into()));
        assert_eq!(bad.to_string(), "failed: TLS: bad record MAC");
        assert_eq!(
            json(&CloseReason::Failed(Failure::PeerClosedTls)),
            r#"{"failed":"peer closed TLS"}"#
        );
        assert_eq!(CloseReason::LoginFailed.to_string(), "login_failed");
    }

    #[test]
    fn only_tls_failures_count_as_such() {
        assert!(Failure::Tls("x".into()).is_tls());
        assert!(Failure::TlsHandshakeTimedOut.is_tls());
        assert!(!Failure::PeerClosedTls.is_tls());
        assert!(!Failure::Connection("TLS: looks like one".into()).is_tls());
    }
}
