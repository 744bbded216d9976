//! The loop's side of the control API's store and power calls (docs/control-api.md). Every
//! rule is the model's; this maps calls to device operations and their results to replies.

use super::control_calls::{redact, store_error};
use super::Runtime;
use crate::control::{Reply, StoreCall};
use m2285_core::Config;
use m2285_time::Instant;
use serde_json::{json, Value};
use std::time::Duration;

/// What an exported secret reads as; an import carrying it keeps the current secret.
const MASK: &str = "***";

impl Runtime {
    /// Answers one store or power call.
    pub(super) fn store_call(&mut self, call: StoreCall, now: Instant) -> Reply {
        let reply = match call {
            StoreCall::Status => Reply::ok(self.store_json()),
            StoreCall::Apply => match self.device.apply(now) {
                Ok(report) => Reply::ok(json!(report)),
                Err(e) => store_error(&e),
            },
            StoreCall::Discard => Reply::ok(json!({ "discarded": self.device.discard() })),
            StoreCall::Save { reboot } => {
                let started = if reboot {
                    self.device.save_and_reboot(now)
                } else {
                    self.device.save(now)
                };
                match started {
                    Ok(()) => {
                        // The flash steps run now, in this turn of the loop.
                        let _ = self.pump(now);
                        Reply::ok(self.store_json())
                    }
                    Err(e) => store_error(&e),
                }
            }
            StoreCall::Reboot => {
                if self.device.is_down() {
                    return store_error(&m2285_core::store::StoreError::Down);
                }
                self.device.reboot("reboot", now);
                Reply::ok(json!({
                    "rebooting": true,
                    "boot_time_ms": self.device.saved_config().sim.boot_time_ms,
                }))
            }
            StoreCall::PowerCycle { off_ms } => {
                self.power_cycle(Duration::from_millis(off_ms), now);
                Reply::ok(json!({
                    "off_ms": off_ms,
                    "boot_time_ms": self.device.config().sim.boot_time_ms,
                }))
            }
            StoreCall::FactoryReset { keep_network } => {
                match self.device.factory_reset(keep_network, now) {
                    Ok(()) => Reply::ok(json!({
                        "factory_reset": if keep_network { "keep_network" } else { "all" },
                        "rebooting": true,
                    })),
                    Err(e) => store_error(&e),
                }
            }
            StoreCall::ResetButton { hold_ms } => match self.device.reset_button(hold_ms, now) {
                Ok(what) => Reply::ok(json!({ "hold_ms": hold_ms, "action": what })),
                Err(e) => store_error(&e),
            },
            StoreCall::Export => Reply::ok(json!({ "toml": export(self.device.config()) })),
            StoreCall::Import { toml, apply } => self.import(&toml, apply, now),
        };
        let _ = self.pump(now);
        reply
    }

    fn store_json(&self) -> Value {
        let mut v = json!(self.device.store_status());
        v["state"] = json!(if self.device.is_down() {
            "booting"
        } else {
            "up"
        });
        v["boots"] = json!(self.device.boots());
        v
    }

    /// Stages a whole configuration, checked like `check-config` (keys it does not name take
    /// factory values); masked secrets keep their current values. A document with mistakes
    /// changes nothing and every mistake is listed.
    fn import(&mut self, text: &str, apply: bool, now: Instant) -> Reply {
        let text = match unmask(text, self.device.config()) {
            Ok(t) => t,
            Err(e) => return Reply::error(400, format!("import: not valid TOML: {e}")),
        };
        let config = match Config::from_toml_str(&text) {
            Ok(c) => c,
            Err(errors) => {
                return store_error(&m2285_core::store::StoreError::Invalid(errors));
            }
        };
        let changed = m2285_core::store::changed_keys(self.device.config(), &config);
        self.device.stage_config(config);
        let mut body = json!({ "staged": changed });
        if apply {
            match self.device.apply(now) {
                Ok(report) => {
                    body["applied"] = json!(report.applied);
                    body["pending_reboot"] = json!(report.pending_reboot);
                }
                Err(e) => return store_error(&e),
            }
        }
        Reply::ok(body)
    }
}

/// The whole configuration as TOML with every secret masked (the control API's masking).
pub(super) fn export(config: &Config) -> String {
    let masked = redact(serde_json::to_value(config).unwrap_or(Value::Null));
    toml::to_string(&masked).unwrap_or_default()
}

/// `text` with every masked value replaced by the current value at the same place, where the
/// current configuration's export masks it too (so only secrets are ever filled in).
fn unmask(text: &str, current: &Config) -> Result<String, String> {
    let mut doc: toml::Table = text.parse().map_err(|e: toml::de::Error| e.to_string())?;
    let real = toml::Table::try_from(current).map_err(|e| e.to_string())?;
    let masked: toml::Table = export(current)
        .parse()
        .map_err(|e: toml::de::Error| e.to_string())?;
    fill(&mut doc, &real, &masked);
    toml::to_string(&doc).map_err(|e| e.to_string())
}

fn fill(doc: &mut toml::Table, real: &toml::Table, masked: &toml::Table) {
    for (key, value) in doc.iter_mut() {
        let (Some(r), Some(m)) = (real.get(key), masked.get(key)) else {
            continue;
        };
        fill_value(value, r, m);
    }
}

fn fill_value(value: &mut toml::Value, real: &toml::Value, masked: &toml::Value) {
    use toml::Value as V;
    match (value, real, masked) {
        (V::Table(d), V::Table(r), V::Table(m)) => fill(d, r, m),
        (V::Array(d), V::Array(r), V::Array(m)) => {
            for ((dv, rv), mv) in d.iter_mut().zip(r).zip(m) {
                fill_value(dv, rv, mv);
            }
        }
        (v @ V::String(_), r, V::String(m)) if v.as_str() == Some(MASK) && m == MASK => {
            *v = r.clone();
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn export_masks_secrets_and_import_of_the_mask_keeps_them() {
        let config = Config::factory()
            .with_sets(["system.users[0].name=op", "system.users[0].password=s3cret"])
            .unwrap_or_else(|e| panic!("{e:?}"));
        let text = export(&config);
        assert!(!text.contains("s3cret"), "{text}");
        assert!(text.contains("\"***\""), "{text}");
        let back = unmask(&text, &config).unwrap_or_default();
        let parsed = Config::from_toml_str(&back).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(parsed, config);
        // A title that happens to read "***" is not a secret and stays as given.
        let titled = text.replace("title = \"\"", "title = \"***\"");
        let back = unmask(&titled, &config).unwrap_or_default();
        assert!(back.contains("title = \"***\""), "{back}");
    }
}
