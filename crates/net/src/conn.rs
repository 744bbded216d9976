//! One TCP connection on the host: its socket, its unsent bytes and its closing state.

use m2285_core::io::KeepaliveParams;
use mio::net::TcpStream;
use std::io::{self, Read, Write};
use std::time::Duration;

/// Most bytes queued for one peer that is not reading; beyond this, data for it is dropped
/// and counted (docs/network.md).
pub const MAX_UNSENT: usize = 1 << 20;

/// A host TCP connection.
#[derive(Debug)]
pub struct Conn {
    pub stream: TcpStream,
    pub connecting: bool,
    pub unsent: Vec<u8>,
    /// Close once `unsent` is written.
    pub closing: bool,
    /// Readable but not read to the end, because the device had no room.
    pub throttled: bool,
    /// The peer's end of stream was seen.
    pub eof: bool,
}

impl Conn {
    pub fn new(stream: TcpStream, connecting: bool) -> Self {
        Conn {
            stream,
            connecting,
            unsent: Vec::new(),
            closing: false,
            throttled: false,
            eof: false,
        }
    }

    /// Queues `data` and writes what the socket takes now. Returns bytes dropped for overflow.
    pub fn send(&mut self, data: &[u8]) -> io::Result<usize> {
        let mut rest = data;
        if self.unsent.is_empty() && !self.connecting {
            let n = write_some(&mut self.stream, rest)?;
            rest = &rest[n..];
        }
        let room = MAX_UNSENT.saturating_sub(self.unsent.len());
        let keep = rest.len().min(room);
        self.unsent.extend_from_slice(&rest[..keep]);
        Ok(rest.len() - keep)
    }

    /// Writes queued bytes until the socket is full.
    pub fn flush(&mut self) -> io::Result<()> {
        if self.connecting || self.unsent.is_empty() {
            return Ok(());
        }
        let n = write_some(&mut self.stream, &self.unsent)?;
        self.unsent.drain(..n);
        Ok(())
    }

    /// True when the connection may be dropped: closing and everything written.
    pub fn done(&self) -> bool {
        self.closing && self.unsent.is_empty()
    }

    /// Reads at most `max` bytes into `buf`. `Ok(None)` means end of stream.
    pub fn read_into(&mut self, buf: &mut Vec<u8>, max: usize) -> io::Result<Option<usize>> {
        let start = buf.len();
        buf.resize(start + max, 0);
        let r = loop {
            match self.stream.read(&mut buf[start..]) {
                Ok(0) => break Ok(None),
                Ok(n) => break Ok(Some(n)),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break Ok(Some(0)),
                Err(e) => break Err(e),
            }
        };
        let got = match &r {
            Ok(Some(n)) => *n,
            _ => 0,
        };
        buf.truncate(start + got);
        r
    }

    /// Applies TCP keep-alive and reads the values back from the socket (getsockopt), so the
    /// caller reports what the kernel really has.
    pub fn set_keepalive(&self, p: KeepaliveParams) -> io::Result<KeepaliveParams> {
        let sock = socket2::SockRef::from(&self.stream);
        let ka = socket2::TcpKeepalive::new()
            .with_time(Duration::from_secs(u64::from(p.time_s)))
            .with_interval(Duration::from_secs(u64::from(p.interval_s)))
            .with_retries(p.probes);
        sock.set_tcp_keepalive(&ka)?;
        let on = sock.keepalive()?;
        Ok(KeepaliveParams {
            time_s: if on {
                secs(sock.tcp_keepalive_time()?)
            } else {
                0
            },
            interval_s: secs(sock.tcp_keepalive_interval()?),
            probes: sock.tcp_keepalive_retries()?,
        })
    }
}

fn secs(d: Duration) -> u32 {
    u32::try_from(d.as_secs()).unwrap_or(u32::MAX)
}

fn write_some(stream: &mut TcpStream, data: &[u8]) -> io::Result<usize> {
    let mut done = 0;
    while done < data.len() {
        match stream.write(&data[done..]) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => done += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
            Err(e) => return Err(e),
        }
    }
    Ok(done)
}
