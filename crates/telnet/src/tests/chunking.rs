//! The same input split anywhere gives the same events and the same output.

use super::*;
use crate::TelnetEvent;

/// A session-long transcript touching every decoder state: negotiation (BINARY switches on in
/// the middle, so CR handling changes mid-stream), data with IAC IAC and CR NUL, requests with
/// escaped IAC, commands, malformed and cut-short subnegotiations.
fn transcript() -> Vec<u8> {
    let mut t = Vec::new();
    t.extend(b"nvt\r\0x\r\n");
    t.extend(PYSERIAL_HELLO);
    t.extend([IAC, IAC, b'\r', 0]);
    t.extend(PYSERIAL_BINARY_ACKS);
    t.extend(b"bin\r\0");
    t.extend(sb(&[1, 0, 0, 0, IAC]));
    t.extend(sb(&[2, 8]));
    t.extend(sb(&[3, 1]));
    t.extend(sb(&[4, 1]));
    t.extend(sb(&[5, 3]));
    t.extend(sb(&[0]));
    t.extend(sb(b"\x00client sig \xff"));
    t.extend([IAC, 246, IAC, 243, IAC, 241]);
    t.extend(sb(&[12, 1]));
    t.extend(sb(&[12, 2]));
    t.extend([IAC, WILL, 24, IAC, DO, 1]);
    t.extend(sb(&[2])); // malformed
    t.extend([IAC, SB, CPO, 5, 8, IAC, DO, 31]); // cut short by a negotiation
    t.extend(sb(&[7]));
    t.extend([0xFE, IAC, IAC, 0x00, 0xF0]);
    t.extend(sb(&[8]));
    t.extend(sb(&[9]));
    t.extend(b"end");
    t
}

fn run(chunks: &[&[u8]]) -> (Vec<TelnetEvent>, Vec<u8>) {
    let mut s = TelnetSession::new(config(true));
    s.notify_modem_state(0x30);
    let mut out = s.take_output();
    let mut events = Vec::new();
    for chunk in chunks {
        s.receive(chunk);
        events.extend(drain(&mut s));
        out.extend(s.take_output());
    }
    (merged(events), out)
}

#[test]
fn reference_transcript_is_what_we_expect() {
    let t = transcript();
    let (events, out) = run(&[&t]);
    use crate::ComPortRequest::*;
    assert_eq!(
        events,
        vec![
            TelnetEvent::Data(b"nvt\rx\r\n\xff\rbin\r\0".to_vec()),
            TelnetEvent::ComPort(SetBaudRate(255)),
            TelnetEvent::ComPort(SetDataSize(8)),
            TelnetEvent::ComPort(SetParity(1)),
            TelnetEvent::ComPort(SetStopSize(1)),
            TelnetEvent::ComPort(SetControl(3)),
            TelnetEvent::Break,
            TelnetEvent::ComPort(PurgeData(1)),
            TelnetEvent::ComPort(PurgeData(2)),
            TelnetEvent::Data(vec![0xFE, 0xFF, 0x00, 0xF0]),
            TelnetEvent::ComPort(FlowControlSuspend),
            TelnetEvent::ComPort(FlowControlResume),
            TelnetEvent::Data(b"end".to_vec()),
        ]
    );
    let mut expected = vec![IAC, WILL, 0, IAC, DO, 0, IAC, WILL, 3, IAC, WILL, CPO];
    expected.extend([IAC, WONT, 1, IAC, DO, 3]);
    expected.extend(sb(&[107, 0x30])); // modem state pushed once DO 44 agrees to our WILL
    expected.extend([IAC, DO, CPO]);
    expected.extend(sb(b"\x64TEST-SIG"));
    expected.extend(b"\r\n[Yes]\r\n");
    expected.extend([IAC, DONT, 24, IAC, WONT, 1, IAC, WONT, 31]);
    expected.extend(sb(&[107, 0x30])); // poll
    assert_eq!(out, expected);
}

#[test]
fn every_single_split_gives_the_same_result() {
    let t = transcript();
    let reference = run(&[&t]);
    for at in 0..=t.len() {
        let (a, b) = t.split_at(at);
        assert_eq!(run(&[a, b]), reference, "split at {at}");
    }
}

#[test]
fn byte_at_a_time_and_random_chunks_give_the_same_result() {
    let t = transcript();
    let reference = run(&[&t]);
    let singles: Vec<&[u8]> = t.chunks(1).collect();
    assert_eq!(run(&singles), reference);
    let mut rng = Rng::new(2217);
    for round in 0..200 {
        let mut chunks = Vec::new();
        let mut rest = &t[..];
        while !rest.is_empty() {
            let n = 1 + rng.below(rest.len().min(9));
            let (head, tail) = rest.split_at(n);
            chunks.push(head);
            rest = tail;
        }
        assert_eq!(run(&chunks), reference, "round {round}");
    }
}
