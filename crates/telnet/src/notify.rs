//! When to send NOTIFY-MODEMSTATE and NOTIFY-LINESTATE, and with what value.
//!
//! The device reports the state of its lines whenever it likes; this module remembers the last
//! report, computes the modem-state change bits, applies the client's masks and decides whether
//! the client needs to hear about it. It never writes bytes itself.
//!
//! Rules (see docs/telnet-rfc2217.md):
//! - modem state: the device gives the four levels (CD, RI, DSR, CTS); the change bits are
//!   computed against the previous report (CTS/DSR/CD on any change, RI on its trailing edge) and
//!   OR-ed with any change bits the device passed itself. A notification is sent when a level
//!   bit the mask selects changed, or when a change bit the mask selects is set; it carries the
//!   state AND the mask (RFC 2217 section "SET-MODEMSTATE-MASK").
//! - line state: level bits (data ready, holding/shift register empty) are sent when a masked
//!   one changes; event bits (errors, break, time-out) every time a report carries a masked one.

use crate::values::{line_state, modem_state};

/// Mask, cache and "last sent" bookkeeping for both notifications.
#[derive(Clone, Debug)]
pub struct StateReporter {
    modem_mask: u8,
    line_mask: u8,
    /// Last modem levels the device reported (`None` before the first report).
    modem_levels: Option<u8>,
    /// Last line state the device reported.
    line: u8,
}

impl Default for StateReporter {
    fn default() -> Self {
        StateReporter {
            modem_mask: modem_state::DEFAULT_MASK,
            line_mask: line_state::DEFAULT_MASK,
            modem_levels: None,
            line: 0,
        }
    }
}

impl StateReporter {
    /// The SET-MODEMSTATE-MASK in effect.
    pub fn modem_mask(&self) -> u8 {
        self.modem_mask
    }

    /// The SET-LINESTATE-MASK in effect.
    pub fn line_mask(&self) -> u8 {
        self.line_mask
    }

    /// Applies a new SET-MODEMSTATE-MASK.
    pub fn set_modem_mask(&mut self, mask: u8) {
        self.modem_mask = mask;
    }

    /// Applies a new SET-LINESTATE-MASK.
    pub fn set_line_mask(&mut self, mask: u8) {
        self.line_mask = mask;
    }

    /// Records a modem-state report; returns the NOTIFY-MODEMSTATE value to send, if any
    /// (never when `enabled` is false, i.e. before RFC 2217 is agreed).
    pub fn modem_update(&mut self, state: u8, enabled: bool) -> Option<u8> {
        let levels = state & modem_state::LEVELS;
        let previous = self.modem_levels.unwrap_or(0);
        self.modem_levels = Some(levels);
        let changed = levels ^ previous;
        let mut deltas = state & modem_state::DELTAS;
        deltas |= (changed & (modem_state::CD | modem_state::DSR | modem_state::CTS)) >> 4;
        if previous & modem_state::RI != 0 && levels & modem_state::RI == 0 {
            deltas |= modem_state::TRAILING_EDGE_RI;
        }
        if !enabled {
            return None;
        }
        let value = (levels | deltas) & self.modem_mask;
        let levels_changed = changed & self.modem_mask != 0;
        (levels_changed || value & modem_state::DELTAS != 0).then_some(value)
    }

    /// The current masked modem levels, for a client poll (`force`: 0 when the device never
    /// reported) or the first notification after RFC 2217 is agreed (`None` when it never did).
    pub fn modem_snapshot(&self, force: bool) -> Option<u8> {
        match self.modem_levels {
            Some(levels) => Some(levels & self.modem_mask),
            None => force.then_some(0),
        }
    }

    /// Records a line-state report; returns the NOTIFY-LINESTATE value to send, if any.
    pub fn line_update(&mut self, state: u8, enabled: bool) -> Option<u8> {
        let changed = (state ^ self.line) & line_state::LEVELS;
        self.line = state;
        if !enabled {
            return None;
        }
        let value = state & self.line_mask;
        (changed & self.line_mask != 0 || value & line_state::EVENTS != 0).then_some(value)
    }

    /// The current masked line state, for a client poll.
    pub fn line_snapshot(&self) -> u8 {
        self.line & self.line_mask
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use modem_state::*;

    #[test]
    fn modem_deltas_and_suppression() {
        let mut r = StateReporter::default();
        assert_eq!(
            r.modem_update(CTS | DSR, true),
            Some(CTS | DSR | DELTA_CTS | DELTA_DSR)
        );
        assert_eq!(
            r.modem_update(CTS | DSR, true),
            None,
            "no change, no notification"
        );
        assert_eq!(r.modem_update(DSR, true), Some(DSR | DELTA_CTS));
        assert_eq!(
            r.modem_update(DSR | RI, true),
            Some(DSR | RI),
            "RI rising: no delta"
        );
        assert_eq!(r.modem_update(DSR, true), Some(DSR | TRAILING_EDGE_RI));
        assert_eq!(r.modem_update(DSR | CD, true), Some(DSR | CD | DELTA_CD));
    }

    #[test]
    fn modem_mask_filters() {
        let mut r = StateReporter::default();
        r.set_modem_mask(CTS | DELTA_CTS);
        assert_eq!(r.modem_update(CD, true), None, "CD masked out");
        assert_eq!(r.modem_update(CD | DSR, true), None, "DSR masked out");
        assert_eq!(r.modem_update(CD | DSR | CTS, true), Some(CTS | DELTA_CTS));
        assert_eq!(
            r.modem_update(CD | DSR, true),
            Some(DELTA_CTS),
            "CTS dropped"
        );
        r.set_modem_mask(CTS);
        assert_eq!(
            r.modem_update(CD | CTS, true),
            Some(CTS),
            "levels only, no deltas"
        );
        r.set_modem_mask(0);
        assert_eq!(r.modem_update(0, true), None, "mask 0: never");
        assert_eq!(r.modem_update(CTS | RI, true), None, "mask 0: never");
    }

    #[test]
    fn modem_not_sent_before_enabled_but_cached() {
        let mut r = StateReporter::default();
        assert_eq!(r.modem_update(CTS | CD, false), None);
        assert_eq!(r.modem_snapshot(false), Some(CTS | CD));
        assert_eq!(r.modem_update(CTS | CD, true), None);
        let fresh = StateReporter::default();
        assert_eq!(fresh.modem_snapshot(false), None);
        assert_eq!(fresh.modem_snapshot(true), Some(0));
    }

    #[test]
    fn line_state_levels_and_events() {
        use line_state::*;
        let mut r = StateReporter::default();
        assert_eq!(r.line_update(OVERRUN_ERROR, true), None, "default mask 0");
        r.set_line_mask(0xFF);
        assert_eq!(r.line_update(0, true), None);
        assert_eq!(r.line_update(DATA_READY, true), Some(DATA_READY));
        assert_eq!(r.line_update(DATA_READY, true), None);
        assert_eq!(
            r.line_update(DATA_READY | OVERRUN_ERROR, true),
            Some(DATA_READY | OVERRUN_ERROR)
        );
        assert_eq!(
            r.line_update(DATA_READY | OVERRUN_ERROR, true),
            Some(DATA_READY | OVERRUN_ERROR),
            "each error report is an event"
        );
        assert_eq!(r.line_update(0, true), Some(0));
        assert_eq!(r.line_snapshot(), 0);
    }
}
