//! One Telnet connection seen from the access server: ties the codec, option negotiation,
//! RFC 2217 decoding and state notifications together behind a small poll-style face.

use std::collections::VecDeque;

use crate::codec::{self, Decoder, Token, Verb, AYT, AYT_ANSWER, BRK, IAC};
use crate::comport::{self, cmd, ComPortReply, ComPortRequest, Incoming};
use crate::notify::StateReporter;
use crate::options::{Options, BINARY, COM_PORT_OPTION, SGA};

const CR: u8 = b'\r';
const LF: u8 = b'\n';
const NUL: u8 = 0;

/// The signature [`TelnetConfig::default`] answers RFC 2217 SIGNATURE queries with.
pub const DEFAULT_SIGNATURE: &str = "Patton EtherBits 2285 (m2285-sim)";

/// How a session behaves; fixed for the life of the connection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TelnetConfig {
    /// Offer and accept RFC 2217 COM-PORT-OPTION; when false the option is refused like any
    /// other unsupported one and COM-PORT subnegotiations are ignored.
    pub rfc2217: bool,
    /// Text sent in answer to a client's SIGNATURE query.
    pub signature: String,
}

impl Default for TelnetConfig {
    /// RFC 2217 on, [`DEFAULT_SIGNATURE`].
    fn default() -> Self {
        TelnetConfig {
            rfc2217: true,
            signature: DEFAULT_SIGNATURE.to_owned(),
        }
    }
}

/// Something the device has to act on, in the order the client sent it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TelnetEvent {
    /// User data for the serial port (IAC un-doubled, NVT CR NUL folded when not BINARY).
    /// Chunking follows the network input and is not meaningful.
    Data(Vec<u8>),
    /// An RFC 2217 request; answer it with [`TelnetSession::reply`] (except the two
    /// flow-control requests, which take no answer).
    ComPort(ComPortRequest),
    /// Telnet IAC BRK: the client asks for a break on the serial line.
    Break,
}

/// Sans-IO Telnet + RFC 2217 access-server state machine for one TCP connection.
///
/// Feed network bytes to [`receive`](Self::receive), drain [`poll_event`](Self::poll_event),
/// give serial data to [`send_data`](Self::send_data) and write
/// [`take_output`](Self::take_output) to the socket. Nothing here blocks, reads a clock or does
/// I/O; buffers grow only as fast as the caller feeds them and are emptied by the poll calls.
#[derive(Debug)]
pub struct TelnetSession {
    cfg: TelnetConfig,
    decoder: Decoder,
    options: Options,
    reporter: StateReporter,
    events: VecDeque<TelnetEvent>,
    pending: Vec<u8>,
    out: Vec<u8>,
    /// The last user data byte was a CR received in NVT (non-BINARY) mode.
    cr_received: bool,
    /// The client used the Cisco one-byte SET-BAUDRATE form: answer in kind.
    cisco_baud: bool,
    com_port_was_enabled: bool,
    ignored_subnegotiations: u64,
}

impl TelnetSession {
    /// New session for a freshly accepted (or dialled) TCP connection; queues the server's
    /// opening negotiation: WILL BINARY, DO BINARY, WILL SUPPRESS-GO-AHEAD and, when
    /// `cfg.rfc2217`, WILL COM-PORT-OPTION.
    pub fn new(cfg: TelnetConfig) -> Self {
        let mut session = TelnetSession {
            options: Options::new(cfg.rfc2217),
            cfg,
            decoder: Decoder::new(),
            reporter: StateReporter::default(),
            events: VecDeque::new(),
            pending: Vec::new(),
            out: Vec::new(),
            cr_received: false,
            cisco_baud: false,
            com_port_was_enabled: false,
            ignored_subnegotiations: 0,
        };
        let opening = [
            session.options.offer(BINARY).map(|v| (v, BINARY)),
            session.options.ask(BINARY).map(|v| (v, BINARY)),
            session.options.offer(SGA).map(|v| (v, SGA)),
            session
                .options
                .offer(COM_PORT_OPTION)
                .map(|v| (v, COM_PORT_OPTION)),
        ];
        for (verb, option) in opening.into_iter().flatten() {
            codec::write_negotiation(&mut session.out, verb, option);
        }
        session
    }

    /// The configuration this session was created with.
    pub fn config(&self) -> &TelnetConfig {
        &self.cfg
    }

    /// Network bytes in (any chunking; an IAC sequence may be split across calls). Answers to
    /// negotiations are queued for [`take_output`](Self::take_output), everything for the
    /// device for [`poll_event`](Self::poll_event).
    pub fn receive(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            match self.decoder.feed(byte) {
                None => {}
                Some(Token::Data(b)) => self.data_in(b),
                Some(Token::Command(c)) => self.command(c),
                Some(Token::Negotiate(verb, option)) => self.negotiate(verb, option),
                Some(Token::Subnegotiation(payload)) => self.subnegotiation(&payload),
            }
        }
        self.flush_data();
    }

    /// Next thing for the device: user data for the serial port, a COM-port request or a break.
    pub fn poll_event(&mut self) -> Option<TelnetEvent> {
        self.events.pop_front()
    }

    /// Serial-side data to send to the peer: IAC doubled and, unless we transmit in BINARY
    /// mode, a CR not followed by LF in the same call sent as CR NUL (RFC 854).
    pub fn send_data(&mut self, data: &[u8]) {
        if self.options.local(BINARY) {
            codec::escape_into(&mut self.out, data);
            return;
        }
        self.out.reserve(data.len());
        for (i, &byte) in data.iter().enumerate() {
            match byte {
                IAC => self.out.extend_from_slice(&[IAC, IAC]),
                CR if data.get(i + 1) != Some(&LF) => self.out.extend_from_slice(&[CR, NUL]),
                _ => self.out.push(byte),
            }
        }
    }

    /// Bytes to write to the socket now (negotiation answers, escaped data, COM-port replies
    /// and notifications), in order; empties the output buffer.
    pub fn take_output(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.out)
    }

    /// Like [`take_output`](Self::take_output) but appends to a caller-owned buffer.
    pub fn drain_output_into(&mut self, buf: &mut Vec<u8>) {
        buf.append(&mut self.out);
    }

    /// Whether [`take_output`](Self::take_output) would return anything.
    pub fn has_output(&self) -> bool {
        !self.out.is_empty()
    }

    /// The device's answer to a request: always carries the value actually in effect. Ignored
    /// when RFC 2217 is not agreed. A mask reply also sets the mask the session applies.
    pub fn reply(&mut self, reply: ComPortReply) {
        if !self.com_port_enabled() {
            return;
        }
        match reply {
            ComPortReply::LineStateMask(mask) => self.reporter.set_line_mask(mask),
            ComPortReply::ModemStateMask(mask) => self.reporter.set_modem_mask(mask),
            _ => {}
        }
        let payload = comport::encode_reply(reply, self.cisco_baud);
        codec::write_subnegotiation(&mut self.out, COM_PORT_OPTION, &payload);
    }

    /// Pushes the modem lines (CD, RI, DSR, CTS levels, see [`crate::modem_state`]). Sent as
    /// NOTIFY-MODEMSTATE only when RFC 2217 is agreed, honouring the client's mask, and only
    /// when a masked level changed or a masked change bit is set; the change bits are computed
    /// here from the previous call. Call it once right after [`new`](Self::new) with the
    /// current levels so the client gets them as soon as RFC 2217 is agreed.
    pub fn notify_modem_state(&mut self, state: u8) {
        let enabled = self.com_port_enabled();
        if let Some(value) = self.reporter.modem_update(state, enabled) {
            self.write_notify(cmd::NOTIFY_MODEMSTATE, value);
        }
    }

    /// Pushes the line state (see [`crate::line_state`]). Sent as NOTIFY-LINESTATE only when
    /// RFC 2217 is agreed and the client's mask selects it (default mask: nothing): level bits
    /// when they change, error/break/time-out bits on every call that carries them.
    pub fn notify_line_state(&mut self, state: u8) {
        let enabled = self.com_port_enabled();
        if let Some(value) = self.reporter.line_update(state, enabled) {
            self.write_notify(cmd::NOTIFY_LINESTATE, value);
        }
    }

    /// Asks the client to stop (`true`) or resume (`false`) sending data, with RFC 2217
    /// FLOWCONTROL-SUSPEND/RESUME; ignored when RFC 2217 is not agreed.
    pub fn send_flow_control(&mut self, suspend: bool) {
        if self.com_port_enabled() {
            let payload = comport::encode_flow(suspend);
            codec::write_subnegotiation(&mut self.out, COM_PORT_OPTION, &payload);
        }
    }

    /// Whether RFC 2217 is in effect: enabled in the configuration and agreed by the client in
    /// either direction (it sent WILL, or answered our WILL with DO), as pyserial and gensio
    /// expect.
    pub fn com_port_enabled(&self) -> bool {
        self.options.remote(COM_PORT_OPTION) || self.options.local(COM_PORT_OPTION)
    }

    /// Whether the client sends to us in BINARY mode (no CR NUL folding on input).
    pub fn binary_receive(&self) -> bool {
        self.options.remote(BINARY)
    }

    /// Whether we send to the client in BINARY mode (no CR NUL insertion on output).
    pub fn binary_transmit(&self) -> bool {
        self.options.local(BINARY)
    }

    /// The SET-MODEMSTATE-MASK in effect (RFC 2217 default 255).
    pub fn modem_state_mask(&self) -> u8 {
        self.reporter.modem_mask()
    }

    /// The SET-LINESTATE-MASK in effect (RFC 2217 default 0).
    pub fn line_state_mask(&self) -> u8 {
        self.reporter.line_mask()
    }

    /// Subnegotiations dropped so far: malformed, over-long, cut short, for an option we do
    /// not support, or COM-PORT ones while RFC 2217 is not agreed. For traces and tests.
    pub fn dropped_subnegotiations(&self) -> u64 {
        self.decoder.dropped_subnegotiations() + self.ignored_subnegotiations
    }

    fn data_in(&mut self, byte: u8) {
        if self.options.remote(BINARY) {
            self.cr_received = false;
        } else {
            // NVT: CR NUL means a bare CR; CR LF is passed through as sent.
            let after_cr = std::mem::replace(&mut self.cr_received, byte == CR);
            if after_cr && byte == NUL {
                return;
            }
        }
        self.pending.push(byte);
    }

    fn flush_data(&mut self) {
        if !self.pending.is_empty() {
            let data = std::mem::take(&mut self.pending);
            self.events.push_back(TelnetEvent::Data(data));
        }
    }

    fn push_event(&mut self, event: TelnetEvent) {
        self.flush_data();
        self.events.push_back(event);
    }

    fn command(&mut self, command: u8) {
        match command {
            BRK => self.push_event(TelnetEvent::Break),
            AYT => self.out.extend_from_slice(AYT_ANSWER),
            // NOP, DM, IP, AO, EC, EL, GA and unassigned codes: nothing to do.
            _ => {}
        }
    }

    fn negotiate(&mut self, verb: Verb, option: u8) {
        if let Some(answer) = self.options.receive(verb, option) {
            codec::write_negotiation(&mut self.out, answer, option);
        }
        let enabled = self.com_port_enabled();
        if enabled && !self.com_port_was_enabled {
            // Like pyserial's PortManager and gensio: tell the client the modem lines at once.
            if let Some(state) = self.reporter.modem_snapshot(false) {
                self.write_notify(cmd::NOTIFY_MODEMSTATE, state);
            }
        }
        self.com_port_was_enabled = enabled;
    }

    fn subnegotiation(&mut self, payload: &[u8]) {
        let decoded = match payload.split_first() {
            Some((&COM_PORT_OPTION, body)) if self.com_port_enabled() => comport::decode(body),
            _ => None,
        };
        let Some(incoming) = decoded else {
            self.ignored_subnegotiations += 1;
            return;
        };
        match incoming {
            Incoming::Request { request, cisco } => {
                match request {
                    ComPortRequest::SetBaudRate(_) => self.cisco_baud = cisco,
                    ComPortRequest::SetLineStateMask(mask) => self.reporter.set_line_mask(mask),
                    ComPortRequest::SetModemStateMask(mask) => self.reporter.set_modem_mask(mask),
                    _ => {}
                }
                self.push_event(TelnetEvent::ComPort(request));
            }
            Incoming::SignatureQuery => {
                let payload = comport::encode_signature(self.cfg.signature.as_bytes());
                codec::write_subnegotiation(&mut self.out, COM_PORT_OPTION, &payload);
            }
            // The client's own signature: accepted silently.
            Incoming::Signature(_) => {}
            Incoming::PollLineState => {
                let state = self.reporter.line_snapshot();
                self.write_notify(cmd::NOTIFY_LINESTATE, state);
            }
            Incoming::PollModemState => {
                let state = self.reporter.modem_snapshot(true).unwrap_or(0);
                self.write_notify(cmd::NOTIFY_MODEMSTATE, state);
            }
        }
    }

    fn write_notify(&mut self, command: u8, state: u8) {
        let payload = comport::encode_notify(command, state);
        codec::write_subnegotiation(&mut self.out, COM_PORT_OPTION, &payload);
    }
}
