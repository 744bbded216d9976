//! UDP on the simulated links: the device's datagrams (UDP host mode) to the hosts around it
//! and theirs to the device's receiving port, with the same latency, bandwidth and faults as
//! TCP segments, but no repair: a lost datagram is gone, a duplicated one arrives twice.

use super::wire::{dir_label, way};
use super::{Ctx, HostKind, NetWake, Side, SimNet};
use crate::faults::net;
use crate::trace::{Bytes, TraceEvent};
use m2285_core::io::{ListenerId, Transport};
use m2285_core::NetEvent;
use std::net::{SocketAddr, SocketAddrV4};

/// The UDP port scripted peers send from.
pub const PEER_UDP_PORT: u16 = 5000;

/// A datagram on its way across a link.
#[derive(Clone, Debug)]
pub struct Datagram {
    host: usize,
    to: Side,
    src_port: u16,
    dst_port: u16,
    data: Vec<u8>,
}

impl SimNet {
    /// `SendTo`: the device sends a datagram from `listener`'s socket.
    pub(super) fn device_send_to(
        &mut self,
        ctx: &mut Ctx<'_>,
        listener: ListenerId,
        host: &str,
        port: u16,
        data: &[u8],
    ) {
        let src_port = self
            .listeners
            .iter()
            .find(|(_, (l, t))| *l == listener && *t == Transport::Udp)
            .map(|(p, _)| *p);
        let (Some(src_port), Some(index)) = (src_port, self.resolve(host)) else {
            return;
        };
        self.udp_transmit(
            ctx,
            Datagram {
                host: index,
                to: Side::Peer,
                src_port,
                dst_port: port,
                data: data.to_vec(),
            },
        );
    }

    /// The peer `name` sends a datagram to the device's UDP `port`.
    pub fn peer_send_udp(
        &mut self,
        ctx: &mut Ctx<'_>,
        name: &str,
        port: u16,
        data: &[u8],
    ) -> Result<(), String> {
        let index = self.host_index(name)?;
        ctx.trace.record(
            ctx.now,
            TraceEvent::PeerSend {
                peer: name.to_owned(),
                data: Bytes(data.to_vec()),
            },
        );
        self.udp_transmit(
            ctx,
            Datagram {
                host: index,
                to: Side::Device,
                src_port: PEER_UDP_PORT,
                dst_port: port,
                data: data.to_vec(),
            },
        );
        Ok(())
    }

    fn udp_transmit(&mut self, ctx: &mut Ctx<'_>, d: Datagram) {
        if d.to == Side::Peer {
            self.capture_udp(ctx, &d);
        }
        match self.cross_link(ctx, d.host, d.to, d.data.len(), false) {
            Ok((arrive, dup)) => {
                if let Some(at) = dup {
                    self.wakeups.push((at, NetWake::Datagram(d.clone())));
                }
                self.wakeups.push((arrive, NetWake::Datagram(d)));
            }
            Err(reason) => self.udp_dropped(ctx, &d, reason),
        }
    }

    fn udp_dropped(&mut self, ctx: &mut Ctx<'_>, d: &Datagram, reason: &'static str) {
        ctx.trace.record(
            ctx.now,
            TraceEvent::Dropped {
                peer: self.hosts[d.host].name.clone(),
                dir: dir_label(d.to),
                reason,
                flags: "udp".into(),
                len: d.data.len(),
            },
        );
    }

    pub(super) fn udp_arrive(&mut self, ctx: &mut Ctx<'_>, d: Datagram) {
        let name = self.hosts[d.host].name.clone();
        if net::partitioned(ctx.faults, &name, way(d.to)) {
            return self.udp_dropped(ctx, &d, "partition");
        }
        match d.to {
            Side::Peer => {
                if self.hosts[d.host].kind == HostKind::Unreachable {
                    return;
                }
                self.hosts[d.host].app.received.extend_from_slice(&d.data);
                ctx.trace.record(
                    ctx.now,
                    TraceEvent::PeerReceive {
                        peer: name,
                        data: Bytes(d.data),
                    },
                );
            }
            Side::Device => {
                if !self.device_on {
                    return self.udp_dropped(ctx, &d, "device off");
                }
                self.capture_udp(ctx, &d);
                match self.listeners.get(&d.dst_port) {
                    Some((listener, Transport::Udp)) => {
                        let from =
                            SocketAddr::V4(SocketAddrV4::new(self.hosts[d.host].ip, d.src_port));
                        self.to_device.push_back(NetEvent::Datagram {
                            listener: *listener,
                            from,
                            data: d.data,
                        });
                    }
                    _ => self.udp_dropped(ctx, &d, "port unreachable"),
                }
            }
        }
    }

    fn capture_udp(&mut self, ctx: &mut Ctx<'_>, d: &Datagram) {
        let host = &self.hosts[d.host];
        ctx.trace.record(
            ctx.now,
            TraceEvent::Datagram {
                peer: host.name.clone(),
                dir: dir_label(d.to),
                src_port: d.src_port,
                dst_port: d.dst_port,
                len: d.data.len(),
            },
        );
        if let Some(pcap) = &mut ctx.trace.pcap {
            let dev = self.device_ip;
            let (src, dst) = match d.to {
                Side::Peer => (
                    SocketAddrV4::new(dev, d.src_port),
                    SocketAddrV4::new(host.ip, d.dst_port),
                ),
                Side::Device => (
                    SocketAddrV4::new(host.ip, d.src_port),
                    SocketAddrV4::new(dev, d.dst_port),
                ),
            };
            pcap.udp(ctx.now, src, dst, &d.data);
        }
    }
}
