//! Dialing, answering, data mode, hang-up, DTR and the inactivity timer.

mod common;

use common::{actions, network, serial, show, Harness};
use m2285_modem::{DialProtocol, Mode, ModemOutput, SessionState, ONLINE_COMMAND_BUFFER};

fn dial(host: &str, port: u16, protocol: DialProtocol) -> ModemOutput {
    ModemOutput::Dial {
        host: host.into(),
        port,
        protocol,
    }
}

/// Goes to online-command mode with a clean `+++`; returns its outputs.
fn escape(h: &mut Harness) -> Vec<ModemOutput> {
    h.skip_ms(1000);
    let mut outs = h.typed(b"+++");
    outs.extend(h.advance_ms(1000));
    outs
}

#[test]
fn twelve_digit_dial_connects_into_data_mode() {
    let mut h = Harness::new();
    h.cmd("ATE0");
    let outs = h.line("atdt1921680010091002");
    assert_eq!(outs, vec![dial("192.168.1.9", 1002, DialProtocol::Raw)]);
    assert_eq!(h.emu.session(), &SessionState::Dialing);
    assert_eq!(h.emu.mode(), Mode::Command);
    h.emu.connected(h.now);
    assert_eq!(show(&serial(&h.drain())), show(b"\r\nCONNECT\r\n"));
    assert_eq!(h.emu.mode(), Mode::Data);
    assert_eq!(
        h.typed(b"hello\r\nATH\r"),
        vec![ModemOutput::ToNetwork(b"hello\r\nATH\r".to_vec())]
    );
    h.emu.network_input(b"world", h.now);
    assert_eq!(h.drain(), vec![ModemOutput::ToSerial(b"world".to_vec())]);
}

#[test]
fn dial_forms_and_protocols() {
    let cases = [
        (
            "ATD192.168.1.9:1002",
            dial("192.168.1.9", 1002, DialProtocol::Raw),
        ),
        (
            "ATDP host-1.example:7",
            dial("host-1.example", 7, DialProtocol::Raw),
        ),
        (
            "ATDRbbs.example.org:23",
            dial("bbs.example.org", 23, DialProtocol::Telnet),
        ),
        (
            "atdsSecure.Example:992",
            dial("Secure.Example", 992, DialProtocol::Ssl),
        ),
        (
            "ATDS1270000000016000",
            dial("127.0.0.1", 6000, DialProtocol::Ssl),
        ),
        ("ATE1DT[::1]:65534", dial("::1", 65534, DialProtocol::Raw)),
    ];
    for (line, want) in cases {
        let mut h = Harness::new();
        h.cmd("ATE0");
        assert_eq!(actions(&h.line(line)), vec![want], "{line}");
    }
}

#[test]
fn dial_failure_and_abort() {
    let mut h = Harness::new();
    h.cmd("ATE0");
    h.line("ATDT10.1.1.1:23");
    h.emu.connect_failed(h.now);
    assert_eq!(show(&serial(&h.drain())), show(b"\r\nNO CARRIER\r\n"));
    assert_eq!(h.emu.session(), &SessionState::Idle);
    // LF after the dial's CR does not abort; a printable key does
    let outs = h.typed(b"ATDT10.1.1.1:23\r\n");
    assert_eq!(actions(&outs).len(), 1);
    let outs = h.typed(b"x");
    assert_eq!(actions(&outs), vec![ModemOutput::Hangup]);
    assert_eq!(show(&serial(&outs)), show(b"\r\nNO CARRIER\r\n"));
    // the late result of the aborted dial is answered with a hang-up, and prints nothing
    h.emu.connected(h.now);
    assert_eq!(h.drain(), vec![ModemOutput::Hangup]);
    h.emu.connect_failed(h.now);
    assert_eq!(h.drain(), vec![]);
}

#[test]
fn answer_rings_then_connects() {
    let mut h = Harness::new();
    h.cmd("ATE0");
    assert_eq!(
        h.line("ATA2000"),
        vec![
            ModemOutput::Listen { port: 2000 },
            ModemOutput::ToSerial(b"\r\nOK\r\n".to_vec())
        ]
    );
    assert_eq!(h.emu.session(), &SessionState::Listening { port: 2000 });
    // still in command mode while listening
    assert_eq!(show(&h.cmd("AT?")), show(b"\r\nNO CARRIER\r\n"));
    h.emu.incoming_call(h.now);
    assert_eq!(
        h.drain(),
        vec![
            ModemOutput::ToSerial(b"\r\nRING\r\n".to_vec()),
            ModemOutput::Answer
        ]
    );
    assert_eq!(h.emu.settings().registers.ring_count(), 1);
    // a second caller meanwhile is refused
    h.emu.incoming_call(h.now);
    assert_eq!(h.drain(), vec![ModemOutput::RefuseCall]);
    h.emu.connected(h.now);
    assert_eq!(show(&serial(&h.drain())), show(b"\r\nCONNECT\r\n"));
    assert_eq!(h.emu.mode(), Mode::Data);
    h.emu.remote_closed(h.now);
    assert_eq!(
        h.drain(),
        vec![ModemOutput::ToSerial(b"\r\nNO CARRIER\r\n".to_vec())]
    );
    assert_eq!(h.emu.settings().registers.ring_count(), 0);
    assert_eq!(h.emu.mode(), Mode::Command);
}

#[test]
fn answer_variants() {
    let mut h = Harness::new();
    h.cmd("ATE0V0");
    h.emu.incoming_call(h.now);
    assert_eq!(h.drain(), vec![ModemOutput::RefuseCall]);
    h.line("ATA");
    h.emu.incoming_call(h.now);
    assert_eq!(
        h.drain(),
        vec![ModemOutput::ToSerial(b"2\r".to_vec()), ModemOutput::Answer]
    );
    h.emu.connect_failed(h.now);
    assert_eq!(h.drain(), vec![ModemOutput::ToSerial(b"3\r".to_vec())]);
    // ATH closes a listener; ATD replaces it
    h.line("ATA");
    assert_eq!(
        h.line("ATH"),
        vec![ModemOutput::Hangup, ModemOutput::ToSerial(b"0\r".to_vec())]
    );
    h.line("ATA");
    assert_eq!(
        h.line("ATDTh:1"),
        vec![ModemOutput::Hangup, dial("h", 1, DialProtocol::Raw)]
    );
}

#[test]
fn online_command_mode() {
    let mut h = Harness::new();
    h.cmd("ATE0");
    h.connect();
    assert_eq!(show(&serial(&escape(&mut h))), show(b"\r\nOK\r\n"));
    assert_eq!(h.emu.mode(), Mode::OnlineCommand);
    assert_eq!(show(&h.cmd("AT?")), show(b"\r\nOK\r\n"));
    assert_eq!(show(&h.cmd("ATDT1.2.3.4:5")), show(b"\r\nERROR\r\n"));
    assert_eq!(show(&h.cmd("ATA")), show(b"\r\nERROR\r\n"));
    // session data is held and delivered after ATO's OK
    h.emu.network_input(b"held", h.now);
    assert_eq!(h.drain(), vec![]);
    assert_eq!(
        show(&serial(&h.line("ATI3O"))),
        show(b"\r\nModel 2285\r\n\r\nOK\r\nheld")
    );
    assert_eq!(h.emu.mode(), Mode::Data);
    // back again, then hang up: Hangup and OK
    escape(&mut h);
    assert_eq!(
        h.line("ATH0"),
        vec![
            ModemOutput::Hangup,
            ModemOutput::ToSerial(b"\r\nOK\r\n".to_vec())
        ]
    );
    assert_eq!(h.emu.mode(), Mode::Command);
    assert_eq!(show(&h.cmd("ATO")), show(b"\r\nNO CARRIER\r\n"));
    // ATH1 keeps the session
    h.connect();
    escape(&mut h);
    assert_eq!(show(&h.cmd("ATH1")), show(b"\r\nOK\r\n"));
    assert_eq!(h.emu.session(), &SessionState::Connected);
    // ATZ hangs up and resets
    assert_eq!(
        actions(&h.line("ATZ")),
        vec![ModemOutput::Hangup, ModemOutput::Reset]
    );
}

#[test]
fn online_command_buffer_is_bounded() {
    let mut h = Harness::new();
    h.connect();
    escape(&mut h);
    h.emu
        .network_input(&vec![b'x'; ONLINE_COMMAND_BUFFER - 1], h.now);
    h.emu.network_input(b"yz", h.now);
    assert_eq!(h.emu.dropped_network_bytes(), 1);
    let got = serial(&h.line("ATO"));
    assert_eq!(
        got.len(),
        "ATO\r".len() + "\r\nOK\r\n".len() + ONLINE_COMMAND_BUFFER
    );
    assert!(got.ends_with(b"xy"));
}

#[test]
fn dtr_drop() {
    // &D2 (default): hang up from data mode
    let mut h = Harness::new();
    h.connect();
    h.emu.dtr_changed(false, h.now);
    assert_eq!(
        h.drain(),
        vec![
            ModemOutput::Hangup,
            ModemOutput::ToSerial(b"\r\nNO CARRIER\r\n".to_vec())
        ]
    );
    assert_eq!(h.emu.mode(), Mode::Command);
    // raising it again does nothing; dropping it with no session does nothing
    h.emu.dtr_changed(true, h.now);
    h.emu.dtr_changed(false, h.now);
    h.emu.dtr_changed(true, h.now);
    assert_eq!(h.drain(), vec![]);

    // &D2 also aborts a dial and closes a listener
    h.line("ATDTh:1");
    h.emu.dtr_changed(false, h.now);
    assert_eq!(actions(&h.drain()), vec![ModemOutput::Hangup]);
    h.emu.dtr_changed(true, h.now);
    h.line("ATA");
    h.emu.dtr_changed(false, h.now);
    assert_eq!(h.drain(), vec![ModemOutput::Hangup]);
    assert_eq!(h.emu.session(), &SessionState::Idle);
    h.emu.dtr_changed(true, h.now);

    // &D1: online-command mode; held pluses are still sent
    h.cmd("AT&D1");
    h.connect();
    h.skip_ms(2000);
    h.typed(b"ab");
    h.skip_ms(2000);
    assert_eq!(h.typed(b"+"), vec![]);
    h.emu.dtr_changed(false, h.now);
    assert_eq!(
        h.drain(),
        vec![
            ModemOutput::ToNetwork(b"+".to_vec()),
            ModemOutput::ToSerial(b"\r\nOK\r\n".to_vec())
        ]
    );
    assert_eq!(h.emu.mode(), Mode::OnlineCommand);
    h.emu.dtr_changed(true, h.now);

    // &D0: ignored
    h.line("AT&D0O");
    h.emu.dtr_changed(false, h.now);
    assert_eq!(h.drain(), vec![]);
    assert_eq!(h.emu.mode(), Mode::Data);
}

#[test]
fn dtr_output_follows_session_with_s1() {
    let mut h = Harness::new();
    h.cmd("ATE0");
    assert!(h.emu.dtr_output());
    assert_eq!(
        actions(&h.line("AT&S1")),
        vec![ModemOutput::DtrOutputChanged(false)]
    );
    h.line("ATDTh:1");
    h.emu.connected(h.now);
    let outs = h.drain();
    assert_eq!(actions(&outs), vec![ModemOutput::DtrOutputChanged(true)]);
    h.emu.remote_closed(h.now);
    assert_eq!(
        actions(&h.drain()),
        vec![ModemOutput::DtrOutputChanged(false)]
    );
    assert_eq!(
        actions(&h.line("AT&S0")),
        vec![ModemOutput::DtrOutputChanged(true)]
    );
}

#[test]
fn inactivity_timer_hangs_up() {
    let mut h = Harness::new();
    h.cmd("ATE0");
    assert_eq!(h.emu.next_deadline(), None);
    h.cmd("AT\\T1");
    h.connect();
    let start = h.now;
    assert_eq!(
        h.emu.next_deadline(),
        Some(start + std::time::Duration::from_secs(60))
    );
    // serial data 30 s in moves the deadline
    h.skip_ms(30_000);
    assert_eq!(network(&h.typed(b"x")), b"x");
    // network data 50 s later moves it again
    h.skip_ms(50_000);
    h.emu.network_input(b"y", h.now);
    h.drain();
    assert_eq!(h.advance_ms(59_999), vec![]);
    assert_eq!(
        h.advance_ms(1),
        vec![
            ModemOutput::Hangup,
            ModemOutput::ToSerial(b"\r\nNO CARRIER\r\n".to_vec())
        ]
    );
    assert_eq!(h.emu.mode(), Mode::Command);
    assert_eq!(h.emu.next_deadline(), None);
}

#[test]
fn inactivity_fires_before_late_input() {
    // handle_timeout is not called in time: the next event first runs the overdue hang-up
    let mut h = Harness::new();
    h.cmd("ATE0\\T2");
    h.connect();
    h.skip_ms(200_000);
    let outs = h.typed(b"AT\r");
    assert_eq!(
        outs,
        vec![
            ModemOutput::Hangup,
            ModemOutput::ToSerial(b"\r\nNO CARRIER\r\n\r\nOK\r\n".to_vec())
        ]
    );
}

#[test]
fn stray_events_are_harmless() {
    let mut h = Harness::new();
    h.emu.remote_closed(h.now);
    h.emu.connect_failed(h.now);
    h.emu.network_input(b"lost", h.now);
    assert_eq!(h.drain(), vec![]);
    h.emu.connected(h.now);
    assert_eq!(h.drain(), vec![ModemOutput::Hangup]);
    h.connect();
    h.emu.connected(h.now);
    assert_eq!(h.drain(), vec![]);
    assert_eq!(h.emu.mode(), Mode::Data);
}
