//! The table of a port's open data sessions.

use super::stack::SessionStack;
use crate::io::ConnId;
use m2285_time::Instant;
use serde::Serialize;
use std::net::SocketAddr;

/// Who opened a session.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SessionRole {
    /// The peer connected to the device.
    Server,
    /// The device connected to the peer.
    Client,
}

/// One open data session: what status pages show, plus its protocol stack.
#[derive(Debug, Serialize)]
pub struct Session {
    /// The connection.
    pub conn: ConnId,
    /// The peer's address.
    pub peer: SocketAddr,
    /// Who opened it.
    pub role: SessionRole,
    /// When it opened (device time).
    #[serde(skip)]
    pub opened_at: Instant,
    /// TLS / Telnet layers between the socket and the serial port.
    #[serde(skip)]
    pub stack: SessionStack,
}

/// What status pages show of a session.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SessionInfo {
    /// The connection.
    pub conn: ConnId,
    /// The peer's address.
    pub peer: SocketAddr,
    /// Who opened it.
    pub role: SessionRole,
}

impl Session {
    /// The session as status pages show it.
    pub fn info(&self) -> SessionInfo {
        SessionInfo {
            conn: self.conn,
            peer: self.peer,
            role: self.role,
        }
    }
}

/// Open sessions in the order they opened.
#[derive(Debug, Default)]
pub struct Sessions {
    list: Vec<Session>,
}

impl Sessions {
    /// Adds a session.
    pub fn insert(&mut self, s: Session) {
        self.list.push(s);
    }

    /// Removes and returns the session of `conn`.
    pub fn remove(&mut self, conn: ConnId) -> Option<Session> {
        let i = self.list.iter().position(|s| s.conn == conn)?;
        Some(self.list.remove(i))
    }

    /// True when `conn` is an open session.
    pub fn contains(&self, conn: ConnId) -> bool {
        self.list.iter().any(|s| s.conn == conn)
    }

    /// The sessions, oldest first.
    pub fn iter(&self) -> impl Iterator<Item = &Session> {
        self.list.iter()
    }

    /// The session of `conn`.
    pub fn get_mut(&mut self, conn: ConnId) -> Option<&mut Session> {
        self.list.iter_mut().find(|s| s.conn == conn)
    }

    /// Number of open sessions.
    pub fn len(&self) -> usize {
        self.list.len()
    }

    /// True when no session is open.
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }
}
