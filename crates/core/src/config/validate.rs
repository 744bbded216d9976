//! Checking a configuration tree against the schema and completing it with factory defaults.
//!
//! Every mistake is collected, not just the first: `check-config` prints them all, each naming
//! the key, the offending value and what is allowed.

use super::schema::{self, DefaultValue, KeySpec, Kind, KEYS};
use std::fmt;
use toml::{Table, Value};

/// One thing wrong with a configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// The dotted key (empty for errors about the file as a whole).
    pub key: String,
    /// The value as given (TOML form), or empty.
    pub value: String,
    /// What is allowed instead, or what went wrong.
    pub allowed: String,
}

impl ConfigError {
    /// An error about `key` having `value` where `allowed` was expected.
    pub fn new(
        key: impl Into<String>,
        value: impl Into<String>,
        allowed: impl Into<String>,
    ) -> Self {
        ConfigError {
            key: key.into(),
            value: value.into(),
            allowed: allowed.into(),
        }
    }
}

impl fmt::Display for ConfigError {
    /// `port1.serial.baud = 12345: allowed: one of 75, 110, ...`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.key.is_empty(), self.value.is_empty()) {
            (true, _) => write!(f, "{}", self.allowed),
            (false, true) => write!(f, "{}: {}", self.key, self.allowed),
            (false, false) => write!(
                f,
                "{} = {}: allowed: {}",
                self.key, self.value, self.allowed
            ),
        }
    }
}

/// The factory configuration as a value tree built from the schema defaults.
pub fn factory_tree() -> Table {
    let mut root = Table::new();
    for spec in KEYS.iter().filter(|k| !k.path.contains("[]")) {
        insert_path(&mut root, spec.path, default_value(spec));
    }
    root
}

/// Overlays `user` on `base` (both trees), checking every key and value of `user` against the
/// schema. Mistakes are pushed to `errors`; valid parts are still applied.
pub fn overlay(base: &mut Table, user: &Table, errors: &mut Vec<ConfigError>) {
    overlay_table(base, user, "", errors);
}

fn overlay_table(base: &mut Table, user: &Table, prefix: &str, errors: &mut Vec<ConfigError>) {
    for (name, value) in user {
        let path = if prefix.is_empty() {
            name.clone()
        } else {
            format!("{prefix}.{name}")
        };
        let spec_path = list_pattern(&path);
        if let Some(spec) = schema::find(&spec_path) {
            match (&spec.kind, value) {
                (Kind::List { max_items }, Value::Array(items)) => {
                    let before = match base.get(name) {
                        Some(Value::Array(a)) => a.clone(),
                        _ => Vec::new(),
                    };
                    let mut list = overlay_list(&path, &spec_path, *max_items, items, errors);
                    super::secrets::keep_masked(&spec_path, &mut list, items, &before);
                    base.insert(name.clone(), Value::Array(list));
                }
                (Kind::Secret { .. }, Value::String(s)) if s == super::secrets::MASK => {
                    // The masked form of a secret (an export) keeps the value it replaces.
                }
                _ => match check_leaf(spec, value) {
                    Ok(v) => {
                        base.insert(name.clone(), v);
                    }
                    Err(allowed) => errors.push(ConfigError::new(&path, show(value), allowed)),
                },
            }
        } else if is_group(&spec_path) {
            match value {
                Value::Table(t) => {
                    let sub = base
                        .entry(name.clone())
                        .or_insert_with(|| Value::Table(Table::new()));
                    if let Value::Table(sub) = sub {
                        overlay_table(sub, t, &path, errors);
                    }
                }
                other => errors.push(ConfigError::new(
                    &path,
                    show(other),
                    "a table of keys (a [section])",
                )),
            }
        } else {
            errors.push(ConfigError::new(
                &path,
                show(value),
                format!(
                    "nothing: unknown key; keys here are {}",
                    children(prefix).join(", ")
                ),
            ));
        }
    }
}

fn overlay_list(
    path: &str,
    spec_path: &str,
    max: usize,
    items: &[Value],
    errors: &mut Vec<ConfigError>,
) -> Vec<Value> {
    if items.len() > max {
        errors.push(ConfigError::new(
            path,
            format!("{} items", items.len()),
            format!("at most {max} items"),
        ));
    }
    let item_prefix = format!("{spec_path}[]");
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate().take(max) {
        let item_path = format!("{path}[{i}]");
        let Value::Table(t) = item else {
            errors.push(ConfigError::new(&item_path, show(item), "a record { ... }"));
            continue;
        };
        let mut record = Table::new();
        for spec in KEYS
            .iter()
            .filter(|k| k.path.starts_with(&format!("{item_prefix}.")))
        {
            let field = &spec.path[item_prefix.len() + 1..];
            insert_path(&mut record, field, default_value(spec));
        }
        overlay_table(&mut record, t, &item_path, errors);
        out.push(Value::Table(record));
    }
    out
}

/// Maps `a.b[3].c` to the schema pattern `a.b[].c`.
pub(crate) fn list_pattern(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut in_index = false;
    for c in path.chars() {
        match c {
            '[' => {
                in_index = true;
                out.push_str("[]");
            }
            ']' => in_index = false,
            _ if in_index => {}
            _ => out.push(c),
        }
    }
    out
}

fn is_group(spec_path: &str) -> bool {
    let dotted = format!("{spec_path}.");
    KEYS.iter().any(|k| k.path.starts_with(&dotted))
}

/// The names directly under `prefix` (for "unknown key" messages).
fn children(prefix: &str) -> Vec<String> {
    let pattern = list_pattern(prefix);
    let dotted = if pattern.is_empty() {
        String::new()
    } else {
        format!("{pattern}.")
    };
    let mut names: Vec<String> = KEYS
        .iter()
        .filter_map(|k| k.path.strip_prefix(dotted.as_str()))
        .filter_map(|rest| rest.split(['.', '[']).next())
        .map(str::to_owned)
        .collect();
    names.dedup();
    names
}

fn check_leaf(spec: &KeySpec, value: &Value) -> Result<Value, String> {
    let allowed = schema::allowed(&spec.kind);
    let ok = match (&spec.kind, value) {
        (Kind::Bool, Value::Boolean(_)) => true,
        (Kind::Int { min, max }, Value::Integer(i)) => (min..=max).contains(&i),
        (Kind::OneOfInt(list), Value::Integer(i)) => list.contains(i),
        (Kind::OneOf(list), Value::String(s)) => list.contains(&s.as_str()),
        (Kind::Text { max_len }, Value::String(s)) => s.len() <= *max_len,
        (Kind::Ipv4, Value::String(s)) => s.parse::<std::net::Ipv4Addr>().is_ok(),
        (Kind::Secret { max_len, hashed }, Value::String(s)) => {
            (*hashed && crate::admin::accounts::is_password_hash(s))
                || (s.len() <= *max_len
                    && !(*hashed && s.starts_with('$'))
                    && !s.chars().any(char::is_control))
        }
        _ => false,
    };
    if ok {
        Ok(value.clone())
    } else {
        Err(allowed)
    }
}

fn default_value(spec: &KeySpec) -> Value {
    match spec.default {
        DefaultValue::Bool(b) => Value::Boolean(b),
        DefaultValue::Int(i) => Value::Integer(i),
        DefaultValue::Str(s) => Value::String(s.to_owned()),
        DefaultValue::EmptyList => Value::Array(Vec::new()),
        DefaultValue::Records(text) => records(text),
    }
}

/// The factory records of a list key: a TOML array of inline tables.
pub(crate) fn records(text: &str) -> Value {
    format!("v = {text}")
        .parse::<Table>()
        .ok()
        .and_then(|mut t| t.remove("v"))
        .unwrap_or_else(|| Value::Array(Vec::new()))
}

/// Sets `path` (dotted, no list indices) in `root`, creating tables on the way.
pub(crate) fn insert_path(root: &mut Table, path: &str, value: Value) {
    let mut parts = path.split('.').peekable();
    let mut table = root;
    while let Some(part) = parts.next() {
        if parts.peek().is_none() {
            table.insert(part.to_owned(), value);
            return;
        }
        let entry = table
            .entry(part.to_owned())
            .or_insert_with(|| Value::Table(Table::new()));
        if !entry.is_table() {
            *entry = Value::Table(Table::new());
        }
        let Value::Table(next) = entry else { return };
        table = next;
    }
}

/// A value in TOML notation for messages (`"text"`, `12`, `true`).
pub fn show(value: &Value) -> String {
    match value {
        Value::Table(_) => "{ ... }".into(),
        Value::Array(a) => format!("[{} items]", a.len()),
        other => other.to_string(),
    }
}
