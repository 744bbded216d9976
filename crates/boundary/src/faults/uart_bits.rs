//! The serial wire at bit level: characters become frames (start bit, data bits LSB first,
//! optional parity, stop bits; idle and stop are high), and a receiving UART samples a frame
//! stream back into characters.
//!
//! The receiver works like real hardware: it waits for a falling edge (the start bit), checks
//! the start bit half a bit later, then samples every following bit in its middle at *its own*
//! baud rate. So a receiver at the wrong rate, or a frame with flipped bits, yields exactly the
//! garbled, split or merged characters (with framing and parity errors) a real UART would.
//! Used by the serial faults and to decode VCD traces in tests.

use m2285_uart::{Parity, SerialParams};

/// Bits on the wire for `bytes` sent back to back with `params` (true = high/mark).
pub fn encode(bytes: &[u8], params: &SerialParams) -> Vec<bool> {
    let mut bits = Vec::with_capacity(bytes.len() * params.bits_per_char() as usize);
    for &b in bytes {
        encode_char(b, params, &mut bits);
    }
    bits
}

/// Appends the frame of one character.
pub fn encode_char(byte: u8, params: &SerialParams, bits: &mut Vec<bool>) {
    bits.push(false);
    let data = byte & params.data_mask();
    for i in 0..params.data_bits {
        bits.push(data >> i & 1 == 1);
    }
    if let Some(p) = parity_bit(data, params.parity) {
        bits.push(p);
    }
    for _ in 0..params.stop_bits.count() {
        bits.push(true);
    }
}

/// The parity bit for `data` (already masked to the data bits), or `None` without parity.
pub fn parity_bit(data: u8, parity: Parity) -> Option<bool> {
    let odd_ones = data.count_ones() % 2 == 1;
    match parity {
        Parity::None => None,
        Parity::Even => Some(odd_ones),
        Parity::Odd => Some(!odd_ones),
        Parity::Mark => Some(true),
        Parity::Space => Some(false),
    }
}

/// One character as a receiving UART delivers it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Received {
    /// The data bits sampled.
    pub byte: u8,
    /// The stop bit was sampled low.
    pub framing_error: bool,
    /// The parity bit did not match.
    pub parity_error: bool,
}

/// The most characters a receiver can make of `chars` frames sent with `params`, whatever bits
/// are flipped and whatever the two baud rates: every character it delivers began at a falling
/// edge of the line, and a frame of `b` bits holds at most `⌈b / 2⌉` runs of low bits. The
/// real-time PTY adapter sizes its reads with it so that what the receiver makes always fits.
pub fn max_received(chars: usize, params: &SerialParams) -> usize {
    let edges = params.bits_per_char().div_ceil(2).max(1);
    chars.saturating_mul(usize::try_from(edges).unwrap_or(usize::MAX))
}

/// Decodes `bits`, sent at `tx_baud` bits per second, with a receiver set to `rx`.
///
/// Time is counted in units of `1 / (2 · tx_baud · rx_baud)` seconds, so every edge and sample
/// point is an exact integer: a sent bit lasts `2 · rx_baud` units, half a received bit
/// `tx_baud` units. The line is idle (high) before and after `bits`.
pub fn decode(bits: &[bool], tx_baud: u32, rx: &SerialParams) -> Vec<Received> {
    let tx_bit = 2 * u128::from(rx.baud.max(1));
    let rx_half = u128::from(tx_baud.max(1));
    let level = |t: u128| -> bool {
        usize::try_from(t / tx_bit)
            .ok()
            .and_then(|k| bits.get(k).copied())
            .unwrap_or(true)
    };
    // The first falling edge at a sent-bit boundary at or after `from`.
    let falling_edge = |from: u128| -> Option<u128> {
        let first = usize::try_from(from.div_ceil(tx_bit)).ok()?;
        (first..bits.len())
            .find(|&k| !bits[k] && (k == 0 || bits[k - 1]))
            .map(|k| k as u128 * tx_bit)
    };
    let parity = rx.parity != Parity::None;
    let frame_bits = 1 + u128::from(rx.data_bits) + u128::from(parity);
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(t0) = falling_edge(from) {
        let sample = |i: u128| level(t0 + (2 * i + 1) * rx_half);
        if sample(0) {
            // A glitch, not a start bit: look for the next edge.
            from = t0 + 1;
            continue;
        }
        let mut data = 0u8;
        for i in 0..rx.data_bits {
            if sample(1 + u128::from(i)) {
                data |= 1 << i;
            }
        }
        let parity_error =
            parity && parity_bit(data, rx.parity) != Some(sample(1 + u128::from(rx.data_bits)));
        let stop_at = t0 + (2 * frame_bits + 1) * rx_half;
        out.push(Received {
            byte: data,
            framing_error: !level(stop_at),
            parity_error,
        });
        from = stop_at;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use m2285_uart::StopBits;

    fn params(baud: u32, data_bits: u8, parity: Parity, two_stop: bool) -> SerialParams {
        SerialParams {
            baud,
            data_bits,
            parity,
            stop_bits: if two_stop {
                StopBits::Two
            } else {
                StopBits::One
            },
        }
    }

    #[test]
    fn frames_round_trip_at_the_same_rate() {
        let data: Vec<u8> = (0..=255).collect();
        for p in [
            params(9600, 8, Parity::None, false),
            params(1200, 7, Parity::Even, true),
            params(115200, 8, Parity::Odd, false),
            params(300, 5, Parity::Mark, false),
            params(300, 6, Parity::Space, true),
        ] {
            let bits = encode(&data, &p);
            assert_eq!(bits.len(), data.len() * p.bits_per_char() as usize);
            let got = decode(&bits, p.baud, &p);
            let bytes: Vec<u8> = got.iter().map(|r| r.byte).collect();
            let want: Vec<u8> = data.iter().map(|b| b & p.data_mask()).collect();
            assert_eq!(bytes, want, "{p}");
            assert!(got.iter().all(|r| !r.framing_error && !r.parity_error));
        }
    }

    #[test]
    fn frame_layout_is_start_lsb_first_parity_stop() {
        let bits = encode(&[0x01], &params(9600, 8, Parity::Even, false));
        let ones = |bs: &[bool]| bs.iter().map(|&b| u8::from(b)).collect::<Vec<_>>();
        assert_eq!(ones(&bits), [0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 1]);
    }

    #[test]
    fn a_receiver_at_the_wrong_rate_garbles() {
        let sent = b"Hello, world";
        let tx = params(19200, 8, Parity::None, false);
        let rx = params(9600, 8, Parity::None, false);
        let got = decode(&encode(sent, &tx), tx.baud, &rx);
        let bytes: Vec<u8> = got.iter().map(|r| r.byte).collect();
        assert_ne!(bytes, sent);
        // Twice as fast a sender: the receiver sees about half as many characters.
        assert!(got.len() < sent.len(), "{got:?}");
        // Slower sender: one sent character spans two received frames' worth of time.
        let slow = decode(&encode(sent, &rx), rx.baud, &tx);
        assert_ne!(slow.iter().map(|r| r.byte).collect::<Vec<_>>(), sent);
        assert!(slow.iter().any(|r| r.framing_error));
    }

    #[test]
    fn flipped_stop_bit_is_a_framing_error_and_parity_is_checked() {
        let p = params(9600, 7, Parity::Odd, false);
        let mut bits = encode(b"A", &p);
        let last = bits.len() - 1;
        bits[last] = false;
        let got = decode(&bits, p.baud, &p);
        assert!(got[0].framing_error);
        let mut bits = encode(b"A", &p);
        bits[8] = !bits[8];
        assert!(decode(&bits, p.baud, &p)[0].parity_error);
    }

    #[test]
    fn no_receiver_makes_more_than_max_received() {
        let p = params(9600, 8, Parity::None, false);
        let worst = encode(&[0x55; 64], &p);
        for rx_baud in [300, 1200, 9600, 19200, 115_200, 921_600] {
            let rx = SerialParams { baud: rx_baud, ..p };
            let got = decode(&worst, 9600, &rx).len();
            assert!(got <= max_received(64, &p), "{rx_baud}: {got}");
        }
        assert_eq!(max_received(64, &p), 320);
    }
}
