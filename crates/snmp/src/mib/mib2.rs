//! MIB-II (RFC 1213, with the RFC 3418 snmp group): system, interfaces, ip, icmp, tcp, udp,
//! snmp. Values the simulator cannot know (fragments, ICMP, routing: the host kernel does them)
//! are 0; docs/snmp.md lists them.

use super::{counter, gauge, int, ip, ip_index, oid_value, text, ticks, truth, Mib, Writable};
use crate::oid::{join, ICMP, INTERFACES, IP, M2285_DEVICE, SNMP, SYSTEM, TCP, UDP};
use crate::view::DeviceView;
use crate::SnmpCounters;

/// sysServices: applications (layer 7, 64) + end-to-end (layer 4, 8).
const SYS_SERVICES: i64 = 72;

/// Adds every MIB-II group.
pub fn add(mib: &mut Mib, v: &DeviceView, c: &SnmpCounters) {
    system(mib, v);
    interfaces(mib, v);
    ip_group(mib, v);
    icmp(mib);
    tcp(mib, v);
    udp(mib, v);
    if let Some(k) = &v.kernel {
        super::kernel::overwrite(mib, k);
    }
    snmp(mib, v, c);
}

fn system(mib: &mut Mib, v: &DeviceView) {
    let o = |n: u32| join(SYSTEM, &[n]);
    mib.scalar(&o(1), text(&v.descr));
    mib.scalar(&o(2), oid_value(M2285_DEVICE));
    mib.scalar(&o(3), ticks(v.uptime_ticks));
    mib.writable(
        &o(4),
        text(&v.contact),
        Writable::Text("network.snmp.sys_contact"),
    );
    mib.writable(
        &o(5),
        text(&v.name),
        Writable::Text("network.snmp.sys_name"),
    );
    mib.writable(
        &o(6),
        text(&v.location),
        Writable::Text("network.snmp.sys_location"),
    );
    mib.scalar(&o(7), int(SYS_SERVICES));
}

fn interfaces(mib: &mut Mib, v: &DeviceView) {
    let i = &v.interface;
    mib.scalar(&join(INTERFACES, &[1]), int(1));
    let col = |n: u32| join(INTERFACES, &[2, 1, n]);
    let idx = [1];
    let status = if i.up { 1 } else { 2 };
    let cells = [
        (1, int(1)),
        (2, text("eth0")),
        (3, int(6)), // ethernetCsmacd
        (4, int(1500)),
        (5, gauge(100_000_000)),
        (6, text(i.mac)),
        (7, int(1)), // ifAdminStatus up
        (8, int(status)),
        (9, ticks(i.last_change_ticks)),
        (10, counter(i.in_octets)),
        (11, counter(i.in_packets)),
        (12, counter(0)),
        (13, counter(0)),
        (14, counter(0)),
        (15, counter(0)),
        (16, counter(i.out_octets)),
        (17, counter(i.out_packets)),
        (18, counter(0)),
        (19, counter(0)),
        (20, counter(0)),
        (21, gauge(0)),
        (22, oid_value(&[0, 0])),
    ];
    for (n, value) in cells {
        mib.cell(&col(n), &idx, value);
    }
}

fn ip_group(mib: &mut Mib, v: &DeviceView) {
    let o = |n: u32| join(IP, &[n]);
    let i = &v.interface;
    mib.scalar(&o(1), int(2)); // ipForwarding: notForwarding
    mib.scalar(&o(2), int(64)); // ipDefaultTTL
    mib.scalar(&o(3), counter(i.in_packets)); // ipInReceives
    for n in 4..=8 {
        mib.scalar(&o(n), counter(0));
    }
    mib.scalar(&o(9), counter(i.in_packets)); // ipInDelivers
    mib.scalar(&o(10), counter(i.out_packets)); // ipOutRequests
    mib.scalar(&o(11), counter(0));
    mib.scalar(&o(12), counter(0));
    mib.scalar(&o(13), int(0)); // ipReasmTimeout
    for n in 14..=19 {
        mib.scalar(&o(n), counter(0));
    }
    // ipAddrTable
    let idx = ip_index(i.ip);
    let col = |n: u32| join(IP, &[20, 1, n]);
    mib.cell(&col(1), &idx, ip(i.ip));
    mib.cell(&col(2), &idx, int(1));
    mib.cell(&col(3), &idx, ip(i.netmask));
    mib.cell(&col(4), &idx, int(1));
    mib.cell(&col(5), &idx, int(65535));
}

fn icmp(mib: &mut Mib) {
    // icmpInMsgs .. icmpOutAddrMaskReps: the host kernel answers ICMP, not the device.
    for n in 1..=26 {
        mib.scalar(&join(ICMP, &[n]), counter(0));
    }
}

fn tcp(mib: &mut Mib, v: &DeviceView) {
    let t = &v.tcp;
    let o = |n: u32| join(TCP, &[n]);
    mib.scalar(&o(1), int(1)); // tcpRtoAlgorithm: other (Linux)
    mib.scalar(&o(2), int(200));
    mib.scalar(&o(3), int(120_000));
    mib.scalar(&o(4), int(-1));
    mib.scalar(&o(5), counter(t.active_opens));
    mib.scalar(&o(6), counter(t.passive_opens));
    mib.scalar(&o(7), counter(t.attempt_fails));
    mib.scalar(&o(8), counter(t.estab_resets));
    mib.scalar(&o(9), gauge(t.curr_estab()));
    mib.scalar(&o(10), counter(t.in_segs));
    mib.scalar(&o(11), counter(t.out_segs));
    mib.scalar(&o(12), counter(0));
    for c in &t.conns {
        let mut idx = Vec::with_capacity(10);
        idx.extend(ip_index(*c.local.ip()));
        idx.push(u32::from(c.local.port()));
        idx.extend(ip_index(*c.remote.ip()));
        idx.push(u32::from(c.remote.port()));
        let col = |n: u32| join(TCP, &[13, 1, n]);
        mib.cell(&col(1), &idx, int(i64::from(c.state)));
        mib.cell(&col(2), &idx, ip(*c.local.ip()));
        mib.cell(&col(3), &idx, int(i64::from(c.local.port())));
        mib.cell(&col(4), &idx, ip(*c.remote.ip()));
        mib.cell(&col(5), &idx, int(i64::from(c.remote.port())));
    }
    mib.scalar(&o(14), counter(0));
    mib.scalar(&o(15), counter(0));
}

fn udp(mib: &mut Mib, v: &DeviceView) {
    let u = &v.udp;
    let o = |n: u32| join(UDP, &[n]);
    mib.scalar(&o(1), counter(u.in_datagrams));
    mib.scalar(&o(2), counter(0));
    mib.scalar(&o(3), counter(u.in_errors));
    mib.scalar(&o(4), counter(u.out_datagrams));
    for l in &u.listeners {
        let mut idx = Vec::with_capacity(5);
        idx.extend(ip_index(*l.ip()));
        idx.push(u32::from(l.port()));
        mib.cell(&join(UDP, &[5, 1, 1]), &idx, ip(*l.ip()));
        mib.cell(&join(UDP, &[5, 1, 2]), &idx, int(i64::from(l.port())));
    }
}

fn snmp(mib: &mut Mib, v: &DeviceView, c: &SnmpCounters) {
    let o = |n: u32| join(SNMP, &[n]);
    let values = [
        (1, c.in_pkts),
        (2, c.out_pkts),
        (3, c.in_bad_versions),
        (4, c.in_bad_community_names),
        (5, c.in_bad_community_uses),
        (6, c.in_asn_parse_errs),
        (8, 0), // snmpInTooBigs: the agent receives no responses
        (9, 0),
        (10, 0),
        (11, 0),
        (12, 0),
        (13, c.in_total_req_vars),
        (14, c.in_total_set_vars),
        (15, c.in_get_requests),
        (16, c.in_get_nexts),
        (17, c.in_set_requests),
        (18, c.in_get_responses),
        (19, c.in_traps),
        (20, c.out_too_bigs),
        (21, c.out_no_such_names),
        (22, c.out_bad_values),
        (24, c.out_gen_errs),
        (25, 0),
        (26, 0),
        (27, 0),
        (28, c.out_get_responses),
        (29, c.out_traps),
    ];
    for (n, value) in values {
        mib.scalar(&o(n), counter(value));
    }
    mib.writable(
        &o(30),
        truth(v.auth_traps),
        Writable::Truth("network.snmp.auth_failure_trap"),
    );
}
