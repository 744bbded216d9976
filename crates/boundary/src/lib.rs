//! The rules at the simulated device's boundaries, written once for both runtimes.
//!
//! The device model (`m2285-core`) never knows about faults or traces: they act on what
//! crosses its boundary. Two runtimes drive that model — real time (`m2285-sim`: a host PTY,
//! host sockets, the wall clock) and virtual time (`m2285-virtual`: a simulated serial peer,
//! simulated links, a discrete-event clock) — and both put the same rules from this crate
//! between the device and the world, the way smoltcp's `phy::FaultInjector` and `phy::Tracer`
//! wrap any `Device`:
//!
//! * [`faults`]: fault specs ([`faults::FaultSpec::parse`], one catalogue of names and
//!   parameters), the fault set with each instance's state and dice ([`faults::FaultSet`]),
//!   serial corruption at bit level ([`faults::serial::cross`]: one mask rule, one order of
//!   dice), peer matching and the network decisions ([`faults::net`]), TLS record faults
//!   ([`faults::tls`]);
//! * [`keepalive`]: when TCP gives a connection up (keep-alive probes, retransmissions);
//! * [`rng`]: the one seed and the named random streams drawn from it;
//! * [`trace`]: the trace records and their writers (JSON lines, VCD, pcap);
//! * [`units`]: reading durations, rates and probabilities, and writing hex.
//!
//! Sans-IO: nothing here reads a clock, opens a file or socket, or draws randomness except
//! from a [`rng::SimRng`] seeded by the caller. Time is an [`m2285_time::Instant`] passed in.
//! Where a runtime must act differently (a host socket cannot lose a segment), the runtime
//! has one adapter that maps this crate's decision onto its I/O; docs/architecture.md lists them.

pub mod faults;
pub mod keepalive;
pub mod rng;
pub mod trace;
pub mod units;

pub use faults::{FaultSet, FaultSpec};
