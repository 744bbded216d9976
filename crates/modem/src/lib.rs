//! The 2285's "modem emulation" host mode: a sans-IO Hayes-style AT-command modem.
//!
//! A serial program that used to drive a dial-up modem keeps talking AT commands; instead of a
//! phone number it "dials" `host:port`, and instead of waiting for a ring it listens on a TCP
//! port. This crate is that AT engine and nothing else. It never touches a socket, a clock, a
//! thread or a file: the device model feeds it
//!
//! * bytes from the serial side ([`ModemEmulator::serial_input`]),
//! * session bytes and session events from the network side
//!   ([`ModemEmulator::network_input`], [`connected`](ModemEmulator::connected),
//!   [`connect_failed`](ModemEmulator::connect_failed),
//!   [`incoming_call`](ModemEmulator::incoming_call),
//!   [`remote_closed`](ModemEmulator::remote_closed)),
//! * the DTE's DTR line ([`ModemEmulator::dtr_changed`]) and expired deadlines
//!   ([`ModemEmulator::handle_timeout`]),
//!
//! each with the current [`Instant`], and carries out the [`ModemOutput`]s that
//! [`ModemEmulator::poll`] hands back, in order.
//!
//! ```
//! use m2285_modem::{Instant, Mode, ModemEmulator, ModemOptions, ModemOutput};
//!
//! let mut modem = ModemEmulator::new(ModemOptions::default());
//! let t = Instant::from_secs(1);
//! modem.serial_input(b"ATE0\r", t);                    // echo of "ATE0\r", then OK
//! while modem.poll().is_some() {}
//! modem.serial_input(b"ATDT192.168.1.9:1002\r", t);
//! assert!(matches!(modem.poll(), Some(ModemOutput::Dial { port: 1002, .. })));
//! modem.connected(t);                                   // the device's TCP connect succeeded
//! assert_eq!(modem.poll(), Some(ModemOutput::ToSerial(b"\r\nCONNECT\r\n".to_vec())));
//! modem.serial_input(b"hello", t);
//! assert_eq!(modem.poll(), Some(ModemOutput::ToNetwork(b"hello".to_vec())));
//! assert_eq!(modem.mode(), Mode::Data);
//! ```
//!
//! The modules follow the data path: `line` assembles command lines from serial bytes,
//! `parser` (with `dial`) turns a line into commands, `emulator` (mode state machine) and
//! `execute` (running a line) do the work, `escape` spots the `+++` guard-time escape in data
//! mode, `registers` holds the S-registers, `settings` the rest of the profile, and `result`
//! formats result codes. `docs/modem.md` in the repository lists every command with its exact
//! response and every decision taken where the manual is silent.

mod dial;
mod emulator;
mod escape;
mod execute;
mod line;
mod options;
mod output;
mod parser;
mod registers;
mod result;
mod settings;

pub use emulator::{ModemEmulator, ONLINE_COMMAND_BUFFER};
pub use line::MAX_COMMAND_LINE;
pub use m2285_time::Instant;
pub use options::ModemOptions;
pub use output::{DialProtocol, Mode, ModemOutput, SessionState};
pub use registers::{SRegisters, KNOWN_REGISTERS};
pub use result::ResultCode;
pub use settings::{DtrDropAction, DtrOutputMode, Flow, ModemSettings};
