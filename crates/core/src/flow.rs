//! Serial flow control (manual §4.8): XON/XOFF in band in both directions, and RTS/CTS.
//!
//! *Device → program.* The program pauses the device's transmitter with XOFF (0x13) and resumes
//! it with XON (0x11) (`xon_xoff`), or by dropping CTS (`rts_cts`). The paced line is held: the
//! character on the wire finishes, no new one starts, and nothing is lost.
//!
//! *Program → device.* When the device's receive buffer (serial→network, plus data held while
//! a connection is made) reaches [`HIGH_WATER`] the device sends XOFF, or drops RTS; at
//! [`LOW_WATER`] it sends XON, or raises RTS. Both thresholds are decided in docs/serial-port.md.
//!
//! RS-485 has no flow control: the settings are ignored there and XON/XOFF bytes are data.

use crate::config::{FlowControl, LineType};
use crate::lines::Lines;
use serde::Serialize;

/// XON: resume transmission.
pub const XON: u8 = 0x11;
/// XOFF: pause transmission.
pub const XOFF: u8 = 0x13;
/// Receive-buffer level (bytes) at which the device asks the program to pause.
pub const HIGH_WATER: usize = 3072;
/// Receive-buffer level (bytes) at which the device lets the program resume.
pub const LOW_WATER: usize = 1024;

/// The flow control in effect for an interface: none on RS-485.
pub fn effective(mode: FlowControl, line: LineType) -> FlowControl {
    if line == LineType::Rs485 {
        FlowControl::None
    } else {
        mode
    }
}

/// Flow-control state of the serial port.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Flow {
    /// The program sent XOFF: the device's transmitter waits for XON.
    pub xoff_received: bool,
    /// The device asked the program to pause (sent XOFF or dropped RTS).
    pub throttling: bool,
}

/// What the device must send to the program in band.
pub type InBand = Option<u8>;

impl Flow {
    /// Takes XON/XOFF out of bytes received from the program (with `xon_xoff`) and applies them
    /// in order; the other bytes stay. Returns true when the transmitter's pause changed.
    pub fn receive(&mut self, mode: FlowControl, bytes: &mut Vec<u8>) -> bool {
        if mode != FlowControl::XonXoff || !bytes.iter().any(|b| *b == XON || *b == XOFF) {
            return false;
        }
        let before = self.xoff_received;
        bytes.retain(|b| match *b {
            XOFF => {
                self.xoff_received = true;
                false
            }
            XON => {
                self.xoff_received = false;
                false
            }
            _ => true,
        });
        before != self.xoff_received
    }

    /// True when the device must not start a new character towards the program.
    pub fn tx_held(&self, mode: FlowControl, lines: &Lines) -> bool {
        match mode {
            FlowControl::None => false,
            FlowControl::XonXoff => self.xoff_received,
            FlowControl::RtsCts => !lines.cts,
        }
    }

    /// The device's receive buffer holds `level` bytes: pause or resume the program. RTS is
    /// set in `lines`; an in-band XON/XOFF to send is returned.
    pub fn buffer_level(&mut self, mode: FlowControl, level: usize, lines: &mut Lines) -> InBand {
        let want = if level >= HIGH_WATER {
            true
        } else if level <= LOW_WATER {
            false
        } else {
            self.throttling
        };
        if mode == FlowControl::None {
            self.throttling = false;
            return None;
        }
        if want == self.throttling {
            if mode == FlowControl::RtsCts {
                lines.rts = !want;
            }
            return None;
        }
        self.throttling = want;
        match mode {
            FlowControl::RtsCts => {
                lines.rts = !want;
                None
            }
            FlowControl::XonXoff => Some(if want { XOFF } else { XON }),
            FlowControl::None => None,
        }
    }

    /// Forgets pauses in both directions (flow control changed or off).
    pub fn reset(&mut self) {
        *self = Flow::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xon_xoff_bytes_are_taken_out_and_pause_in_order() {
        let mut f = Flow::default();
        let mut b = vec![b'a', XOFF, b'b'];
        assert!(f.receive(FlowControl::XonXoff, &mut b));
        assert_eq!(b, b"ab");
        assert!(f.tx_held(FlowControl::XonXoff, &Lines::default()));
        let mut b = vec![XON, XOFF, XON, b'c'];
        assert!(f.receive(FlowControl::XonXoff, &mut b));
        assert_eq!(b, b"c");
        assert!(!f.xoff_received);
        // Without XON/XOFF flow control they are data.
        let mut b = vec![XOFF];
        assert!(!f.receive(FlowControl::None, &mut b));
        assert_eq!(b, vec![XOFF]);
    }

    #[test]
    fn cts_low_holds_the_transmitter() {
        let f = Flow::default();
        let lines = Lines {
            cts: false,
            ..Lines::default()
        };
        assert!(f.tx_held(FlowControl::RtsCts, &lines));
        assert!(!f.tx_held(FlowControl::None, &lines));
    }

    #[test]
    fn buffer_thresholds_have_hysteresis() {
        let mut f = Flow::default();
        let mut lines = Lines::default();
        assert_eq!(f.buffer_level(FlowControl::XonXoff, 100, &mut lines), None);
        assert_eq!(
            f.buffer_level(FlowControl::XonXoff, HIGH_WATER, &mut lines),
            Some(XOFF)
        );
        assert_eq!(f.buffer_level(FlowControl::XonXoff, 2000, &mut lines), None);
        assert_eq!(
            f.buffer_level(FlowControl::XonXoff, LOW_WATER, &mut lines),
            Some(XON)
        );
        assert_eq!(f.buffer_level(FlowControl::RtsCts, 4000, &mut lines), None);
        assert!(!lines.rts);
        f.buffer_level(FlowControl::RtsCts, 0, &mut lines);
        assert!(lines.rts);
    }
}
