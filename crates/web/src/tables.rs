//! The read-only pages' tables: status, statistics, system log, drawn from the device's
//! status as `ctl status` shows it.

use crate::layout::{self, show};
use crate::render::Tables;
use crate::Snapshot;
use serde_json::Value;

/// Flattens a JSON object into (dotted path, text) rows.
fn flatten(prefix: &str, v: &Value, out: &mut Vec<(String, String)>) {
    match v {
        Value::Object(m) => {
            for (k, child) in m {
                let p = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&p, child, out);
            }
        }
        Value::Array(a) if a.iter().any(|x| x.is_object()) => {
            for (i, child) in a.iter().enumerate() {
                flatten(&format!("{prefix}[{i}]"), child, out);
            }
        }
        other => out.push((prefix.to_owned(), show(other))),
    }
}

pub(crate) fn status_tables(snap: &Snapshot) -> Tables {
    let st = &snap.status;
    let section = |name: &str, id: &str, keys: &[&str]| {
        let mut rows = Vec::new();
        for k in keys {
            if let Some(v) = st.get(*k) {
                flatten(k, v, &mut rows);
            }
        }
        (name.to_owned(), id.to_owned(), rows)
    };
    let mut identity = vec![("model".into(), "Patton EtherBits 2285 (simulated)".into())];
    for k in [
        "firmware",
        "name",
        "serial_number",
        "mac",
        "uptime_ms",
        "time",
        "boots",
    ] {
        let v = st.pointer(&format!("/device/{k}")).unwrap_or(&Value::Null);
        identity.push((k.into(), show(v)));
    }
    for k in ["network.ip", "network.netmask", "network.gateway"] {
        identity.push((k.into(), show(&layout::lookup(&snap.config, k))));
    }
    let mut tables = vec![("Device".to_owned(), "device".to_owned(), identity)];
    tables.push(section("Network", "network", &["ip", "ports"]));
    tables.push(section(
        "Serial port",
        "port",
        &[
            "mode",
            "port_enabled",
            "serial",
            "signals",
            "dsr_allows_sessions",
        ],
    ));
    tables.push(section("Sessions", "sessions", &["sessions"]));
    tables
}

/// The counters notes §11.5 lists that the simulator does not model (it has no IP stack of
/// its own: the host's kernel carries the packets).
const UNMODELLED: &[(&str, &[&str])] = &[
    (
        "IP",
        &[
            "Forwarding",
            "DefaultTTL",
            "InReceives",
            "InHdrErrors",
            "InAddrErrors",
            "ForwDatagrams",
            "InUnknownProtos",
            "InDiscards",
            "InDelivers",
            "OutRequests",
            "OutDiscards",
            "OutNoRoutes",
        ],
    ),
    (
        "ICMP",
        &[
            "InMsgs",
            "InErrors",
            "InDestUnreachs",
            "InEchos",
            "OutMsgs",
            "OutErrors",
            "OutEchoReps",
        ],
    ),
];

pub(crate) fn statistics_tables(snap: &Snapshot) -> Tables {
    let mut serial = Vec::new();
    if let Some(c) = snap.status.get("counters") {
        flatten("", c, &mut serial);
    }
    // TCP and UDP: MIB-II's groups as the SNMP agent answers them (`ctl status`'s `mib2`, from
    // `m2285_snmp::view`), so the page and an SNMP walk never disagree.
    let mib2 = |group: &str| {
        let mut rows = Vec::new();
        if let Some(Value::Object(m)) = snap.status.get("mib2").and_then(|m| m.get(group)) {
            rows.extend(m.iter().map(|(k, v)| (k.clone(), show(v))));
        }
        rows
    };
    let mut tables = vec![
        ("Serial port".to_owned(), "stats-serial".to_owned(), serial),
        (
            "TCP (MIB-II, as SNMP answers)".to_owned(),
            "stats-tcp".to_owned(),
            mib2("tcp"),
        ),
        (
            "UDP (MIB-II, as SNMP answers)".to_owned(),
            "stats-udp".to_owned(),
            mib2("udp"),
        ),
    ];
    for (name, counters) in UNMODELLED {
        tables.push((
            format!("{name} (not modelled: the host's kernel carries the packets)"),
            format!("stats-{}", name.to_ascii_lowercase()),
            counters
                .iter()
                .map(|c| ((*c).to_owned(), "—".to_owned()))
                .collect(),
        ));
    }
    tables
}

pub(crate) fn log_tables(snap: &Snapshot) -> Tables {
    let rows = match snap.status.get("log") {
        Some(Value::Array(lines)) => lines
            .iter()
            .enumerate()
            .map(|(i, l)| ((i + 1).to_string(), show(l)))
            .collect(),
        _ => vec![("—".into(), "no log entries".into())],
    };
    vec![("System log".into(), "syslog".into(), rows)]
}
