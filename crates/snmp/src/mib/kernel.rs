//! MIB-II's ip, icmp, tcp and udp counters from the kernel's own stack, when the device has one
//! (the simulator's namespace mode, docs/network.md): the runtime reads its namespace's
//! `/proc/net/snmp` into [`crate::view::KernelCounters`], and these counters replace the
//! model's estimates. Linux names its columns after the MIB-II objects, in MIB order.

use super::{counter, Mib};
use crate::oid::{join, ICMP, IP, TCP, UDP};
use crate::view::KernelCounters;

/// ip.3 .. ip.19 (ip.1 forwarding and ip.2 the TTL stay the device's).
const IP_COUNTERS: &[(u32, &str)] = &[
    (3, "InReceives"),
    (4, "InHdrErrors"),
    (5, "InAddrErrors"),
    (6, "ForwDatagrams"),
    (7, "InUnknownProtos"),
    (8, "InDiscards"),
    (9, "InDelivers"),
    (10, "OutRequests"),
    (11, "OutDiscards"),
    (12, "OutNoRoutes"),
    (14, "ReasmReqds"),
    (15, "ReasmOKs"),
    (16, "ReasmFails"),
    (17, "FragOKs"),
    (18, "FragFails"),
    (19, "FragCreates"),
];

/// icmp.1 .. icmp.26.
const ICMP_COUNTERS: &[&str] = &[
    "InMsgs",
    "InErrors",
    "InDestUnreachs",
    "InTimeExcds",
    "InParmProbs",
    "InSrcQuenchs",
    "InRedirects",
    "InEchos",
    "InEchoReps",
    "InTimestamps",
    "InTimestampReps",
    "InAddrMasks",
    "InAddrMaskReps",
    "OutMsgs",
    "OutErrors",
    "OutDestUnreachs",
    "OutTimeExcds",
    "OutParmProbs",
    "OutSrcQuenchs",
    "OutRedirects",
    "OutEchos",
    "OutEchoReps",
    "OutTimestamps",
    "OutTimestampReps",
    "OutAddrMasks",
    "OutAddrMaskReps",
];

/// tcp counters (tcp.9 is a gauge and the connection table stays the device's).
const TCP_COUNTERS: &[(u32, &str)] = &[
    (5, "ActiveOpens"),
    (6, "PassiveOpens"),
    (7, "AttemptFails"),
    (8, "EstabResets"),
    (10, "InSegs"),
    (11, "OutSegs"),
    (12, "RetransSegs"),
    (14, "InErrs"),
    (15, "OutRsts"),
];

/// udp.1 .. udp.4.
const UDP_COUNTERS: &[(u32, &str)] = &[
    (1, "InDatagrams"),
    (2, "NoPorts"),
    (3, "InErrors"),
    (4, "OutDatagrams"),
];

/// Replaces the groups' counters with the kernel's.
pub fn overwrite(mib: &mut Mib, k: &KernelCounters) {
    let get = |group: &str, name: &str| {
        k.get(group)
            .and_then(|g| g.get(name))
            .map_or(0, |&v| u64::try_from(v).unwrap_or(0))
    };
    for &(n, name) in IP_COUNTERS {
        mib.scalar(&join(IP, &[n]), counter(get("Ip", name)));
    }
    for (n, name) in (1u32..).zip(ICMP_COUNTERS) {
        mib.scalar(&join(ICMP, &[n]), counter(get("Icmp", name)));
    }
    for &(n, name) in TCP_COUNTERS {
        mib.scalar(&join(TCP, &[n]), counter(get("Tcp", name)));
    }
    for &(n, name) in UDP_COUNTERS {
        mib.scalar(&join(UDP, &[n]), counter(get("Udp", name)));
    }
}
