//! The MIB tree the agent serves, built from a [`DeviceView`] for each request.
//!
//! A [`Mib`] is an ordered map from OID to [`Entry`]; GET is a lookup, GETNEXT the next key.
//! Each entry knows how long its object's OID is (to tell noSuchObject from noSuchInstance)
//! and whether a SET may change it. [`mib2`] holds the MIB-II groups, [`private`] the
//! enterprise MIB of `mibs/M2285-MIB.txt`.

mod kernel;
pub mod mib2;
pub mod private;

use crate::view::DeviceView;
use crate::SnmpCounters;
use rasn::types::{Integer, ObjectIdentifier, OctetString};
use rasn_smi::v1::{Counter, Gauge, IpAddress, TimeTicks};
use rasn_smi::v2::{ApplicationSyntax, ObjectSyntax, SimpleSyntax};
use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::ops::Bound;

/// An object a SET may change, and the configuration key behind it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Writable {
    /// A DisplayString (0..255 printable ASCII) stored in this configuration key.
    Text(&'static str),
    /// A TruthValue (1 true, 2 false) stored as a boolean in this configuration key.
    Truth(&'static str),
}

/// One object instance.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// Its value.
    pub value: ObjectSyntax,
    /// Length of the object's OID (the instance OID without its index).
    pub object_len: usize,
    /// Whether and how a SET may change it.
    pub writable: Option<Writable>,
}

/// The served tree.
#[derive(Debug, Clone, Default)]
pub struct Mib {
    entries: BTreeMap<Vec<u32>, Entry>,
}

impl Mib {
    /// Every object of the device, from the view and the agent's own counters.
    pub fn build(view: &DeviceView, counters: &SnmpCounters) -> Mib {
        let mut mib = Mib::default();
        mib2::add(&mut mib, view, counters);
        private::add(&mut mib, view);
        mib
    }

    /// The instance at exactly `oid`.
    pub fn get(&self, oid: &[u32]) -> Option<&Entry> {
        self.entries.get(oid)
    }

    /// The first instance after `oid` in lexicographic order.
    pub fn next(&self, oid: &[u32]) -> Option<(&Vec<u32>, &Entry)> {
        self.entries
            .range::<[u32], _>((Bound::Excluded(oid), Bound::Unbounded))
            .next()
    }

    /// True when `oid` names an instance of an object the MIB has (the object exists, the
    /// instance does not): GET answers noSuchInstance rather than noSuchObject.
    pub fn has_object_of(&self, oid: &[u32]) -> bool {
        let before = self
            .entries
            .range::<[u32], _>((Bound::Unbounded, Bound::Excluded(oid)))
            .next_back();
        let after = self.next(oid);
        before
            .into_iter()
            .chain(after)
            .any(|(k, e)| oid.len() > e.object_len && oid.starts_with(&k[..e.object_len]))
    }

    /// Number of instances.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when the tree is empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// All instances in order.
    pub fn iter(&self) -> impl Iterator<Item = (&Vec<u32>, &Entry)> {
        self.entries.iter()
    }

    /// Adds a scalar: `object.0`.
    pub(crate) fn scalar(&mut self, object: &[u32], value: ObjectSyntax) {
        self.insert(object, &[0], value, None);
    }

    /// Adds a writable scalar.
    pub(crate) fn writable(&mut self, object: &[u32], value: ObjectSyntax, w: Writable) {
        self.insert(object, &[0], value, Some(w));
    }

    /// Adds a table cell: `object.index`.
    pub(crate) fn cell(&mut self, object: &[u32], index: &[u32], value: ObjectSyntax) {
        self.insert(object, index, value, None);
    }

    fn insert(&mut self, object: &[u32], index: &[u32], value: ObjectSyntax, w: Option<Writable>) {
        self.entries.insert(
            crate::oid::join(object, index),
            Entry {
                value,
                object_len: object.len(),
                writable: w,
            },
        );
    }
}

/// An INTEGER value.
pub fn int(v: i64) -> ObjectSyntax {
    ObjectSyntax::Simple(SimpleSyntax::Integer(Integer::from(v)))
}

/// An OCTET STRING value.
pub fn text(v: impl AsRef<[u8]>) -> ObjectSyntax {
    ObjectSyntax::Simple(SimpleSyntax::String(OctetString::from_slice(v.as_ref())))
}

/// An OBJECT IDENTIFIER value (a malformed one, which the tables never hold, becomes 0.0).
pub fn oid_value(v: &[u32]) -> ObjectSyntax {
    let id = ObjectIdentifier::new(v.to_vec())
        .unwrap_or_else(|| ObjectIdentifier::new_unchecked(vec![0, 0].into()));
    ObjectSyntax::Simple(SimpleSyntax::ObjectId(id))
}

/// A Counter32 value (the 64-bit count modulo 2^32, as RFC 2578 lets a counter wrap).
pub fn counter(v: u64) -> ObjectSyntax {
    ObjectSyntax::ApplicationWide(ApplicationSyntax::Counter(Counter(v as u32)))
}

/// A Gauge32 value (saturating at 2^32-1).
pub fn gauge(v: u64) -> ObjectSyntax {
    ObjectSyntax::ApplicationWide(ApplicationSyntax::Unsigned(Gauge(
        u32::try_from(v).unwrap_or(u32::MAX),
    )))
}

/// A TimeTicks value.
pub fn ticks(v: u32) -> ObjectSyntax {
    ObjectSyntax::ApplicationWide(ApplicationSyntax::Ticks(TimeTicks(v)))
}

/// An IpAddress value.
pub fn ip(v: Ipv4Addr) -> ObjectSyntax {
    ObjectSyntax::ApplicationWide(ApplicationSyntax::Address(IpAddress(v.octets().into())))
}

/// A TruthValue (1 true, 2 false).
pub fn truth(v: bool) -> ObjectSyntax {
    int(if v { 1 } else { 2 })
}

/// An IPv4 address as four OID arcs (a table index).
pub fn ip_index(v: Ipv4Addr) -> [u32; 4] {
    v.octets().map(u32::from)
}
