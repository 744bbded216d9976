//! Where the device may connect or send: loopback addresses only, from its own address.
//!
//! The simulator never reaches beyond the host: a remote host (an IP literal or a name) must
//! resolve to a loopback address, or the connection fails with a message saying so. Outbound
//! sockets are bound to the device's `--ip`, so peers see the device's address, like on a LAN.

use mio::net::TcpStream;
use socket2::{Domain, Protocol, SockAddr, Socket, Type};
use std::io;
use std::net::{IpAddr, SocketAddr, ToSocketAddrs};

/// The first loopback address `host` resolves to, or why there is none.
pub fn loopback(host: &str, port: u16) -> Result<SocketAddr, String> {
    let addrs: Vec<SocketAddr> = (host, port)
        .to_socket_addrs()
        .map_err(|e| format!("cannot resolve {host}: {e}"))?
        .collect();
    addrs
        .iter()
        .copied()
        .find(|a| a.ip().is_loopback())
        .ok_or_else(|| {
            format!(
                "{host} is not a loopback address: the simulator only reaches 127.0.0.0/8 and ::1"
            )
        })
}

/// Starts a non-blocking connect to `to` from `from` (port chosen by the host).
pub fn connect_from(from: IpAddr, to: SocketAddr) -> io::Result<TcpStream> {
    let socket = Socket::new(Domain::for_address(to), Type::STREAM, Some(Protocol::TCP))?;
    if from.is_ipv4() == to.is_ipv4() {
        socket.bind(&SockAddr::from(SocketAddr::new(from, 0)))?;
    }
    socket.set_nonblocking(true)?;
    match socket.connect(&SockAddr::from(to)) {
        Ok(()) => {}
        Err(e) if e.raw_os_error() == Some(EINPROGRESS) => {}
        Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
        Err(e) => return Err(e),
    }
    Ok(TcpStream::from_std(socket.into()))
}

/// Linux's "operation now in progress".
const EINPROGRESS: i32 = 115;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_addresses_are_reachable() {
        assert!(loopback("127.0.0.5", 80).is_ok());
        assert!(loopback("localhost", 80).is_ok_and(|a| a.ip().is_loopback()));
        let e = loopback("192.0.2.1", 80).err().unwrap_or_default();
        assert!(e.contains("not a loopback address"), "{e}");
    }
}
