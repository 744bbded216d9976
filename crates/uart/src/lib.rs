//! The serial line of the simulated Model 2285.
//!
//! [`framing`] and [`pacing`] model the UART itself: how many bits a character takes on the wire
//! and when each character finishes, on absolute deadlines. The crate is sans-IO: time comes in
//! as an [`m2285_time::Instant`] argument, and it depends on no OS crate, so the device model
//! (`m2285-core`) can use it. The host PTY that stands for the DB-9 connector is the separate
//! crate `m2285-pty`, which only the real-time runtime uses.

pub mod framing;
pub mod pacing;

pub use framing::{Parity, SerialParams, StopBits};
pub use pacing::PacedLine;
