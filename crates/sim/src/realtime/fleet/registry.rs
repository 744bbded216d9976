//! The running devices of a fleet: booting one (at start or through the control API), stopping
//! one or all, and the fleet's side of its control server ([`FleetOps`]).

use super::{device_args, prepare_device_dir};
use crate::cli::FleetArgs;
use crate::control::fleet_server::{DeviceLink, FleetOps};
use crate::control::Reply;
use crate::output;
use crate::realtime::{load_config, MemberHandle, Runtime};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;

/// Stack of a device's thread: the loop needs little, and 10 000 devices reserve 2.5 GiB of
/// address space with it (resident only as touched).
const DEVICE_STACK: usize = 256 * 1024;

/// One running device.
struct Member {
    /// Its entry of the ready line (and of `GET /devices`).
    entry: Value,
    handle: MemberHandle,
    thread: JoinHandle<Result<(), String>>,
}

/// A booted device whose loop has not started yet (the fleet's ready line comes first).
pub struct Booted {
    index: usize,
    entry: Value,
    handle: MemberHandle,
    runtime: Runtime,
}

impl Booted {
    /// Its entry of the ready line.
    pub fn entry(&self) -> &Value {
        &self.entry
    }
}

/// The fleet's devices.
pub struct Fleet {
    args: FleetArgs,
    /// What one device takes, checked before each device added at run time.
    budget: super::preflight::Budget,
    members: Mutex<BTreeMap<usize, Member>>,
    /// Held while a device boots or stops, so two changes to one index cannot race.
    changing: Mutex<()>,
    /// Set once the fleet stops: no device may be added any more.
    stopping: std::sync::atomic::AtomicBool,
    /// The fleet's LAN with `--netns` (made with the first device).
    lan: Mutex<crate::realtime::netns_fleet::FleetLan>,
}

impl Fleet {
    /// An empty fleet whose devices are made from `args`.
    pub fn new(args: FleetArgs, budget: super::preflight::Budget) -> Self {
        Fleet {
            budget,
            members: Mutex::new(BTreeMap::new()),
            changing: Mutex::new(()),
            stopping: std::sync::atomic::AtomicBool::new(false),
            lan: Mutex::new(crate::realtime::netns_fleet::lan(&args)),
            args,
        }
    }

    fn members(&self) -> MutexGuard<'_, BTreeMap<usize, Member>> {
        self.members.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Boots device `index` with the template and `extra_sets`, without starting its loop.
    pub fn boot(&self, index: usize, extra_sets: &[String]) -> Result<Booted, String> {
        let mut dev = device_args(&self.args, index)?;
        dev.sets.extend(extra_sets.iter().cloned());
        let dir = prepare_device_dir(&dev)?;
        let config = load_config(&dev, &dir).map_err(|e| format!("device {index}: {e}"))?;
        let namespace = {
            let mut lan = self.lan.lock().unwrap_or_else(|e| e.into_inner());
            crate::realtime::netns_fleet::device(&mut lan, &config, index)?
        };
        let (mut runtime, handle) = Runtime::boot_member(&dev, config, &dir, namespace)
            .map_err(|e| format!("device {index}: {e}{}", super::descriptor_hint(&e)))?;
        let entry = runtime.fleet_entry(index);
        Ok(Booted {
            index,
            entry,
            handle,
            runtime,
        })
    }

    /// Starts a booted device's loop on a thread of its own and keeps it.
    pub fn start(&self, booted: Booted) -> Result<(), String> {
        let Booted {
            index,
            entry,
            handle,
            runtime,
        } = booted;
        let thread = std::thread::Builder::new()
            .name(format!("device-{index}"))
            .stack_size(DEVICE_STACK)
            .spawn(move || {
                output::set_device_index(index);
                runtime.run()
            })
            .map_err(|e| format!("device {index}: cannot start its thread: {e}"))?;
        self.members().insert(
            index,
            Member {
                entry,
                handle,
                thread,
            },
        );
        Ok(())
    }

    /// Stops device `index` and waits for its loop to end (its link is then gone).
    pub fn stop(&self, index: usize) -> Option<Result<(), String>> {
        let member = self.members().remove(&index)?;
        member.handle.stop();
        Some(join(index, member.thread))
    }

    /// Stops every device (all are told first, then each is waited for); the first error.
    pub fn stop_all(&self) -> Result<(), String> {
        // A device being added finishes first, so none is left running.
        let _changing = self.changing.lock().unwrap_or_else(|e| e.into_inner());
        self.stopping
            .store(true, std::sync::atomic::Ordering::SeqCst);
        let members = std::mem::take(&mut *self.members());
        for member in members.values() {
            member.handle.stop();
        }
        let mut first_error = Ok(());
        for (index, member) in members {
            if let Err(e) = join(index, member.thread) {
                if first_error.is_ok() {
                    first_error = Err(e);
                }
            }
        }
        // The devices' namespaces went with their loops; the LAN goes last (the control server
        // still holds this fleet, so dropping it cannot be left to the end of the process).
        self.lan.lock().unwrap_or_else(|e| e.into_inner()).release();
        first_error
    }

    /// How many devices run.
    pub fn len(&self) -> usize {
        self.members().len()
    }

    /// Boots and starts a device asked for through the API.
    fn add_device(&self, request: &Value) -> Result<Value, (u16, String)> {
        let _changing = self.changing.lock().unwrap_or_else(|e| e.into_inner());
        if self.stopping.load(std::sync::atomic::Ordering::SeqCst) {
            return Err((503, "the fleet is stopping".into()));
        }
        let index = match &request["index"] {
            Value::Null => self.members().keys().next_back().map_or(0, |last| last + 1),
            v => v
                .as_u64()
                .and_then(|i| usize::try_from(i).ok())
                .ok_or((400, format!("\"index\": {v} is not a device index")))?,
        };
        if self.members().contains_key(&index) {
            return Err((409, format!("device {index} runs already")));
        }
        let sets: Vec<String> = match &request["set"] {
            Value::Null => Vec::new(),
            Value::Array(items) => items
                .iter()
                .map(|s| s.as_str().map(str::to_owned))
                .collect::<Option<_>>()
                .ok_or((400, "\"set\": give a list of \"KEY=VALUE\" strings".into()))?,
            _ => return Err((400, "\"set\": give a list of \"KEY=VALUE\" strings".into())),
        };
        super::preflight::check(1, self.budget).map_err(|e| (507, e))?;
        let booted = self.boot(index, &sets).map_err(|e| (400, e))?;
        let entry = booted.entry.clone();
        self.start(booted).map_err(|e| (500, e))?;
        let mut event = entry.clone();
        if let Value::Object(map) = &mut event {
            map.insert("event".into(), json!("device_added"));
        }
        output::emit(&event);
        Ok(entry)
    }
}

fn join(index: usize, thread: JoinHandle<Result<(), String>>) -> Result<(), String> {
    match thread.join() {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(format!("device {index}: {e}")),
        Err(_) => Err(format!("device {index}: its thread panicked")),
    }
}

impl FleetOps for Fleet {
    fn list(&self) -> Value {
        let members = self.members();
        let devices: Vec<Value> = members.values().map(|m| m.entry.clone()).collect();
        json!({ "count": devices.len(), "devices": devices })
    }

    fn add(&self, request: &Value) -> Reply {
        match self.add_device(request) {
            Ok(entry) => Reply {
                status: 201,
                body: entry,
            },
            Err((status, message)) => Reply::error(status, message),
        }
    }

    fn remove(&self, index: usize) -> Reply {
        let _changing = self.changing.lock().unwrap_or_else(|e| e.into_inner());
        match self.stop(index) {
            None => Reply::error(404, format!("the fleet has no device {index}")),
            Some(result) => {
                output::emit(&json!({"event": "device_removed", "index": index}));
                match result {
                    Ok(()) => Reply::ok(json!({ "removed": index })),
                    Err(e) => Reply::ok(json!({ "removed": index, "error": e })),
                }
            }
        }
    }

    fn device(&self, index: usize) -> Option<DeviceLink> {
        let handle = self.members().get(&index)?.handle.clone();
        let to_loop = handle.control.clone();
        Some(DeviceLink {
            to_loop,
            wake: Arc::new(move || handle.wake()),
        })
    }
}
