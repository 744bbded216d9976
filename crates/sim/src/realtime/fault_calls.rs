//! The loop's side of the control API's fault calls: add, list and clear faults at the
//! boundaries (docs/control-api.md).

use super::Runtime;
use crate::control::{Call, Reply};
use m2285_boundary::faults::{FaultKind, FaultSpec};
use m2285_time::Instant;
use serde_json::{json, Value};

impl Runtime {
    /// Answers `Call::FaultAdd`, `Call::FaultList` and `Call::FaultClear`.
    pub(super) fn fault_call(&mut self, call: Call, now: Instant) -> Reply {
        if let Some(reply) = self.link_fault_call(&call, now) {
            return reply;
        }
        let boundary = self.net.boundary().clone();
        match call {
            Call::FaultAdd { spec, .. }
                if spec.name == "device.power_cycle" && spec.start.is_zero() =>
            {
                self.power_cycle_fault(&spec, now)
            }
            Call::FaultAdd { spec, params } => {
                let mut f = boundary.faults();
                let index = f.add(*spec, params, now);
                let changes = f.update(now);
                let added = f.describe(index, now);
                drop(f);
                boundary.trace_changes(now, changes);
                crate::output::emit_event(
                    json!({"event": "fault_added", "id": added["id"], "name": added["name"], "state": added["state"]}),
                    now,
                    &self.tracer,
                );
                Reply {
                    status: 201,
                    body: json!({ "added": added }),
                }
            }
            Call::FaultList => Reply::ok(boundary.faults().list(now)),
            Call::FaultClear(id) => {
                let mut f = boundary.faults();
                let (indexes, changes) = f.clear(id.as_deref());
                if indexes.is_empty() {
                    if let Some(id) = id {
                        let ids: Vec<Value> = f.list(now)["faults"]
                            .as_array()
                            .map(|l| l.iter().map(|x| x["id"].clone()).collect())
                            .unwrap_or_default();
                        return Reply::error(
                            404,
                            format!(
                                "no fault with id '{id}'; the faults now are {}",
                                Value::Array(ids)
                            ),
                        );
                    }
                }
                let cleared: Vec<Value> = indexes.iter().map(|&n| f.describe(n, now)).collect();
                drop(f);
                boundary.trace_changes(now, changes);
                for c in &cleared {
                    crate::output::emit_event(
                        json!({"event": "fault_cleared", "id": c["id"], "name": c["name"]}),
                        now,
                        &self.tracer,
                    );
                }
                Reply::ok(json!({ "cleared": cleared }))
            }
            _ => Reply::error(500, "not a fault call"),
        }
    }
}

impl Runtime {
    /// `device.power_cycle` as a fault: the same power cycle as `POST /power-cycle`, at once.
    fn power_cycle_fault(&mut self, spec: &FaultSpec, now: Instant) -> Reply {
        match spec {
            FaultSpec {
                kind: FaultKind::DevicePowerCycle { off },
                start,
                ..
            } if start.is_zero() => {
                let off = *off;
                self.power_cycle(off, now);
                let off_ms = u64::try_from(off.as_millis()).unwrap_or(u64::MAX);
                Reply {
                    status: 201,
                    body: json!({ "added": { "name": "device.power_cycle", "state": "ended", "off_ms": off_ms } }),
                }
            }
            _ => Reply::error(500, "not a power cycle"),
        }
    }

    /// Carries out the one-shot faults of the runtime itself whose start has come: a
    /// `device.power_cycle` added with a `start` is pending in the fault set like any other
    /// fault, and when it turns active the device goes off and on (the same power cycle as
    /// `POST /power-cycle`); the instance then ends, as in virtual time.
    pub(super) fn due_faults(&mut self, now: Instant) {
        let boundary = self.net.boundary().clone();
        let mut f = boundary.faults();
        let mut changes = f.update(now);
        let due: Vec<(usize, std::time::Duration)> = f
            .active()
            .filter_map(|(n, i)| match i.spec.kind {
                FaultKind::DevicePowerCycle { off } => Some((n, off)),
                _ => None,
            })
            .collect();
        changes.extend(due.iter().filter_map(|&(n, _)| f.finish(n)));
        drop(f);
        boundary.trace_changes(now, changes);
        for (_, off) in due {
            self.power_cycle(off, now);
        }
    }
}

impl Runtime {
    /// In the namespace mode, the link faults (`net.bandwidth`, `net.loss`, `net.partition`)
    /// are the kernel's (netns/link_faults.rs); `None` leaves the call to the boundaries.
    fn link_fault_call(&mut self, call: &Call, now: Instant) -> Option<Reply> {
        use crate::netns::link_faults::{Link, LINK_FAULTS};
        let ns = self.netns.as_mut()?;
        let link = Link {
            device_ns: &ns.name,
            lan_ns: &ns.lan.name,
            host_veth: &ns.host_veth,
        };
        match call {
            Call::FaultAdd { spec, .. } if LINK_FAULTS.contains(&spec.name) => {
                let spec = (**spec).clone();
                Some(match ns.faults.add(&link, spec) {
                    Ok(added) => {
                        crate::output::emit_event(
                            json!({"event": "fault_added", "id": added["id"], "name": added["name"], "state": "active"}),
                            now,
                            &self.tracer,
                        );
                        Reply {
                            status: 201,
                            body: json!({ "added": added }),
                        }
                    }
                    Err(message) => Reply::error(400, message),
                })
            }
            Call::FaultClear(id) => {
                let cleared = ns.faults.clear(&link, id.as_deref());
                if cleared.is_empty() {
                    // Not a link fault: the boundaries' faults may hold it.
                    return None;
                }
                for c in &cleared {
                    crate::output::emit_event(
                        json!({"event": "fault_cleared", "id": c["id"], "name": c["name"]}),
                        now,
                        &self.tracer,
                    );
                }
                if id.is_none() {
                    // Clearing all clears the boundaries' faults too.
                    let mut more = self.fault_call(Call::FaultClear(None), now);
                    if let Some(list) = more.body["cleared"].as_array_mut() {
                        list.extend(cleared);
                    }
                    return Some(more);
                }
                Some(Reply::ok(json!({ "cleared": cleared })))
            }
            Call::FaultList => {
                let link_faults = ns.faults.list();
                let mut list = self.net.boundary().faults().list(now);
                if let Some(faults) = list["faults"].as_array_mut() {
                    faults.extend(link_faults);
                }
                Some(Reply::ok(list))
            }
            _ => None,
        }
    }
}
