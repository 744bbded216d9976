//! Packets on the links: sending with latency, bandwidth and faults, arrival at either end,
//! TCP timers, and the capture at the device's port.

use super::{Conn, ConnKey, Ctx, HostKind, NetWake, Packet, Side, SimNet};
use crate::faults::{net, Direction};
use crate::network::tcp::{self, Note, Segment, Tcb};
use crate::trace::pcap::TcpFrame;
use crate::trace::TraceEvent;
use m2285_core::io::{ListenerId, Transport};
use m2285_time::Instant;
use std::net::SocketAddrV4;

pub(super) fn way(to: Side) -> Direction {
    match to {
        Side::Device => Direction::ToDevice,
        Side::Peer => Direction::FromDevice,
    }
}

pub(super) fn dir_label(to: Side) -> &'static str {
    match to {
        Side::Device => "in",
        Side::Peer => "out",
    }
}

impl SimNet {
    /// Handles a wake-up the runtime scheduled for us.
    pub fn wake(&mut self, ctx: &mut Ctx<'_>, wake: NetWake) {
        match wake {
            NetWake::Arrive(p) => self.arrive(ctx, p),
            NetWake::Datagram(d) => self.udp_arrive(ctx, d),
            NetWake::Timer { conn, side, at } => {
                let Some(c) = self.conns.get_mut(&conn) else {
                    return;
                };
                if c.timer_at[side as usize] != Some(at) {
                    return;
                }
                c.timer_at[side as usize] = None;
                self.with_tcb_notes(ctx, conn, side, |tcb, now, out, notes| {
                    tcb.on_timer(now, out, notes);
                });
            }
        }
    }

    /// Puts a new TCP end in place and sends what it produced.
    pub(super) fn install(
        &mut self,
        ctx: &mut Ctx<'_>,
        key: ConnKey,
        side: Side,
        tcb: Tcb,
        out: Vec<Segment>,
    ) {
        if let Some(c) = self.conns.get_mut(&key) {
            c.tcb[side as usize] = Some(tcb);
        }
        for seg in out {
            self.transmit(ctx, key, side, seg);
        }
        self.arm(key, side);
    }

    /// Runs `f` on one end, then sends its segments and arms its timer.
    pub(super) fn with_tcb(
        &mut self,
        ctx: &mut Ctx<'_>,
        key: ConnKey,
        side: Side,
        f: impl FnOnce(&mut Tcb, Instant, &mut Vec<Segment>),
    ) {
        self.with_tcb_notes(ctx, key, side, |tcb, now, out, _| f(tcb, now, out));
    }

    /// Runs `f` on one end, then sends its segments, acts on its notes and arms its timer.
    pub(super) fn with_tcb_notes(
        &mut self,
        ctx: &mut Ctx<'_>,
        key: ConnKey,
        side: Side,
        f: impl FnOnce(&mut Tcb, Instant, &mut Vec<Segment>, &mut Vec<Note>),
    ) {
        let Some(tcb) = self
            .conns
            .get_mut(&key)
            .and_then(|c| c.tcb[side as usize].as_mut())
        else {
            return;
        };
        let mut out = Vec::new();
        let mut notes = Vec::new();
        f(tcb, ctx.now, &mut out, &mut notes);
        for seg in out {
            self.transmit(ctx, key, side, seg);
        }
        self.handle_notes(ctx, key, side, notes);
        self.arm(key, side);
        self.maybe_remove(key);
    }

    /// Schedules the end's next timer if it changed.
    fn arm(&mut self, key: ConnKey, side: Side) {
        let Some(c) = self.conns.get_mut(&key) else {
            return;
        };
        let deadline = c.tcb[side as usize].as_ref().and_then(Tcb::next_deadline);
        if deadline != c.timer_at[side as usize] {
            c.timer_at[side as usize] = deadline;
            if let Some(at) = deadline {
                self.wakeups.push((
                    at,
                    NetWake::Timer {
                        conn: key,
                        side,
                        at,
                    },
                ));
            }
        }
    }

    fn maybe_remove(&mut self, key: ConnKey) {
        let done = self.conns.get(&key).is_some_and(|c| {
            c.tcb
                .iter()
                .all(|t| t.as_ref().is_none_or(|t| t.state == tcp::State::Closed))
        });
        if done {
            self.conns.remove(&key);
            self.pending_rx.remove(&key);
        }
    }

    /// Sends `seg` from `from` across the link: faults, bandwidth, latency, jitter.
    pub(super) fn transmit(
        &mut self,
        ctx: &mut Ctx<'_>,
        key: ConnKey,
        from: Side,
        mut seg: Segment,
    ) {
        let Some(c) = self.conns.get(&key) else {
            return;
        };
        let host = c.host;
        let to = from.other();
        if !seg.data.is_empty() && self.tls_faults(ctx, key, to, &mut seg) {
            return;
        }
        if from == Side::Device {
            self.capture(ctx, key, from, &seg);
        }
        let is_syn = seg.flags.syn && !seg.flags.ack;
        let (arrive, dup) = match self.cross_link(ctx, host, to, seg.data.len(), is_syn) {
            Ok(times) => times,
            Err(reason) => {
                ctx.trace.record(
                    ctx.now,
                    TraceEvent::Dropped {
                        peer: self.hosts[host].name.clone(),
                        dir: dir_label(to),
                        reason,
                        flags: seg.flags.label(),
                        len: seg.data.len(),
                    },
                );
                return;
            }
        };
        if let Some(at) = dup {
            let copy = Packet {
                conn: key,
                to,
                seg: seg.clone(),
            };
            self.wakeups.push((at, NetWake::Arrive(copy)));
        }
        let packet = Packet { conn: key, to, seg };
        self.wakeups.push((arrive, NetWake::Arrive(packet)));
    }

    /// Takes a packet of `payload` bytes across `host`'s link towards `to`: the faults decide
    /// its fate, the bandwidth limit when it leaves, latency and jitter when it arrives.
    /// Returns the arrival time (and a duplicate's), or why it was lost.
    pub(super) fn cross_link(
        &mut self,
        ctx: &mut Ctx<'_>,
        host: usize,
        to: Side,
        payload: usize,
        is_syn: bool,
    ) -> Result<(Instant, Option<Instant>), &'static str> {
        let name = self.hosts[host].name.clone();
        let fate = net::packet_fate(ctx.faults, &name, way(to), is_syn);
        if let Some(reason) = fate.dropped {
            return Err(reason);
        }
        let limit = match (
            self.params.bits_per_s,
            net::bandwidth(ctx.faults, &name, way(to)),
        ) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let depart = match limit {
            Some(bps) => {
                let free = &mut self.hosts[host].link_free[usize::from(to == Side::Peer)];
                net::pace(free, ctx.now, payload as u64 + net::HEADER_BYTES, bps)
            }
            None => ctx.now,
        };
        let jitter = self.jitter_rng.duration_up_to(self.params.jitter);
        let arrive = depart + self.params.latency + jitter + fate.extra_delay;
        Ok((arrive, fate.duplicate_after.map(|d| arrive + d)))
    }

    fn arrive(&mut self, ctx: &mut Ctx<'_>, p: Packet) {
        let Some(c) = self.conns.get(&p.conn) else {
            return;
        };
        let host = c.host;
        let name = self.hosts[host].name.clone();
        let drop = if net::partitioned(ctx.faults, &name, way(p.to)) {
            Some("partition")
        } else if p.to == Side::Device && !self.device_on {
            Some("device off")
        } else {
            None
        };
        if let Some(reason) = drop {
            ctx.trace.record(
                ctx.now,
                TraceEvent::Dropped {
                    peer: name,
                    dir: dir_label(p.to),
                    reason,
                    flags: p.seg.flags.label(),
                    len: p.seg.data.len(),
                },
            );
            return;
        }
        if p.to == Side::Device {
            self.capture(ctx, p.conn, Side::Peer, &p.seg);
        }
        let side = p.to;
        let has_tcb = self
            .conns
            .get(&p.conn)
            .is_some_and(|c| c.tcb[side as usize].is_some());
        if has_tcb {
            self.with_tcb_notes(ctx, p.conn, side, |tcb, now, out, notes| {
                tcb.on_segment(p.seg, now, out, notes);
            });
            return;
        }
        let flags = p.seg.flags;
        let blackhole = side == Side::Peer && self.hosts[host].kind == HostKind::Unreachable;
        if flags.syn && !flags.ack && !flags.rst {
            if let Some(listener) = self.accepts(ctx, p.conn, side, &name) {
                if let Some(c) = self.conns.get_mut(&p.conn) {
                    c.listener = listener;
                }
                let mut out = Vec::new();
                let tcb = Tcb::accept(ctx.now, &mut out);
                self.install(ctx, p.conn, side, tcb, out);
                return;
            }
        }
        if !flags.rst && !blackhole {
            self.transmit(ctx, p.conn, side, Tcb::reset_reply(&p.seg));
        }
        self.maybe_remove(p.conn);
    }

    /// Whether a SYN arriving at `side` finds a listening socket there (and no `net.refuse`);
    /// `Some(listener)` for the device's listeners, `Some(None)` for a simulated server.
    fn accepts(
        &mut self,
        ctx: &mut Ctx<'_>,
        key: ConnKey,
        side: Side,
        name: &str,
    ) -> Option<Option<ListenerId>> {
        let c = self.conns.get(&key)?;
        let listening = match side {
            Side::Device => match self.listeners.get(&c.dev_port) {
                Some((l, Transport::Tcp)) => Some(Some(*l)),
                _ => None,
            },
            Side::Peer => match self.hosts[c.host].kind {
                HostKind::Server { port } if port == c.peer_port => Some(None),
                _ => None,
            },
        };
        if listening.is_some() && net::refuse(ctx.faults, name) {
            return None;
        }
        listening
    }

    /// Records a segment at the device's port: a trace line and a pcap frame.
    fn capture(&mut self, ctx: &mut Ctx<'_>, key: ConnKey, from: Side, seg: &Segment) {
        let Some(c) = self.conns.get(&key) else {
            return;
        };
        let host = &self.hosts[c.host];
        ctx.trace.record(
            ctx.now,
            TraceEvent::Packet {
                peer: host.name.clone(),
                dir: dir_label(from.other()),
                flags: seg.flags.label(),
                seq: seg.seq,
                ack: seg.ack,
                len: seg.data.len(),
            },
        );
        if let Some(pcap) = &mut ctx.trace.pcap {
            let frame = frame(self.device_ip, host.ip, c, from, seg);
            pcap.tcp(ctx.now, &frame);
        }
    }
}

fn frame<'a>(
    device_ip: std::net::Ipv4Addr,
    peer_ip: std::net::Ipv4Addr,
    c: &Conn,
    from: Side,
    seg: &'a Segment,
) -> TcpFrame<'a> {
    let dev = SocketAddrV4::new(device_ip, c.dev_port);
    let peer = SocketAddrV4::new(peer_ip, c.peer_port);
    let (src, dst) = match from {
        Side::Device => (dev, peer),
        Side::Peer => (peer, dev),
    };
    TcpFrame {
        src,
        dst,
        seq: c.iss[from as usize].wrapping_add(seg.seq as u32),
        ack: c.iss[from.other() as usize].wrapping_add(seg.ack as u32),
        flags: seg.flags,
        data: &seg.data,
    }
}
