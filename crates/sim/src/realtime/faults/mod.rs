//! Faults at the real-time boundaries: middleware around the PTY ([`FaultyPty`]) and the host
//! sockets ([`FaultyNet`]), never inside the device model (ARCHITECTURE invariant 4).
//!
//! Faults have the names and parameters of the virtual-time runtime: they are read by
//! `m2285_boundary::faults::FaultSpec::parse` and kept in its `FaultSet`, so each instance has
//! its `id`, `start`, `duration`, `direction` and its own dice (a stream of the `--seed` named
//! after the id). What differs is only how each fault acts on real bytes and sockets
//! ([`serial`], [`net`]); faults that a PTY or a loopback socket cannot carry are refused with
//! the list of those that work ([`supported::SUPPORTED`]). docs/faults-realtime.md has the details.

pub mod net;
#[cfg(test)]
mod same_seed;
pub mod serial;
pub mod supported;

pub use net::FaultyNet;
pub use serial::FaultyPty;
pub use supported::parse;

use super::trace::Tracer;
use m2285_boundary::faults::{Counters, FaultSet, FaultSpec, Instance};
use m2285_boundary::trace::TraceEvent;
use m2285_time::Instant;
use serde_json::{json, Map, Value};
use std::sync::{Arc, Mutex, MutexGuard};

/// What the registry keeps beside each `FaultSet` instance: the raw parameters, as given, for
/// the control API's listing.
#[derive(Clone, Debug)]
struct Extra {
    params: Vec<(String, String)>,
}

/// Every fault injected into one running device.
pub struct Faults {
    set: FaultSet,
    extra: Vec<Extra>,
}

/// A fault that started (`on`) or ended.
#[derive(Clone, Debug)]
pub struct Change {
    /// Its instance id.
    pub id: String,
    /// Its name.
    pub name: &'static str,
    /// Started or ended.
    pub on: bool,
}

impl Faults {
    /// No faults; their dice will come from `seed`.
    pub fn new(seed: u64) -> Self {
        Faults {
            set: FaultSet::new(seed),
            extra: Vec::new(),
        }
    }

    /// Adds a parsed fault with the raw parameters it was given; returns its index.
    pub fn add(&mut self, spec: FaultSpec, params: Vec<(String, String)>, now: Instant) -> usize {
        let index = self.set.add(spec, now);
        self.extra.push(Extra { params });
        index
    }

    /// Starts and ends instances whose time has come; returns what changed.
    pub fn update(&mut self, now: Instant) -> Vec<Change> {
        let mut changes = Vec::new();
        for index in 0..self.set.len() {
            let Some(i) = self.set.get(index) else {
                continue;
            };
            let change = |on| Change {
                id: i.spec.id.clone(),
                name: i.spec.name,
                on,
            };
            if !i.active && !i.finished && i.start <= now {
                let c = change(true);
                self.set.activate(index);
                changes.push(c);
            } else if i.active && i.end.is_some_and(|end| end <= now) {
                let c = change(false);
                self.set.finish(index);
                changes.push(c);
            }
        }
        changes
    }

    /// Ends instance `index` (one-shot faults once done); returns the change, if any.
    pub fn finish(&mut self, index: usize) -> Option<Change> {
        let i = self.set.get(index)?;
        let change = Change {
            id: i.spec.id.clone(),
            name: i.spec.name,
            on: false,
        };
        self.set.finish(index).then_some(change)
    }

    /// Ends the instances called `id`, or all; returns their indexes and the changes.
    pub fn clear(&mut self, id: Option<&str>) -> (Vec<usize>, Vec<Change>) {
        let indexes: Vec<usize> = (0..self.set.len())
            .filter(|&n| {
                self.set
                    .get(n)
                    .is_some_and(|i| !i.finished && id.is_none_or(|id| i.spec.id == id))
            })
            .collect();
        let changes = indexes.iter().filter_map(|&n| self.finish(n)).collect();
        (indexes, changes)
    }

    /// When the next instance starts or ends.
    pub fn next_change(&self) -> Option<Instant> {
        (0..self.set.len())
            .filter_map(|n| self.set.get(n))
            .filter(|i| !i.finished)
            .filter_map(|i| if i.active { i.end } else { Some(i.start) })
            .min()
    }

    /// The active instances with their indexes, in injection order.
    pub fn active(&self) -> impl Iterator<Item = (usize, &Instance)> {
        (0..self.set.len()).filter_map(|n| self.set.get(n).filter(|i| i.active).map(|i| (n, i)))
    }

    /// The fault set itself, read-only.
    pub fn set(&self) -> &FaultSet {
        &self.set
    }

    /// The fault set itself, for the boundary rules that act on it
    /// (`m2285_boundary::faults::serial::cross`, ...).
    pub fn set_mut(&mut self) -> &mut FaultSet {
        &mut self.set
    }

    /// The counters of instance `index`, mutable.
    pub fn counters(&mut self, index: usize) -> Option<&mut Counters> {
        self.set.get_mut(index).map(|i| &mut i.counters)
    }

    /// Instance `index` as the control API shows it.
    pub fn describe(&self, index: usize, now: Instant) -> Value {
        let (Some(i), Some(e)) = (self.set.get(index), self.extra.get(index)) else {
            return Value::Null;
        };
        let state = if i.finished {
            "ended"
        } else if i.active {
            "active"
        } else {
            "pending"
        };
        let params: Map<String, Value> = e
            .params
            .iter()
            .map(|(k, v)| (k.clone(), json!(v)))
            .collect();
        let secs = |t: Instant| t.as_nanos() as f64 / 1e9;
        json!({
            "number": index + 1,
            "id": i.spec.id,
            "name": i.spec.name,
            "params": params,
            "state": state,
            "start_t": secs(i.start),
            "end_t": i.end.map(secs),
            "t": secs(now),
            "counters": i.counters,
        })
    }

    /// The instances not yet ended, as the control API lists them.
    pub fn list(&self, now: Instant) -> Value {
        let list: Vec<Value> = (0..self.set.len())
            .filter(|&n| self.set.get(n).is_some_and(|i| !i.finished))
            .map(|n| self.describe(n, now))
            .collect();
        json!({ "faults": list })
    }
}

/// What both middlewares share: the faults and the trace. Cheap to clone. It reads no clock:
/// every call is given the `now` the event loop read for its turn.
#[derive(Clone)]
pub struct Boundary {
    faults: Arc<Mutex<Faults>>,
    /// The trace.
    pub tracer: Tracer,
}

impl Boundary {
    /// A boundary with no faults yet, drawing dice from `seed`.
    pub fn new(seed: u64, tracer: Tracer) -> Self {
        Boundary {
            faults: Arc::new(Mutex::new(Faults::new(seed))),
            tracer,
        }
    }

    /// The faults (a poisoned lock is taken over: the registry has no invariant a panic
    /// elsewhere could break).
    pub fn faults(&self) -> MutexGuard<'_, Faults> {
        self.faults
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Starts and ends faults whose time has come, and traces the changes.
    pub fn update(&self, now: Instant) {
        let changes = self.faults().update(now);
        self.trace_changes(now, changes);
    }

    /// Writes `fault` records for these changes.
    pub fn trace_changes(&self, now: Instant, changes: Vec<Change>) {
        for c in changes {
            tracing::info!(id = %c.id, name = c.name, on = c.on, "fault");
            self.tracer.record(
                now,
                TraceEvent::Fault {
                    id: c.id,
                    name: c.name,
                    on: c.on,
                },
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
        p.iter().map(|(k, v)| ((*k).into(), (*v).into())).collect()
    }

    #[test]
    fn names_and_mistakes_are_those_of_virtual_time() {
        assert!(parse("serial.bit_errors", &pairs(&[("ber", "1%")])).is_ok());
        let e = parse("serial.bit_errors", &pairs(&[("ber", "lots")]))
            .err()
            .unwrap_or_default();
        assert!(e.contains("`ber`"), "{e}");
        let e = parse("net.gremlins", &[]).err().unwrap_or_default();
        assert!(
            e.contains("unknown fault") && e.contains("net.partition"),
            "{e}"
        );
        assert!(parse("net.loss", &pairs(&[("probability", "0.1")])).is_ok());
        // A fault real time does not carry (if any is left) is refused with the list.
        let virtual_only = m2285_boundary::faults::catalog::FAULTS.iter().find(|f| {
            !supported::SUPPORTED.contains(&f.name) && f.params.iter().all(|p| p.default.is_some())
        });
        if let Some(f) = virtual_only {
            let e = parse(f.name, &[]).err().unwrap_or_default();
            assert!(
                e.contains("only in virtual time") && e.contains("net.partition"),
                "{e}"
            );
        }
    }

    #[test]
    fn instances_start_end_and_clear_by_id() {
        let mut f = Faults::new(1);
        let t0 = Instant::from_millis(1000);
        let spec = parse(
            "net.partition",
            &pairs(&[("id", "cut"), ("start", "1s"), ("duration", "2s")]),
        );
        let spec = spec.unwrap_or_else(|e| panic!("{e}"));
        f.add(spec, vec![], t0);
        assert_eq!(f.next_change(), Some(t0 + Duration::from_secs(1)));
        assert!(f.update(t0).is_empty());
        let on = f.update(t0 + Duration::from_secs(1));
        assert!(on.len() == 1 && on[0].on && on[0].id == "cut");
        assert_eq!(f.active().count(), 1);
        let off = f.update(t0 + Duration::from_secs(3));
        assert!(off.len() == 1 && !off[0].on);
        let spec = parse("serial.drop", &pairs(&[("probability", "0.5")]));
        f.add(spec.unwrap_or_else(|e| panic!("{e}")), vec![], t0);
        f.update(t0);
        assert_eq!(f.list(t0)["faults"].as_array().map(Vec::len), Some(1));
        let (cleared, changes) = f.clear(Some("serial.drop"));
        assert_eq!((cleared, changes.len()), (vec![1], 1));
        assert_eq!(f.list(t0)["faults"].as_array().map(Vec::len), Some(0));
    }
}
