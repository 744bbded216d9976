//! Network-link faults: what happens to one packet on a link between the device and a peer.
//!
//! The simulated network asks these functions about every packet it sends; they look at the
//! active `net.*` faults for that peer and direction and roll each fault's own dice.

use super::peer::Link;
use super::{Direction, FaultKind, FaultSet};
use crate::rng::SimRng;
use std::time::Duration;

/// What becomes of one packet.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Fate {
    /// Lost, and why (`"partition"`, `"loss"`, `"connect_timeout"`).
    pub dropped: Option<&'static str>,
    /// Delay on top of the link's own latency (latency faults, jitter, reordering).
    pub extra_delay: Duration,
    /// A second copy arrives this much later than the first.
    pub duplicate_after: Option<Duration>,
}

/// Decides the fate of a packet going `way` on `peer`'s link. `is_syn` marks connection
/// requests (for `net.connect_timeout`).
pub fn packet_fate<L: Link + ?Sized>(
    faults: &mut FaultSet,
    peer: &L,
    way: Direction,
    is_syn: bool,
) -> Fate {
    let mut fate = Fate::default();
    for inst in faults.active_mut().filter(|i| i.hits_link(way, peer)) {
        match inst.spec.kind {
            FaultKind::NetPartition => {
                fate.dropped.get_or_insert("partition");
            }
            FaultKind::NetLoss { probability } if inst.rng.chance(probability) => {
                fate.dropped.get_or_insert("loss");
            }
            FaultKind::NetConnectTimeout { probability }
                if is_syn && inst.rng.chance(probability) =>
            {
                fate.dropped.get_or_insert("connect_timeout");
            }
            FaultKind::NetLatency { delay, jitter } => {
                fate.extra_delay += latency_draw(&mut inst.rng, delay, jitter);
            }
            FaultKind::NetReorder { probability, delay } if inst.rng.chance(probability) => {
                fate.extra_delay += delay;
            }
            FaultKind::NetDuplicate { probability } if inst.rng.chance(probability) => {
                fate.duplicate_after = Some(Duration::from_micros(1));
            }
            _ => {}
        }
    }
    fate
}

/// True while a partition cuts `peer`'s link going `way` (checked again when a packet
/// arrives, so packets in flight when the cable is pulled are lost too).
pub fn partitioned<L: Link + ?Sized>(faults: &FaultSet, peer: &L, way: Direction) -> bool {
    cutting_partition(faults, peer, way).is_some()
}

/// The index of the first active `net.partition` cutting `peer`'s link going `way`, if any
/// (a runtime charges its counters with what the cut cost).
pub fn cutting_partition<L: Link + ?Sized>(
    faults: &FaultSet,
    peer: &L,
    way: Direction,
) -> Option<usize> {
    (0..faults.len()).find(|&n| {
        faults
            .get(n)
            .is_some_and(|i| i.hits_link(way, peer) && i.spec.kind == FaultKind::NetPartition)
    })
}

/// The extra delay of one packet going `way` on `peer`'s link from the `net.latency` faults
/// alone (each rolls its jitter from its own stream, exactly as in [`packet_fate`]); for a
/// runtime that carries latency but not the other packet faults.
pub fn latency<L: Link + ?Sized>(faults: &mut FaultSet, peer: &L, way: Direction) -> Duration {
    let mut total = Duration::ZERO;
    for inst in faults.active_mut().filter(|i| i.hits_link(way, peer)) {
        if let FaultKind::NetLatency { delay, jitter } = inst.spec.kind {
            total += latency_draw(&mut inst.rng, delay, jitter);
        }
    }
    total
}

/// One packet's delay from one `net.latency`: `delay` plus a uniform `0..=jitter`.
fn latency_draw(rng: &mut SimRng, delay: Duration, jitter: Duration) -> Duration {
    delay + rng.duration_up_to(jitter)
}

/// The tightest `net.bandwidth` limit on `peer`'s link going `way`, in bits per second.
pub fn bandwidth<L: Link + ?Sized>(faults: &FaultSet, peer: &L, way: Direction) -> Option<u64> {
    faults
        .active()
        .filter(|i| i.hits_link(way, peer))
        .filter_map(|i| match i.spec.kind {
            FaultKind::NetBandwidth { bits_per_s } => Some(bits_per_s),
            _ => None,
        })
        .min()
}

/// True when a connection attempt on `peer`'s link is to be refused (rolls `net.refuse`).
pub fn refuse<L: Link + ?Sized>(faults: &mut FaultSet, peer: &L) -> bool {
    let mut refused = false;
    for inst in faults
        .active_mut()
        .filter(|i| i.hits_link(Direction::Both, peer))
    {
        if let FaultKind::NetRefuse { probability } = inst.spec.kind {
            refused |= inst.rng.chance(probability);
        }
    }
    refused
}
