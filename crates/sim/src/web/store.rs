//! The web pages' one interface to the configuration: each [`StoreOp`] is one call of the
//! device's configuration store (staged/running/saved, docs/management.md), the same calls
//! the control API and `ctl` make, so the pages follow the store's rules exactly.

use super::service::LoopLink;
use crate::control::{Call, Reply, StoreCall};
use m2285_web::{FieldError, OpResult, StoreOp, StoreState};
use serde_json::Value;

/// Carries out `op`.
pub async fn run(link: &LoopLink, op: StoreOp) -> OpResult {
    let (call, done): (Call, &str) = match op {
        StoreOp::Set { pairs, apply } => (
            Call::ConfigSet { set: pairs, apply },
            if apply { "applied" } else { "staged (not applied)" },
        ),
        StoreOp::Apply => (Call::Store(StoreCall::Apply), "applied"),
        StoreOp::Discard => (Call::Store(StoreCall::Discard), "staged changes discarded"),
        StoreOp::Save { reboot: false } => (Call::Store(StoreCall::Save { reboot: false }), "saved"),
        StoreOp::Save { reboot: true } => (
            Call::Store(StoreCall::Save { reboot: true }),
            "saved; the device is rebooting",
        ),
        StoreOp::Reboot => (Call::Store(StoreCall::Reboot), "the device is rebooting"),
        StoreOp::FactoryReset => (
            Call::Store(StoreCall::FactoryReset {
                keep_network: false,
            }),
            "factory values saved; the device is rebooting",
        ),
        StoreOp::Export => {
            return match link.ask(Call::Store(StoreCall::Export)).await {
                Reply { status: 200, body } => OpResult::Exported(format!(
                    "# Patton 2285 (m2285-sim) configuration, exported from the web pages.\n# Secrets are masked as \"***\"; importing this file keeps the device's secrets.\n{}",
                    body.get("toml").and_then(Value::as_str).unwrap_or("")
                )),
                other => OpResult::Failed(message(&other.body)),
            }
        }
        StoreOp::Import { toml } => (
            Call::Store(StoreCall::Import { toml, apply: true }),
            "imported and applied",
        ),
    };
    match link.ask(call).await {
        Reply { status: 200, body } => {
            let keys = ["applied", "staged", "discarded"]
                .iter()
                .find_map(|k| body.get(*k).and_then(Value::as_array).map(|a| a.len()));
            OpResult::Done(match keys {
                Some(n) => format!("{done}: {n} key(s)"),
                None => done.to_owned(),
            })
        }
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
            OpResult::Refused {
                message: message(&body),
                errors,
            }
        }
        other => OpResult::Failed(message(&other.body)),
    }
}

/// The store's state for the "not applied / not saved / needs reboot" banner.
pub async fn state(link: &LoopLink) -> StoreState {
    let body = link.ask(Call::Store(StoreCall::Status)).await.body;
    let list = |k: &str| -> Vec<String> {
        body.get(k)
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    StoreState {
        staged: list("staged"),
        unsaved: list("unsaved"),
        needs_reboot: list("pending_reboot"),
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
