//! The switches of the simulated world: faults going on and off, the power switch, and the
//! control lines as a logic analyser records them.

use super::Simulation;
use crate::faults::FaultKind;
use crate::network::Ctx;
use crate::rng::SimRng;
use crate::trace::vcd::Signal;
use crate::trace::TraceEvent;
use m2285_core::{Device, LineEvent};

/// The calendar date of power-on, for TLS certificate checks: 2026-01-01T00:00:00Z.
pub const SIM_EPOCH_UNIX: i64 = 1_767_225_600;

impl Simulation {
    /// Gives the device its TLS certificate and key (`port1.crypto.method = "ssl"`), now and
    /// at every later boot, as the real-time runtime does from its state directory.
    pub fn install_tls(&mut self, material: m2285_core::TlsMaterial) {
        if let Some(device) = &mut self.device {
            device.install_tls(material.clone());
        }
        self.tls = Some(material);
    }

    pub(super) fn fault_on(&mut self, index: usize) {
        if !self.faults.activate(index) {
            return;
        }
        let Some(inst) = self.faults.get(index) else {
            return;
        };
        let (id, name, kind, peer) = (
            inst.spec.id.clone(),
            inst.spec.name,
            inst.spec.kind.clone(),
            inst.spec.peer.clone(),
        );
        self.trace
            .record(self.now, TraceEvent::Fault { id, name, on: true });
        match kind {
            FaultKind::NetReset => {
                let mut ctx = Ctx {
                    now: self.now,
                    faults: &mut self.faults,
                    trace: &mut self.trace,
                };
                self.net.reset_links(&mut ctx, peer.as_deref());
                self.faults.finish(index);
            }
            FaultKind::DevicePowerCycle { off } => {
                self.faults.finish(index);
                self.power_cycle(off);
            }
            FaultKind::SerialBaudMismatch { baud } => {
                self.line_event(LineEvent::ObservedBaud(baud));
            }
            _ => {}
        }
        self.pump();
    }

    pub(super) fn fault_off(&mut self, index: usize) {
        let was_active = self.faults.get(index).is_some_and(|i| i.active);
        if !self.faults.finish(index) || !was_active {
            return;
        }
        let Some(inst) = self.faults.get(index) else {
            return;
        };
        let (id, name) = (inst.spec.id.clone(), inst.spec.name);
        let mismatch = matches!(inst.spec.kind, FaultKind::SerialBaudMismatch { .. });
        self.trace.record(
            self.now,
            TraceEvent::Fault {
                id,
                name,
                on: false,
            },
        );
        if mismatch {
            self.line_event(LineEvent::ObservedBaud(self.serial.baud));
        }
        self.pump();
    }

    pub(super) fn power_off(&mut self) {
        let Some(device) = self.device.take() else {
            return;
        };
        self.device_boots = device.boots();
        self.flash.power_cut(&mut self.power_rng);
        self.flash_generation += 1;
        self.net.power_off();
        for s in &mut self.sessions {
            if s.closed.is_none() {
                s.closed = Some((self.now, "power_off".into()));
            }
        }
        if let Some(vcd) = &mut self.trace.vcd {
            vcd.set(Signal::Dtr, self.now, false);
        }
        self.trace.record(self.now, TraceEvent::Power { on: false });
    }

    pub(super) fn power_on(&mut self) {
        if self.device.is_some() {
            return;
        }
        let mut device = if self.boots == 0 {
            // The simulation starts with the device booted.
            Device::new(self.config.clone(), self.now)
        } else {
            let (config, _) = self.flash.boot_config();
            Device::power_on(config, self.device_boots, self.now)
        };
        // The device's own randomness (TLS) from the one seed, different at every boot, and a
        // fixed calendar: nothing here may read the host's clock.
        self.boots += 1;
        device.set_seed(SimRng::new(self.seed, &format!("device.boot:{}", self.boots)).next_u64());
        let rtc_offset_ms = self
            .state_files
            .get(m2285_core::admin::clock::RTC_FILE)
            .and_then(|b| std::str::from_utf8(b).ok())
            .and_then(|t| t.trim().parse().ok())
            .unwrap_or(0);
        device.set_platform(m2285_core::admin::Platform {
            // Device time is the scenario's time, which starts at the simulation's epoch.
            unix_ms_at_power_on: SIM_EPOCH_UNIX * 1000,
            rtc_offset_ms,
            // The identity is the scenario's device, whatever the seed (the seed is noise).
            hardware_id: m2285_core::admin::identity::hardware_id(b"m2285-virtual device 1"),
        });
        if let Some(material) = &self.tls {
            device.install_tls(material.clone());
        }
        self.device = Some(device);
        self.net.power_on();
        self.trace.record(self.now, TraceEvent::Power { on: true });
        if self.serial.attached {
            self.line_event(LineEvent::PeerAttached(true));
            let baud = self.serial.baud;
            self.line_event(LineEvent::ObservedBaud(baud));
        }
        self.pump();
    }

    /// Records the control lines in the VCD when they changed (off: the device's outputs low).
    pub(crate) fn sample_lines(&mut self) {
        let Some(vcd) = &mut self.trace.vcd else {
            return;
        };
        let lines = match &self.device {
            Some(d) => d.lines(),
            // Unpowered, the device drives its outputs low; the equipment's lines stay.
            None => vcd.unpowered_lines(),
        };
        vcd.modem_lines(self.now, lines);
    }
}
