//! The serial→network buffer and its flush rule (inter-character timeout).
//!
//! Serial input collects here and is pushed to the network when the buffer is full, or when no
//! character arrived for the inter-character timeout; with a timeout of 0 every arrival is sent
//! at once (manual §4.8).

use m2285_time::Instant;
use std::time::Duration;

/// Size of the device's serial→network buffer in bytes (decided: docs/serial-port.md).
pub const SERIAL_TO_NET_BUFFER: usize = 4096;

/// Collects serial bytes into frames for the network.
#[derive(Debug, Clone)]
pub struct Packetizer {
    buf: Vec<u8>,
    capacity: usize,
    timeout: Duration,
    last_char: Instant,
}

impl Packetizer {
    /// A packetizer with the given inter-character timeout (zero = flush at once).
    pub fn new(timeout: Duration) -> Self {
        Packetizer {
            buf: Vec::with_capacity(SERIAL_TO_NET_BUFFER),
            capacity: SERIAL_TO_NET_BUFFER,
            timeout,
            last_char: Instant::ZERO,
        }
    }

    /// Changes the inter-character timeout.
    pub fn set_timeout(&mut self, timeout: Duration) {
        self.timeout = timeout;
    }

    /// Adds bytes received at `now`; every frame that is complete (buffer full, or timeout 0)
    /// is passed to `emit`.
    pub fn push(&mut self, mut bytes: &[u8], now: Instant, emit: &mut impl FnMut(Vec<u8>)) {
        if bytes.is_empty() {
            return;
        }
        self.last_char = now;
        while !bytes.is_empty() {
            let room = self.capacity - self.buf.len();
            let (now_part, rest) = bytes.split_at(room.min(bytes.len()));
            self.buf.extend_from_slice(now_part);
            bytes = rest;
            if self.buf.len() >= self.capacity {
                emit(self.take());
            }
        }
        if self.timeout.is_zero() && !self.buf.is_empty() {
            emit(self.take());
        }
    }

    /// When the buffered bytes are due to be flushed by the timeout.
    pub fn next_deadline(&self) -> Option<Instant> {
        (!self.buf.is_empty()).then(|| self.last_char + self.timeout)
    }

    /// Flushes to `emit` if the timeout has run out by `now`.
    pub fn handle_timeout(&mut self, now: Instant, emit: &mut impl FnMut(Vec<u8>)) {
        if self.next_deadline().is_some_and(|d| d <= now) {
            emit(self.take());
        }
    }

    /// Drops what is buffered; returns how many bytes.
    pub fn clear(&mut self) -> usize {
        let n = self.buf.len();
        self.buf.clear();
        n
    }

    /// Bytes waiting.
    pub fn len(&self) -> usize {
        self.buf.len()
    }

    /// True when nothing waits.
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    fn take(&mut self) -> Vec<u8> {
        std::mem::replace(&mut self.buf, Vec::with_capacity(self.capacity))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(p: &mut Packetizer, bytes: &[u8], now: Instant) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        p.push(bytes, now, &mut |f| out.push(f));
        out
    }

    #[test]
    fn zero_timeout_flushes_each_arrival() {
        let mut p = Packetizer::new(Duration::ZERO);
        assert_eq!(frames(&mut p, b"ab", Instant::ZERO), vec![b"ab".to_vec()]);
        assert_eq!(p.next_deadline(), None);
    }

    #[test]
    fn timeout_flushes_after_the_gap_since_the_last_char() {
        let mut p = Packetizer::new(Duration::from_millis(200));
        assert!(frames(&mut p, b"ab", Instant::from_millis(10)).is_empty());
        assert!(frames(&mut p, b"c", Instant::from_millis(150)).is_empty());
        assert_eq!(p.next_deadline(), Some(Instant::from_millis(350)));
        let mut out = Vec::new();
        p.handle_timeout(Instant::from_millis(349), &mut |f| out.push(f));
        assert!(out.is_empty());
        p.handle_timeout(Instant::from_millis(350), &mut |f| out.push(f));
        assert_eq!(out, vec![b"abc".to_vec()]);
    }

    #[test]
    fn full_buffer_flushes_without_waiting() {
        let mut p = Packetizer::new(Duration::from_secs(1));
        let data = vec![7u8; SERIAL_TO_NET_BUFFER * 2 + 5];
        let out = frames(&mut p, &data, Instant::ZERO);
        assert_eq!(out.len(), 2);
        assert!(out.iter().all(|f| f.len() == SERIAL_TO_NET_BUFFER));
        assert_eq!(p.len(), 5);
    }
}
