//! Character framing: start bit, 5..8 data bits, optional parity bit, 1 or 2 stop bits.
//!
//! The frame length decides how long a character occupies the line, which is all the pacing
//! needs; the bit-level picture (for traces and line faults) builds on the same numbers.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::time::Duration;

/// Parity bit setting of a serial frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Parity {
    /// No parity bit.
    None,
    /// Even parity: the parity bit makes the count of ones even.
    Even,
    /// Odd parity: the parity bit makes the count of ones odd.
    Odd,
    /// Parity bit always 1.
    Mark,
    /// Parity bit always 0.
    Space,
}

/// Number of stop bits of a serial frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StopBits {
    /// One stop bit.
    One,
    /// Two stop bits.
    Two,
}

impl StopBits {
    /// The number of stop bits as an integer.
    pub fn count(self) -> u32 {
        match self {
            StopBits::One => 1,
            StopBits::Two => 2,
        }
    }
}

/// Line settings of a UART: everything that decides the shape and length of a character.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SerialParams {
    /// Bits per second.
    pub baud: u32,
    /// Data bits per character (5..=8).
    pub data_bits: u8,
    /// Parity bit.
    pub parity: Parity,
    /// Stop bits.
    pub stop_bits: StopBits,
}

impl Default for SerialParams {
    /// 9600 8N1, the device's factory setting.
    fn default() -> Self {
        SerialParams {
            baud: 9600,
            data_bits: 8,
            parity: Parity::None,
            stop_bits: StopBits::One,
        }
    }
}

impl SerialParams {
    /// Bits on the wire per character: start + data + parity + stop.
    pub fn bits_per_char(&self) -> u32 {
        let parity = u32::from(self.parity != Parity::None);
        1 + u32::from(self.data_bits) + parity + self.stop_bits.count()
    }

    /// Time one character occupies the line, rounded up to whole nanoseconds.
    ///
    /// Pacing does not add these up (that would drift); see [`crate::PacedLine`].
    pub fn char_time(&self) -> Duration {
        Duration::from_nanos(self.burst_nanos(1))
    }

    /// Nanoseconds that `chars` back-to-back characters take, computed from the burst's start
    /// so that the end of the n-th character never drifts from `n * bits / baud`. Rounded up:
    /// at the returned instant the n-th character has certainly finished.
    pub fn burst_nanos(&self, chars: u64) -> u64 {
        let bits = u128::from(chars) * u128::from(self.bits_per_char());
        let baud = u128::from(self.baud.max(1));
        let nanos = (bits * 1_000_000_000).div_ceil(baud);
        u64::try_from(nanos).unwrap_or(u64::MAX)
    }

    /// Characters per second the line carries when it is never idle.
    pub fn chars_per_second(&self) -> f64 {
        f64::from(self.baud) / f64::from(self.bits_per_char())
    }

    /// The mask of bits a character keeps: a 7-bit line clears bit 7.
    pub fn data_mask(&self) -> u8 {
        match self.data_bits {
            5 => 0x1f,
            6 => 0x3f,
            7 => 0x7f,
            _ => 0xff,
        }
    }
}

impl fmt::Display for SerialParams {
    /// The usual short form, e.g. `9600 8N1`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let p = match self.parity {
            Parity::None => 'N',
            Parity::Even => 'E',
            Parity::Odd => 'O',
            Parity::Mark => 'M',
            Parity::Space => 'S',
        };
        write!(
            f,
            "{} {}{}{}",
            self.baud,
            self.data_bits,
            p,
            self.stop_bits.count()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_lengths_and_times() {
        let p = SerialParams::default();
        assert_eq!(p.bits_per_char(), 10);
        assert_eq!(p.char_time(), Duration::from_nanos(1_041_667));
        assert_eq!(p.burst_nanos(960), 1_000_000_000);
        let p = SerialParams {
            baud: 1200,
            data_bits: 7,
            parity: Parity::Even,
            stop_bits: StopBits::Two,
        };
        assert_eq!(p.bits_per_char(), 11);
        assert_eq!(p.to_string(), "1200 7E2");
        assert_eq!(p.data_mask(), 0x7f);
    }
}
