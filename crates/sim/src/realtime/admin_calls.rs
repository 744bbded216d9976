//! The loop's side of the management calls: logs, accounts, IP filter, clock. Account and filter
//! changes are configuration changes: they are checked by the schema and staged like
//! `ctl config set` (applied at once only when the call asks, like `config set --apply`).

use super::control_calls::{config_refused, store_error};
use super::Runtime;
use crate::control::{AdminCall, Reply};
use m2285_core::admin::accounts::is_last_manager;
use m2285_core::config::{FilterRule, User};
use m2285_core::Config;
use m2285_time::Instant;
use serde_json::{json, Value};

impl Runtime {
    /// Answers one management call.
    pub(super) fn admin_call(&mut self, call: AdminCall, now: Instant) -> Reply {
        match call {
            AdminCall::Log { after } => Reply::ok(json!({
                "entries": self.device.admin().log.since(after),
            })),
            AdminCall::LogClear => {
                self.device.clear_system_log();
                Reply::ok(json!({ "cleared": "log" }))
            }
            AdminCall::PortLog => Reply::ok(self.port_log_json()),
            AdminCall::PortLogClear => {
                self.device.clear_port_log();
                Reply::ok(json!({ "cleared": "port-log" }))
            }
            AdminCall::Users => Reply::ok(self.users_json()),
            AdminCall::UserSet {
                name,
                role,
                password,
                apply,
            } => {
                let mut c = self.device.staged_config().clone();
                match c.system.users.iter_mut().find(|u| u.name == name) {
                    Some(u) => {
                        if let Some(role) = role {
                            u.role = role;
                        }
                        if let Some(p) = password {
                            u.password = p;
                        }
                    }
                    None => c.system.users.push(User {
                        name,
                        role: role.unwrap_or_else(|| "user".into()),
                        password: password.unwrap_or_default(),
                    }),
                }
                self.stage_admin_change(c, apply, now, Self::users_json)
            }
            AdminCall::UserDelete { name, apply } => {
                let mut c = self.device.staged_config().clone();
                let before = c.system.users.len();
                let last = is_last_manager(&c.system.users, &name);
                c.system.users.retain(|u| u.name != name);
                if c.system.users.len() == before {
                    return Reply::error(404, format!("no account named '{name}'"));
                }
                if last {
                    return Reply::error(
                        409,
                        format!("'{name}' is the last account that can manage the device; add another admin first"),
                    );
                }
                self.stage_admin_change(c, apply, now, Self::users_json)
            }
            AdminCall::Filter => Reply::ok(self.filter_json()),
            AdminCall::FilterAdd { fields, at, apply } => {
                let mut c = self.device.staged_config().clone();
                let rules = &mut c.system.filter.rules;
                let at = at.unwrap_or(rules.len()).min(rules.len());
                rules.insert(
                    at,
                    FilterRule {
                        address: std::net::Ipv4Addr::UNSPECIFIED,
                        mask: std::net::Ipv4Addr::BROADCAST,
                        service: "all".into(),
                        rule: "accept".into(),
                    },
                );
                let sets: Vec<String> = fields
                    .iter()
                    .map(|(k, v)| format!("system.filter.rules[{at}].{k}={v}"))
                    .collect();
                match c.with_sets(sets.iter().map(String::as_str)) {
                    Ok(c) => self.stage_admin_change(c, apply, now, Self::filter_json),
                    Err(errors) => config_refused(&errors),
                }
            }
            AdminCall::FilterDelete { index, apply } => {
                let mut c = self.device.staged_config().clone();
                match index {
                    None => c.system.filter.rules.clear(),
                    Some(i) if i < c.system.filter.rules.len() => {
                        c.system.filter.rules.remove(i);
                    }
                    Some(i) => return Reply::error(404, format!("no filter rule {i}")),
                }
                self.stage_admin_change(c, apply, now, Self::filter_json)
            }
            AdminCall::Clock => Reply::ok(self.clock_json(now)),
            AdminCall::ClockSet(unix_ms) => {
                self.device.set_clock(unix_ms, now);
                Reply::ok(self.clock_json(now))
            }
        }
    }

    /// Checks `config` (the staged configuration with one account or filter change) again and
    /// stages it, applying it as well when `apply`; answers with `show` (the running state)
    /// and what was staged or applied, like `config set`.
    fn stage_admin_change(
        &mut self,
        config: Config,
        apply: bool,
        now: Instant,
        show: fn(&Self) -> Value,
    ) -> Reply {
        let config = match config.revalidated() {
            Ok(config) => config,
            Err(errors) => return config_refused(&errors),
        };
        self.device.stage_config(config);
        let mut applied = None;
        if apply {
            match self.device.apply(now) {
                Ok(report) => applied = Some(report),
                Err(e) => return store_error(&e),
            }
        }
        let mut body = show(self);
        body["staged"] = json!(self.device.store_status().staged);
        if let Some(report) = applied {
            body["applied"] = json!(report.applied);
            body["pending_reboot"] = json!(report.pending_reboot);
        }
        Reply::ok(body)
    }

    fn users_json(&self) -> Value {
        let users: Vec<Value> = self
            .device
            .config()
            .system
            .users
            .iter()
            .map(
                |u| json!({"name": u.name, "role": u.role, "password_set": !u.password.is_empty()}),
            )
            .collect();
        let guard = &self.device.admin().guard;
        let policy = m2285_core::admin::login_policy(self.device.config());
        json!({
            "users": users,
            "failed_logins": guard.failed_total,
            "refused_locked_out": guard.locked_out_total,
            "locked_out": guard.locked_out(policy),
        })
    }

    fn filter_json(&self) -> Value {
        json!({
            "rules": self.device.config().system.filter.rules,
            "counters": self.device.admin().filter.counts(),
        })
    }

    fn port_log_json(&self) -> Value {
        let settings = self.device.config().port1.log;
        let log = &self.device.admin().port_log;
        let chunks: Vec<Value> = log
            .chunks()
            .map(|c| {
                json!({
                    "uptime_ms": c.uptime_ms,
                    "dir": c.dir,
                    "text": c.data.escape_ascii().to_string(),
                })
            })
            .collect();
        json!({
            "enabled": settings.enabled,
            "size_bytes": settings.size_bytes,
            "held_bytes": log.held(),
            "captured_bytes": log.captured,
            "chunks": chunks,
        })
    }

    /// Date, time, uptime and SNTP state.
    pub(super) fn clock_json(&self, now: Instant) -> Value {
        let admin = self.device.admin();
        let c = &admin.clock;
        let unix_ms = c.unix_ms(now);
        let ntp = &self.device.config().system.clock;
        json!({
            "time": m2285_core::admin::syslog::rfc3339(unix_ms),
            "unix_ms": unix_ms,
            "offset_ms": c.offset_ms(),
            "uptime_ms": c.uptime_ms(now),
            "ntp": {
                "server": ntp.ntp_server,
                "requests": c.ntp_requests,
                "bad_answers": c.ntp_bad_answers,
                "last_sync": c.last_sync,
            },
        })
    }

    /// Name, model, firmware, serial number, MAC, uptime, date and time; up or booting, and the
    /// boots so far (the store's view of the power state).
    pub(super) fn device_json(&self, now: Instant) -> Value {
        let id = &self.device.admin().identity;
        let clock = self.clock_json(now);
        json!({
            "name": self.device.config().system.device_name,
            "model": id.model,
            "firmware": id.firmware,
            "serial_number": id.serial_number,
            "mac": id.mac,
            "uptime_ms": clock["uptime_ms"],
            "time": clock["time"],
            "state": if self.device.is_down() { "booting" } else { "up" },
            "boots": self.device.boots(),
        })
    }
}
