//! The `+++` escape detector for data mode (Hayes guard-time rule).
//!
//! An escape is: silence from the DTE of at least the guard time (S12), then three escape
//! characters (S2) each less than the guard time after the previous one, then silence of at
//! least the guard time. Pluses that may start an escape are held back; as soon as they cannot
//! be one (another byte comes, a fourth plus comes, or the next plus is too late) they are
//! released to the network ahead of whatever follows, so no byte is lost or reordered. Only
//! serial bytes count: network traffic never disturbs the detector.
//!
//! "Silence ≥ guard" and "next plus < guard" use the same boundary, so a byte arriving exactly
//! one guard time after a plus is already too late for the sequence, and exactly one guard time
//! of silence is enough.

use std::time::Duration;

use m2285_time::Instant;

/// The escape character and guard time in force (`None` where the escape is disabled).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct EscapeConfig {
    pub(crate) ch: u8,
    pub(crate) guard: Duration,
}

/// What a timer expiry meant.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Expiry {
    /// Nothing was due.
    Nothing,
    /// The held pluses were not an escape after all: send them.
    Release(Vec<u8>),
    /// A complete escape: leave data mode.
    Escape,
}

/// Detector state for one data-mode stretch.
#[derive(Debug)]
pub(crate) struct EscapeDetector {
    /// When the DTE last sent a byte (or data mode began).
    last_rx: Instant,
    /// Escape characters held back (0–3).
    held: u8,
    /// The character held (S2 when they arrived).
    held_char: u8,
    /// When the last held character arrived.
    last_plus: Instant,
}

impl EscapeDetector {
    /// A detector for data mode entered at `now`: the silence before an escape counts from here.
    pub(crate) fn new(now: Instant) -> Self {
        EscapeDetector {
            last_rx: now,
            held: 0,
            held_char: 0,
            last_plus: now,
        }
    }

    /// Restarts for data mode entered at `now`, dropping anything held.
    pub(crate) fn reset(&mut self, now: Instant) {
        *self = EscapeDetector::new(now);
    }

    /// Feeds DTE bytes received at `now`; bytes to send go to `out`, in order.
    pub(crate) fn input(
        &mut self,
        bytes: &[u8],
        now: Instant,
        cfg: Option<EscapeConfig>,
        out: &mut Vec<u8>,
    ) {
        for &b in bytes {
            self.byte(b, now, cfg, out);
        }
    }

    fn byte(&mut self, b: u8, now: Instant, cfg: Option<EscapeConfig>, out: &mut Vec<u8>) {
        let Some(cfg) = cfg else {
            self.release(out);
            out.push(b);
            self.last_rx = now;
            return;
        };
        if self.held > 0 {
            if b == cfg.ch && self.held < 3 && now - self.last_plus < cfg.guard {
                self.held += 1;
                self.last_plus = now;
                self.last_rx = now;
                return;
            }
            self.release(out);
        }
        if b == cfg.ch && now - self.last_rx >= cfg.guard {
            self.held = 1;
            self.held_char = b;
            self.last_plus = now;
        } else {
            out.push(b);
        }
        self.last_rx = now;
    }

    /// When the held pluses must be decided on, if any are held.
    pub(crate) fn deadline(&self, cfg: Option<EscapeConfig>) -> Option<Instant> {
        match cfg {
            Some(cfg) if self.held > 0 => Some(self.last_plus + cfg.guard),
            _ => None,
        }
    }

    /// Decides on the held pluses once their deadline has passed.
    pub(crate) fn expire(&mut self, now: Instant, cfg: Option<EscapeConfig>) -> Expiry {
        match self.deadline(cfg) {
            Some(due) if now >= due => {
                if self.held == 3 {
                    self.held = 0;
                    Expiry::Escape
                } else {
                    let mut out = Vec::new();
                    self.release(&mut out);
                    Expiry::Release(out)
                }
            }
            _ => Expiry::Nothing,
        }
    }

    /// Moves the held pluses, if any, to `out` (they were data after all).
    pub(crate) fn release(&mut self, out: &mut Vec<u8>) {
        out.extend(std::iter::repeat_n(self.held_char, usize::from(self.held)));
        self.held = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CFG: Option<EscapeConfig> = Some(EscapeConfig {
        ch: b'+',
        guard: Duration::from_secs(1),
    });

    fn ms(n: u64) -> Instant {
        Instant::from_millis(n)
    }

    #[test]
    fn clean_escape() {
        let mut d = EscapeDetector::new(ms(0));
        let mut out = Vec::new();
        d.input(b"+++", ms(1000), CFG, &mut out);
        assert!(out.is_empty());
        assert_eq!(d.deadline(CFG), Some(ms(2000)));
        assert_eq!(d.expire(ms(1999), CFG), Expiry::Nothing);
        assert_eq!(d.expire(ms(2000), CFG), Expiry::Escape);
        assert_eq!(d.deadline(CFG), None);
    }

    #[test]
    fn not_an_escape_keeps_order() {
        let mut d = EscapeDetector::new(ms(0));
        let mut out = Vec::new();
        d.input(b"++", ms(1000), CFG, &mut out);
        d.input(b"x+", ms(1100), CFG, &mut out);
        assert_eq!(out, b"++x+");
        d.input(b"++++", ms(3000), CFG, &mut out);
        assert_eq!(out, b"++x+++++");
        assert_eq!(d.expire(ms(9000), CFG), Expiry::Nothing);
    }

    #[test]
    fn stale_plus_is_released_by_the_timer() {
        let mut d = EscapeDetector::new(ms(0));
        let mut out = Vec::new();
        d.input(b"+", ms(1000), CFG, &mut out);
        assert_eq!(d.expire(ms(2000), CFG), Expiry::Release(b"+".to_vec()));
        d.input(b"+++", ms(2000), CFG, &mut out);
        assert!(out.is_empty());
        assert_eq!(d.expire(ms(3000), CFG), Expiry::Escape);
    }

    #[test]
    fn disabled_forwards_everything() {
        let mut d = EscapeDetector::new(ms(0));
        let mut out = Vec::new();
        d.input(b"+++", ms(5000), None, &mut out);
        assert_eq!(out, b"+++");
        assert_eq!(d.deadline(None), None);
    }
}
