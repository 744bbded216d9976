//! One device's sockets on the host, driven by a shared `mio::Poll`.

use crate::conn::Conn;
use crate::tokens::TokenSpace;
use m2285_core::io::{Action, ConnId, KeepaliveParams, ListenerId, NetEvent, Transport};
use mio::net::{TcpListener, TcpStream, UdpSocket};
use mio::{Interest, Registry, Token};
use std::collections::{BTreeMap, HashMap};
use std::io;
use std::net::{IpAddr, SocketAddr};

/// Bytes queued for one peer above which the network counts as congested (see
/// [`HostNet::congested`]).
pub const CONGESTED_UNSENT: usize = 256 * 1024;

/// Things the network layer did that users and tests may want to see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostNotice {
    /// Keep-alive was applied; the values are read back from the socket.
    KeepaliveApplied {
        /// The connection.
        conn: ConnId,
        /// What getsockopt returned.
        params: KeepaliveParams,
    },
    /// Data for a peer that does not read was dropped.
    SendOverflow {
        /// The connection.
        conn: ConnId,
        /// Bytes dropped.
        bytes: usize,
    },
}

/// Counters of the host network layer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NetStats {
    /// Bytes dropped because a peer did not read (see `conn::MAX_UNSENT`).
    pub send_overflow_bytes: u64,
    /// UDP datagrams handed to the host.
    pub datagrams_sent: u64,
    /// UDP datagrams the host refused (no route, name not loopback, ...).
    pub datagrams_not_sent: u64,
}

enum Endpoint {
    Listener(ListenerId),
    Udp(ListenerId),
    Conn(ConnId),
}

/// The host sockets of one device.
pub struct HostNet {
    ip: IpAddr,
    free_ports: bool,
    tokens: TokenSpace,
    next_token: usize,
    next_accept: u64,
    listeners: BTreeMap<ListenerId, (TcpListener, Token)>,
    udp: BTreeMap<ListenerId, (UdpSocket, Token)>,
    conns: BTreeMap<ConnId, (Conn, Token)>,
    by_token: HashMap<Token, Endpoint>,
    events: Vec<NetEvent>,
    notices: Vec<HostNotice>,
    /// With `free_ports`: the port each listener got first, asked for again when it listens
    /// anew (after a reboot), so a device keeps its ports for the whole run.
    picked: BTreeMap<(ListenerId, bool), u16>,
    /// Counters.
    pub stats: NetStats,
}

impl HostNet {
    /// Sockets bound to `ip` (a loopback address), in the token space `tokens`. With
    /// `free_ports`, listeners bind to free ports instead of the configured numbers.
    pub fn new(ip: IpAddr, free_ports: bool, tokens: TokenSpace) -> Self {
        HostNet {
            ip,
            free_ports,
            tokens,
            next_token: TokenSpace::RESERVED,
            next_accept: 1,
            listeners: BTreeMap::new(),
            udp: BTreeMap::new(),
            conns: BTreeMap::new(),
            by_token: HashMap::new(),
            events: Vec::new(),
            notices: Vec::new(),
            picked: BTreeMap::new(),
            stats: NetStats::default(),
        }
    }

    /// The device's own address of connection `conn`, while its socket is open (for a capture
    /// of the host sockets).
    pub fn local_addr(&self, conn: ConnId) -> Option<SocketAddr> {
        let (c, _) = self.conns.get(&conn)?;
        c.stream.local_addr().ok()
    }

    /// The device's own address of the UDP socket of `listener`, while it is open.
    pub fn udp_local_addr(&self, listener: ListenerId) -> Option<SocketAddr> {
        let (s, _) = self.udp.get(&listener)?;
        s.local_addr().ok()
    }

    /// True when `token` is one of this layer's sockets.
    pub fn owns(&self, token: Token) -> bool {
        self.by_token.contains_key(&token)
    }

    /// Carries out a network action. Actions that are not for the network are handed back.
    pub fn execute(&mut self, registry: &Registry, action: Action) -> Option<Action> {
        match action {
            Action::Listen {
                listener,
                transport: Transport::Tcp,
                port,
            } => self.listen(registry, listener, port),
            Action::Listen {
                listener,
                transport: Transport::Udp,
                port,
            } => self.bind_udp(registry, listener, port),
            Action::Unlisten { listener } => {
                if let Some((mut l, token)) = self.listeners.remove(&listener) {
                    let _ = registry.deregister(&mut l);
                    self.by_token.remove(&token);
                }
                if let Some((mut u, token)) = self.udp.remove(&listener) {
                    let _ = registry.deregister(&mut u);
                    self.by_token.remove(&token);
                }
            }
            Action::SendTo {
                listener,
                host,
                port,
                data,
            } => self.send_to(listener, &host, port, &data),
            Action::Connect { conn, host, port } => self.connect(registry, conn, &host, port),
            Action::Send { conn, data } => self.send(registry, conn, &data),
            Action::Close { conn } => {
                if let Some((c, _)) = self.conns.get_mut(&conn) {
                    c.closing = true;
                }
                self.reap(registry, conn);
            }
            Action::Reset { conn } => self.abort(registry, conn),
            Action::SetKeepalive { conn, params } => {
                if let Some((c, _)) = self.conns.get(&conn) {
                    match c.set_keepalive(params) {
                        Ok(params) => self
                            .notices
                            .push(HostNotice::KeepaliveApplied { conn, params }),
                        Err(e) => tracing::warn!(?conn, "cannot set keep-alive: {e}"),
                    }
                }
            }
            other => return Some(other),
        }
        None
    }

    /// Handles readiness of one of this layer's sockets. `room` tells how many bytes the device
    /// takes from a connection now.
    pub fn ready(&mut self, registry: &Registry, token: Token, room: &dyn Fn(ConnId) -> usize) {
        match self.by_token.get(&token) {
            Some(Endpoint::Listener(id)) => {
                let id = *id;
                self.accept_all(registry, id);
            }
            Some(Endpoint::Udp(id)) => {
                let id = *id;
                self.receive_datagrams(id);
            }
            Some(Endpoint::Conn(conn)) => {
                let conn = *conn;
                self.conn_ready(registry, conn, room);
            }
            None => {}
        }
    }

    /// Reads again from connections that were left unread for lack of room.
    pub fn retry_throttled(&mut self, registry: &Registry, room: &dyn Fn(ConnId) -> usize) {
        let throttled: Vec<ConnId> = self
            .conns
            .iter()
            .filter(|(_, (c, _))| c.throttled)
            .map(|(id, _)| *id)
            .collect();
        for conn in throttled {
            if room(conn) > 0 {
                self.read(registry, conn, room);
            }
        }
    }

    /// True when some peer is slow to read: more than [`CONGESTED_UNSENT`] bytes wait for it.
    /// The runtime then stops reading the serial side, so a fast serial writer is held back
    /// (as by a full TCP window on the real device) instead of data being dropped.
    pub fn congested(&self) -> bool {
        self.conns
            .values()
            .any(|(c, _)| c.unsent.len() > CONGESTED_UNSENT)
    }

    /// True when some throttled connection now has room to be read further.
    pub fn throttled_with_room(&self, room: &dyn Fn(ConnId) -> usize) -> bool {
        self.conns
            .iter()
            .any(|(id, (c, _))| c.throttled && room(*id) > 0)
    }

    /// True when some connection waits for room to be read further.
    pub fn has_throttled(&self) -> bool {
        self.conns.values().any(|(c, _)| c.throttled)
    }

    /// Network events produced since the last call, in order.
    pub fn take_events(&mut self) -> Vec<NetEvent> {
        std::mem::take(&mut self.events)
    }

    /// Notices produced since the last call.
    pub fn take_notices(&mut self) -> Vec<HostNotice> {
        std::mem::take(&mut self.notices)
    }

    /// Resets connection `conn` at once (SO_LINGER 0, so the peer gets RST rather than FIN) and
    /// forgets it; unsent bytes are discarded and no event follows. For a runtime that has
    /// already told the device the connection died (e.g. a keep-alive timeout it emulates).
    pub fn abort(&mut self, registry: &Registry, conn: ConnId) {
        if let Some((c, _)) = self.conns.get(&conn) {
            let _ = socket2::SockRef::from(&c.stream).set_linger(Some(std::time::Duration::ZERO));
        }
        self.drop_conn(registry, conn);
    }

    /// Drops every socket at once as a power cut would: connections are reset (SO_LINGER 0,
    /// the peer gets RST), listeners vanish (connections are refused), nothing is flushed.
    pub fn abort_all(&mut self, registry: &Registry) {
        for (c, _) in self.conns.values() {
            let _ = socket2::SockRef::from(&c.stream).set_linger(Some(std::time::Duration::ZERO));
        }
        for (_, (mut c, _)) in std::mem::take(&mut self.conns) {
            let _ = registry.deregister(&mut c.stream);
        }
        for (_, (mut l, _)) in std::mem::take(&mut self.listeners) {
            let _ = registry.deregister(&mut l);
        }
        for (_, (mut u, _)) in std::mem::take(&mut self.udp) {
            let _ = registry.deregister(&mut u);
        }
        self.by_token.clear();
        self.events.clear();
    }

    /// The host port to bind for `listener`: the configured one, or with `free_ports` the one
    /// it got before (0 the first time: any free port).
    fn port_for(&self, listener: ListenerId, udp: bool, configured: u16) -> u16 {
        if self.free_ports {
            self.picked.get(&(listener, udp)).copied().unwrap_or(0)
        } else {
            configured
        }
    }

    /// Drops every socket (shutdown).
    pub fn close_all(&mut self, registry: &Registry) {
        for (_, (mut c, _)) in std::mem::take(&mut self.conns) {
            let _ = c.flush();
            let _ = registry.deregister(&mut c.stream);
        }
        for (_, (mut l, _)) in std::mem::take(&mut self.listeners) {
            let _ = registry.deregister(&mut l);
        }
        for (_, (mut u, _)) in std::mem::take(&mut self.udp) {
            let _ = registry.deregister(&mut u);
        }
        self.by_token.clear();
    }

    fn token(&mut self, endpoint: Endpoint) -> Token {
        let token = self.tokens.reserved(self.next_token);
        self.next_token += 1;
        self.by_token.insert(token, endpoint);
        token
    }

    fn listen(&mut self, registry: &Registry, listener: ListenerId, port: u16) {
        let wanted = self.port_for(listener, false, port);
        let mut addr = SocketAddr::new(self.ip, wanted);
        let bound = TcpListener::bind(addr).or_else(|e| {
            if self.free_ports && wanted != 0 {
                // The port this device had is taken meanwhile: any free one then.
                addr.set_port(0);
                TcpListener::bind(addr)
            } else {
                Err(e)
            }
        });
        let result = bound.and_then(|mut l| {
            let actual = l.local_addr()?.port();
            let token = self.token(Endpoint::Listener(listener));
            registry.register(&mut l, token, Interest::READABLE)?;
            self.listeners.insert(listener, (l, token));
            Ok(actual)
        });
        if let Ok(actual) = result {
            self.picked.insert((listener, false), actual);
        }
        self.events.push(match result {
            Ok(port) => NetEvent::Listening { listener, port },
            Err(e) => NetEvent::ListenFailed {
                listener,
                reason: format!("cannot listen on {addr}: {e}"),
            },
        });
    }

    fn bind_udp(&mut self, registry: &Registry, listener: ListenerId, port: u16) {
        let wanted = self.port_for(listener, true, port);
        let mut addr = SocketAddr::new(self.ip, wanted);
        let bound = UdpSocket::bind(addr).or_else(|e| {
            if self.free_ports && wanted != 0 {
                addr.set_port(0);
                UdpSocket::bind(addr)
            } else {
                Err(e)
            }
        });
        let result = bound.and_then(|mut u| {
            let actual = u.local_addr()?.port();
            let token = self.token(Endpoint::Udp(listener));
            registry.register(&mut u, token, Interest::READABLE)?;
            self.udp.insert(listener, (u, token));
            Ok(actual)
        });
        if let Ok(actual) = result {
            self.picked.insert((listener, true), actual);
        }
        self.events.push(match result {
            Ok(port) => NetEvent::Listening { listener, port },
            Err(e) => NetEvent::ListenFailed {
                listener,
                reason: format!("cannot bind UDP {addr}: {e}"),
            },
        });
    }

    fn receive_datagrams(&mut self, listener: ListenerId) {
        let Some((u, _)) = self.udp.get(&listener) else {
            return;
        };
        let mut buf = vec![0u8; 65536];
        loop {
            match u.recv_from(&mut buf) {
                Ok((n, from)) => self.events.push(NetEvent::Datagram {
                    listener,
                    from,
                    data: buf[..n].to_vec(),
                }),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                // An ICMP error from an earlier send; UDP does not care (manual §4.4).
                Err(e) => tracing::debug!(?listener, "UDP receive: {e}"),
            }
        }
    }

    fn send_to(&mut self, listener: ListenerId, host: &str, port: u16, data: &[u8]) {
        let Some((u, _)) = self.udp.get(&listener) else {
            return;
        };
        match crate::resolve::loopback(host, port) {
            Ok(addr) => match u.send_to(data, addr) {
                Ok(_) => self.stats.datagrams_sent += 1,
                Err(e) => {
                    self.stats.datagrams_not_sent += 1;
                    tracing::debug!(%addr, "UDP send: {e}");
                }
            },
            Err(reason) => {
                self.stats.datagrams_not_sent += 1;
                tracing::warn!("UDP send: {reason}");
            }
        }
    }

    fn accept_all(&mut self, registry: &Registry, listener: ListenerId) {
        loop {
            let Some((l, _)) = self.listeners.get(&listener) else {
                return;
            };
            match l.accept() {
                Ok((stream, peer)) => {
                    let _ = stream.set_nodelay(true);
                    let conn = ConnId(self.next_accept);
                    self.next_accept += 1;
                    if self.adopt(registry, conn, stream, false).is_ok() {
                        self.events.push(NetEvent::Accepted {
                            listener,
                            conn,
                            peer,
                        });
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    tracing::warn!("accept failed: {e}");
                    return;
                }
            }
        }
    }

    fn adopt(
        &mut self,
        registry: &Registry,
        conn: ConnId,
        mut stream: TcpStream,
        connecting: bool,
    ) -> io::Result<()> {
        let token = self.token(Endpoint::Conn(conn));
        registry.register(&mut stream, token, Interest::READABLE | Interest::WRITABLE)?;
        self.conns
            .insert(conn, (Conn::new(stream, connecting), token));
        Ok(())
    }

    fn connect(&mut self, registry: &Registry, conn: ConnId, host: &str, port: u16) {
        let result = crate::resolve::loopback(host, port).and_then(|addr| {
            let stream = crate::resolve::connect_from(self.ip, addr)
                .map_err(|e| format!("connect {addr}: {e}"))?;
            self.adopt(registry, conn, stream, true)
                .map_err(|e| format!("connect {addr}: {e}"))
        });
        if let Err(reason) = result {
            self.events.push(NetEvent::ConnectFailed { conn, reason });
        }
    }

    fn send(&mut self, registry: &Registry, conn: ConnId, data: &[u8]) {
        let Some((c, _)) = self.conns.get_mut(&conn) else {
            return;
        };
        match c.send(data) {
            Ok(0) => {}
            Ok(dropped) => {
                self.stats.send_overflow_bytes += dropped as u64;
                self.notices.push(HostNotice::SendOverflow {
                    conn,
                    bytes: dropped,
                });
            }
            Err(e) => self.fail(registry, conn, e),
        }
    }

    fn conn_ready(&mut self, registry: &Registry, conn: ConnId, room: &dyn Fn(ConnId) -> usize) {
        let Some((c, _)) = self.conns.get_mut(&conn) else {
            return;
        };
        if c.connecting {
            match c.stream.take_error() {
                Ok(Some(e)) | Err(e) => {
                    self.drop_conn(registry, conn);
                    self.events.push(NetEvent::ConnectFailed {
                        conn,
                        reason: e.to_string(),
                    });
                    return;
                }
                Ok(None) => {}
            }
            match c.stream.peer_addr() {
                Ok(peer) => {
                    c.connecting = false;
                    let _ = c.stream.set_nodelay(true);
                    self.events.push(NetEvent::Connected { conn, peer });
                }
                Err(e) if e.kind() == io::ErrorKind::NotConnected => return,
                Err(e) => {
                    self.drop_conn(registry, conn);
                    self.events.push(NetEvent::ConnectFailed {
                        conn,
                        reason: e.to_string(),
                    });
                    return;
                }
            }
        }
        if let Some((c, _)) = self.conns.get_mut(&conn) {
            if let Err(e) = c.flush() {
                self.fail(registry, conn, e);
                return;
            }
        }
        self.reap(registry, conn);
        self.read(registry, conn, room);
    }

    fn read(&mut self, registry: &Registry, conn: ConnId, room: &dyn Fn(ConnId) -> usize) {
        let mut buf = Vec::new();
        loop {
            let Some((c, _)) = self.conns.get_mut(&conn) else {
                return;
            };
            if c.eof || c.connecting {
                return;
            }
            let max = room(conn).saturating_sub(buf.len()).min(64 * 1024);
            if max == 0 {
                c.throttled = true;
                break;
            }
            match c.read_into(&mut buf, max) {
                Ok(Some(0)) => {
                    c.throttled = false;
                    break;
                }
                Ok(Some(_)) => continue,
                Ok(None) => {
                    c.eof = true;
                    c.throttled = false;
                    if !buf.is_empty() {
                        self.events.push(NetEvent::Received {
                            conn,
                            data: std::mem::take(&mut buf),
                        });
                    }
                    self.events.push(NetEvent::PeerClosed { conn });
                    return;
                }
                Err(e) => {
                    if !buf.is_empty() {
                        self.events.push(NetEvent::Received { conn, data: buf });
                    }
                    self.fail(registry, conn, e);
                    return;
                }
            }
        }
        if !buf.is_empty() {
            self.events.push(NetEvent::Received { conn, data: buf });
        }
    }

    fn fail(&mut self, registry: &Registry, conn: ConnId, e: io::Error) {
        let reason = match e.raw_os_error() {
            Some(code) if code == libc_etimedout() => "keep-alive timeout (ETIMEDOUT)".to_owned(),
            _ => e.to_string(),
        };
        self.drop_conn(registry, conn);
        self.events.push(NetEvent::Failed { conn, reason });
    }

    /// Drops a closing connection once its data is written.
    fn reap(&mut self, registry: &Registry, conn: ConnId) {
        if self.conns.get(&conn).is_some_and(|(c, _)| c.done()) {
            self.drop_conn(registry, conn);
        }
    }

    fn drop_conn(&mut self, registry: &Registry, conn: ConnId) {
        if let Some((mut c, token)) = self.conns.remove(&conn) {
            let _ = registry.deregister(&mut c.stream);
            self.by_token.remove(&token);
        }
    }
}

fn libc_etimedout() -> i32 {
    io::Error::from(io::ErrorKind::TimedOut)
        .raw_os_error()
        .unwrap_or(110)
}
