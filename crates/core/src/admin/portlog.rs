//! The port log (notes §4.10; docs/management.md "Logs"): serial port 1's data in both
//! directions, kept in a ring of `port1.log.size_bytes` bytes in RAM while `port1.log.enabled`.

use serde::Serialize;
use std::collections::VecDeque;

/// Which way bytes crossed the serial line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// From the serial-side program to the device (towards the network).
    FromSerial,
    /// From the device to the serial-side program.
    ToSerial,
}

/// One captured piece of data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Chunk {
    /// Milliseconds since boot when it crossed.
    pub uptime_ms: u64,
    /// Direction.
    pub dir: Direction,
    /// The bytes.
    pub data: Vec<u8>,
}

impl std::fmt::Display for Chunk {
    /// One line for a console: uptime, direction and the bytes with non-printing ones escaped
    /// (`+1234 ms from_serial hello\r\n`).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let dir = match self.dir {
            Direction::FromSerial => "from_serial",
            Direction::ToSerial => "to_serial",
        };
        write!(
            f,
            "+{} ms {dir} {}",
            self.uptime_ms,
            self.data.escape_ascii()
        )
    }
}

/// The ring.
#[derive(Debug, Clone, Default)]
pub struct PortLog {
    chunks: VecDeque<Chunk>,
    bytes: usize,
    /// Bytes captured since the last clear (including those the ring overwrote).
    pub captured: u64,
}

impl PortLog {
    /// Captures `data` crossing in `dir`, keeping at most `capacity` bytes.
    pub fn capture(&mut self, dir: Direction, data: &[u8], uptime_ms: u64, capacity: usize) {
        if data.is_empty() || capacity == 0 {
            return;
        }
        self.captured += data.len() as u64;
        let data = &data[data.len().saturating_sub(capacity)..];
        match self.chunks.back_mut() {
            Some(last) if last.dir == dir && last.uptime_ms == uptime_ms => {
                last.data.extend_from_slice(data)
            }
            _ => self.chunks.push_back(Chunk {
                uptime_ms,
                dir,
                data: data.to_vec(),
            }),
        }
        self.bytes += data.len();
        while self.bytes > capacity {
            let Some(first) = self.chunks.front_mut() else {
                break;
            };
            let excess = self.bytes - capacity;
            if first.data.len() <= excess {
                self.bytes -= first.data.len();
                self.chunks.pop_front();
            } else {
                first.data.drain(..excess);
                self.bytes -= excess;
            }
        }
    }

    /// The captured chunks, oldest first.
    pub fn chunks(&self) -> impl Iterator<Item = &Chunk> {
        self.chunks.iter()
    }

    /// Bytes held now.
    pub fn held(&self) -> usize {
        self.bytes
    }

    /// Forgets everything.
    pub fn clear(&mut self) {
        *self = PortLog::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ring_keeps_the_newest_bytes_in_order() {
        let mut log = PortLog::default();
        log.capture(Direction::FromSerial, b"hello", 1, 8);
        log.capture(Direction::ToSerial, b"world", 2, 8);
        assert_eq!(log.held(), 8);
        let parts: Vec<&[u8]> = log.chunks().map(|c| c.data.as_slice()).collect();
        assert_eq!(parts, vec![&b"llo"[..], &b"world"[..]]);
        assert_eq!(log.captured, 10);
        log.capture(Direction::ToSerial, b"0123456789", 3, 8);
        assert_eq!(
            log.chunks().map(|c| c.data.clone()).collect::<Vec<_>>(),
            vec![b"23456789".to_vec()]
        );
    }
}
