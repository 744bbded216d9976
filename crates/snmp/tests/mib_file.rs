//! The shipped MIB file: net-snmp loads it without a warning, and it names every object the
//! agent serves under the enterprise arc (and every enterprise trap), so file and code agree.

use m2285_core::{Config, Device};
use m2285_snmp::mib::Mib;
use m2285_snmp::oid::{dotted, M2285_MIB};
use m2285_snmp::view::{from_device, HostFacts};
use m2285_snmp::Notification;
use m2285_time::Instant;
use std::collections::BTreeMap;
use std::process::Command;

fn mibs_dir() -> String {
    format!("{}/../../mibs", env!("CARGO_MANIFEST_DIR"))
}

fn snmptranslate(args: &[&str]) -> (String, String) {
    let out = Command::new("snmptranslate")
        .env("MIBS", "")
        .args(["-Pw", "-m", "M2285-MIB", "-M", &format!("+{}", mibs_dir())])
        .args(args)
        .output()
        .expect("snmptranslate runs (scripts/setup installs snmp)");
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn net_snmp_loads_the_mib_without_warnings() {
    let (out, err) = snmptranslate(&["-On", "M2285-MIB::m2285PortSerialRxBytes"]);
    assert_eq!(err, "", "snmptranslate complained");
    assert_eq!(out.trim(), ".1.3.6.1.4.1.32473.2285.1.1.1.18");
}

#[test]
fn the_mib_names_every_served_enterprise_object_and_trap() {
    let (out, err) = snmptranslate(&["-Tz"]);
    assert_eq!(err, "");
    // "name"<tabs>"1.3.6..." per line.
    let names: BTreeMap<String, String> = out
        .lines()
        .filter_map(|l| {
            let mut parts = l.split('"').filter(|p| !p.trim().is_empty());
            let name = parts.next()?.to_owned();
            Some((parts.next()?.to_owned(), name))
        })
        .collect();
    let device = Device::new(Config::factory(), Instant::from_nanos(0));
    let view = from_device(
        &device,
        &Default::default(),
        &HostFacts::default(),
        Instant::from_nanos(0),
    );
    let mib = Mib::build(&view, &Default::default());
    let mut checked = 0;
    for (oid, entry) in mib.iter().filter(|(o, _)| o.starts_with(M2285_MIB)) {
        let object = dotted(&oid[..entry.object_len]);
        assert!(
            names.contains_key(&object),
            "{} is served but not in the MIB",
            dotted(oid)
        );
        checked += 1;
    }
    assert_eq!(checked, 30, "one port row of 30 columns");
    for n in [
        Notification::SessionOpened {
            port: 1,
            peer: String::new(),
        },
        Notification::SessionClosed {
            port: 1,
            reason: String::new(),
        },
        Notification::PortEvent {
            port: 1,
            keyword: String::new(),
        },
    ] {
        assert!(
            names.contains_key(&dotted(&n.trap_oid())),
            "{n:?} not in the MIB"
        );
    }
    assert_eq!(
        names
            .get(&dotted(m2285_snmp::oid::M2285_DEVICE))
            .map(String::as_str),
        Some("m2285Device")
    );
}
