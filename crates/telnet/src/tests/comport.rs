//! RFC 2217 requests, replies and notifications through the session, byte for byte.

use super::*;
use crate::values::{line_state, modem_state};
use crate::{ComPortReply, ComPortRequest, TelnetEvent};

fn one_request(s: &mut TelnetSession, payload: &[u8]) -> ComPortRequest {
    s.receive(&sb(payload));
    match drain(s).as_slice() {
        [TelnetEvent::ComPort(r)] => *r,
        other => panic!("payload {payload:?} gave {other:?}, expected one request"),
    }
}

#[test]
fn every_request_yields_exactly_one_event() {
    use ComPortRequest::*;
    let mut s = agreed();
    let cases: &[(&[u8], ComPortRequest)] = &[
        (&[1, 0, 1, 0xC2, 0], SetBaudRate(115_200)),
        (&[1, 0, 0, 0, 0], SetBaudRate(0)),
        (&[1, 0, 0, 0, IAC], SetBaudRate(255)),
        (&[2, 7], SetDataSize(7)),
        (&[2, 0], SetDataSize(0)),
        (&[3, 3], SetParity(3)),
        (&[4, 3], SetStopSize(3)),
        (&[5, 1], SetControl(1)),
        (&[5, 19], SetControl(19)),
        (&[10, 0xFF], SetLineStateMask(0xFF)),
        (&[11, 0x30], SetModemStateMask(0x30)),
        (&[12, 1], PurgeData(1)),
        (&[12, 2], PurgeData(2)),
        (&[12, 3], PurgeData(3)),
        (&[8], FlowControlSuspend),
        (&[9], FlowControlResume),
    ];
    for (payload, expected) in cases {
        assert_eq!(one_request(&mut s, payload), *expected);
    }
    assert!(
        s.take_output().is_empty(),
        "requests are answered by the device"
    );
}

#[test]
fn set_control_values_all_decode() {
    let mut s = agreed();
    for v in 0..=19u8 {
        let r = one_request(&mut s, &[5, v]);
        assert_eq!(r, ComPortRequest::SetControl(v));
        assert!(crate::Control::from_wire(v).is_some());
    }
}

#[test]
fn replies_use_server_codes_and_escape_iac() {
    let mut s = agreed();
    s.reply(ComPortReply::BaudRate(115_200));
    s.reply(ComPortReply::BaudRate(255));
    s.reply(ComPortReply::DataSize(8));
    s.reply(ComPortReply::Parity(1));
    s.reply(ComPortReply::StopSize(1));
    s.reply(ComPortReply::Control(8));
    s.reply(ComPortReply::PurgeData(1));
    s.reply(ComPortReply::PurgeData(2));
    let mut expected = Vec::new();
    for p in [
        &[101, 0, 1, 0xC2, 0][..],
        &[101, 0, 0, 0, IAC],
        &[102, 8],
        &[103, 1],
        &[104, 1],
        &[105, 8],
        &[112, 1],
        &[112, 2],
    ] {
        expected.extend(sb(p));
    }
    assert_eq!(s.take_output(), expected);
    assert!(expected
        .windows(10)
        .any(|w| w == [IAC, SB, CPO, 101, 0, 0, 0, IAC, IAC, IAC]));
}

#[test]
fn signature_query_and_client_signature() {
    let mut s = agreed();
    s.receive(&sb(&[0]));
    assert_eq!(s.take_output(), sb(b"\x64TEST-SIG"));
    s.receive(&sb(b"\x00pyserial client"));
    assert!(
        s.take_output().is_empty(),
        "client signature accepted silently"
    );
    assert!(drain(&mut s).is_empty());
}

#[test]
fn masks_apply_at_request_and_reply() {
    let mut s = agreed();
    assert_eq!(s.modem_state_mask(), 255);
    assert_eq!(s.line_state_mask(), 0);
    assert_eq!(
        one_request(&mut s, &[11, modem_state::CTS]),
        ComPortRequest::SetModemStateMask(modem_state::CTS)
    );
    assert_eq!(s.modem_state_mask(), modem_state::CTS);
    s.reply(ComPortReply::ModemStateMask(modem_state::CTS));
    assert_eq!(s.take_output(), sb(&[111, modem_state::CTS]));
    s.notify_modem_state(modem_state::DSR);
    assert!(s.take_output().is_empty(), "DSR is masked out");
    s.notify_modem_state(modem_state::DSR | modem_state::CTS);
    assert_eq!(s.take_output(), sb(&[107, modem_state::CTS]));

    one_request(&mut s, &[10, line_state::BREAK_DETECT]);
    s.reply(ComPortReply::LineStateMask(line_state::BREAK_DETECT));
    assert_eq!(s.take_output(), sb(&[110, line_state::BREAK_DETECT]));
    s.notify_line_state(line_state::DATA_READY);
    assert!(s.take_output().is_empty());
    s.notify_line_state(line_state::BREAK_DETECT | line_state::DATA_READY);
    assert_eq!(s.take_output(), sb(&[106, line_state::BREAK_DETECT]));
}

#[test]
fn modem_state_pushed_on_agreement_then_on_change() {
    let mut s = TelnetSession::new(config(true));
    s.notify_modem_state(modem_state::CTS | modem_state::DSR);
    s.notify_line_state(line_state::OVERRUN_ERROR);
    let _ = s.take_output();
    s.receive(&[IAC, WILL, CPO]);
    let mut expected = vec![IAC, DO, CPO];
    expected.extend(sb(&[107, modem_state::CTS | modem_state::DSR]));
    assert_eq!(s.take_output(), expected);
    s.notify_modem_state(modem_state::CTS | modem_state::DSR);
    assert!(s.take_output().is_empty(), "unchanged");
    s.notify_modem_state(modem_state::CTS | modem_state::DSR | modem_state::CD);
    assert_eq!(
        s.take_output(),
        sb(&[
            107,
            modem_state::CTS | modem_state::DSR | modem_state::CD | modem_state::DELTA_CD
        ])
    );
    s.notify_line_state(line_state::OVERRUN_ERROR);
    assert!(s.take_output().is_empty(), "default line mask is 0");
}

#[test]
fn no_modem_push_on_agreement_when_never_reported() {
    let mut s = TelnetSession::new(config(true));
    let _ = s.take_output();
    s.receive(&[IAC, WILL, CPO]);
    assert_eq!(s.take_output(), vec![IAC, DO, CPO]);
}

#[test]
fn client_polls_are_answered_from_the_cache() {
    let mut s = agreed();
    s.receive(&sb(&[7]));
    assert_eq!(s.take_output(), sb(&[107, 0]), "never reported: 0");
    s.notify_modem_state(modem_state::RI);
    let _ = s.take_output();
    s.receive(&sb(&[7]));
    assert_eq!(s.take_output(), sb(&[107, modem_state::RI]));
    s.receive(&sb(&[6]));
    assert_eq!(s.take_output(), sb(&[106, 0]));
    assert!(drain(&mut s).is_empty());
}

#[test]
fn cisco_one_byte_baud_is_answered_in_kind() {
    let mut s = agreed();
    assert_eq!(
        one_request(&mut s, &[1, 14]),
        ComPortRequest::SetBaudRate(115_200)
    );
    s.reply(ComPortReply::BaudRate(115_200));
    assert_eq!(s.take_output(), sb(&[101, 14]));
    // A four-byte request switches back.
    one_request(&mut s, &[1, 0, 0, 0x25, 0x80]);
    s.reply(ComPortReply::BaudRate(9600));
    assert_eq!(s.take_output(), sb(&[101, 0, 0, 0x25, 0x80]));
}

#[test]
fn server_flow_control() {
    let mut s = agreed();
    s.send_flow_control(true);
    s.send_flow_control(false);
    let mut expected = sb(&[108]);
    expected.extend(sb(&[109]));
    assert_eq!(s.take_output(), expected);
}

#[test]
fn malformed_subnegotiations_are_dropped_data_kept() {
    let mut s = agreed();
    let mut input = b"ab".to_vec();
    input.extend(sb(&[2])); // SET-DATASIZE without value
    input.extend(b"cd");
    input.extend(sb(&[99, 1])); // unknown command
    input.extend([IAC, SB, 24, 1, IAC, SE]); // TTYPE SEND, an option we refused
    input.extend(sb(&[105, 1])); // a server code sent by the client
    input.extend([IAC, SB, CPO, 2, 8, IAC, 243]); // unterminated, cut by IAC BRK
    input.extend(b"ef");
    s.receive(&input);
    assert_eq!(
        merged(drain(&mut s)),
        vec![
            TelnetEvent::Data(b"abcd".to_vec()),
            TelnetEvent::Break,
            TelnetEvent::Data(b"ef".to_vec()),
        ]
    );
    assert!(s.take_output().is_empty());
    assert_eq!(s.dropped_subnegotiations(), 5);
}

#[test]
fn over_long_subnegotiation_is_dropped() {
    let mut s = agreed();
    let mut payload = vec![0];
    payload.extend(std::iter::repeat_n(b'S', 2000));
    let mut input = b"<".to_vec();
    input.extend(sb(&payload));
    input.extend(b">");
    s.receive(&input);
    assert_eq!(
        merged(drain(&mut s)),
        vec![TelnetEvent::Data(b"<>".to_vec())]
    );
    assert!(s.take_output().is_empty());
    assert_eq!(s.dropped_subnegotiations(), 1);
}

#[test]
fn requests_before_agreement_are_ignored() {
    let mut s = TelnetSession::new(config(true));
    let _ = s.take_output();
    s.receive(&sb(&[1, 0, 0, 0x25, 0x80]));
    assert!(drain(&mut s).is_empty());
    s.reply(ComPortReply::BaudRate(9600));
    assert!(s.take_output().is_empty());
}
