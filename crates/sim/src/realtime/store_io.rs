//! The real-time runtime's side of the configuration store and of power: the device's flash
//! steps carried out on the state directory (crates/hostfs), a power cut that drops every
//! socket at once, and the boot that follows (docs/management.md).
//!
//! The rules (what is saved, when, what boots) are the model's (`m2285_core::store`); this
//! file only does the I/O they ask for, as the virtual-time runtime does on its simulated flash.

use super::Runtime;
use m2285_core::store::{FlashOp, FlashReport, CONFIG_FILE, MAX_CONFIG_BYTES};
use m2285_core::{Device, Event};
use m2285_time::Instant;
use serde_json::json;
use std::path::Path;
use std::time::Duration;

/// The host side of flash: the state directory and the temporary file of a save in progress.
pub(super) struct FlashDir {
    /// The state directory.
    pub dir: std::path::PathBuf,
    /// The temporary file written by the last `WriteTemp`, until it is renamed.
    temp: Option<std::path::PathBuf>,
    /// Which configuration a power-on boots (the model's rule).
    pub nvram: m2285_core::store::Nvram,
}

impl FlashDir {
    /// The flash of a device whose state directory is `dir`, started with `start`
    /// (`overridden`: from `--config`/`--set`).
    pub fn new(dir: &Path, start: m2285_core::Config, overridden: bool) -> FlashDir {
        // A save cut short (the process killed mid-write) leaves its temporary file: at boot
        // it is garbage, as on the device's flash.
        match m2285_hostfs::remove_stale_temps(dir, CONFIG_FILE) {
            Ok(0) => {}
            Ok(n) => tracing::info!("removed {n} temporary file(s) of an interrupted save"),
            Err(e) => tracing::warn!("state directory: {e}"),
        }
        FlashDir {
            dir: dir.to_owned(),
            temp: None,
            nvram: m2285_core::store::Nvram::new(start, overridden),
        }
    }

    /// Carries out one flash step.
    pub fn carry_out(&mut self, op: FlashOp) -> FlashReport {
        self.nvram.note(&op);
        match op {
            FlashOp::WriteTemp { file, bytes } => {
                let path =
                    m2285_hostfs::write_temp(&self.dir, file, &bytes, m2285_hostfs::SECRET_MODE)
                        .map_err(|e| e.to_string())?;
                if let Some(stale) = self.temp.replace(path) {
                    let _ = std::fs::remove_file(stale);
                }
                Ok(())
            }
            FlashOp::Rename { file } => {
                let tmp = self
                    .temp
                    .take()
                    .ok_or_else(|| "no temporary file to rename".to_owned())?;
                m2285_hostfs::rename_into(&self.dir, &tmp, file).map_err(|e| {
                    let _ = std::fs::remove_file(&tmp);
                    e.to_string()
                })
            }
            FlashOp::SyncDir => m2285_hostfs::sync_dir(&self.dir).map_err(|e| e.to_string()),
        }
    }

    /// The configuration a power-on boots now.
    pub fn boot_config(&self) -> m2285_core::Config {
        let path = self.dir.join(CONFIG_FILE);
        let bytes = match m2285_hostfs::read_private(&path, MAX_CONFIG_BYTES) {
            Ok(b) => b,
            Err(e) => {
                tracing::error!("{e}; booting factory values");
                Some(Vec::new())
            }
        };
        let (config, source) = self.nvram.boot_config(bytes.as_deref());
        tracing::info!(?source, "booting");
        config
    }
}

impl Runtime {
    /// Carries out a flash step of the device and reports it back at once.
    pub(super) fn flash_step(&mut self, op: FlashOp, now: Instant) {
        let report = self.flash.carry_out(op);
        if let Err(e) = &report {
            tracing::error!("flash: {e}");
        }
        self.device.handle(Event::Flash(report), now);
    }

    /// The power goes off now and comes back `off` later: every socket is dropped at once
    /// (peers get a reset, connects are refused), RAM is lost, and the device boots what flash
    /// holds. The PTY stays: a program on the serial port keeps its descriptor.
    pub(super) fn power_cycle(&mut self, off: Duration, now: Instant) {
        self.net.abort_all(self.poll.registry());
        self.serial.pty.vcd().power_off(now, now + off);
        let boots = self.device.boots();
        let config = self.flash.boot_config();
        // The host is the same; the RTC offset comes back from the state directory.
        let platform = m2285_core::admin::Platform {
            rtc_offset_ms: super::rtc_offset(&self.flash.dir),
            ..self.device.admin().platform_for_reboot()
        };
        let mut device = Device::power_on(config, boots, now + off);
        // The data/console switch is on the case, not in RAM.
        device.set_console_switch(self.device.console_switch(), now + off);
        device.set_seed(self.seed.wrapping_add(boots + 1));
        device.set_kept_firmware(super::boot_state::kept_firmware(&self.flash.dir).as_deref());
        device.set_platform(platform);
        let device_unix = device.admin().clock.unix_secs(now + off);
        if let Some(material) = self.tls_material(device.config(), device_unix) {
            device.install_tls(material);
        }
        self.device = device;
        crate::output::emit_event(
            json!({"event": "power_off", "off_ms": u64::try_from(off.as_millis()).unwrap_or(u64::MAX)}),
            now,
            &self.tracer,
        );
    }

    /// After a boot: the certificate and key as the booted configuration names them.
    pub(super) fn after_boot(&mut self) {
        let device_unix = self.device.admin().clock.unix_secs(self.clock.now());
        if let Some(material) = self.tls_material(self.device.config(), device_unix) {
            self.device.install_tls(material);
        }
    }

    /// The TLS material for `config`, the device's own certificate renewed if it must be at the
    /// device's date `device_unix`.
    fn tls_material(
        &self,
        config: &m2285_core::Config,
        device_unix: i64,
    ) -> Option<m2285_core::TlsMaterial> {
        match crate::tls_files::load(
            config,
            &self.flash.dir,
            &self.ip.to_string(),
            self.seed,
            device_unix,
            false,
        ) {
            Ok(m) => m,
            Err(e) => {
                tracing::error!("TLS material: {e}");
                None
            }
        }
    }
}
