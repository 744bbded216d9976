//! The device's own IP/ICMP/TCP/UDP counters in the namespace mode: the kernel's
//! `/proc/net/snmp` and `/proc/net/netstat` of the device's namespace, read by a thread inside it
//! (`/proc/thread-self/net/...` shows the reading thread's namespace).

use serde_json::{Map, Value};

/// Counters by group (`Ip`, `Icmp`, `Tcp`, `Udp`, `TcpExt`, ...) and name (`RetransSegs`, ...):
/// the type the SNMP view takes.
pub type Counters = m2285_snmp::view::KernelCounters;

/// Reads the calling thread's namespace's counters (empty when /proc cannot be read).
pub fn read_this_thread() -> Counters {
    let mut all = Counters::new();
    for file in [
        "/proc/thread-self/net/snmp",
        "/proc/thread-self/net/netstat",
    ] {
        if let Ok(text) = std::fs::read_to_string(file) {
            all.extend(parse(&text));
        }
    }
    all
}

/// Parses the `/proc/net/snmp` layout: per group, a line of names then a line of values, both
/// starting with `Group:`. Lines that do not pair up are skipped.
pub fn parse(text: &str) -> Counters {
    let mut out = Counters::new();
    let mut lines = text.lines();
    while let (Some(names), Some(values)) = (lines.next(), lines.next()) {
        let (Some((group, names)), Some((group2, values))) =
            (names.split_once(':'), values.split_once(':'))
        else {
            continue;
        };
        if group != group2 {
            continue;
        }
        let entry = out.entry(group.to_owned()).or_default();
        for (name, value) in names.split_whitespace().zip(values.split_whitespace()) {
            if let Ok(v) = value.parse::<i64>() {
                entry.insert(name.to_owned(), v);
            }
        }
    }
    out
}

/// The groups the device notes' statistics show (§11.5), as JSON for `ctl status`.
pub fn to_json(counters: &Counters) -> Value {
    let mut map = Map::new();
    for group in ["Ip", "Icmp", "Tcp", "Udp", "TcpExt"] {
        if let Some(g) = counters.get(group) {
            map.insert(
                group.to_owned(),
                Value::Object(
                    g.iter()
                        .map(|(k, v)| (k.clone(), Value::from(*v)))
                        .collect(),
                ),
            );
        }
    }
    Value::Object(map)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_of_lines_become_named_counters() {
        let text = "Ip: Forwarding DefaultTTL InReceives\nIp: 2 64 17\n\
                    Tcp: RtoAlgorithm RetransSegs MaxConn\nTcp: 1 5 -1\n";
        let c = parse(text);
        assert_eq!(c["Ip"]["InReceives"], 17);
        assert_eq!(c["Tcp"]["RetransSegs"], 5);
        assert_eq!(c["Tcp"]["MaxConn"], -1);
        assert!(!c.contains_key("Udp"));
    }
}
