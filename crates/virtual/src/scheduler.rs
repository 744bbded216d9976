//! The discrete-event queue: what happens next, in virtual time.
//!
//! Events are ordered by their instant and, at the same instant, by the order they were
//! scheduled (a sequence number), so two runs of the same scenario pop the same events in the
//! same order. There is no wall clock here: time is whatever the next event says it is.

use m2285_time::Instant;
use std::cmp::Ordering;
use std::collections::BinaryHeap;

/// A time-ordered queue of events of type `E`, first-in first-out at equal instants.
#[derive(Debug)]
pub struct Scheduler<E> {
    heap: BinaryHeap<Entry<E>>,
    next_seq: u64,
}

#[derive(Debug)]
struct Entry<E> {
    at: Instant,
    seq: u64,
    event: E,
}

impl<E> PartialEq for Entry<E> {
    fn eq(&self, other: &Self) -> bool {
        (self.at, self.seq) == (other.at, other.seq)
    }
}

impl<E> Eq for Entry<E> {}

impl<E> PartialOrd for Entry<E> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl<E> Ord for Entry<E> {
    /// Reversed, so the max-heap pops the earliest instant (then the lowest sequence) first.
    fn cmp(&self, other: &Self) -> Ordering {
        (other.at, other.seq).cmp(&(self.at, self.seq))
    }
}

impl<E> Default for Scheduler<E> {
    fn default() -> Self {
        Scheduler {
            heap: BinaryHeap::new(),
            next_seq: 0,
        }
    }
}

impl<E> Scheduler<E> {
    /// An empty queue.
    pub fn new() -> Self {
        Self::default()
    }

    /// Schedules `event` at `at`.
    pub fn schedule(&mut self, at: Instant, event: E) {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.heap.push(Entry { at, seq, event });
    }

    /// The instant of the earliest event, if any.
    pub fn next_time(&self) -> Option<Instant> {
        self.heap.peek().map(|e| e.at)
    }

    /// Removes and returns the earliest event if it is due by `now`.
    pub fn pop_due(&mut self, now: Instant) -> Option<(Instant, E)> {
        if self.heap.peek()?.at > now {
            return None;
        }
        self.heap.pop().map(|e| (e.at, e.event))
    }

    /// Number of queued events.
    pub fn len(&self) -> usize {
        self.heap.len()
    }

    /// True when nothing is queued.
    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn earliest_first_then_fifo() {
        let mut s = Scheduler::new();
        s.schedule(Instant::from_millis(5), "b");
        s.schedule(Instant::from_millis(1), "a");
        s.schedule(Instant::from_millis(5), "c");
        assert_eq!(s.next_time(), Some(Instant::from_millis(1)));
        assert_eq!(s.pop_due(Instant::ZERO), None);
        let order: Vec<_> =
            std::iter::from_fn(|| s.pop_due(Instant::MAX).map(|(_, e)| e)).collect();
        assert_eq!(order, ["a", "b", "c"]);
        assert!(s.is_empty());
    }
}
