//! The serial port as a logic analyser sees it: a Value Change Dump (IEEE 1364) with the data
//! lines at bit level and the modem signals, at 1 ns resolution. GTKWave and PulseView (VCD
//! import) open it.
//!
//! Signals are named from the device's side of the DB-9: `txd` carries what the device
//! transmits (to the serial-side program), `rxd` what it receives. Each character is drawn as
//! the frame its sender put on the wire (start bit, data LSB first, parity, stop bits) at the
//! sender's baud rate; faults act at the receiver, so the drawing is the clean frame.

use crate::faults::serial::LineSetup;
use crate::faults::{uart_bits, Direction, FaultSet};
use m2285_core::lines::Lines;
use m2285_time::Instant;
use m2285_uart::SerialParams;
use std::fmt::Write;

/// A signal of the serial port.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Signal {
    /// Transmit data (device → program).
    Txd,
    /// Receive data (program → device).
    Rxd,
    /// Data terminal ready.
    Dtr,
    /// Data set ready.
    Dsr,
    /// Request to send.
    Rts,
    /// Clear to send.
    Cts,
    /// Data carrier detect.
    Dcd,
    /// Ring indicator.
    Ri,
}

const SIGNALS: [(Signal, &str, char); 8] = [
    (Signal::Txd, "txd", '!'),
    (Signal::Rxd, "rxd", '"'),
    (Signal::Dtr, "dtr", '%'),
    (Signal::Dsr, "dsr", '&'),
    (Signal::Rts, "rts", '\''),
    (Signal::Cts, "cts", '('),
    (Signal::Dcd, "dcd", ')'),
    (Signal::Ri, "ri", '*'),
];

fn slot(signal: Signal) -> usize {
    SIGNALS.iter().position(|(s, ..)| *s == signal).unwrap_or(0)
}

/// Collects signal changes and writes them as VCD.
#[derive(Clone, Debug)]
pub struct VcdRecorder {
    initial: [bool; 8],
    level: [bool; 8],
    /// When each data line is free again (the end of its last frame), in ns.
    line_free: [u64; 2],
    changes: Vec<(u64, u8, bool)>,
    /// The modem lines last recorded (`None`: not yet, the next ones are the initial values).
    lines_seen: Option<Lines>,
}

impl Default for VcdRecorder {
    fn default() -> Self {
        Self::new()
    }
}

impl VcdRecorder {
    /// A recorder with every signal high (idle data lines, asserted modem lines).
    pub fn new() -> Self {
        VcdRecorder {
            initial: [true; 8],
            level: [true; 8],
            line_free: [0; 2],
            changes: Vec::new(),
            lines_seen: None,
        }
    }

    /// Sets a signal's level at power-on (before any change is recorded).
    pub fn set_initial(&mut self, signal: Signal, level: bool) {
        self.initial[slot(signal)] = level;
        self.level[slot(signal)] = level;
    }

    /// Records `signal` going to `level` at `t` (ignored when it already is there).
    pub fn set(&mut self, signal: Signal, t: Instant, level: bool) {
        self.change(slot(signal), t.as_nanos(), level);
    }

    fn change(&mut self, slot: usize, t: u64, level: bool) {
        if self.level[slot] != level {
            self.level[slot] = level;
            self.changes.push((t, slot as u8, level));
        }
    }

    /// Draws `bytes` as back-to-back frames on `line` (`Txd` or `Rxd`) with `params`,
    /// starting at `start` or when the line's previous frame ends, whichever is later.
    /// Returns when the last frame ends.
    pub fn frames(
        &mut self,
        line: Signal,
        start: Instant,
        bytes: &[u8],
        params: &SerialParams,
    ) -> Instant {
        let s = slot(line);
        let which = usize::from(line == Signal::Rxd);
        let t0 = start.as_nanos().max(self.line_free[which]);
        let bits = uart_bits::encode(bytes, params);
        let baud = u128::from(params.baud.max(1));
        let edge = |k: usize| -> u64 {
            let ns = (k as u128 * 1_000_000_000).div_ceil(baud);
            t0.saturating_add(u64::try_from(ns).unwrap_or(u64::MAX))
        };
        for (k, &level) in bits.iter().enumerate() {
            self.change(s, edge(k), level);
        }
        let end = edge(bits.len());
        self.line_free[which] = end;
        Instant::from_nanos(end)
    }

    /// Draws one burst crossing the serial line at `now`, as both runtimes see it: going to the
    /// device, `sent` is the program's frames, starting at `now` (or when the line is free) at
    /// the program's rate in force (`LineSetup::program_baud`: a baud mismatch changes it);
    /// from the device, the device's frames at its own settings, ending at `now` (a runtime
    /// hears of a character once it is finished on the wire). Faults act at the receiver, so
    /// the frames are clean.
    pub fn crossing(
        &mut self,
        faults: &FaultSet,
        setup: &LineSetup,
        way: Direction,
        sent: &[u8],
        now: Instant,
    ) {
        if way == Direction::FromDevice {
            let burst = setup.device.burst_nanos(sent.len() as u64);
            let start = Instant::from_nanos(now.as_nanos().saturating_sub(burst));
            self.frames(Signal::Txd, start, sent, &setup.device);
        } else {
            let params = SerialParams {
                baud: setup.program_baud(faults, Direction::ToDevice),
                ..setup.device
            };
            self.frames(Signal::Rxd, now, sent, &params);
        }
    }

    /// Records the modem lines at `t` when they changed; the first lines recorded are the
    /// initial values.
    pub fn modem_lines(&mut self, t: Instant, lines: Lines) {
        if self.lines_seen == Some(lines) {
            return;
        }
        for (signal, level) in [
            (Signal::Dtr, lines.dtr),
            (Signal::Rts, lines.rts),
            (Signal::Dsr, lines.dsr),
            (Signal::Cts, lines.cts),
            (Signal::Dcd, lines.dcd),
            (Signal::Ri, lines.ri),
        ] {
            if self.lines_seen.is_none() {
                self.set_initial(signal, level);
            } else {
                self.set(signal, t, level);
            }
        }
        self.lines_seen = Some(lines);
    }

    /// The lines of an unpowered device: its outputs (DTR, RTS) low, the equipment's inputs as
    /// last recorded.
    pub fn unpowered_lines(&self) -> Lines {
        let mut l = self.lines_seen.unwrap_or_default();
        l.dtr = false;
        l.rts = false;
        l
    }

    /// The VCD header: the signals and their initial values.
    pub fn header(&self) -> Vec<u8> {
        let mut out = String::new();
        out.push_str("$version m2285 serial trace $end\n");
        out.push_str("$timescale 1ns $end\n");
        out.push_str("$scope module m2285 $end\n$scope module port1 $end\n");
        for (_, name, id) in SIGNALS {
            let _ = writeln!(out, "$var wire 1 {id} {name} $end");
        }
        out.push_str("$upscope $end\n$upscope $end\n$enddefinitions $end\n");
        out.push_str("#0\n$dumpvars\n");
        for (n, (_, _, id)) in SIGNALS.iter().enumerate() {
            let _ = writeln!(out, "{}{id}", u8::from(self.initial[n]));
        }
        out.push_str("$end\n");
        out.into_bytes()
    }

    /// Hands over, as VCD text in time order, the changes before `t`, and makes every frame
    /// drawn from now on start at `t` or later, so what was handed over is final: a runtime
    /// writes the trace as it goes with it (after [`VcdRecorder::header`]). A frame that would
    /// have started earlier is drawn from `t`.
    pub fn drain_before(&mut self, t: Instant) -> Vec<u8> {
        let t = t.as_nanos();
        for free in &mut self.line_free {
            *free = (*free).max(t);
        }
        self.changes.sort_by_key(|c| c.0);
        let keep = self.changes.partition_point(|c| c.0 < t);
        let done: Vec<_> = self.changes.drain(..keep).collect();
        body(&done)
    }

    /// The VCD text.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = self.header();
        let mut changes = self.changes.clone();
        changes.sort_by_key(|c| c.0);
        out.extend(body(&changes));
        out
    }
}

/// The value changes `changes` (in time order) as VCD text.
fn body(changes: &[(u64, u8, bool)]) -> Vec<u8> {
    let mut out = String::new();
    let mut last_t = None;
    for &(t, slot, level) in changes {
        if last_t != Some(t) {
            let _ = writeln!(out, "#{t}");
            last_t = Some(t);
        }
        let id = SIGNALS[usize::from(slot)].2;
        let _ = writeln!(out, "{}{id}", u8::from(level));
    }
    out.into_bytes()
}

/// A VCD read back: each signal's changes, for tests and tools.
#[derive(Clone, Debug, Default)]
pub struct ParsedVcd {
    /// Signal name → (time in ns, level) changes, the initial value at time 0 first.
    pub signals: std::collections::BTreeMap<String, Vec<(u64, bool)>>,
}

impl ParsedVcd {
    /// Reads the subset of VCD this module writes (1-bit wires, `#time` stamps).
    pub fn parse(text: &str) -> Result<ParsedVcd, String> {
        let mut ids = std::collections::BTreeMap::new();
        let mut parsed = ParsedVcd::default();
        let mut t = 0u64;
        for (n, line) in text.lines().enumerate() {
            let words: Vec<&str> = line.split_whitespace().collect();
            match words.as_slice() {
                ["$var", "wire", "1", id, name, "$end"] => {
                    ids.insert((*id).to_owned(), (*name).to_owned());
                    parsed.signals.insert((*name).to_owned(), Vec::new());
                }
                [stamp] if stamp.starts_with('#') => {
                    t = stamp[1..]
                        .parse()
                        .map_err(|_| format!("line {}: bad time {stamp}", n + 1))?;
                }
                [change] if change.starts_with(['0', '1']) => {
                    let name = ids
                        .get(&change[1..])
                        .ok_or_else(|| format!("line {}: unknown id in {change}", n + 1))?;
                    if let Some(v) = parsed.signals.get_mut(name) {
                        v.push((t, change.starts_with('1')));
                    }
                }
                _ => {}
            }
        }
        Ok(parsed)
    }

    /// Decodes a data line back into characters with `params`, sampling each frame in the
    /// middle of its bits like a UART.
    pub fn decode_uart(&self, signal: &str, params: &SerialParams) -> Vec<u8> {
        let Some(changes) = self.signals.get(signal) else {
            return Vec::new();
        };
        let level_at = |t: u64| -> bool {
            changes
                .iter()
                .take_while(|(ct, _)| *ct <= t)
                .last()
                .is_none_or(|(_, l)| *l)
        };
        let bit_ns = |k: u64| -> u64 {
            let ns = (u128::from(k) * 1_000_000_000).div_ceil(u128::from(params.baud.max(1)));
            u64::try_from(ns).unwrap_or(u64::MAX)
        };
        let mut out = Vec::new();
        let mut from = 0u64;
        for &(t0, level) in changes {
            if level || t0 < from {
                continue;
            }
            // A falling edge: the start bit. Sample each bit in its middle.
            let mid = |k: u64| t0 + (bit_ns(2 * k + 1) / 2);
            let mut byte = 0u8;
            for i in 0..u64::from(params.data_bits) {
                if level_at(mid(1 + i)) {
                    byte |= 1 << i;
                }
            }
            out.push(byte);
            from = mid(u64::from(params.bits_per_char()) - 1);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_read_back_as_the_bytes_sent() {
        let p = SerialParams::default();
        let mut v = VcdRecorder::new();
        v.frames(Signal::Txd, Instant::from_millis(1), b"Hi!\r\n\x00\xff", &p);
        v.frames(Signal::Rxd, Instant::from_millis(2), b"ok", &p);
        v.frames(Signal::Txd, Instant::from_millis(3), b"more", &p);
        v.set(Signal::Dtr, Instant::from_millis(4), false);
        let text = String::from_utf8(v.to_bytes()).unwrap_or_default();
        let parsed = ParsedVcd::parse(&text).unwrap_or_default();
        assert_eq!(parsed.decode_uart("txd", &p), b"Hi!\r\n\x00\xffmore");
        assert_eq!(parsed.decode_uart("rxd", &p), b"ok");
        assert_eq!(parsed.signals["dtr"], [(0, true), (4_000_000, false)]);
    }

    #[test]
    fn written_as_it_goes_it_is_the_same_trace_in_time_order() {
        let p = SerialParams::default();
        let setup = LineSetup {
            device: p,
            program_baud: p.baud,
        };
        let faults = FaultSet::new(1);
        let ms = Instant::from_millis;
        let mut whole = VcdRecorder::new();
        let mut streamed = VcdRecorder::new();
        let mut text = Vec::new();
        for v in [&mut whole, &mut streamed] {
            v.modem_lines(ms(0), Lines::default());
        }
        text.extend(streamed.header());
        for (n, t) in [(b"ab", 10), (b"cd", 30), (b"ef", 50)]
            .into_iter()
            .enumerate()
        {
            for v in [&mut whole, &mut streamed] {
                v.crossing(&faults, &setup, Direction::ToDevice, t.0, ms(t.1));
                v.crossing(&faults, &setup, Direction::FromDevice, t.0, ms(t.1 + 1));
                v.modem_lines(
                    ms(t.1 + 2),
                    Lines {
                        dcd: n % 2 == 0,
                        ..Lines::default()
                    },
                );
            }
            text.extend(streamed.drain_before(ms(t.1 - 5)));
        }
        text.extend(streamed.drain_before(Instant::from_nanos(u64::MAX)));
        assert_eq!(String::from_utf8(text), String::from_utf8(whole.to_bytes()));
    }
}
