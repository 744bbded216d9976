//! User data in both directions: IAC escaping and NVT CR handling.

use super::*;
use crate::TelnetEvent;

fn nvt() -> TelnetSession {
    // Refuses BINARY both ways, like a plain telnet client that never agrees to it.
    let mut s = TelnetSession::new(config(true));
    s.receive(&[IAC, DONT, 0, IAC, WONT, 0]);
    let _ = s.take_output();
    assert!(!s.binary_receive() && !s.binary_transmit());
    s
}

fn data(s: &mut TelnetSession) -> Vec<u8> {
    let mut out = Vec::new();
    for event in drain(s) {
        match event {
            TelnetEvent::Data(d) => out.extend(d),
            other => panic!("unexpected event {other:?}"),
        }
    }
    out
}

#[test]
fn doubled_iac_is_one_data_byte() {
    let mut s = agreed();
    s.receive(&[1, IAC, IAC, 2, IAC]);
    s.receive(&[IAC, 3]);
    assert_eq!(data(&mut s), vec![1, IAC, 2, IAC, 3]);
}

#[test]
fn nvt_input_folds_cr_nul_and_keeps_cr_lf() {
    let mut s = nvt();
    s.receive(b"a\r\0b\r\nc\r\r\0d\0");
    assert_eq!(data(&mut s), b"a\rb\r\nc\r\rd\0".to_vec());
    // Split between CR and NUL.
    s.receive(b"x\r");
    s.receive(b"\0y");
    assert_eq!(data(&mut s), b"x\ry".to_vec());
}

#[test]
fn binary_input_keeps_cr_nul() {
    let mut s = agreed();
    s.receive(b"a\r\0b");
    assert_eq!(data(&mut s), b"a\r\0b".to_vec());
}

#[test]
fn binary_output_only_doubles_iac() {
    let mut s = agreed();
    s.send_data(&[b'\r', 0, IAC, b'\n', b'\r']);
    assert_eq!(s.take_output(), vec![b'\r', 0, IAC, IAC, b'\n', b'\r']);
}

#[test]
fn nvt_output_sends_bare_cr_as_cr_nul() {
    let mut s = nvt();
    s.send_data(b"a\rb\r\nc\r");
    s.send_data(&[IAC, b'\r', IAC]);
    assert_eq!(
        s.take_output(),
        b"a\r\0b\r\nc\r\0\xff\xff\r\0\xff\xff".to_vec()
    );
}

#[test]
fn output_can_be_drained_into_a_buffer() {
    let mut s = agreed();
    assert!(!s.has_output());
    s.send_data(b"xy");
    assert!(s.has_output());
    let mut buf = b"pre".to_vec();
    s.drain_output_into(&mut buf);
    assert_eq!(buf, b"prexy".to_vec());
    assert!(!s.has_output());
}
