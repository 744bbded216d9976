//! The partition's timers and one-shot resets: when a partition starts or ends on a
//! connection, when TCP would give it up, and `net.reset`.

use super::{cut_by, FaultyNet};
use m2285_boundary::faults::peer::Link;
use m2285_boundary::faults::{Direction, FaultKind};
use m2285_boundary::keepalive::{self, KEEPALIVE_TIMEOUT, RETRANSMISSION_TIMEOUT};
use m2285_core::io::{ConnId, NetEvent};
use m2285_time::Instant;

impl FaultyNet {
    /// Notes partitions starting and ending on each connection; resets the sockets of
    /// connections declared dead once their partition is over.
    pub(super) fn refresh_cuts(&mut self, now: Instant) {
        let faults = self.boundary.faults();
        let mut revive = Vec::new();
        for (conn, t) in &mut self.tracks {
            let cut = cut_by(&faults, Direction::Both, &t.link());
            match (cut, t.cut_since) {
                (Some(n), None) => {
                    t.cut_since = Some(now);
                    t.cut_by = Some(n);
                    t.deadline = match (t.unacked_since, t.keepalive) {
                        _ if t.closed_by_device => None,
                        (Some(since), _) => Some((
                            since + keepalive::retransmission_give_up(),
                            RETRANSMISSION_TIMEOUT,
                        )),
                        (None, Some(p)) => Some((
                            keepalive::keepalive_deadline(t.last_heard, now, p),
                            KEEPALIVE_TIMEOUT,
                        )),
                        (None, None) => None,
                    };
                }
                (None, Some(_)) => revive.push(*conn),
                _ => {}
            }
        }
        drop(faults);
        for conn in revive {
            let dead = self.tracks.get(&conn).is_some_and(|t| t.dead);
            if dead {
                self.capture.reset(now, conn, true);
                self.inner.abort(&self.registry, conn);
                self.tracks.remove(&conn);
            } else if let Some(t) = self.tracks.get_mut(&conn) {
                t.cut_since = None;
                t.cut_by = None;
                t.deadline = None;
                t.unacked_since = None;
                t.held_out = 0;
                t.last_heard = now;
            }
        }
    }

    /// Declares dead the partitioned connections whose TCP timer ran out.
    pub(super) fn expire(&mut self, now: Instant, out: &mut Vec<NetEvent>) {
        for (conn, t) in &mut self.tracks {
            let Some((at, reason)) = t.deadline else {
                continue;
            };
            if at > now || t.dead {
                continue;
            }
            tracing::info!(
                ?conn,
                reason,
                "partition: the runtime declares the session dead"
            );
            t.dead = true;
            t.deadline = None;
            t.inbound.clear();
            t.outbound.clear();
            t.held_in = 0;
            if let Some(n) = t.cut_by {
                if let Some(c) = self.boundary.faults().counters(n) {
                    c.sessions_failed += 1;
                }
            }
            out.push(NetEvent::Failed {
                conn: *conn,
                reason: reason.to_owned(),
            });
        }
    }

    /// Carries out `net.reset` instances that have started: RST to the peer, `Failed` to the
    /// device, once.
    pub(super) fn resets(&mut self, now: Instant, out: &mut Vec<NetEvent>) {
        let resets: Vec<(usize, Option<String>)> = self
            .boundary
            .faults()
            .active()
            .filter(|(_, i)| matches!(i.spec.kind, FaultKind::NetReset))
            .map(|(n, i)| (n, i.spec.peer.clone()))
            .collect();
        for (n, peer) in resets {
            let hit: Vec<ConnId> = self
                .tracks
                .iter()
                .filter(|(_, t)| !t.dead && peer.as_deref().is_none_or(|p| t.link().answers_to(p)))
                .map(|(c, _)| *c)
                .collect();
            for conn in &hit {
                self.capture.reset(now, *conn, true);
                self.inner.abort(&self.registry, *conn);
                let told = self
                    .tracks
                    .remove(conn)
                    .is_some_and(|t| !t.closed_by_device);
                if told {
                    out.push(NetEvent::Failed {
                        conn: *conn,
                        reason: "connection reset by peer".into(),
                    });
                }
            }
            let mut faults = self.boundary.faults();
            if let Some(c) = faults.counters(n) {
                c.sessions_failed += hit.len() as u64;
            }
            let change = faults.finish(n);
            drop(faults);
            self.boundary
                .trace_changes(now, change.into_iter().collect());
        }
    }
}
