//! The `tls.*` faults on a link: they read the TCP payload crossing it as TLS records
//! ([`crate::faults::tls`]) and flip a record's byte or cut a handshake.

use super::wire::{dir_label, way};
use super::{ConnKey, Ctx, Side, SimNet};
use crate::faults::tls;
use crate::network::tcp::Segment;
use crate::trace::TraceEvent;

impl SimNet {
    /// Applies the `tls.*` faults to a data segment about to cross towards `to`. Only payload
    /// not shown before is read (a retransmission carries the original bytes again). Returns
    /// true when `tls.abort_handshake` cut the connection: both ends are reset and the
    /// segment is lost.
    pub(super) fn tls_faults(
        &mut self,
        ctx: &mut Ctx<'_>,
        key: ConnKey,
        to: Side,
        seg: &mut Segment,
    ) -> bool {
        let Some(c) = self.conns.get_mut(&key) else {
            return false;
        };
        let name = self.hosts[c.host].name.clone();
        let w = way(to);
        if c.tls.in_handshake() && tls::aborter(ctx.faults, w, name.as_str()).is_some() {
            ctx.trace.record(
                ctx.now,
                TraceEvent::Dropped {
                    peer: name.clone(),
                    dir: dir_label(to),
                    reason: "tls.abort_handshake",
                    flags: seg.flags.label(),
                    len: seg.data.len(),
                },
            );
            self.reset_conn(ctx, key);
            return true;
        }
        let slot = &mut c.tls_scanned[usize::from(to == Side::Device)];
        let from = slot.unwrap_or(seg.seq);
        let end = seg.seq + seg.data.len() as u64;
        if end <= from {
            return false;
        }
        *slot = Some(end);
        let skip = usize::try_from(from.saturating_sub(seg.seq)).unwrap_or(usize::MAX);
        let Some(fresh) = seg.data.get_mut(skip..) else {
            return false;
        };
        let hits = tls::corrupters(ctx.faults, w, name.as_str());
        let faults = &mut *ctx.faults;
        c.tls
            .observe(w, fresh, &mut || hits.iter().any(|&n| tls::roll(faults, n)));
        false
    }
}
