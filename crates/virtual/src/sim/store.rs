//! The configuration store and reboot in virtual time: the device's flash steps carried out on
//! the simulated flash, and the management operations a scenario or a test calls.

use super::{SimEvent, Simulation};
use crate::flash::Flash;
use m2285_core::store::{FlashOp, ResetButton, StoreError, StoreStatus};
use m2285_core::{ApplyReport, Config, Event};

impl Simulation {
    /// Carries out one flash step of the device: it completes after the flash's time for it,
    /// unless the power goes off first.
    pub(super) fn flash_start(&mut self, op: FlashOp) {
        let done_at = self.flash.start(op, self.now);
        self.sched
            .schedule(done_at, SimEvent::FlashDone(self.flash_generation));
    }

    /// A flash step completes (if the power stayed on since it started).
    pub(super) fn flash_done(&mut self, generation: u64) {
        if generation != self.flash_generation || !self.flash.busy() {
            return;
        }
        self.flash.complete();
        if let Some(d) = &mut self.device {
            d.handle(Event::Flash(Ok(())), self.now);
        }
        self.pump();
    }

    /// The device's flash.
    pub fn flash(&self) -> &Flash {
        &self.flash
    }

    /// The configuration saved in flash, if a valid one is there.
    pub fn saved_in_flash(&self) -> Option<Config> {
        let text = std::str::from_utf8(self.flash.saved_file()?).ok()?;
        Config::from_toml_str(text).ok()
    }

    /// The store's snapshot; `None` while the device is off.
    pub fn store_status(&self) -> Option<StoreStatus> {
        self.device.as_ref().map(m2285_core::Device::store_status)
    }

    /// Runs one store operation on the device and carries out what it asks for.
    fn store_op<T>(
        &mut self,
        op: impl FnOnce(&mut m2285_core::Device, m2285_time::Instant) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let now = self.now;
        let result = match &mut self.device {
            Some(d) => op(d, now),
            None => Err(StoreError::Down),
        };
        self.pump();
        result
    }

    /// Stages `KEY=VALUE` edits, all or nothing.
    pub fn stage(&mut self, sets: &[String]) -> Result<(), StoreError> {
        self.store_op(|d, _| d.stage(sets))
    }

    /// Forgets the staged edits; true if there were any.
    pub fn discard(&mut self) -> Result<bool, StoreError> {
        self.store_op(|d, _| Ok(d.discard()))
    }

    /// Applies the staged edits.
    pub fn apply(&mut self) -> Result<ApplyReport, StoreError> {
        self.store_op(|d, now| d.apply(now))
    }

    /// Starts saving the running configuration to flash.
    pub fn save(&mut self) -> Result<(), StoreError> {
        self.store_op(|d, now| d.save(now))
    }

    /// Saves, then reboots.
    pub fn save_and_reboot(&mut self) -> Result<(), StoreError> {
        self.store_op(|d, now| d.save_and_reboot(now))
    }

    /// Reboots (after a save in progress).
    pub fn reboot(&mut self) -> Result<(), StoreError> {
        self.store_op(|d, now| {
            if d.is_down() {
                return Err(StoreError::Down);
            }
            d.reboot("reboot", now);
            Ok(())
        })
    }

    /// Factory reset (all, or all but the network keys), saved, then a reboot.
    pub fn factory_reset(&mut self, keep_network: bool) -> Result<(), StoreError> {
        self.store_op(|d, now| d.factory_reset(keep_network, now))
    }

    /// The reset button held for `hold_ms`.
    pub fn reset_button(&mut self, hold_ms: u64) -> Result<ResetButton, StoreError> {
        self.store_op(|d, now| d.reset_button(hold_ms, now))
    }

    /// True while the device is on and booted.
    pub fn device_up(&self) -> bool {
        self.device.as_ref().is_some_and(|d| !d.is_down())
    }
}
