//! The real-time VCD of the serial port (`--vcd FILE`): the data lines at bit level and the
//! modem signals, the same drawing as a virtual-time run (`m2285_boundary::trace::vcd`: the
//! recorder, the frames of a crossing, the modem lines and the text are the boundary crate's).
//!
//! What this file adds is only the file: a real-time run has no end known in advance, so the
//! trace is written as it goes. Every second the changes older than [`SETTLE`] are written in
//! time order (`VcdRecorder::drain_before`); a later frame never starts before what was written,
//! so the file stays a valid VCD. On shutdown (SIGINT, SIGTERM) the rest is written; a SIGKILL
//! loses at most the last two seconds. The file holds the serial data: mode 0600, never written
//! through a planted link.

use m2285_boundary::faults::serial::LineSetup;
use m2285_boundary::faults::{Direction, FaultSet};
use m2285_boundary::trace::vcd::VcdRecorder;
use m2285_core::lines::Lines;
use m2285_time::Instant;
use std::fs::File;
use std::io::Write;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// How long a change may wait before it is written: the frames of a transmission are drawn
/// ending when the device reports it finished, so they reach back this far (a burst longer than
/// this, possible only with pacing off, is drawn from this far back).
const SETTLE: Duration = Duration::from_secs(1);

/// How often settled changes are written.
const WRITE_EVERY: Duration = Duration::from_secs(1);

struct Open {
    recorder: VcdRecorder,
    file: File,
    header_written: bool,
    next_write: Instant,
    /// Until when the device is off (a power cycle): its outputs are drawn low meanwhile.
    off_until: Instant,
}

/// Where the serial port's VCD goes: a file, or nowhere. Cheap to clone; clones share the file.
#[derive(Clone, Default)]
pub struct VcdWriter {
    open: Option<Arc<Mutex<Open>>>,
}

impl VcdWriter {
    /// A writer to `path` (a new file replacing any old one, mode 0600), or one that records
    /// nothing.
    pub fn open(path: Option<&Path>) -> Result<Self, String> {
        let Some(path) = path else {
            return Ok(VcdWriter::default());
        };
        let file = m2285_hostfs::create_output(path, m2285_hostfs::SECRET_MODE)
            .map_err(|e| format!("--vcd: {e}"))?;
        Ok(VcdWriter {
            open: Some(Arc::new(Mutex::new(Open {
                recorder: VcdRecorder::new(),
                file,
                header_written: false,
                next_write: Instant::ZERO,
                off_until: Instant::ZERO,
            }))),
        })
    }

    /// True when a VCD is written.
    pub fn is_on(&self) -> bool {
        self.open.is_some()
    }

    fn lock(&self) -> Option<MutexGuard<'_, Open>> {
        let open = self.open.as_ref()?;
        Some(
            open.lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        )
    }

    /// Draws `sent` crossing the line going `way` at `now` (the clean frames; faults act at
    /// the receiver).
    pub fn crossing(
        &self,
        faults: &FaultSet,
        setup: &LineSetup,
        way: Direction,
        sent: &[u8],
        now: Instant,
    ) {
        if let Some(mut open) = self.lock() {
            open.recorder.crossing(faults, setup, way, sent, now);
        }
    }

    /// Records the modem lines as the device has them at `now` (the first call gives the
    /// initial values), and writes what has settled when it is time.
    pub fn lines(&self, lines: Lines, now: Instant) {
        let Some(mut open) = self.lock() else {
            return;
        };
        let lines = if now < open.off_until {
            open.recorder.unpowered_lines()
        } else {
            lines
        };
        open.recorder.modem_lines(now, lines);
        if now >= open.next_write {
            open.next_write = now + WRITE_EVERY;
            let settled =
                Instant::from_nanos(now.as_nanos().saturating_sub(SETTLE.as_nanos() as u64));
            write_settled(&mut open, settled);
        }
    }

    /// The device is switched off at `now` until `until` (a power cycle): as in virtual time,
    /// its outputs (DTR, RTS) go low at once and stay low while it is off.
    pub fn power_off(&self, now: Instant, until: Instant) {
        if let Some(mut open) = self.lock() {
            open.off_until = until;
            let lines = open.recorder.unpowered_lines();
            open.recorder.modem_lines(now, lines);
        }
    }

    /// Writes everything recorded (on shutdown).
    pub fn finish(&self) {
        if let Some(mut open) = self.lock() {
            write_settled(&mut open, Instant::from_nanos(u64::MAX));
        }
    }
}

/// Writes the header (once) and the changes before `settled`.
fn write_settled(open: &mut Open, settled: Instant) {
    let mut text = Vec::new();
    if !open.header_written {
        open.header_written = true;
        text = open.recorder.header();
    }
    text.extend(open.recorder.drain_before(settled));
    if let Err(e) = open.file.write_all(&text) {
        tracing::warn!("cannot write the VCD: {e}");
    }
}
