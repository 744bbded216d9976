//! The `+++` escape on synthetic time: guard before, pluses within the guard, guard after.

mod common;

use std::time::Duration;

use common::{network, serial, show, Harness};
use m2285_modem::{Mode, ModemOutput};

/// Connected with echo off; data mode entered at t = 0.
fn online() -> Harness {
    let mut h = Harness::new();
    h.cmd("ATE0");
    h.connect();
    assert_eq!(h.now, m2285_modem::Instant::ZERO);
    h
}

fn ok() -> Vec<ModemOutput> {
    vec![ModemOutput::ToSerial(b"\r\nOK\r\n".to_vec())]
}

#[test]
fn clean_escape_needs_silence_after() {
    let mut h = online();
    h.skip_ms(1000);
    assert_eq!(h.typed(b"+++"), vec![]);
    assert_eq!(h.emu.next_deadline(), Some(h.now + Duration::from_secs(1)));
    assert_eq!(h.advance_ms(999), vec![]);
    assert_eq!(h.emu.mode(), Mode::Data);
    assert_eq!(h.advance_ms(1), ok());
    assert_eq!(h.emu.mode(), Mode::OnlineCommand);
    assert_eq!(h.emu.next_deadline(), None);
}

#[test]
fn pluses_typed_one_by_one_within_the_guard() {
    let mut h = online();
    h.skip_ms(1500);
    assert_eq!(h.typed(b"+"), vec![]);
    h.skip_ms(999);
    assert_eq!(h.typed(b"+"), vec![]);
    h.skip_ms(500);
    assert_eq!(h.typed(b"+"), vec![]);
    assert_eq!(h.advance_ms(1000), ok());
}

#[test]
fn no_silence_before_means_data() {
    let mut h = online();
    // right after CONNECT: less than a guard time of silence
    h.skip_ms(999);
    assert_eq!(
        h.typed(b"+++"),
        vec![ModemOutput::ToNetwork(b"+++".to_vec())]
    );
    assert_eq!(h.advance_ms(5000), vec![]);
    // a+++b in one piece
    assert_eq!(
        h.typed(b"a+++b"),
        vec![ModemOutput::ToNetwork(b"a+++b".to_vec())]
    );
    // a, pause, +++ after only half a guard
    h.skip_ms(2000);
    h.typed(b"a");
    h.skip_ms(500);
    assert_eq!(
        h.typed(b"+++"),
        vec![ModemOutput::ToNetwork(b"+++".to_vec())]
    );
    assert_eq!(h.advance_ms(2000), vec![]);
    assert_eq!(h.emu.mode(), Mode::Data);
}

#[test]
fn byte_inside_the_after_guard_cancels_and_keeps_order() {
    let mut h = online();
    h.skip_ms(1000);
    assert_eq!(h.typed(b"a"), vec![ModemOutput::ToNetwork(b"a".to_vec())]);
    h.skip_ms(1000);
    assert_eq!(h.typed(b"+++"), vec![]);
    h.skip_ms(999);
    assert_eq!(
        h.typed(b"b"),
        vec![ModemOutput::ToNetwork(b"+++b".to_vec())]
    );
    assert_eq!(h.emu.next_deadline(), None);
    assert_eq!(h.advance_ms(5000), vec![]);
    assert_eq!(h.emu.mode(), Mode::Data);
}

#[test]
fn four_pluses_are_data() {
    let mut h = online();
    h.skip_ms(1000);
    assert_eq!(
        h.typed(b"++++"),
        vec![ModemOutput::ToNetwork(b"++++".to_vec())]
    );
    assert_eq!(h.advance_ms(5000), vec![]);
    h.skip_ms(1000);
    assert_eq!(h.typed(b"+++"), vec![]);
    h.skip_ms(10);
    assert_eq!(
        h.typed(b"+"),
        vec![ModemOutput::ToNetwork(b"++++".to_vec())]
    );
}

#[test]
fn slow_pluses_are_released_by_the_timer() {
    let mut h = online();
    h.skip_ms(1000);
    assert_eq!(h.typed(b"+"), vec![]);
    // the next plus exactly one guard later is too late: the first is data
    h.skip_ms(1000);
    assert_eq!(h.typed(b"+"), vec![ModemOutput::ToNetwork(b"+".to_vec())]);
    // ... but it starts a new sequence, since a guard of silence preceded it
    h.skip_ms(100);
    assert_eq!(h.typed(b"++"), vec![]);
    assert_eq!(h.advance_ms(1000), ok());
}

#[test]
fn a_lone_plus_is_sent_when_it_cannot_be_an_escape_any_more() {
    let mut h = online();
    h.skip_ms(3000);
    assert_eq!(h.typed(b"++"), vec![]);
    assert_eq!(h.emu.next_deadline(), Some(h.now + Duration::from_secs(1)));
    assert_eq!(
        h.advance_ms(1000),
        vec![ModemOutput::ToNetwork(b"++".to_vec())]
    );
    assert_eq!(h.emu.next_deadline(), None);
}

#[test]
fn network_data_flows_during_the_guard() {
    let mut h = online();
    h.skip_ms(1000);
    h.typed(b"+++");
    h.skip_ms(500);
    h.emu.network_input(b"from peer", h.now);
    assert_eq!(
        h.drain(),
        vec![ModemOutput::ToSerial(b"from peer".to_vec())]
    );
    assert_eq!(h.advance_ms(500), ok());
    // now held until ATO
    h.emu.network_input(b"later", h.now);
    assert_eq!(h.drain(), vec![]);
    assert_eq!(show(&serial(&h.line("ATO"))), show(b"\r\nOK\r\nlater"));
}

#[test]
fn a_byte_exactly_at_the_deadline_comes_after_the_escape() {
    let mut h = online();
    h.skip_ms(1000);
    h.typed(b"+++");
    h.skip_ms(1000);
    // no handle_timeout: the escape is due and runs before the byte
    let outs = h.typed(b"AT\r");
    assert_eq!(show(&serial(&outs)), show(b"\r\nOK\r\n\r\nOK\r\n"));
    assert_eq!(network(&outs), b"");
    assert_eq!(h.emu.mode(), Mode::OnlineCommand);
}

#[test]
fn guard_restarts_after_ato() {
    let mut h = online();
    h.skip_ms(1000);
    h.typed(b"+++");
    h.advance_ms(1000);
    h.skip_ms(5000);
    h.line("ATO");
    // the silence before the next escape counts from ATO's CR
    h.skip_ms(500);
    assert_eq!(
        h.typed(b"+++"),
        vec![ModemOutput::ToNetwork(b"+++".to_vec())]
    );
}

#[test]
fn s2_and_s12_change_the_escape() {
    let mut h = online();
    h.skip_ms(1000);
    h.typed(b"+++");
    h.advance_ms(1000);
    h.cmd("ATS2=42S12=5O");
    h.skip_ms(100);
    assert_eq!(
        h.typed(b"+++"),
        vec![ModemOutput::ToNetwork(b"+++".to_vec())]
    );
    h.skip_ms(100);
    assert_eq!(h.typed(b"***"), vec![]);
    assert_eq!(h.advance_ms(99), vec![]);
    assert_eq!(h.advance_ms(1), ok());
    // S12=0 disables the escape
    h.cmd("ATS12=0O");
    h.skip_ms(5000);
    assert_eq!(
        h.typed(b"***"),
        vec![ModemOutput::ToNetwork(b"***".to_vec())]
    );
    assert_eq!(h.emu.next_deadline(), None);
    assert_eq!(h.advance_ms(5000), vec![]);
}

#[test]
fn s2_above_127_disables_the_escape() {
    let mut h = online();
    h.skip_ms(1000);
    h.typed(b"+++");
    h.advance_ms(1000);
    h.cmd("ATS2=200O");
    h.skip_ms(5000);
    assert_eq!(
        h.typed(&[200, 200, 200]),
        vec![ModemOutput::ToNetwork(vec![200, 200, 200])]
    );
    assert_eq!(h.advance_ms(5000), vec![]);
}

#[test]
fn escape_result_obeys_q_and_v() {
    let mut h = Harness::new();
    h.cmd("ATE0V0");
    h.connect();
    h.skip_ms(1000);
    h.typed(b"+++");
    assert_eq!(
        h.advance_ms(1000),
        vec![ModemOutput::ToSerial(b"0\r".to_vec())]
    );
    h.cmd("ATQ1O");
    h.skip_ms(1000);
    h.typed(b"+++");
    assert_eq!(h.advance_ms(1000), vec![]);
    assert_eq!(h.emu.mode(), Mode::OnlineCommand);
}
