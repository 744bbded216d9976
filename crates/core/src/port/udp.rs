//! UDP mode of a port (manual §4.4): who may send datagrams to the serial port and where serial
//! data goes.
//!
//! Datagrams from a host of the remote host list (matched by IP address) are delivered. Others
//! ("unlisted") only with *accept unlisted*; with *send to unlisted* the device also sends its
//! serial data to recent unlisted senders until they have been silent for the inactivity
//! timeout. Unlisted senders are admitted while listed + unlisted hosts stay within
//! `max_connections`; with an inactivity timeout of 0 an admitted sender never expires, so no new
//! one is admitted once the table is full (the Pro manual's wording). docs/host-modes.md.

use crate::config::{self, RemoteHost};
use m2285_time::Instant;
use serde::Serialize;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

/// What to do with a datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Deliver it to the serial port.
    Deliver,
    /// Drop it, for this reason.
    Reject(&'static str),
}

/// An unlisted host that sent a datagram, as status pages show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Unlisted {
    /// Its address.
    pub peer: SocketAddr,
    /// When it last sent something.
    #[serde(skip)]
    pub last: Instant,
}

/// The UDP side of one port.
#[derive(Debug, Clone)]
pub struct UdpPeers {
    listed: Vec<RemoteHost>,
    unlisted: Vec<Unlisted>,
    accept_unlisted: bool,
    send_to_unlisted: bool,
    max: usize,
    timeout: Option<Duration>,
}

impl UdpPeers {
    /// The UDP side for a port's configuration.
    pub fn new(cfg: &config::Port) -> Self {
        let t = cfg.host.inactivity_timeout_s;
        UdpPeers {
            listed: cfg.remote_hosts.clone(),
            unlisted: Vec::new(),
            accept_unlisted: cfg.host.accept_unlisted,
            send_to_unlisted: cfg.host.send_to_unlisted,
            max: usize::from(cfg.host.max_connections),
            timeout: (t > 0).then(|| Duration::from_secs(u64::from(t))),
        }
    }

    /// Judges a datagram from `from` that arrived at `now`, remembering unlisted senders.
    pub fn datagram(&mut self, from: SocketAddr, now: Instant) -> Verdict {
        self.expire(now);
        if self.listed.iter().any(|h| matches(&h.host, from.ip())) {
            return Verdict::Deliver;
        }
        if !self.accept_unlisted && !self.send_to_unlisted {
            return Verdict::Reject("unlisted sender");
        }
        if let Some(u) = self.unlisted.iter_mut().find(|u| u.peer == from) {
            u.last = now;
        } else if self.listed.len() + self.unlisted.len() < self.max {
            self.unlisted.push(Unlisted {
                peer: from,
                last: now,
            });
        } else if self.accept_unlisted {
            return Verdict::Reject("max connections reached");
        }
        if self.accept_unlisted {
            Verdict::Deliver
        } else {
            Verdict::Reject("unlisted sender")
        }
    }

    /// Where serial data goes: every listed host, then the recent unlisted senders (with send
    /// to unlisted).
    pub fn destinations(&self) -> Vec<(String, u16)> {
        let mut out: Vec<(String, u16)> = self
            .listed
            .iter()
            .map(|h| (h.host.clone(), h.port))
            .collect();
        if self.send_to_unlisted {
            out.extend(
                self.unlisted
                    .iter()
                    .map(|u| (u.peer.ip().to_string(), u.peer.port())),
            );
        }
        out
    }

    /// Forgets unlisted senders silent for the inactivity timeout; returns them.
    pub fn expire(&mut self, now: Instant) -> Vec<SocketAddr> {
        let Some(t) = self.timeout else {
            return Vec::new();
        };
        let (gone, keep): (Vec<Unlisted>, Vec<Unlisted>) = std::mem::take(&mut self.unlisted)
            .into_iter()
            .partition(|u| u.last + t <= now);
        self.unlisted = keep;
        gone.into_iter().map(|u| u.peer).collect()
    }

    /// When the next unlisted sender expires.
    pub fn next_deadline(&self) -> Option<Instant> {
        let t = self.timeout?;
        self.unlisted.iter().map(|u| u.last + t).min()
    }

    /// The recent unlisted senders.
    pub fn unlisted(&self) -> &[Unlisted] {
        &self.unlisted
    }

    /// True when serial data has somewhere to go.
    pub fn has_destination(&self) -> bool {
        !self.destinations().is_empty()
    }
}

/// True when a remote host entry names `ip` (IP literals; `localhost` for loopback).
fn matches(host: &str, ip: IpAddr) -> bool {
    match host.parse::<IpAddr>() {
        Ok(h) => h == ip,
        Err(_) => host.eq_ignore_ascii_case("localhost") && ip.is_loopback(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn port(sets: &[&str]) -> config::Port {
        match config::Config::factory().with_sets(sets.iter().copied()) {
            Ok(c) => c.port1,
            Err(e) => panic!("{e:?}"),
        }
    }

    fn addr(s: &str) -> SocketAddr {
        s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn listed_senders_are_delivered_and_unlisted_only_when_accepted() {
        let cfg = port(&[
            "port1.host.mode=udp",
            "port1.remote_hosts[0].host=127.0.0.9",
            "port1.remote_hosts[0].port=5000",
        ]);
        let mut u = UdpPeers::new(&cfg);
        assert_eq!(
            u.datagram(addr("127.0.0.9:1234"), Instant::ZERO),
            Verdict::Deliver
        );
        assert_eq!(
            u.datagram(addr("127.0.0.8:1234"), Instant::ZERO),
            Verdict::Reject("unlisted sender")
        );
        assert_eq!(u.destinations(), vec![("127.0.0.9".to_string(), 5000)]);
    }

    #[test]
    fn recent_unlisted_senders_get_data_until_their_timeout() {
        let cfg = port(&[
            "port1.host.mode=udp",
            "port1.host.accept_unlisted=true",
            "port1.host.send_to_unlisted=true",
            "port1.host.max_connections=2",
            "port1.host.inactivity_timeout_s=5",
        ]);
        let mut u = UdpPeers::new(&cfg);
        let t0 = Instant::ZERO;
        assert_eq!(u.datagram(addr("127.0.0.8:1"), t0), Verdict::Deliver);
        assert_eq!(u.datagram(addr("127.0.0.7:1"), t0), Verdict::Deliver);
        assert_eq!(
            u.datagram(addr("127.0.0.6:1"), t0),
            Verdict::Reject("max connections reached")
        );
        assert_eq!(u.destinations().len(), 2);
        assert_eq!(u.next_deadline(), Some(Instant::from_secs(5)));
        assert_eq!(u.expire(Instant::from_secs(5)).len(), 2);
        assert!(u.destinations().is_empty());
        assert_eq!(
            u.datagram(addr("127.0.0.6:1"), Instant::from_secs(6)),
            Verdict::Deliver
        );
    }
}
