//! The typed view of a validated configuration.
//!
//! These structs are only ever built from a value tree that [`super::validate`] has checked
//! against the schema and completed with factory defaults, so every field is present and in
//! range; code that reads the configuration never re-checks it.

use super::Sim;
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
    /// 5 System administration.
    pub system: System,
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
    /// SNMP agent and traps.
    pub snmp: Snmp,
    /// E-mail server for notifications.
    pub smtp: Smtp,
    /// Locating server reports.
    pub locating: Locating,
    /// Web server configuration (notes §3.9).
    pub web_server: WebServer,
}

/// SNMP menu (manual §3.2).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Snmp {
    /// Agent on or off.
    pub enabled: bool,
    /// MIB-II sysContact.
    pub sys_contact: String,
    /// MIB-II sysName.
    pub sys_name: String,
    /// MIB-II sysLocation.
    pub sys_location: String,
    /// Send authenticationFailure traps.
    pub auth_failure_trap: bool,
    /// Access list (up to 4).
    pub managers: Vec<SnmpManager>,
    /// Trap receivers (up to 4).
    pub trap_receivers: Vec<TrapReceiver>,
}

/// One entry of the SNMP access list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SnmpManager {
    /// Manager address; 0.0.0.0 = any host.
    pub address: Ipv4Addr,
    /// Community it must send.
    pub community: String,
    /// Read-only or read-write.
    pub access: SnmpAccess,
}

/// What a manager may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SnmpAccess {
    /// GET, GETNEXT, GETBULK.
    ReadOnly,
    /// Also SET.
    ReadWrite,
}

/// One trap receiver.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrapReceiver {
    /// Receiver address.
    pub address: Ipv4Addr,
    /// Receiver UDP port.
    pub port: u16,
    /// Community sent with the traps.
    pub community: String,
    /// Trap format.
    pub version: TrapVersion,
}

/// SNMP version of a trap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TrapVersion {
    /// SNMPv1 Trap-PDU.
    V1,
    /// SNMPv2c SNMPv2-Trap-PDU.
    V2c,
}

/// SMTP menu (manual §3.4).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Smtp {
    /// Server host; empty = no e-mail.
    pub server: String,
    /// Server TCP port.
    pub port: u16,
    /// Sender address.
    pub sender: String,
    /// Use AUTH PLAIN.
    pub auth: bool,
    /// User name for AUTH.
    pub user: String,
    /// Password for AUTH.
    pub password: String,
}

/// Locating server menu (manual §3.11, §11.9).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Locating {
    /// Send reports.
    pub enabled: bool,
    /// Server address.
    pub server: Ipv4Addr,
    /// Server UDP port.
    pub port: u16,
    /// Seconds between reports.
    pub interval_s: u32,
}

/// Web server configuration (notes §3.9): which of HTTP and HTTPS run, and how often status
/// pages refresh themselves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebServer {
    /// Which listeners run.
    pub mode: WebMode,
    /// Seconds between automatic reloads of the status page; 0 = never.
    pub refresh_s: u32,
}

/// Which of the web server's listeners run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WebMode {
    /// Neither: the web server is off.
    Off,
    /// Plain HTTP only (device port 80).
    Http,
    /// HTTPS only (device port 443).
    Https,
    /// Both.
    Both,
}

impl WebMode {
    /// Whether the plain HTTP listener runs.
    pub fn http(self) -> bool {
        matches!(self, WebMode::Http | WebMode::Both)
    }

    /// Whether the HTTPS listener runs.
    pub fn https(self) -> bool {
        matches!(self, WebMode::Https | WebMode::Both)
    }
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
    /// Remote host list (TCP client side, UDP destinations).
    pub remote_hosts: Vec<RemoteHost>,
    /// Host mode settings.
    pub host: HostSettings,
    /// Serial line settings.
    pub serial: SerialSettings,
    /// Cryptography (SSL/TLS) settings.
    pub crypto: CryptoSettings,
    /// Port event handling.
    pub events: PortEvents,
    /// Port logging.
    pub log: PortLogSettings,
}

/// Port event handling menu of a port (manual §4.11).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PortEvents {
    /// Watch the serial data.
    pub enabled: bool,
    /// E-mail recipient; empty = none.
    pub email_to: String,
    /// Minimum seconds between notifications.
    pub min_interval_s: u32,
    /// Keyword rules.
    pub rules: Vec<EventRule>,
}

/// One keyword rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventRule {
    /// Bytes to look for.
    pub keyword: String,
    /// Send an e-mail on a match.
    pub email: bool,
    /// Send a trap on a match.
    pub trap: bool,
    /// Write this to the serial port on a match (`\r`, `\n` escapes).
    pub reply: String,
}

/// Port logging of a port (notes §4.10).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PortLogSettings {
    /// Capture the serial data.
    pub enabled: bool,
    /// Ring size in bytes.
    pub size_bytes: u32,
}

/// Encryption of a port's sessions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CryptoMethod {
    /// Plain TCP.
    None,
    /// SSL/TLS.
    Ssl,
}

/// Cryptography menu of a port.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CryptoSettings {
    /// None or SSL.
    pub method: CryptoMethod,
    /// Require and verify a client certificate (server role).
    pub client_auth: bool,
    /// Verify the server certificate and name (client role).
    pub verify_server: bool,
    /// Expected server host name (client role); empty = the dialled host.
    pub server_name: String,
    /// Certificate chain file; empty = the device's own.
    pub cert_file: String,
    /// Private key file.
    pub key_file: String,
    /// CA certificates file.
    pub ca_file: String,
    /// Lowest version.
    pub min_version: String,
    /// Highest version.
    pub max_version: String,
    /// Comma-separated suite names; empty = defaults.
    pub ciphersuites: String,
    /// Seconds a TLS handshake may take before the session is closed.
    pub handshake_timeout_s: u32,
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
    /// UDP: deliver datagrams from unlisted senders.
    pub accept_unlisted: bool,
    /// UDP: send serial data to recent unlisted senders too.
    pub send_to_unlisted: bool,
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
    /// RS485 2-wire: the program's transmission comes back to it.
    pub rs485_echo: bool,
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

/// One entry of a port's remote host list (manual §4.6).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RemoteHost {
    /// Primary host: loopback address or host name.
    pub host: String,
    /// Primary port.
    pub port: u16,
    /// Backup host; empty = none.
    pub backup_host: String,
    /// Backup port; 0 = the primary's.
    pub backup_port: u16,
}

impl RemoteHost {
    /// The backup host and port, when there is one.
    pub fn backup(&self) -> Option<(&str, u16)> {
        let port = if self.backup_port == 0 {
            self.port
        } else {
            self.backup_port
        };
        (!self.backup_host.is_empty()).then_some((self.backup_host.as_str(), port))
    }
}

/// System administration menu.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct System {
    /// Device name.
    pub device_name: String,
    /// Accounts.
    pub users: Vec<User>,
    /// Failed-login policy.
    pub login: LoginSettings,
    /// IP filter.
    pub filter: FilterSettings,
    /// System log.
    pub log: LogSettings,
    /// Date and time.
    pub clock: ClockSettings,
}

/// One account.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct User {
    /// User name.
    pub name: String,
    /// admin, root or user.
    pub role: String,
    /// Argon2 PHC hash of the password (plaintext only until [`super::Config::seal_secrets`]);
    /// `Debug` hides it.
    pub password: String,
}

impl std::fmt::Debug for User {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("User")
            .field("name", &self.name)
            .field("role", &self.role)
            .field("password", &super::secrets::MASK)
            .finish()
    }
}

/// Failed-login policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginSettings {
    /// Failures from one address that lock it out.
    pub max_failures: u32,
    /// Window and lockout time in seconds.
    pub lockout_s: u32,
}

/// IP filter settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FilterSettings {
    /// Rules, first match wins.
    pub rules: Vec<FilterRule>,
}

/// One IP filter rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FilterRule {
    /// Source address.
    pub address: Ipv4Addr,
    /// Subnet mask.
    pub mask: Ipv4Addr,
    /// Protected service name (see the schema).
    pub service: String,
    /// accept, drop or reject.
    pub rule: String,
}

/// System log settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogSettings {
    /// Ring size in messages.
    pub ram_entries: u32,
    /// Remote syslog host; empty = off.
    pub remote_host: String,
    /// Remote syslog port.
    pub remote_port: u16,
    /// Least severe message sent remotely.
    pub remote_severity: String,
}

/// Date and time settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClockSettings {
    /// SNTP server; empty = off.
    pub ntp_server: String,
    /// SNTP port.
    pub ntp_port: u16,
    /// Seconds between requests.
    pub ntp_interval_s: u32,
}
