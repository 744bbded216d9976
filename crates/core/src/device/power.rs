//! Reboot and power: the device going down, refusing everything while it boots, and coming
//! back from the saved configuration (docs/management.md, "Reboot and power").
//!
//! A clean reboot is the device's own doing: it ends its sessions, stops listening, and after
//! `sim.boot_time_ms` rebuilds itself from the saved configuration. A power cut is the runtime's
//! (it drops the device and its sockets); the next power-on is [`Device::power_on`], which boots
//! the same way. Either way the serial cable (the runtime's PTY) stays where it is.

use super::Device;
use crate::config::Config;
use crate::io::{Action, CloseReason, DeviceEvent, Event, LineEvent, NetEvent};
use crate::lines::InputLine;
use m2285_time::Instant;
use std::time::Duration;

/// How much serial input the runtime may hand a device that is down (it is thrown away).
pub(super) const DOWN_SERIAL_ROOM: usize = 4096;

/// Whether the device runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Power {
    /// Booted and serving.
    Up,
    /// Down: booting until `until`, serving nothing meanwhile.
    Booting {
        /// When the boot ends.
        until: Instant,
    },
}

impl Device {
    /// Powers the device on at `now` after it was off (a power cycle): it boots `config` (what
    /// flash holds, [`crate::store::Nvram::boot_config`]) and serves after `sim.boot_time_ms`.
    /// `boot` counts the boots of this run (the first power-on, [`Device::new`], is 0).
    pub fn power_on(config: Config, boot: u64, now: Instant) -> Device {
        let until = now + boot_duration(&config);
        let mut device = Device::new(config, now);
        // The firmware is not running yet: nothing it would do at boot happens before `until`.
        device.actions.clear();
        device.power = Power::Booting { until };
        device.boots = boot;
        device
    }

    /// True while the device is down (booting).
    pub fn is_down(&self) -> bool {
        self.power != Power::Up
    }

    /// Boots since the simulator started this device (0 until the first reboot).
    pub fn boots(&self) -> u64 {
        self.boots
    }

    /// Reboots: now, or as soon as the save in progress ends. `cause` names it in the
    /// `rebooting` event.
    pub fn reboot(&mut self, cause: &'static str, now: Instant) {
        if self.store.saving() {
            self.reboot_after_save = Some(cause);
            return;
        }
        self.go_down(cause, now);
    }

    /// Ends every session and listener and starts booting the saved configuration.
    pub(super) fn go_down(&mut self, cause: &'static str, now: Instant) {
        if self.is_down() {
            return;
        }
        self.handle_timeout(now);
        self.port
            .shutdown_for(CloseReason::Reboot, &mut self.actions);
        let boot = boot_duration(self.store.saved());
        self.notify(DeviceEvent::Rebooting {
            cause,
            boot_time_ms: self.store.saved().sim.boot_time_ms,
        });
        self.serial_backlog.clear();
        self.power = Power::Booting { until: now + boot };
    }

    /// Finishes a boot that is due; false while the device is still down.
    pub(super) fn boot_if_due(&mut self, now: Instant) -> bool {
        match self.power {
            Power::Up => true,
            Power::Booting { until } if now >= until => {
                self.boot(now);
                true
            }
            Power::Booting { .. } => false,
        }
    }

    /// The firmware starts again from the saved configuration. What is outside the device's
    /// RAM stays: the cable's input lines, the program on the serial port, the device's seed
    /// lineage, certificate, calendar and RTC.
    fn boot(&mut self, now: Instant) {
        let config = self.store.saved().clone();
        let mut fresh = Device::build(config, now, self.tls.take());
        fresh.boots = self.boots + 1;
        fresh.seed = next_seed(self.seed, fresh.boots);
        fresh.admin.set_seed(fresh.seed);
        fresh.serial.peer_attached = self.serial.peer_attached;
        fresh.serial.observed_baud = self.serial.observed_baud;
        fresh.rebuild_stack_config();
        let inputs = [
            (InputLine::Dsr, self.lines.dsr),
            (InputLine::Cts, self.lines.cts),
            (InputLine::Dcd, self.lines.dcd),
            (InputLine::Ri, self.lines.ri),
        ];
        // The RTC keeps running across the boot; the uptime, the RAM system and port logs, the
        // lockouts and the filter counters start again (docs/management.md).
        let platform = self.admin.platform_for_reboot();
        // An upgraded firmware is what boots.
        fresh
            .admin
            .set_installed_firmware(self.admin.installed_firmware().map(str::to_owned));
        let mut pending = std::mem::take(&mut self.actions);
        let console_switch = self.console_switch;
        *self = fresh;
        if console_switch {
            // The switch is physical: the port that just booted gives way to the console.
            self.console_switch = true;
            self.actions.retain(|a| {
                !matches!(
                    a,
                    Action::Listen {
                        listener: crate::io::ListenerId::Data,
                        ..
                    }
                )
            });
            self.restart_port(now);
        }
        // Also gives the queued `booted` event (build's, the only one of this boot) its identity
        // and boot number.
        self.set_platform(platform);
        for (line, high) in inputs {
            self.set_input_line(line, high, now);
        }
        pending.append(&mut self.actions);
        self.actions = pending;
    }

    /// What a device that is down does with an event: the cable's lines and the program's
    /// presence are physical and kept; data is lost; a connection that slipped in is closed.
    pub(super) fn event_while_down(&mut self, event: Event) {
        match event {
            Event::Line(LineEvent::Signal { line, high }) => {
                self.lines.set_input(line, high);
            }
            Event::Line(LineEvent::PeerAttached(a)) => self.serial.peer_attached = a,
            Event::Line(LineEvent::ObservedBaud(b)) => self.serial.observed_baud = Some(b),
            Event::Net(NetEvent::Accepted { conn, .. }) => {
                self.actions.push_back(Action::Close { conn });
            }
            _ => {}
        }
    }
}

/// `sim.boot_time_ms` as a duration.
fn boot_duration(config: &Config) -> Duration {
    Duration::from_millis(u64::from(config.sim.boot_time_ms))
}

/// A fresh seed for each boot, derived from the first (splitmix64 step), so TLS randomness
/// differs between boots yet the run stays reproducible.
fn next_seed(seed: u64, boot: u64) -> u64 {
    let mut z = seed.wrapping_add(boot.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}
