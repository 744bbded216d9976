//! Property tests of the serial wire at bit level (`m2285_virtual::faults::uart_bits`), for every
//! data/parity/stop combination: what a UART sends, a UART with the same settings reads back
//! exactly; a receiver a little off the sender's rate still does; and a flipped data bit is
//! caught by even or odd parity (docs/ROBUSTNESS.md).

use m2285_uart::{Parity, SerialParams, StopBits};
use m2285_virtual::faults::uart_bits::{decode, encode};
use proptest::prelude::*;

const PARITIES: [Parity; 5] = [
    Parity::None,
    Parity::Even,
    Parity::Odd,
    Parity::Mark,
    Parity::Space,
];
const BAUDS: [u32; 6] = [300, 1200, 9600, 38_400, 115_200, 921_600];

fn params() -> impl Strategy<Value = SerialParams> {
    (
        0usize..BAUDS.len(),
        5u8..=8,
        0usize..PARITIES.len(),
        any::<bool>(),
    )
        .prop_map(|(b, data_bits, p, two)| SerialParams {
            baud: BAUDS[b],
            data_bits,
            parity: PARITIES[p],
            stop_bits: if two { StopBits::Two } else { StopBits::One },
        })
}

fn clean(bytes: &[u8], p: &SerialParams) -> Vec<(u8, bool, bool)> {
    bytes
        .iter()
        .map(|b| (b & p.data_mask(), false, false))
        .collect()
}

fn read(bits: &[bool], tx_baud: u32, rx: &SerialParams) -> Vec<(u8, bool, bool)> {
    decode(bits, tx_baud, rx)
        .into_iter()
        .map(|r| (r.byte, r.framing_error, r.parity_error))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Same settings both ends: every character comes back (masked to its data bits), no
    /// framing or parity error, and the frame has exactly `bits_per_char` bits.
    #[test]
    fn frames_round_trip(p in params(), bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
        let bits = encode(&bytes, &p);
        prop_assert_eq!(bits.len(), bytes.len() * p.bits_per_char() as usize);
        prop_assert_eq!(read(&bits, p.baud, &p), clean(&bytes, &p));
    }

    /// A receiver up to 2 % off the sender's rate samples every bit in the right cell (the
    /// start bit re-synchronises it every character), as a real UART does.
    #[test]
    fn a_slightly_wrong_rate_still_reads(
        p in params(),
        bytes in proptest::collection::vec(any::<u8>(), 1..32),
        permille in -20i64..=20,
    ) {
        let rx_baud = u32::try_from(i64::from(p.baud) * (1000 + permille) / 1000).unwrap_or(p.baud);
        let rx = SerialParams { baud: rx_baud, ..p };
        prop_assert_eq!(read(&encode(&bytes, &p), p.baud, &rx), clean(&bytes, &p));
    }

    /// One flipped data bit under even or odd parity is reported as a parity error on that
    /// character (and only there), with the flipped value delivered.
    #[test]
    fn a_flipped_data_bit_is_a_parity_error(
        p in params(),
        bytes in proptest::collection::vec(any::<u8>(), 1..16),
        which in any::<proptest::sample::Index>(),
        bit in 0u8..8,
    ) {
        prop_assume!(matches!(p.parity, Parity::Even | Parity::Odd));
        let bit = bit % p.data_bits;
        let victim = which.index(bytes.len());
        let mut bits = encode(&bytes, &p);
        let at = victim * p.bits_per_char() as usize + 1 + usize::from(bit);
        bits[at] = !bits[at];
        let mut want = clean(&bytes, &p);
        want[victim] = (want[victim].0 ^ (1 << bit), false, true);
        prop_assert_eq!(read(&bits, p.baud, &p), want);
    }
}
