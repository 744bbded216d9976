//! The real-time pcap file (`--pcap FILE`): the bytes on the device's host sockets, with
//! Ethernet, IPv4 and TCP/UDP headers synthesised by the boundary crate's writer
//! (`m2285_boundary::trace::pcap`, the one virtual time uses). The kernel's own segments are not
//! seen: a connection shows as a synthesised handshake when the host socket is connected, one
//! segment per read or write (cut at the MSS), a FIN for an orderly close and an RST for a reset;
//! sequence numbers count the bytes, so `tshark -z follow,tcp` reassembles the streams.
//! Timestamps are the `now` of the event loop's turn (device time), as in the JSON trace.
//! Frames are written to the file as they are made (created mode 0600: it holds the data).

use m2285_boundary::trace::pcap::{Flags, PcapWriter, TcpFrame};
use m2285_core::io::ConnId;
use m2285_time::Instant;
use std::collections::BTreeMap;
use std::fs::File;
use std::io::Write;
use std::net::{SocketAddr, SocketAddrV4};
use std::path::Path;
use std::sync::{Arc, Mutex};

/// Largest payload of one synthesised segment.
const MSS: usize = 1460;
/// Initial sequence numbers of the synthesised handshakes (device side, peer side).
const ISN: (u32, u32) = (1_000, 500_000);

/// One TCP connection's synthesised state.
struct Stream {
    device: SocketAddrV4,
    peer: SocketAddrV4,
    /// Next sequence number of the device's bytes, of the peer's bytes.
    seq: (u32, u32),
}

struct State {
    file: File,
    pcap: PcapWriter,
    streams: BTreeMap<ConnId, Stream>,
}

/// Where the capture goes: a file, or nowhere. Cheap to clone; clones share the file.
#[derive(Clone, Default)]
pub struct HostCapture {
    state: Option<Arc<Mutex<State>>>,
}

fn v4(a: SocketAddr) -> Option<SocketAddrV4> {
    match a {
        SocketAddr::V4(a) => Some(a),
        SocketAddr::V6(_) => None,
    }
}

impl HostCapture {
    /// A capture writing to `path` (a new file, mode 0600, never through a planted link), or
    /// one that records nothing.
    pub fn open(path: Option<&Path>) -> Result<Self, String> {
        let Some(path) = path else {
            return Ok(HostCapture::default());
        };
        let file = m2285_hostfs::create_output(path, m2285_hostfs::SECRET_MODE)
            .map_err(|e| format!("--pcap: {e}"))?;
        let mut state = State {
            file,
            pcap: PcapWriter::new(),
            streams: BTreeMap::new(),
        };
        state.flush();
        Ok(HostCapture {
            state: Some(Arc::new(Mutex::new(state))),
        })
    }

    fn with(&self, f: impl FnOnce(&mut State)) {
        let Some(state) = &self.state else { return };
        let mut state = state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        f(&mut state);
        state.flush();
    }

    /// A connection's host socket is connected: the handshake, opened by the device
    /// (`by_device`) or by the peer.
    pub fn opened(
        &self,
        t: Instant,
        conn: ConnId,
        device: SocketAddr,
        peer: SocketAddr,
        by_device: bool,
    ) {
        let (Some(device), Some(peer)) = (v4(device), v4(peer)) else {
            return;
        };
        self.with(|s| {
            let mut stream = Stream {
                device,
                peer,
                seq: ISN,
            };
            let syn = Flags {
                syn: true,
                ..Flags::default()
            };
            let syn_ack = Flags { ack: true, ..syn };
            let ack = Flags {
                ack: true,
                ..Flags::default()
            };
            let first = !by_device;
            s.segment(t, &mut stream, !first, syn, &[]);
            s.segment(t, &mut stream, first, syn_ack, &[]);
            s.segment(t, &mut stream, !first, ack, &[]);
            s.streams.insert(conn, stream);
        });
    }

    /// Bytes written to (`from_device`) or read from a connection's host socket.
    pub fn data(&self, t: Instant, conn: ConnId, from_device: bool, data: &[u8]) {
        self.with(|s| {
            let Some(mut stream) = s.streams.remove(&conn) else {
                return;
            };
            let flags = Flags {
                ack: true,
                ..Flags::default()
            };
            for chunk in data.chunks(MSS) {
                s.segment(t, &mut stream, from_device, flags, chunk);
            }
            s.streams.insert(conn, stream);
        });
    }

    /// An orderly close of one side (a FIN).
    pub fn closed(&self, t: Instant, conn: ConnId, by_device: bool) {
        self.with(|s| {
            let Some(mut stream) = s.streams.remove(&conn) else {
                return;
            };
            let fin = Flags {
                fin: true,
                ack: true,
                ..Flags::default()
            };
            s.segment(t, &mut stream, by_device, fin, &[]);
            s.streams.insert(conn, stream);
        });
    }

    /// A reset by one side; the connection is gone.
    pub fn reset(&self, t: Instant, conn: ConnId, by_device: bool) {
        self.with(|s| {
            let Some(mut stream) = s.streams.remove(&conn) else {
                return;
            };
            let rst = Flags {
                rst: true,
                ..Flags::default()
            };
            s.segment(t, &mut stream, by_device, rst, &[]);
        });
    }

    /// A UDP datagram from `src` to `dst`.
    pub fn datagram(&self, t: Instant, src: SocketAddr, dst: SocketAddr, data: &[u8]) {
        let (Some(src), Some(dst)) = (v4(src), v4(dst)) else {
            return;
        };
        self.with(|s| s.pcap.udp(t, src, dst, data));
    }
}

impl State {
    /// One synthesised segment of `stream`, sent by the device or by the peer.
    fn segment(
        &mut self,
        t: Instant,
        stream: &mut Stream,
        from_device: bool,
        flags: Flags,
        data: &[u8],
    ) {
        let (src, dst, seq, ack) = if from_device {
            (stream.device, stream.peer, stream.seq.0, stream.seq.1)
        } else {
            (stream.peer, stream.device, stream.seq.1, stream.seq.0)
        };
        self.pcap.tcp(
            t,
            &TcpFrame {
                src,
                dst,
                seq,
                ack,
                flags,
                data,
            },
        );
        let used = data.len() as u32 + u32::from(flags.syn) + u32::from(flags.fin);
        let next = if from_device {
            &mut stream.seq.0
        } else {
            &mut stream.seq.1
        };
        *next = next.wrapping_add(used);
    }

    fn flush(&mut self) {
        let bytes = self.pcap.take_bytes();
        if let Err(e) = self.file.write_all(&bytes) {
            tracing::warn!("cannot write the pcap: {e}");
        }
    }
}
