//! The device's management operations on its configuration store: stage, apply, discard, save,
//! save & reboot, factory reset, the reset button (docs/management.md). Every management face
//! (control API, console, web, SNMP) calls these, so they behave alike.

use super::Device;
use crate::config::Config;
use crate::io::{Action, DeviceEvent};
use crate::store::{self, FlashReport, ResetButton, SaveProgress, StoreError, StoreStatus};
use m2285_time::Instant;
use serde::Serialize;

/// What an apply did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ApplyReport {
    /// Keys whose running value changed.
    pub applied: Vec<String>,
    /// Applied keys (now or earlier) that take effect at the next reboot.
    pub pending_reboot: Vec<String>,
}

impl Device {
    /// The store's snapshot: staged, pending-reboot and unsaved keys, a save in progress.
    pub fn store_status(&self) -> StoreStatus {
        self.store.status(&self.config)
    }

    /// The configuration a reboot boots (the saved one).
    pub fn saved_config(&self) -> &Config {
        self.store.saved()
    }

    /// The staged configuration: the running one with the staged edits.
    pub fn staged_config(&self) -> &Config {
        self.store.staged().unwrap_or(&self.config)
    }

    /// Stages `KEY=VALUE` edits (checked like `--set`), all or nothing; nothing runs yet.
    pub fn stage(&mut self, sets: &[String]) -> Result<(), StoreError> {
        self.store.stage_sets(&self.config, sets)
    }

    /// Stages a whole configuration (an import, checked already).
    pub fn stage_config(&mut self, config: Config) {
        self.store.stage_config(config);
    }

    /// Forgets the staged edits; true if there were any.
    pub fn discard(&mut self) -> bool {
        self.store.discard()
    }

    /// Makes the staged configuration the running one. Keys that wait for a reboot are listed;
    /// the `config_applied` event says the same.
    pub fn apply(&mut self, now: Instant) -> Result<ApplyReport, StoreError> {
        if self.is_down() {
            return Err(StoreError::Down);
        }
        let Some(staged) = self.store.take_staged() else {
            return Ok(ApplyReport {
                applied: Vec::new(),
                pending_reboot: self.store_status().pending_reboot,
            });
        };
        let applied = store::changed_keys(&self.config, &staged);
        if !applied.is_empty() {
            self.apply_config(staged, now);
        }
        let report = ApplyReport {
            applied,
            pending_reboot: self.store_status().pending_reboot,
        };
        self.notify(DeviceEvent::ConfigApplied {
            keys: report.applied.clone(),
            pending_reboot: report.pending_reboot.clone(),
        });
        Ok(report)
    }

    /// Starts writing the running configuration to flash; `config_saved` follows when the
    /// runtime has carried out every step.
    pub fn save(&mut self, _now: Instant) -> Result<(), StoreError> {
        if self.is_down() {
            return Err(StoreError::Down);
        }
        if let Some(op) = self.store.start_save(&self.config) {
            self.actions.push_back(Action::Flash(op));
        }
        Ok(())
    }

    /// Saves, then reboots once flash holds the configuration.
    pub fn save_and_reboot(&mut self, now: Instant) -> Result<(), StoreError> {
        self.save(now)?;
        self.reboot_after_save = Some("save_and_reboot");
        Ok(())
    }

    /// Factory reset: factory values (all, or all but the network keys; the simulator's
    /// `sim.*` keys stay), saved to flash, then a reboot.
    pub fn factory_reset(&mut self, keep_network: bool, now: Instant) -> Result<(), StoreError> {
        self.factory_reset_for("factory_reset", keep_network, now)
    }

    /// The physical reset button held for `hold_ms`: a reboot, or a factory reset held long
    /// enough ([`store::RESET_HOLD_FACTORY_MS`]).
    pub fn reset_button(&mut self, hold_ms: u64, now: Instant) -> Result<ResetButton, StoreError> {
        let what = ResetButton::for_hold(hold_ms);
        match what {
            ResetButton::Reboot => {
                if self.is_down() {
                    return Err(StoreError::Down);
                }
                self.reboot("reset_button", now);
            }
            ResetButton::FactoryReset => self.factory_reset_for("reset_button", false, now)?,
        }
        Ok(what)
    }

    fn factory_reset_for(
        &mut self,
        cause: &'static str,
        keep_network: bool,
        now: Instant,
    ) -> Result<(), StoreError> {
        if self.is_down() {
            return Err(StoreError::Down);
        }
        self.store.discard();
        // The device is about to reboot into these values: they need not run first.
        self.config = store::factory_reset(&self.config, keep_network);
        self.save(now)?;
        self.reboot_after_save = Some(cause);
        Ok(())
    }

    /// The runtime's report on the flash step it carried out.
    pub(super) fn flash_report(&mut self, report: FlashReport, now: Instant) {
        match self.store.flash_report(report) {
            SaveProgress::Next(op) => self.actions.push_back(Action::Flash(op)),
            SaveProgress::Saved => {
                let saves = self.store.saves;
                self.notify(DeviceEvent::ConfigSaved { saves });
                match self.store.start_queued() {
                    Some(op) => self.actions.push_back(Action::Flash(op)),
                    None => self.reboot_if_asked(now),
                }
            }
            SaveProgress::Failed(reason) => {
                tracing::error!("saving the configuration failed: {reason}");
                self.notify(DeviceEvent::SaveFailed { reason });
                self.reboot_if_asked(now);
            }
            SaveProgress::Ignored => {}
        }
    }

    fn reboot_if_asked(&mut self, now: Instant) {
        if let Some(cause) = self.reboot_after_save.take() {
            self.go_down(cause, now);
        }
    }
}
