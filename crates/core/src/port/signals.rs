//! What the DTR and DSR settings (manual §4.8) mean for a port.
//!
//! DTR (output): always high, always low, or high while the port has a session (TCP) or a
//! destination (UDP). DSR (input) with `allow_only_when_high`: sessions exist only while DSR is
//! high: low→high starts a connection round on the client side, high→low drops every session
//! and refuses incoming ones, and UDP datagrams are delivered only while it is high. RS-422 and
//! RS-485 have neither pin, so both settings have no effect there.

use crate::config::{DsrMode, DtrMode, LineType, SerialSettings};

/// True when the interface has DTR and DSR pins.
pub fn has_dtr_dsr(line: LineType) -> bool {
    line == LineType::Rs232
}

/// The DTR level the settings ask for, given whether the port is connected; `None` when the
/// interface has no DTR pin (the level is left as it is).
pub fn dtr_level(serial: &SerialSettings, connected: bool) -> Option<bool> {
    if !has_dtr_dsr(serial.line_type) {
        return None;
    }
    Some(match serial.dtr {
        DtrMode::AlwaysHigh => true,
        DtrMode::AlwaysLow => false,
        DtrMode::HighWhenConnected => connected,
    })
}

/// True when DSR gates the port's sessions.
pub fn dsr_gates(serial: &SerialSettings) -> bool {
    has_dtr_dsr(serial.line_type) && serial.dsr == DsrMode::AllowOnlyWhenHigh
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    #[test]
    fn rs485_ignores_dtr_and_dsr() {
        let mut s = Config::factory().port1.serial;
        s.dtr = DtrMode::HighWhenConnected;
        s.dsr = DsrMode::AllowOnlyWhenHigh;
        assert_eq!(dtr_level(&s, false), Some(false));
        assert!(dsr_gates(&s));
        s.line_type = LineType::Rs485;
        assert_eq!(dtr_level(&s, false), None);
        assert!(!dsr_gates(&s));
    }
}
