//! The scripted serial-side program: what it wrote that the device has not taken yet, and
//! everything it received, with a cursor for expectations ("expect `OK` on serial within
//! 20 ms" consumes up to the end of the match, like a terminal tester waiting for a prompt).

use std::collections::VecDeque;

/// The program at the other end of the device's serial port.
#[derive(Clone, Debug)]
pub struct SerialPeer {
    /// Its UART's configured baud rate.
    pub baud: u32,
    /// Whether it holds the port open (a detached port loses what the device sends).
    pub attached: bool,
    /// Every byte it received.
    pub received: Vec<u8>,
    /// How far expectations have consumed `received`.
    pub cursor: usize,
    pending: VecDeque<u8>,
}

impl SerialPeer {
    /// A program running its UART at `baud`.
    pub fn new(baud: u32, attached: bool) -> Self {
        SerialPeer {
            baud,
            attached,
            received: Vec::new(),
            cursor: 0,
            pending: VecDeque::new(),
        }
    }

    /// The program writes `bytes`; they enter the wire as the device has room for them.
    pub fn write(&mut self, bytes: &[u8]) {
        self.pending.extend(bytes);
    }

    /// Bytes written and not yet on the wire.
    pub fn pending(&self) -> usize {
        self.pending.len()
    }

    /// Takes up to `room` written bytes for the wire.
    pub fn take(&mut self, room: usize) -> Vec<u8> {
        let n = room.min(self.pending.len());
        self.pending.drain(..n).collect()
    }

    /// Drops everything written and not yet sent (the device is off); returns how much.
    pub fn discard_pending(&mut self) -> usize {
        let n = self.pending.len();
        self.pending.clear();
        n
    }
}

/// The end of the first match of `pattern` in `haystack` at or after `from`.
pub fn find_from(haystack: &[u8], from: usize, pattern: &[u8]) -> Option<usize> {
    let hay = haystack.get(from..)?;
    if pattern.is_empty() {
        return Some(from);
    }
    hay.windows(pattern.len())
        .position(|w| w == pattern)
        .map(|i| from + i + pattern.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_after_the_cursor() {
        assert_eq!(find_from(b"OK\r\nOK\r\n", 0, b"OK"), Some(2));
        assert_eq!(find_from(b"OK\r\nOK\r\n", 2, b"OK"), Some(6));
        assert_eq!(find_from(b"OK\r\nOK\r\n", 6, b"OK"), None);
        let mut p = SerialPeer::new(9600, true);
        p.write(b"hello");
        assert_eq!(p.take(2), b"he");
        assert_eq!(p.pending(), 3);
    }
}
