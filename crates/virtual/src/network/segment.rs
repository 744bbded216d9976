//! What crosses a simulated link for TCP: a segment with its flags and (relative) numbers.

pub use m2285_boundary::trace::pcap::Flags;

/// One segment on the wire.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Segment {
    /// Control flags.
    pub flags: Flags,
    /// Relative sequence number of the first byte (or of the SYN/FIN).
    pub seq: u64,
    /// Relative acknowledgement number (valid with `flags.ack`).
    pub ack: u64,
    /// Payload.
    pub data: Vec<u8>,
}
