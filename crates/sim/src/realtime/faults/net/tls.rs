//! The `tls.*` faults at the host sockets: the payload of each connection (the device's
//! `Send`s, the host's `Received`s) is read as TLS records (`m2285_boundary::faults::tls`), a
//! record's byte is flipped (`tls.corrupt_record`) or a connection in its handshake is reset
//! (`tls.abort_handshake`: RST to the peer, `Failed` to the device).

use super::FaultyNet;
use m2285_boundary::faults::{tls, Direction};
use m2285_boundary::trace::TraceEvent;
use m2285_core::io::{ConnId, NetEvent};
use m2285_time::Instant;

/// Why the device is told its session ended when `tls.abort_handshake` cuts it.
pub const ABORT_REASON: &str = "connection reset by peer";

impl FaultyNet {
    /// Applies the `tls.*` faults to `data` going `way` on `conn`. Returns false when
    /// `tls.abort_handshake` cut the connection: the socket is reset, the device will hear
    /// `Failed`, and `data` is lost.
    pub(super) fn tls_faults(
        &mut self,
        conn: ConnId,
        way: Direction,
        data: &mut [u8],
        now: Instant,
    ) -> bool {
        let Some(t) = self.tracks.get_mut(&conn) else {
            return true;
        };
        let mut faults = self.boundary.faults();
        let link = t.link();
        if t.tls.in_handshake() {
            if let Some(n) = tls::aborter(faults.set(), way, &link) {
                if let Some(c) = faults.counters(n) {
                    c.sessions_failed += 1;
                }
                drop(faults);
                let peer = t.addr.map_or_else(String::new, |a| a.to_string());
                let told = !t.closed_by_device;
                self.tracks.remove(&conn);
                self.inner.abort(&self.registry, conn);
                if told {
                    self.aborted.push(NetEvent::Failed {
                        conn,
                        reason: ABORT_REASON.into(),
                    });
                }
                self.boundary.tracer.record(
                    now,
                    TraceEvent::Dropped {
                        peer,
                        dir: if way == Direction::ToDevice {
                            "in"
                        } else {
                            "out"
                        },
                        reason: "tls.abort_handshake",
                        flags: "tcp".into(),
                        len: data.len(),
                    },
                );
                tracing::info!(?conn, "tls.abort_handshake: connection reset");
                return false;
            }
        }
        let hits = tls::corrupters(faults.set(), way, &link);
        let mut rolled = Vec::new();
        let effect = t.tls.observe(way, data, &mut || {
            let hit = hits
                .iter()
                .copied()
                .find(|&n| tls::roll(faults.set_mut(), n));
            rolled.extend(hit);
            hit.is_some()
        });
        for n in rolled {
            if let Some(c) = faults.counters(n) {
                c.bytes_changed += 1;
            }
        }
        if effect.corrupted > 0 {
            tracing::info!(?conn, records = effect.corrupted, "tls.corrupt_record");
        }
        true
    }
}
