//! S-registers: the handful of numbered byte-sized settings a Hayes modem exposes through
//! `ATSn=x` / `ATSn?`.
//!
//! The 2285 manual only says the registers exist and are lost at power-off; the set and the
//! defaults below are the generic Hayes ones (spec §11.7). Values are volatile: a new emulator
//! (power-on), `ATZ` and `AT&F` restore the defaults.

use std::time::Duration;

/// The numbers of every S-register the emulator knows; `ATSn` with any other `n` answers ERROR.
pub const KNOWN_REGISTERS: [u32; 7] = [0, 1, 2, 3, 4, 5, 12];

/// One unit of S12 (escape guard time): 1/50 s.
const GUARD_UNIT: Duration = Duration::from_millis(20);

/// The S-register file.
///
/// | reg | meaning | default |
/// |---|---|---|
/// | S0 | rings before auto-answer (stored only; see `docs/modem.md`) | 0 |
/// | S1 | ring counter, read-only | 0 |
/// | S2 | escape character (> 127 disables the escape) | 43 `+` |
/// | S3 | command-line terminator and first byte of result framing | 13 CR |
/// | S4 | line feed used in result framing | 10 LF |
/// | S5 | backspace character for line editing | 8 BS |
/// | S12 | escape guard time in 1/50 s (0 disables the escape) | 50 (1 s) |
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SRegisters {
    s0: u8,
    s1: u8,
    s2: u8,
    s3: u8,
    s4: u8,
    s5: u8,
    s12: u8,
}

impl Default for SRegisters {
    fn default() -> Self {
        Self::defaults()
    }
}

impl SRegisters {
    /// The power-on (factory) values.
    pub const fn defaults() -> Self {
        SRegisters {
            s0: 0,
            s1: 0,
            s2: 43,
            s3: 13,
            s4: 10,
            s5: 8,
            s12: 50,
        }
    }

    /// The value of register `n`, or `None` when the emulator has no such register.
    pub fn get(&self, n: u32) -> Option<u8> {
        Some(match n {
            0 => self.s0,
            1 => self.s1,
            2 => self.s2,
            3 => self.s3,
            4 => self.s4,
            5 => self.s5,
            12 => self.s12,
            _ => return None,
        })
    }

    /// Whether `ATSn=x` may write register `n` (known and not read-only).
    pub fn is_writable(n: u32) -> bool {
        n != 1 && KNOWN_REGISTERS.contains(&n)
    }

    /// Writes register `n`; `false` (and no change) when it is unknown or read-only.
    pub(crate) fn set(&mut self, n: u32, value: u8) -> bool {
        let slot = match n {
            0 => &mut self.s0,
            2 => &mut self.s2,
            3 => &mut self.s3,
            4 => &mut self.s4,
            5 => &mut self.s5,
            12 => &mut self.s12,
            _ => return false,
        };
        *slot = value;
        true
    }

    /// S0: rings before auto-answer (0 = never).
    pub fn auto_answer_rings(&self) -> u8 {
        self.s0
    }

    /// S1: rings counted for the current incoming call.
    pub fn ring_count(&self) -> u8 {
        self.s1
    }

    /// Sets S1, which only the emulator itself may change.
    pub(crate) fn set_ring_count(&mut self, rings: u8) {
        self.s1 = rings;
    }

    /// S2 as the escape character, or `None` when S2 > 127 disables the escape (Hayes rule).
    pub fn escape_char(&self) -> Option<u8> {
        (self.s2 <= 127).then_some(self.s2)
    }

    /// S3: the byte that ends a command line.
    pub fn cr(&self) -> u8 {
        self.s3
    }

    /// S4: the line-feed byte of result framing.
    pub fn lf(&self) -> u8 {
        self.s4
    }

    /// S5: the byte that deletes the previous command-line character (0x7F always does too).
    pub fn bs(&self) -> u8 {
        self.s5
    }

    /// S12 as a span, or `None` when S12 = 0 disables the escape (decided by us).
    pub fn guard_time(&self) -> Option<Duration> {
        (self.s12 > 0).then(|| GUARD_UNIT * u32::from(self.s12))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_access() {
        let mut r = SRegisters::defaults();
        assert_eq!(r.get(2), Some(43));
        assert_eq!(r.get(6), None);
        assert_eq!(r.guard_time(), Some(Duration::from_secs(1)));
        assert!(!r.set(1, 3));
        assert!(!SRegisters::is_writable(1));
        assert!(SRegisters::is_writable(12));
        assert!(r.set(12, 0));
        assert_eq!(r.guard_time(), None);
        assert!(r.set(2, 200));
        assert_eq!(r.escape_char(), None);
    }
}
