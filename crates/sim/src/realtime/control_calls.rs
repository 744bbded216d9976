//! The loop's side of the control API: carrying out a [`Call`] on the device and answering it.

use super::Runtime;
use crate::control::{Call, Reply, Request};
use m2285_core::io::{Event, LineEvent};
use m2285_time::Instant;
use serde_json::{json, Value};

impl Runtime {
    /// Answers one control request.
    pub(super) fn control_call(&mut self, req: Request, now: Instant) {
        let reply = match req.call {
            Call::Status => Reply::ok(self.status_json(now)),
            Call::Signals => Reply::ok(self.signals_json()),
            Call::SetSignals(list) => {
                for (line, high) in list {
                    self.device
                        .handle(Event::Line(LineEvent::Signal { line, high }), now);
                }
                Reply::ok(self.signals_json())
            }
            Call::Break { duration_ms } => {
                self.device
                    .handle(Event::Line(LineEvent::Break { duration_ms }), now);
                Reply::ok(json!({ "break_ms": duration_ms }))
            }
            Call::ConfigGet(None) => Reply::ok(
                serde_json::to_value(self.device.config().masked_tree()).unwrap_or(Value::Null),
            ),
            Call::ConfigGet(Some(key)) => match self.device.config().get_masked(&key) {
                Some(v) => {
                    let value = serde_json::to_value(v).unwrap_or(Value::Null);
                    Reply::ok(json!({ "key": key, "value": value }))
                }
                None => Reply::error(
                    404,
                    format!("{key}: no such configuration key (docs/config.md lists every key)"),
                ),
            },
            Call::ConfigSet { set, apply } => self.config_set(set, apply, now),
            Call::Store(call) => self.store_call(call, now),
            Call::Web(call) => self.web_call(call, now),
            call @ (Call::FaultAdd { .. } | Call::FaultList | Call::FaultClear(_)) => {
                self.fault_call(call, now)
            }
            Call::Admin(call) => self.admin_call(call, now),
            Call::Console(switch) => {
                if let Some(on) = switch {
                    self.set_console_switch(on, now);
                }
                Reply::ok(self.console_json(now))
            }
        };
        let _ = req.reply.send(reply);
    }

    /// Stages the changes (all or nothing) and, with `apply`, applies them: the same staging
    /// every management face uses (docs/control-api.md).
    pub(super) fn config_set(
        &mut self,
        pairs: Vec<(String, String)>,
        apply: bool,
        now: Instant,
    ) -> Reply {
        let sets: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect();
        if let Err(e) = self.device.stage(&sets) {
            return store_error(&e);
        }
        let staged = self.device.staged_config();
        let values: serde_json::Map<String, Value> = pairs
            .iter()
            .map(|(k, _)| {
                let v = staged
                    .get_masked(k)
                    .and_then(|v| serde_json::to_value(v).ok())
                    .unwrap_or(Value::Null);
                (k.clone(), v)
            })
            .collect();
        let mut body = json!({ "staged": values });
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

    fn signals_json(&self) -> Value {
        let l = self.device.lines();
        json!({
            "inputs": { "dsr": l.dsr, "cts": l.cts, "dcd": l.dcd, "ri": l.ri },
            "outputs": { "dtr": l.dtr, "rts": l.rts },
        })
    }

    /// What `ctl status` shows.
    /// MIB-II's TCP and UDP groups exactly as the SNMP agent answers them
    /// ([`super::snmp::SnmpService::view`]): the web statistics page shows these.
    fn mib2_json(&self, now: Instant) -> Value {
        let view = self.snmp.view(&self.device, &self.ports, now);
        let (tcp, udp) = (&view.tcp, &view.udp);
        json!({
            "tcp": {
                "ActiveOpens": tcp.active_opens,
                "PassiveOpens": tcp.passive_opens,
                "AttemptFails": tcp.attempt_fails,
                "EstabResets": tcp.estab_resets,
                "CurrEstab": tcp.curr_estab(),
                "InSegs": tcp.in_segs,
                "OutSegs": tcp.out_segs,
            },
            "udp": {
                "InDatagrams": udp.in_datagrams,
                "NoPorts": 0,
                "InErrors": udp.in_errors,
                "OutDatagrams": udp.out_datagrams,
            },
        })
    }

    pub(super) fn status_json(&self, now: Instant) -> Value {
        let s = self.device.status();
        let h = self.device.host_status();
        let mut sessions: Vec<Value> = s
            .sessions
            .iter()
            .map(|x| {
                let state = if h.logging_in.contains(&x.conn) {
                    "login"
                } else {
                    "established"
                };
                json!({"conn": x.conn, "peer": x.peer, "role": x.role, "state": state})
            })
            .collect();
        sessions.extend(h.connecting.iter().map(|a| {
            json!({"conn": a.conn, "peer": a.remote, "role": "client", "state": "sync_sent", "host": a.which})
        }));
        let mut counters = serde_json::to_value(&s.stats).unwrap_or(Value::Null);
        if let Value::Object(m) = &mut counters {
            m.insert(
                "send_overflow_bytes".into(),
                json!(self.net.stats.send_overflow_bytes),
            );
        }
        let mut status = json!({
            "device": self.device_json(now),
            "mib2": self.mib2_json(now),
            "filter": self.device.admin().filter.counts(),
            "mode": s.host_mode,
            "port_enabled": h.port_enabled,
            "console_switch": if self.device.console_switch() { "console" } else { "data" },
            "ip": self.ip.to_string(),
            "ports": self.ports,
            "serial": {
                "settings": s.serial,
                "type": h.serial_type,
                "flow_control": s.flow_control,
                "flow_in_effect": h.flow_in_effect,
                "observed_baud": s.observed_baud,
                "program_attached": s.serial_peer_attached,
                "tx_paused": h.tx_paused,
                "xoff_received": h.flow.xoff_received,
                "throttling_program": h.flow.throttling,
                "receive_buffer": h.receive_buffer,
            },
            "signals": self.signals_json(),
            "dsr_allows_sessions": h.dsr_allows_sessions,
            "sessions": sessions,
            "udp_unlisted": h.udp_unlisted,
            "counters": counters,
            "store": self.device.store_status(),
        });
        if let Some(ns) = &self.netns {
            // The kernel's own counters of the device's stack (the loop thread is inside).
            let mut netns = ns.describe();
            netns["kernel"] =
                crate::netns::counters::to_json(&crate::netns::counters::read_this_thread());
            netns["link_down"] = json!(ns.faults.link_down());
            status["netns"] = netns;
        }
        status
    }
}

/// The 400 answer listing every mistake of a configuration change.
pub(super) fn config_refused(errors: &[m2285_core::config::ConfigError]) -> Reply {
    Reply {
        status: 400,
        body: json!({
            "error": crate::config_errors("config", errors),
            "errors": errors.iter().map(|e| json!({
                "key": e.key, "value": e.value, "allowed": e.allowed,
            })).collect::<Vec<_>>(),
        }),
    }
}

/// A store refusal as a reply: 400 listing every configuration mistake, 503 while booting.
pub(super) fn store_error(e: &m2285_core::store::StoreError) -> Reply {
    use m2285_core::store::StoreError;
    match e {
        StoreError::Invalid(errors) => config_refused(errors),
        StoreError::Down => Reply::error(
            503,
            "the device is booting; try again after the `booted` event",
        ),
    }
}

/// Starts the control API server of a device on its own (a fleet has one for all devices):
/// `ip`, port `sim.control_port` (or a free one), the token of `state_dir`; calls reach the loop
/// through `to_loop` and `waker`.
pub(super) fn start_server(
    config: &m2285_core::Config,
    ip: std::net::IpAddr,
    state_dir: &std::path::Path,
    to_loop: crossbeam_channel::Sender<Request>,
    waker: &std::sync::Arc<mio::Waker>,
) -> Result<crate::control::ControlServer, String> {
    let port = if config.sim.free_ports {
        0
    } else {
        config.sim.control_port
    };
    let settings = crate::control::Settings {
        auth: config.sim.control_auth,
        token: crate::control::token::load_or_create(state_dir)?,
        idle_timeout: std::time::Duration::from_millis(u64::from(
            config.sim.control_idle_timeout_ms,
        )),
    };
    let waker = waker.clone();
    crate::control::ControlServer::start(
        ip,
        port,
        settings,
        to_loop,
        std::sync::Arc::new(move || {
            let _ = waker.wake();
        }),
    )
}
