//! The device's UART as hardware: both directions of the wire with their pacing, and what the
//! device can see of the program at the other end.

use crate::config::FlowControl;
use m2285_time::Instant;
use m2285_uart::{PacedLine, SerialParams};

/// Size of the network→serial buffer in bytes (decided: docs/serial-port.md). When it is full
/// the device stops reading from the network, so TCP flow control holds the sender back.
pub const NET_TO_SERIAL_BUFFER: usize = 4096;

/// How many bytes from the serial-side program may be in flight on the wire at once. This is
/// the program's side of the cable; when it is full the runtime stops reading the PTY, so the
/// program's writes block like writes to a real port at that baud rate.
pub const WIRE_IN_FLIGHT: usize = 4096;

/// The serial port hardware of the device.
#[derive(Debug, Clone)]
pub struct SerialHw {
    /// Characters on their way from the program to the device.
    pub rx: PacedLine,
    /// Characters on their way from the device to the program.
    pub tx: PacedLine,
    /// The baud rate the program set on its end, when known.
    pub observed_baud: Option<u32>,
    /// Whether a program holds the port open.
    pub peer_attached: bool,
    /// Flow control in force (configuration, or changed by RFC 2217).
    pub flow: FlowControl,
}

impl SerialHw {
    /// Hardware with the given line settings; `paced` false disables pacing (benchmarks).
    pub fn new(params: SerialParams, paced: bool, flow: FlowControl) -> Self {
        SerialHw {
            rx: PacedLine::new(params, WIRE_IN_FLIGHT, paced),
            tx: PacedLine::new(params, NET_TO_SERIAL_BUFFER, paced),
            observed_baud: None,
            peer_attached: false,
            flow,
        }
    }

    /// Changes the line settings (baud, framing) of both directions, keeping pacing as it is.
    pub fn set_line(&mut self, params: SerialParams, now: Instant) {
        self.rx.set_params(params, now);
        self.tx.set_params(params, now);
    }

    /// Applies new line settings to both directions.
    pub fn set_params(&mut self, params: SerialParams, paced: bool, now: Instant) {
        self.rx.set_params(params, now);
        self.tx.set_params(params, now);
        self.rx.set_paced(paced, now);
        self.tx.set_paced(paced, now);
    }

    /// The earliest instant a character finishes in either direction.
    pub fn next_deadline(&self) -> Option<Instant> {
        m2285_time::earliest(self.rx.next_deadline(), self.tx.next_deadline())
    }
}
