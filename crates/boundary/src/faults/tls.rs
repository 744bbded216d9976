//! TLS faults on the bytes of a TCP connection: `tls.corrupt_record` and `tls.abort_handshake`.
//!
//! Both runtimes see a connection's payload as two byte streams (to the device, from the
//! device). [`TlsWatch`] follows the TLS records in them (a 5-byte header: content type
//! `0x14..=0x17`, version `0x03 0x0N`, 16-bit length; then the body) without decrypting
//! anything, so a fault can flip a byte inside a record's body or cut a connection whose
//! handshake has started and not finished. A stream whose first bytes are not a TLS record
//! header (Telnet, raw TCP) is left alone for good.

use super::peer::Link;
use super::{Direction, FaultKind, FaultSet};

/// Content type of a handshake record.
pub const HANDSHAKE: u8 = 0x16;
/// Content type of an application data record.
pub const APPLICATION_DATA: u8 = 0x17;

/// The part of one record's body that lies in a chunk of the stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BodyPiece {
    /// The record's content type.
    pub content_type: u8,
    /// Where the piece starts in the chunk.
    pub start: usize,
    /// Where it ends (exclusive).
    pub end: usize,
    /// True when the record's body ends in this chunk.
    pub last: bool,
}

/// Follows the records of one direction of a stream.
#[derive(Clone, Debug, Default)]
pub struct RecordScanner {
    header: [u8; 5],
    have: usize,
    body_left: usize,
    content_type: u8,
    not_tls: bool,
}

impl RecordScanner {
    /// True once the stream turned out not to be TLS.
    pub fn not_tls(&self) -> bool {
        self.not_tls
    }

    /// Reads the next `chunk` of the stream; returns the record body pieces it holds and the
    /// content types of the records whose header it completes.
    pub fn feed(&mut self, chunk: &[u8]) -> (Vec<BodyPiece>, Vec<u8>) {
        let mut pieces = Vec::new();
        let mut types = Vec::new();
        let mut pos = 0;
        while pos < chunk.len() && !self.not_tls {
            if self.body_left > 0 {
                let n = self.body_left.min(chunk.len() - pos);
                self.body_left -= n;
                pieces.push(BodyPiece {
                    content_type: self.content_type,
                    start: pos,
                    end: pos + n,
                    last: self.body_left == 0,
                });
                pos += n;
                continue;
            }
            self.header[self.have] = chunk[pos];
            self.have += 1;
            pos += 1;
            let ok = match self.have {
                1 => (0x14..=0x17).contains(&self.header[0]),
                2 => self.header[1] == 0x03,
                3 => self.header[2] <= 0x04,
                _ => true,
            };
            if !ok {
                self.not_tls = true;
            } else if self.have == 5 {
                self.have = 0;
                self.content_type = self.header[0];
                self.body_left = usize::from(u16::from_be_bytes([self.header[3], self.header[4]]));
                types.push(self.content_type);
            }
        }
        (pieces, types)
    }
}

/// What [`TlsWatch::observe`] did to a chunk.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Effect {
    /// Bytes of the chunk that were flipped (one per corrupted record).
    pub corrupted: u32,
}

/// The TLS state of one connection as seen on the wire, both directions.
#[derive(Clone, Debug, Default)]
pub struct TlsWatch {
    scanners: [RecordScanner; 2],
    handshake_seen: bool,
    application_seen: bool,
}

fn index(way: Direction) -> usize {
    usize::from(way == Direction::FromDevice)
}

impl TlsWatch {
    /// True between the first handshake record and the first application data record (either
    /// way): the handshake has started and not finished.
    pub fn in_handshake(&self) -> bool {
        self.handshake_seen && !self.application_seen
    }

    /// Reads a chunk of payload going `way` (`ToDevice` or `FromDevice`); `corrupt` is asked,
    /// once per record whose body ends in this chunk, whether to flip that record's last byte
    /// (a byte of the authentication tag, so the receiver's MAC check fails).
    pub fn observe(
        &mut self,
        way: Direction,
        chunk: &mut [u8],
        corrupt: &mut dyn FnMut() -> bool,
    ) -> Effect {
        let (pieces, types) = self.scanners[index(way)].feed(chunk);
        self.handshake_seen |= types.contains(&HANDSHAKE);
        self.application_seen |= types.contains(&APPLICATION_DATA);
        let mut effect = Effect::default();
        for piece in pieces.iter().filter(|p| p.last && p.end > p.start) {
            if corrupt() {
                chunk[piece.end - 1] ^= 0x01;
                effect.corrupted += 1;
            }
        }
        effect
    }
}

/// The `tls.corrupt_record` instances acting on payload going `way` on `link`.
pub fn corrupters<L: Link + ?Sized>(faults: &FaultSet, way: Direction, link: &L) -> Vec<usize> {
    (0..faults.len())
        .filter(|&n| {
            faults.get(n).is_some_and(|i| {
                matches!(i.spec.kind, FaultKind::TlsCorruptRecord { .. }) && i.hits_link(way, link)
            })
        })
        .collect()
}

/// The first active `tls.abort_handshake` acting on a handshake going `way` on `link`.
pub fn aborter<L: Link + ?Sized>(faults: &FaultSet, way: Direction, link: &L) -> Option<usize> {
    (0..faults.len()).find(|&n| {
        faults
            .get(n)
            .is_some_and(|i| i.spec.kind == FaultKind::TlsAbortHandshake && i.hits_link(way, link))
    })
}

/// Rolls instance `n`'s dice for one record (`tls.corrupt_record`'s `probability`).
pub fn roll(faults: &mut FaultSet, n: usize) -> bool {
    match faults.get_mut(n) {
        Some(i) => match i.spec.kind {
            FaultKind::TlsCorruptRecord { probability } => i.rng.chance(probability),
            _ => false,
        },
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(kind: u8, body: &[u8]) -> Vec<u8> {
        let len = u16::try_from(body.len()).unwrap_or(0).to_be_bytes();
        [&[kind, 0x03, 0x03, len[0], len[1]][..], body].concat()
    }

    #[test]
    fn records_split_across_chunks_are_followed_and_the_last_body_byte_flipped() {
        let mut w = TlsWatch::default();
        let mut hello = record(HANDSHAKE, &[1, 2, 3, 4]);
        let e = w.observe(Direction::ToDevice, &mut hello, &mut || false);
        assert_eq!(e.corrupted, 0);
        assert!(w.in_handshake());
        let mut data = [
            record(APPLICATION_DATA, &[9; 10]),
            record(APPLICATION_DATA, &[7; 3]),
        ]
        .concat();
        let (a, b) = data.split_at_mut(9);
        let mut yes = || true;
        assert_eq!(w.observe(Direction::FromDevice, a, &mut yes).corrupted, 0);
        assert_eq!(w.observe(Direction::FromDevice, b, &mut yes).corrupted, 2);
        assert!(!w.in_handshake());
        assert_eq!(&data[5..15], &[9, 9, 9, 9, 9, 9, 9, 9, 9, 8]);
        assert_eq!(&data[20..], &[7, 7, 6]);
    }

    #[test]
    fn a_stream_that_is_not_tls_is_left_alone() {
        let mut w = TlsWatch::default();
        let mut telnet = *b"\xff\xfb\x01hello\x16\x03\x03\x00\x01x";
        let before = telnet;
        assert_eq!(
            w.observe(Direction::ToDevice, &mut telnet, &mut || true)
                .corrupted,
            0
        );
        assert_eq!(telnet, before);
        assert!(!w.in_handshake());
    }
}
