//! The faults of one run: every instance injected so far, whether it is on, and its own
//! random stream.

use super::peer::Link;
use super::{Direction, FaultSpec};
use crate::rng::SimRng;
use m2285_time::Instant;
use serde::Serialize;

/// What one fault instance did so far (the control API shows them; both runtimes count the
/// same way because the counting is done here, where the fault acts).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Counters {
    /// Bytes that crossed the serial line while it acted on them.
    pub bytes: u64,
    /// Bits it flipped.
    pub bits_flipped: u64,
    /// Characters it changed (for bit errors: the frames it hit).
    pub bytes_changed: u64,
    /// Characters it removed (for bit errors and baud mismatch: characters the receiver lost
    /// to resynchronising).
    pub bytes_dropped: u64,
    /// Characters it added (bit errors and baud mismatch: a receiver resynchronising on a
    /// damaged frame can read more characters than were sent). Received = sent −
    /// `bytes_dropped` + `bytes_added` over every fault on the line.
    pub bytes_added: u64,
    /// UDP datagrams it dropped.
    pub datagrams_dropped: u64,
    /// Sessions that failed because of it (keep-alive or retransmission timeout, reset).
    pub sessions_failed: u64,
    /// Packets it lost (`net.loss`, `net.connect_timeout`): on TCP each costs a retransmission.
    pub packets_lost: u64,
    /// Packets it delivered twice (`net.duplicate`; TCP discards the copy).
    pub packets_duplicated: u64,
    /// Packets it held back (`net.reorder`).
    pub packets_reordered: u64,
    /// Connection attempts it refused (`net.refuse`).
    pub connections_refused: u64,
}

/// One injected fault.
#[derive(Clone, Debug)]
pub struct Instance {
    /// What was asked for.
    pub spec: FaultSpec,
    /// When it starts.
    pub start: Instant,
    /// When it ends, if it has an end.
    pub end: Option<Instant>,
    /// True between its start and its end (or clear).
    pub active: bool,
    /// True once it has ended or been cleared; it never comes back.
    pub finished: bool,
    /// This instance's dice: the run's seed, stream named after the id and instance number.
    pub rng: SimRng,
    /// Bits left before the next bit error, per direction (to device, from device).
    pub(crate) bits_to_next_error: [Option<u64>; 2],
    /// What it did so far.
    pub counters: Counters,
}

impl Instance {
    /// True when this instance is on and acts on traffic going `way` on `peer`'s link
    /// (`peer` is ignored for faults without a peer filter, and `None` matches any filter).
    pub fn hits(&self, way: Direction, peer: Option<&str>) -> bool {
        match peer {
            Some(peer) => self.hits_link(way, peer),
            None => self.active && self.spec.direction.covers(way),
        }
    }

    /// True when this instance is on and acts on traffic going `way` on `link`
    /// ([`super::peer`]: no `peer` filter, or the link answers to it).
    pub fn hits_link<L: Link + ?Sized>(&self, way: Direction, link: &L) -> bool {
        self.active
            && self.spec.direction.covers(way)
            && self.spec.peer.as_deref().is_none_or(|p| link.answers_to(p))
    }
}

/// Every fault instance of a run, in injection order (the order they act in).
#[derive(Debug)]
pub struct FaultSet {
    seed: u64,
    list: Vec<Instance>,
}

impl FaultSet {
    /// An empty set drawing from the run's `seed`.
    pub fn new(seed: u64) -> Self {
        FaultSet {
            seed,
            list: Vec::new(),
        }
    }

    /// Adds `spec`, starting `spec.start` after `now`; returns its index. It is not active
    /// until [`FaultSet::activate`].
    pub fn add(&mut self, spec: FaultSpec, now: Instant) -> usize {
        let same_id = self.list.iter().filter(|i| i.spec.id == spec.id).count();
        let rng = SimRng::new(self.seed, &format!("fault:{}:{same_id}", spec.id));
        let start = now + spec.start;
        let end = (!spec.is_one_shot())
            .then_some(spec.duration)
            .flatten()
            .map(|d| start + d);
        self.list.push(Instance {
            spec,
            start,
            end,
            active: false,
            finished: false,
            rng,
            bits_to_next_error: [None; 2],
            counters: Counters::default(),
        });
        self.list.len() - 1
    }

    /// Turns instance `index` on (unless it already finished); true if that changed anything.
    pub fn activate(&mut self, index: usize) -> bool {
        match self.list.get_mut(index) {
            Some(i) if !i.active && !i.finished => {
                i.active = true;
                true
            }
            _ => false,
        }
    }

    /// Turns instance `index` off for good; true if it was on or pending.
    pub fn finish(&mut self, index: usize) -> bool {
        match self.list.get_mut(index) {
            Some(i) if !i.finished => {
                i.finished = true;
                i.active = false;
                true
            }
            _ => false,
        }
    }

    /// Indexes of the unfinished instances called `id`.
    pub fn find(&self, id: &str) -> Vec<usize> {
        (0..self.list.len())
            .filter(|&n| self.list[n].spec.id == id && !self.list[n].finished)
            .collect()
    }

    /// How many instances were added, finished ones included; their indexes are `0..len()`.
    pub fn len(&self) -> usize {
        self.list.len()
    }

    /// True when no fault was ever added.
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// Instance `index`, mutable (for a runtime that rolls its dice outside [`FaultSet`]).
    pub fn get_mut(&mut self, index: usize) -> Option<&mut Instance> {
        self.list.get_mut(index)
    }

    /// Instance `index`.
    pub fn get(&self, index: usize) -> Option<&Instance> {
        self.list.get(index)
    }

    /// The active instances, in injection order.
    pub fn active(&self) -> impl Iterator<Item = &Instance> {
        self.list.iter().filter(|i| i.active)
    }

    /// The active instances, mutable (their dice roll), in injection order.
    pub fn active_mut(&mut self) -> impl Iterator<Item = &mut Instance> {
        self.list.iter_mut().filter(|i| i.active)
    }

    /// True when any serial fault is on (the serial path's fast-path check).
    pub fn any_serial(&self) -> bool {
        self.active().any(|i| i.spec.is_serial())
    }
}
