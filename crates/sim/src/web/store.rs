//! The web pages' one interface to the configuration: a [`StoreOp`] carried out with control
//! calls on the device's loop. Until the configuration store (staged/running/saved) is part of
//! the device, staging is kept here, per device, and "apply" sends what is staged as one
//! all-or-nothing `ConfigSet`; save, reboot and factory reset answer that they need the store.

use super::service::LoopLink;
use crate::control::{Call, Reply};
use m2285_core::Config;
use m2285_web::{FieldError, OpResult, StoreOp};
use serde_json::Value;
use std::cell::RefCell;

/// Edits staged through the web pages and not yet applied, in order.
#[derive(Debug, Default)]
pub struct Staging {
    pairs: RefCell<Vec<(String, String)>>,
}

impl Staging {
    /// The staged keys, for the "not applied" banner.
    pub fn keys(&self) -> Vec<String> {
        self.pairs.borrow().iter().map(|(k, _)| k.clone()).collect()
    }
}

/// Carries out `op`.
pub async fn run(link: &LoopLink, staging: &Staging, op: StoreOp) -> OpResult {
    match op {
        StoreOp::Set { pairs, apply } => {
            if !apply {
                if let Err(errors) = check_each(&pairs) {
                    return refused("the values are not allowed", errors);
                }
            }
            let mut all = staging.pairs.borrow().clone();
            all.retain(|(k, _)| !pairs.iter().any(|(p, _)| p == k));
            all.extend(pairs);
            if apply {
                let result = config_set(link, all.clone()).await;
                if matches!(result, OpResult::Done(_)) {
                    staging.pairs.borrow_mut().clear();
                }
                result
            } else {
                let n = all.len();
                *staging.pairs.borrow_mut() = all;
                OpResult::Done(format!("staged ({n} change(s) not applied)"))
            }
        }
        StoreOp::Apply => {
            let all = staging.pairs.borrow().clone();
            if all.is_empty() {
                return OpResult::Done("nothing staged".into());
            }
            let result = config_set(link, all).await;
            if matches!(result, OpResult::Done(_)) {
                staging.pairs.borrow_mut().clear();
            }
            result
        }
        StoreOp::Discard => {
            staging.pairs.borrow_mut().clear();
            OpResult::Done("staged changes discarded".into())
        }
        StoreOp::Save { .. } | StoreOp::Reboot | StoreOp::FactoryReset => OpResult::Failed(
            "saving and rebooting need the configuration store, which this build does not have yet"
                .into(),
        ),
        StoreOp::Export => match link.ask(Call::ConfigGet(None)).await {
            Reply { status: 200, body } => OpResult::Exported(to_toml(&body)),
            other => OpResult::Failed(message(&other.body)),
        },
        StoreOp::Import { toml } => import(link, &toml).await,
    }
}

/// Checks staged values one by one against the factory configuration, so a wrong value is
/// refused when it is staged rather than at apply time. Rules that tie keys together are
/// judged against factory values here; the device judges the real combination when it applies.
fn check_each(pairs: &[(String, String)]) -> Result<(), Vec<FieldError>> {
    let base = Config::factory();
    let mut errors = Vec::new();
    for (k, v) in pairs {
        // List items beyond the factory's empty list are checked as item 0.
        let probe = list_item_as_first(k);
        if let Err(es) = base.with_set(&probe, v) {
            errors.extend(es.into_iter().map(|e| FieldError {
                key: k.clone(),
                value: if e.value.is_empty() {
                    v.clone()
                } else {
                    e.value
                },
                allowed: e.allowed,
            }));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// `a.b[3].c` → `a.b[0].c`.
fn list_item_as_first(key: &str) -> String {
    let mut out = String::new();
    let mut rest = key;
    while let Some(open) = rest.find('[') {
        out.push_str(&rest[..=open]);
        match rest[open..].find(']') {
            Some(close) => {
                out.push('0');
                rest = &rest[open + close..];
            }
            None => {
                rest = &rest[open + 1..];
            }
        }
    }
    out.push_str(rest);
    out
}

async fn config_set(link: &LoopLink, pairs: Vec<(String, String)>) -> OpResult {
    let n = pairs.len();
    match link.ask(Call::ConfigSet(pairs)).await {
        Reply { status: 200, .. } => OpResult::Done(format!("applied {n} change(s)")),
        Reply { status: 400, body } => {
            let errors = body
                .get("errors")
                .and_then(Value::as_array)
                .map(|list| {
                    list.iter()
                        .map(|e| FieldError {
                            key: text(e, "key"),
                            value: text(e, "value"),
                            allowed: text(e, "allowed"),
                        })
                        .collect()
                })
                .unwrap_or_default();
            refused(&message(&body), errors)
        }
        other => OpResult::Failed(message(&other.body)),
    }
}

/// A configuration file as exported: checked as a whole first (every mistake reported, nothing
/// changed), then applied key by key in one all-or-nothing set. Masked secrets (`***`) keep
/// the device's values.
async fn import(link: &LoopLink, text: &str) -> OpResult {
    if let Err(errors) = Config::from_toml_str(text) {
        return refused(
            "the file is not a valid configuration",
            errors
                .into_iter()
                .map(|e| FieldError {
                    key: if e.key.is_empty() {
                        "file".into()
                    } else {
                        e.key
                    },
                    value: e.value,
                    allowed: e.allowed,
                })
                .collect(),
        );
    }
    let Ok(table) = text.parse::<toml::Table>() else {
        return OpResult::Failed("the file is not valid TOML".into());
    };
    let mut pairs = Vec::new();
    flatten("", &toml::Value::Table(table), &mut pairs);
    pairs.retain(|(_, v)| v != "***");
    if pairs.is_empty() {
        return OpResult::Done("the file sets nothing".into());
    }
    match config_set(link, pairs).await {
        OpResult::Done(m) => OpResult::Done(format!("imported: {m}")),
        other => other,
    }
}

fn flatten(prefix: &str, v: &toml::Value, out: &mut Vec<(String, String)>) {
    let join = |k: &str| {
        if prefix.is_empty() {
            k.to_owned()
        } else {
            format!("{prefix}.{k}")
        }
    };
    match v {
        toml::Value::Table(t) => {
            for (k, child) in t {
                flatten(&join(k), child, out);
            }
        }
        toml::Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                flatten(&format!("{prefix}[{i}]"), child, out);
            }
        }
        toml::Value::String(s) => out.push((prefix.to_owned(), s.clone())),
        other => out.push((prefix.to_owned(), other.to_string())),
    }
}

/// The control API's JSON configuration as a TOML file.
fn to_toml(config: &Value) -> String {
    let header = "# Patton 2285 (m2285-sim) configuration, exported from the web pages.\n# Secrets are masked as \"***\"; importing this file keeps the device's secrets.\n";
    match toml::to_string(config) {
        Ok(body) => format!("{header}{body}"),
        Err(e) => format!("{header}# cannot write: {e}\n"),
    }
}

fn text(v: &Value, key: &str) -> String {
    match v.get(key) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

fn message(body: &Value) -> String {
    body.get("error")
        .and_then(Value::as_str)
        .unwrap_or("the device did not say")
        .to_owned()
}

fn refused(message: &str, errors: Vec<FieldError>) -> OpResult {
    OpResult::Refused {
        message: message.to_owned(),
        errors,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_items_are_checked_as_the_first() {
        assert_eq!(
            list_item_as_first("port1.remote_hosts[3].host"),
            "port1.remote_hosts[0].host"
        );
        assert_eq!(list_item_as_first("port1.serial.baud"), "port1.serial.baud");
        assert!(check_each(&[("port1.serial.baud".into(), "1234".into())]).is_err());
        assert!(check_each(&[("port1.serial.baud".into(), "19200".into())]).is_ok());
    }
}
