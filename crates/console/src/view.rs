//! How the console writes values, key lists and menus. The wording is stable: scripts match on
//! it (docs/console.md).

use crate::menu::Node;
use m2285_core::config::schema::{self, KeySpec, Kind, KEYS};
use m2285_core::Config;
use toml::Value;

/// A key's value as the console shows it: TOML form (`9600`, `true`, `"text"`), passwords as
/// `***`, lists as their entry count.
pub fn value_text(config: &Config, key: &str) -> String {
    if key.ends_with(".password") {
        return "***".into();
    }
    match config.get(key) {
        Some(Value::Array(items)) => format!("{} entries", items.len()),
        Some(v) => v.to_string(),
        None => "(none)".into(),
    }
}

/// Entries in the list `key` (0 when it is not a list).
pub fn list_len(config: &Config, key: &str) -> usize {
    match config.get(key) {
        Some(Value::Array(items)) => items.len(),
        _ => 0,
    }
}

/// Every concrete key of `config` (list fields with their indexes), in schema order.
pub fn all_keys(config: &Config) -> Vec<String> {
    let mut keys = Vec::new();
    for spec in KEYS.iter().filter(|k| !k.path.contains("[]")) {
        if let Kind::List { .. } = spec.kind {
            let fields: Vec<&KeySpec> = KEYS
                .iter()
                .filter(|k| k.path.starts_with(&format!("{}[].", spec.path)))
                .collect();
            for i in 0..list_len(config, spec.path) {
                for field in &fields {
                    let name = crate::menu::last_segment(field.path);
                    keys.push(format!("{}[{i}].{name}", spec.path));
                }
            }
        } else {
            keys.push(spec.path.to_owned());
        }
    }
    keys
}

/// The schema spec of a concrete key (`port1.remote_hosts[2].host` → `port1.remote_hosts[].host`).
pub fn spec_of(key: &str) -> Option<&'static KeySpec> {
    let mut pattern = String::with_capacity(key.len());
    let mut in_index = false;
    for c in key.chars() {
        match c {
            '[' => {
                in_index = true;
                pattern.push('[');
            }
            ']' => {
                in_index = false;
                pattern.push(']');
            }
            _ if in_index => {}
            c => pattern.push(c),
        }
    }
    schema::find(&pattern)
}

/// What the value prompt says about a key before asking for it.
pub fn key_help(config: &Config, key: &str, spec: &KeySpec) -> String {
    format!(
        "{key}: {}\r\nAllowed: {}\r\nCurrent: {}\r\n",
        spec.doc,
        schema::allowed(&spec.kind),
        value_text(config, key)
    )
}

/// One numbered menu line, cut to the terminal width.
pub fn menu_line(number: usize, label: &str, value: Option<&str>, width: u16) -> String {
    let line = match value {
        Some(v) => format!("{number:>3}. {label:<30} {v}"),
        None => format!("{number:>3}. {label}"),
    };
    fit(&line, width)
}

/// `line` cut to `width - 1` characters (at least 20), so it never wraps.
pub fn fit(line: &str, width: u16) -> String {
    let max = usize::from(width.max(21)) - 1;
    if line.chars().count() <= max {
        line.to_owned()
    } else {
        let mut cut: String = line.chars().take(max.saturating_sub(1)).collect();
        cut.push('~');
        cut
    }
}

/// The lines of a menu node's entries with their current values.
pub fn node_entries(entries: &[Node], config: &Config, width: u16) -> Vec<String> {
    entries
        .iter()
        .enumerate()
        .map(|(i, entry)| {
            let value = match entry {
                Node::Key(spec) => Some(value_text(config, spec.path)),
                Node::List { list, .. } => Some(format!("{} entries", list_len(config, list.path))),
                Node::Menu { .. } | Node::Action(..) => None,
            };
            menu_line(i + 1, &entry.label(), value.as_deref(), width)
        })
        .collect()
}
