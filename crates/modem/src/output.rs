//! What the emulator tells the device model: the modes it is in and the actions to carry out.

use crate::settings::Flow;

/// Which side the serial bytes go to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Mode {
    /// AT commands are interpreted; no session is up (one may be dialing or listening).
    Command,
    /// Transparent: serial bytes go to the session, session bytes to the serial side.
    Data,
    /// A session is up but the DTE escaped with `+++`; AT commands are interpreted, session
    /// bytes are held until `ATO`.
    OnlineCommand,
}

/// The transport `ATD` asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DialProtocol {
    /// `ATD` / `ATDT` / `ATDP`: a plain TCP connection.
    Raw,
    /// `ATDR` (decided by us, spec guess): TCP with Telnet and RFC 2217 COM-port control.
    Telnet,
    /// `ATDS` (decided by us, spec guess): TCP wrapped in SSL/TLS, the unit as client.
    Ssl,
}

/// Where the emulator's network session stands.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum SessionState {
    /// Nothing open.
    Idle,
    /// A [`ModemOutput::Dial`] is out; waiting for `connected` / `connect_failed`.
    Dialing,
    /// A [`ModemOutput::Listen`] is out; waiting for `incoming_call`.
    Listening {
        /// The port being listened on.
        port: u16,
    },
    /// A [`ModemOutput::Answer`] is out; waiting for `connected` / `connect_failed`.
    Answering,
    /// A session is up (data or online-command mode).
    Connected,
}

/// One thing the device model must do, in the order [`crate::ModemEmulator::poll`] returns them.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ModemOutput {
    /// Write these bytes to the serial port (echo, result codes, session data).
    ToSerial(Vec<u8>),
    /// Send these bytes on the session.
    ToNetwork(Vec<u8>),
    /// Open a connection; report with `connected` or `connect_failed`.
    Dial {
        /// Host name or IP address as dialed (a 12-digit or zero-padded address is normalised
        /// to dotted decimal).
        host: String,
        /// Remote TCP port, 1–65534.
        port: u16,
        /// Transport to use.
        protocol: DialProtocol,
    },
    /// Listen on this TCP port for one call (replaces any earlier listener); report a peer with
    /// `incoming_call`.
    Listen {
        /// Local TCP port.
        port: u16,
    },
    /// Make the call just reported by `incoming_call` the session (closing the listener), then
    /// report `connected` (or `connect_failed` if it died, e.g. a failed TLS handshake).
    Answer,
    /// Close the connection just reported by `incoming_call` without touching anything else: the
    /// emulator was not listening.
    RefuseCall,
    /// Close the session, abort a dial or answer in progress and close the listener; discard any
    /// data buffered for either direction.
    Hangup,
    /// `ATZ`: re-initialise the serial port from the port configuration (after any `Hangup`).
    Reset,
    /// `AT&K` (or `ATZ`/`AT&F`) changed the serial flow control.
    FlowControlChanged(Flow),
    /// The unit's DTR output (the DTE's DSR) must now be at this level (`AT&S`).
    DtrOutputChanged(bool),
}
