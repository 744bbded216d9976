//! The object identifiers the agent serves and sends: MIB-II arcs and the private enterprise
//! arc of `mibs/M2285-MIB.txt`.
//!
//! The real device's private MIB is unknown, so the simulator's lives under enterprise 32473,
//! which IANA reserves for documentation (RFC 5612): it can never collide with a vendor's MIB.

/// `mib-2` (1.3.6.1.2.1).
pub const MIB2: &[u32] = &[1, 3, 6, 1, 2, 1];
/// `system` group.
pub const SYSTEM: &[u32] = &[1, 3, 6, 1, 2, 1, 1];
/// `interfaces` group.
pub const INTERFACES: &[u32] = &[1, 3, 6, 1, 2, 1, 2];
/// `ip` group.
pub const IP: &[u32] = &[1, 3, 6, 1, 2, 1, 4];
/// `icmp` group.
pub const ICMP: &[u32] = &[1, 3, 6, 1, 2, 1, 5];
/// `tcp` group.
pub const TCP: &[u32] = &[1, 3, 6, 1, 2, 1, 6];
/// `udp` group.
pub const UDP: &[u32] = &[1, 3, 6, 1, 2, 1, 7];
/// `snmp` group.
pub const SNMP: &[u32] = &[1, 3, 6, 1, 2, 1, 11];

/// `sysUpTime.0`, the first varbind of every SNMPv2 trap.
pub const SYS_UP_TIME_0: &[u32] = &[1, 3, 6, 1, 2, 1, 1, 3, 0];
/// `snmpTrapOID.0`, the second varbind of every SNMPv2 trap.
pub const SNMP_TRAP_OID_0: &[u32] = &[1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0];
/// `snmpTraps` (1.3.6.1.6.3.1.1.5): coldStart is `.1`, warmStart `.2`, linkDown `.3`, linkUp
/// `.4`, authenticationFailure `.5`.
pub const SNMP_TRAPS: &[u32] = &[1, 3, 6, 1, 6, 3, 1, 1, 5];

/// `m2285MIB` (1.3.6.1.4.1.32473.2285): the module of `mibs/M2285-MIB.txt`.
pub const M2285_MIB: &[u32] = &[1, 3, 6, 1, 4, 1, 32473, 2285];
/// `m2285Notifications` (`m2285MIB.0`): the enterprise traps.
pub const M2285_NOTIFICATIONS: &[u32] = &[1, 3, 6, 1, 4, 1, 32473, 2285, 0];
/// `m2285PortTable` (`m2285MIB.1.1`).
pub const M2285_PORT_TABLE: &[u32] = &[1, 3, 6, 1, 4, 1, 32473, 2285, 1, 1];
/// `m2285NotifyObjects` (`m2285MIB.1.2`): objects carried by the enterprise traps.
pub const M2285_NOTIFY_OBJECTS: &[u32] = &[1, 3, 6, 1, 4, 1, 32473, 2285, 1, 2];
/// `m2285Device` (`m2285MIB.3.1`): the device's sysObjectID.
pub const M2285_DEVICE: &[u32] = &[1, 3, 6, 1, 4, 1, 32473, 2285, 3, 1];

/// `base` followed by `tail`.
pub fn join(base: &[u32], tail: &[u32]) -> Vec<u32> {
    let mut v = Vec::with_capacity(base.len() + tail.len());
    v.extend_from_slice(base);
    v.extend_from_slice(tail);
    v
}

/// An OID in dotted form, for logs and messages.
pub fn dotted(oid: &[u32]) -> String {
    oid.iter().map(u32::to_string).collect::<Vec<_>>().join(".")
}
