//! The typed view of the simulator's own settings (`sim.*`): what the real device does not
//! have, kept apart from the device's configuration in `model.rs`.

use serde::{Deserialize, Serialize};

/// Simulator-only settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sim {
    /// Listen on free host ports instead of the configured numbers.
    pub free_ports: bool,
    /// Pace the serial line at the baud rate.
    pub pacing: bool,
    /// Control API port; 0 = a free one.
    pub control_port: u16,
    /// SNMP agent's host UDP port; 0 = a free one.
    pub snmp_port: u16,
    /// Telnet console host port; 0 = a free one.
    pub telnet_port: u16,
    /// SSH console host port; 0 = a free one.
    pub ssh_port: u16,
    /// Seconds in one device minute (minute-based timers).
    pub minute_s: u32,
    /// Which control API requests need the token (`control.token` in the state directory).
    pub control_auth: ControlAuth,
    /// Milliseconds a control API connection may wait for a request's headers (idle, or
    /// between keep-alive requests) or spend sending its body before it is closed.
    pub control_idle_timeout_ms: u32,
    /// Time from power-on or reboot until the device serves again, in milliseconds.
    pub boot_time_ms: u32,
    /// Host port of the device's web server over HTTP (device port 80); 0 = a free one.
    pub http_port: u16,
    /// Host port of the device's web server over HTTPS (device port 443); 0 = a free one.
    pub https_port: u16,
    /// Minutes a web session may stay idle before it must log in again.
    pub web_session_idle_min: u32,
}

/// Which control API requests must carry the token (docs/control-api.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ControlAuth {
    /// No request needs it.
    Off,
    /// Requests that change the device (every method but GET and HEAD); reads are open.
    Changes,
    /// Every request.
    All,
}
