//! Deterministic random testing: thousands of generated command lines, each of which must get
//! exactly one final result; random byte soup that must never panic; and data-mode streams in
//! which no byte is lost or reordered around escapes.

mod common;

use std::time::Duration;

use common::{actions, network, serial, show, Harness};
use m2285_modem::{Mode, ModemOutput, SessionState};

/// SplitMix64: small, deterministic, good enough to pick test cases.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

const TOKENS: &[&str] = &[
    "E0",
    "E1",
    "V0",
    "V1",
    "Q0",
    "Q1",
    "I",
    "I0",
    "I3",
    "I2",
    "H",
    "H0",
    "H1",
    "?",
    "O",
    "O1",
    "Z",
    "&F",
    "&K0",
    "&K3",
    "&K4",
    "&D0",
    "&D1",
    "&D2",
    "&S0",
    "&S1",
    "\\T0",
    "\\T1",
    "S0=3",
    "S0?",
    "S1?",
    "S2?",
    "S12?",
    "S12=50",
    "S12=10",
    "S2=43",
    "S7=1",
    "S1=1",
    "B1",
    "X4",
    "&C1",
    "&W0",
    "&Z=55",
    "F1",
    "F0",
    "W0",
    "W1",
    "A",
    "A2000",
    "DT127.0.0.1:2000",
    "DT1270000000012000",
    "DShost:1",
    "DRhost:65535",
    "DThost",
    "D",
    "%C0",
    "\\N3",
    "K",
    "!",
    "&",
    "S",
    " ",
    "e1",
    "v0",
    "q1",
];

/// Bytes for the random tail of a line: printable ASCII, BS, DEL, LF, high bytes.
fn junk_byte(rng: &mut Rng) -> u8 {
    match rng.below(20) {
        0 => 8,
        1 => 0x7F,
        2 => b'\n',
        3 => 0x80 + rng.below(128) as u8,
        _ => 0x20 + rng.below(95) as u8,
    }
}

/// One unit of input: a line ending in CR (with junk before `AT`), or `A/`.
fn gen_input(rng: &mut Rng) -> Vec<u8> {
    if rng.chance(8) {
        return b"A/".to_vec();
    }
    let mut bytes = Vec::new();
    if rng.chance(20) {
        for _ in 0..rng.below(6) {
            let b = junk_byte(rng);
            if !b.eq_ignore_ascii_case(&b'a') {
                bytes.push(b);
            }
        }
    }
    bytes.extend_from_slice(rng.pick(&["AT", "at", "aT", "At"]).as_bytes());
    for _ in 0..rng.below(5) {
        bytes.extend_from_slice(rng.pick(TOKENS).as_bytes());
    }
    if rng.chance(15) {
        let dial = [
            "DT127.0.0.1:2000",
            "DShost:1",
            "d1270000000012000",
            "DR[::1]:23",
        ];
        bytes.extend_from_slice(rng.pick(&dial).as_bytes());
    } else if rng.chance(25) {
        for _ in 0..rng.below(12) {
            bytes.push(junk_byte(rng));
        }
    }
    if rng.chance(1) {
        bytes.extend(std::iter::repeat_n(b'B', 400));
    }
    bytes.push(b'\r');
    bytes
}

/// S3/S4/S5 writes would change the framing this checker parses; leave them out.
fn touches_framing(input: &[u8]) -> bool {
    let upper = input.to_ascii_uppercase();
    upper
        .windows(2)
        .any(|w| w[0] == b'S' && matches!(w[1], b'3' | b'4' | b'5'))
}

/// Splits responses into (result codes, information lines); Err on anything malformed.
fn parse_responses(mut s: &[u8]) -> Result<(Vec<String>, Vec<String>), String> {
    let (mut results, mut infos) = (Vec::new(), Vec::new());
    while !s.is_empty() {
        if let Some(rest) = s.strip_prefix(b"\r\n") {
            let end = rest.windows(2).position(|w| w == b"\r\n").ok_or(show(s))?;
            let text = String::from_utf8_lossy(&rest[..end]).into_owned();
            s = &rest[end + 2..];
            if ["OK", "CONNECT", "RING", "NO CARRIER", "ERROR"].contains(&text.as_str()) {
                results.push(text);
            } else {
                infos.push(text);
            }
        } else {
            let end = s.iter().position(|&b| b == b'\r').ok_or(show(s))?;
            let text = String::from_utf8_lossy(&s[..end]).into_owned();
            if s.get(end + 1) == Some(&b'\n') {
                infos.push(text);
                s = &s[end + 2..];
            } else if text.len() == 1 && matches!(text.as_bytes()[0], b'0'..=b'4') {
                results.push(text);
                s = &s[end + 1..];
            } else {
                return Err(show(s));
            }
        }
    }
    Ok((results, infos))
}

/// Asserts that `bytes` hold exactly `want` result codes (0 when quiet) and nothing malformed.
fn expect_results(h: &Harness, bytes: &[u8], want: usize, what: &str) -> Vec<String> {
    let (results, _) = parse_responses(bytes).unwrap_or_else(|e| panic!("{what}: bad bytes {e}"));
    let want = if h.emu.settings().quiet { 0 } else { want };
    assert_eq!(
        results.len(),
        want,
        "{what}: {} -> {results:?}",
        show(bytes)
    );
    SEEN.with(|seen| {
        for r in &results {
            *seen.borrow_mut().entry(r.clone()).or_insert(0) += 1;
        }
    });
    results
}

thread_local! {
    /// Every result code the checker saw on this test thread, by text.
    static SEEN: std::cell::RefCell<std::collections::HashMap<String, usize>> =
        Default::default();
}

/// Completes what the emulator asked for, checking the single result each completion gives.
fn complete(h: &mut Harness, rng: &mut Rng, outs: &[ModemOutput], what: &str) {
    for action in actions(outs) {
        match action {
            ModemOutput::Dial { .. } => {
                assert_eq!(h.emu.session(), &SessionState::Dialing, "{what}");
                if rng.chance(60) {
                    h.emu.connected(h.now);
                } else {
                    h.emu.connect_failed(h.now);
                }
                let bytes = serial(&h.drain());
                expect_results(h, &bytes, 1, what);
            }
            ModemOutput::Listen { .. }
                if rng.chance(50) && matches!(h.emu.session(), SessionState::Listening { .. }) =>
            {
                h.emu.incoming_call(h.now);
                let outs = h.drain();
                assert_eq!(actions(&outs), vec![ModemOutput::Answer], "{what}");
                expect_results(h, &serial(&outs), 1, what);
                h.emu.connected(h.now);
                let bytes = serial(&h.drain());
                expect_results(h, &bytes, 1, what);
            }
            _ => {}
        }
    }
}

/// Leaves data mode by one of: escape, remote close, DTR drop (per &D).
fn leave_data_mode(h: &mut Harness, rng: &mut Rng) {
    // some traffic both ways first: it must pass untouched
    h.skip_ms(5);
    let outs = h.typed(b"data\r\n");
    assert_eq!(network(&outs), b"data\r\n");
    h.emu.network_input(b"peer", h.now);
    assert_eq!(serial(&h.drain()), b"peer");
    let regs = &h.emu.settings().registers;
    let guard = regs
        .guard_time()
        .filter(|_| regs.escape_char() == Some(b'+'));
    match (rng.below(3), guard) {
        (0, Some(guard)) => {
            let guard = guard.as_millis() as u64;
            h.skip_ms(guard);
            assert_eq!(h.typed(b"+++"), vec![]);
            let outs = h.advance_ms(guard);
            expect_results(h, &serial(&outs), 1, "escape");
            assert_eq!(h.emu.mode(), Mode::OnlineCommand);
        }
        (1, _) => {
            h.emu.dtr_changed(false, h.now);
            h.emu.dtr_changed(true, h.now);
            let outs = h.drain();
            if h.emu.mode() == Mode::Data {
                assert_eq!(outs, vec![], "&D0 ignores DTR");
                h.emu.remote_closed(h.now);
                let bytes = serial(&h.drain());
                expect_results(h, &bytes, 1, "remote close");
            } else {
                expect_results(h, &serial(&outs), 1, "dtr drop");
            }
        }
        _ => {
            h.emu.remote_closed(h.now);
            let bytes = serial(&h.drain());
            expect_results(h, &bytes, 1, "remote close");
        }
    }
}

#[test]
fn every_line_gets_exactly_one_final_result() {
    let mut rng = Rng(0x2285_0001);
    let mut h = Harness::new();
    let mut lines = 0;
    let (mut quiet, mut dials) = (0, 0);
    while lines < 4000 {
        let input = gen_input(&mut rng);
        if touches_framing(&input) {
            continue;
        }
        lines += 1;
        let what = format!("line {lines} {}", show(&input));
        h.skip_ms(rng.below(50) as u64);
        assert_ne!(h.emu.mode(), Mode::Data, "{what}");
        let echo = h.emu.settings().echo;
        let outs = h.typed(&input);
        let bytes = serial(&outs);
        let responses = if echo {
            assert!(
                bytes.starts_with(&input),
                "{what}: no echo in {}",
                show(&bytes)
            );
            &bytes[input.len()..]
        } else {
            &bytes[..]
        };
        let dialed = actions(&outs)
            .iter()
            .any(|a| matches!(a, ModemOutput::Dial { .. }));
        if h.emu.settings().quiet {
            quiet += 1;
        }
        expect_results(&h, responses, usize::from(!dialed), &what);
        dials += usize::from(dialed);
        complete(&mut h, &mut rng, &outs, &what);
        if h.emu.mode() == Mode::Data {
            leave_data_mode(&mut h, &mut rng);
        }
    }
    // the generator must keep reaching every outcome, or the test proves little
    let seen = SEEN.with(|s| s.borrow().clone());
    let count = |k: &[&str]| {
        k.iter()
            .map(|k| seen.get(*k).copied().unwrap_or(0))
            .sum::<usize>()
    };
    assert!(quiet < 2000 && dials > 200, "quiet {quiet} dials {dials}");
    for (kinds, least) in [
        (["OK", "0"], 500),
        (["ERROR", "4"], 500),
        (["NO CARRIER", "3"], 100),
        (["CONNECT", "1"], 100),
        (["RING", "2"], 10),
    ] {
        assert!(count(&kinds) > least, "{kinds:?}: {seen:?}");
    }
}

#[test]
fn random_bytes_and_events_never_panic() {
    let mut rng = Rng(0x2285_0002);
    let mut h = Harness::new();
    for step in 0..20_000 {
        h.skip_ms(rng.below(300) as u64);
        match rng.below(12) {
            0..=5 => {
                let n = rng.below(24);
                let bytes: Vec<u8> = (0..n)
                    .map(|_| match rng.below(4) {
                        0 => *rng.pick(b"AT+\r/ADS?&=0123"),
                        _ => rng.next() as u8,
                    })
                    .collect();
                h.emu.serial_input(&bytes, h.now);
            }
            6 => h.emu.network_input(&[rng.next() as u8; 3], h.now),
            7 => h.emu.connected(h.now),
            8 => h.emu.connect_failed(h.now),
            9 => h.emu.incoming_call(h.now),
            10 => h.emu.remote_closed(h.now),
            _ => h.emu.dtr_changed(rng.chance(50), h.now),
        }
        if rng.chance(30) {
            h.emu.handle_timeout(h.now);
        }
        let _ = h.drain();
        let connected = h.emu.session() == &SessionState::Connected;
        assert_eq!(h.emu.mode() != Mode::Command, connected, "step {step}");
        if let Some(d) = h.emu.next_deadline() {
            assert!(
                d + Duration::from_secs(3600 * 5) > h.now,
                "step {step}: stale deadline"
            );
        }
    }
}

#[test]
fn data_mode_loses_and_reorders_nothing() {
    let mut rng = Rng(0x2285_0003);
    let mut h = Harness::new();
    h.cmd("ATE0S12=5"); // 100 ms guard keeps the run short
    h.connect();
    let (mut typed, mut sent) = (Vec::new(), Vec::new());
    let mut escapes = 0;
    for _ in 0..5000 {
        h.skip_ms(*rng.pick(&[0, 10, 60, 99, 100, 101, 250]));
        // the runtime runs due timers first; an escape that is due happens before the chunk
        let mut outs = h.advance_ms(0);
        if h.emu.mode() == Mode::Data {
            let chunk: Vec<u8> = (0..rng.below(4) + 1)
                .map(|_| {
                    if rng.chance(70) {
                        b'+'
                    } else {
                        b'a' + rng.below(3) as u8
                    }
                })
                .collect();
            outs.extend(h.typed(&chunk));
            typed.extend_from_slice(&chunk);
            if rng.chance(20) {
                outs.extend(h.advance_ms(rng.below(150) as u64));
            }
        }
        sent.extend(network(&outs));
        if h.emu.mode() == Mode::OnlineCommand {
            escapes += 1;
            assert!(typed.ends_with(b"+++"), "escape after {}", show(&typed));
            typed.truncate(typed.len() - 3);
            assert_eq!(show(&sent), show(&typed));
            assert_eq!(h.cmd("ATO"), b"\r\nOK\r\n");
        }
    }
    sent.extend(network(&h.advance_ms(200)));
    if h.emu.mode() == Mode::OnlineCommand {
        escapes += 1;
        typed.truncate(typed.len().saturating_sub(3));
    }
    assert_eq!(show(&sent), show(&typed));
    assert!(
        escapes > 50,
        "only {escapes} escapes: the test lost its teeth"
    );
}
