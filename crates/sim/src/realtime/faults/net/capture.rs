//! `--pcap` at the host sockets: what the device's sockets wrote and read, handed to the
//! capture (`realtime::pcap`, synthesised headers) where the middleware meets `HostNet`, so the
//! file shows the traffic after the faults, as the peers saw it.

use super::FaultyNet;
use m2285_core::io::{Action, NetEvent};
use m2285_time::Instant;
use mio::Registry;
use std::net::{IpAddr, SocketAddr};

impl FaultyNet {
    /// Captures `action` and hands it to the host sockets.
    pub(super) fn host_execute(
        &mut self,
        registry: &Registry,
        action: Action,
        now: Instant,
    ) -> Option<Action> {
        self.capture_out(&action, now);
        self.inner.execute(registry, action)
    }

    /// Captures what the device's instruction puts on its host socket.
    pub(super) fn capture_out(&self, action: &Action, now: Instant) {
        let c = &self.capture;
        match action {
            Action::Send { conn, data } => c.data(now, *conn, true, data),
            Action::Close { conn } => c.closed(now, *conn, true),
            Action::Reset { conn } => c.reset(now, *conn, true),
            Action::SendTo {
                listener,
                host,
                port,
                data,
            } => {
                let dst = host.parse::<IpAddr>().map(|ip| SocketAddr::new(ip, *port));
                if let (Some(src), Ok(dst)) = (self.inner.udp_local_addr(*listener), dst) {
                    c.datagram(now, src, dst, data);
                }
            }
            _ => {}
        }
    }

    /// Captures what a host socket brought in.
    pub(super) fn capture_in(&self, event: &NetEvent, now: Instant) {
        let c = &self.capture;
        match event {
            NetEvent::Accepted { conn, peer, .. } | NetEvent::Connected { conn, peer } => {
                if let Some(local) = self.inner.local_addr(*conn) {
                    let by_device = matches!(event, NetEvent::Connected { .. });
                    c.opened(now, *conn, local, *peer, by_device);
                }
            }
            NetEvent::Received { conn, data } => c.data(now, *conn, false, data),
            NetEvent::PeerClosed { conn } => c.closed(now, *conn, false),
            NetEvent::Failed { conn, .. } => c.reset(now, *conn, false),
            NetEvent::Datagram {
                listener,
                from,
                data,
            } => {
                if let Some(local) = self.inner.udp_local_addr(*listener) {
                    c.datagram(now, *from, local, data);
                }
            }
            _ => {}
        }
    }
}
