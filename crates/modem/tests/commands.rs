//! Every AT command of the 2285 table with its exact response bytes, verbose and numeric, plus
//! line editing, chaining and `A/`.

mod common;

use common::{actions, serial, show, Harness};
use m2285_modem::{
    DtrDropAction, DtrOutputMode, Flow, Mode, ModemOptions, ModemOutput, ModemSettings,
    MAX_COMMAND_LINE,
};

const OK: (&str, &str) = ("\r\nOK\r\n", "0\r");
const ERROR: (&str, &str) = ("\r\nERROR\r\n", "4\r");
const NO_CARRIER: (&str, &str) = ("\r\nNO CARRIER\r\n", "3\r");
const VENDOR: (&str, &str) = (
    "\r\nPatton Electronics Co.\r\n\r\nOK\r\n",
    "Patton Electronics Co.\r\n0\r",
);
const MODEL: (&str, &str) = ("\r\nModel 2285\r\n\r\nOK\r\n", "Model 2285\r\n0\r");
/// Responses that switch the format themselves.
const TO_NUMERIC: (&str, &str) = ("0\r", "0\r");
const TO_VERBOSE: (&str, &str) = ("\r\nOK\r\n", "\r\nOK\r\n");
const SILENT: (&str, &str) = ("", "");

fn reg(v: &str) -> (String, String) {
    (format!("\r\n{v}\r\n\r\nOK\r\n"), format!("{v}\r\n0\r"))
}

/// (command line, verbose response, numeric response), starting from E0 and the given V.
fn table() -> Vec<(&'static str, (String, String))> {
    let s = |(v, n): (&str, &str)| (v.to_owned(), n.to_owned());
    let mut t = vec![
        ("AT", s(OK)),
        ("at", s(OK)),
        ("AT?", s(NO_CARRIER)),
        ("ATE0", s(OK)),
        ("ATE1", s(OK)),
        ("ATE", s(OK)),
        ("ATE2", s(ERROR)),
        ("ATO", s(NO_CARRIER)),
        ("ATO0", s(NO_CARRIER)),
        ("ATO1", s(NO_CARRIER)),
        ("ATO2", s(ERROR)),
        ("ATQ0", s(OK)),
        ("ATQ", s(OK)),
        ("ATQ1", s(SILENT)),
        ("ATQ2", s(ERROR)),
        ("ATV0", s(TO_NUMERIC)),
        ("ATV", s(TO_NUMERIC)),
        ("ATV1", s(TO_VERBOSE)),
        ("ATV2", s(ERROR)),
        ("AT&D", s(OK)),
        ("AT&D0", s(OK)),
        ("AT&D1", s(OK)),
        ("AT&D2", s(OK)),
        ("AT&D3", s(ERROR)),
        ("AT&F", s(TO_VERBOSE)),
        ("AT&F0", s(TO_VERBOSE)),
        ("AT&F1", s(TO_VERBOSE)),
        ("AT&F2", s(ERROR)),
        ("AT&K", s(OK)),
        ("AT&K3", s(OK)),
        ("AT&K1", s(ERROR)),
        ("AT&K2", s(ERROR)),
        ("AT&K5", s(ERROR)),
        ("AT&S", s(OK)),
        ("AT&S0", s(OK)),
        ("AT&S2", s(ERROR)),
        ("ATH", s(OK)),
        ("ATH0", s(OK)),
        ("ATH1", s(OK)),
        ("ATH2", s(ERROR)),
        ("ATI", s(VENDOR)),
        ("ATI0", s(VENDOR)),
        ("ati3", s(MODEL)),
        ("ATI1", s(OK)),
        ("ATI2", s(OK)),
        ("ATI4", s(OK)),
        ("ATI9", s(OK)),
        ("AT\\T", s(OK)),
        ("AT\\T0", s(OK)),
        ("AT\\T5", s(OK)),
        ("AT\\T255", s(OK)),
        ("AT\\T256", s(ERROR)),
        ("ATS0=2", s(OK)),
        ("ATS0=255", s(OK)),
        ("ATS0=256", s(ERROR)),
        ("ATS0?", reg("000")),
        ("ATS1?", reg("000")),
        ("ATS2?", reg("043")),
        ("ATS3?", reg("013")),
        ("ATS4?", reg("010")),
        ("ATS5?", reg("008")),
        ("ATS12?", reg("050")),
        ("ATS12=25", s(OK)),
        ("ATS1=1", s(ERROR)),
        ("ATS6?", s(ERROR)),
        ("ATS7=30", s(ERROR)),
        ("ATS99?", s(ERROR)),
        ("ATS0", s(ERROR)),
        ("ATF1", s(OK)),
        ("ATF", s(ERROR)),
        ("ATF0", s(ERROR)),
        ("ATF2", s(ERROR)),
        ("ATW", s(OK)),
        ("ATW0", s(OK)),
        ("ATW1", s(ERROR)),
        ("AT&C", s(ERROR)),
        ("AT&C1", s(ERROR)),
        ("AT&W", s(ERROR)),
        ("AT&W0", s(ERROR)),
        ("AT&Z0=5551234", s(ERROR)),
        ("ATZ", s(TO_VERBOSE)),
        ("ATZ0", s(TO_VERBOSE)),
        ("ATZ1", s(TO_VERBOSE)),
        ("ATZ2", s(ERROR)),
        ("ATD", s(ERROR)),
        ("ATDT", s(ERROR)),
        ("ATDTexample.org", s(ERROR)),
        ("ATDTexample.org:65535", s(ERROR)),
        ("ATDTexample.org:0", s(ERROR)),
        ("ATDT192168001009", s(ERROR)),
        ("ATDT1921680010090", s(ERROR)),
        ("ATDT300168001009100", s(ERROR)),
        ("ATA65536", s(ERROR)),
        ("ATK", s(ERROR)),
        ("ATG", s(ERROR)),
        ("AT!", s(ERROR)),
        ("AT&", s(ERROR)),
        ("AT&X", s(ERROR)),
        ("AT%", s(ERROR)),
        ("AT%D1", s(ERROR)),
        ("AT\\", s(ERROR)),
        ("AT\\Q", s(ERROR)),
        ("AT\u{e9}", s(ERROR)),
        ("ATI99999999999", s(ERROR)),
    ];
    // The manual's list of accepted no-ops.
    for noop in [
        "ATB0", "ATB1", "ATC1", "ATL2", "ATM0", "ATM1", "ATN1", "ATP", "ATT", "ATY0", "AT%C0",
        "AT%C1", "AT%E1", "AT&B1", "AT&G0", "AT&I0", "AT&Q5", "AT&V", "AT\\A1", "AT\\B2", "AT\\N3",
        "ATX4", "ATX", "at%e0", "at&v0",
    ] {
        t.push((noop, s(OK)));
    }
    t
}

#[test]
fn every_command_verbose_and_numeric() {
    for (line, (verbose, numeric)) in table() {
        for (setup, want) in [("ATE0", &verbose), ("ATE0V0", &numeric)] {
            let mut h = Harness::new();
            h.cmd(setup);
            let got = serial(&h.line(line));
            assert_eq!(show(&got), show(want.as_bytes()), "{line} after {setup}");
        }
    }
}

#[test]
fn command_actions() {
    let cases: Vec<(&str, Vec<ModemOutput>)> = vec![
        ("ATZ", vec![ModemOutput::Reset]),
        (
            "AT&K4",
            vec![ModemOutput::FlowControlChanged(Flow::XonXoff)],
        ),
        ("AT&K0", vec![ModemOutput::FlowControlChanged(Flow::None)]),
        ("AT&K3", vec![]),
        ("AT&S1", vec![ModemOutput::DtrOutputChanged(false)]),
        ("ATA", vec![ModemOutput::Listen { port: 7001 }]),
        ("ATA0", vec![ModemOutput::Listen { port: 7001 }]),
        ("ATA2000", vec![ModemOutput::Listen { port: 2000 }]),
        ("ATH0", vec![]),
    ];
    for (line, want) in cases {
        let mut h = Harness::new();
        let outs = h.line(line);
        assert_eq!(actions(&outs), want, "{line}");
    }
}

#[test]
fn echo_is_byte_for_byte_before_the_result() {
    let mut h = Harness::new();
    assert_eq!(show(&h.cmd("xyAT")), show(b"xyAT\r\r\nOK\r\n"));
    assert_eq!(show(&h.cmd("ATE0")), show(b"ATE0\r\r\nOK\r\n"));
    assert_eq!(show(&h.cmd("ATE1")), show(b"\r\nOK\r\n"));
    assert_eq!(
        show(&serial(&h.typed(b"AT\n\r"))),
        show(b"AT\n\r\r\nOK\r\n")
    );
}

#[test]
fn lf_is_tolerated_and_garbage_without_at_gets_no_answer() {
    let mut h = Harness::new();
    h.cmd("ATE0");
    assert_eq!(show(&serial(&h.typed(b"AT\r\n"))), show(b"\r\nOK\r\n"));
    assert_eq!(serial(&h.typed(b"hello world\r\n")), b"");
    assert_eq!(
        show(&serial(&h.typed(b"\r\nAT\nI3\r"))),
        show(MODEL.0.as_bytes())
    );
}

#[test]
fn chained_commands_run_left_to_right() {
    let mut h = Harness::new();
    assert_eq!(show(&h.cmd("ATE0V0Q0")), show(b"ATE0V0Q0\r0\r"));
    let st = h.emu.settings();
    assert!(!st.echo && !st.verbose && !st.quiet);
    // spaces and case do not matter; info lines come before the single final code
    assert_eq!(
        show(&serial(&h.line("at v1 i3 s2? &k4"))),
        show(b"\r\nModel 2285\r\n\r\n043\r\n\r\nOK\r\n")
    );
    assert_eq!(h.emu.settings().flow, Flow::XonXoff);
    // a syntax error anywhere: ERROR and nothing changes
    assert_eq!(show(&h.cmd("ATE1Q1&K0J")), show(b"\r\nERROR\r\n"));
    let st = h.emu.settings();
    assert!(!st.echo && !st.quiet && st.flow == Flow::XonXoff);
    // a command refused at run time stops the line; what ran before stays
    assert_eq!(show(&h.cmd("ATV0?E1")), show(b"3\r"));
    assert!(!h.emu.settings().verbose && !h.emu.settings().echo);
    // &Z takes the rest of the line
    h.cmd("ATV1");
    assert_eq!(show(&h.cmd("AT&Z=E1Q1")), show(ERROR.0.as_bytes()));
    assert!(!h.emu.settings().echo);
}

#[test]
fn chained_settings_and_defaults() {
    let mut h = Harness::new();
    h.cmd("ATE0");
    h.line("AT&D0&K4&S1\\T7S0=3S2=42S12=10Q1V0");
    let st = h.emu.settings();
    assert_eq!(st.dtr_drop, DtrDropAction::Ignore);
    assert_eq!(st.dtr_output, DtrOutputMode::FollowsSession);
    assert_eq!(st.inactivity_minutes, 7);
    assert_eq!(st.registers.get(0), Some(3));
    assert_eq!(st.registers.escape_char(), Some(b'*'));
    assert_eq!(st.registers.get(12), Some(10));
    assert!(st.quiet && !st.verbose);
    let outs = h.line("AT&F");
    assert_eq!(h.emu.settings(), &ModemSettings::factory());
    assert_eq!(
        actions(&outs),
        vec![
            ModemOutput::FlowControlChanged(Flow::RtsCts),
            ModemOutput::DtrOutputChanged(true)
        ]
    );
    assert_eq!(show(&serial(&outs)), show(b"\r\nOK\r\n"));
}

#[test]
fn repeat_last_line() {
    let mut h = Harness::new();
    // before any line A/ runs an empty line
    assert_eq!(show(&serial(&h.typed(b"A/"))), show(b"A/\r\nOK\r\n"));
    h.cmd("ATE0");
    assert_eq!(show(&h.cmd("ATI3")), show(MODEL.0.as_bytes()));
    assert_eq!(show(&serial(&h.typed(b"A/"))), show(MODEL.0.as_bytes()));
    assert_eq!(show(&serial(&h.typed(b"xxa/"))), show(MODEL.0.as_bytes()));
    // an error line is remembered too
    h.cmd("ATQ5");
    assert_eq!(show(&serial(&h.typed(b"A/"))), show(ERROR.0.as_bytes()));
    // A/ repeats a dial
    h.line("ATDT10.0.0.1:23");
    h.emu.connect_failed(h.now);
    h.drain();
    let outs = h.typed(b"A/");
    assert_eq!(
        actions(&outs),
        vec![ModemOutput::Dial {
            host: "10.0.0.1".into(),
            port: 23,
            protocol: m2285_modem::DialProtocol::Raw
        }]
    );
}

#[test]
fn backspace_editing() {
    let mut h = Harness::new();
    assert_eq!(
        show(&h.cmd("ATI3\x080")),
        show(b"ATI3\x080\r\r\nPatton Electronics Co.\r\n\r\nOK\r\n")
    );
    h.cmd("ATE0");
    assert_eq!(show(&h.cmd("ATQ1\x7f0I3")), show(MODEL.0.as_bytes()));
    // deleting past the start of the body is harmless
    assert_eq!(show(&h.cmd("AT\x08\x08\x08I3")), show(MODEL.0.as_bytes()));
    // S5 picks the backspace byte
    h.cmd("ATS5=35");
    assert_eq!(show(&h.cmd("ATI3#0")), show(VENDOR.0.as_bytes()));
    assert_eq!(show(&h.cmd("ATI0\x08")), show(VENDOR.0.as_bytes()));
}

#[test]
fn s3_and_s4_shape_the_line_and_the_results() {
    let mut h = Harness::new();
    h.cmd("ATE0");
    h.cmd("ATS4=33");
    assert_eq!(show(&h.cmd("AT")), show(b"\r!OK\r!"));
    h.cmd("ATS3=46");
    assert_eq!(
        show(&serial(&h.typed(b"ATI3."))),
        show(b".!Model 2285.!.!OK.!")
    );
}

#[test]
fn long_lines_answer_error() {
    let mut h = Harness::new();
    h.cmd("ATE0");
    let fits = format!("AT{}", "B".repeat(MAX_COMMAND_LINE));
    assert_eq!(show(&h.cmd(&fits)), show(OK.0.as_bytes()));
    let long = format!("AT{}", "B".repeat(MAX_COMMAND_LINE + 1));
    assert_eq!(show(&h.cmd(&long)), show(ERROR.0.as_bytes()));
    let huge = format!("AT{}", "x".repeat(100_000));
    assert_eq!(show(&h.cmd(&huge)), show(ERROR.0.as_bytes()));
    // a long line with backspaces that bring it back under the limit still overflowed
    let mut edited = format!("AT{}", "B".repeat(MAX_COMMAND_LINE + 1));
    edited.push('\x08');
    assert_eq!(show(&h.cmd(&edited)), show(ERROR.0.as_bytes()));
    // the overflowed line is not what A/ repeats
    assert_eq!(show(&serial(&h.typed(b"A/"))), show(OK.0.as_bytes()));
}

#[test]
fn special_commands_by_option() {
    let mut h = Harness::with(ModemOptions {
        special_commands_ok: true,
        ..ModemOptions::default()
    });
    h.cmd("ATE0");
    for line in ["AT&C1", "AT&W", "AT&W1", "AT&Z0=5551234", "AT&Z"] {
        assert_eq!(show(&h.cmd(line)), show(OK.0.as_bytes()), "{line}");
    }
}

#[test]
fn custom_identity_and_listen_port() {
    let opts = ModemOptions {
        default_listen_port: 0,
        vendor: "ACME".into(),
        model: "X1".into(),
        ..ModemOptions::default()
    };
    let mut h = Harness::with(opts);
    h.cmd("ATE0V0");
    assert_eq!(show(&h.cmd("ATI0I3")), show(b"ACME\r\nX1\r\n0\r"));
    assert_eq!(show(&h.cmd("ATA")), show(b"4\r"));
    assert_eq!(h.emu.mode(), Mode::Command);
}
