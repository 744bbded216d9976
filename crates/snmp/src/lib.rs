//! The Model 2285's SNMP v1/v2c agent, sans-IO.
//!
//! A runtime hands [`Agent::handle`] one received datagram, the sender's address, the SNMP
//! configuration and a [`DeviceView`] (a read-only snapshot of the device's counters and
//! settings, built by [`view::from_device`]); it gets back the response bytes to send (or none)
//! and [`AgentAction`]s to carry out (a configuration change from a SET, an authentication
//! failure to report). Traps are encoded by [`Agent::traps`] from [`Notification`]s, which
//! [`Notification::from_event`] derives from the device's one event stream.
//!
//! BER comes from `rasn`/`rasn-snmp`; this crate holds the agent logic: the MIB tree
//! ([`mib`]), access control, error statuses for v1 and v2c, GETBULK and the `snmp` group's
//! counters. docs/snmp.md lists every object served.

mod agent;
pub mod mib;
mod notify;
pub mod oid;
pub mod view;

pub use agent::{Agent, AgentAction, Outcome, SnmpCounters, MAX_MESSAGE_SIZE};
pub use notify::{Notification, TrapDatagram};
pub use view::DeviceView;
