//! Telnet (`crates/telnet`): a session fed any network bytes in any chunking never panics,
//! never hands the device more data bytes than arrived, and never answers with more than a
//! bounded amount per byte received (no negotiation loop: RFC 1143). Serial data sent the other
//! way is at most doubled (IAC IAC, CR NUL), and the codec's escaping round-trips exactly.
#![no_main]

use libfuzzer_sys::fuzz_target;
use m2285_fuzz::Ops;
use m2285_telnet::codec::{escape_into, Decoder, Token};
use m2285_telnet::{TelnetConfig, TelnetEvent, TelnetSession};

/// Output allowed per network byte received (AYT: 2 bytes in, 9 out; a SIGNATURE query: 6 in,
/// the signature out) plus a fixed allowance per call for state notifications.
const OUT_PER_BYTE: usize = 8;
const OUT_PER_CALL: usize = 64;

fuzz_target!(|data: &[u8]| {
    let mut ops = Ops::new(data);
    let rfc2217 = ops.byte().is_some_and(|b| b & 1 == 0);
    let mut tn = TelnetSession::new(TelnetConfig {
        rfc2217,
        ..TelnetConfig::default()
    });
    let signature = tn.config().signature.len();
    let _opening = tn.take_output();
    let mut received = 0usize;
    let mut delivered = 0usize;
    while let Some(op) = ops.byte() {
        let chunk = ops.chunk();
        match op % 4 {
            0 | 1 => {
                tn.receive(chunk);
                received += chunk.len();
                let out = tn.take_output();
                let bound = OUT_PER_BYTE * chunk.len() + OUT_PER_CALL + signature * chunk.len() / 6;
                assert!(
                    out.len() <= bound,
                    "{} bytes answered {} bytes",
                    chunk.len(),
                    out.len()
                );
            }
            2 => {
                tn.send_data(chunk);
                let out = tn.take_output();
                assert!(out.len() <= 2 * chunk.len(), "{chunk:?} became {out:?}");
            }
            _ => {
                let mut escaped = Vec::new();
                escape_into(&mut escaped, chunk);
                let mut decoder = Decoder::new();
                let back: Vec<u8> = escaped
                    .iter()
                    .filter_map(|&b| match decoder.feed(b) {
                        Some(Token::Data(d)) => Some(d),
                        Some(other) => panic!("{chunk:?} decoded to {other:?}"),
                        None => None,
                    })
                    .collect();
                assert_eq!(back, chunk);
            }
        }
        while let Some(event) = tn.poll_event() {
            if let TelnetEvent::Data(bytes) = event {
                delivered += bytes.len();
            }
        }
        assert!(
            delivered <= received,
            "{delivered} data bytes from {received}"
        );
    }
});
