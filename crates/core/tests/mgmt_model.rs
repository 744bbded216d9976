//! The web pages' rules inside the device model, on synthetic time: logins checked against the
//! accounts under the failed-login lockout, with their events; a firmware upgrade kept as state
//! and booted, and found again at the next power-on.

use m2285_core::admin::firmware;
use m2285_core::admin::Platform;
use m2285_core::io::{Action, DeviceEvent};
use m2285_core::{Config, Device, LoginVerdict};
use m2285_time::Instant;
use std::net::SocketAddr;
use std::time::Duration;

const PLATFORM: Platform = Platform {
    unix_ms_at_power_on: 1_700_000_000_000,
    rtc_offset_ms: 0,
    hardware_id: 7,
};

fn device(sets: &[&str]) -> Device {
    let config = Config::factory()
        .with_sets(sets.iter().copied())
        .unwrap_or_else(|e| panic!("bad test config: {e:?}"));
    let mut d = Device::new(config, Instant::ZERO);
    d.set_platform(PLATFORM);
    d
}

fn events(d: &mut Device) -> Vec<DeviceEvent> {
    std::iter::from_fn(|| d.poll_action())
        .filter_map(|a| match a {
            Action::Notify(e) => Some(e),
            _ => None,
        })
        .collect()
}

fn name(e: &DeviceEvent) -> String {
    m2285_core::admin::syslog::describe(e).0
}

#[test]
fn web_logins_follow_the_accounts_and_the_lockout() {
    let mut d = device(&[
        "system.login.max_failures=2",
        "system.users[2].name=op",
        "system.users[2].role=user",
        "system.users[2].password=oppass",
    ]);
    events(&mut d);
    let peer = SocketAddr::from(([127, 0, 0, 9], 5000));
    let other = SocketAddr::from(([127, 0, 0, 10], 5000));
    let svc = m2285_core::admin::filter::Service::Https;
    let t = Instant::ZERO;
    assert_eq!(
        d.web_login(svc, peer, "admin", "admin", t),
        LoginVerdict::Accepted
    );
    assert_eq!(
        d.web_login(svc, peer, "op", "oppass", t),
        LoginVerdict::Refused
    );
    assert_eq!(
        d.web_login(svc, peer, "ghost", "x", t),
        LoginVerdict::Refused
    );
    // Two failures lock the address out; another address may still log in.
    assert_eq!(
        d.web_login(svc, peer, "admin", "admin", t),
        LoginVerdict::LockedOut
    );
    assert_eq!(
        d.web_login(svc, other, "root", "root", t),
        LoginVerdict::Accepted
    );
    let names: Vec<String> = events(&mut d).iter().map(name).collect();
    assert_eq!(
        names,
        [
            "web_login",
            "web_login_failed",
            "web_login_failed",
            "login_lockout",
            "web_login_failed",
            "web_login"
        ]
    );
    // After the lockout window the address may try again.
    let later = t + Duration::from_secs(61);
    assert_eq!(
        d.web_login(svc, peer, "admin", "admin", later),
        LoginVerdict::Accepted
    );
}

#[test]
fn a_firmware_upgrade_is_kept_and_booted() {
    let mut d = device(&["sim.boot_time_ms=100"]);
    events(&mut d);
    let before = d.admin().identity.firmware.clone();
    let image = firmware::build("7.1.0", b"payload").unwrap_or_default();
    let image = firmware::parse(&image).unwrap_or_else(|e| panic!("{e}"));
    let t = Instant::ZERO + Duration::from_secs(1);
    d.upgrade_firmware(&image, t);
    let actions: Vec<Action> = std::iter::from_fn(|| d.poll_action()).collect();
    assert!(actions.iter().any(|a| matches!(a,
        Action::WriteState { file, bytes } if *file == firmware::FIRMWARE_FILE && bytes == b"7.1.0\n")));
    assert!(actions.iter().any(|a| matches!(
        a,
        Action::Notify(DeviceEvent::Rebooting {
            cause: "firmware_upgrade",
            ..
        })
    )));
    // Until the reboot ends the old firmware runs.
    assert_eq!(d.admin().identity.firmware, before);
    d.handle_timeout(t + Duration::from_millis(200));
    assert_eq!(d.admin().identity.firmware, "7.1.0");
    assert!(events(&mut d).iter().any(|e| matches!(e,
        DeviceEvent::Booted { firmware, .. } if firmware == "7.1.0")));
    // The next power-on finds it in the state file.
    let mut fresh = Device::power_on(Config::factory(), 2, Instant::ZERO);
    fresh.set_kept_firmware(Some(b"7.1.0\n"));
    fresh.set_platform(PLATFORM);
    assert_eq!(fresh.admin().identity.firmware, "7.1.0");
}
