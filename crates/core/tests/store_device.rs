//! The device's store and power operations through its sans-IO face: actions out, reports in.

use m2285_core::io::{Action, DeviceEvent, ListenerId};
use m2285_core::store::{FlashOp, StoreError};
use m2285_core::{Config, Device, Event};
use m2285_time::Instant;
use std::time::Duration;

fn device(sets: &[&str]) -> Device {
    let config = match Config::factory().with_sets(sets.iter().copied()) {
        Ok(c) => c,
        Err(e) => panic!("{e:?}"),
    };
    Device::new(config, Instant::ZERO)
}

fn drain(d: &mut Device) -> Vec<Action> {
    std::iter::from_fn(|| d.poll_action()).collect()
}

/// Carries out every flash step with success, as a runtime would; returns the steps.
fn complete_flash(d: &mut Device, now: Instant) -> (Vec<FlashOp>, Vec<Action>) {
    let mut ops = Vec::new();
    let mut others = Vec::new();
    loop {
        let actions = drain(d);
        if actions.is_empty() {
            return (ops, others);
        }
        for a in actions {
            match a {
                Action::Flash(op) => {
                    ops.push(op);
                    d.handle(Event::Flash(Ok(())), now);
                }
                other => others.push(other),
            }
        }
    }
}

fn notified(actions: &[Action], pred: impl Fn(&DeviceEvent) -> bool) -> bool {
    actions
        .iter()
        .any(|a| matches!(a, Action::Notify(e) if pred(e)))
}

#[test]
fn stage_apply_save_reboot_boots_the_saved_configuration() {
    let mut d = device(&["sim.boot_time_ms=500"]);
    drain(&mut d);
    let t = Instant::ZERO + Duration::from_secs(1);
    assert_eq!(d.stage(&["port1.serial.baud=19200".into()]), Ok(()));
    assert_eq!(d.config().port1.serial.baud, 9600, "staged, not running");
    let report = d.apply(t).unwrap_or_default();
    assert_eq!(report.applied, vec!["port1.serial.baud"]);
    assert_eq!(d.config().port1.serial.baud, 19200);
    assert_eq!(d.saved_config().port1.serial.baud, 9600);
    assert_eq!(d.save(t), Ok(()));
    let (ops, others) = complete_flash(&mut d, t);
    assert_eq!(ops.len(), 3, "{ops:?}");
    assert!(notified(&others, |e| matches!(
        e,
        DeviceEvent::ConfigSaved { .. }
    )));
    assert_eq!(d.saved_config().port1.serial.baud, 19200);
    d.reboot("reboot", t);
    let down = drain(&mut d);
    assert!(down.iter().any(|a| matches!(
        a,
        Action::Unlisten {
            listener: ListenerId::Data
        }
    )));
    assert!(notified(&down, |e| matches!(
        e,
        DeviceEvent::Rebooting {
            boot_time_ms: 500,
            ..
        }
    )));
    assert!(d.is_down());
    assert_eq!(d.apply(t), Err(StoreError::Down));
    assert_eq!(d.next_deadline(), Some(t + Duration::from_millis(500)));
    d.handle_timeout(t + Duration::from_millis(499));
    assert!(d.is_down());
    d.handle_timeout(t + Duration::from_millis(500));
    assert!(!d.is_down());
    let up = drain(&mut d);
    assert!(up.iter().any(|a| matches!(
        a,
        Action::Listen {
            listener: ListenerId::Data,
            ..
        }
    )));
    assert!(notified(&up, |e| matches!(
        e,
        DeviceEvent::Booted { boot: 1, .. }
    )));
    assert_eq!(d.config().port1.serial.baud, 19200);
}

#[test]
fn a_reboot_without_save_loses_applied_changes() {
    let mut d = device(&["sim.boot_time_ms=0"]);
    let t = Instant::ZERO;
    let _ = d.stage(&["port1.serial.baud=1200".into()]);
    let _ = d.apply(t);
    d.reboot("reboot", t);
    d.handle_timeout(t);
    assert_eq!(d.config().port1.serial.baud, 9600);
}

#[test]
fn factory_reset_saves_factory_values_and_reboots() {
    let mut d = device(&[
        "port1.serial.baud=1200",
        "network.ip=10.0.0.7",
        "sim.boot_time_ms=100",
    ]);
    let t = Instant::ZERO;
    assert_eq!(d.factory_reset(true, t), Ok(()));
    let (ops, others) = complete_flash(&mut d, t);
    assert_eq!(ops.len(), 3);
    assert!(notified(&others, |e| matches!(
        e,
        DeviceEvent::Rebooting {
            cause: "factory_reset",
            ..
        }
    )));
    d.handle_timeout(t + Duration::from_millis(100));
    assert_eq!(d.config().port1.serial.baud, 9600);
    assert_eq!(d.config().network.ip.to_string(), "10.0.0.7");
    assert_eq!(d.config().sim.boot_time_ms, 100);
}

#[test]
fn power_on_serves_only_after_the_boot_time() {
    let config = match Config::factory().with_set("sim.boot_time_ms", "2000") {
        Ok(c) => c,
        Err(e) => panic!("{e:?}"),
    };
    let t = Instant::ZERO + Duration::from_secs(5);
    let mut d = Device::power_on(config, 3, t);
    assert!(drain(&mut d).is_empty(), "nothing before the boot ends");
    assert!(d.is_down());
    d.handle_timeout(t + Duration::from_secs(2));
    let up = drain(&mut d);
    assert!(up.iter().any(|a| matches!(a, Action::Listen { .. })));
    assert!(notified(&up, |e| matches!(
        e,
        DeviceEvent::Booted { boot: 4, .. }
    )));
}

#[test]
fn a_reboot_keeps_the_rtc_and_identity_and_starts_uptime_and_the_log_afresh() {
    let mut d = device(&["sim.boot_time_ms=100", "system.device_name=lab"]);
    d.set_platform(m2285_core::admin::Platform {
        unix_ms_at_power_on: 1_000_000,
        rtc_offset_ms: 0,
        hardware_id: 42,
    });
    let first = drain(&mut d);
    let boots = |actions: &[Action]| {
        actions
            .iter()
            .filter(|a| matches!(a, Action::Notify(DeviceEvent::Booted { .. })))
            .count()
    };
    assert_eq!(boots(&first), 1, "one booted at power-on: {first:?}");
    let serial_number = d.admin().identity.serial_number.clone();
    let t = Instant::ZERO + Duration::from_secs(10);
    d.set_clock(5_000_000, t);
    let offset = d.admin().clock.offset_ms();
    assert_ne!(offset, 0);
    drain(&mut d);
    assert!(!d.admin().log.since(0).is_empty());
    d.reboot("reboot", t);
    drain(&mut d);
    let up_at = t + Duration::from_millis(100);
    d.handle_timeout(up_at);
    let up = drain(&mut d);
    assert_eq!(boots(&up), 1, "one booted per boot: {up:?}");
    assert!(notified(&up, |e| matches!(
        e,
        DeviceEvent::Booted { boot: 1, name, serial_number: s, .. }
            if name == "lab" && *s == serial_number
    )));
    assert_eq!(d.admin().clock.offset_ms(), offset, "the RTC survives");
    assert_eq!(d.admin().clock.unix_ms(up_at), 5_000_000 + 100);
    assert_eq!(d.admin().clock.uptime_ms(up_at), 0, "the uptime does not");
    let log = d.admin().log.since(0);
    assert_eq!(
        log.len(),
        1,
        "the RAM log starts again with the boot: {log:?}"
    );
}
