//! The simulated network: the device's Ethernet port, the hosts around it, the links between
//! them and the TCP connections on those links.
//!
//! It carries out the device's network [`Action`]s (listen, connect, send, close,
//! keep-alive) and produces the device's [`NetEvent`]s, with every packet crossing a link with
//! latency, jitter, a bandwidth limit and the active `net.*` faults. Scripted peers use it
//! through [`SimNet::peer_connect`], [`SimNet::peer_send`] and [`SimNet::peer_close`].
//!
//! It owns no clock and no queue: whatever must happen later goes into [`SimNet::wakeups`],
//! which the runtime moves into its scheduler and hands back through [`SimNet::wake`].

pub mod hosts;
mod notes;
pub mod segment;
pub mod tcp;
mod tls_link;
mod udp;
mod wire;

pub use hosts::{ConnKey, Host, HostKind, PeerApp, PeerState};

use crate::faults::FaultSet;
use crate::rng::SimRng;
use crate::trace::{Bytes, Trace, TraceEvent};
use m2285_core::io::{Action, ListenerId, Transport};
use m2285_core::{ConnId, NetEvent};
use m2285_time::Instant;
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::time::Duration;
use tcp::{Segment, Tcb};

/// The device's address and the properties of every link (faults add to them).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NetParams {
    /// The device's address (the real-time runtime's default `--ip` is 127.0.0.1 too).
    pub device_ip: Ipv4Addr,
    /// One-way delay.
    pub latency: Duration,
    /// Extra one-way delay drawn uniformly from `0..=jitter` per packet.
    pub jitter: Duration,
    /// Link rate in bits per second; `None` = unlimited.
    pub bits_per_s: Option<u64>,
    /// SYN retransmissions before a connect times out (Linux `tcp_syn_retries`: 6, 127 s).
    pub syn_retries: u32,
}

impl Default for NetParams {
    /// The device at 127.0.0.1 on a quiet 100 Mbit/s LAN: 100 µs one way, no jitter,
    /// Linux's 6 SYN retries.
    fn default() -> Self {
        NetParams {
            device_ip: Ipv4Addr::new(127, 0, 0, 1),
            latency: Duration::from_micros(100),
            jitter: Duration::ZERO,
            bits_per_s: Some(100_000_000),
            syn_retries: 6,
        }
    }
}

/// The two ends of a connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    /// The device's end.
    Device = 0,
    /// The simulated host's end.
    Peer = 1,
}

impl Side {
    fn other(self) -> Side {
        match self {
            Side::Device => Side::Peer,
            Side::Peer => Side::Device,
        }
    }
}

/// A segment on its way across a link.
#[derive(Clone, Debug)]
pub struct Packet {
    conn: ConnKey,
    to: Side,
    seg: Segment,
}

/// Something the network asked to be woken for.
#[derive(Clone, Debug)]
pub enum NetWake {
    /// A packet arrives.
    Arrive(Packet),
    /// A UDP datagram arrives.
    Datagram(udp::Datagram),
    /// A TCP end's timer (stale ones are ignored).
    Timer {
        /// The connection.
        conn: ConnKey,
        /// Which end.
        side: Side,
        /// The deadline it was set for.
        at: Instant,
    },
}

/// What the network needs from the rest of the simulation for one call.
pub struct Ctx<'a> {
    /// The current instant.
    pub now: Instant,
    /// The faults (their dice roll).
    pub faults: &'a mut FaultSet,
    /// The trace.
    pub trace: &'a mut Trace,
}

struct Conn {
    host: usize,
    origin: Side,
    dev_port: u16,
    peer_port: u16,
    iss: [u32; 2],
    tcb: [Option<Tcb>; 2],
    timer_at: [Option<Instant>; 2],
    dev_id: Option<ConnId>,
    listener: Option<ListenerId>,
    dev_connected: bool,
    dev_fin_delivered: bool,
    /// The TLS records seen on it (for the `tls.*` faults).
    tls: crate::faults::tls::TlsWatch,
    /// Sequence number up to which each way's payload was shown to `tls` (device → peer,
    /// peer → device), so retransmissions are not read twice.
    tls_scanned: [Option<u64>; 2],
}

/// The simulated network around the device.
pub struct SimNet {
    params: NetParams,
    device_ip: Ipv4Addr,
    hosts: Vec<Host>,
    conns: BTreeMap<ConnKey, Conn>,
    next_key: ConnKey,
    next_accept: u64,
    next_dev_port: u16,
    listeners: BTreeMap<u16, (ListenerId, Transport)>,
    by_dev_id: BTreeMap<ConnId, ConnKey>,
    dev_names: BTreeMap<ConnId, usize>,
    pending_rx: BTreeSet<ConnKey>,
    device_on: bool,
    jitter_rng: SimRng,
    iss_rng: SimRng,
    /// Wake-ups to schedule, in order.
    pub wakeups: Vec<(Instant, NetWake)>,
    /// Events for the device, in order.
    pub to_device: VecDeque<NetEvent>,
}

impl SimNet {
    /// A network with no hosts yet around the device.
    pub fn new(params: NetParams, seed: u64) -> Self {
        SimNet {
            params,
            device_ip: params.device_ip,
            hosts: Vec::new(),
            conns: BTreeMap::new(),
            next_key: 1,
            next_accept: 1,
            next_dev_port: 49152,
            listeners: BTreeMap::new(),
            by_dev_id: BTreeMap::new(),
            dev_names: BTreeMap::new(),
            pending_rx: BTreeSet::new(),
            device_on: true,
            jitter_rng: SimRng::new(seed, "net.jitter"),
            iss_rng: SimRng::new(seed, "tcp.iss"),
            wakeups: Vec::new(),
            to_device: VecDeque::new(),
        }
    }

    /// Adds a host; names and addresses must be unique.
    pub fn add_host(&mut self, name: &str, ip: Ipv4Addr, kind: HostKind) -> Result<(), String> {
        if self.hosts.iter().any(|h| h.name == name) {
            return Err(format!("a host called {name:?} already exists"));
        }
        if self.address_taken(ip) {
            return Err(format!("address {ip} is already taken"));
        }
        self.hosts.push(Host::new(name, ip, kind));
        Ok(())
    }

    /// True when `ip` is the device's or a host's address.
    pub fn address_taken(&self, ip: Ipv4Addr) -> bool {
        ip == self.device_ip || self.hosts.iter().any(|h| h.ip == ip)
    }

    /// The host called `name`.
    pub fn host(&self, name: &str) -> Option<&Host> {
        self.hosts.iter().find(|h| h.name == name)
    }

    fn host_index(&self, name: &str) -> Result<usize, String> {
        self.hosts
            .iter()
            .position(|h| h.name == name)
            .ok_or_else(|| format!("no simulated host called {name:?}"))
    }

    /// The device's address.
    pub fn device_ip(&self) -> Ipv4Addr {
        self.device_ip
    }

    /// The port the device listens on for `listener`, if it does.
    pub fn listening_port(&self, listener: ListenerId) -> Option<u16> {
        self.listeners
            .iter()
            .find(|(_, (l, _))| *l == listener)
            .map(|(p, _)| *p)
    }

    /// The host at the other end of the device's connection `conn` (also after it closed).
    pub fn peer_of(&self, conn: ConnId) -> Option<&str> {
        self.dev_names
            .get(&conn)
            .and_then(|&h| self.hosts.get(h))
            .map(|h| h.name.as_str())
    }

    /// Marks expectation progress: `n` more bytes of `name`'s received data are consumed.
    pub fn consume(&mut self, name: &str, upto: usize) {
        if let Some(h) = self.hosts.iter_mut().find(|h| h.name == name) {
            h.app.cursor = upto.min(h.app.received.len());
        }
    }

    /// Carries out a network action of the device; returns false for actions that are not
    /// the network's.
    pub fn device_action(&mut self, ctx: &mut Ctx<'_>, action: &Action) -> bool {
        match action {
            Action::Listen {
                listener,
                transport,
                port,
            } => {
                let taken = self.listeners.get(port).is_some_and(|(l, _)| l != listener);
                if taken {
                    self.to_device.push_back(NetEvent::ListenFailed {
                        listener: *listener,
                        reason: format!("port {port} is in use"),
                    });
                } else {
                    self.listeners.retain(|_, (l, _)| l != listener);
                    self.listeners.insert(*port, (*listener, *transport));
                    self.to_device.push_back(NetEvent::Listening {
                        listener: *listener,
                        port: *port,
                    });
                }
            }
            Action::Unlisten { listener } => self.listeners.retain(|_, (l, _)| l != listener),
            Action::Connect { conn, host, port } => self.device_connect(ctx, *conn, host, *port),
            Action::Send { conn, data } => {
                if let Some(key) = self.by_dev_id.get(conn).copied() {
                    self.with_tcb(ctx, key, Side::Device, |tcb, now, out| {
                        tcb.send(data, now, out);
                    });
                }
            }
            Action::Close { conn } => {
                if let Some(key) = self.by_dev_id.remove(conn) {
                    self.pending_rx.remove(&key);
                    self.with_tcb(ctx, key, Side::Device, |tcb, now, out| {
                        tcb.close(now, out);
                    });
                }
            }
            Action::Reset { conn } => {
                if let Some(key) = self.by_dev_id.remove(conn) {
                    self.pending_rx.remove(&key);
                    self.reset_conn(ctx, key);
                }
            }
            Action::SendTo {
                listener,
                host,
                port,
                data,
            } => self.device_send_to(ctx, *listener, host, *port, data),
            Action::SetKeepalive { conn, params } => {
                if let Some(key) = self.by_dev_id.get(conn).copied() {
                    self.with_tcb(ctx, key, Side::Device, |tcb, _, _| {
                        tcb.set_keepalive(*params);
                    });
                }
            }
            _ => return false,
        }
        true
    }

    /// The host a device action names (an address or a host name); an address no host has
    /// becomes a black hole. `None` for an unknown name.
    fn resolve(&mut self, host: &str) -> Option<usize> {
        match host.parse::<Ipv4Addr>() {
            Ok(ip) => Some(match self.hosts.iter().position(|h| h.ip == ip) {
                Some(i) => i,
                None => {
                    self.hosts
                        .push(Host::new(&ip.to_string(), ip, HostKind::Unreachable));
                    self.hosts.len() - 1
                }
            }),
            Err(_) => self.hosts.iter().position(|h| h.name == host),
        }
    }

    fn device_connect(&mut self, ctx: &mut Ctx<'_>, conn: ConnId, host: &str, port: u16) {
        let Some(index) = self.resolve(host) else {
            self.to_device.push_back(NetEvent::ConnectFailed {
                conn,
                reason: format!("host not found: {host}"),
            });
            return;
        };
        let dev_port = self.next_dev_port;
        self.next_dev_port = self.next_dev_port.checked_add(1).unwrap_or(49152);
        let key = self.new_conn(index, Side::Device, dev_port, port);
        if let Some(c) = self.conns.get_mut(&key) {
            c.dev_id = Some(conn);
        }
        self.by_dev_id.insert(conn, key);
        self.dev_names.insert(conn, index);
        let mut out = Vec::new();
        let tcb = Tcb::connect(ctx.now, self.params.syn_retries, &mut out);
        self.install(ctx, key, Side::Device, tcb, out);
    }

    fn new_conn(&mut self, host: usize, origin: Side, dev_port: u16, peer_port: u16) -> ConnKey {
        let key = self.next_key;
        self.next_key += 1;
        let iss = [self.iss_rng.next_u32(), self.iss_rng.next_u32()];
        self.conns.insert(
            key,
            Conn {
                host,
                origin,
                dev_port,
                peer_port,
                iss,
                tcb: [None, None],
                timer_at: [None, None],
                dev_id: None,
                listener: None,
                dev_connected: false,
                dev_fin_delivered: false,
                tls: Default::default(),
                tls_scanned: [None; 2],
            },
        );
        key
    }

    /// The peer `name` connects to the device's TCP `port`.
    pub fn peer_connect(&mut self, ctx: &mut Ctx<'_>, name: &str, port: u16) -> Result<(), String> {
        let index = self.host_index(name)?;
        let host = &mut self.hosts[index];
        if matches!(host.app.state, PeerState::Connecting | PeerState::Connected) {
            return Err(format!("peer {name:?} is already {}", host.app.state));
        }
        let peer_port = host.ephemeral_port();
        let key = self.new_conn(index, Side::Peer, port, peer_port);
        self.set_peer_state(ctx, index, Some(key), PeerState::Connecting);
        let mut out = Vec::new();
        let tcb = Tcb::connect(ctx.now, self.params.syn_retries, &mut out);
        self.install(ctx, key, Side::Peer, tcb, out);
        Ok(())
    }

    fn live_peer_conn(&self, name: &str) -> Result<(usize, ConnKey), String> {
        let index = self.host_index(name)?;
        let app = &self.hosts[index].app;
        match (app.state, app.conn) {
            (PeerState::Connected, Some(key)) => Ok((index, key)),
            (state, _) => Err(format!("peer {name:?} is not connected (it is {state})")),
        }
    }

    /// The peer `name` sends `data` on its connection.
    pub fn peer_send(&mut self, ctx: &mut Ctx<'_>, name: &str, data: &[u8]) -> Result<(), String> {
        let (_, key) = self.live_peer_conn(name)?;
        ctx.trace.record(
            ctx.now,
            TraceEvent::PeerSend {
                peer: name.to_owned(),
                data: Bytes(data.to_vec()),
            },
        );
        self.with_tcb(ctx, key, Side::Peer, |tcb, now, out| {
            tcb.send(data, now, out)
        });
        Ok(())
    }

    /// The peer `name` closes its connection (a FIN after its queued data).
    pub fn peer_close(&mut self, ctx: &mut Ctx<'_>, name: &str) -> Result<(), String> {
        let (index, key) = self.live_peer_conn(name)?;
        self.with_tcb(ctx, key, Side::Peer, |tcb, now, out| tcb.close(now, out));
        self.set_peer_state(ctx, index, Some(key), PeerState::Closed);
        Ok(())
    }

    /// `net.reset`: every open connection on `peer`'s link (or on every link) is reset; both
    /// ends learn it at once.
    pub fn reset_links(&mut self, ctx: &mut Ctx<'_>, peer: Option<&str>) {
        let keys: Vec<ConnKey> = self
            .conns
            .iter()
            .filter(|(_, c)| peer.is_none_or(|p| self.hosts[c.host].name == p))
            .map(|(k, _)| *k)
            .collect();
        for key in keys {
            self.reset_conn(ctx, key);
        }
    }

    /// Resets both ends of connection `key`; both learn it at once.
    fn reset_conn(&mut self, ctx: &mut Ctx<'_>, key: ConnKey) {
        for side in [Side::Device, Side::Peer] {
            let open = self
                .conns
                .get(&key)
                .and_then(|c| c.tcb[side as usize].as_ref());
            if open.is_some_and(|t| t.state != tcp::State::Closed) {
                self.with_tcb_notes(ctx, key, side, |tcb, _, _, notes| {
                    tcb.abort();
                    notes.push(tcp::Note::Reset);
                });
            }
        }
    }

    /// The device loses power: its ends of every connection and its listeners vanish
    /// silently. Peers find out when their next packet is answered with a reset.
    pub fn power_off(&mut self) {
        self.device_on = false;
        for c in self.conns.values_mut() {
            c.tcb[Side::Device as usize] = None;
            c.timer_at[Side::Device as usize] = None;
            c.dev_id = None;
        }
        self.listeners.clear();
        self.by_dev_id.clear();
        self.pending_rx.clear();
    }

    /// The device is powered again (its firmware will ask to listen again).
    pub fn power_on(&mut self) {
        self.device_on = true;
    }

    fn peer_addr(&self, c: &Conn) -> SocketAddr {
        SocketAddr::V4(SocketAddrV4::new(self.hosts[c.host].ip, c.peer_port))
    }
}
