//! The port engine: what serial port 1 does with its data in the configured host mode.
//!
//! This module holds the TCP server side (listening port, session limit, fan-out of serial data
//! to every session, inactivity timer, keep-alive settings). Later host modes (TCP client, UDP,
//! modem emulation) live in sibling modules and share the packetizer and session table.

pub mod packetizer;
mod sessions;

pub use packetizer::Packetizer;
pub use sessions::{Session, SessionRole};

use crate::config::{self, HostMode};
use crate::io::{
    Action, CloseReason, ConnId, DeviceEvent, KeepaliveParams, ListenerId, NetEvent, Transport,
};
use crate::stats::PortStats;
use m2285_time::Instant;
use sessions::Sessions;
use std::collections::VecDeque;
use std::time::Duration;

/// Serial port 1's engine.
#[derive(Debug, Clone)]
pub struct DataPort {
    number: u8,
    cfg: config::Port,
    keepalive: KeepaliveParams,
    packetizer: Packetizer,
    sessions: Sessions,
    /// Last serial traffic in either direction, for the inactivity timer.
    last_activity: Instant,
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
            last_activity: Instant::ZERO,
            stats: PortStats::default(),
            cfg,
        }
    }

    /// The port's configuration.
    pub fn config(&self) -> &config::Port {
        &self.cfg
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
        let Self {
            packetizer,
            sessions,
            stats,
            ..
        } = self;
        packetizer.push(bytes, now, &mut |frame| {
            send_frame(sessions, stats, frame, out)
        });
    }

    /// Characters that finished crossing the serial line towards the program at `now`.
    pub fn serial_transmitted(&mut self, count: usize, now: Instant) {
        self.stats.serial_tx_bytes += count as u64;
        if count > 0 {
            self.last_activity = now;
        }
    }

    /// A network event for this port. Data for the serial side is returned to the caller in
    /// `to_serial`.
    pub fn net_event(
        &mut self,
        event: NetEvent,
        now: Instant,
        out: &mut VecDeque<Action>,
        to_serial: &mut Vec<u8>,
    ) {
        match event {
            NetEvent::Accepted { conn, peer, .. } => self.accept(conn, peer, now, out),
            NetEvent::Received { conn, data } => {
                if self.sessions.contains(conn) {
                    self.stats.net_rx_bytes += data.len() as u64;
                    self.stats.frames_from_net += 1;
                    to_serial.extend_from_slice(&data);
                }
            }
            NetEvent::PeerClosed { conn } => self.end(conn, CloseReason::PeerClosed, out, false),
            NetEvent::Failed { conn, reason } => {
                self.stats.session_errors += 1;
                self.end(conn, CloseReason::Failed(reason), out, false);
            }
            NetEvent::Listening { .. }
            | NetEvent::ListenFailed { .. }
            | NetEvent::Connected { .. }
            | NetEvent::ConnectFailed { .. } => {}
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
        } else if self.sessions.len() >= limit {
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
        if self.sessions.is_empty() {
            self.last_activity = now;
        }
        self.sessions.insert(Session {
            conn,
            peer,
            role: SessionRole::Server,
            opened_at: now,
        });
        self.stats.connections_accepted += 1;
        out.push_back(Action::SetKeepalive {
            conn,
            params: self.keepalive,
        });
        out.push_back(Action::Notify(DeviceEvent::SessionOpened {
            port: self.number,
            conn,
            peer,
            role: "server",
        }));
    }

    /// Ends a session; `close_socket` when the device (not the peer) ends it.
    fn end(
        &mut self,
        conn: ConnId,
        reason: CloseReason,
        out: &mut VecDeque<Action>,
        close_socket: bool,
    ) {
        if self.sessions.remove(conn).is_none() {
            if close_socket {
                out.push_back(Action::Close { conn });
            }
            return;
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

    /// Runs the timers due by `now`.
    pub fn handle_timeout(&mut self, now: Instant, out: &mut VecDeque<Action>) {
        let Self {
            packetizer,
            sessions,
            stats,
            ..
        } = self;
        packetizer.handle_timeout(now, &mut |frame| send_frame(sessions, stats, frame, out));
        if self.inactivity_deadline().is_some_and(|d| d <= now) {
            let conns: Vec<ConnId> = self.sessions.iter().map(|s| s.conn).collect();
            for conn in conns {
                self.stats.inactivity_timeouts += 1;
                self.end(conn, CloseReason::InactivityTimeout, out, true);
            }
        }
    }

    fn inactivity_deadline(&self) -> Option<Instant> {
        let timeout = self.cfg.host.inactivity_timeout_s;
        (timeout > 0 && !self.sessions.is_empty())
            .then(|| self.last_activity + Duration::from_secs(u64::from(timeout)))
    }

    /// The port's next timer.
    pub fn next_deadline(&self) -> Option<Instant> {
        m2285_time::earliest(self.packetizer.next_deadline(), self.inactivity_deadline())
    }
}

/// Sends one frame of serial data to every session, or counts it as discarded.
fn send_frame(
    sessions: &Sessions,
    stats: &mut PortStats,
    frame: Vec<u8>,
    out: &mut VecDeque<Action>,
) {
    if sessions.is_empty() {
        stats.serial_rx_discarded += frame.len() as u64;
        return;
    }
    stats.frames_to_net += 1;
    stats.net_tx_bytes += (frame.len() * sessions.len()) as u64;
    let mut conns = sessions.iter().map(|s| s.conn).peekable();
    while let Some(conn) = conns.next() {
        let data = if conns.peek().is_some() {
            frame.clone()
        } else {
            // The last session takes the frame itself; no copy.
            return out.push_back(Action::Send { conn, data: frame });
        };
        out.push_back(Action::Send { conn, data });
    }
}
