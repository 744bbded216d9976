//! The port engine's TCP client side and DSR gating: when to dial the remote hosts, what to do
//! with serial data while dialling, and what DSR does to sessions (manual §4.3, §4.8).
//!
//! The state machine of the attempts is [`super::tcp_client`]; this file connects it to the
//! session table, the counters and the events. docs/host-modes.md records the decisions.

use super::tcp_client::{Outcome, TcpClient, Which};
use super::{DataPort, SessionRole};
use crate::config::{self, HostMode};
use crate::io::{Action, CloseReason, ConnId, DeviceEvent};
use m2285_time::Instant;
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::Duration;

/// The client side for a port's configuration, with `minute` as the length of a minute.
pub(super) fn client_for(cfg: &config::Port, minute: Duration, now: Instant) -> TcpClient {
    let hosts = if cfg.host.mode == HostMode::Tcp && cfg.enabled {
        cfg.remote_hosts.clone()
    } else {
        Vec::new()
    };
    let every = cfg.host.cyclic_interval_min;
    let cyclic = (every > 0).then(|| minute * every);
    TcpClient::new(hosts, cyclic, now)
}

impl DataPort {
    /// Sets the length of a device minute (sim.minute_s) and restarts the cyclic schedule from
    /// `now`.
    pub fn set_minute(&mut self, minute: Duration, now: Instant) {
        self.client = client_for(&self.cfg, minute, now);
    }

    /// Replaces the configuration for changes that need no restart (serial line rules).
    pub fn set_config(&mut self, cfg: config::Port) {
        self.cfg = cfg;
    }

    /// Closes every session and attempt and the listening sockets (the port is being
    /// reconfigured or disabled).
    pub fn shutdown(&mut self, out: &mut VecDeque<Action>) {
        self.shutdown_for(CloseReason::PortDisabled, out);
    }

    /// Ends every session for `reason`, drops what was buffered and stops listening (a port
    /// reconfigured, or the device going down for a reboot).
    pub fn shutdown_for(&mut self, reason: CloseReason, out: &mut VecDeque<Action>) {
        let conns: Vec<ConnId> = self.sessions.iter().map(|s| s.conn).collect();
        for conn in conns {
            self.end(conn, reason.clone(), out);
        }
        let dropped = self.client.cancel(out) + self.packetizer.clear();
        self.discard(dropped, "port reconfigured", out);
        out.push_back(Action::Unlisten {
            listener: crate::io::ListenerId::Data,
        });
    }

    /// True when the port counts as connected for DTR (`high_when_connected`): a TCP session is
    /// open, or in UDP mode there is somewhere to send.
    pub fn connected(&self) -> bool {
        match &self.udp {
            Some(u) => self.cfg.enabled && u.has_destination(),
            None => !self.sessions.is_empty(),
        }
    }

    /// Bytes the device holds from the serial side that have not gone to the network yet (for
    /// flow control).
    pub fn receive_buffer_level(&self) -> usize {
        self.packetizer.len() + self.client.held_len()
    }

    /// Connection attempts in progress.
    pub fn attempts(&self) -> &[super::tcp_client::Attempt] {
        self.client.attempts()
    }

    /// The recent unlisted UDP senders.
    pub fn udp_unlisted(&self) -> &[super::udp::Unlisted] {
        self.udp.as_ref().map(|u| u.unlisted()).unwrap_or(&[])
    }

    /// DSR gating changed: `ok` false drops every session and attempt; true starts a
    /// connection round on the client side (manual §4.8).
    pub fn set_dsr_ok(&mut self, ok: bool, now: Instant, out: &mut VecDeque<Action>) {
        if ok == self.dsr_ok {
            return;
        }
        self.dsr_ok = ok;
        if ok {
            if self.udp.is_none() {
                self.start_round(now, out);
            }
            return;
        }
        let conns: Vec<ConnId> = self.sessions.iter().map(|s| s.conn).collect();
        for conn in conns {
            self.end(conn, CloseReason::DsrLow, out);
        }
        let dropped = self.client.cancel(out) + self.packetizer.clear();
        self.discard(dropped, "dsr low", out);
    }

    /// Client side: serial data with no session starts a connection round, and data during a
    /// round is held for it. Returns true when the frame was taken.
    pub(super) fn client_takes(&mut self, frame: &[u8], out: &mut VecDeque<Action>) -> bool {
        if !self.client.is_client() || !self.dsr_ok {
            return false;
        }
        if !self.client.connecting() {
            if !self.sessions.is_empty() {
                return false;
            }
            // The frame is complete now; its instant is the last character's.
            let now = self.packetizer_now();
            if self.start_round(now, out) == 0 {
                return false;
            }
        }
        let lost = self.client.hold(frame);
        self.discard(lost, "buffer full while connecting", out);
        // Sessions already up in this round get the frame at once.
        if !self.sessions.is_empty() {
            self.stats.frames_to_net += 1;
            let conns: Vec<ConnId> = self.sessions.iter().map(|s| s.conn).collect();
            for conn in conns {
                self.with_stack(conn, out, |stack, o| stack.from_serial(frame, o));
            }
        }
        true
    }

    /// Dials the remote hosts that have no session, within the session limit.
    fn start_round(&mut self, now: Instant, out: &mut VecDeque<Action>) -> usize {
        let limit = usize::from(self.cfg.host.max_connections);
        let room = limit.saturating_sub(self.sessions.len() + self.client.attempts().len());
        let before = self.client.attempts().len();
        let n = self.client.start_round(now, room, out);
        self.stats.connect_attempts += n as u64;
        let new: Vec<(ConnId, String)> = self.client.attempts()[before..]
            .iter()
            .map(|a| (a.conn, a.remote.clone()))
            .collect();
        for (conn, remote) in new {
            out.push_back(Action::Notify(DeviceEvent::Connecting {
                port: self.number,
                conn,
                remote,
                which: "primary",
            }));
        }
        n
    }

    /// An outbound connection is up.
    pub(super) fn outbound_up(
        &mut self,
        conn: ConnId,
        peer: SocketAddr,
        now: Instant,
        out: &mut VecDeque<Action>,
    ) {
        match self.client.connected(conn) {
            Outcome::Up { held, .. } => {
                if !self.open_session(conn, peer, SessionRole::Client, now, out) {
                    self.client.session_ended(conn);
                    return;
                }
                if !held.is_empty() {
                    self.stats.frames_to_net += 1;
                    self.with_stack(conn, out, |stack, o| stack.from_serial(&held, o));
                }
            }
            // Given up already (timeout, DSR low): not wanted any more.
            _ => out.push_back(Action::Close { conn }),
        }
    }

    /// An outbound connection could not be made.
    pub(super) fn connect_failed(
        &mut self,
        conn: ConnId,
        reason: String,
        now: Instant,
        out: &mut VecDeque<Action>,
    ) {
        let outcome = self.client.failed(conn, reason, now, out);
        self.report_failure(conn, outcome, out);
    }

    fn report_failure(&mut self, conn: ConnId, outcome: Outcome, out: &mut VecDeque<Action>) {
        let (remote, reason, trying_backup, discarded) = match outcome {
            Outcome::TryingBackup { remote, reason } => (remote, reason, true, 0),
            Outcome::Failed {
                remote,
                reason,
                discarded,
            } => (remote, reason, false, discarded),
            Outcome::Up { .. } | Outcome::NotOurs => return,
        };
        self.stats.connect_failures += 1;
        tracing::info!(%remote, %reason, trying_backup, "connection to remote host failed");
        out.push_back(Action::Notify(DeviceEvent::ConnectFailed {
            port: self.number,
            conn,
            remote,
            reason,
            trying_backup,
        }));
        if trying_backup {
            self.stats.connect_attempts += 1;
            if let Some(a) = self.client.attempts().last() {
                out.push_back(Action::Notify(DeviceEvent::Connecting {
                    port: self.number,
                    conn: a.conn,
                    remote: a.remote.clone(),
                    which: match a.which {
                        Which::Primary => "primary",
                        Which::Backup => "backup",
                    },
                }));
            }
        }
        self.discard(discarded, "remote host unreachable", out);
    }

    /// Client timers: attempts that took too long, the cyclic connection.
    pub(super) fn client_timers(&mut self, now: Instant, out: &mut VecDeque<Action>) {
        let late: Vec<ConnId> = self
            .client
            .attempts()
            .iter()
            .filter(|a| a.deadline <= now)
            .map(|a| a.conn)
            .collect();
        if !late.is_empty() {
            for (conn, outcome) in late.into_iter().zip(self.client.expired(now, out)) {
                self.report_failure(conn, outcome, out);
            }
        }
        if self.client.cyclic_due(now) && self.dsr_ok && self.cfg.enabled {
            self.start_round(now, out);
        }
    }

    /// Counts and reports serial bytes thrown away.
    pub(super) fn discard(
        &mut self,
        bytes: usize,
        reason: &'static str,
        out: &mut VecDeque<Action>,
    ) {
        if bytes == 0 {
            return;
        }
        self.stats.serial_rx_discarded += bytes as u64;
        out.push_back(Action::Notify(DeviceEvent::DataDiscarded {
            port: self.number,
            bytes,
            reason,
        }));
    }

    /// The instant of the last serial character, when a frame is complete.
    fn packetizer_now(&self) -> Instant {
        self.last_activity
    }
}
