//! The packet faults on host sockets: `net.loss`, `net.duplicate`, `net.reorder` and
//! `net.bandwidth`. The decisions are the boundary crate's (`m2285_boundary::faults::net`);
//! this is only how a host socket shows them.
//!
//! * A TCP connection's bytes cannot be lost, doubled or reordered by the kernel, so each
//!   device send and each read from the host socket counts as one segment and is delayed by what
//!   its peer would observe (`tcp_segment`): a lost copy costs a retransmission timeout, a
//!   reordered one its hold, a duplicate nothing but its counter. Connections stay first in,
//!   first out, as TCP delivers them.
//! * UDP datagrams are really lost, duplicated and reordered: a held datagram is overtaken by
//!   the ones after it.
//! * `net.bandwidth` paces both: each segment or datagram leaves when the ones before it on the
//!   same connection (or, for UDP, the same direction) have left at the limit, headers counted.

use super::Faults;
use m2285_boundary::faults::net as net_rule;
use m2285_boundary::faults::peer::HostLink;
use m2285_boundary::faults::Direction;
use m2285_time::Instant;
use std::collections::VecDeque;
use std::time::Duration;

/// How late one TCP segment of `len` bytes going `way` arrives, paced behind the link that is
/// busy until `*free`; `Err` with that delay when every retransmission was lost and TCP gives
/// the connection up.
pub(super) fn segment_delay(
    faults: &mut Faults,
    link: &HostLink,
    way: Direction,
    len: usize,
    free: &mut Instant,
    now: Instant,
) -> Result<Duration, Duration> {
    let paced = pacing(faults, link, way, len, free, now);
    let seen = net_rule::tcp_segment(faults.set_mut(), link, way);
    if seen.gave_up {
        return Err(paced + m2285_boundary::keepalive::retransmission_give_up());
    }
    Ok(paced + seen.delay)
}

/// What becomes of one UDP datagram on a host socket.
pub(super) enum Datagram {
    /// Lost, and why.
    Lost(&'static str),
    /// Delivered after this delay, and a copy this much later still.
    Deliver(Duration, Option<Duration>),
}

/// Decides one datagram of `len` bytes going `way` on `link` (a partition is checked before).
pub(super) fn datagram(
    faults: &mut Faults,
    link: &HostLink,
    way: Direction,
    len: usize,
    free: &mut Instant,
    now: Instant,
) -> Datagram {
    let fate = net_rule::packet_fate(faults.set_mut(), link, way, false);
    if let Some(reason) = fate.dropped {
        return Datagram::Lost(reason);
    }
    let paced = pacing(faults, link, way, len, free, now);
    let delay = paced + fate.extra_delay;
    Datagram::Deliver(delay, fate.duplicate_after.map(|d| delay + d))
}

/// The wait of `len` payload bytes behind the `net.bandwidth` limit of `link` going `way`.
fn pacing(
    faults: &Faults,
    link: &HostLink,
    way: Direction,
    len: usize,
    free: &mut Instant,
    now: Instant,
) -> Duration {
    match net_rule::bandwidth(faults.set(), link, way) {
        Some(bps) => {
            let wire = net_rule::wire_bytes(len as u64);
            net_rule::pace(free, now, wire, bps).saturating_since(now)
        }
        None => Duration::ZERO,
    }
}

/// Queues `item` for `at` among datagrams, after those due no later (datagrams held longer are
/// overtaken: no order is kept beyond that).
pub(super) fn schedule<T>(queue: &mut VecDeque<(Instant, T)>, at: Instant, item: T) {
    let index = queue.partition_point(|(due, _)| *due <= at);
    queue.insert(index, (at, item));
}

/// The index of a direction in a connection's pacing state.
pub(super) fn lane(way: Direction) -> usize {
    usize::from(way == Direction::FromDevice)
}
