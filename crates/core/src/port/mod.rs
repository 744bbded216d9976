//! The port engine: what serial port 1 does with its data in the configured host mode.
//!
//! This module holds the TCP server side (listening port, session limit, fan-out of serial data
//! to every session, inactivity timer, keep-alive settings). Later host modes (TCP client, UDP,
//! modem emulation) live in sibling modules and share the packetizer and session table.

mod auth;
mod handshake;
pub mod modem_mode;
mod outbound;
pub mod packetizer;
mod sessions;
pub mod signals;
pub mod stack;
pub mod tcp_client;
pub mod udp;
mod udp_mode;

pub use packetizer::Packetizer;
pub use sessions::{Session, SessionInfo, SessionRole};
pub use stack::{SessionStack, StackConfig, StackNote, StackOutput};

use crate::config::{self, HostMode};
use crate::io::{
    Action, CloseReason, ConnId, DeviceEvent, Failure, KeepaliveParams, ListenerId, NetEvent,
    Transport,
};
use crate::stats::PortStats;
use m2285_time::Instant;
use sessions::Sessions;
use std::collections::VecDeque;
use std::time::Duration;

/// What a network event asks of the rest of the device.
#[derive(Debug, Default)]
pub struct PortEffects {
    /// Bytes for the serial port.
    pub to_serial: Vec<u8>,
    /// RFC 2217 requests, per session, for the device to carry out and answer.
    pub com_port: Vec<(ConnId, m2285_telnet::ComPortRequest)>,
    /// A peer asked for a break on the serial line.
    pub send_break: bool,
}

/// Serial port 1's engine.
#[derive(Debug)]
pub struct DataPort {
    number: u8,
    cfg: config::Port,
    keepalive: KeepaliveParams,
    packetizer: Packetizer,
    sessions: Sessions,
    stack_cfg: StackConfig,
    /// Seed material for per-session randomness (TLS), advanced per session.
    seed: u64,
    /// Current modem-line state for RFC 2217 (CTS/DSR/RI/DCD bits).
    modem_state: u8,
    /// Last serial traffic in either direction, for the inactivity timer.
    last_activity: Instant,
    /// TCP client side (remote hosts, cyclic connection).
    client: tcp_client::TcpClient,
    /// UDP mode's peers, in UDP mode.
    udp: Option<udp::UdpPeers>,
    /// False while DSR gating (port1.serial.dsr) holds sessions off.
    dsr_ok: bool,
    /// Modem emulation, in modem mode.
    modem: Option<modem_mode::ModemMode>,
    /// Bytes the port itself sends to the serial side (modem result codes and echo), taken by
    /// the device with [`DataPort::take_serial_output`].
    serial_out: Vec<u8>,
    /// The peer of a call being answered in modem mode.
    pending_peer: Option<std::net::SocketAddr>,
    /// Stack settings for sessions the device opens (TLS client role).
    client_stack_cfg: StackConfig,
    /// The device's date at the `now` of the current call, in seconds since the Unix epoch
    /// ([`DataPort::set_unix_time`]): what every session's TLS sees.
    unix_time: i64,
    /// Counters.
    pub stats: PortStats,
}

impl DataPort {
    /// The engine for port `number` with its configuration and the device's keep-alive settings.
    pub fn new(number: u8, cfg: config::Port, keepalive: config::Keepalive) -> Self {
        let ict = Duration::from_millis(u64::from(cfg.serial.inter_char_timeout_ms));
        DataPort {
            number,
            keepalive: KeepaliveParams {
                time_s: keepalive.time_s,
                interval_s: keepalive.interval_s,
                probes: keepalive.probes,
            },
            packetizer: Packetizer::new(ict),
            sessions: Sessions::default(),
            stack_cfg: StackConfig::default(),
            seed: 0,
            modem_state: 0,
            last_activity: Instant::ZERO,
            client: outbound::client_for(&cfg, Duration::from_secs(60), Instant::ZERO),
            udp: (cfg.host.mode == HostMode::Udp).then(|| udp::UdpPeers::new(&cfg)),
            dsr_ok: true,
            modem: (cfg.host.mode == HostMode::Modem)
                .then(|| modem_mode::ModemMode::new(cfg.host.listen_port, false)),
            serial_out: Vec::new(),
            pending_peer: None,
            client_stack_cfg: StackConfig::default(),
            unix_time: 0,
            stats: PortStats::default(),
            cfg,
        }
    }

    /// The port's configuration.
    pub fn config(&self) -> &config::Port {
        &self.cfg
    }

    /// Sets how new sessions build their protocol stack (TLS, Telnet) and the seed their
    /// randomness derives from.
    pub fn set_stack_config(&mut self, cfg: StackConfig, client: StackConfig, seed: u64) {
        self.stack_cfg = cfg;
        self.client_stack_cfg = client;
        self.seed = seed;
    }

    /// The device's date at the `now` of the call in progress (seconds since the Unix epoch),
    /// from the admin clock; the device sets it on every call, so TLS never sees the host clock
    /// nor a time frozen at power-on.
    pub fn set_unix_time(&mut self, unix_time: i64) {
        self.unix_time = unix_time;
    }

    /// Bytes the port produced for the serial side (modem emulation's echo and result codes).
    pub fn take_serial_output(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.serial_out)
    }

    /// Changes modem emulation asked of the serial hardware (`AT&K`, `AT&S`).
    pub fn take_line_requests(&mut self) -> Vec<modem_mode::LineRequest> {
        self.modem
            .as_mut()
            .map(|m| std::mem::take(&mut m.line_requests))
            .unwrap_or_default()
    }

    /// The host name a TLS client session checks the server certificate against.
    fn client_tls_name(&self, dialled: &str) -> String {
        match self.cfg.crypto.server_name.as_str() {
            "" => dialled.to_owned(),
            name => name.to_owned(),
        }
    }

    /// New modem-line levels: pushed to RFC 2217 clients that asked for them.
    pub fn set_modem_state(&mut self, bits: u8, out: &mut VecDeque<Action>, now: Instant) {
        let dsr = m2285_telnet::modem_state::DSR;
        if self.modem_state & dsr != bits & dsr {
            self.modem_dsr(bits & dsr != 0, now, out);
        }
        self.modem_state = bits;
        let conns: Vec<ConnId> = self.sessions.iter().map(|s| s.conn).collect();
        for conn in conns {
            self.with_stack(conn, out, |stack, o| stack.notify_modem_state(bits, o));
        }
    }

    /// Answers an RFC 2217 request of session `conn` with the value in effect.
    pub fn com_port_reply(
        &mut self,
        conn: ConnId,
        reply: m2285_telnet::ComPortReply,
        out: &mut VecDeque<Action>,
    ) {
        self.with_stack(conn, out, |stack, o| stack.reply(reply, o));
    }

    /// Runs `f` on the stack of `conn` and carries out what it produced (bytes to send, an end
    /// of session).
    fn with_stack(
        &mut self,
        conn: ConnId,
        out: &mut VecDeque<Action>,
        f: impl FnOnce(&mut SessionStack, &mut StackOutput),
    ) -> StackOutput {
        let mut o = StackOutput::default();
        if let Some(s) = self.sessions.get_mut(conn) {
            s.stack.set_unix_time(self.unix_time);
            f(&mut s.stack, &mut o);
        }
        if !o.to_net.is_empty() {
            self.stats.net_tx_bytes += o.to_net.len() as u64;
            out.push_back(Action::Send {
                conn,
                data: std::mem::take(&mut o.to_net),
            });
        }
        for note in &o.notes {
            if let StackNote::TlsEstablished {
                version,
                ciphersuite,
                peer,
            } = note
            {
                out.push_back(Action::Notify(DeviceEvent::TlsEstablished {
                    port: self.number,
                    conn,
                    version: version.clone(),
                    ciphersuite: ciphersuite.clone(),
                    peer: peer.clone(),
                }));
            }
        }
        self.login_notes(conn, &o.notes, out);
        if let Some(reason) = o.close.take() {
            if let CloseReason::Failed(failure) = &reason {
                self.stats.tls_failures += u64::from(failure.is_tls());
                self.stats.session_errors += 1;
            }
            self.end(conn, reason, out);
        }
        o
    }

    fn next_seed(&mut self, conn: ConnId) -> [u8; 32] {
        self.seed = self.seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut x = self.seed ^ conn.0.rotate_left(17);
        let mut out = [0u8; 32];
        for chunk in out.chunks_mut(8) {
            // splitmix64: a fixed, well-mixed sequence from the seed.
            x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = x;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            chunk.copy_from_slice(&(z ^ (z >> 31)).to_le_bytes());
        }
        out
    }

    /// The open sessions.
    pub fn sessions(&self) -> impl Iterator<Item = &Session> {
        self.sessions.iter()
    }

    /// Start-up: open the listening socket the configuration asks for.
    pub fn boot(&mut self, out: &mut VecDeque<Action>) {
        if self.listens() {
            out.push_back(Action::Listen {
                listener: ListenerId::Data,
                transport: Transport::Tcp,
                port: self.cfg.host.listen_port,
            });
        }
        if self.cfg.enabled && self.udp.is_some() {
            out.push_back(Action::Listen {
                listener: ListenerId::Data,
                transport: Transport::Udp,
                port: self.cfg.host.listen_port,
            });
        }
    }

    fn listens(&self) -> bool {
        self.cfg.enabled && self.cfg.host.mode == HostMode::Tcp && self.cfg.host.listen_port != 0
    }

    /// Characters that finished arriving from the serial line at `now`.
    pub fn serial_received(&mut self, bytes: &[u8], now: Instant, out: &mut VecDeque<Action>) {
        if bytes.is_empty() || !self.cfg.enabled {
            return;
        }
        self.stats.serial_rx_bytes += bytes.len() as u64;
        self.last_activity = now;
        if self.modem.is_some() {
            return self.modem_serial(bytes, now, out);
        }
        let mut frames = Vec::new();
        self.packetizer
            .push(bytes, now, &mut |frame| frames.push(frame));
        for frame in frames {
            self.send_frame(frame, out);
        }
    }

    /// Sends one frame of serial data to every session (through its stack), or counts it as
    /// discarded when there is none.
    fn send_frame(&mut self, frame: Vec<u8>, out: &mut VecDeque<Action>) {
        if self.udp.is_some() {
            return self.send_datagrams(&frame, out);
        }
        if self.client_takes(&frame, out) {
            return;
        }
        if self.sessions.is_empty() {
            self.stats.serial_rx_discarded += frame.len() as u64;
            return;
        }
        self.stats.frames_to_net += 1;
        let conns: Vec<ConnId> = self.sessions.iter().map(|s| s.conn).collect();
        for conn in conns {
            self.with_stack(conn, out, |stack, o| stack.from_serial(&frame, o));
        }
    }

    /// Characters that finished crossing the serial line towards the program at `now`.
    pub fn serial_transmitted(&mut self, count: usize, now: Instant) {
        self.stats.serial_tx_bytes += count as u64;
        if count > 0 {
            self.last_activity = now;
        }
    }

    /// A network event for this port. What it asks of the rest of the device (serial bytes,
    /// RFC 2217 requests, a break) is added to `effects`.
    pub fn net_event(
        &mut self,
        event: NetEvent,
        now: Instant,
        out: &mut VecDeque<Action>,
        effects: &mut PortEffects,
    ) {
        match event {
            NetEvent::Accepted { conn, peer, .. } if self.modem.is_some() => {
                self.modem_incoming(conn, peer, now, out)
            }
            NetEvent::Accepted { conn, peer, .. } => self.accept(conn, peer, now, out),
            NetEvent::Received { conn, data } if self.modem.is_some() => {
                if self.sessions.contains(conn) {
                    self.stats.net_rx_bytes += data.len() as u64;
                    self.stats.frames_from_net += 1;
                    let o = self.with_stack(conn, out, |stack, o| stack.from_network(&data, o));
                    self.modem_network_data(&o.to_serial, now, out);
                }
            }
            NetEvent::PeerClosed { conn } | NetEvent::Failed { conn, .. }
                if self.modem.is_some() =>
            {
                self.end(conn, CloseReason::PeerClosed, out);
                self.modem_session_ended(conn, now, out);
            }
            NetEvent::Connected { conn, peer } if self.modem.is_some() => {
                self.modem_connected(conn, peer, now, out)
            }
            NetEvent::ConnectFailed { conn, .. } if self.modem.is_some() => {
                self.modem_connect_failed(conn, now, out)
            }
            NetEvent::Received { conn, data } => {
                if self.sessions.contains(conn) {
                    self.stats.net_rx_bytes += data.len() as u64;
                    self.stats.frames_from_net += 1;
                    let mut o = self.with_stack(conn, out, |stack, o| stack.from_network(&data, o));
                    effects.to_serial.append(&mut o.to_serial);
                    effects
                        .com_port
                        .extend(o.com_port.drain(..).map(|r| (conn, r)));
                    effects.send_break |= o.notes.contains(&StackNote::Break);
                }
            }
            NetEvent::PeerClosed { conn } => self.end(conn, CloseReason::PeerClosed, out),
            NetEvent::Failed { conn, reason } => {
                self.stats.session_errors += 1;
                self.end(conn, CloseReason::Failed(Failure::Connection(reason)), out);
            }
            NetEvent::Connected { conn, peer } => self.outbound_up(conn, peer, now, out),
            NetEvent::ConnectFailed { conn, reason } => self.connect_failed(conn, reason, now, out),
            NetEvent::Datagram { from, data, .. } => {
                self.datagram(from, data, now, out, &mut effects.to_serial)
            }
            NetEvent::Listening { .. } | NetEvent::ListenFailed { .. } => {}
        }
    }

    fn accept(
        &mut self,
        conn: ConnId,
        peer: std::net::SocketAddr,
        now: Instant,
        out: &mut VecDeque<Action>,
    ) {
        let limit = usize::from(self.cfg.host.max_connections);
        let reason = if !self.listens() {
            Some("port not listening")
        } else if !self.dsr_ok {
            Some("dsr low")
        } else if self.sessions.len() + self.client.attempts().len() >= limit {
            Some("max connections reached")
        } else {
            None
        };
        if let Some(reason) = reason {
            self.stats.connections_rejected += 1;
            out.push_back(Action::Close { conn });
            out.push_back(Action::Notify(DeviceEvent::ConnectionRejected {
                port: self.number,
                peer,
                reason,
            }));
            return;
        }
        if self.open_session(conn, peer, SessionRole::Server, now, out) {
            self.stats.connections_accepted += 1;
        } else {
            self.stats.connections_rejected += 1;
        }
    }

    /// Opens a data session on connection `conn` (accepted or dialled): builds its protocol
    /// stack, applies keep-alive, reports it and sends the Socket ID. False when the stack could
    /// not be built (the connection is closed).
    fn open_session(
        &mut self,
        conn: ConnId,
        peer: std::net::SocketAddr,
        role: SessionRole,
        now: Instant,
        out: &mut VecDeque<Action>,
    ) -> bool {
        let cfg = match role {
            // The device is the TLS client for sessions it opens (manual §11.4).
            SessionRole::Client => StackConfig {
                tls_server_name: Some(self.client_tls_name(&peer.ip().to_string())),
                ..self.client_stack_cfg.clone()
            },
            SessionRole::Server => self.stack_cfg.clone(),
        };
        if self.cfg.crypto.method == config::CryptoMethod::Ssl && cfg.tls.is_none() {
            // Never fall back to plaintext on an encrypted port.
            tracing::error!(?conn, ?role, "port1.crypto.method is ssl but TLS is not configured for this role (a CA list is needed to verify the server)");
            self.stats.tls_failures += 1;
            out.push_back(Action::Close { conn });
            return false;
        }
        self.open_session_with(conn, peer, role, &cfg, now, out)
    }

    /// [`DataPort::open_session`] with explicit stack settings (modem emulation picks them per
    /// call).
    fn open_session_with(
        &mut self,
        conn: ConnId,
        peer: std::net::SocketAddr,
        role: SessionRole,
        cfg: &StackConfig,
        now: Instant,
        out: &mut VecDeque<Action>,
    ) -> bool {
        let seed = self.next_seed(conn);
        let started = SessionStack::start(cfg, seed, self.modem_state, self.unix_time);
        let (stack, first) = match started {
            Ok(s) => s,
            Err(reason) => {
                tracing::warn!(?conn, "cannot start session: {reason}");
                out.push_back(Action::Close { conn });
                return false;
            }
        };
        if self.sessions.is_empty() {
            self.last_activity = now;
        }
        self.sessions.insert(Session {
            conn,
            peer,
            role,
            opened_at: now,
            stack,
        });
        out.push_back(Action::SetKeepalive {
            conn,
            params: self.keepalive,
        });
        out.push_back(Action::Notify(DeviceEvent::SessionOpened {
            port: self.number,
            conn,
            peer,
            role: match role {
                SessionRole::Server => "server",
                SessionRole::Client => "client",
            },
        }));
        if !first.to_net.is_empty() {
            self.stats.net_tx_bytes += first.to_net.len() as u64;
            out.push_back(Action::Send {
                conn,
                data: first.to_net,
            });
        }
        // Once at the start of each TCP session (manual §4.3), through the stack; with user
        // authentication, once the peer has logged in (port/auth.rs).
        self.send_socket_id(conn, out);
        true
    }

    /// Ends a session (or closes a connection that is not one): TLS close_notify, socket
    /// closed, event reported.
    fn end(&mut self, conn: ConnId, reason: CloseReason, out: &mut VecDeque<Action>) {
        self.client.session_ended(conn);
        let Some(mut session) = self.sessions.remove(conn) else {
            // Not (or no longer) a session, e.g. a call being set up: just close the socket
            // (a no-op for one the runtime already dropped).
            out.push_back(Action::Close { conn });
            return;
        };
        // A clean TLS shutdown (close_notify) before the socket closes.
        let mut o = StackOutput::default();
        session.stack.set_unix_time(self.unix_time);
        session.stack.close(&mut o);
        if !o.to_net.is_empty() {
            out.push_back(Action::Send {
                conn,
                data: o.to_net,
            });
        }
        self.stats.sessions_closed += 1;
        // Every close is the device's to carry out: a peer's end of stream still leaves our
        // half of the socket open until we close it.
        out.push_back(Action::Close { conn });
        out.push_back(Action::Notify(DeviceEvent::SessionClosed {
            port: self.number,
            conn,
            reason,
        }));
        if self.sessions.is_empty() {
            // Serial data buffered for the network has nowhere to go (manual §4.3).
            self.stats.serial_rx_discarded += self.packetizer.clear() as u64;
        }
    }

    /// Drops what waits to go to the network (RFC 2217 purge of the receive buffer).
    pub fn purge_to_network(&mut self) {
        self.packetizer.clear();
    }

    /// Runs the timers due by `now`.
    pub fn handle_timeout(&mut self, now: Instant, out: &mut VecDeque<Action>) {
        let mut frames = Vec::new();
        self.packetizer
            .handle_timeout(now, &mut |frame| frames.push(frame));
        for frame in frames {
            self.send_frame(frame, out);
        }
        if self.inactivity_deadline().is_some_and(|d| d <= now) {
            let conns: Vec<ConnId> = self.sessions.iter().map(|s| s.conn).collect();
            for conn in conns {
                self.stats.inactivity_timeouts += 1;
                self.end(conn, CloseReason::InactivityTimeout, out);
            }
        }
        self.client_timers(now, out);
        self.modem_timeout(now, out);
        self.udp_timers(now);
        self.login_timers(now, out);
        self.handshake_timers(now, out);
    }

    fn inactivity_deadline(&self) -> Option<Instant> {
        // Modem emulation has its own timer (AT\T) instead.
        let timeout = self.cfg.host.inactivity_timeout_s;
        (timeout > 0 && !self.sessions.is_empty() && self.modem.is_none())
            .then(|| self.last_activity + Duration::from_secs(u64::from(timeout)))
    }

    /// The port's next timer.
    pub fn next_deadline(&self) -> Option<Instant> {
        let own = m2285_time::earliest(self.packetizer.next_deadline(), self.inactivity_deadline());
        let udp = self.udp.as_ref().and_then(udp::UdpPeers::next_deadline);
        let own = m2285_time::earliest(own, self.login_deadline());
        let own = m2285_time::earliest(own, self.handshake_deadline());
        let own = m2285_time::earliest(own, self.modem.as_ref().and_then(|m| m.next_deadline()));
        m2285_time::earliest(own, m2285_time::earliest(self.client.next_deadline(), udp))
    }
}
