//! The typed view of a validated configuration.
//!
//! These structs are only ever built from a value tree that [`super::validate`] has checked
//! against the schema and completed with factory defaults, so every field is present and in
//! range; code that reads the configuration never re-checks it.

use serde::{Deserialize, Serialize};
use std::net::Ipv4Addr;

/// The whole device configuration, as kept in non-volatile memory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// 1 Network configuration.
    pub network: Network,
    /// 2 Serial port configuration, port 1.
    pub port1: Port,
    /// Simulator-only settings.
    pub sim: Sim,
}

/// Network configuration menu.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Network {
    /// How the device gets its address (recorded; the host address is `--ip`).
    pub ip_mode: IpMode,
    /// The device's static address as its menus show it.
    pub ip: Ipv4Addr,
    /// Subnet mask.
    pub netmask: Ipv4Addr,
    /// Default gateway.
    pub gateway: Ipv4Addr,
    /// Primary DNS server.
    pub dns_primary: Ipv4Addr,
    /// Secondary DNS server.
    pub dns_secondary: Ipv4Addr,
    /// TCP service configuration (keep-alive).
    pub tcp_keepalive: Keepalive,
}

/// IP addressing mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum IpMode {
    /// Fixed address.
    Static,
    /// Address from a DHCP server.
    Dhcp,
    /// PPPoE session.
    Pppoe,
}

/// TCP keep-alive parameters applied to every data session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Keepalive {
    /// Idle seconds before the first probe.
    pub time_s: u32,
    /// Unanswered probes before the session is dead.
    pub probes: u32,
    /// Seconds between probes.
    pub interval_s: u32,
}

/// One serial port's configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Port {
    /// Port enable.
    pub enabled: bool,
    /// Port title (menus only).
    pub title: String,
    /// Host mode settings.
    pub host: HostSettings,
    /// Serial line settings.
    pub serial: SerialSettings,
}

/// How the port meets the network.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HostMode {
    /// TCP server and/or client.
    Tcp,
    /// UDP datagrams.
    Udp,
    /// Modem emulation driven by AT commands.
    Modem,
}

/// Host mode menu of a port.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HostSettings {
    /// TCP, UDP or modem emulation.
    pub mode: HostMode,
    /// Listening (TCP) or receiving (UDP) port; 0 = none.
    pub listen_port: u16,
    /// Maximum simultaneous sessions.
    pub max_connections: u8,
    /// Seconds of serial silence before a session is closed; 0 = never.
    pub inactivity_timeout_s: u32,
    /// Telnet + RFC 2217 on data sessions.
    pub telnet: bool,
    /// Login required before data flows.
    pub user_auth: bool,
    /// Cyclic connection interval in minutes; 0 = off.
    pub cyclic_interval_min: u32,
    /// Socket ID string; empty = off.
    pub socket_id: String,
}

/// Serial parameters menu of a port.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SerialSettings {
    /// Electrical interface.
    #[serde(rename = "type")]
    pub line_type: LineType,
    /// Baud rate.
    pub baud: u32,
    /// Data bits.
    pub data_bits: u8,
    /// Parity.
    pub parity: m2285_uart::Parity,
    /// Stop bits (1 or 2).
    pub stop_bits: u8,
    /// Flow control.
    pub flow_control: FlowControl,
    /// DTR output behaviour.
    pub dtr: DtrMode,
    /// DSR input behaviour.
    pub dsr: DsrMode,
    /// Inter-character timeout in milliseconds; 0 = send at once.
    pub inter_char_timeout_ms: u32,
}

impl SerialSettings {
    /// The UART framing these settings describe.
    pub fn params(&self) -> m2285_uart::SerialParams {
        m2285_uart::SerialParams {
            baud: self.baud,
            data_bits: self.data_bits,
            parity: self.parity,
            stop_bits: if self.stop_bits == 2 {
                m2285_uart::StopBits::Two
            } else {
                m2285_uart::StopBits::One
            },
        }
    }
}

/// Electrical interface of the port.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LineType {
    /// RS-232 (all signals).
    Rs232,
    /// RS-422 (no DTR/DSR).
    Rs422,
    /// RS-485 2-wire (no DTR/DSR, no flow control).
    Rs485,
}

/// Flow control of the serial line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FlowControl {
    /// None.
    None,
    /// In-band XON (0x11) / XOFF (0x13).
    XonXoff,
    /// Hardware RTS/CTS.
    RtsCts,
}

/// DTR output behaviour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DtrMode {
    /// DTR always asserted.
    AlwaysHigh,
    /// DTR never asserted.
    AlwaysLow,
    /// DTR asserted while a session is open.
    HighWhenConnected,
}

/// DSR input behaviour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DsrMode {
    /// DSR is ignored.
    None,
    /// Sessions exist only while DSR is high.
    AllowOnlyWhenHigh,
}

/// Simulator-only settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sim {
    /// Listen on free host ports instead of the configured numbers.
    pub free_ports: bool,
    /// Pace the serial line at the baud rate.
    pub pacing: bool,
}
