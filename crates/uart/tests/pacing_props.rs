//! Property tests of baud-rate pacing ([`m2285_uart::PacedLine`]), against an ideal line
//! computed exactly in rational time: under any pattern of writes and (late) wake-ups the line
//! never delivers a character before an ideal UART would have finished it, never falls behind
//! it (absolute deadlines: no drift, however many wake-ups), and loses, duplicates or reorders
//! no byte, also across flow-control holds and setting changes (docs/ROBUSTNESS.md).

use std::time::Duration;

use m2285_time::Instant;
use m2285_uart::{PacedLine, Parity, SerialParams, StopBits};
use proptest::prelude::*;

const BAUDS: [u32; 7] = [50, 300, 1200, 9600, 57_600, 115_200, 921_600];

fn params() -> impl Strategy<Value = SerialParams> {
    (0usize..BAUDS.len(), 5u8..=8, 0u8..5, any::<bool>()).prop_map(|(b, data_bits, p, two)| {
        SerialParams {
            baud: BAUDS[b],
            data_bits,
            parity: [
                Parity::None,
                Parity::Even,
                Parity::Odd,
                Parity::Mark,
                Parity::Space,
            ][usize::from(p)],
            stop_bits: if two { StopBits::Two } else { StopBits::One },
        }
    })
}

/// One step of the runtime: time passes (in units of a hundredth of a character), then it
/// writes some bytes (as many as fit) or just wakes.
#[derive(Debug, Clone)]
struct Step {
    advance_centichars: u32,
    write: Vec<u8>,
}

fn steps() -> impl Strategy<Value = Vec<Step>> {
    proptest::collection::vec(
        (0u32..5_000, proptest::collection::vec(any::<u8>(), 0..40)).prop_map(
            |(advance_centichars, write)| Step {
                advance_centichars,
                write,
            },
        ),
        1..60,
    )
}

/// The ideal line in exact arithmetic: time scaled by `baud` (ns · baud), so one character
/// lasts exactly `bits · 10⁹` units. Each character finishes one character time after the later
/// of its write and the end of the character before it.
struct Ideal {
    baud: u128,
    char_units: u128,
    ends: Vec<u128>,
}

impl Ideal {
    fn new(p: &SerialParams) -> Self {
        Ideal {
            baud: u128::from(p.baud),
            char_units: u128::from(p.bits_per_char()) * 1_000_000_000,
            ends: Vec::new(),
        }
    }
    fn write(&mut self, n: usize, now: Instant) {
        for _ in 0..n {
            let start = (u128::from(now.as_nanos()) * self.baud)
                .max(self.ends.last().copied().unwrap_or(0));
            self.ends.push(start + self.char_units);
        }
    }
    /// Characters finished by `t` (plus `slack_ns`).
    fn done_by(&self, t: Instant, slack_ns: i128) -> usize {
        let limit = (i128::from(t.as_nanos()) + slack_ns).max(0) as u128 * self.baud;
        self.ends.partition_point(|&e| e <= limit)
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    /// Never faster than the line, never behind it: after every wake-up the delivered count is
    /// exactly what an ideal UART finished by then (within the model's 1 ns rounding, which
    /// does not accumulate), and the bytes are the written ones in order.
    #[test]
    fn pacing_follows_the_ideal_line(p in params(), steps in steps()) {
        let mut line = PacedLine::new(p, 256, true);
        let mut ideal = Ideal::new(&p);
        let char_ns = p.burst_nanos(1);
        let mut now = Instant::from_secs(1);
        let (mut written, mut delivered) = (Vec::new(), Vec::new());
        for step in steps {
            now += Duration::from_nanos(char_ns * u64::from(step.advance_centichars) / 100);
            line.pop_completed(now, &mut delivered);
            prop_assert!(delivered.len() <= ideal.done_by(now, 1), "faster than the line at {now:?}");
            prop_assert!(delivered.len() >= ideal.done_by(now, -1), "behind the line at {now:?}");
            let free = line.free();
            let taken = line.push(&step.write, now);
            prop_assert_eq!(taken, step.write.len().min(free), "a write took less than fit");
            written.extend_from_slice(&step.write[..taken]);
            ideal.write(taken, now);
            if let Some(deadline) = line.next_deadline() {
                prop_assert!(deadline >= now, "a deadline in the past");
            }
        }
        // Drain by following the line's own deadlines, waking late each time: no drift.
        while let Some(deadline) = line.next_deadline() {
            now = deadline + Duration::from_nanos(char_ns / 3);
            line.pop_completed(now, &mut delivered);
            prop_assert!(delivered.len() <= ideal.done_by(now, 1));
            prop_assert!(delivered.len() >= ideal.done_by(now, -1));
        }
        prop_assert_eq!(delivered, written);
    }

    /// Flow control and setting changes never lose, duplicate or reorder a byte: everything
    /// accepted comes out once, in order, and nothing comes out while the line is held.
    #[test]
    fn holds_and_changes_never_lose_a_byte(
        p in params(),
        q in params(),
        ops in proptest::collection::vec((0u8..5, 0u32..3_000, proptest::collection::vec(any::<u8>(), 0..50)), 1..80),
    ) {
        let mut line = PacedLine::new(p, 128, true);
        let mut now = Instant::from_secs(1);
        let (mut accepted, mut out) = (Vec::new(), Vec::new());
        for (op, advance, bytes) in ops {
            now += Duration::from_micros(u64::from(advance));
            let before = out.len();
            line.pop_completed(now, &mut out);
            if line.is_held() {
                prop_assert_eq!(out.len(), before, "delivered while held");
            }
            match op {
                0 | 1 => {
                    let n = line.push(&bytes, now);
                    prop_assert!(n <= bytes.len());
                    accepted.extend_from_slice(&bytes[..n]);
                }
                2 => line.set_held(true, now),
                3 => line.set_held(false, now),
                _ => line.set_params(if bytes.len() % 2 == 0 { q } else { p }, now),
            }
            prop_assert!(line.len() <= line.capacity());
        }
        line.set_held(false, now);
        while let Some(deadline) = line.next_deadline() {
            now = deadline;
            line.pop_completed(now, &mut out);
        }
        prop_assert_eq!(out, accepted);
    }
}
