//! The serial line of the simulated Model 2285.
//!
//! Two halves with a hard line between them:
//!
//! * [`framing`] and [`pacing`] model the UART itself: how many bits a character takes on the
//!   wire and when each character finishes, on absolute deadlines. They are sans-IO: time comes in
//!   as an [`m2285_time::Instant`] argument.
//! * [`pty`] is the host boundary: it creates the PTY that stands for the device's DB-9 connector,
//!   manages its symlink, and observes the baud rate the serial-side program sets. Only the
//!   runtimes use it.

pub mod framing;
pub mod pacing;
pub mod pty;

pub use framing::{Parity, SerialParams, StopBits};
pub use pacing::PacedLine;
