//! Which keys differ between two configurations, by the schema's key names.

use super::waits_for_reboot;
use crate::config::schema;
use crate::config::Config;
use toml::{Table, Value};

/// The dotted keys whose values differ between `a` and `b` (a list counts as one key).
pub fn changed_keys(a: &Config, b: &Config) -> Vec<String> {
    let (Ok(ta), Ok(tb)) = (Table::try_from(a), Table::try_from(b)) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    walk("", &ta, &tb, &mut out);
    out
}

/// The keys changed from `booted` to `running` that take effect only at a reboot (or the next
/// start of the simulator).
pub fn pending_reboot(booted: &Config, running: &Config) -> Vec<String> {
    changed_keys(booted, running)
        .into_iter()
        .filter(|k| schema::find(k).is_some_and(|s| waits_for_reboot(s.effect)))
        .collect()
}

fn walk(prefix: &str, a: &Table, b: &Table, out: &mut Vec<String>) {
    for (name, va) in a {
        let path = if prefix.is_empty() {
            name.clone()
        } else {
            format!("{prefix}.{name}")
        };
        match (va, b.get(name)) {
            (Value::Table(ta), Some(Value::Table(tb))) => walk(&path, ta, tb, out),
            (x, Some(y)) if x == y => {}
            _ => out.push(path),
        }
    }
}
