//! Fuzz-style tests with a fixed-seed PRNG: arbitrary input never panics, never makes the
//! session answer more than once per negotiation, and user data survives any well-formed (or
//! properly terminated malformed) Telnet traffic around it.

use super::*;
use crate::codec::{Decoder, Token};
use crate::{ComPortReply, ComPortRequest, TelnetEvent};

/// Bytes biased towards the interesting ones: IAC, command codes, option 44, CR, NUL.
fn nasty_byte(rng: &mut Rng) -> u8 {
    match rng.below(10) {
        0..=2 => IAC,
        3 | 4 => 240 + rng.below(15) as u8,
        5 => CPO,
        6 => b'\r',
        7 => 0,
        _ => rng.byte(),
    }
}

fn feed_in_chunks(s: &mut TelnetSession, rng: &mut Rng, input: &[u8]) -> Vec<TelnetEvent> {
    let mut events = Vec::new();
    let mut rest = input;
    while !rest.is_empty() {
        let n = 1 + rng.below(rest.len().min(32));
        let (head, tail) = rest.split_at(n);
        s.receive(head);
        rest = tail;
        for event in drain(s) {
            // Answer like a device would, to exercise the reply path too.
            if let TelnetEvent::ComPort(r) = &event {
                answer(s, *r);
            }
            events.push(event);
        }
    }
    events
}

fn answer(s: &mut TelnetSession, request: ComPortRequest) {
    use ComPortRequest::*;
    let reply = match request {
        SetBaudRate(b) => ComPortReply::BaudRate(b),
        SetDataSize(v) => ComPortReply::DataSize(v),
        SetParity(v) => ComPortReply::Parity(v),
        SetStopSize(v) => ComPortReply::StopSize(v),
        SetControl(v) => ComPortReply::Control(v),
        SetLineStateMask(v) => ComPortReply::LineStateMask(v),
        SetModemStateMask(v) => ComPortReply::ModemStateMask(v),
        PurgeData(v) => ComPortReply::PurgeData(v),
        FlowControlSuspend | FlowControlResume => return,
    };
    s.reply(reply);
}

fn negotiations(bytes: &[u8]) -> usize {
    let mut d = Decoder::new();
    bytes
        .iter()
        .filter(|&&b| matches!(d.feed(b), Some(Token::Negotiate(..))))
        .count()
}

#[test]
fn random_bytes_never_panic_nor_storm() {
    let mut rng = Rng::new(0x2285);
    for case in 0..3000 {
        let len = rng.below(300);
        let input: Vec<u8> = (0..len).map(|_| nasty_byte(&mut rng)).collect();
        let mut s = TelnetSession::new(config(case % 4 != 0));
        let mut out = s.take_output();
        let opening = negotiations(&out);
        feed_in_chunks(&mut s, &mut rng, &input);
        s.notify_modem_state(rng.byte());
        s.notify_line_state(rng.byte());
        s.send_data(&input);
        out.extend(s.take_output());
        assert!(
            negotiations(&out) <= opening + negotiations(&input),
            "case {case}: more answers than negotiations received"
        );
    }
}

/// One random well-formed piece of Telnet traffic that carries no user data. Never touches
/// BINARY (option 0) so the data path mode stays fixed for the whole case.
fn noise(rng: &mut Rng) -> Vec<u8> {
    match rng.below(6) {
        0 => {
            let verb = [WILL, WONT, DO, DONT][rng.below(4)];
            vec![IAC, verb, 1 + rng.byte() % 254]
        }
        1 => vec![IAC, [241, 242, 243, 244, 245, 247, 248, 249][rng.below(8)]],
        2 => {
            // A COM-PORT subnegotiation with an arbitrary (possibly malformed) payload.
            let n = rng.below(8);
            let payload: Vec<u8> = (0..n).map(|_| nasty_byte(rng)).collect();
            sb(&payload)
        }
        3 => {
            // Another option's subnegotiation, sometimes longer than we keep.
            let n = if rng.below(10) == 0 {
                600
            } else {
                rng.below(20)
            };
            let mut out = vec![IAC, SB, rng.byte() % IAC];
            for _ in 0..n {
                let b = nasty_byte(rng);
                if b == IAC {
                    out.push(IAC);
                }
                out.push(b);
            }
            out.extend([IAC, SE]);
            out
        }
        4 => vec![IAC, SE],
        _ => Vec::new(),
    }
}

fn user_data(rng: &mut Rng) -> Vec<u8> {
    let n = rng.below(12);
    (0..n)
        .map(|_| loop {
            let b = nasty_byte(rng);
            if b != IAC {
                break b;
            }
        })
        .collect()
}

fn fold_cr_nul(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut after_cr = false;
    for &b in data {
        if !(after_cr && b == 0) {
            out.push(b);
        }
        after_cr = b == b'\r';
    }
    out
}

fn data_survives(binary: bool, seed: u64) {
    let mut rng = Rng::new(seed);
    for case in 0..1500 {
        let mut s = if binary {
            agreed()
        } else {
            let mut s = TelnetSession::new(config(true));
            s.receive(&[IAC, WILL, CPO, IAC, DONT, 0, IAC, WONT, 0]);
            let _ = s.take_output();
            s
        };
        let mut input = Vec::new();
        let mut sent = Vec::new();
        for _ in 0..rng.below(20) {
            input.extend(noise(&mut rng));
            let d = user_data(&mut rng);
            input.extend(&d);
            sent.extend(d);
        }
        let events = feed_in_chunks(&mut s, &mut rng, &input);
        let got: Vec<u8> = events
            .into_iter()
            .filter_map(|e| match e {
                TelnetEvent::Data(d) => Some(d),
                _ => None,
            })
            .flatten()
            .collect();
        let expected = if binary { sent } else { fold_cr_nul(&sent) };
        assert_eq!(got, expected, "case {case}");
    }
}

#[test]
fn data_without_iac_survives_noise_in_binary_mode() {
    data_survives(true, 1);
}

#[test]
fn data_without_iac_survives_noise_in_nvt_mode() {
    data_survives(false, 2);
}
