//! One connection as the network-fault middleware sees it: where it goes, what is held for it
//! each way, and the timers and TCP state the faults act on.

use m2285_boundary::faults::peer::HostLink;
use m2285_boundary::keepalive::RETRANSMISSION_TIMEOUT;
use m2285_core::io::{Action, KeepaliveParams, NetEvent};
use m2285_time::Instant;
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::Duration;

/// One connection as the middleware sees it.
#[derive(Debug)]
pub(super) struct Track {
    pub(super) addr: Option<SocketAddr>,
    pub(super) target: Option<String>,
    pub(super) keepalive: Option<KeepaliveParams>,
    pub(super) last_heard: Instant,
    pub(super) cut_since: Option<Instant>,
    /// The partition instance cutting it, for its counters.
    pub(super) cut_by: Option<usize>,
    pub(super) unacked_since: Option<Instant>,
    pub(super) deadline: Option<(Instant, &'static str)>,
    pub(super) dead: bool,
    pub(super) closed_by_device: bool,
    pub(super) inbound: VecDeque<(Instant, NetEvent)>,
    pub(super) outbound: VecDeque<(Instant, Action)>,
    pub(super) held_in: usize,
    pub(super) held_out: usize,
    /// The TLS records seen on it (for the `tls.*` faults).
    pub(super) tls: m2285_boundary::faults::tls::TlsWatch,
    /// When each direction's `net.bandwidth` pacing is free again ([`packets::lane`]).
    pub(super) free: [Instant; 2],
    /// `net.connect_timeout` took its SYN: it never connects, the device's timer ends it.
    pub(super) black_hole: bool,
}

impl Track {
    pub(super) fn new(now: Instant) -> Self {
        Track {
            addr: None,
            target: None,
            keepalive: None,
            last_heard: now,
            cut_since: None,
            cut_by: None,
            unacked_since: None,
            deadline: None,
            dead: false,
            closed_by_device: false,
            inbound: VecDeque::new(),
            outbound: VecDeque::new(),
            held_in: 0,
            held_out: 0,
            tls: Default::default(),
            free: [now; 2],
            black_hole: false,
        }
    }

    /// The connection as a fault's `peer` can name it (the boundary's host-socket rule).
    pub(super) fn link(&self) -> HostLink<'_> {
        HostLink {
            addr: self.addr,
            target: self.target.as_deref(),
        }
    }

    /// The delay of a segment; when every retransmission of it was lost, TCP gives the
    /// connection up at the end of that delay.
    pub(super) fn give_up_if(
        &mut self,
        seen: Result<Duration, Duration>,
        now: Instant,
    ) -> Duration {
        seen.unwrap_or_else(|d| {
            self.deadline
                .get_or_insert((now + d, RETRANSMISSION_TIMEOUT));
            d
        })
    }
}
