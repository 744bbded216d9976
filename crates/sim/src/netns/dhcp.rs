//! The device's DHCP client in the namespace mode (`network.ip_mode = "dhcp"`): a real
//! DISCOVER / OFFER / REQUEST / ACK exchange (RFC 2131) with whatever server answers on the LAN.
//!
//! [`Client`] is the exchange without I/O (messages in, messages out, encoded by `dhcproto`);
//! [`obtain`] carries it on a UDP socket bound to the device's interface, before the device
//! boots, so the device boots with its leased address. The lease is not renewed
//! (docs/network.md): a lease shorter than a run ends without the device noticing.

use dhcproto::v4::{DhcpOption, Flags, Message, MessageType, Opcode, OptionCode};
use dhcproto::{Decodable, Decoder, Encodable, Encoder};
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::time::{Duration, Instant};

/// What the server gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    /// The leased address.
    pub ip: Ipv4Addr,
    /// Prefix length from the subnet-mask option (24 if absent).
    pub prefix: u8,
    /// The first router option, if any.
    pub router: Option<Ipv4Addr>,
    /// The server that granted it.
    pub server: Ipv4Addr,
    /// Lease time in seconds (0 if absent).
    pub lease_s: u32,
}

impl Lease {
    /// The ready line's `dhcp` entry.
    pub fn describe(&self) -> serde_json::Value {
        serde_json::json!({
            "server": self.server.to_string(),
            "router": self.router.map(|r| r.to_string()),
            "lease_s": self.lease_s,
        })
    }
}

/// Where the exchange is.
#[derive(Debug, Clone, PartialEq, Eq)]
enum State {
    Selecting,
    Requesting { offered: Ipv4Addr, server: Ipv4Addr },
    Bound(Lease),
}

/// The client's side of one exchange, without I/O.
#[derive(Debug)]
pub struct Client {
    mac: [u8; 6],
    xid: u32,
    state: State,
}

impl Client {
    /// A client with hardware address `mac` and transaction id `xid`.
    pub fn new(mac: [u8; 6], xid: u32) -> Self {
        Client {
            mac,
            xid,
            state: State::Selecting,
        }
    }

    /// The message to (re)send now: DISCOVER while selecting, REQUEST once offered.
    pub fn message(&self) -> Option<Vec<u8>> {
        let (kind, requested, server) = match &self.state {
            State::Selecting => (MessageType::Discover, None, None),
            State::Requesting { offered, server } => {
                (MessageType::Request, Some(*offered), Some(*server))
            }
            State::Bound(_) => return None,
        };
        let z = Ipv4Addr::UNSPECIFIED;
        let mut msg = Message::new_with_id(self.xid, z, z, z, z, &self.mac);
        // Ask for broadcast replies: the interface has no address to receive unicast on yet.
        msg.set_flags(Flags::default().set_broadcast());
        let opts = msg.opts_mut();
        opts.insert(DhcpOption::MessageType(kind));
        opts.insert(DhcpOption::ParameterRequestList(vec![
            OptionCode::SubnetMask,
            OptionCode::Router,
        ]));
        if let Some(ip) = requested {
            opts.insert(DhcpOption::RequestedIpAddress(ip));
        }
        if let Some(s) = server {
            opts.insert(DhcpOption::ServerIdentifier(s));
        }
        let mut buf = Vec::new();
        msg.encode(&mut Encoder::new(&mut buf)).ok()?;
        Some(buf)
    }

    /// Takes a datagram from the network; returns true when the state changed (send the next
    /// [`Client::message`], or read the [`Client::lease`]). Foreign or malformed datagrams are
    /// ignored; a NAK starts over.
    pub fn receive(&mut self, datagram: &[u8]) -> bool {
        let Ok(msg) = Message::decode(&mut Decoder::new(datagram)) else {
            return false;
        };
        if msg.opcode() != Opcode::BootReply
            || msg.xid() != self.xid
            || msg.chaddr().get(..6) != Some(&self.mac[..])
        {
            return false;
        }
        let server = match msg.opts().get(OptionCode::ServerIdentifier) {
            Some(DhcpOption::ServerIdentifier(s)) => *s,
            _ => msg.siaddr(),
        };
        match (&self.state, msg.opts().msg_type()) {
            (State::Selecting, Some(MessageType::Offer)) => {
                self.state = State::Requesting {
                    offered: msg.yiaddr(),
                    server,
                };
                true
            }
            (State::Requesting { offered, .. }, Some(MessageType::Ack))
                if msg.yiaddr() == *offered =>
            {
                self.state = State::Bound(lease_of(&msg, server));
                true
            }
            (State::Requesting { .. }, Some(MessageType::Nak)) => {
                self.state = State::Selecting;
                true
            }
            _ => false,
        }
    }

    /// The lease, once bound.
    pub fn lease(&self) -> Option<&Lease> {
        match &self.state {
            State::Bound(lease) => Some(lease),
            _ => None,
        }
    }
}

fn lease_of(msg: &Message, server: Ipv4Addr) -> Lease {
    let prefix = match msg.opts().get(OptionCode::SubnetMask) {
        Some(DhcpOption::SubnetMask(mask)) => super::prefix_of(*mask).unwrap_or(24),
        _ => 24,
    };
    let router = match msg.opts().get(OptionCode::Router) {
        Some(DhcpOption::Router(list)) => list.first().copied(),
        _ => None,
    };
    let lease_s = match msg.opts().get(OptionCode::AddressLeaseTime) {
        Some(DhcpOption::AddressLeaseTime(s)) => *s,
        _ => 0,
    };
    Lease {
        ip: msg.yiaddr(),
        prefix,
        router,
        server,
        lease_s,
    }
}

/// Runs the exchange on `interface` (the calling thread must be in the device's namespace),
/// resending every second, for at most `limit`.
pub fn obtain(interface: &str, mac: &[u8; 6], limit: Duration) -> Result<Lease, String> {
    use socket2::{Domain, Protocol, Socket, Type};
    let fail = |what: &str, e: std::io::Error| format!("DHCP client: {what}: {e}");
    let socket = Socket::new(Domain::IPV4, Type::DGRAM, Some(Protocol::UDP))
        .map_err(|e| fail("socket", e))?;
    socket
        .set_broadcast(true)
        .map_err(|e| fail("broadcast", e))?;
    socket
        .set_reuse_address(true)
        .map_err(|e| fail("reuse", e))?;
    socket
        .bind_device(Some(interface.as_bytes()))
        .map_err(|e| fail("bind to the interface", e))?;
    let any: SocketAddr = SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 68).into();
    socket.bind(&any.into()).map_err(|e| fail("bind :68", e))?;
    socket
        .set_read_timeout(Some(Duration::from_millis(200)))
        .map_err(|e| fail("timeout", e))?;
    let socket: std::net::UdpSocket = socket.into();
    let server: SocketAddr = SocketAddrV4::new(Ipv4Addr::BROADCAST, 67).into();
    let xid = transaction_id(mac);
    let mut client = Client::new(*mac, xid);
    let started = Instant::now();
    let mut buf = [0u8; 1500];
    while started.elapsed() < limit {
        if let Some(lease) = client.lease() {
            return Ok(lease.clone());
        }
        if let Some(msg) = client.message() {
            socket.send_to(&msg, server).map_err(|e| fail("send", e))?;
        }
        let resend_at = Instant::now() + Duration::from_secs(1);
        while Instant::now() < resend_at {
            match socket.recv_from(&mut buf) {
                Ok((n, _)) => {
                    if client.receive(&buf[..n]) {
                        break;
                    }
                }
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) => {}
                Err(e) => return Err(fail("receive", e)),
            }
        }
    }
    Err(format!(
        "DHCP client: no lease within {} s (network.ip_mode = \"dhcp\" needs a DHCP server on \
         the LAN namespace's bridge, e.g. dnsmasq; docs/network.md)",
        limit.as_secs()
    ))
}

/// A transaction id that differs between devices and runs (the MAC's tail and the clock).
fn transaction_id(mac: &[u8; 6]) -> u32 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    u32::from_be_bytes([mac[2], mac[3], mac[4], mac[5]]) ^ nanos
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(to: &Message, kind: MessageType, yiaddr: Ipv4Addr) -> Vec<u8> {
        let z = Ipv4Addr::UNSPECIFIED;
        let mut m = Message::new_with_id(to.xid(), z, yiaddr, z, z, &to.chaddr()[..6]);
        m.set_opcode(Opcode::BootReply);
        let server = Ipv4Addr::new(10, 1, 0, 1);
        m.opts_mut().insert(DhcpOption::MessageType(kind));
        m.opts_mut().insert(DhcpOption::ServerIdentifier(server));
        m.opts_mut()
            .insert(DhcpOption::SubnetMask(Ipv4Addr::new(255, 255, 255, 0)));
        m.opts_mut().insert(DhcpOption::Router(vec![server]));
        m.opts_mut().insert(DhcpOption::AddressLeaseTime(600));
        m.to_vec().unwrap_or_default()
    }

    fn decode(bytes: &[u8]) -> Message {
        Message::from_bytes(bytes).unwrap_or_default()
    }

    #[test]
    fn discover_offer_request_ack_binds() {
        let mac = [2, 0, 0, 0, 0, 9];
        let mut c = Client::new(mac, 0x1234);
        let discover = decode(&c.message().unwrap_or_default());
        assert_eq!(discover.opts().msg_type(), Some(MessageType::Discover));
        assert!(discover.flags().broadcast());
        let offered = Ipv4Addr::new(10, 1, 0, 50);
        // A reply to someone else's transaction is ignored.
        let mut foreign = discover.clone();
        foreign.set_xid(7);
        assert!(!c.receive(&reply(&foreign, MessageType::Offer, offered)));
        assert!(c.receive(&reply(&discover, MessageType::Offer, offered)));
        let request = decode(&c.message().unwrap_or_default());
        assert_eq!(request.opts().msg_type(), Some(MessageType::Request));
        assert_eq!(
            request.opts().get(OptionCode::RequestedIpAddress),
            Some(&DhcpOption::RequestedIpAddress(offered))
        );
        assert!(c.receive(&reply(&request, MessageType::Ack, offered)));
        let lease = c.lease().cloned();
        assert_eq!(
            lease,
            Some(Lease {
                ip: offered,
                prefix: 24,
                router: Some(Ipv4Addr::new(10, 1, 0, 1)),
                server: Ipv4Addr::new(10, 1, 0, 1),
                lease_s: 600,
            })
        );
        assert_eq!(c.message(), None);
    }

    #[test]
    fn a_nak_starts_over_and_garbage_is_ignored() {
        let mut c = Client::new([2, 0, 0, 0, 0, 1], 99);
        assert!(!c.receive(b"not dhcp"));
        let discover = decode(&c.message().unwrap_or_default());
        assert!(c.receive(&reply(
            &discover,
            MessageType::Offer,
            Ipv4Addr::new(10, 1, 0, 7)
        )));
        let request = decode(&c.message().unwrap_or_default());
        assert!(c.receive(&reply(&request, MessageType::Nak, Ipv4Addr::UNSPECIFIED)));
        let again = decode(&c.message().unwrap_or_default());
        assert_eq!(again.opts().msg_type(), Some(MessageType::Discover));
    }
}
