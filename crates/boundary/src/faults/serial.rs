//! Serial-line faults: what happens to bytes on the wire between the serial-side program and
//! the device.
//!
//! Order of effects, from the wire inwards: the frames are damaged at bit level (bit errors,
//! sampling at the wrong baud rate), then the receiving UART's per-character errors apply
//! (lost characters, framing and parity errors), then its FIFO overruns.

use super::uart_bits::{self, Received};
use super::{Direction, ErrorAction, FaultKind, FaultSet, Instance};
use m2285_uart::SerialParams;

/// The outcome of one burst of bytes crossing the line.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Crossing {
    /// What the receiver gets.
    pub bytes: Vec<u8>,
    /// Bits flipped by `serial.bit_errors`.
    pub bit_errors: u64,
    /// Characters the receiving UART flagged (framing or parity) or that faults damaged.
    pub damaged: u64,
    /// Characters lost (dropped, overrun, or dropped for an error).
    pub lost: u64,
}

/// The line as the faults see it: the device's settings and the program's baud rate.
#[derive(Clone, Copy, Debug)]
pub struct LineSetup {
    /// The device UART's settings (the program uses the same framing).
    pub device: SerialParams,
    /// The serial-side program's baud rate.
    pub program_baud: u32,
}

impl LineSetup {
    /// The program's baud rate in force: a `serial.baud_mismatch` covering `way` overrides it.
    pub fn program_baud(&self, faults: &FaultSet, way: Direction) -> u32 {
        faults
            .active()
            .filter(|i| i.hits(way, None))
            .filter_map(|i| match i.spec.kind {
                FaultKind::SerialBaudMismatch { baud } => Some(baud),
                _ => None,
            })
            .last()
            .unwrap_or(self.program_baud)
    }
}

/// Applies the active serial faults to `bytes` sent back to back going `way` (to or from the
/// device).
pub fn cross(faults: &mut FaultSet, setup: &LineSetup, way: Direction, bytes: &[u8]) -> Crossing {
    let program_baud = setup.program_baud(faults, way);
    let mut out = Crossing::default();
    if program_baud == setup.device.baud && !faults.any_serial() {
        out.bytes = bytes.to_vec();
        return out;
    }
    let (tx, rx) = {
        let program = SerialParams {
            baud: program_baud,
            ..setup.device
        };
        match way {
            Direction::FromDevice => (setup.device, program),
            _ => (program, setup.device),
        }
    };
    let slot = usize::from(way == Direction::FromDevice);
    for inst in faults
        .active_mut()
        .filter(|i| i.hits(way, None) && i.spec.is_serial())
    {
        inst.counters.bytes += bytes.len() as u64;
    }
    let flips_bits = faults
        .active()
        .any(|i| i.hits(way, None) && matches!(i.spec.kind, FaultKind::SerialBitErrors { .. }));
    let chars: Vec<Received> = if flips_bits || tx.baud != rx.baud {
        let mut bits = uart_bits::encode(bytes, &tx);
        let frame = u64::from(tx.bits_per_char().max(1));
        for inst in faults.active_mut().filter(|i| i.hits(way, None)) {
            if let FaultKind::SerialBitErrors { ber } = inst.spec.kind {
                let (flipped, frames) = flip_bits(inst, slot, ber, frame, &mut bits);
                inst.counters.bits_flipped += flipped;
                inst.counters.bytes_changed += frames;
                out.bit_errors += flipped;
            }
        }
        let chars = uart_bits::decode(&bits, tx.baud, &rx);
        account_resync(faults, way, bytes.len(), chars.len());
        chars
    } else {
        bytes
            .iter()
            .map(|&byte| Received {
                byte,
                framing_error: false,
                parity_error: false,
            })
            .collect()
    };
    let mask = rx.data_mask();
    'chars: for ch in chars {
        let mut byte = ch.byte;
        if ch.framing_error || ch.parity_error {
            out.damaged += 1;
        }
        for inst in faults.active_mut().filter(|i| i.hits(way, None)) {
            let (p, action) = match inst.spec.kind {
                FaultKind::SerialDrop { probability } => (probability, ErrorAction::Drop),
                FaultKind::SerialFramingErrors {
                    probability,
                    action,
                }
                | FaultKind::SerialParityErrors {
                    probability,
                    action,
                } => (probability, action),
                _ => continue,
            };
            if inst.rng.chance(p) {
                match action {
                    ErrorAction::Drop => {
                        out.lost += 1;
                        inst.counters.bytes_dropped += 1;
                        continue 'chars;
                    }
                    ErrorAction::Corrupt => {
                        out.damaged += 1;
                        inst.counters.bytes_changed += 1;
                        let flip = (inst.rng.below(u64::from(mask)) as u8 + 1) & mask;
                        byte ^= flip;
                    }
                }
            }
        }
        out.bytes.push(byte);
    }
    for inst in faults.active_mut().filter(|i| i.hits(way, None)) {
        if let FaultKind::SerialOverrun { fifo } = inst.spec.kind {
            if out.bytes.len() > fifo {
                let lost = (out.bytes.len() - fifo) as u64;
                inst.counters.bytes_dropped += lost;
                out.lost += lost;
                out.bytes.truncate(fifo);
            }
        }
    }
    out
}

/// Charges a change in the number of characters at bit level (a receiver resynchronising on a
/// damaged frame, or sampling at the wrong rate) to the fault that caused it: the first bit
/// error instance going `way`, else the first baud mismatch.
fn account_resync(faults: &mut FaultSet, way: Direction, sent: usize, got: usize) {
    if sent == got {
        return;
    }
    let mut culprits = faults.active_mut().filter(|i| i.hits(way, None));
    let mut blamed: Option<&mut Instance> = None;
    for inst in &mut culprits {
        match inst.spec.kind {
            FaultKind::SerialBitErrors { .. } => {
                blamed = Some(inst);
                break;
            }
            FaultKind::SerialBaudMismatch { .. } if blamed.is_none() => blamed = Some(inst),
            _ => {}
        }
    }
    if let Some(inst) = blamed {
        if got < sent {
            inst.counters.bytes_dropped += (sent - got) as u64;
        } else {
            inst.counters.bytes_added += (got - sent) as u64;
        }
    }
}

/// Flips the bits of `bits` (frames of `frame` bits each) that the instance's error process
/// hits; returns how many bits and how many frames. The distance to the next error carries
/// over from burst to burst, so the error rate holds however the traffic is split.
fn flip_bits(
    inst: &mut Instance,
    slot: usize,
    ber: f64,
    frame: u64,
    bits: &mut [bool],
) -> (u64, u64) {
    let (mut flipped, mut frames) = (0, 0);
    let mut last_frame = None;
    let mut pos: u64 = 0;
    let len = bits.len() as u64;
    loop {
        let gap = match inst.bits_to_next_error[slot] {
            Some(g) => g,
            None => inst.rng.gap(ber),
        };
        let remaining = len - pos;
        if gap >= remaining {
            inst.bits_to_next_error[slot] = Some(gap - remaining);
            return (flipped, frames);
        }
        pos += gap;
        if let Some(b) = bits.get_mut(pos as usize) {
            *b = !*b;
        }
        flipped += 1;
        if last_frame != Some(pos / frame) {
            frames += 1;
            last_frame = Some(pos / frame);
        }
        pos += 1;
        inst.bits_to_next_error[slot] = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::faults::FaultSpec;
    use m2285_time::Instant;

    fn set_with(seed: u64, faults: &[(&str, &[(&str, &str)])]) -> FaultSet {
        let mut set = FaultSet::new(seed);
        for (name, params) in faults {
            let spec = FaultSpec::parse(name, params.iter().copied());
            let spec = spec.unwrap_or_else(|e| panic!("{e:?}"));
            let i = set.add(spec, Instant::ZERO);
            set.activate(i);
        }
        set
    }

    fn setup() -> LineSetup {
        LineSetup {
            device: SerialParams::default(),
            program_baud: 9600,
        }
    }

    #[test]
    fn no_faults_no_change() {
        let mut set = FaultSet::new(1);
        let c = cross(&mut set, &setup(), Direction::ToDevice, b"abc");
        assert_eq!(c.bytes, b"abc");
    }

    #[test]
    fn bit_error_rate_is_honoured_and_seeded() {
        let data = vec![0x55u8; 100_000];
        let mut a = set_with(3, &[("serial.bit_errors", &[("ber", "1e-3")])]);
        let ca = cross(&mut a, &setup(), Direction::ToDevice, &data);
        // 1 000 000 bits at 1e-3: about 1000 flips.
        assert!((800..1200).contains(&ca.bit_errors), "{}", ca.bit_errors);
        assert_ne!(ca.bytes, data);
        let mut b = set_with(3, &[("serial.bit_errors", &[("ber", "1e-3")])]);
        assert_eq!(cross(&mut b, &setup(), Direction::ToDevice, &data), ca);
        let mut c = set_with(4, &[("serial.bit_errors", &[("ber", "1e-3")])]);
        assert_ne!(cross(&mut c, &setup(), Direction::ToDevice, &data), ca);
    }

    #[test]
    fn counters_account_for_every_character() {
        let data = vec![0x55u8; 50_000];
        let mut set = set_with(5, &[("serial.bit_errors", &[("ber", "0.01")])]);
        let c = cross(&mut set, &setup(), Direction::ToDevice, &data);
        let counters = set.get(0).map(|i| i.counters.clone()).unwrap_or_default();
        assert_eq!(counters.bytes, data.len() as u64);
        assert_eq!(counters.bits_flipped, c.bit_errors);
        assert!(
            counters.bytes_dropped + counters.bytes_added > 0,
            "{counters:?}"
        );
        assert_eq!(
            c.bytes.len() as u64,
            data.len() as u64 - counters.bytes_dropped + counters.bytes_added
        );
    }

    #[test]
    fn direction_filter_and_per_char_faults() {
        let mut set = set_with(
            1,
            &[(
                "serial.drop",
                &[("probability", "1"), ("direction", "from_device")],
            )],
        );
        assert_eq!(
            cross(&mut set, &setup(), Direction::ToDevice, b"ab").bytes,
            b"ab"
        );
        let from = cross(&mut set, &setup(), Direction::FromDevice, b"ab");
        assert!(from.bytes.is_empty());
        assert_eq!(from.lost, 2);
        let mut set = set_with(1, &[("serial.parity_errors", &[("probability", "1")])]);
        let c = cross(&mut set, &setup(), Direction::ToDevice, b"abcd");
        assert_eq!(c.bytes.len(), 4);
        assert!(c.bytes.iter().zip(b"abcd").all(|(x, y)| x != y));
        let mut set = set_with(1, &[("serial.overrun", &[("fifo", "2")])]);
        assert_eq!(
            cross(&mut set, &setup(), Direction::ToDevice, b"abcd").bytes,
            b"ab"
        );
    }

    #[test]
    fn baud_mismatch_garbles_both_ways() {
        let mut set = set_with(1, &[("serial.baud_mismatch", &[("baud", "19200")])]);
        let to = cross(&mut set, &setup(), Direction::ToDevice, b"hello world");
        let from = cross(&mut set, &setup(), Direction::FromDevice, b"hello world");
        assert_ne!(to.bytes, b"hello world");
        assert_ne!(from.bytes, b"hello world");
    }
}
