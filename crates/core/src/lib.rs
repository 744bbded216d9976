//! The device model of the Patton EtherBits Model 2285, sans-IO.
//!
//! [`Device`] is the firmware: configuration, the serial port's UART and buffers, the port engine
//! (TCP server, later client, UDP and modem emulation), timers and statistics. It never reads a
//! clock, sleeps, spawns threads or touches sockets, PTYs or files. A runtime drives it:
//!
//! ```text
//! loop {
//!     device.handle(event, now);             // something happened at `now`
//!     while let Some(a) = device.poll_action() { /* carry it out */ }
//!     wait until device.next_deadline() or the next event; device.handle_timeout(now)
//! }
//! ```
//!
//! The same model runs in real time (host PTY and sockets) and in virtual time.

pub mod admin;
pub mod comport;
pub mod config;
mod device;
pub mod flow;
pub mod io;
pub mod lines;
pub mod port;
pub mod serial;
pub mod stats;
pub mod store;

pub use config::Config;
pub use device::{ApplyReport, Device, HostStatus, LoginVerdict, Status, TlsMaterial};
pub use io::{Action, ConnId, Event, LineEvent, NetEvent};
