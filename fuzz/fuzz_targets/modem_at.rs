//! The AT modem (`crates/modem`): any sequence of serial bytes (command lines and data), network
//! bytes, session events, DTR changes and passing time never panics; the network never gets
//! more bytes than the serial side sent, the serial side never gets more than a bounded answer
//! per byte; and the modem is never stuck: after it all, in command mode with result codes on,
//! `AT` is answered OK.
#![no_main]

use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use m2285_fuzz::Ops;
use m2285_modem::{Instant, Mode, ModemEmulator, ModemOptions, ModemOutput, SessionState};

/// The longest answer one command byte can produce (AT&V lists the profile, ATI the
/// identification: a few hundred bytes for the two-byte command).
const OUT_PER_SERIAL_BYTE: usize = 1024;
/// Result codes for a session event (CONNECT, NO CARRIER, RING...).
const OUT_PER_EVENT: usize = 64;

#[derive(Default)]
struct Totals {
    to_network: usize,
    to_serial: usize,
}

fn drain(modem: &mut ModemEmulator, totals: &mut Totals) -> Vec<u8> {
    let mut serial = Vec::new();
    while let Some(out) = modem.poll() {
        match out {
            ModemOutput::ToSerial(b) => {
                totals.to_serial += b.len();
                serial.extend_from_slice(&b);
            }
            ModemOutput::ToNetwork(b) => totals.to_network += b.len(),
            _ => {}
        }
    }
    serial
}

fuzz_target!(|data: &[u8]| {
    let mut ops = Ops::new(data);
    let mut modem = ModemEmulator::new(ModemOptions::default());
    let mut now = Instant::from_secs(1);
    let mut totals = Totals::default();
    let (mut serial_in, mut network_in, mut events) = (0usize, 0usize, 0usize);
    while let Some(op) = ops.byte() {
        match op % 8 {
            0 | 1 => {
                let chunk = ops.chunk();
                serial_in += chunk.len();
                modem.serial_input(chunk, now);
            }
            2 => {
                let chunk = ops.chunk();
                network_in += chunk.len();
                modem.network_input(chunk, now);
            }
            3 => modem.connected(now),
            4 => modem.connect_failed(now),
            5 => modem.incoming_call(now),
            6 => {
                let b = ops.byte().unwrap_or(0);
                if b & 0x80 == 0 {
                    modem.dtr_changed(b & 1 == 1, now);
                } else {
                    modem.remote_closed(now);
                }
            }
            _ => {
                let step = u64::from(ops.byte().unwrap_or(0));
                now += Duration::from_millis(step * step * 20);
                if modem.next_deadline().is_some_and(|d| d <= now) {
                    modem.handle_timeout(now);
                }
            }
        }
        events += 1;
        drain(&mut modem, &mut totals);
        assert!(
            totals.to_network <= serial_in,
            "{} bytes to the network from {serial_in} serial bytes",
            totals.to_network
        );
        let bound = OUT_PER_SERIAL_BYTE * serial_in + network_in + OUT_PER_EVENT * events;
        assert!(
            totals.to_serial <= bound,
            "{} bytes to the serial side",
            totals.to_serial
        );
    }

    // Never stuck: end any half-typed line, then a plain AT must be answered.
    now += Duration::from_secs(5);
    modem.serial_input(b"\r", now);
    drain(&mut modem, &mut totals);
    let s = modem.settings();
    let usable = modem.mode() == Mode::Command
        && modem.session() == &SessionState::Idle
        && !s.quiet
        && s.registers.cr() == b'\r'
        && ![b'A', b'T', b'a', b't', b'\r'].contains(&s.registers.bs());
    if usable {
        let verbose = s.verbose;
        modem.serial_input(b"AT\r", now);
        let answer = drain(&mut modem, &mut totals);
        let want: &[u8] = if verbose { b"OK" } else { b"0" };
        assert!(
            answer.windows(want.len()).any(|w| w == want),
            "AT answered {:?}",
            String::from_utf8_lossy(&answer)
        );
    }
});
