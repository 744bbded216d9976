//! Network-link faults: what happens to one packet on a link between the device and a peer.
//!
//! The simulated network asks these functions about every packet it sends; they look at the
//! active `net.*` faults for that peer and direction and roll each fault's own dice.

use super::{Direction, FaultKind, FaultSet};
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
pub fn packet_fate(faults: &mut FaultSet, peer: &str, way: Direction, is_syn: bool) -> Fate {
    let mut fate = Fate::default();
    for inst in faults.active_mut().filter(|i| i.hits(way, Some(peer))) {
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
                fate.extra_delay += delay + inst.rng.duration_up_to(jitter);
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
pub fn partitioned(faults: &FaultSet, peer: &str, way: Direction) -> bool {
    faults
        .active()
        .any(|i| i.hits(way, Some(peer)) && i.spec.kind == FaultKind::NetPartition)
}

/// The tightest `net.bandwidth` limit on `peer`'s link going `way`, in bits per second.
pub fn bandwidth(faults: &FaultSet, peer: &str, way: Direction) -> Option<u64> {
    faults
        .active()
        .filter(|i| i.hits(way, Some(peer)))
        .filter_map(|i| match i.spec.kind {
            FaultKind::NetBandwidth { bits_per_s } => Some(bits_per_s),
            _ => None,
        })
        .min()
}

/// True when a connection attempt on `peer`'s link is to be refused (rolls `net.refuse`).
pub fn refuse(faults: &mut FaultSet, peer: &str) -> bool {
    let mut refused = false;
    for inst in faults
        .active_mut()
        .filter(|i| i.hits(Direction::Both, Some(peer)))
    {
        if let FaultKind::NetRefuse { probability } = inst.spec.kind {
            refused |= inst.rng.chance(probability);
        }
    }
    refused
}
