//! The ready line: the first line on stdout, saying where the serial port and every service are
//! (and, in the namespace mode, the device's namespace and addresses).

use super::Runtime;
use crate::output;
use serde_json::json;

impl Runtime {
    /// This device's entry of a fleet's ready line (its ready line without `event`); events
    /// printed from now on are announced normally.
    pub fn fleet_entry(&mut self, index: usize) -> serde_json::Value {
        self.ready_announced = true;
        let mut v = self.ready_line();
        if let serde_json::Value::Object(map) = &mut v {
            map.remove("event");
            map.insert("index".into(), json!(index));
        }
        v
    }

    /// Prints the ready line: where the serial port and every service are.
    pub fn announce_ready(&mut self) {
        output::emit(&self.ready_line());
        self.ready_announced = true;
        self.flush_early_events();
    }

    /// Prints the events held back until the ready line was out (the ready line stays first).
    pub(super) fn flush_early_events(&mut self) {
        for (event, at) in std::mem::take(&mut self.early_events) {
            output::emit_event(event, at, &self.tracer);
        }
    }

    /// The ready line's content.
    fn ready_line(&self) -> serde_json::Value {
        let mut line = json!({
            "event": "ready",
            "pty": self.serial.pty.slave_path(),
            "link": self.serial.pty.link(),
            "ip": self.ip.to_string(),
            "ports": self.ports,
        });
        if let Some(ns) = &self.netns {
            line["netns"] = ns.describe();
            // `ip` is the device's own address; the control API stays on the loopback one.
            line["control_ip"] = json!(self.control_ip.to_string());
        }
        line
    }
}
