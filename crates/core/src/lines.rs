//! The serial port's control lines: what the device drives (DTR, RTS) and what it sees (DSR,
//! CTS, DCD, RI), plus the break condition.
//!
//! A PTY has none of these, so the inputs are set through the control API or RFC 2217 and the
//! outputs are shown there (docs/serial-port.md). The behaviours built on them (DTR modes, DSR
//! gating, RTS/CTS flow control) are the port engine's; this module only holds the levels.

use serde::Serialize;

/// Levels of the serial port's control lines.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Lines {
    /// Data Terminal Ready, driven by the device.
    pub dtr: bool,
    /// Request To Send, driven by the device.
    pub rts: bool,
    /// Data Set Ready, seen by the device (the attached equipment's DTR).
    pub dsr: bool,
    /// Clear To Send, seen by the device.
    pub cts: bool,
    /// Data Carrier Detect, seen by the device.
    pub dcd: bool,
    /// Ring Indicator, seen by the device.
    pub ri: bool,
    /// The device is sending a break (TX held at space).
    pub break_tx: bool,
}

impl Default for Lines {
    /// Outputs asserted; inputs as an attached RS-232 device that is powered and ready drives
    /// them (DSR and CTS high, no carrier, no ring).
    fn default() -> Self {
        Lines {
            dtr: true,
            rts: true,
            dsr: true,
            cts: true,
            dcd: false,
            ri: false,
            break_tx: false,
        }
    }
}

/// One of the input lines the attached equipment drives.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum InputLine {
    /// Data Set Ready.
    Dsr,
    /// Clear To Send.
    Cts,
    /// Data Carrier Detect.
    Dcd,
    /// Ring Indicator.
    Ri,
}

impl Lines {
    /// Sets an input line; returns true if its level changed.
    pub fn set_input(&mut self, line: InputLine, high: bool) -> bool {
        let slot = match line {
            InputLine::Dsr => &mut self.dsr,
            InputLine::Cts => &mut self.cts,
            InputLine::Dcd => &mut self.dcd,
            InputLine::Ri => &mut self.ri,
        };
        let changed = *slot != high;
        *slot = high;
        changed
    }

    /// The inputs in RFC 2217 NOTIFY-MODEMSTATE form (levels only: CTS 0x10, DSR 0x20, RI 0x40,
    /// DCD 0x80).
    pub fn modem_state_bits(&self) -> u8 {
        (u8::from(self.cts) << 4)
            | (u8::from(self.dsr) << 5)
            | (u8::from(self.ri) << 6)
            | (u8::from(self.dcd) << 7)
    }
}
