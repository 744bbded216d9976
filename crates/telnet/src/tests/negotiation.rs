//! Option negotiation transcripts, byte for byte.

use super::*;
use crate::TelnetEvent;

#[test]
fn opening_with_rfc2217() {
    let mut s = TelnetSession::new(config(true));
    assert_eq!(
        s.take_output(),
        vec![IAC, WILL, 0, IAC, DO, 0, IAC, WILL, 3, IAC, WILL, CPO]
    );
    assert!(!s.com_port_enabled());
    assert!(s.take_output().is_empty(), "output is drained");
}

#[test]
fn opening_without_rfc2217() {
    let mut s = TelnetSession::new(config(false));
    assert_eq!(
        s.take_output(),
        vec![IAC, WILL, 0, IAC, DO, 0, IAC, WILL, 3]
    );
}

#[test]
fn pyserial_handshake_transcript() {
    let mut s = TelnetSession::new(config(true));
    let _ = s.take_output();
    s.receive(PYSERIAL_HELLO);
    // DO ECHO refused; WILL SGA accepted; DO SGA and DO 44 acknowledge our WILLs (no answer);
    // WILL 44 accepted.
    assert_eq!(
        s.take_output(),
        vec![IAC, WONT, 1, IAC, DO, 3, IAC, DO, CPO]
    );
    assert!(s.com_port_enabled());
    s.receive(PYSERIAL_BINARY_ACKS);
    assert!(
        s.take_output().is_empty(),
        "acknowledgements are not answered"
    );
    assert!(s.binary_receive() && s.binary_transmit());
    assert!(drain(&mut s).is_empty());
}

#[test]
fn gensio_style_client_gets_do_com_port() {
    // A client that only offers WILL COM-PORT and refuses our WILL COM-PORT.
    let mut s = TelnetSession::new(config(true));
    let _ = s.take_output();
    s.receive(&[IAC, WILL, CPO, IAC, DONT, CPO, IAC, DONT, 0, IAC, WONT, 0]);
    assert_eq!(s.take_output(), vec![IAC, DO, CPO]);
    assert!(s.com_port_enabled());
    assert!(!s.binary_receive() && !s.binary_transmit());
}

#[test]
fn every_unsupported_option_is_refused_once() {
    let mut s = agreed();
    // TTYPE, NAWS, LINEMODE, KERMIT offered; ECHO, TIMING-MARK, KERMIT, STATUS requested.
    s.receive(&[
        IAC, WILL, 24, IAC, WILL, 31, IAC, WILL, 34, IAC, WILL, 47, IAC, DO, 1, IAC, DO, 6, IAC,
        DO, 47, IAC, DO, 5,
    ]);
    assert_eq!(
        s.take_output(),
        vec![
            IAC, DONT, 24, IAC, DONT, 31, IAC, DONT, 34, IAC, DONT, 47, IAC, WONT, 1, IAC, WONT, 6,
            IAC, WONT, 47, IAC, WONT, 5
        ]
    );
    // Their acknowledgements (or spontaneous refusals) are not answered.
    s.receive(&[IAC, WONT, 24, IAC, DONT, 1, IAC, WONT, 200, IAC, DONT, 255]);
    assert!(s.take_output().is_empty());
}

#[test]
fn com_port_refused_when_rfc2217_off() {
    let mut s = TelnetSession::new(config(false));
    let _ = s.take_output();
    s.receive(PYSERIAL_HELLO);
    assert_eq!(
        s.take_output(),
        vec![IAC, WONT, 1, IAC, DO, 3, IAC, WONT, CPO, IAC, DONT, CPO]
    );
    assert!(!s.com_port_enabled());
    let mut req = sb(&[1, 0, 0, 0x25, 0x80]);
    req.extend(sb(&[0]));
    s.receive(&req);
    assert!(drain(&mut s).is_empty(), "COM-PORT requests ignored");
    assert!(s.take_output().is_empty(), "and never answered");
    s.reply(crate::ComPortReply::BaudRate(9600));
    s.notify_modem_state(0xF0);
    s.send_flow_control(true);
    assert!(s.take_output().is_empty());
    assert_eq!(s.dropped_subnegotiations(), 2);
}

#[test]
fn refusal_of_our_offers_is_silent() {
    let mut s = TelnetSession::new(config(true));
    let _ = s.take_output();
    s.receive(&[IAC, DONT, 0, IAC, WONT, 0, IAC, DONT, 3, IAC, DONT, CPO]);
    assert!(s.take_output().is_empty());
    assert!(!s.com_port_enabled());
}

#[test]
fn disabling_an_agreed_option_is_acknowledged() {
    let mut s = agreed();
    s.receive(&[IAC, WONT, 0, IAC, DONT, 0]);
    assert_eq!(s.take_output(), vec![IAC, DONT, 0, IAC, WONT, 0]);
    assert!(!s.binary_receive() && !s.binary_transmit());
    // And re-enabling works.
    s.receive(&[IAC, WILL, 0]);
    assert_eq!(s.take_output(), vec![IAC, DO, 0]);
    s.receive(&[IAC, WONT, CPO, IAC, DONT, CPO]);
    assert_eq!(s.take_output(), vec![IAC, DONT, CPO, IAC, WONT, CPO]);
    assert!(!s.com_port_enabled());
}

#[test]
fn commands_ayt_break_nop() {
    let mut s = agreed();
    s.receive(&[
        b'a', b'b', IAC, 243, b'c', IAC, 241, b'd', IAC, 246, IAC, 244, IAC, 242,
    ]);
    assert_eq!(
        drain(&mut s),
        vec![
            TelnetEvent::Data(b"ab".to_vec()),
            TelnetEvent::Break,
            TelnetEvent::Data(b"cd".to_vec()),
        ]
    );
    assert_eq!(s.take_output(), b"\r\n[Yes]\r\n".to_vec());
}
