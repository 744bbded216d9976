//! Test harness for the m2285 simulator, for Rust tests.
//!
//! * [`Sim`] starts the built `m2285-sim` binary the way a user would: it reads the ready line,
//!   knows the ports, opens the PTY raw ([`Sim::open_serial`]), talks to the control API
//!   ([`Sim::control`], [`Control`]), waits for events ([`Sim::wait_for`]), and on drop kills
//!   the process and removes its PTY link and state directory.
//! * [`VirtualDevice`] is a thin layer over [`m2285_virtual::Simulation`]: the same device in
//!   virtual time, with the waits a test needs (connect a peer, expect bytes within a time).
//! * [`io`] holds raw-PTY and socket helpers (reads with a deadline), [`addresses`] the loopback
//!   addresses and temporary directories each test gets.
//!
//! ```
//! use m2285_harness::{io, Baud, Sim};
//! use std::io::Write;
//! use std::time::Duration;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let mut sim = Sim::builder().set("port1.serial.baud", "115200").start()?;
//! let mut serial = sim.open_serial(Baud::B115200)?;
//! let mut peer = sim.connect()?;
//! sim.wait_for("session_opened", |_| true, Duration::from_secs(5))?;
//! peer.write_all(b"hello")?;
//! assert_eq!(io::read_for(&mut serial, 5, Duration::from_secs(5)), b"hello");
//! assert_eq!(sim.control().status()?["sessions"].as_array().map(Vec::len), Some(1));
//! # Ok(()) }
//! ```
//!
//! The binary is `$M2285_SIM_BIN`, else what `cargo build -p m2285-sim` in this workspace makes
//! ([`binary::sim_binary`]); tests inside `crates/sim` pass `env!("CARGO_BIN_EXE_m2285-sim")`
//! with [`SimBuilder::binary`].

pub mod addresses;
pub mod binary;
pub mod control;
pub mod device;
pub mod events;
pub mod io;
pub mod virtual_time;

pub use control::Control;
pub use device::{Sim, SimBuilder};
pub use nix::sys::termios::BaudRate as Baud;
pub use virtual_time::VirtualDevice;
