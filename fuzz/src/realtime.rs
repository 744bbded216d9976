//! The real-time runtime's fault check, as `crates/sim/src/realtime/faults/supported.rs` has it
//! (the control API's `/faults` parsing calls it as `crate::realtime::faults::parse`).
#[path = "../../crates/sim/src/realtime/faults/supported.rs"]
pub mod faults;
