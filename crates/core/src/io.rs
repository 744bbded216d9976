//! What crosses the device model's boundary: events in, actions out.
//!
//! Events carry no time; the time is the `now` argument of [`crate::Device::handle`]. Actions
//! are instructions for the runtime, which owns the PTY, the sockets and the clock.

use serde::Serialize;
use std::net::SocketAddr;

mod close;
pub use close::{CloseReason, Failure};

/// A network connection, named by whoever created it: the runtime numbers the connections it
/// accepts from 1 upwards; the device numbers the ones it opens from [`ConnId::DEVICE_BASE`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct ConnId(pub u64);

impl ConnId {
    /// First id of connections the device opens itself (outbound), so the two numbering spaces
    /// never meet.
    pub const DEVICE_BASE: u64 = 1 << 48;
}

/// A listening socket the device asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ListenerId {
    /// Serial port 1's data port (TCP listening port or UDP receiving port).
    Data,
    /// The management UDP socket (any free port): remote syslog messages and SNTP requests go
    /// out of it, SNTP answers come back to it.
    Mgmt,
}

impl ListenerId {
    /// The name used for this service in the ready line's `ports` map.
    pub fn service_name(self) -> &'static str {
        match self {
            ListenerId::Data => "data",
            ListenerId::Mgmt => "management",
        }
    }
}

/// Transport of a listening socket.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Transport {
    /// TCP stream.
    Tcp,
    /// UDP datagrams.
    Udp,
}

/// Something that happened on the serial side.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LineEvent {
    /// The serial-side program wrote these bytes; they start crossing the wire now.
    Received(Vec<u8>),
    /// The baud rate the serial-side program set on its end (observed on the PTY).
    ObservedBaud(u32),
    /// A program opened (true) or closed (false) the serial port.
    PeerAttached(bool),
    /// The runtime could not deliver this many transmitted bytes (no program on the port).
    OutputLost(usize),
    /// The attached equipment set an input line (what a cable would carry; control API).
    Signal {
        /// Which line.
        line: crate::lines::InputLine,
        /// Its new level.
        high: bool,
    },
    /// The attached equipment sent a break of this length.
    Break {
        /// How long the line was held at space, in milliseconds.
        duration_ms: u32,
    },
}

/// Something that happened on the network side.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NetEvent {
    /// A listening socket is up on this host port.
    Listening {
        /// Which listener.
        listener: ListenerId,
        /// The actual port.
        port: u16,
    },
    /// A listening socket could not be opened.
    ListenFailed {
        /// Which listener.
        listener: ListenerId,
        /// Why, for logs.
        reason: String,
    },
    /// A peer connected to a listener.
    Accepted {
        /// The listener it came in on.
        listener: ListenerId,
        /// The runtime's id for the connection.
        conn: ConnId,
        /// The peer's address.
        peer: SocketAddr,
    },
    /// An outbound connection the device asked for is up.
    Connected {
        /// The device's id for the connection.
        conn: ConnId,
        /// The address it reached.
        peer: SocketAddr,
    },
    /// An outbound connection could not be made.
    ConnectFailed {
        /// The device's id for the connection.
        conn: ConnId,
        /// Why, for logs.
        reason: String,
    },
    /// Bytes arrived on a connection.
    Received {
        /// The connection.
        conn: ConnId,
        /// The bytes.
        data: Vec<u8>,
    },
    /// The peer closed its side (end of stream).
    PeerClosed {
        /// The connection.
        conn: ConnId,
    },
    /// The connection failed (reset, keep-alive timeout, ...).
    Failed {
        /// The connection.
        conn: ConnId,
        /// Why, for logs and events.
        reason: String,
    },
    /// A UDP datagram arrived on a listener (UDP mode's receiving port).
    Datagram {
        /// The listener.
        listener: ListenerId,
        /// The sender.
        from: SocketAddr,
        /// The datagram's payload.
        data: Vec<u8>,
    },
}

/// Everything the runtime can tell the device.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// Serial side.
    Line(LineEvent),
    /// Network side.
    Net(NetEvent),
    /// The runtime carried out the last [`Action::Flash`] (or could not).
    Flash(crate::store::FlashReport),
}

/// TCP keep-alive settings for a socket.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct KeepaliveParams {
    /// Idle seconds before the first probe.
    pub time_s: u32,
    /// Seconds between probes.
    pub interval_s: u32,
    /// Unanswered probes before the connection is dead.
    pub probes: u32,
}

/// An instruction from the device to the runtime.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Open a listening socket on the device's address.
    Listen {
        /// Which listener.
        listener: ListenerId,
        /// TCP or UDP.
        transport: Transport,
        /// The configured port.
        port: u16,
    },
    /// Close a listening socket.
    Unlisten {
        /// Which listener.
        listener: ListenerId,
    },
    /// Open an outbound TCP connection.
    Connect {
        /// The device's id for it.
        conn: ConnId,
        /// Host name or address.
        host: String,
        /// TCP port.
        port: u16,
    },
    /// Send bytes on a connection.
    Send {
        /// The connection.
        conn: ConnId,
        /// The bytes.
        data: Vec<u8>,
    },
    /// Close a connection after sending what is queued.
    Close {
        /// The connection.
        conn: ConnId,
    },
    /// Reset a connection at once (TCP RST, nothing queued is sent); no event follows.
    Reset {
        /// The connection.
        conn: ConnId,
    },
    /// Keep a small piece of state that is not configuration (e.g. the RTC offset) in the state
    /// directory, atomically and privately; in virtual time it is kept with the scenario.
    WriteState {
        /// File name in the state directory.
        file: &'static str,
        /// Its whole new content.
        bytes: Vec<u8>,
    },
    /// Apply TCP keep-alive to a connection's socket.
    SetKeepalive {
        /// The connection.
        conn: ConnId,
        /// The settings.
        params: KeepaliveParams,
    },
    /// These bytes finished crossing the serial line towards the serial-side program.
    SerialTx(Vec<u8>),
    /// Send one UDP datagram from a UDP listener's socket.
    SendTo {
        /// The listener whose socket sends it.
        listener: ListenerId,
        /// Host name or address.
        host: String,
        /// UDP port.
        port: u16,
        /// The payload.
        data: Vec<u8>,
    },
    /// Something worth telling the user or a test (a JSON line on stdout, the event stream).
    Notify(DeviceEvent),
    /// One step of writing flash (a save); report it with [`Event::Flash`].
    Flash(crate::store::FlashOp),
}

/// A notification for users and tests.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum DeviceEvent {
    /// A data session started.
    SessionOpened {
        /// Serial port number.
        port: u8,
        /// The connection.
        conn: ConnId,
        /// The peer.
        peer: SocketAddr,
        /// "server" when the peer connected, "client" when the device did.
        role: &'static str,
    },
    /// A data session ended.
    SessionClosed {
        /// Serial port number.
        port: u8,
        /// The connection.
        conn: ConnId,
        /// Why.
        reason: CloseReason,
    },
    /// A connection was turned away.
    ConnectionRejected {
        /// Serial port number.
        port: u8,
        /// The peer.
        peer: SocketAddr,
        /// Why.
        reason: &'static str,
    },
    /// The serial-side program's baud rate differs from the device's.
    BaudMismatch {
        /// Serial port number.
        port: u8,
        /// What the program set.
        observed: u32,
        /// What the device is configured for.
        configured: u32,
    },
    /// A session's TLS handshake finished.
    TlsEstablished {
        /// Serial port number.
        port: u8,
        /// The connection.
        conn: ConnId,
        /// Negotiated version, e.g. TLSv1.2.
        version: String,
        /// Negotiated cipher suite (IANA name).
        ciphersuite: String,
        /// Subject of the peer's certificate, when it sent one.
        peer: Option<String>,
    },
    /// The device sent a break on the serial line.
    SerialBreak {
        /// Serial port number.
        port: u8,
    },
    /// The device's output lines (DTR, RTS) changed.
    LinesChanged {
        /// Serial port number.
        port: u8,
        /// All line levels after the change.
        lines: crate::lines::Lines,
    },
    /// A program opened or closed the serial port.
    SerialPeer {
        /// Serial port number.
        port: u8,
        /// Whether a program now holds the port.
        attached: bool,
    },
    /// A control line changed level (input set by the equipment, or output driven by the
    /// device).
    SignalChanged {
        /// Serial port number.
        port: u8,
        /// dtr, rts, dsr, cts, dcd or ri.
        signal: &'static str,
        /// "input" (seen by the device) or "output" (driven by the device).
        direction: &'static str,
        /// The new level.
        high: bool,
    },
    /// The device is dialling a remote host (TCP client side).
    Connecting {
        /// Serial port number.
        port: u8,
        /// The connection.
        conn: ConnId,
        /// `host:port`.
        remote: String,
        /// "primary" or "backup".
        which: &'static str,
    },
    /// A remote host could not be reached.
    ConnectFailed {
        /// Serial port number.
        port: u8,
        /// The connection.
        conn: ConnId,
        /// `host:port`.
        remote: String,
        /// Why.
        reason: String,
        /// Whether the backup host is tried next.
        trying_backup: bool,
    },
    /// Serial data was thrown away because nobody could take it.
    DataDiscarded {
        /// Serial port number.
        port: u8,
        /// How many bytes.
        bytes: usize,
        /// Why.
        reason: &'static str,
    },
    /// A UDP datagram was not delivered to the serial port.
    DatagramRejected {
        /// Serial port number.
        port: u8,
        /// The sender.
        peer: SocketAddr,
        /// Why.
        reason: &'static str,
    },
    /// The attached equipment sent a break.
    BreakReceived {
        /// Serial port number.
        port: u8,
        /// Its length in milliseconds.
        duration_ms: u32,
    },
    /// The device's transmitter was paused or resumed by flow control.
    FlowControl {
        /// Serial port number.
        port: u8,
        /// True when paused.
        paused: bool,
        /// "xoff", "xon", "cts_low" or "cts_high".
        by: &'static str,
    },
    /// A port event rule's keyword appeared in the serial data (port1.events) and the port
    /// acts on it.
    PortEvent {
        /// Serial port number.
        port: u8,
        /// The keyword.
        keyword: String,
        /// The runtime sends an e-mail to port1.events.email_to.
        email: bool,
        /// The runtime sends the m2285PortEvent trap.
        trap: bool,
        /// The device wrote the rule's reply to the serial port.
        reply: bool,
    },
    /// Login on a data session (port1.host.user_auth).
    Login {
        /// Serial port number.
        port: u8,
        /// The connection.
        conn: ConnId,
        /// Where the try came from.
        peer: SocketAddr,
        /// The user name given (never the password).
        user: String,
        /// Whether it was accepted.
        ok: bool,
    },
    /// A console session logged in (serial console, Telnet or SSH; docs/console.md).
    ConsoleLogin {
        /// The transport and peer: `serial`, `telnet 127.0.0.1:40000`, `ssh ...`.
        peer: String,
        /// The account.
        user: String,
        /// `password` or `publickey`.
        method: &'static str,
    },
    /// A console login was refused.
    ConsoleLoginFailed {
        /// The transport and peer.
        peer: String,
        /// The user name given (never the password).
        user: String,
        /// `password` or `publickey`.
        method: &'static str,
    },
    /// A console session that had logged in ended (exit, idle timeout, disconnect, switch).
    ConsoleLogout {
        /// The transport and peer.
        peer: String,
        /// The account.
        user: String,
    },
    /// Staged configuration was applied.
    ConfigApplied {
        /// The keys whose values changed.
        keys: Vec<String>,
        /// Applied keys that take effect only at the next reboot (or simulator start).
        pending_reboot: Vec<String>,
    },
    /// The running configuration reached flash.
    ConfigSaved {
        /// Saves completed since power-on.
        saves: u64,
    },
    /// A save failed; flash keeps the previous configuration.
    SaveFailed {
        /// Why.
        reason: String,
    },
    /// The device is going down for a reboot; its ports refuse connections until `booted`.
    Rebooting {
        /// reboot, save_and_reboot, factory_reset, reset_button.
        cause: &'static str,
        /// When it will serve again, in device milliseconds from now.
        boot_time_ms: u32,
    },
    /// The device finished booting and serves again (exactly one per boot: the first power-on
    /// and every reboot or power cycle); its identity.
    Booted {
        /// Boots since the simulator started (the first power-on is 0).
        boot: u64,
        /// Device name.
        name: String,
        /// Model.
        model: &'static str,
        /// Firmware version.
        firmware: String,
        /// Serial number.
        serial_number: String,
        /// MAC address.
        mac: String,
    },
    /// The IP filter refused a connection or datagram.
    FilterRefused {
        /// The service it was for (`system.filter.rules[].service` names).
        service: &'static str,
        /// The peer.
        peer: SocketAddr,
        /// drop or reject.
        verdict: crate::admin::filter::Verdict,
        /// Index of the rule that decided it.
        rule: Option<usize>,
    },
    /// A management login (web pages) was accepted.
    WebLogin {
        /// http or https.
        service: &'static str,
        /// Where it came from.
        peer: SocketAddr,
        /// The user name.
        user: String,
    },
    /// A management login (web pages) was refused.
    WebLoginFailed {
        /// http or https.
        service: &'static str,
        /// Where it came from.
        peer: SocketAddr,
        /// The user name given (never the password).
        user: String,
        /// wrong_password (also: no such account, or one that may not manage) or locked_out.
        reason: &'static str,
    },
    /// A web session ended.
    WebLogout {
        /// Where its login came from.
        peer: SocketAddr,
        /// The user name.
        user: String,
        /// logout or idle.
        reason: &'static str,
    },
    /// A firmware image was accepted; the device reboots into it.
    FirmwareUpgrade {
        /// The version running until the reboot.
        from: String,
        /// The image's version.
        to: String,
    },
    /// An address failed to log in too often and may not try for a while.
    LoginLockout {
        /// The address.
        peer: std::net::IpAddr,
        /// For how many seconds.
        seconds: u32,
    },
    /// The clock was set.
    ClockSet {
        /// "manual" or "ntp".
        source: &'static str,
        /// How far it moved, in milliseconds.
        adjusted_ms: i64,
    },
}
