//! Baud-rate pacing on absolute deadlines.
//!
//! A [`PacedLine`] is one direction of the wire: a bounded FIFO of characters waiting to be
//! shifted out, and the instants at which each one finishes. The n-th character of a burst ends
//! at `burst_start + n * bits_per_char / baud`, computed exactly from the burst's start, so no
//! rounding error accumulates however long the burst runs; a late wake-up of the runtime delays
//! delivery but never the schedule.

use crate::framing::SerialParams;
use m2285_time::Instant;
use std::collections::VecDeque;

/// One direction of a serial line with its transmit queue and pacing schedule.
#[derive(Debug, Clone)]
pub struct PacedLine {
    params: SerialParams,
    paced: bool,
    capacity: usize,
    queue: VecDeque<u8>,
    /// When the current burst's first character started.
    burst_start: Instant,
    /// Characters of the current burst already delivered.
    burst_done: u64,
    /// While set, no new character starts (flow control); the one on the wire finishes.
    held: bool,
}

impl PacedLine {
    /// A line with the given settings and queue capacity. With `paced` false characters finish
    /// the moment they are queued (the benchmark's "pacing off" mode).
    pub fn new(params: SerialParams, capacity: usize, paced: bool) -> Self {
        PacedLine {
            params,
            paced,
            capacity,
            queue: VecDeque::with_capacity(capacity.min(64 * 1024)),
            burst_start: Instant::ZERO,
            burst_done: 0,
            held: false,
        }
    }

    /// Current line settings.
    pub fn params(&self) -> SerialParams {
        self.params
    }

    /// Changes the line settings; queued characters are sent with the new settings from `now`.
    pub fn set_params(&mut self, params: SerialParams, now: Instant) {
        if params != self.params {
            self.params = params;
            self.restart_burst(now);
        }
    }

    /// Turns pacing on or off (see [`PacedLine::new`]).
    pub fn set_paced(&mut self, paced: bool, now: Instant) {
        self.paced = paced;
        self.restart_burst(now);
    }

    /// Characters waiting (including the one on the wire).
    pub fn len(&self) -> usize {
        self.queue.len()
    }

    /// True when nothing waits to be sent.
    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    /// Room left in the queue.
    pub fn free(&self) -> usize {
        self.capacity.saturating_sub(self.queue.len())
    }

    /// The queue's capacity in characters.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Queues as many of `bytes` as fit and returns how many were taken.
    ///
    /// Call [`PacedLine::pop_completed`] for `now` first, so that characters already finished
    /// are out of the queue; characters queued now never finish before `now + char_time`.
    pub fn push(&mut self, bytes: &[u8], now: Instant) -> usize {
        let n = bytes.len().min(self.free());
        if n == 0 {
            return 0;
        }
        if self.queue.is_empty() || self.last_end() < now {
            self.reanchor_at(now);
        }
        self.queue.extend(&bytes[..n]);
        n
    }

    /// Moves every character that has finished by `now` into `out`; returns how many.
    pub fn pop_completed(&mut self, now: Instant, out: &mut Vec<u8>) -> usize {
        self.pop_completed_at_most(now, usize::MAX, out)
    }

    /// Like [`PacedLine::pop_completed`], but moves at most `max` characters; the others that
    /// finished stay queued and come out at the next call (the receiver took no more: flow
    /// control stopped the sender within the character that reached its threshold).
    pub fn pop_completed_at_most(&mut self, now: Instant, max: usize, out: &mut Vec<u8>) -> usize {
        let n = if self.held {
            0
        } else if !self.paced {
            self.queue.len()
        } else {
            let elapsed = now.saturating_since(self.burst_start);
            let nanos = u128::from(m2285_time::duration_nanos(elapsed));
            let ended = nanos * u128::from(self.params.baud.max(1))
                / (u128::from(self.params.bits_per_char()) * 1_000_000_000);
            let ended = u64::try_from(ended).unwrap_or(u64::MAX);
            let n = ended.saturating_sub(self.burst_done);
            usize::try_from(n)
                .unwrap_or(usize::MAX)
                .min(self.queue.len())
        };
        let n = n.min(max);
        // Copy slice by slice: draining the deque into `out` went byte by byte, the largest
        // cost of the model per byte with pacing off (docs/BENCHMARKS.md).
        let (front, back) = self.queue.as_slices();
        let from_front = n.min(front.len());
        out.extend_from_slice(&front[..from_front]);
        out.extend_from_slice(&back[..n - from_front]);
        self.queue.drain(..n);
        self.burst_done += n as u64;
        n
    }

    /// When the next character finishes, if any is waiting and the line is not held.
    pub fn next_deadline(&self) -> Option<Instant> {
        if self.queue.is_empty() || self.held {
            None
        } else if !self.paced {
            Some(self.burst_start)
        } else {
            Some(self.end_of(self.burst_done + 1))
        }
    }

    /// Holds (true) or releases (false) the line, for flow control. A released line continues
    /// from `now`.
    pub fn set_held(&mut self, held: bool, now: Instant) {
        if held != self.held {
            self.held = held;
            if !held {
                self.restart_burst(now);
            }
        }
    }

    /// True while flow control holds the line.
    pub fn is_held(&self) -> bool {
        self.held
    }

    /// Drops every queued character (a purge or a reset); returns how many were dropped.
    pub fn clear(&mut self) -> usize {
        let n = self.queue.len();
        self.queue.clear();
        n
    }

    fn end_of(&self, nth: u64) -> Instant {
        self.burst_start + std::time::Duration::from_nanos(self.params.burst_nanos(nth))
    }

    fn last_end(&self) -> Instant {
        self.end_of(self.burst_done + self.queue.len() as u64)
    }

    /// Makes the queued characters' schedule end at `now`, so the next one queued starts then.
    fn reanchor_at(&mut self, now: Instant) {
        let queued = self.burst_done + self.queue.len() as u64;
        let back = self.params.burst_nanos(queued);
        self.burst_start = Instant::from_nanos(now.as_nanos().saturating_sub(back));
    }

    fn restart_burst(&mut self, now: Instant) {
        self.burst_start = now;
        self.burst_done = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn line() -> PacedLine {
        PacedLine::new(SerialParams::default(), 4096, true)
    }

    #[test]
    fn characters_finish_on_exact_schedule() {
        let mut l = line();
        let t0 = Instant::from_secs(1);
        assert_eq!(l.push(&[0u8; 960], t0), 960);
        let mut out = Vec::new();
        assert_eq!(
            l.pop_completed(t0 + Duration::from_nanos(1_041_666), &mut out),
            0
        );
        assert_eq!(
            l.pop_completed(t0 + Duration::from_nanos(1_041_667), &mut out),
            1
        );
        assert_eq!(
            l.pop_completed(t0 + Duration::from_millis(999), &mut out),
            958
        );
        assert_eq!(l.next_deadline(), Some(t0 + Duration::from_secs(1)));
        assert_eq!(l.pop_completed(t0 + Duration::from_secs(1), &mut out), 1);
        assert!(l.is_empty());
    }

    #[test]
    fn late_wakeups_do_not_drift() {
        let mut l = line();
        let t0 = Instant::ZERO;
        l.push(&[1u8; 4000], t0);
        let mut out = Vec::new();
        let mut t = t0;
        while !l.is_empty() {
            t = l.next_deadline().unwrap_or(t) + Duration::from_micros(737);
            l.pop_completed(t, &mut out);
        }
        assert_eq!(out.len(), 4000);
        // 4000 chars at 960 chars/s end at 4.1666 s; the last wake was at most 737 us later.
        assert!(t >= Instant::from_nanos(4_166_666_666));
        assert!(t < Instant::from_nanos(4_166_666_666 + 738_000));
    }

    #[test]
    fn queue_is_bounded_and_idle_line_restarts_at_push() {
        let mut l = PacedLine::new(SerialParams::default(), 3, true);
        assert_eq!(l.push(b"abcdef", Instant::ZERO), 3);
        let mut out = Vec::new();
        l.pop_completed(Instant::from_secs(10), &mut out);
        assert_eq!(out, b"abc");
        let t = Instant::from_secs(20);
        l.push(b"x", t);
        assert_eq!(l.next_deadline(), Some(t + Duration::from_nanos(1_041_667)));
    }

    #[test]
    fn held_line_stops_and_resumes_from_release() {
        let mut l = line();
        l.push(b"ab", Instant::ZERO);
        l.set_held(true, Instant::ZERO);
        let mut out = Vec::new();
        assert_eq!(l.pop_completed(Instant::from_secs(5), &mut out), 0);
        assert_eq!(l.next_deadline(), None);
        l.set_held(false, Instant::from_secs(5));
        assert_eq!(l.pop_completed(Instant::from_secs(5), &mut out), 0);
        assert_eq!(l.pop_completed(Instant::from_secs(6), &mut out), 2);
    }

    #[test]
    fn held_line_stops_even_unpaced() {
        let mut l = PacedLine::new(SerialParams::default(), 16, false);
        l.push(b"abc", Instant::ZERO);
        l.set_held(true, Instant::ZERO);
        let mut out = Vec::new();
        assert_eq!(l.pop_completed(Instant::from_secs(1), &mut out), 0);
        assert_eq!(l.next_deadline(), None);
        l.set_held(false, Instant::from_secs(1));
        assert_eq!(
            l.pop_completed_at_most(Instant::from_secs(1), 2, &mut out),
            2
        );
        assert_eq!(l.pop_completed(Instant::from_secs(1), &mut out), 1);
        assert_eq!(out, b"abc");
    }

    #[test]
    fn unpaced_line_delivers_at_once() {
        let mut l = PacedLine::new(SerialParams::default(), 16, false);
        l.push(b"hello", Instant::from_secs(3));
        assert_eq!(l.next_deadline(), Some(Instant::from_secs(3)));
        let mut out = Vec::new();
        l.pop_completed(Instant::from_secs(3), &mut out);
        assert_eq!(out, b"hello");
    }
}
