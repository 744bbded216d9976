//! The configuration store, with the device's flash semantics (docs/management.md,
//! "Configuration store").
//!
//! Three layers: the **saved** configuration (flash: what a reboot boots), the **running** one
//! (the device's [`Config`] in force) and the **staged** edits management sessions made but did
//! not apply. Applying makes the staged configuration run; keys whose [`Effect`] is not
//! immediate are reported as pending until the next reboot. Saving writes the running
//! configuration to flash as a sequence of [`FlashOp`]s the runtime carries out one at a time and
//! reports back ([`crate::io::Event::Flash`]); a power cut between any two of them leaves the old
//! file or the new one, and [`Nvram::boot_config`] boots from whichever is there.
//!
//! Everything here is sans-IO: the bytes to write are handed to the runtime, and the file read
//! at power-on is handed in. Both runtimes drive this one implementation.

mod diff;

pub use diff::{changed_keys, pending_reboot};

use crate::config::schema::Effect;
use crate::config::{Config, ConfigError};
use serde::Serialize;

/// The file in the device's flash (the state directory) that holds the saved configuration.
pub const CONFIG_FILE: &str = "config.toml";

/// Longest saved configuration read at boot; a larger file is not a configuration.
pub const MAX_CONFIG_BYTES: u64 = 1024 * 1024;

/// One step of writing flash, for the runtime to carry out and report with
/// [`crate::io::Event::Flash`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FlashOp {
    /// Write `bytes` to a fresh temporary file beside `file` and sync it to disk.
    WriteTemp {
        /// The file the temporary one will replace.
        file: &'static str,
        /// Its new content.
        bytes: Vec<u8>,
    },
    /// Rename the temporary file written last over `file` (one atomic step).
    Rename {
        /// The file replaced.
        file: &'static str,
    },
    /// Sync the directory, so the rename itself survives a power cut.
    SyncDir,
}

/// What the runtime reports after carrying out a [`FlashOp`]: done, or why it failed.
pub type FlashReport = Result<(), String>;

/// Where a save is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SaveStep {
    /// The temporary file is being written and synced.
    WritingTemp,
    /// The temporary file is being renamed over the saved one.
    Renaming,
    /// The directory is being synced.
    SyncingDir,
}

/// A save in progress.
#[derive(Debug, Clone)]
struct SaveJob {
    config: Config,
    step: SaveStep,
}

/// What happened to a flash report.
#[derive(Debug, Clone, PartialEq)]
pub enum SaveProgress {
    /// The next step: carry it out.
    Next(FlashOp),
    /// The save finished: flash holds the configuration.
    Saved,
    /// The save failed; flash holds the old configuration (or, when the rename happened, the
    /// new one, which is not known for sure: the store then counts it as saved).
    Failed(String),
    /// No save was in progress (a stray report).
    Ignored,
}

/// The store's state (part of the device; lost at power-off except what flash holds).
#[derive(Debug, Clone)]
pub struct Store {
    /// What a reboot boots: the last configuration written to flash (or, before any save in
    /// this run, the configuration the run started with; see [`Nvram`]).
    saved: Config,
    /// The configuration the device booted with (to tell which applied keys wait for a reboot).
    booted: Config,
    /// Edits not applied yet, as a whole configuration.
    staged: Option<Config>,
    /// A save in progress.
    job: Option<SaveJob>,
    /// A configuration to save once the save in progress ends (a save asked for meanwhile).
    queued: Option<Config>,
    /// Saves completed since power-on.
    pub saves: u64,
}

/// A snapshot of the store for the control API and status pages.
#[derive(Debug, Clone, Serialize)]
pub struct StoreStatus {
    /// Keys staged with a value different from the running one.
    pub staged: Vec<String>,
    /// Applied keys that take effect at the next reboot (or simulator start).
    pub pending_reboot: Vec<String>,
    /// Keys whose running value is not the saved one.
    pub unsaved: Vec<String>,
    /// The step of a save in progress.
    pub saving: Option<SaveStep>,
    /// Saves completed since power-on.
    pub saves: u64,
}

/// Why a store operation was refused.
#[derive(Debug, Clone, PartialEq)]
pub enum StoreError {
    /// The configuration has mistakes (all listed); nothing changed.
    Invalid(Vec<ConfigError>),
    /// The device is down (booting); try again after `booted`.
    Down,
}

impl Store {
    /// The store of a device that booted with `booted`; `saved` is what a reboot would boot.
    pub fn new(booted: Config, saved: Config) -> Store {
        Store {
            saved,
            booted,
            staged: None,
            job: None,
            queued: None,
            saves: 0,
        }
    }

    /// What a reboot boots.
    pub fn saved(&self) -> &Config {
        &self.saved
    }

    /// The staged configuration, if anything was staged.
    pub fn staged(&self) -> Option<&Config> {
        self.staged.as_ref()
    }

    /// Stages `KEY=VALUE` edits on top of what is staged already (else the running
    /// configuration), all or nothing. Returns the keys the edits touch.
    pub fn stage_sets(&mut self, running: &Config, sets: &[String]) -> Result<(), StoreError> {
        let base = self.staged.as_ref().unwrap_or(running);
        let next = base
            .with_sets(sets.iter().map(String::as_str))
            .map_err(StoreError::Invalid)?;
        self.staged = Some(next);
        Ok(())
    }

    /// Stages a whole configuration (an import), replacing whatever was staged.
    pub fn stage_config(&mut self, config: Config) {
        self.staged = Some(config);
    }

    /// Forgets the staged edits; returns whether there were any.
    pub fn discard(&mut self) -> bool {
        self.staged.take().is_some()
    }

    /// Takes the staged configuration for applying (None: nothing staged).
    pub fn take_staged(&mut self) -> Option<Config> {
        self.staged.take()
    }

    /// Starts saving `running`: the first flash step to carry out, or `None` when a save is in
    /// progress (this one follows it; a later request replaces a queued one).
    pub fn start_save(&mut self, running: &Config) -> Option<FlashOp> {
        if self.job.is_some() {
            self.queued = Some(running.clone());
            return None;
        }
        self.job = Some(SaveJob {
            config: running.clone(),
            step: SaveStep::WritingTemp,
        });
        Some(FlashOp::WriteTemp {
            file: CONFIG_FILE,
            bytes: running.to_toml().into_bytes(),
        })
    }

    /// Starts the save that waited for the one that just ended, if any.
    pub fn start_queued(&mut self) -> Option<FlashOp> {
        let next = self.queued.take()?;
        self.start_save(&next)
    }

    /// True while a save is in progress or waiting.
    pub fn saving(&self) -> bool {
        self.job.is_some() || self.queued.is_some()
    }

    /// Takes the runtime's report on the step in progress.
    pub fn flash_report(&mut self, report: FlashReport) -> SaveProgress {
        let Some(job) = &mut self.job else {
            return SaveProgress::Ignored;
        };
        match (job.step, report) {
            (SaveStep::WritingTemp, Ok(())) => {
                job.step = SaveStep::Renaming;
                SaveProgress::Next(FlashOp::Rename { file: CONFIG_FILE })
            }
            (SaveStep::Renaming, Ok(())) => {
                // From here on flash holds the new file (the directory sync makes it durable).
                self.saved = job.config.clone();
                job.step = SaveStep::SyncingDir;
                SaveProgress::Next(FlashOp::SyncDir)
            }
            (SaveStep::SyncingDir, Ok(())) => {
                self.job = None;
                self.saves += 1;
                SaveProgress::Saved
            }
            (step, Err(e)) => {
                self.job = None;
                self.queued = None;
                SaveProgress::Failed(format!("{step:?}: {e}"))
            }
        }
    }

    /// The store's snapshot, next to the running configuration.
    pub fn status(&self, running: &Config) -> StoreStatus {
        StoreStatus {
            staged: self
                .staged
                .as_ref()
                .map(|s| changed_keys(running, s))
                .unwrap_or_default(),
            pending_reboot: pending_reboot(&self.booted, running),
            unsaved: changed_keys(&self.saved, running),
            saving: self.job.as_ref().map(|j| j.step),
            saves: self.saves,
        }
    }
}

/// The configuration a factory reset leaves: factory values, except the simulator's own keys
/// (`sim.*`: how the test rig reaches the device) and, with `keep_network`, the network keys.
pub fn factory_reset(current: &Config, keep_network: bool) -> Config {
    let mut next = Config::factory();
    next.sim = current.sim.clone();
    if keep_network {
        next.network = current.network.clone();
    }
    next
}

/// How long the reset button must be held to reset to factory values; shorter is a reboot.
pub const RESET_HOLD_FACTORY_MS: u64 = 5000;

/// What holding the reset button for `hold_ms` does (docs/management.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ResetButton {
    /// A short press: reboot with the saved configuration.
    Reboot,
    /// Held at least [`RESET_HOLD_FACTORY_MS`]: factory reset (everything) and reboot.
    FactoryReset,
}

impl ResetButton {
    /// The reset button's meaning for a press of `hold_ms`.
    pub fn for_hold(hold_ms: u64) -> ResetButton {
        if hold_ms >= RESET_HOLD_FACTORY_MS {
            ResetButton::FactoryReset
        } else {
            ResetButton::Reboot
        }
    }
}

/// The host side of flash that survives a power cut: which configuration a power-on boots.
///
/// The simulator starts with the configuration of `--config`/`--set` (else flash, else factory,
/// docs/config.md). Until a save begins in this run, a reboot boots that start configuration
/// again when the run was started with `--config` or `--set` (they stand for this run's flash);
/// from the first save on, or when the run started from flash alone, the file in flash is what
/// boots. Both runtimes hold one of these next to their flash and call [`Nvram::note`] for every
/// [`FlashOp`] they carry out.
#[derive(Debug, Clone)]
pub struct Nvram {
    start: Config,
    flash_in_charge: bool,
}

/// Where a boot's configuration came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BootSource {
    /// The saved configuration in flash.
    Saved,
    /// The configuration the run started with (`--config`/`--set`, nothing saved yet).
    Start,
    /// Factory values (flash is empty).
    Factory,
    /// Factory values because the file in flash was not a valid configuration.
    FactoryAfterBadFile,
}

impl Nvram {
    /// `start` is the configuration the run started with; `overridden` says whether it came
    /// from `--config`/`--set` rather than from flash alone.
    pub fn new(start: Config, overridden: bool) -> Nvram {
        Nvram {
            start,
            flash_in_charge: !overridden,
        }
    }

    /// Records that the runtime carries out `op`: from a save's first step on, flash decides.
    pub fn note(&mut self, op: &FlashOp) {
        if matches!(op, FlashOp::WriteTemp { .. }) {
            self.flash_in_charge = true;
        }
    }

    /// The configuration a power-on boots, given the saved file's bytes (None: no file).
    pub fn boot_config(&self, file: Option<&[u8]>) -> (Config, BootSource) {
        if !self.flash_in_charge {
            return (self.start.clone(), BootSource::Start);
        }
        let Some(bytes) = file else {
            return (self.with_sim(Config::factory()), BootSource::Factory);
        };
        match std::str::from_utf8(bytes).ok().map(Config::from_toml_str) {
            Some(Ok(c)) => (c, BootSource::Saved),
            _ => (
                self.with_sim(Config::factory()),
                BootSource::FactoryAfterBadFile,
            ),
        }
    }

    /// Factory values keep the run's simulator keys (the rig's ports), as a factory reset does.
    fn with_sim(&self, mut c: Config) -> Config {
        c.sim = self.start.sim.clone();
        c
    }
}

/// Whether a key change waits for a reboot.
pub fn waits_for_reboot(effect: Effect) -> bool {
    effect != Effect::Apply
}

#[cfg(test)]
mod tests;
