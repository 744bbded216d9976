//! What crosses a simulated link for TCP: a segment with its flags and (relative) numbers.

/// Control flags of a segment.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Flags {
    /// Synchronise (connection request / accept).
    pub syn: bool,
    /// The acknowledgement field is valid.
    pub ack: bool,
    /// No more data from the sender.
    pub fin: bool,
    /// Reset.
    pub rst: bool,
}

impl Flags {
    /// Short form for traces: `S`, `SA`, `A`, `FA`, `R`, `RA`.
    pub fn label(self) -> String {
        let mut s = String::new();
        for (on, c) in [
            (self.syn, 'S'),
            (self.fin, 'F'),
            (self.rst, 'R'),
            (self.ack, 'A'),
        ] {
            if on {
                s.push(c);
            }
        }
        s
    }
}

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
