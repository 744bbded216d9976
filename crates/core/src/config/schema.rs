//! The configuration schema as data: every key the device knows, its type, its allowed values,
//! its factory default and what it means.
//!
//! One table serves the config-file loader, `--set`, `check-config`, the control API, the
//! management menus and `docs/config.md`, so none of them can disagree about a key. Keys are
//! dotted paths that mirror the device's menu tree; `name[]` marks a list of records whose item
//! keys follow it (e.g. `port1.remote_hosts[].host`).

/// The type and allowed values of one key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `true` or `false`.
    Bool,
    /// An integer in `min..=max`.
    Int {
        /// Smallest allowed value.
        min: i64,
        /// Largest allowed value.
        max: i64,
    },
    /// One integer of a fixed list (e.g. baud rates).
    OneOfInt(&'static [i64]),
    /// One string of a fixed list.
    OneOf(&'static [&'static str]),
    /// Free text of at most this many bytes.
    Text {
        /// Longest allowed value in bytes.
        max_len: usize,
    },
    /// A dotted-quad IPv4 address.
    Ipv4,
    /// A list of records (the item keys are the specs under `path[]`).
    List {
        /// Most items allowed.
        max_items: usize,
    },
}

/// A factory default value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum DefaultValue {
    /// A boolean default.
    Bool(bool),
    /// An integer default.
    Int(i64),
    /// A string default (also used for enums and addresses).
    Str(&'static str),
    /// An empty list.
    EmptyList,
}

/// One configuration key.
#[derive(Debug, Clone, Copy)]
pub struct KeySpec {
    /// Dotted path, e.g. `port1.serial.baud`.
    pub path: &'static str,
    /// Type and allowed values.
    pub kind: Kind,
    /// Factory default.
    pub default: DefaultValue,
    /// What the key means, for humans (docs, `--help`, menus).
    pub doc: &'static str,
}

const fn key(path: &'static str, kind: Kind, default: DefaultValue, doc: &'static str) -> KeySpec {
    KeySpec {
        path,
        kind,
        default,
        doc,
    }
}

/// Baud rates the port accepts: the Sena list plus 460800 and 921600 (see docs/config.md).
pub const BAUD_RATES: &[i64] = &[
    75, 110, 150, 200, 300, 600, 1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400,
    460800, 921600,
];

use DefaultValue as D;
use Kind as K;

/// Every key of the device's configuration, in menu order.
pub const KEYS: &[KeySpec] = &[
    // 1 Network configuration
    key("network.ip_mode", K::OneOf(&["static", "dhcp", "pppoe"]), D::Str("static"), "How the device gets its IP address. The simulator always uses the host address given with --ip; this records the device's own setting."),
    key("network.ip", K::Ipv4, D::Str("192.168.161.5"), "The device's static IP address as its menus show it (Sena factory value). The host address the simulator listens on is --ip."),
    key("network.netmask", K::Ipv4, D::Str("255.255.0.0"), "Subnet mask."),
    key("network.gateway", K::Ipv4, D::Str("192.168.1.1"), "Default gateway."),
    key("network.dns_primary", K::Ipv4, D::Str("0.0.0.0"), "Primary DNS server (0.0.0.0 = none)."),
    key("network.dns_secondary", K::Ipv4, D::Str("0.0.0.0"), "Secondary DNS server (0.0.0.0 = none)."),
    key("network.tcp_keepalive.time_s", K::Int { min: 1, max: 32767 }, D::Int(15), "TCP keep-alive time: idle seconds after the last data before the first probe."),
    key("network.tcp_keepalive.probes", K::Int { min: 1, max: 127 }, D::Int(3), "TCP keep-alive probes: unanswered probes after which the session is declared dead."),
    key("network.tcp_keepalive.interval_s", K::Int { min: 1, max: 32767 }, D::Int(5), "TCP keep-alive interval: seconds between probes."),
    // 2 Serial port configuration: port 1
    key("port1.enabled", K::Bool, D::Bool(true), "Port enable. A disabled port ignores serial and network traffic and listens on nothing."),
    key("port1.title", K::Text { max_len: 31 }, D::Str(""), "Port title: a label shown in the menus only."),
    key("port1.host.mode", K::OneOf(&["tcp", "udp", "modem"]), D::Str("tcp"), "Host mode: TCP (server and/or client), UDP, or modem emulation (AT commands)."),
    key("port1.host.listen_port", K::Int { min: 0, max: 65535 }, D::Int(7001), "TCP listening port (UDP: receiving port). 0 = do not listen (TCP client only). With sim.free_ports the host port is picked free and reported in the ready line."),
    key("port1.host.max_connections", K::Int { min: 1, max: 8 }, D::Int(1), "Maximum simultaneous sessions (TCP) or remote hosts (UDP). Serial data goes to every session; the session beyond the limit is accepted and closed at once."),
    key("port1.host.inactivity_timeout_s", K::Int { min: 0, max: 65535 }, D::Int(100), "Seconds without serial traffic (either direction) after which the session is closed; 0 = never."),
    key("port1.host.telnet", K::Bool, D::Bool(false), "Telnet protocol with RFC 2217 COM-port control on the data sessions."),
    key("port1.host.user_auth", K::Bool, D::Bool(false), "Require a login from the device's user list before data flows."),
    key("port1.host.cyclic_interval_min", K::Int { min: 0, max: 65535 }, D::Int(0), "Cyclic connection: connect to the remote hosts every N minutes even without serial data; 0 = off."),
    key("port1.host.socket_id", K::Text { max_len: 49 }, D::Str(""), "Socket ID: sent once at the start of each TCP session and before every UDP datagram; empty = off."),
    key("port1.serial.type", K::OneOf(&["rs232", "rs422", "rs485"]), D::Str("rs232"), "Electrical interface. RS422/RS485 have no DTR/DSR and RS485 no flow control."),
    key("port1.serial.baud", K::OneOfInt(BAUD_RATES), D::Int(9600), "Baud rate."),
    key("port1.serial.data_bits", K::OneOfInt(&[5, 6, 7, 8]), D::Int(8), "Data bits per character."),
    key("port1.serial.parity", K::OneOf(&["none", "even", "odd", "mark", "space"]), D::Str("none"), "Parity."),
    key("port1.serial.stop_bits", K::OneOfInt(&[1, 2]), D::Int(1), "Stop bits."),
    key("port1.serial.flow_control", K::OneOf(&["none", "xon_xoff", "rts_cts"]), D::Str("none"), "Flow control."),
    key("port1.serial.dtr", K::OneOf(&["always_high", "always_low", "high_when_connected"]), D::Str("always_high"), "DTR output behaviour."),
    key("port1.serial.dsr", K::OneOf(&["none", "allow_only_when_high"]), D::Str("none"), "DSR input behaviour: with allow_only_when_high, sessions exist only while DSR is high."),
    key("port1.serial.inter_char_timeout_ms", K::Int { min: 0, max: 65535 }, D::Int(0), "Inter-character timeout: serial data is sent to the network when the buffer is full or no character arrived for this long; 0 = at once. Must exceed one character time."),
    // Simulator settings (not part of the real device)
    key("sim.free_ports", K::Bool, D::Bool(false), "Listen on free host ports (reported in the ready line) instead of the configured numbers; for parallel tests. A listening port of 0 still means 'not listening'."),
    key("sim.pacing", K::Bool, D::Bool(true), "Pace the serial line at the configured baud rate. false moves bytes as fast as the host allows (benchmarks)."),
];

/// The spec of a key, by its dotted path (list items as `list[].field`).
pub fn find(path: &str) -> Option<&'static KeySpec> {
    KEYS.iter().find(|k| k.path == path)
}

/// A human description of what `kind` allows, used in error messages and docs.
pub fn allowed(kind: &Kind) -> String {
    match kind {
        K::Bool => "true or false".into(),
        K::Int { min, max } => format!("an integer from {min} to {max}"),
        K::OneOfInt(list) => format!(
            "one of {}",
            list.iter()
                .map(i64::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
        K::OneOf(list) => format!("one of {}", list.join(", ")),
        K::Text { max_len } => format!("text of at most {max_len} bytes"),
        K::Ipv4 => "an IPv4 address like 192.168.1.10".into(),
        K::List { max_items } => format!("a list of at most {max_items} records"),
    }
}
