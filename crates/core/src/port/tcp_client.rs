//! The TCP client side of a port (manual §4.3, §4.6): connecting out to the remote hosts.
//!
//! Serial data (or the cyclic timer, or DSR going high) starts a *connection round*: the device
//! connects to every remote host entry that has no session yet, as far as the session limit
//! allows. An entry whose primary host cannot be reached is tried once on its backup host (only
//! then). Serial data that arrives during the round is held; each connection that comes up gets
//! it, after the Socket ID. When the round ends with no connection, the held data is discarded
//! and counted, as the device does. docs/host-modes.md records the decisions.

use super::packetizer::SERIAL_TO_NET_BUFFER;
use crate::config::RemoteHost;
use crate::io::{Action, ConnId};
use m2285_time::Instant;
use serde::Serialize;
use std::collections::VecDeque;
use std::time::Duration;

/// How long a connection attempt may take before the device gives up on it (decided:
/// docs/host-modes.md; the manual gives no value).
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// First connection id the client side uses: within the device's own numbering, far from ids
/// other parts of the device (modem emulation) hand out.
const CLIENT_ID_BASE: u64 = ConnId::DEVICE_BASE + (1 << 40);

/// Which host of a remote host entry an attempt goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Which {
    /// The entry's primary host.
    Primary,
    /// The entry's backup host (after the primary failed).
    Backup,
}

/// A connection attempt in progress, as status pages show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Attempt {
    /// The connection.
    pub conn: ConnId,
    /// Index in the remote host list.
    pub entry: usize,
    /// Primary or backup.
    pub which: Which,
    /// `host:port` being dialled.
    pub remote: String,
    /// When the attempt is given up.
    #[serde(skip)]
    pub deadline: Instant,
}

/// What became of an attempt that ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The connection is up: the caller opens a client session and sends it `held` (the serial
    /// data of this round) after the Socket ID.
    Up {
        /// Index in the remote host list.
        entry: usize,
        /// Serial data of the round so far.
        held: Vec<u8>,
    },
    /// The primary failed; the backup is being dialled.
    TryingBackup {
        /// What failed.
        remote: String,
        /// Why.
        reason: String,
    },
    /// The entry could not be reached.
    Failed {
        /// What failed last.
        remote: String,
        /// Why.
        reason: String,
        /// Serial bytes discarded because the round ended with no connection (0 otherwise).
        discarded: usize,
    },
    /// Not an attempt of the client side.
    NotOurs,
}

/// The client side of one port.
#[derive(Debug, Clone)]
pub struct TcpClient {
    hosts: Vec<RemoteHost>,
    next_id: u64,
    attempts: Vec<Attempt>,
    /// Sessions that came from this side, with their entry.
    sessions: Vec<(ConnId, usize)>,
    held: Vec<u8>,
    round_ok: bool,
    cyclic: Option<Duration>,
    next_cyclic: Option<Instant>,
}

impl TcpClient {
    /// The client side for `hosts`; `cyclic` is the cyclic connection interval (None = off),
    /// counted from `now`.
    pub fn new(hosts: Vec<RemoteHost>, cyclic: Option<Duration>, now: Instant) -> Self {
        let next_cyclic = cyclic.filter(|_| !hosts.is_empty()).map(|d| now + d);
        TcpClient {
            hosts,
            next_id: CLIENT_ID_BASE,
            attempts: Vec::new(),
            sessions: Vec::new(),
            held: Vec::new(),
            round_ok: false,
            cyclic,
            next_cyclic,
        }
    }

    /// True when the port has remote hosts to connect to.
    pub fn is_client(&self) -> bool {
        !self.hosts.is_empty()
    }

    /// True while a connection round is in progress.
    pub fn connecting(&self) -> bool {
        !self.attempts.is_empty()
    }

    /// Attempts in progress.
    pub fn attempts(&self) -> &[Attempt] {
        &self.attempts
    }

    /// Bytes held for the connections of the current round.
    pub fn held_len(&self) -> usize {
        self.held.len()
    }

    /// Starts a connection round: dials every entry that has neither a session nor an attempt,
    /// at most `room` of them. Returns how many were dialled.
    pub fn start_round(&mut self, now: Instant, room: usize, out: &mut VecDeque<Action>) -> usize {
        if self.attempts.is_empty() {
            self.held.clear();
            self.round_ok = false;
        }
        let mut started = 0;
        for entry in 0..self.hosts.len() {
            if started >= room {
                break;
            }
            let busy = self.sessions.iter().any(|(_, e)| *e == entry)
                || self.attempts.iter().any(|a| a.entry == entry);
            if !busy {
                let (host, port) = (self.hosts[entry].host.clone(), self.hosts[entry].port);
                self.dial(entry, Which::Primary, host, port, now, out);
                started += 1;
            }
        }
        started
    }

    /// Keeps serial data for the connections of the round in progress. Returns how many bytes
    /// did not fit (the caller counts them as discarded).
    pub fn hold(&mut self, data: &[u8]) -> usize {
        let room = SERIAL_TO_NET_BUFFER.saturating_sub(self.held.len());
        let keep = room.min(data.len());
        self.held.extend_from_slice(&data[..keep]);
        data.len() - keep
    }

    /// An outbound connection came up.
    pub fn connected(&mut self, conn: ConnId) -> Outcome {
        let Some(i) = self.attempts.iter().position(|a| a.conn == conn) else {
            return Outcome::NotOurs;
        };
        let a = self.attempts.remove(i);
        self.sessions.push((conn, a.entry));
        self.round_ok = true;
        let held = if self.attempts.is_empty() {
            std::mem::take(&mut self.held)
        } else {
            self.held.clone()
        };
        Outcome::Up {
            entry: a.entry,
            held,
        }
    }

    /// An outbound connection could not be made.
    pub fn failed(
        &mut self,
        conn: ConnId,
        reason: String,
        now: Instant,
        out: &mut VecDeque<Action>,
    ) -> Outcome {
        let Some(i) = self.attempts.iter().position(|a| a.conn == conn) else {
            return Outcome::NotOurs;
        };
        let a = self.attempts.remove(i);
        if a.which == Which::Primary {
            if let Some((host, port)) = self.hosts[a.entry].backup() {
                let host = host.to_owned();
                self.dial(a.entry, Which::Backup, host, port, now, out);
                return Outcome::TryingBackup {
                    remote: a.remote,
                    reason,
                };
            }
        }
        let mut discarded = 0;
        if self.attempts.is_empty() {
            let held = std::mem::take(&mut self.held);
            if !self.round_ok {
                discarded = held.len();
            }
        }
        Outcome::Failed {
            remote: a.remote,
            reason,
            discarded,
        }
    }

    /// A session of this side ended.
    pub fn session_ended(&mut self, conn: ConnId) {
        self.sessions.retain(|(c, _)| *c != conn);
    }

    /// True when `conn` is an attempt of this side.
    pub fn is_attempt(&self, conn: ConnId) -> bool {
        self.attempts.iter().any(|a| a.conn == conn)
    }

    /// Attempts whose time ran out by `now`: they are closed and reported as failed.
    pub fn expired(&mut self, now: Instant, out: &mut VecDeque<Action>) -> Vec<Outcome> {
        let late: Vec<ConnId> = self
            .attempts
            .iter()
            .filter(|a| a.deadline <= now)
            .map(|a| a.conn)
            .collect();
        late.into_iter()
            .map(|conn| {
                out.push_back(Action::Close { conn });
                self.failed(conn, "connect timeout".into(), now, out)
            })
            .collect()
    }

    /// True when the cyclic connection is due at `now` (the next one is then scheduled).
    pub fn cyclic_due(&mut self, now: Instant) -> bool {
        match (self.next_cyclic, self.cyclic) {
            (Some(due), Some(every)) if due <= now => {
                let mut next = due + every;
                while next <= now {
                    next += every;
                }
                self.next_cyclic = Some(next);
                true
            }
            _ => false,
        }
    }

    /// Gives up every attempt (DSR dropped, port reconfigured). Returns the bytes discarded.
    pub fn cancel(&mut self, out: &mut VecDeque<Action>) -> usize {
        for a in self.attempts.drain(..) {
            out.push_back(Action::Close { conn: a.conn });
        }
        let held = std::mem::take(&mut self.held);
        if self.round_ok {
            0
        } else {
            held.len()
        }
    }

    /// The next attempt timeout or cyclic connection.
    pub fn next_deadline(&self) -> Option<Instant> {
        let attempt = self.attempts.iter().map(|a| a.deadline).min();
        m2285_time::earliest(attempt, self.next_cyclic)
    }

    fn dial(
        &mut self,
        entry: usize,
        which: Which,
        host: String,
        port: u16,
        now: Instant,
        out: &mut VecDeque<Action>,
    ) {
        let conn = ConnId(self.next_id);
        self.next_id += 1;
        self.attempts.push(Attempt {
            conn,
            entry,
            which,
            remote: format!("{host}:{port}"),
            deadline: now + CONNECT_TIMEOUT,
        });
        out.push_back(Action::Connect { conn, host, port });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host(h: &str, port: u16, backup: &str) -> RemoteHost {
        RemoteHost {
            host: h.into(),
            port,
            backup_host: backup.into(),
            backup_port: 0,
        }
    }

    fn connects(out: &VecDeque<Action>) -> Vec<(ConnId, String, u16)> {
        out.iter()
            .filter_map(|a| match a {
                Action::Connect { conn, host, port } => Some((*conn, host.clone(), *port)),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn backup_is_dialled_only_after_the_primary_fails() {
        let mut c = TcpClient::new(vec![host("127.0.0.2", 9, "127.0.0.3")], None, Instant::ZERO);
        let mut out = VecDeque::new();
        assert_eq!(c.start_round(Instant::ZERO, 8, &mut out), 1);
        let first = connects(&out);
        assert_eq!(first.len(), 1);
        assert_eq!(first[0].1, "127.0.0.2");
        assert_eq!(c.hold(b"data"), 0);
        out.clear();
        let o = c.failed(first[0].0, "refused".into(), Instant::ZERO, &mut out);
        assert!(matches!(o, Outcome::TryingBackup { .. }));
        let second = connects(&out);
        assert_eq!((second[0].1.as_str(), second[0].2), ("127.0.0.3", 9));
        match c.connected(second[0].0) {
            Outcome::Up { entry: 0, held } => assert_eq!(held, b"data"),
            other => panic!("{other:?}"),
        }
        assert!(!c.connecting());
    }

    #[test]
    fn a_round_with_no_connection_discards_what_it_held() {
        let mut c = TcpClient::new(vec![host("127.0.0.2", 9, "")], None, Instant::ZERO);
        let mut out = VecDeque::new();
        c.start_round(Instant::ZERO, 1, &mut out);
        c.hold(b"12345");
        let conn = connects(&out)[0].0;
        match c.failed(conn, "refused".into(), Instant::ZERO, &mut out) {
            Outcome::Failed { discarded, .. } => assert_eq!(discarded, 5),
            other => panic!("{other:?}"),
        }
        assert_eq!(c.held_len(), 0);
    }

    #[test]
    fn attempts_time_out_and_cyclic_ticks_on_schedule() {
        let min = Duration::from_secs(60);
        let mut c = TcpClient::new(vec![host("127.0.0.2", 9, "")], Some(min), Instant::ZERO);
        assert_eq!(c.next_deadline(), Some(Instant::from_secs(60)));
        assert!(!c.cyclic_due(Instant::from_secs(59)));
        assert!(c.cyclic_due(Instant::from_secs(60)));
        assert_eq!(c.next_deadline(), Some(Instant::from_secs(120)));
        let mut out = VecDeque::new();
        c.start_round(Instant::from_secs(60), 1, &mut out);
        assert_eq!(c.next_deadline(), Some(Instant::from_secs(70)));
        out.clear();
        let o = c.expired(Instant::from_secs(70), &mut out);
        assert!(matches!(o.as_slice(), [Outcome::Failed { .. }]));
        assert!(matches!(out.front(), Some(Action::Close { .. })));
    }

    #[test]
    fn entries_with_a_session_are_not_dialled_again() {
        let mut c = TcpClient::new(
            vec![host("127.0.0.2", 9, ""), host("127.0.0.4", 9, "")],
            None,
            Instant::ZERO,
        );
        let mut out = VecDeque::new();
        assert_eq!(c.start_round(Instant::ZERO, 8, &mut out), 2);
        let conns = connects(&out);
        assert!(matches!(
            c.connected(conns[0].0),
            Outcome::Up { entry: 0, .. }
        ));
        out.clear();
        // Entry 1 is still being dialled, entry 0 has a session: nothing new.
        assert_eq!(c.start_round(Instant::ZERO, 8, &mut out), 0);
        c.session_ended(conns[0].0);
        assert_eq!(c.start_round(Instant::ZERO, 8, &mut out), 1);
    }
}
