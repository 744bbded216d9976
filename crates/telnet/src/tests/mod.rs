//! Session-level tests: byte-exact transcripts, every RFC 2217 request, chunking and fuzzing.

mod chunking;
mod comport;
mod data;
mod fuzz;
mod negotiation;

use crate::{TelnetConfig, TelnetEvent, TelnetSession};

pub(crate) const IAC: u8 = 255;
pub(crate) const DONT: u8 = 254;
pub(crate) const DO: u8 = 253;
pub(crate) const WONT: u8 = 252;
pub(crate) const WILL: u8 = 251;
pub(crate) const SB: u8 = 250;
pub(crate) const SE: u8 = 240;
pub(crate) const CPO: u8 = 44;

/// What pyserial 3.5's client sends first (rfc2217.py `Serial.open`): DO ECHO, WILL SGA, DO SGA,
/// DO COM-PORT, WILL COM-PORT.
pub(crate) const PYSERIAL_HELLO: &[u8] = &[
    IAC, DO, 1, IAC, WILL, 3, IAC, DO, 3, IAC, DO, CPO, IAC, WILL, CPO,
];

/// pyserial's answers to our opening WILL BINARY / DO BINARY.
pub(crate) const PYSERIAL_BINARY_ACKS: &[u8] = &[IAC, DO, 0, IAC, WILL, 0];

pub(crate) fn config(rfc2217: bool) -> TelnetConfig {
    TelnetConfig {
        rfc2217,
        signature: "TEST-SIG".to_owned(),
    }
}

/// A session after the full pyserial handshake, with all output and events drained.
pub(crate) fn agreed() -> TelnetSession {
    let mut s = TelnetSession::new(config(true));
    s.receive(PYSERIAL_HELLO);
    s.receive(PYSERIAL_BINARY_ACKS);
    let _ = s.take_output();
    assert!(drain(&mut s).is_empty());
    assert!(s.com_port_enabled() && s.binary_receive() && s.binary_transmit());
    s
}

pub(crate) fn drain(s: &mut TelnetSession) -> Vec<TelnetEvent> {
    std::iter::from_fn(|| s.poll_event()).collect()
}

/// Events with adjacent `Data` joined: data chunking follows the input and carries no meaning.
pub(crate) fn merged(events: Vec<TelnetEvent>) -> Vec<TelnetEvent> {
    let mut out: Vec<TelnetEvent> = Vec::new();
    for event in events {
        if let (Some(TelnetEvent::Data(prev)), TelnetEvent::Data(more)) = (out.last_mut(), &event) {
            prev.extend_from_slice(more);
            continue;
        }
        out.push(event);
    }
    out
}

/// IAC SB 44 `payload` IAC SE, escaping IAC in the payload.
pub(crate) fn sb(payload: &[u8]) -> Vec<u8> {
    let mut out = vec![IAC, SB, CPO];
    for &b in payload {
        if b == IAC {
            out.push(IAC);
        }
        out.push(b);
    }
    out.extend_from_slice(&[IAC, SE]);
    out
}

/// Small deterministic PRNG (SplitMix64) so fuzz-style tests need no dependency and replay.
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0; the tiny modulo bias is irrelevant here).
    pub(crate) fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    pub(crate) fn byte(&mut self) -> u8 {
        self.next_u64() as u8
    }
}
