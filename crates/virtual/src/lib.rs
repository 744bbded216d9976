//! The virtual-time runtime of the m2285 simulator.
//!
//! It drives the same sans-IO [`m2285_core::Device`] as the real-time runtime, but instead of
//! a PTY, host sockets and the wall clock it gives the device a simulated world:
//!
//! * [`scheduler`]: a discrete-event queue; time jumps from one event to the next.
//! * [`network`]: simulated hosts, links with latency, jitter and bandwidth, and a
//!   segment-level TCP model with handshakes, retransmission and keep-alive.
//! * [`serial_peer`]: the scripted program on the serial port.
//! * [`faults`]: named faults at the boundaries (serial line, network link, power), with the
//!   same names the real-time runtime's control API will take.
//! * [`trace`]: JSON lines of every event, a VCD of the serial lines, a pcap of the network.
//! * [`scenario`]: readable TOML scenarios, checked before they run, and their runner.
//! * [`report`]: a run as one self-contained HTML page with a zoomable timeline.
//! * [`sim`]: the [`Simulation`] tying it together, for Rust tests and for scenarios.
//!
//! One seed drives every random choice ([`rng`]), nothing reads a clock or starts a thread, and
//! nothing depends on hash-map order: the same scenario and seed give byte-identical traces.
//!
//! ```no_run
//! let scenario = m2285_virtual::scenario::parse_file("scenarios/keepalive-partition.toml")
//!     .expect("a valid scenario");
//! let report = m2285_virtual::scenario::run(&scenario, &Default::default());
//! assert!(report.passed(), "{report}");
//! ```

pub mod flash;
pub mod network;
pub mod report;
pub mod scenario;
pub mod scheduler;
pub mod serial_peer;
pub mod sim;

/// The boundary rules (faults, dice, traces, units) live once in `m2285-boundary`, shared
/// with the real-time runtime; they are re-exported here under their old paths.
pub use m2285_boundary::{faults, rng, trace, units};

pub use faults::FaultSpec;
pub use sim::{SimConfig, SimError, Simulation};
