//! Modem emulation host mode: the serial-side program drives the port with AT commands
//! (`m2285-modem` interprets them); this module carries out what the emulator asks for —
//! dialling, listening for and answering one call, moving data, hanging up — with the port's
//! session table and protocol stacks.
//!
//! Differences from TCP mode (decided here, docs/modem.md): no listening socket at boot (`ATA`
//! opens one), at most one session, and the port's inactivity timeout does not apply (`AT\T` is
//! the modem's own timer).

use super::{DataPort, SessionRole, StackConfig};
use crate::io::{Action, CloseReason, ConnId, ListenerId, Transport};
use m2285_modem::{DialProtocol, ModemEmulator, ModemOptions, ModemOutput};
use m2285_time::Instant;
use std::collections::VecDeque;
use std::net::SocketAddr;

/// First id of the connections modem emulation opens (above the TCP client's ids).
const MODEM_CONN_BASE: u64 = ConnId::DEVICE_BASE + (1 << 40);

/// A change the modem asks of the serial hardware.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineRequest {
    /// `AT&K`: flow control.
    Flow(crate::config::FlowControl),
    /// `AT&S`: the DTR output level.
    Dtr(bool),
}

/// The modem emulator and the one call it handles.
#[derive(Debug)]
pub struct ModemMode {
    emu: ModemEmulator,
    /// The call's connection: being dialled, being answered, or up.
    conn: Option<ConnId>,
    /// How the call being dialled wants its session stack.
    dial_protocol: DialProtocol,
    /// The host name dialled (TLS checks the certificate against it).
    dial_host: String,
    next_conn: u64,
    listening: bool,
    /// DSR level last seen (the DTE's DTR).
    dsr: bool,
    /// Requests for the serial hardware, taken by the device.
    pub line_requests: Vec<LineRequest>,
}

impl ModemMode {
    /// A fresh emulator (S-registers at their defaults: they are volatile).
    pub fn new(default_listen_port: u16, special_commands_ok: bool) -> Self {
        ModemMode {
            emu: ModemEmulator::new(ModemOptions {
                default_listen_port,
                special_commands_ok,
                ..ModemOptions::default()
            }),
            conn: None,
            dial_protocol: DialProtocol::Raw,
            dial_host: String::new(),
            next_conn: MODEM_CONN_BASE,
            listening: false,
            dsr: true,
            line_requests: Vec::new(),
        }
    }

    /// The emulator's next timer (escape guard time, `AT\T`).
    pub fn next_deadline(&self) -> Option<Instant> {
        self.emu.next_deadline()
    }

    /// The emulator's mode, for status pages.
    pub fn mode(&self) -> m2285_modem::Mode {
        self.emu.mode()
    }
}

impl ModemMode {
    /// Forgets the call if it is `conn`; true when it was.
    fn end_call(&mut self, conn: ConnId) -> bool {
        let ours = self.conn == Some(conn);
        if ours {
            self.conn = None;
        }
        ours
    }
}

impl DataPort {
    /// Tells the emulator something (`f`), then carries out whatever it asks for in return.
    fn tell_modem(
        &mut self,
        now: Instant,
        out: &mut VecDeque<Action>,
        f: impl FnOnce(&mut ModemMode),
    ) {
        if let Some(m) = &mut self.modem {
            f(m);
        }
        self.modem_drain(now, out);
    }

    /// Serial bytes in modem emulation mode.
    pub(super) fn modem_serial(&mut self, bytes: &[u8], now: Instant, out: &mut VecDeque<Action>) {
        self.tell_modem(now, out, |m| m.emu.serial_input(bytes, now));
    }

    /// Runs the emulator's timers.
    pub(super) fn modem_timeout(&mut self, now: Instant, out: &mut VecDeque<Action>) {
        self.tell_modem(now, out, |m| {
            if m.emu.next_deadline().is_some_and(|d| d <= now) {
                m.emu.handle_timeout(now);
            }
        });
    }

    /// The DTE's DTR (the device's DSR input) changed.
    pub(super) fn modem_dsr(&mut self, high: bool, now: Instant, out: &mut VecDeque<Action>) {
        self.tell_modem(now, out, |m| {
            if m.dsr != high {
                m.dsr = high;
                m.emu.dtr_changed(high, now);
            }
        });
    }

    /// A peer connected while in modem mode: a call for `ATA`, or refused.
    pub(super) fn modem_incoming(
        &mut self,
        conn: ConnId,
        peer: SocketAddr,
        now: Instant,
        out: &mut VecDeque<Action>,
    ) {
        let Some(m) = &mut self.modem else { return };
        if m.conn.is_some() || !m.listening {
            self.stats.connections_rejected += 1;
            out.push_back(Action::Close { conn });
            return;
        }
        m.conn = Some(conn);
        m.dial_protocol = DialProtocol::Raw;
        m.emu.incoming_call(now);
        self.pending_peer = Some(peer);
        self.modem_drain(now, out);
    }

    /// The call the modem dialled is up.
    pub(super) fn modem_connected(
        &mut self,
        conn: ConnId,
        peer: SocketAddr,
        now: Instant,
        out: &mut VecDeque<Action>,
    ) {
        let Some(m) = &self.modem else { return };
        if m.conn != Some(conn) {
            out.push_back(Action::Close { conn });
            return;
        }
        let protocol = m.dial_protocol;
        let host = m.dial_host.clone();
        if self.modem_open_session(conn, peer, SessionRole::Client, protocol, &host, now, out) {
            if let Some(m) = &mut self.modem {
                m.emu.connected(now);
            }
        }
        self.modem_drain(now, out);
    }

    /// The call could not be made.
    pub(super) fn modem_connect_failed(
        &mut self,
        conn: ConnId,
        now: Instant,
        out: &mut VecDeque<Action>,
    ) {
        let mut failed = false;
        self.tell_modem(now, out, |m| {
            if m.end_call(conn) {
                failed = true;
                m.emu.connect_failed(now);
            }
        });
        if failed {
            self.stats.connect_failures += 1;
        }
    }

    /// Session data in modem mode (already through the session's stack).
    pub(super) fn modem_network_data(
        &mut self,
        data: &[u8],
        now: Instant,
        out: &mut VecDeque<Action>,
    ) {
        self.tell_modem(now, out, |m| m.emu.network_input(data, now));
    }

    /// The modem's session ended from the network side.
    pub(super) fn modem_session_ended(
        &mut self,
        conn: ConnId,
        now: Instant,
        out: &mut VecDeque<Action>,
    ) {
        self.tell_modem(now, out, |m| {
            if m.end_call(conn) {
                m.emu.remote_closed(now);
            }
        });
    }

    /// Builds the session for a call; false if its stack could not start (the emulator is told
    /// the call failed).
    #[allow(clippy::too_many_arguments)]
    fn modem_open_session(
        &mut self,
        conn: ConnId,
        peer: SocketAddr,
        role: SessionRole,
        protocol: DialProtocol,
        host: &str,
        now: Instant,
        out: &mut VecDeque<Action>,
    ) -> bool {
        // A call carries plain data unless the dial asked for Telnet (ATDR) or SSL (ATDS).
        let plain = StackConfig {
            tls: None,
            telnet: None,
            login: None,
            ..self.stack_cfg.clone()
        };
        let cfg = match (role, protocol) {
            (SessionRole::Client, DialProtocol::Telnet) => StackConfig {
                telnet: Some(m2285_telnet::TelnetConfig::default()),
                ..plain
            },
            (SessionRole::Client, DialProtocol::Ssl) => StackConfig {
                telnet: None,
                login: None,
                tls_server_name: Some(self.client_tls_name(host)),
                ..self.client_stack_cfg.clone()
            },
            _ => plain,
        };
        if role == SessionRole::Client && protocol == DialProtocol::Ssl && cfg.tls.is_none() {
            tracing::warn!("ATDS needs port1.crypto.method = \"ssl\" (a TLS client configuration)");
            out.push_back(Action::Close { conn });
            self.modem_call_failed(now);
            return false;
        }
        self.stats.connections_accepted += 1;
        if self.open_session_with(conn, peer, role, &cfg, now, out) {
            true
        } else {
            self.modem_call_failed(now);
            false
        }
    }

    fn modem_call_failed(&mut self, now: Instant) {
        if let Some(m) = &mut self.modem {
            m.conn = None;
            m.emu.connect_failed(now);
        }
    }

    /// Carries out everything the emulator asked for.
    fn modem_drain(&mut self, now: Instant, out: &mut VecDeque<Action>) {
        loop {
            let Some(output) = self.modem.as_mut().and_then(|m| m.emu.poll()) else {
                return;
            };
            match output {
                ModemOutput::ToSerial(bytes) => self.serial_out.extend_from_slice(&bytes),
                ModemOutput::ToNetwork(bytes) => {
                    if let Some(conn) = self.modem.as_ref().and_then(|m| m.conn) {
                        self.with_stack(conn, out, |stack, o| stack.from_serial(&bytes, o));
                    }
                }
                ModemOutput::Dial {
                    host,
                    port,
                    protocol,
                } => {
                    let Some(m) = &mut self.modem else { return };
                    let conn = ConnId(m.next_conn);
                    m.next_conn += 1;
                    m.conn = Some(conn);
                    m.dial_protocol = protocol;
                    m.dial_host = host.clone();
                    out.push_back(Action::Connect { conn, host, port });
                }
                ModemOutput::Listen { port } => {
                    let Some(m) = &mut self.modem else { return };
                    if m.listening {
                        out.push_back(Action::Unlisten {
                            listener: ListenerId::Data,
                        });
                    }
                    m.listening = true;
                    out.push_back(Action::Listen {
                        listener: ListenerId::Data,
                        transport: Transport::Tcp,
                        port,
                    });
                }
                ModemOutput::Answer => {
                    let conn = self.modem.as_ref().and_then(|m| m.conn);
                    let peer = self.pending_peer.take();
                    if let Some(m) = &mut self.modem {
                        if m.listening {
                            m.listening = false;
                            out.push_back(Action::Unlisten {
                                listener: ListenerId::Data,
                            });
                        }
                    }
                    if let (Some(conn), Some(peer)) = (conn, peer) {
                        if self.modem_open_session(
                            conn,
                            peer,
                            SessionRole::Server,
                            DialProtocol::Raw,
                            "",
                            now,
                            out,
                        ) {
                            if let Some(m) = &mut self.modem {
                                m.emu.connected(now);
                            }
                        }
                    }
                }
                ModemOutput::RefuseCall => {
                    if let Some(conn) = self.modem.as_mut().and_then(|m| m.conn.take()) {
                        self.stats.connections_rejected += 1;
                        out.push_back(Action::Close { conn });
                    }
                }
                ModemOutput::Hangup => {
                    let Some(m) = &mut self.modem else { return };
                    if m.listening {
                        m.listening = false;
                        out.push_back(Action::Unlisten {
                            listener: ListenerId::Data,
                        });
                    }
                    if let Some(conn) = m.conn.take() {
                        self.end(conn, CloseReason::HungUp, out);
                    }
                }
                ModemOutput::Reset => {}
                ModemOutput::FlowControlChanged(flow) => {
                    use crate::config::FlowControl;
                    let flow = match flow {
                        m2285_modem::Flow::None => FlowControl::None,
                        m2285_modem::Flow::RtsCts => FlowControl::RtsCts,
                        m2285_modem::Flow::XonXoff => FlowControl::XonXoff,
                    };
                    if let Some(m) = &mut self.modem {
                        m.line_requests.push(LineRequest::Flow(flow));
                    }
                }
                ModemOutput::DtrOutputChanged(high) => {
                    if let Some(m) = &mut self.modem {
                        m.line_requests.push(LineRequest::Dtr(high));
                    }
                }
            }
        }
    }
}
