//! Network faults at the host sockets: [`FaultyNet`] wraps [`HostNet`] with the same methods, so
//! the loop drives it as before, and holds, delays, drops or ends traffic on the way.
//!
//! * `net.latency` holds each event for the device and each instruction for the host for
//!   `delay` plus uniform jitter, first in first out per connection (TCP keeps order).
//! * `net.partition` holds everything on the connections it covers (per `direction` and
//!   `peer`): bytes, closes and new connections, which the host socket already accepted or the
//!   device asked for; UDP datagrams are lost. When it ends what was held goes on, as TCP's
//!   retransmissions would deliver it. The runtime itself declares a partitioned session dead
//!   when TCP would (`keepalive`): it gives the device `Failed { reason: "keep-alive timeout" }`
//!   and keeps the host socket silent until the partition ends, then resets it, so the peer
//!   learns it from its next packet as with a real cable.
//! * `net.reset` resets the covered connections once: RST to the peer, `Failed` to the device.
//!
//! A fault's `peer` names the remote end: an address (`127.0.0.5`) or `address:port`, or the
//! `host:port` the device dialled.

mod capture;
mod connects;
mod packets;
mod timers;
mod tls;
mod track;

use super::{Boundary, Faults};
use crate::realtime::pcap::HostCapture;
use m2285_boundary::faults::net as net_rule;
use m2285_boundary::faults::peer::HostLink;
use m2285_boundary::faults::{Direction, FaultKind};
use m2285_boundary::keepalive::{self, RETRANSMISSION_TIMEOUT};
use m2285_boundary::trace::{records, TraceEvent};
use m2285_core::io::{Action, ConnId, NetEvent};
use m2285_net::{HostNet, HostNotice};
use m2285_time::Instant;
use mio::{Registry, Token};
use std::collections::{BTreeMap, VecDeque};
use std::ops::Deref;
use std::time::Duration;
use track::Track;

/// Bytes held for one connection during a partition beyond which the device's further sends
/// are dropped (like a full socket buffer whose writer does not wait; see `m2285_net::conn`).
const MAX_HELD_OUT: usize = 1 << 20;

/// The host network of one device with the network faults around it.
pub struct FaultyNet {
    inner: HostNet,
    registry: Registry,
    boundary: Boundary,
    tracks: BTreeMap<ConnId, Track>,
    udp_in: VecDeque<(Instant, NetEvent)>,
    udp_out: VecDeque<(Instant, Action)>,
    /// Events the faults made for the device (`Failed` for connections `tls.abort_handshake`
    /// cut, `ConnectFailed` for connects `net.refuse` refused), for the next `take_events`.
    aborted: Vec<NetEvent>,
    /// When each direction's `net.bandwidth` pacing of datagrams is free again.
    udp_free: [Instant; 2],
    /// The `--pcap` capture of the host sockets.
    capture: HostCapture,
}

/// The partition instance cutting traffic going `way` on `link`.
fn cut_by(faults: &Faults, way: Direction, link: &HostLink) -> Option<usize> {
    net_rule::cutting_partition(faults.set(), link, way)
}

/// The extra delay of one packet going `way` on `link` (every `net.latency` covering it).
fn delay(faults: &mut Faults, way: Direction, link: &HostLink) -> Duration {
    net_rule::latency(faults.set_mut(), link, way)
}

/// The release instant of an item joining `queue`: after its delay, and never before the one
/// queued last (first in, first out).
fn release_at<T>(queue: &VecDeque<(Instant, T)>, now: Instant, delay: Duration) -> Instant {
    let at = now + delay;
    queue.back().map_or(at, |(last, _)| at.max(*last))
}

fn conn_of(event: &NetEvent) -> Option<ConnId> {
    match event {
        NetEvent::Accepted { conn, .. }
        | NetEvent::Connected { conn, .. }
        | NetEvent::ConnectFailed { conn, .. }
        | NetEvent::Received { conn, .. }
        | NetEvent::PeerClosed { conn }
        | NetEvent::Failed { conn, .. } => Some(*conn),
        _ => None,
    }
}

impl FaultyNet {
    /// Wraps `inner`; `registry` is the loop's, for timers that end connections on their own.
    pub fn new(inner: HostNet, registry: Registry, boundary: Boundary) -> Self {
        FaultyNet {
            inner,
            registry,
            boundary,
            tracks: BTreeMap::new(),
            udp_in: VecDeque::new(),
            udp_out: VecDeque::new(),
            aborted: Vec::new(),
            udp_free: [Instant::ZERO; 2],
            capture: HostCapture::default(),
        }
    }

    /// Captures what crosses the host sockets from now on into `capture` (`--pcap`).
    pub fn set_capture(&mut self, capture: HostCapture) {
        self.capture = capture;
    }

    /// The boundary shared with the serial side (faults, trace).
    pub fn boundary(&self) -> &Boundary {
        &self.boundary
    }

    /// Carries out a network instruction of the device at `now`, through the faults.
    pub fn execute(
        &mut self,
        registry: &Registry,
        mut action: Action,
        now: Instant,
    ) -> Option<Action> {
        self.boundary.tracer.record(now, records::action(&action));
        if let Action::Send { conn, data } = &mut action {
            if !self.tls_faults(*conn, Direction::FromDevice, data, now) {
                return None;
            }
        }
        match &action {
            Action::Connect { conn, host, port } => {
                let conn = *conn;
                let t = self.tracks.entry(conn).or_insert_with(|| Track::new(now));
                t.target = Some(format!("{host}:{port}"));
                if self.connect_faults(conn) {
                    return None;
                }
                self.send_out(conn, action, now);
                None
            }
            Action::Send { conn, .. }
            | Action::Close { conn }
            | Action::SetKeepalive { conn, .. } => {
                let conn = *conn;
                match self.tracks.get_mut(&conn) {
                    None => self.host_execute(registry, action, now),
                    Some(t) if t.black_hole => {
                        // The host never heard of it: only the device's close matters.
                        if matches!(action, Action::Close { .. }) {
                            self.tracks.remove(&conn);
                        }
                        None
                    }
                    Some(t) => {
                        match &action {
                            Action::SetKeepalive { params, .. } => t.keepalive = Some(*params),
                            Action::Close { .. } => {
                                t.closed_by_device = true;
                                t.deadline = None;
                                let never_dialled = t
                                    .outbound
                                    .front()
                                    .is_some_and(|(_, a)| matches!(a, Action::Connect { .. }));
                                if never_dialled || t.dead {
                                    // The SYN never left, or the socket waits for its reset.
                                    t.outbound.clear();
                                    if !t.dead {
                                        self.tracks.remove(&conn);
                                    }
                                    return None;
                                }
                            }
                            _ if t.dead => return None,
                            _ => {}
                        }
                        self.send_out(conn, action, now);
                        None
                    }
                }
            }
            Action::SendTo {
                host, port, data, ..
            } => {
                let target = format!("{host}:{port}");
                let matches = HostLink {
                    addr: None,
                    target: Some(&target),
                };
                let mut faults = self.boundary.faults();
                if let Some(n) = cut_by(&faults, Direction::FromDevice, &matches) {
                    if let Some(c) = faults.counters(n) {
                        c.datagrams_dropped += 1;
                    }
                    drop(faults);
                    self.trace_dropped(now, &target, "out", "partition", data.len());
                    return None;
                }
                let free = &mut self.udp_free[packets::lane(Direction::FromDevice)];
                let fate = packets::datagram(
                    &mut faults,
                    &matches,
                    Direction::FromDevice,
                    data.len(),
                    free,
                    now,
                );
                drop(faults);
                let (d, copy) = match fate {
                    packets::Datagram::Lost(reason) => {
                        self.trace_dropped(now, &target, "out", reason, data.len());
                        return None;
                    }
                    packets::Datagram::Deliver(d, copy) => (d, copy),
                };
                if d.is_zero() && copy.is_none() && self.udp_out.is_empty() {
                    return self.host_execute(registry, action, now);
                }
                if let Some(after) = copy {
                    packets::schedule(&mut self.udp_out, now + after, action.clone());
                }
                packets::schedule(&mut self.udp_out, now + d, action);
                None
            }
            Action::Reset { conn } => {
                self.tracks.remove(conn);
                self.host_execute(registry, action, now)
            }
            _ => self.host_execute(registry, action, now),
        }
    }

    /// Sends a connection's instruction on, or holds it behind a partition or latency.
    fn send_out(&mut self, conn: ConnId, action: Action, now: Instant) {
        let Some(t) = self.tracks.get_mut(&conn) else {
            return;
        };
        let mut faults = self.boundary.faults();
        let matches = t.link();
        let cut = cut_by(&faults, Direction::FromDevice, &matches);
        let d = match &action {
            Action::SetKeepalive { .. } => Duration::ZERO,
            Action::Send { data, .. } => {
                let way = Direction::FromDevice;
                let mut free = t.free[packets::lane(way)];
                let seen =
                    packets::segment_delay(&mut faults, &matches, way, data.len(), &mut free, now);
                t.free[packets::lane(way)] = free;
                t.give_up_if(seen, now)
            }
            _ => delay(&mut faults, Direction::FromDevice, &matches),
        };
        drop(faults);
        if let Action::Send { data, .. } = &action {
            if cut.is_some() {
                if t.held_out + data.len() > MAX_HELD_OUT {
                    tracing::warn!(
                        ?conn,
                        bytes = data.len(),
                        "partition: send buffer full, data dropped"
                    );
                    return;
                }
                t.held_out += data.len();
                if t.unacked_since.is_none() {
                    t.unacked_since = Some(now);
                    if t.cut_since.is_some() {
                        let at = now + keepalive::retransmission_give_up();
                        t.deadline = Some((at, RETRANSMISSION_TIMEOUT));
                    }
                }
            }
        }
        if cut.is_none() && d.is_zero() && t.outbound.is_empty() {
            self.exec_conn(conn, action, now);
        } else {
            let at = release_at(&t.outbound, now, d);
            t.outbound.push_back((at, action));
        }
    }

    /// Hands a connection's instruction to the host sockets.
    fn exec_conn(&mut self, conn: ConnId, action: Action, now: Instant) {
        let closing = matches!(action, Action::Close { .. });
        if let (Action::Send { .. }, Some(t)) = (&action, self.tracks.get_mut(&conn)) {
            // On loopback the peer's ACK comes back at once: the connection was heard from.
            t.last_heard = now;
        }
        self.capture_out(&action, now);
        if let Some(rest) = self.inner.execute(&self.registry, action) {
            tracing::debug!(?rest, "action not handled by the host network");
        }
        if closing && self.tracks.get(&conn).is_some_and(|t| t.inbound.is_empty()) {
            self.tracks.remove(&conn);
        }
    }

    /// True while a `net.partition` for every peer cuts traffic both ways: the device's network
    /// interface counts as down (SNMP ifOperStatus, linkDown/linkUp traps).
    pub fn link_down(&self) -> bool {
        let faults = self.boundary.faults();
        let down = faults.active().any(|(_, i)| {
            matches!(i.spec.kind, FaultKind::NetPartition)
                && i.spec.peer.is_none()
                && i.spec.direction == Direction::Both
        });
        down
    }

    /// Network events for the device: the host's, through the faults, plus what the faults
    /// themselves decide (a keep-alive timeout, a reset) and what was held and is now due.
    pub fn take_events(&mut self, now: Instant) -> Vec<NetEvent> {
        self.boundary.update(now);
        let mut out = std::mem::take(&mut self.aborted);
        self.resets(now, &mut out);
        self.refresh_cuts(now);
        for event in self.inner.take_events() {
            self.capture_in(&event, now);
            self.route_in(event, now, &mut out);
        }
        self.release(now, &mut out);
        self.expire(now, &mut out);
        for e in &out {
            self.boundary.tracer.record(now, records::net_event(e));
        }
        out
    }

    fn route_in(&mut self, mut event: NetEvent, now: Instant, out: &mut Vec<NetEvent>) {
        if let NetEvent::Received { conn, data } = &mut event {
            if !self.tls_faults(*conn, Direction::ToDevice, data, now) {
                out.append(&mut self.aborted);
                return;
            }
        }
        if let NetEvent::Datagram { from, data, .. } = &event {
            let from = *from;
            let matches = HostLink {
                addr: Some(from),
                target: None,
            };
            let mut faults = self.boundary.faults();
            if let Some(n) = cut_by(&faults, Direction::ToDevice, &matches) {
                if let Some(c) = faults.counters(n) {
                    c.datagrams_dropped += 1;
                }
                drop(faults);
                self.trace_dropped(now, &from.to_string(), "in", "partition", data.len());
                return;
            }
            let free = &mut self.udp_free[packets::lane(Direction::ToDevice)];
            let way = Direction::ToDevice;
            let fate = packets::datagram(&mut faults, &matches, way, data.len(), free, now);
            drop(faults);
            match fate {
                packets::Datagram::Lost(reason) => {
                    self.trace_dropped(now, &from.to_string(), "in", reason, data.len());
                }
                packets::Datagram::Deliver(d, None) if d.is_zero() && self.udp_in.is_empty() => {
                    out.push(event);
                }
                packets::Datagram::Deliver(d, copy) => {
                    if let Some(after) = copy {
                        packets::schedule(&mut self.udp_in, now + after, event.clone());
                    }
                    packets::schedule(&mut self.udp_in, now + d, event);
                }
            }
            return;
        }
        let Some(conn) = conn_of(&event) else {
            out.push(event);
            return;
        };
        let t = self.tracks.entry(conn).or_insert_with(|| Track::new(now));
        match &event {
            NetEvent::Accepted { peer, .. } | NetEvent::Connected { peer, .. } => {
                t.addr = Some(*peer);
            }
            _ if t.dead => {
                // The device was told already; the socket waits for its reset.
                return;
            }
            _ => {}
        }
        let mut faults = self.boundary.faults();
        let matches = t.link();
        if matches!(event, NetEvent::Accepted { .. })
            && net_rule::refuse(faults.set_mut(), &matches)
        {
            // A refusing host answers the SYN with a reset: the peer's connect fails, the
            // device never hears of it.
            drop(faults);
            tracing::info!(?conn, "net.refuse: incoming connection reset");
            self.tracks.remove(&conn);
            self.capture.reset(now, conn, true);
            self.inner.abort(&self.registry, conn);
            return;
        }
        let cut = cut_by(&faults, Direction::ToDevice, &matches).is_some();
        let d = match &event {
            NetEvent::Received { data, .. } => {
                let way = Direction::ToDevice;
                let mut free = t.free[packets::lane(way)];
                let seen =
                    packets::segment_delay(&mut faults, &matches, way, data.len(), &mut free, now);
                t.free[packets::lane(way)] = free;
                t.give_up_if(seen, now)
            }
            _ => delay(&mut faults, Direction::ToDevice, &matches),
        };
        drop(faults);
        if !cut && d.is_zero() && t.inbound.is_empty() {
            self.deliver(conn, event, now, out);
        } else {
            if let NetEvent::Received { data, .. } = &event {
                t.held_in += data.len();
            }
            let at = release_at(&t.inbound, now, d);
            t.inbound.push_back((at, event));
        }
    }

    /// Hands an event to the device and notes what it says about the connection.
    fn deliver(&mut self, conn: ConnId, event: NetEvent, now: Instant, out: &mut Vec<NetEvent>) {
        let ended = matches!(
            event,
            NetEvent::Failed { .. } | NetEvent::ConnectFailed { .. }
        );
        if let Some(t) = self.tracks.get_mut(&conn) {
            t.last_heard = now;
        }
        if ended {
            self.tracks.remove(&conn);
        }
        out.push(event);
    }

    /// Lets through what was held and is due.
    fn release(&mut self, now: Instant, out: &mut Vec<NetEvent>) {
        let conns: Vec<ConnId> = self.tracks.keys().copied().collect();
        for conn in conns {
            while let Some(action) = self.due_out(conn, now) {
                self.exec_conn(conn, action, now);
            }
            while let Some(event) = self.due_in(conn, now) {
                self.deliver(conn, event, now, out);
            }
            if self.tracks.get(&conn).is_some_and(|t| {
                t.closed_by_device && t.outbound.is_empty() && t.inbound.is_empty() && !t.dead
            }) {
                self.tracks.remove(&conn);
            }
        }
        while self.udp_in.front().is_some_and(|(at, _)| *at <= now) {
            if let Some((_, e)) = self.udp_in.pop_front() {
                out.push(e);
            }
        }
        while self.udp_out.front().is_some_and(|(at, _)| *at <= now) {
            if let Some((_, a)) = self.udp_out.pop_front() {
                self.capture_out(&a, now);
                self.inner.execute(&self.registry, a);
            }
        }
    }

    fn due_out(&mut self, conn: ConnId, now: Instant) -> Option<Action> {
        let t = self.tracks.get_mut(&conn)?;
        let faults = self.boundary.faults();
        if cut_by(&faults, Direction::FromDevice, &t.link()).is_some() {
            return None;
        }
        drop(faults);
        if t.outbound.front().is_some_and(|(at, _)| *at <= now) {
            t.outbound.pop_front().map(|(_, a)| a)
        } else {
            None
        }
    }

    fn due_in(&mut self, conn: ConnId, now: Instant) -> Option<NetEvent> {
        let t = self.tracks.get_mut(&conn)?;
        let faults = self.boundary.faults();
        if cut_by(&faults, Direction::ToDevice, &t.link()).is_some() {
            return None;
        }
        drop(faults);
        if t.inbound.front().is_none_or(|(at, _)| *at > now) {
            return None;
        }
        let (_, e) = t.inbound.pop_front()?;
        if let NetEvent::Received { data, .. } = &e {
            t.held_in = t.held_in.saturating_sub(data.len());
        }
        Some(e)
    }

    fn trace_dropped(
        &self,
        now: Instant,
        peer: &str,
        dir: &'static str,
        reason: &'static str,
        len: usize,
    ) {
        self.boundary.tracer.record(
            now,
            TraceEvent::Dropped {
                peer: peer.to_owned(),
                dir,
                reason,
                flags: "udp".into(),
                len,
            },
        );
    }

    /// When the middleware must run again: a fault starts or ends, something held is due, a
    /// TCP timer runs out (`now` when something is due already).
    pub fn next_deadline(&self, now: Instant) -> Option<Instant> {
        let faults = self.boundary.faults();
        let mut next = faults.next_change();
        let mut consider = |t: Option<Instant>| {
            if let Some(t) = t {
                next = Some(next.map_or(t, |n| n.min(t)));
            }
        };
        for t in self.tracks.values() {
            consider(t.deadline.filter(|_| !t.dead).map(|(at, _)| at));
            let m = t.link();
            if cut_by(&faults, Direction::FromDevice, &m).is_none() {
                consider(t.outbound.front().map(|(at, _)| *at));
            }
            if cut_by(&faults, Direction::ToDevice, &m).is_none() {
                consider(t.inbound.front().map(|(at, _)| *at));
            }
        }
        consider(self.udp_in.front().map(|(at, _)| *at));
        consider(self.udp_out.front().map(|(at, _)| *at));
        if !self.aborted.is_empty() {
            consider(Some(now));
        }
        next
    }

    /// Handles readiness of a socket; bytes held for a connection count against its room.
    pub fn ready(&mut self, registry: &Registry, token: Token, room: &dyn Fn(ConnId) -> usize) {
        let tracks = &self.tracks;
        let room = |c: ConnId| room(c).saturating_sub(tracks.get(&c).map_or(0, |t| t.held_in));
        self.inner.ready(registry, token, &room);
    }

    /// Reads again from connections left unread for lack of room.
    pub fn retry_throttled(&mut self, registry: &Registry, room: &dyn Fn(ConnId) -> usize) {
        let tracks = &self.tracks;
        let room = |c: ConnId| room(c).saturating_sub(tracks.get(&c).map_or(0, |t| t.held_in));
        self.inner.retry_throttled(registry, &room);
    }

    /// Notices of the host network.
    pub fn take_notices(&mut self) -> Vec<HostNotice> {
        self.inner.take_notices()
    }

    /// Drops every socket (shutdown).
    pub fn close_all(&mut self, registry: &Registry) {
        self.inner.close_all(registry);
        self.tracks.clear();
    }

    /// Resets every connection and drops every listener at once (a power cut).
    pub fn abort_all(&mut self, registry: &Registry) {
        self.inner.abort_all(registry);
        self.tracks.clear();
    }
}

impl Deref for FaultyNet {
    type Target = HostNet;
    fn deref(&self) -> &HostNet {
        &self.inner
    }
}
