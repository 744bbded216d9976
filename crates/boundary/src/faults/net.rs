//! Network-link faults: what happens to one packet on a link between the device and a peer.
//!
//! The simulated network asks these functions about every packet it sends; they look at the
//! active `net.*` faults for that peer and direction and roll each fault's own dice.

use super::peer::Link;
use super::{Direction, FaultKind, FaultSet};
use crate::keepalive;
use crate::rng::SimRng;
use m2285_time::Instant;
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
                inst.counters.packets_lost += 1;
                fate.dropped.get_or_insert("loss");
            }
            FaultKind::NetConnectTimeout { probability }
                if is_syn && inst.rng.chance(probability) =>
            {
                inst.counters.packets_lost += 1;
                fate.dropped.get_or_insert("connect_timeout");
            }
            FaultKind::NetLatency { delay, jitter } => {
                fate.extra_delay += latency_draw(&mut inst.rng, delay, jitter);
            }
            FaultKind::NetReorder { probability, delay } if inst.rng.chance(probability) => {
                inst.counters.packets_reordered += 1;
                fate.extra_delay += delay;
            }
            FaultKind::NetDuplicate { probability } if inst.rng.chance(probability) => {
                inst.counters.packets_duplicated += 1;
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

/// Ethernet + IPv4 + TCP header bytes of one segment, counted against `net.bandwidth`.
pub const HEADER_BYTES: u64 = 54;
/// TCP's maximum segment size on the links (Ethernet MTU 1500 less 40 bytes of IP and TCP).
pub const MSS: u64 = 1460;

/// Bytes on the wire for `payload` bytes of a stream cut into [`MSS`] segments, each with its
/// [`HEADER_BYTES`] (at least one segment): what `net.bandwidth` paces on a host socket, whose
/// reads and writes are not segments.
pub fn wire_bytes(payload: u64) -> u64 {
    payload + payload.div_ceil(MSS).max(1) * HEADER_BYTES
}

/// When a packet of `bytes` (payload plus `header` bytes) queued at `now` behind a link that is
/// busy until `*free` has left it at `bits_per_s`; moves `*free` on to that instant. The
/// serialisation rule of `net.bandwidth`, for both runtimes.
pub fn pace(free: &mut Instant, now: Instant, bytes: u64, bits_per_s: u64) -> Instant {
    let bits = u128::from(bytes) * 8;
    let ns = (bits * 1_000_000_000).div_ceil(u128::from(bits_per_s.max(1)));
    let start = (*free).max(now);
    *free = start + Duration::from_nanos(u64::try_from(ns).unwrap_or(u64::MAX));
    *free
}

/// What the far end of a TCP connection observes of one segment that crosses a host socket,
/// where the kernel's TCP cannot lose, duplicate or reorder anything: the faults' decision
/// ([`packet_fate`]) turned into what TCP makes of it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Observed {
    /// How much later than sent the bytes arrive: latency and reordering delays, plus, for
    /// each lost copy, the retransmission timeout before the next (`crate::keepalive`'s
    /// rule: from `RTO_MIN`, doubling).
    pub delay: Duration,
    /// Copies of the segment lost before one got through.
    pub retransmissions: u32,
    /// A copy arrived twice (TCP discards it; only the counters show it).
    pub duplicated: bool,
    /// Every copy was lost: TCP gives the connection up after `DATA_RETRIES`
    /// retransmissions (`crate::keepalive::retransmission_give_up` after the first send).
    pub gave_up: bool,
}

/// Decides what becomes of one TCP segment going `way` on `peer`'s link, as the peer observes
/// it: [`packet_fate`] rolled for the first transmission and again for each retransmission of
/// a lost copy. A partition is not this function's business (the runtime holds the traffic);
/// it counts as no loss here.
pub fn tcp_segment<L: Link + ?Sized>(faults: &mut FaultSet, peer: &L, way: Direction) -> Observed {
    let mut seen = Observed::default();
    let mut rto = keepalive::RTO_MIN;
    loop {
        let fate = packet_fate(faults, peer, way, false);
        if fate.dropped != Some("loss") {
            seen.delay += fate.extra_delay;
            seen.duplicated = fate.duplicate_after.is_some();
            return seen;
        }
        if seen.retransmissions == keepalive::DATA_RETRIES {
            seen.gave_up = true;
            return seen;
        }
        seen.retransmissions += 1;
        seen.delay += rto;
        rto = keepalive::next_rto(rto);
    }
}

/// True when a connection attempt's SYN on `peer`'s link vanishes (rolls `net.connect_timeout`
/// only): for a runtime whose kernel makes the SYNs, which decides once per attempt.
pub fn syn_lost<L: Link + ?Sized>(faults: &mut FaultSet, peer: &L) -> bool {
    let mut lost = false;
    for inst in faults
        .active_mut()
        .filter(|i| i.hits_link(Direction::FromDevice, peer))
    {
        if let FaultKind::NetConnectTimeout { probability } = inst.spec.kind {
            if inst.rng.chance(probability) {
                inst.counters.packets_lost += 1;
                lost = true;
            }
        }
    }
    lost
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
            if inst.rng.chance(probability) {
                inst.counters.connections_refused += 1;
                refused = true;
            }
        }
    }
    refused
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::faults::FaultSpec;

    fn set_with(name: &str, params: &[(&str, &str)]) -> FaultSet {
        let mut set = FaultSet::new(7);
        let spec = FaultSpec::parse(name, params.iter().copied());
        let i = set.add(spec.unwrap_or_else(|e| panic!("{e:?}")), Instant::ZERO);
        set.activate(i);
        set
    }

    #[test]
    fn a_lost_tcp_segment_arrives_after_the_retransmission_timeouts() {
        let mut set = set_with("net.loss", &[("probability", "0.5")]);
        let mut seen_late = false;
        for _ in 0..200 {
            let o = tcp_segment(&mut set, "peer", Direction::ToDevice);
            let mut rto = keepalive::RTO_MIN;
            let mut waited = Duration::ZERO;
            for _ in 0..o.retransmissions {
                waited += rto;
                rto = keepalive::next_rto(rto);
            }
            assert_eq!(o.delay, waited, "{o:?}");
            seen_late |= o.retransmissions > 0;
        }
        assert!(seen_late);
        let lost = set.get(0).map_or(0, |i| i.counters.packets_lost);
        assert!((100..300).contains(&lost), "{lost}");
        let mut all = set_with("net.loss", &[("probability", "1")]);
        let o = tcp_segment(&mut all, "peer", Direction::ToDevice);
        assert!(
            o.gave_up && o.retransmissions == keepalive::DATA_RETRIES,
            "{o:?}"
        );
    }

    #[test]
    fn duplicates_and_reordering_are_observed_and_counted() {
        let mut set = set_with("net.duplicate", &[("probability", "1")]);
        assert!(tcp_segment(&mut set, "peer", Direction::FromDevice).duplicated);
        assert_eq!(set.get(0).map(|i| i.counters.packets_duplicated), Some(1));
        let mut set = set_with("net.reorder", &[("probability", "1"), ("delay", "30ms")]);
        let o = tcp_segment(&mut set, "peer", Direction::FromDevice);
        assert_eq!(o.delay, Duration::from_millis(30));
        assert_eq!(set.get(0).map(|i| i.counters.packets_reordered), Some(1));
    }

    #[test]
    fn pacing_queues_packets_behind_each_other() {
        let mut free = Instant::ZERO;
        let now = Instant::from_millis(1000);
        // 1000 bytes at 80 kbit/s: 100 ms each.
        assert_eq!(
            pace(&mut free, now, 1000, 80_000),
            Instant::from_millis(1100)
        );
        assert_eq!(
            pace(&mut free, now, 1000, 80_000),
            Instant::from_millis(1200)
        );
        assert_eq!(wire_bytes(0), HEADER_BYTES);
        assert_eq!(wire_bytes(1461), 1461 + 2 * HEADER_BYTES);
    }
}
