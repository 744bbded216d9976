//! Shared test harness: an emulator, a synthetic clock, and output helpers.
#![allow(dead_code)]

use std::time::Duration;

use m2285_modem::{Instant, ModemEmulator, ModemOptions, ModemOutput};

/// An emulator driven on a synthetic clock.
pub struct Harness {
    pub emu: ModemEmulator,
    pub now: Instant,
}

impl Harness {
    pub fn new() -> Self {
        Self::with(ModemOptions::default())
    }

    pub fn with(opts: ModemOptions) -> Self {
        Harness {
            emu: ModemEmulator::new(opts),
            now: Instant::ZERO,
        }
    }

    /// Moves the clock forward and runs due timers.
    pub fn advance_ms(&mut self, ms: u64) -> Vec<ModemOutput> {
        self.now += Duration::from_millis(ms);
        self.emu.handle_timeout(self.now);
        self.drain()
    }

    /// Moves the clock forward without running timers.
    pub fn skip_ms(&mut self, ms: u64) {
        self.now += Duration::from_millis(ms);
    }

    /// Serial bytes from the DTE at the current time.
    pub fn typed(&mut self, bytes: &[u8]) -> Vec<ModemOutput> {
        self.emu.serial_input(bytes, self.now);
        self.drain()
    }

    /// `line` + CR from the DTE; all outputs.
    pub fn line(&mut self, line: &str) -> Vec<ModemOutput> {
        let mut bytes = line.as_bytes().to_vec();
        bytes.push(b'\r');
        self.typed(&bytes)
    }

    /// `line` + CR; only the serial bytes, which must be all there is.
    pub fn cmd(&mut self, line: &str) -> Vec<u8> {
        let outs = self.line(line);
        assert!(
            outs.iter().all(|o| matches!(o, ModemOutput::ToSerial(_))),
            "{line:?} gave actions: {outs:?}"
        );
        serial(&outs)
    }

    pub fn drain(&mut self) -> Vec<ModemOutput> {
        std::iter::from_fn(|| self.emu.poll()).collect()
    }

    /// Dials and completes the connection: data mode from `self.now`.
    pub fn connect(&mut self) {
        let outs = self.line("ATDT127.0.0.1:2000");
        assert!(
            outs.iter().any(|o| matches!(o, ModemOutput::Dial { .. })),
            "{outs:?}"
        );
        self.emu.connected(self.now);
        self.drain();
    }
}

/// All serial bytes in `outs`, concatenated.
pub fn serial(outs: &[ModemOutput]) -> Vec<u8> {
    outs.iter()
        .filter_map(|o| match o {
            ModemOutput::ToSerial(b) => Some(b.as_slice()),
            _ => None,
        })
        .flatten()
        .copied()
        .collect()
}

/// All network bytes in `outs`, concatenated.
pub fn network(outs: &[ModemOutput]) -> Vec<u8> {
    outs.iter()
        .filter_map(|o| match o {
            ModemOutput::ToNetwork(b) => Some(b.as_slice()),
            _ => None,
        })
        .flatten()
        .copied()
        .collect()
}

/// Everything in `outs` that is not serial or network data.
pub fn actions(outs: &[ModemOutput]) -> Vec<ModemOutput> {
    outs.iter()
        .filter(|o| !matches!(o, ModemOutput::ToSerial(_) | ModemOutput::ToNetwork(_)))
        .cloned()
        .collect()
}

/// Shows bytes readably in assertion messages.
pub fn show(bytes: &[u8]) -> String {
    bytes.escape_ascii().to_string()
}
