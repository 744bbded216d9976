//! The one seed and the random streams drawn from it.
//!
//! Every random choice of a simulation (link jitter, initial sequence numbers, each fault's
//! dice) comes from a ChaCha8 generator seeded with the run's one seed. Each user draws from
//! its own *stream* of that generator, chosen by a stable name (`"net.jitter"`, a fault's id),
//! so switching one fault on does not shift the dice of another: a run stays comparable with
//! the same run plus one more fault.

use rand_chacha::rand_core::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::time::Duration;

/// A deterministic random stream: the run's seed plus a purpose name.
#[derive(Clone, Debug)]
pub struct SimRng {
    inner: ChaCha8Rng,
}

impl SimRng {
    /// The stream called `purpose` of the generator seeded with `seed`.
    pub fn new(seed: u64, purpose: &str) -> Self {
        let mut inner = ChaCha8Rng::seed_from_u64(seed);
        inner.set_stream(fnv1a(purpose.as_bytes()));
        SimRng { inner }
    }

    /// 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.inner.next_u64()
    }

    /// 32 random bits.
    pub fn next_u32(&mut self) -> u32 {
        self.inner.next_u32()
    }

    /// A uniform number in `[0, 1)` with 53 bits of precision.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// True with probability `p`. Always draws one number, so a stream's later draws do not
    /// depend on `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// A uniform integer in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            return 0;
        }
        // Multiply-shift: unbiased enough for simulation dice and free of loops.
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// A uniform duration in `[0, max]`, in whole nanoseconds.
    pub fn duration_up_to(&mut self, max: Duration) -> Duration {
        let max_ns = m2285_time::duration_nanos(max);
        Duration::from_nanos(self.below(max_ns.saturating_add(1)))
    }

    /// How many trials pass before the next success of a Bernoulli(`p`) process (geometric
    /// distribution, support `0..`). Used to place bit errors without drawing once per bit.
    /// Returns `u64::MAX` for `p <= 0`.
    pub fn gap(&mut self, p: f64) -> u64 {
        if p <= 0.0 {
            return u64::MAX;
        }
        if p >= 1.0 {
            return 0;
        }
        // 1 - unit() is in (0, 1], so the logarithm is finite.
        let u = 1.0 - self.unit();
        let g = (u.ln() / (1.0 - p).ln()).floor();
        if g >= u64::MAX as f64 {
            u64::MAX
        } else {
            g as u64
        }
    }
}

/// FNV-1a, 64 bit: a stable hash of a name (unlike `std`'s hasher, fixed across releases).
pub fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_stream_same_numbers() {
        let mut a = SimRng::new(7, "net.jitter");
        let mut b = SimRng::new(7, "net.jitter");
        let mut c = SimRng::new(7, "serial.bit_errors");
        let mut d = SimRng::new(8, "net.jitter");
        let xs: Vec<u64> = (0..4).map(|_| a.next_u64()).collect();
        assert_eq!(xs, (0..4).map(|_| b.next_u64()).collect::<Vec<_>>());
        assert_ne!(xs, (0..4).map(|_| c.next_u64()).collect::<Vec<_>>());
        assert_ne!(xs, (0..4).map(|_| d.next_u64()).collect::<Vec<_>>());
    }

    #[test]
    fn geometric_gaps_have_the_right_mean() {
        let mut r = SimRng::new(1, "gap");
        let p = 0.01;
        let n = 20_000;
        let total: u64 = (0..n).map(|_| r.gap(p)).sum();
        let mean = total as f64 / f64::from(n);
        // Mean of the number of failures before a success: (1 - p) / p = 99.
        assert!((mean - 99.0).abs() < 5.0, "mean {mean}");
        assert_eq!(r.gap(0.0), u64::MAX);
        assert!(r.below(10) < 10);
        assert!(r.duration_up_to(Duration::from_nanos(5)) <= Duration::from_nanos(5));
    }
}
