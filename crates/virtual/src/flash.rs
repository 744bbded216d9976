//! The device's flash in virtual time: files that survive a power cut, written by the device's
//! flash steps ([`FlashOp`]) with realistic durations, and a power cut that can fall at any
//! instant of them.
//!
//! What survives a cut follows a journaling filesystem's rules, the ones the real-time
//! runtime relies on (crates/hostfs): a temporary file being written is garbage and never read;
//! a rename not yet carried out did not happen; a rename carried out but not yet made durable
//! by the directory sync may or may not survive (the run's seed decides); after the sync it
//! survives. The saved file itself is never written in place, so it is always whole.

use crate::rng::SimRng;
use m2285_core::store::{BootSource, FlashOp, Nvram, CONFIG_FILE};
use m2285_core::Config;
use m2285_time::Instant;
use std::collections::BTreeMap;
use std::time::Duration;

/// How long flash steps take (a small embedded device's flash; docs/management.md).
#[derive(Clone, Copy, Debug)]
pub struct FlashTiming {
    /// Fixed cost of writing and syncing a file.
    pub write_base: Duration,
    /// Time per byte written.
    pub per_byte: Duration,
    /// A rename.
    pub rename: Duration,
    /// A directory sync.
    pub sync_dir: Duration,
}

impl Default for FlashTiming {
    fn default() -> Self {
        FlashTiming {
            write_base: Duration::from_millis(4),
            per_byte: Duration::from_micros(2),
            rename: Duration::from_millis(1),
            sync_dir: Duration::from_millis(3),
        }
    }
}

/// A flash step in progress.
#[derive(Clone, Debug)]
struct InFlight {
    op: FlashOp,
}

/// The flash: its files, the step in progress, and the boot rule.
#[derive(Clone, Debug)]
pub struct Flash {
    files: BTreeMap<&'static str, Vec<u8>>,
    /// The last temporary file written: (target, bytes).
    temp: Option<(&'static str, Vec<u8>)>,
    /// A rename carried out but not yet durable: the file's previous content.
    unsynced: Option<(&'static str, Option<Vec<u8>>)>,
    in_flight: Option<InFlight>,
    nvram: Nvram,
    timing: FlashTiming,
    /// Power cuts that fell during a flash step.
    pub cuts_mid_save: u64,
}

impl Flash {
    /// Empty flash; the run started with `start` (`overridden`: given as the scenario's
    /// configuration, as `--config`/`--set` would be, see [`Nvram`]).
    pub fn new(start: Config, overridden: bool) -> Flash {
        Flash {
            files: BTreeMap::new(),
            temp: None,
            unsynced: None,
            in_flight: None,
            nvram: Nvram::new(start, overridden),
            timing: FlashTiming::default(),
            cuts_mid_save: 0,
        }
    }

    /// Starts `op` at `now`; returns when it completes.
    pub fn start(&mut self, op: FlashOp, now: Instant) -> Instant {
        self.nvram.note(&op);
        let t = &self.timing;
        let took = match &op {
            FlashOp::WriteTemp { bytes, .. } => {
                t.write_base + t.per_byte * u32::try_from(bytes.len()).unwrap_or(u32::MAX)
            }
            FlashOp::Rename { .. } => t.rename,
            FlashOp::SyncDir => t.sync_dir,
        };
        self.in_flight = Some(InFlight { op });
        now + took
    }

    /// True while a step is in progress.
    pub fn busy(&self) -> bool {
        self.in_flight.is_some()
    }

    /// The step in progress completes; its effect is now on flash.
    pub fn complete(&mut self) {
        let Some(InFlight { op, .. }) = self.in_flight.take() else {
            return;
        };
        match op {
            FlashOp::WriteTemp { file, bytes } => self.temp = Some((file, bytes)),
            FlashOp::Rename { file } => {
                if let Some((_, bytes)) = self.temp.take() {
                    let previous = self.files.insert(file, bytes);
                    self.unsynced = Some((file, previous));
                }
            }
            FlashOp::SyncDir => self.unsynced = None,
        }
    }

    /// The power goes off now: whatever was in progress is lost, and a rename not yet made
    /// durable survives or not as `rng` decides.
    pub fn power_cut(&mut self, rng: &mut SimRng) {
        if self.in_flight.take().is_some() {
            self.cuts_mid_save += 1;
        }
        // A half-written temporary file stays on flash as garbage; it is never read.
        self.temp = None;
        if let Some((file, previous)) = self.unsynced.take() {
            if rng.next_u32() % 2 == 0 {
                match previous {
                    Some(bytes) => {
                        self.files.insert(file, bytes);
                    }
                    None => {
                        self.files.remove(file);
                    }
                }
            }
        }
    }

    /// The saved configuration file's bytes, if there is one.
    pub fn saved_file(&self) -> Option<&[u8]> {
        self.files.get(CONFIG_FILE).map(Vec::as_slice)
    }

    /// The configuration a power-on boots, and where it came from.
    pub fn boot_config(&self) -> (Config, BootSource) {
        self.nvram.boot_config(self.saved_file())
    }
}
