//! The device configuration: one typed, validated schema behind every way of changing it.
//!
//! A configuration is built in layers: the factory defaults (from [`schema::KEYS`]), then a TOML
//! file, then `KEY=VALUE` overrides. Each layer is checked key by key; all mistakes are reported
//! together. The result is a complete [`Config`].

mod model;
pub mod reference;
mod rules;
pub mod schema;
pub mod secrets;
mod sim_model;
mod validate;

pub use model::*;
pub use sim_model::*;
pub use validate::ConfigError;

use toml::{Table, Value};

impl Config {
    /// The factory configuration.
    pub fn factory() -> Config {
        match finish(validate::factory_tree()) {
            Ok(c) => c,
            // The schema's defaults are checked by a unit test; this cannot happen.
            Err(errors) => panic!("factory defaults do not fit the schema: {errors:?}"),
        }
    }

    /// Factory defaults overlaid with a TOML document. Every mistake is reported.
    pub fn from_toml_str(text: &str) -> Result<Config, Vec<ConfigError>> {
        Self::factory().overlay_toml(text)
    }

    /// This configuration overlaid with a TOML document (keys it does not mention keep their
    /// values).
    pub fn overlay_toml(&self, text: &str) -> Result<Config, Vec<ConfigError>> {
        let user: Table = text.parse().map_err(|e: toml::de::Error| {
            vec![ConfigError::new(
                "",
                "",
                format!("not valid TOML: {}", e.to_string().trim()),
            )]
        })?;
        let mut tree = self.to_tree();
        let mut errors = Vec::new();
        validate::overlay(&mut tree, &user, &mut errors);
        if !errors.is_empty() {
            return Err(errors);
        }
        finish(tree)
    }

    /// This configuration with one key changed; `raw` is read according to the key's type
    /// (`9600`, `true`, `rts_cts`, `"quoted text"`). List items are addressed as `list[N].field`.
    ///
    /// A whole list item with the value `delete` (`system.users[1]=delete`) removes that item;
    /// the items after it move up one index.
    pub fn with_set(&self, key: &str, raw: &str) -> Result<Config, Vec<ConfigError>> {
        let mut tree = self.to_tree();
        if raw.trim() == DELETE && key.ends_with(']') {
            self.keeps_a_manager(key)?;
            remove_item(&mut tree, key)?;
        } else {
            let value = parse_raw(key, raw)?;
            set_path(&mut tree, key, value)?;
        }
        let mut base = validate::factory_tree();
        let mut errors = Vec::new();
        validate::overlay(&mut base, &tree, &mut errors);
        if !errors.is_empty() {
            return Err(errors);
        }
        finish(base)
    }

    /// Refuses deleting the last account that may manage the device (`system.users[N] =
    /// delete`): nobody could log in to change anything again. Every way of configuring
    /// (consoles, `ctl config set`, `--set`) goes through [`Config::with_set`], so this is the
    /// one place the rule is kept.
    fn keeps_a_manager(&self, key: &str) -> Result<(), Vec<ConfigError>> {
        let index = key
            .strip_prefix("system.users[")
            .and_then(|rest| rest.strip_suffix(']'))
            .and_then(|i| i.parse::<usize>().ok());
        match index.and_then(|i| self.system.users.get(i)) {
            Some(user) if crate::admin::accounts::is_last_manager(&self.system.users, &user.name) => {
                Err(vec![ConfigError::new(
                    "",
                    "",
                    format!(
                        "{} is the last account that can manage the device; add another admin first",
                        user.name
                    ),
                )])
            }
            _ => Ok(()),
        }
    }

    /// Applies `KEY=VALUE` overrides in order, collecting every mistake.
    pub fn with_sets<'a>(
        &self,
        sets: impl IntoIterator<Item = &'a str>,
    ) -> Result<Config, Vec<ConfigError>> {
        let mut config = self.clone();
        let mut errors = Vec::new();
        for set in sets {
            let Some((key, raw)) = set.split_once('=') else {
                errors.push(ConfigError::new(set, "", "expected KEY=VALUE"));
                continue;
            };
            match config.with_set(key.trim(), raw.trim()) {
                Ok(c) => config = c,
                Err(mut e) => errors.append(&mut e),
            }
        }
        if errors.is_empty() {
            Ok(config)
        } else {
            Err(errors)
        }
    }

    /// The value of one key (dotted path, list items as `list[N].field`), or `None` if the key
    /// does not exist.
    pub fn get(&self, key: &str) -> Option<Value> {
        let mut node = Value::Table(self.to_tree());
        for part in split_path(key)? {
            node = match (node, part) {
                (Value::Table(mut t), PathPart::Name(n)) => t.remove(&n)?,
                (Value::Array(mut a), PathPart::Index(i)) if i < a.len() => a.swap_remove(i),
                _ => return None,
            };
        }
        Some(node)
    }

    /// The configuration as a TOML document (every key, factory values included).
    pub fn to_toml(&self) -> String {
        toml::to_string(&self.to_tree()).unwrap_or_default()
    }

    fn to_tree(&self) -> Table {
        match Table::try_from(self) {
            Ok(t) => t,
            Err(_) => validate::factory_tree(),
        }
    }
}

/// Turns a complete, checked tree into the typed config and applies the rules that involve
/// more than one key.
fn finish(tree: Table) -> Result<Config, Vec<ConfigError>> {
    let config: Config = Value::Table(tree)
        .try_into()
        .map_err(|e: toml::de::Error| vec![ConfigError::new("", "", format!("internal: {e}"))])?;
    let mut errors = Vec::new();
    let serial = &config.port1.serial;
    let ict = u64::from(serial.inter_char_timeout_ms) * 1_000_000;
    let char_ns = serial.params().burst_nanos(1);
    if ict != 0 && ict <= char_ns {
        errors.push(ConfigError::new(
            "port1.serial.inter_char_timeout_ms",
            serial.inter_char_timeout_ms.to_string(),
            format!(
                "0, or more than one character time at {} ({:.2} ms)",
                serial.params(),
                char_ns as f64 / 1e6
            ),
        ));
    }
    let suites = &config.port1.crypto.ciphersuites;
    if !suites.trim().is_empty() {
        let known = m2285_tls::available_ciphersuites();
        for name in suites.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            if !known.iter().any(|k| k == name) {
                errors.push(ConfigError::new(
                    "port1.crypto.ciphersuites",
                    format!("\"{name}\""),
                    format!(
                        "names the engine offers, e.g. {}",
                        m2285_tls::default_ciphersuites().join(", ")
                    ),
                ));
            }
        }
    }
    rules::check(&config, &mut errors);
    if errors.is_empty() {
        Ok(config)
    } else {
        Err(errors)
    }
}

fn parse_raw(key: &str, raw: &str) -> Result<Value, Vec<ConfigError>> {
    let pattern: String = split_path(key)
        .map(|parts| {
            parts
                .iter()
                .map(|p| match p {
                    PathPart::Name(n) => format!(".{n}"),
                    PathPart::Index(_) => "[]".into(),
                })
                .collect::<String>()
        })
        .unwrap_or_default();
    let pattern = pattern.trim_start_matches('.');
    let Some(spec) = schema::find(pattern) else {
        return Err(vec![ConfigError::new(
            key,
            raw,
            "nothing: unknown key (see docs/config.md for every key)",
        )]);
    };
    let unquoted = raw
        .strip_prefix('"')
        .and_then(|r| r.strip_suffix('"'))
        .unwrap_or(raw);
    let value = match spec.kind {
        schema::Kind::Bool => match raw {
            "true" | "on" | "yes" | "1" => Value::Boolean(true),
            "false" | "off" | "no" | "0" => Value::Boolean(false),
            _ => Value::String(raw.to_owned()),
        },
        schema::Kind::Int { .. } | schema::Kind::OneOfInt(_) => match raw.parse::<i64>() {
            Ok(i) => Value::Integer(i),
            Err(_) => Value::String(raw.to_owned()),
        },
        _ => Value::String(unquoted.to_owned()),
    };
    Ok(value)
}

enum PathPart {
    Name(String),
    Index(usize),
}

fn split_path(key: &str) -> Option<Vec<PathPart>> {
    let mut parts = Vec::new();
    for seg in key.split('.') {
        let (name, rest) = seg.split_once('[').unwrap_or((seg, ""));
        if name.is_empty() {
            return None;
        }
        parts.push(PathPart::Name(name.to_owned()));
        if !rest.is_empty() {
            let index = rest.strip_suffix(']')?.parse().ok()?;
            parts.push(PathPart::Index(index));
        }
    }
    Some(parts)
}

/// The value that, set on a whole list item (`list[N]`), removes it.
pub const DELETE: &str = "delete";

/// Removes the list item `key` (`list[N]`) from `tree`.
fn remove_item(tree: &mut Table, key: &str) -> Result<(), Vec<ConfigError>> {
    let bad = || vec![ConfigError::new(key, DELETE, "nothing: no such list item")];
    let mut parts = split_path(key).ok_or_else(bad)?;
    let Some(PathPart::Index(index)) = parts.pop() else {
        return Err(bad());
    };
    let (last, names) = parts.split_last().ok_or_else(bad)?;
    let mut node = tree;
    for part in names {
        let PathPart::Name(name) = part else {
            return Err(bad());
        };
        node = match node.get_mut(name) {
            Some(Value::Table(child)) => child,
            _ => return Err(bad()),
        };
    }
    let PathPart::Name(name) = last else {
        return Err(bad());
    };
    match node.get_mut(name) {
        Some(Value::Array(items)) if index < items.len() => {
            items.remove(index);
            Ok(())
        }
        _ => Err(bad()),
    }
}

fn set_path(tree: &mut Table, key: &str, value: Value) -> Result<(), Vec<ConfigError>> {
    let bad = || {
        vec![ConfigError::new(
            key,
            "",
            "nothing: unknown key or list index out of range",
        )]
    };
    let parts = split_path(key).ok_or_else(bad)?;
    let mut root = Value::Table(std::mem::take(tree));
    let placed = place(&mut root, &parts, value);
    if let Value::Table(t) = root {
        *tree = t;
    }
    if placed {
        Ok(())
    } else {
        Err(bad())
    }
}

/// Puts `value` at `parts` below `node`, creating tables and appending one list item at most.
fn place(node: &mut Value, parts: &[PathPart], value: Value) -> bool {
    let Some((first, rest)) = parts.split_first() else {
        *node = value;
        return true;
    };
    match (node, first) {
        (Value::Table(t), PathPart::Name(n)) => {
            let child = t
                .entry(n.clone())
                .or_insert_with(|| Value::Table(Table::new()));
            place(child, rest, value)
        }
        (Value::Array(a), PathPart::Index(i)) => {
            if *i == a.len() {
                a.push(Value::Table(Table::new()));
            }
            match a.get_mut(*i) {
                Some(item) => place(item, rest, value),
                None => false,
            }
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests;
