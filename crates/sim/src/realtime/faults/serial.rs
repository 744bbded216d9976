//! Serial faults at the PTY: bytes between the program and the device are damaged as they cross.
//!
//! A PTY carries bytes, not frames: there is no start, stop or parity bit to hit, and the
//! kernel forces 8 data bits (docs/serial-port.md). So in real time `serial.bit_errors` flips
//! the 8 bits of each byte at the bit error rate (a byte survives with probability
//! (1 − ber)⁸, so at ber = 0.01 about 7.7 % of bytes change) and never changes how many bytes
//! arrive; `serial.drop` loses bytes; `serial.framing_errors` / `serial.parity_errors` corrupt
//! (flip random bits of) or drop the byte, as the receiving UART would. The positions come from
//! each instance's dice, with geometric gaps carried over from one read to the next, so the
//! rate holds however the program's writes are split.

use super::{Boundary, Faults};
use m2285_boundary::faults::{Direction, ErrorAction, FaultKind};
use m2285_boundary::rng::SimRng;
use m2285_boundary::trace::{Bytes, TraceEvent};
use m2285_pty::{HostPty, PtyRead};
use std::io;
use std::ops::{Deref, DerefMut};

/// The host PTY with the serial faults and the serial trace around its data path. Everything
/// else of [`HostPty`] is reached through `Deref`.
pub struct FaultyPty {
    inner: HostPty,
    boundary: Boundary,
}

impl FaultyPty {
    /// Wraps `inner`.
    pub fn new(inner: HostPty, boundary: Boundary) -> Self {
        FaultyPty { inner, boundary }
    }

    /// Reads what the program wrote, after the faults towards the device: like
    /// [`HostPty::read`], except that the bytes may be changed or fewer (never `Data(0)` while
    /// the PTY had input: reading goes on when a fault took every byte).
    pub fn read(&self, buf: &mut [u8]) -> io::Result<PtyRead> {
        loop {
            let n = match self.inner.read(buf)? {
                PtyRead::Data(n) if n > 0 => n,
                other => return Ok(other),
            };
            let got = self.cross(Direction::ToDevice, &buf[..n]);
            let Some(got) = got else {
                return Ok(PtyRead::Data(n));
            };
            buf[..got.len()].copy_from_slice(&got);
            if !got.is_empty() {
                return Ok(PtyRead::Data(got.len()));
            }
        }
    }

    /// The bytes the program will get for `bytes` the device transmitted.
    pub fn cross_to_program(&self, bytes: &[u8]) -> Vec<u8> {
        self.cross(Direction::FromDevice, bytes)
            .unwrap_or_else(|| bytes.to_vec())
    }

    /// Applies the faults going `way` and traces the crossing; `None` when nothing changed.
    fn cross(&self, way: Direction, sent: &[u8]) -> Option<Vec<u8>> {
        let now = self.boundary.clock.now();
        self.boundary.update(now);
        let out = cross(&mut self.boundary.faults(), way, sent);
        if self.boundary.tracer.is_on() {
            let data = Bytes(out.clone().unwrap_or_else(|| sent.to_vec()));
            let sent = out.as_ref().map(|_| Bytes(sent.to_vec()));
            let event = match way {
                Direction::FromDevice => TraceEvent::SerialOut { data, sent },
                _ => TraceEvent::SerialIn { data, sent },
            };
            self.boundary.tracer.record(now, event);
        }
        out.filter(|o| o.as_slice() != sent)
    }
}

impl Deref for FaultyPty {
    type Target = HostPty;
    fn deref(&self) -> &HostPty {
        &self.inner
    }
}

impl DerefMut for FaultyPty {
    fn deref_mut(&mut self) -> &mut HostPty {
        &mut self.inner
    }
}

/// Applies every active serial fault covering `way` to `bytes`, in injection order; `None`
/// when no serial fault is active that way.
pub fn cross(faults: &mut Faults, way: Direction, bytes: &[u8]) -> Option<Vec<u8>> {
    let slot = usize::from(way == Direction::FromDevice);
    let hits: Vec<usize> = faults
        .active()
        .filter(|(_, i)| i.spec.is_serial() && i.hits(way, None))
        .map(|(n, _)| n)
        .collect();
    if hits.is_empty() {
        return None;
    }
    let mut data = bytes.to_vec();
    for index in hits {
        let Some((inst, extra)) = faults.instance_mut(index) else {
            continue;
        };
        let c = &mut extra.counters;
        c.bytes += data.len() as u64;
        match inst.spec.kind {
            FaultKind::SerialBitErrors { ber } => {
                let (bits, changed) =
                    flip_bits(&mut inst.rng, &mut extra.carry[slot], ber, &mut data);
                c.bits_flipped += bits;
                c.bytes_changed += changed;
            }
            FaultKind::SerialDrop { probability } => {
                let before = data.len();
                data.retain(|_| !inst.rng.chance(probability));
                c.bytes_dropped += (before - data.len()) as u64;
            }
            FaultKind::SerialFramingErrors {
                probability,
                action,
            }
            | FaultKind::SerialParityErrors {
                probability,
                action,
            } => {
                let mut kept = Vec::with_capacity(data.len());
                for &b in &data {
                    if !inst.rng.chance(probability) {
                        kept.push(b);
                    } else if action == ErrorAction::Corrupt {
                        kept.push(b ^ (inst.rng.below(255) as u8 + 1));
                        c.bytes_changed += 1;
                    } else {
                        c.bytes_dropped += 1;
                    }
                }
                data = kept;
            }
            _ => {}
        }
    }
    Some(data)
}

/// Flips the bits of `data` (8 per byte, least significant first) that a Bernoulli(`ber`)
/// process hits; `carry` holds the distance to the next error between calls. Returns the bits
/// flipped and the bytes changed.
pub fn flip_bits(
    rng: &mut SimRng,
    carry: &mut Option<u64>,
    ber: f64,
    data: &mut [u8],
) -> (u64, u64) {
    let len = data.len() as u64 * 8;
    let (mut pos, mut flipped, mut changed) = (0u64, 0u64, 0u64);
    let mut last_byte = None;
    loop {
        let gap = carry.take().unwrap_or_else(|| rng.gap(ber));
        let remaining = len - pos;
        if gap >= remaining {
            *carry = Some(gap - remaining);
            return (flipped, changed);
        }
        pos += gap;
        let byte = (pos / 8) as usize;
        if let Some(b) = data.get_mut(byte) {
            *b ^= 1 << (pos % 8);
        }
        flipped += 1;
        if last_byte != Some(byte) {
            changed += 1;
            last_byte = Some(byte);
        }
        pos += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use m2285_time::Instant;

    #[test]
    fn bit_errors_keep_the_length_and_hit_the_rate_however_split() {
        let data = vec![0x5au8; 20_000];
        let mut whole = data.clone();
        let mut rng = SimRng::new(9, "t");
        let mut carry = None;
        let (bits, changed) = flip_bits(&mut rng, &mut carry, 0.01, &mut whole);
        // 160 000 bits at 1 %: 1600 flips expected (sd 40); 7.7 % of 20 000 bytes changed.
        assert!((1400..1800).contains(&bits), "{bits}");
        assert!((1350..1750).contains(&changed), "{changed}");
        let differ = whole.iter().zip(&data).filter(|(a, b)| a != b).count() as u64;
        assert_eq!(differ, changed);
        // The same dice in 7-byte pieces give the same bytes.
        let mut pieces = data.clone();
        let mut rng = SimRng::new(9, "t");
        let mut carry = None;
        for chunk in pieces.chunks_mut(7) {
            flip_bits(&mut rng, &mut carry, 0.01, chunk);
        }
        assert_eq!(pieces, whole);
    }

    #[test]
    fn per_byte_faults_follow_direction() {
        let mut f = Faults::new(1);
        let p = vec![
            ("probability".to_owned(), "1".to_owned()),
            ("direction".to_owned(), "from_device".to_owned()),
        ];
        let spec = super::super::parse("serial.drop", &p).unwrap_or_else(|e| panic!("{e}"));
        f.add(spec, p, Instant::ZERO);
        f.update(Instant::ZERO);
        assert_eq!(cross(&mut f, Direction::ToDevice, b"abc"), None);
        assert_eq!(cross(&mut f, Direction::FromDevice, b"abc"), Some(vec![]));
        assert_eq!(f.counters(0).map(|c| c.bytes_dropped), Some(3));
    }
}
