//! The simulated hosts on the device's network and the scripted application on each.

use m2285_time::Instant;
use std::fmt;
use std::net::Ipv4Addr;

/// Identifies a connection inside the simulated network (not the device's [`ConnId`]).
///
/// [`ConnId`]: m2285_core::ConnId
pub type ConnKey = u64;

/// What kind of host it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HostKind {
    /// A client: it connects to the device when a step says so.
    Client,
    /// A TCP server listening on this port, for the device to dial.
    Server {
        /// Its listening port.
        port: u16,
    },
    /// An address nobody answers at: connection requests vanish (they time out).
    Unreachable,
}

/// Where a simulated peer's current connection stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PeerState {
    /// No connection yet.
    Idle,
    /// SYN sent, no answer yet.
    Connecting,
    /// Open.
    Connected,
    /// The other end answered with a reset.
    Refused,
    /// Connecting, retransmitting or keep-alive timed out.
    TimedOut,
    /// The device closed the connection (end of stream); the peer closed its side too.
    Closed,
    /// The connection was reset.
    Reset,
}

impl PeerState {
    /// The name used in scenarios and traces.
    pub fn as_str(self) -> &'static str {
        match self {
            PeerState::Idle => "idle",
            PeerState::Connecting => "connecting",
            PeerState::Connected => "connected",
            PeerState::Refused => "refused",
            PeerState::TimedOut => "timed_out",
            PeerState::Closed => "closed",
            PeerState::Reset => "reset",
        }
    }

    /// Reads a state name (for `expect_peer_state`).
    pub fn parse(text: &str) -> Option<Self> {
        [
            PeerState::Idle,
            PeerState::Connecting,
            PeerState::Connected,
            PeerState::Refused,
            PeerState::TimedOut,
            PeerState::Closed,
            PeerState::Reset,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
    }

    /// True for the states in which the connection is over.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            PeerState::Refused | PeerState::TimedOut | PeerState::Closed | PeerState::Reset
        )
    }
}

impl fmt::Display for PeerState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The scripted application on a simulated host: its current connection and what it got.
#[derive(Clone, Debug)]
pub struct PeerApp {
    /// Its current connection's state.
    pub state: PeerState,
    /// Its current connection.
    pub conn: Option<ConnKey>,
    /// Every byte it received, over all its connections.
    pub received: Vec<u8>,
    /// How far expectations have consumed `received`.
    pub cursor: usize,
}

/// One simulated host.
#[derive(Clone, Debug)]
pub struct Host {
    /// Its name in scenarios and traces.
    pub name: String,
    /// Its address.
    pub ip: Ipv4Addr,
    /// Client, server or black hole.
    pub kind: HostKind,
    /// Its application.
    pub app: PeerApp,
    pub(crate) next_port: u16,
    /// When the link is free again in each direction (to device, from device), for the
    /// bandwidth limit.
    pub(crate) link_free: [Instant; 2],
}

impl Host {
    /// A host with no connection.
    pub fn new(name: &str, ip: Ipv4Addr, kind: HostKind) -> Self {
        Host {
            name: name.to_owned(),
            ip,
            kind,
            app: PeerApp {
                state: PeerState::Idle,
                conn: None,
                received: Vec::new(),
                cursor: 0,
            },
            next_port: 49152,
            link_free: [Instant::ZERO; 2],
        }
    }

    /// The next ephemeral port for a connection from this host.
    pub(crate) fn ephemeral_port(&mut self) -> u16 {
        let p = self.next_port;
        self.next_port = if p == u16::MAX { 49152 } else { p + 1 };
        p
    }
}
