//! The device's ARP announcement (RFC 5227 §2.3, a gratuitous ARP) once it has an address, as
//! DHCP clients do: neighbours that tried to reach the address before it was bound (a DHCP
//! server pings an address before offering it) hold a failed entry for it, which the
//! announcement refreshes, so the device is reachable at once.

use socket2::{Domain, Protocol, SockAddr, SockAddrStorage, Socket, Type};
use std::net::Ipv4Addr;

const ETH_P_ARP: u16 = 0x0806;

/// The announcement's ARP payload: a request from `ip` for `ip` (RFC 5227 §2.3).
fn payload(mac: &[u8; 6], ip: Ipv4Addr) -> [u8; 28] {
    let mut p = [0u8; 28];
    p[0..2].copy_from_slice(&1u16.to_be_bytes()); // Ethernet
    p[2..4].copy_from_slice(&0x0800u16.to_be_bytes()); // IPv4
    p[4] = 6;
    p[5] = 4;
    p[6..8].copy_from_slice(&1u16.to_be_bytes()); // request
    p[8..14].copy_from_slice(mac);
    p[14..18].copy_from_slice(&ip.octets());
    p[24..28].copy_from_slice(&ip.octets());
    p
}

/// Broadcasts the announcement on interface `ifindex` (the calling thread must be in the
/// device's namespace).
pub fn announce(ifindex: i32, mac: &[u8; 6], ip: Ipv4Addr) -> Result<(), String> {
    let protocol = i32::from(ETH_P_ARP.to_be());
    let socket = Socket::new(Domain::PACKET, Type::DGRAM, Some(Protocol::from(protocol)))
        .map_err(|e| format!("ARP announcement: socket: {e}"))?;
    let mut storage = SockAddrStorage::zeroed();
    // SAFETY: sockaddr_ll is one of this platform's sockaddr types, smaller than the storage.
    let ll = unsafe { storage.view_as::<nix::libc::sockaddr_ll>() };
    ll.sll_family = nix::libc::AF_PACKET as u16;
    ll.sll_protocol = ETH_P_ARP.to_be();
    ll.sll_ifindex = ifindex;
    ll.sll_halen = 6;
    ll.sll_addr[..6].copy_from_slice(&[0xff; 6]);
    let len = std::mem::size_of::<nix::libc::sockaddr_ll>() as socket2::socklen_t;
    // SAFETY: the storage holds an initialised sockaddr_ll of `len` bytes.
    let to = unsafe { SockAddr::new(storage, len) };
    socket
        .send_to(&payload(mac, ip), &to)
        .map(drop)
        .map_err(|e| format!("ARP announcement: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_announcement_asks_for_its_own_address() {
        let p = payload(&[2, 0, 0, 0, 0, 7], Ipv4Addr::new(10, 0, 0, 9));
        assert_eq!(&p[..8], &[0, 1, 8, 0, 6, 4, 0, 1]);
        assert_eq!(&p[8..14], &[2, 0, 0, 0, 0, 7]);
        assert_eq!(&p[14..18], &[10, 0, 0, 9], "sender");
        assert_eq!(&p[18..24], &[0; 6]);
        assert_eq!(&p[24..28], &[10, 0, 0, 9], "target");
    }
}
