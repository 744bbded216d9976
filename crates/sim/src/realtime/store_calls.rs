//! The loop's side of the control API's store and power calls (docs/control-api.md). Every
//! rule is the model's; this maps calls to device operations and their results to replies.

use super::control_calls::store_error;
use super::Runtime;
use crate::control::{Reply, StoreCall};
use m2285_core::Config;
use m2285_time::Instant;
use serde_json::{json, Value};
use std::time::Duration;

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
            StoreCall::Export => {
                Reply::ok(json!({ "toml": self.device.config().to_masked_toml() }))
            }
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
        let config = match Config::import_toml(text, self.device.config()) {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn export_masks_secrets_and_import_of_the_mask_keeps_them() {
        let config = Config::factory()
            .with_sets(["system.users[0].name=op", "system.users[0].password=s3cret"])
            .unwrap_or_else(|e| panic!("{e:?}"));
        let text = config.to_masked_toml();
        assert!(!text.contains("s3cret"), "{text}");
        assert!(text.contains("\"***\""), "{text}");
        let parsed = Config::import_toml(&text, &config).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(parsed, config);
        // A title that happens to read "***" is not a secret and stays as given.
        let titled = text.replace("title = \"\"", "title = \"***\"");
        let back = Config::import_toml(&titled, &config).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(back.port1.title, "***");
    }
}
