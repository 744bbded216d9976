//! The session stack: the protocol layers between a TCP session and the serial port.
//!
//! Like gensio's stacked filters, each layer is optional and does one job; data from the network
//! passes down through them, serial data up:
//!
//! ```text
//! network ⇄ [TLS (port1.crypto)] ⇄ [Telnet + RFC 2217 (port1.host.telnet)] ⇄ serial port
//! ```
//!
//! The layers are sans-IO engines from their own crates (`m2285-tls`, `m2285-telnet`); this
//! module only wires them together and reports what the port engine must act on.

use crate::io::{CloseReason, Failure};
use m2285_telnet::{ComPortReply, ComPortRequest, TelnetConfig, TelnetEvent, TelnetSession};
use m2285_tls::{TlsEngineConfig, TlsEvent, TlsSession};

pub mod login;
use login::{Login, LoginConfig};

/// What one step of the stack produced.
#[derive(Debug, Default)]
pub struct StackOutput {
    /// Bytes to write to the socket.
    pub to_net: Vec<u8>,
    /// Bytes for the serial port.
    pub to_serial: Vec<u8>,
    /// RFC 2217 requests the device must carry out and answer ([`SessionStack::reply`]).
    pub com_port: Vec<ComPortRequest>,
    /// Things to report (handshakes, breaks).
    pub notes: Vec<StackNote>,
    /// Set when the session must end, with the reason.
    pub close: Option<CloseReason>,
}

/// Something a layer reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StackNote {
    /// The TLS handshake finished.
    TlsEstablished {
        /// Negotiated version.
        version: String,
        /// Negotiated suite.
        ciphersuite: String,
        /// The peer certificate's subject, when it sent one.
        peer: Option<String>,
    },
    /// The peer asked for a break on the serial line (Telnet BRK).
    Break,
    /// A login try finished (user authentication; the password is never reported).
    Login {
        /// The user name given.
        user: String,
        /// Whether it was accepted.
        ok: bool,
    },
}

/// The protocol layers of one session.
#[derive(Default)]
pub struct SessionStack {
    tls: Option<TlsSession>,
    telnet: Option<TelnetSession>,
    login: Option<Login>,
}

impl std::fmt::Debug for SessionStack {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionStack")
            .field("tls", &self.tls.is_some())
            .field("telnet", &self.telnet.is_some())
            .field("login", &self.login)
            .finish()
    }
}

/// How to build a session's stack.
#[derive(Clone, Default)]
pub struct StackConfig {
    /// TLS engine (server or client role), when the port encrypts.
    pub tls: Option<TlsEngineConfig>,
    /// Host name to verify in client role.
    pub tls_server_name: Option<String>,
    /// Telnet/RFC 2217 settings, when the port speaks Telnet.
    pub telnet: Option<TelnetConfig>,
    /// The user list, when sessions must log in first (port1.host.user_auth).
    pub login: Option<LoginConfig>,
}

impl std::fmt::Debug for StackConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StackConfig")
            .field("tls", &self.tls.is_some())
            .field("telnet", &self.telnet)
            .field("login", &self.login)
            .finish_non_exhaustive()
    }
}

impl SessionStack {
    /// Builds the layers for a new session and returns what must be sent first (Telnet
    /// negotiation, a TLS ClientHello). `seed` drives the TLS randomness; `modem_state` is the
    /// current line state for RFC 2217; `unix_time` is the device's date now (seconds since the
    /// Unix epoch), what TLS sees until [`SessionStack::set_unix_time`] moves it on.
    pub fn start(
        cfg: &StackConfig,
        seed: [u8; 32],
        modem_state: u8,
        unix_time: i64,
    ) -> Result<(Self, StackOutput), String> {
        let tls = match &cfg.tls {
            Some(engine) => Some(
                TlsSession::with_unix_time(
                    engine,
                    cfg.tls_server_name.as_deref(),
                    seed,
                    Some(unix_time),
                )
                .map_err(|e| format!("TLS: {e}"))?,
            ),
            None => None,
        };
        let telnet = cfg.telnet.clone().map(|c| {
            let mut t = TelnetSession::new(c);
            t.notify_modem_state(modem_state);
            t
        });
        let (login, prompt) = cfg.login.as_ref().map(Login::new).unzip();
        let mut stack = SessionStack { tls, telnet, login };
        let mut out = StackOutput::default();
        stack.flush(&mut out);
        if let Some(prompt) = prompt {
            stack.send_data(&prompt, &mut out);
        }
        Ok((stack, out))
    }

    /// The device's date now (seconds since the Unix epoch): what TLS sees in the calls that
    /// follow (certificate validity, hello randoms). The port sets it before every step.
    pub fn set_unix_time(&mut self, unix_time: i64) {
        if let Some(tls) = &mut self.tls {
            tls.set_unix_time(Some(unix_time));
        }
    }

    /// True when data may flow: no TLS, or its handshake is done; no login, or it succeeded.
    pub fn ready(&self) -> bool {
        self.tls.as_ref().is_none_or(TlsSession::is_established) && self.logged_in()
    }

    /// True while the TLS handshake has not finished (false without TLS).
    pub fn handshaking(&self) -> bool {
        self.tls.as_ref().is_some_and(|t| !t.is_established())
    }

    /// True unless the session still has to log in.
    pub fn logged_in(&self) -> bool {
        self.login.as_ref().is_none_or(Login::done)
    }

    /// Bytes from the network.
    pub fn from_network(&mut self, bytes: &[u8], out: &mut StackOutput) {
        let start = out.to_serial.len();
        self.decode(bytes, out);
        if let Some(login) = self.login.as_mut().filter(|l| !l.done()) {
            let typed = out.to_serial.split_off(start);
            let step = login.input(&typed);
            out.to_serial.extend_from_slice(&step.data);
            for (user, ok) in step.result {
                out.notes.push(StackNote::Login { user, ok });
            }
            if step.close {
                out.close = Some(CloseReason::LoginFailed);
            }
            self.send_data(&step.reply, out);
        }
    }

    /// Takes the network bytes through TLS and Telnet.
    fn decode(&mut self, bytes: &[u8], out: &mut StackOutput) {
        match &mut self.tls {
            Some(tls) => {
                tls.receive_ciphertext(bytes);
                while let Some(ev) = tls.poll_event() {
                    match ev {
                        TlsEvent::HandshakeComplete {
                            version,
                            ciphersuite,
                            peer_cert_subject,
                        } => out.notes.push(StackNote::TlsEstablished {
                            version,
                            ciphersuite,
                            peer: peer_cert_subject,
                        }),
                        TlsEvent::Plaintext(p) => Self::telnet_in(&mut self.telnet, &p, out),
                        TlsEvent::PeerClosed => {
                            tls.close();
                            out.close
                                .get_or_insert(CloseReason::Failed(Failure::PeerClosedTls));
                        }
                        TlsEvent::Failed { reason } => {
                            out.close = Some(CloseReason::Failed(Failure::Tls(reason)));
                        }
                    }
                }
            }
            None => Self::telnet_in(&mut self.telnet, bytes, out),
        }
        self.flush(out);
    }

    /// Serial data for the peer; none reaches a peer that has not logged in.
    pub fn from_serial(&mut self, data: &[u8], out: &mut StackOutput) {
        if self.logged_in() {
            self.send_data(data, out);
        }
    }

    /// Data for the peer through Telnet and TLS.
    fn send_data(&mut self, data: &[u8], out: &mut StackOutput) {
        if data.is_empty() {
            return;
        }
        match &mut self.telnet {
            Some(t) => t.send_data(data),
            None => match &mut self.tls {
                Some(tls) => tls.send_plaintext(data),
                None => out.to_net.extend_from_slice(data),
            },
        }
        self.flush(out);
    }

    /// The device's answer to an RFC 2217 request.
    pub fn reply(&mut self, reply: ComPortReply, out: &mut StackOutput) {
        if let Some(t) = &mut self.telnet {
            t.reply(reply);
        }
        self.flush(out);
    }

    /// New modem-line state for RFC 2217 clients (sent only if their mask asks for it).
    pub fn notify_modem_state(&mut self, state: u8, out: &mut StackOutput) {
        if let Some(t) = &mut self.telnet {
            t.notify_modem_state(state);
        }
        self.flush(out);
    }

    /// Starts a clean TLS shutdown (close_notify); other layers need none.
    pub fn close(&mut self, out: &mut StackOutput) {
        if let Some(tls) = &mut self.tls {
            tls.close();
        }
        self.flush(out);
    }

    fn telnet_in(telnet: &mut Option<TelnetSession>, bytes: &[u8], out: &mut StackOutput) {
        let Some(t) = telnet else {
            out.to_serial.extend_from_slice(bytes);
            return;
        };
        t.receive(bytes);
        while let Some(ev) = t.poll_event() {
            match ev {
                TelnetEvent::Data(d) => out.to_serial.extend_from_slice(&d),
                TelnetEvent::ComPort(req) => out.com_port.push(req),
                TelnetEvent::Break => out.notes.push(StackNote::Break),
            }
        }
    }

    /// Moves what the layers want to send down to the socket.
    fn flush(&mut self, out: &mut StackOutput) {
        if let Some(t) = &mut self.telnet {
            if t.has_output() {
                let bytes = t.take_output();
                match &mut self.tls {
                    Some(tls) => tls.send_plaintext(&bytes),
                    None => out.to_net.extend_from_slice(&bytes),
                }
            }
        }
        if let Some(tls) = &mut self.tls {
            out.to_net.extend_from_slice(&tls.take_ciphertext());
        }
    }
}
