//! The simulated network as a capture file: classic pcap with nanosecond timestamps
//! (magic `a1b23c4d`), Ethernet link type, and synthesized Ethernet/IPv4/TCP headers with
//! real sequence numbers and checksums, so Wireshark and `tshark -z follow,tcp` reassemble the
//! streams. The capture point is the device's Ethernet port: frames the device sends as they
//! leave, frames for it as they arrive (lost ones never show).
//!
//! Timestamps are device time since the first power-on, counted from the Unix epoch.

use m2285_time::Instant;
use std::net::{Ipv4Addr, SocketAddrV4};

/// Control flags of a TCP segment (the simulated TCP model uses the same type).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Flags {
    /// Synchronise (connection request / accept).
    pub syn: bool,
    /// The acknowledgement field is valid.
    pub ack: bool,
    /// No more data from the sender.
    pub fin: bool,
    /// Reset.
    pub rst: bool,
}

impl Flags {
    /// Short form for traces: `S`, `SA`, `A`, `FA`, `R`, `RA`.
    pub fn label(self) -> String {
        let mut s = String::new();
        for (on, c) in [
            (self.syn, 'S'),
            (self.fin, 'F'),
            (self.rst, 'R'),
            (self.ack, 'A'),
        ] {
            if on {
                s.push(c);
            }
        }
        s
    }
}

/// One TCP frame to capture.
#[derive(Clone, Debug)]
pub struct TcpFrame<'a> {
    /// Sender.
    pub src: SocketAddrV4,
    /// Receiver.
    pub dst: SocketAddrV4,
    /// Absolute sequence number.
    pub seq: u32,
    /// Absolute acknowledgement number (with `flags.ack`).
    pub ack: u32,
    /// Control flags.
    pub flags: Flags,
    /// Payload.
    pub data: &'a [u8],
}

/// Writes a pcap file into memory.
#[derive(Clone, Debug)]
pub struct PcapWriter {
    buf: Vec<u8>,
    ip_id: u16,
}

impl Default for PcapWriter {
    fn default() -> Self {
        Self::new()
    }
}

impl PcapWriter {
    /// A capture with its file header written.
    pub fn new() -> Self {
        let mut buf = Vec::new();
        buf.extend_from_slice(&0xa1b2_3c4du32.to_le_bytes()); // nanosecond timestamps
        buf.extend_from_slice(&2u16.to_le_bytes());
        buf.extend_from_slice(&4u16.to_le_bytes());
        buf.extend_from_slice(&0i32.to_le_bytes()); // GMT offset
        buf.extend_from_slice(&0u32.to_le_bytes()); // accuracy
        buf.extend_from_slice(&65535u32.to_le_bytes()); // snap length
        buf.extend_from_slice(&1u32.to_le_bytes()); // LINKTYPE_ETHERNET
        PcapWriter { buf, ip_id: 0 }
    }

    /// Captures a TCP segment at `t`.
    pub fn tcp(&mut self, t: Instant, f: &TcpFrame<'_>) {
        let mut tcp = Vec::with_capacity(20 + f.data.len());
        tcp.extend_from_slice(&f.src.port().to_be_bytes());
        tcp.extend_from_slice(&f.dst.port().to_be_bytes());
        tcp.extend_from_slice(&f.seq.to_be_bytes());
        tcp.extend_from_slice(&(if f.flags.ack { f.ack } else { 0 }).to_be_bytes());
        let flag_bits = u8::from(f.flags.fin)
            | u8::from(f.flags.syn) << 1
            | u8::from(f.flags.rst) << 2
            | u8::from(!f.data.is_empty()) << 3 // PSH with every payload
            | u8::from(f.flags.ack) << 4;
        tcp.extend_from_slice(&[5 << 4, flag_bits]);
        tcp.extend_from_slice(&65535u16.to_be_bytes()); // window
        tcp.extend_from_slice(&[0, 0, 0, 0]); // checksum, urgent pointer
        tcp.extend_from_slice(f.data);
        let sum = checksum(&pseudo_header(*f.src.ip(), *f.dst.ip(), 6, tcp.len()), &tcp);
        tcp[16..18].copy_from_slice(&sum.to_be_bytes());
        self.ipv4(t, *f.src.ip(), *f.dst.ip(), 6, &tcp);
    }

    /// Captures a UDP datagram at `t`.
    pub fn udp(&mut self, t: Instant, src: SocketAddrV4, dst: SocketAddrV4, data: &[u8]) {
        let len = 8 + data.len();
        let mut udp = Vec::with_capacity(len);
        udp.extend_from_slice(&src.port().to_be_bytes());
        udp.extend_from_slice(&dst.port().to_be_bytes());
        udp.extend_from_slice(&(len as u16).to_be_bytes());
        udp.extend_from_slice(&[0, 0]);
        udp.extend_from_slice(data);
        let sum = checksum(&pseudo_header(*src.ip(), *dst.ip(), 17, len), &udp);
        udp[6..8].copy_from_slice(&(if sum == 0 { 0xffff } else { sum }).to_be_bytes());
        self.ipv4(t, *src.ip(), *dst.ip(), 17, &udp);
    }

    fn ipv4(&mut self, t: Instant, src: Ipv4Addr, dst: Ipv4Addr, proto: u8, payload: &[u8]) {
        self.ip_id = self.ip_id.wrapping_add(1);
        let total = (20 + payload.len()) as u16;
        let mut ip = Vec::with_capacity(20);
        ip.extend_from_slice(&[0x45, 0]);
        ip.extend_from_slice(&total.to_be_bytes());
        ip.extend_from_slice(&self.ip_id.to_be_bytes());
        ip.extend_from_slice(&0x4000u16.to_be_bytes()); // don't fragment
        ip.extend_from_slice(&[64, proto, 0, 0]);
        ip.extend_from_slice(&src.octets());
        ip.extend_from_slice(&dst.octets());
        let sum = checksum(&[], &ip);
        ip[10..12].copy_from_slice(&sum.to_be_bytes());
        let mut frame = Vec::with_capacity(14 + ip.len() + payload.len());
        frame.extend_from_slice(&mac(dst));
        frame.extend_from_slice(&mac(src));
        frame.extend_from_slice(&0x0800u16.to_be_bytes());
        frame.extend_from_slice(&ip);
        frame.extend_from_slice(payload);
        let ns = t.as_nanos();
        self.buf
            .extend_from_slice(&((ns / 1_000_000_000) as u32).to_le_bytes());
        self.buf
            .extend_from_slice(&((ns % 1_000_000_000) as u32).to_le_bytes());
        self.buf
            .extend_from_slice(&(frame.len() as u32).to_le_bytes());
        self.buf
            .extend_from_slice(&(frame.len() as u32).to_le_bytes());
        self.buf.extend_from_slice(&frame);
    }

    /// The capture file's bytes.
    pub fn into_bytes(self) -> Vec<u8> {
        self.buf
    }

    /// The bytes written since the last call (the file header first): for a runtime that
    /// streams the capture to a file as it goes instead of keeping it in memory.
    pub fn take_bytes(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.buf)
    }
}

/// A locally administered MAC address made from an IPv4 address.
fn mac(ip: Ipv4Addr) -> [u8; 6] {
    let o = ip.octets();
    [0x02, 0x00, o[0], o[1], o[2], o[3]]
}

fn pseudo_header(src: Ipv4Addr, dst: Ipv4Addr, proto: u8, len: usize) -> Vec<u8> {
    let mut p = Vec::with_capacity(12);
    p.extend_from_slice(&src.octets());
    p.extend_from_slice(&dst.octets());
    p.extend_from_slice(&[0, proto]);
    p.extend_from_slice(&(len as u16).to_be_bytes());
    p
}

/// The Internet checksum (RFC 1071) of `a` followed by `b`.
fn checksum(a: &[u8], b: &[u8]) -> u16 {
    let mut sum: u32 = 0;
    let mut odd: Option<u8> = None;
    for &byte in a.iter().chain(b) {
        match odd.take() {
            Some(hi) => sum += u32::from(u16::from_be_bytes([hi, byte])),
            None => odd = Some(byte),
        }
    }
    if let Some(hi) = odd {
        sum += u32::from(u16::from_be_bytes([hi, 0]));
    }
    while sum >> 16 != 0 {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ip_header_checksum_verifies() {
        // The example header of RFC 1071 style checks: a header whose checksum field holds the
        // checksum sums to zero.
        let mut w = PcapWriter::new();
        let a = SocketAddrV4::new(Ipv4Addr::new(192, 0, 2, 10), 49152);
        let b = SocketAddrV4::new(Ipv4Addr::new(192, 168, 161, 5), 7001);
        w.tcp(
            Instant::from_millis(1),
            &TcpFrame {
                src: a,
                dst: b,
                seq: 1,
                ack: 0,
                flags: Flags {
                    syn: true,
                    ..Flags::default()
                },
                data: b"",
            },
        );
        let bytes = w.into_bytes();
        assert_eq!(bytes.len(), 24 + 16 + 14 + 20 + 20);
        let ip = &bytes[24 + 16 + 14..24 + 16 + 14 + 20];
        assert_eq!(checksum(&[], ip), 0);
        let tcp = &bytes[24 + 16 + 34..];
        assert_eq!(
            checksum(&pseudo_header(*a.ip(), *b.ip(), 6, tcp.len()), tcp),
            0
        );
    }
}
