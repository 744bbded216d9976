//! The SNMP agent against net-snmp's own tools: walks that match `ctl status`, SET, access
//! control, traps received by snmptrapd, GETBULK to the end of the MIB, and a storm of broken
//! datagrams.

mod common;

use common::snmp::*;
use common::*;
use nix::sys::termios::BaudRate;
use std::io::{Read, Write};
use std::time::Duration;

const T: Duration = Duration::from_secs(10);
const SYS_CONTACT: &str = ".1.3.6.1.2.1.1.4.0";
const PORT_ROW: &str = ".1.3.6.1.4.1.32473.2285.1.1.1";

fn start(extra: &[&str]) -> Sim {
    let mut args = MANAGERS.to_vec();
    args.extend_from_slice(extra);
    Sim::start(&args)
}

#[test]
fn a_v2c_walk_of_the_whole_tree_matches_the_device_after_a_transfer() {
    let mut sim = start(&[]);
    let mut serial = sim.open_serial(BaudRate::B9600);
    let mut peer = sim.connect();
    sim.wait_event("session_opened", T);
    peer.write_all(b"from the network\r\n").expect("send");
    let got = read_for(&mut serial, 18, T);
    assert_eq!(got, b"from the network\r\n");
    serial
        .write_all(b"from the serial side")
        .expect("write serial");
    let mut buf = [0u8; 20];
    peer.set_read_timeout(Some(T)).ok();
    peer.read_exact(&mut buf).expect("data at the peer");
    let status = sim.status();
    let (code, out, err) = tool(
        "snmpwalk",
        &["-v2c", "-c", "public", &sim.snmp_target(), ".1"],
    );
    assert_eq!(code, 0, "{err}");
    let walk = parse_lines(&out);
    assert!(walk[".1.3.6.1.2.1.1.1.0"].contains("Model 2285"), "{out}");
    assert_eq!(
        walk[".1.3.6.1.2.1.1.2.0"],
        "OID: .1.3.6.1.4.1.32473.2285.3.1"
    );
    let counter = |col: u32| number(&walk[&format!("{PORT_ROW}.{col}.1")]);
    let c = &status["counters"];
    assert_eq!(counter(18), c["serial_rx_bytes"].as_u64().expect("rx"));
    assert_eq!(counter(19), c["serial_tx_bytes"].as_u64().expect("tx"));
    assert_eq!(counter(20), c["net_rx_bytes"].as_u64().expect("net rx"));
    assert_eq!(counter(21), c["net_tx_bytes"].as_u64().expect("net tx"));
    assert_eq!((counter(18), counter(19)), (20, 18));
    assert_eq!(counter(29), 1, "one session");
    assert_eq!(walk[&format!("{PORT_ROW}.6.1")], "Gauge32: 9600");
    // tcpConnTable: the session, from the device's data port to the peer's port.
    let local = peer.peer_addr().expect("addr");
    let me = peer.local_addr().expect("addr");
    let row = format!(
        ".1.3.6.1.2.1.6.13.1.1.{}.{}.{}.{}",
        sim.ip,
        local.port(),
        me.ip(),
        me.port()
    );
    assert_eq!(
        walk.get(&row).map(String::as_str),
        Some("INTEGER: 5"),
        "{out}"
    );
    // tcpCurrEstab, udpTable row of the agent itself.
    assert_eq!(number(&walk[".1.3.6.1.2.1.6.9.0"]), 1);
    let udp_row = format!(".1.3.6.1.2.1.7.5.1.2.{}.{}", sim.ip, sim.snmp_port());
    assert!(walk.contains_key(&udp_row), "{out}");
    assert!(out
        .trim_end()
        .ends_with("No more variables left in this MIB View (It is past the end of the MIB tree)"));
    // v1 walks the same tree.
    let (code, v1, err) = tool(
        "snmpwalk",
        &["-v1", "-c", "public", &sim.snmp_target(), ".1"],
    );
    assert_eq!(code, 0, "{err}");
    let v1: Vec<String> = parse_lines(&v1).into_keys().collect();
    let v2: Vec<String> = walk.into_keys().collect();
    assert_eq!(v1, v2, "v1 and v2c walk the same objects");
}

#[test]
fn getbulk_walk_ends_with_end_of_mib_view() {
    let sim = start(&[]);
    let (code, out, err) = tool(
        "snmpbulkwalk",
        &["-v2c", "-c", "public", "-Cr25", &sim.snmp_target(), ".1"],
    );
    assert_eq!(code, 0, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines.len() > 150, "{out}");
    let last = lines.last().copied().unwrap_or_default();
    assert!(
        last.ends_with(
            "No more variables left in this MIB View (It is past the end of the MIB tree)"
        ),
        "{last}"
    );
    assert_eq!(out.matches("No more variables").count(), 1);
    assert!(last.starts_with(&format!("{PORT_ROW}.31.1")), "{last}");
}

#[test]
fn snmpset_changes_sys_contact_only_with_the_read_write_community() {
    let mut sim = start(&[]);
    let target = sim.snmp_target();
    let (code, out, err) = tool(
        "snmpset",
        &[
            "-v2c",
            "-c",
            "private",
            &target,
            SYS_CONTACT,
            "s",
            "noc@example.net",
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("\"noc@example.net\""), "{out}");
    sim.wait_event("snmp_set", T);
    let got = sim.ctl_ok(&["config", "get", "network.snmp.sys_contact"]);
    assert_eq!(got["value"], "noc@example.net");
    let (_, out, _) = tool("snmpget", &["-v2c", "-c", "public", &target, SYS_CONTACT]);
    assert!(out.contains("\"noc@example.net\""), "{out}");
    // Read-only community: noAccess; a read-only object: notWritable; a wrong type: wrongType.
    for (community, oid, ty, value, error) in [
        ("public", SYS_CONTACT, "s", "x", "noAccess"),
        ("private", ".1.3.6.1.2.1.1.1.0", "s", "x", "notWritable"),
        ("private", SYS_CONTACT, "i", "3", "wrongType"),
    ] {
        let (code, _, err) = tool(
            "snmpset",
            &["-v2c", "-c", community, &target, oid, ty, value],
        );
        assert_ne!(code, 0);
        assert!(err.contains(error), "{community} {oid}: {err}");
    }
    let (_, out, _) = tool("snmpget", &["-v2c", "-c", "public", &target, SYS_CONTACT]);
    assert!(
        out.contains("\"noc@example.net\""),
        "unchanged by the refused SETs: {out}"
    );
}

#[test]
fn wrong_community_gets_no_answer_and_traps_reach_snmptrapd() {
    let dir = temp_dir("traps");
    let trapd = TrapReceiver::start(&dir, "127.0.0.1");
    let v1d = TrapReceiver::start(&dir, "127.0.0.1");
    let port = trapd.port.to_string();
    let v1port = v1d.port.to_string();
    let receivers = [
        format!("network.snmp.trap_receivers[0].port={port}"),
        format!("network.snmp.trap_receivers[1].port={v1port}"),
        "network.snmp.trap_receivers[1].version=v1".to_owned(),
        "network.snmp.auth_failure_trap=true".to_owned(),
    ];
    let mut args: Vec<&str> = Vec::new();
    for r in &receivers {
        args.extend(["--set", r.as_str()]);
    }
    let mut sim = start(&args);
    // coldStart at power-on, in both formats.
    trapd.wait_for(".1.3.6.1.6.3.1.1.4.1.0 = OID: .1.3.6.1.6.3.1.1.5.1", T);
    v1d.wait_for("Cold Start Trap (0)", T);
    let (code, out, err) = tool(
        "snmpget",
        &["-v2c", "-c", "guess", &sim.snmp_target(), SYS_CONTACT],
    );
    assert_ne!(code, 0);
    assert!(err.contains("Timeout"), "no answer expected: {out} {err}");
    sim.wait_event("snmp_auth_failure", T);
    trapd.wait_for(".1.3.6.1.6.3.1.1.4.1.0 = OID: .1.3.6.1.6.3.1.1.5.5", T);
    v1d.wait_for("Authentication Failure Trap", T);
    // Enterprise traps for a session opening and closing.
    let peer = sim.connect();
    sim.wait_event("session_opened", T);
    let log = trapd.wait_for(".1.3.6.1.4.1.32473.2285.0.1", T);
    assert!(
        log.contains(&format!(
            "{}:{}",
            peer.local_addr().expect("a").ip(),
            peer.local_addr().expect("a").port()
        )),
        "{log}"
    );
    drop(peer);
    sim.wait_event("session_closed", T);
    trapd.wait_for(".1.3.6.1.4.1.32473.2285.0.2", T);
    v1d.wait_for("Enterprise Specific Trap (2)", T);
    // A partition of the whole network is the cable pulled: linkDown, then linkUp.
    sim.ctl_ok(&["fault", "add", "net.partition", "id=cable"]);
    trapd.wait_for(".1.3.6.1.6.3.1.1.5.3", T);
    let (code, _, _) = tool(
        "snmpget",
        &["-v2c", "-c", "public", &sim.snmp_target(), SYS_CONTACT],
    );
    assert_ne!(code, 0, "no answer through a pulled cable");
    sim.ctl_ok(&["fault", "clear", "cable"]);
    trapd.wait_for(".1.3.6.1.6.3.1.1.5.4", T);
    let (code, out, _) = tool(
        "snmpget",
        &[
            "-v2c",
            "-c",
            "public",
            &sim.snmp_target(),
            ".1.3.6.1.2.1.2.2.1.8.1",
        ],
    );
    assert_eq!(code, 0);
    assert!(out.contains("INTEGER: 1"), "ifOperStatus up again: {out}");
}

/// A small deterministic generator for the broken datagrams.
struct Dice(u64);
impl Dice {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// The snmp group's counters, read with snmpget.
fn counters(sim: &Sim) -> Vec<u64> {
    // snmpInPkts, InBadVersions, InBadCommunityNames, InASNParseErrs, InGetResponses, InTraps,
    // OutGetResponses.
    let oids: Vec<String> = [1, 3, 4, 6, 18, 19, 28]
        .iter()
        .map(|n| format!(".1.3.6.1.2.1.11.{n}.0"))
        .collect();
    let mut args = vec!["-v2c", "-c", "public", "-r", "5"];
    let target = sim.snmp_target();
    args.push(&target);
    args.extend(oids.iter().map(String::as_str));
    let (code, out, err) = tool("snmpget", &args);
    assert_eq!(code, 0, "{err}");
    let values = parse_lines(&out);
    oids.iter().map(|o| number(&values[o])).collect()
}

/// A GET of sysUpTime.0 with community `public`, BER by hand (test data, not the agent's
/// encoder): SEQUENCE { version 1, community, GetRequest { id, 0, 0, { { oid, NULL } } } }.
fn uptime_request(id: u8) -> Vec<u8> {
    let oid = [0x06, 0x08, 0x2b, 0x06, 0x01, 0x02, 0x01, 0x01, 0x03, 0x00];
    let mut varbind = vec![0x30, (oid.len() + 2) as u8];
    varbind.extend(oid);
    varbind.extend([0x05, 0x00]);
    let mut list = vec![0x30, varbind.len() as u8];
    list.extend(varbind);
    let mut pdu = vec![0x02, 0x01, id & 0x7f, 0x02, 0x01, 0x00, 0x02, 0x01, 0x00];
    pdu.extend(list);
    let mut get = vec![0xa0, pdu.len() as u8];
    get.extend(pdu);
    let mut body = vec![0x02, 0x01, 0x01, 0x04, 0x06];
    body.extend(b"public");
    body.extend(get);
    let mut msg = vec![0x30, body.len() as u8];
    msg.extend(body);
    msg
}

/// Sends a valid request from a socket of its own and waits for its answer (retrying a lost
/// one), so everything sent before it has been read by the agent.
fn probe(sim: &Sim) {
    let s = std::net::UdpSocket::bind((sim.ip, 0)).expect("bind");
    s.set_read_timeout(Some(Duration::from_secs(2))).ok();
    let mut buf = [0u8; 1500];
    for attempt in 0..5u8 {
        s.send_to(&uptime_request(attempt), (sim.ip, sim.snmp_port()))
            .expect("send probe");
        if s.recv_from(&mut buf).is_ok() {
            return;
        }
    }
    panic!("the agent stopped answering");
}

#[test]
fn ten_thousand_broken_datagrams_get_no_answer_and_are_counted() {
    let sim = start(&[]);
    // A valid GET of sysDescr.0 with an unknown community: whatever a mutation leaves decodable
    // is still refused, so no datagram may be answered.
    let request: Vec<u8> = vec![
        0x30, 0x2f, 0x02, 0x01, 0x01, 0x04, 0x0f, b'n', b'o', b't', b'-', b'a', b'-', b'c', b'o',
        b'm', b'm', b'u', b'n', b'i', b't', b'y', 0xa0, 0x19, 0x02, 0x01, 0x01, 0x02, 0x01, 0x00,
        0x02, 0x01, 0x00, 0x30, 0x0e, 0x30, 0x0c, 0x06, 0x08, 0x2b, 0x06, 0x01, 0x02, 0x01, 0x01,
        0x01, 0x00, 0x05, 0x00,
    ];
    assert_eq!(request.len(), 0x31);
    let before = counters(&sim);
    let socket = std::net::UdpSocket::bind((sim.ip, 0)).expect("bind");
    socket.set_nonblocking(true).ok();
    let target = (sim.ip, sim.snmp_port());
    let mut dice = Dice(0x2285_2285);
    let total = 10_000u64;
    let mut answers = 0;
    let mut buf = [0u8; 2048];
    for i in 0..total {
        let bytes: Vec<u8> = match i % 3 {
            0 => (0..dice.next() % 300).map(|_| dice.next() as u8).collect(),
            1 => request[..(dice.next() as usize % request.len())].to_vec(),
            _ => {
                let mut b = request.clone();
                for _ in 0..=dice.next() % 4 {
                    let at = dice.next() as usize % b.len();
                    b[at] = dice.next() as u8;
                }
                b
            }
        };
        socket.send_to(&bytes, target).expect("send");
        if i % 100 == 99 {
            // Let the agent keep up (the host's socket buffer holds a few hundred datagrams):
            // once a valid request sent after the batch is answered, the batch was read.
            probe(&sim);
        }
        while socket.recv_from(&mut buf).is_ok() {
            answers += 1;
        }
    }
    let after = counters(&sim);
    let probes = total / 100;
    std::thread::sleep(Duration::from_millis(200));
    while socket.recv_from(&mut buf).is_ok() {
        answers += 1;
    }
    assert_eq!(answers, 0, "a broken datagram was answered");
    let d: Vec<u64> = after.iter().zip(&before).map(|(a, b)| a - b).collect();
    // The first snmpget's own request counts in `after` (in_pkts, out_get_responses).
    assert_eq!(
        d[0],
        total + probes + 1,
        "every datagram reached the agent: {d:?}"
    );
    assert_eq!(
        d[6],
        probes + 1,
        "only the probes and snmpget were answered: {d:?}"
    );
    assert_eq!(
        d[1] + d[2] + d[3] + d[4] + d[5],
        total,
        "each refusal counted: {d:?}"
    );
    assert!(d[3] > total / 2, "mostly parse errors: {d:?}");
    // And the device still answers.
    let (code, out, _) = tool(
        "snmpget",
        &[
            "-v2c",
            "-c",
            "public",
            &sim.snmp_target(),
            ".1.3.6.1.2.1.1.1.0",
        ],
    );
    assert_eq!(code, 0);
    assert!(out.contains("Model 2285"));
}

#[test]
fn the_agent_can_be_turned_off() {
    let sim = start(&["--set", "network.snmp.enabled=false"]);
    assert!(sim.ready["ports"]["snmp"].is_null(), "{}", sim.ready);
}

#[test]
fn a_set_sys_contact_survives_save_and_reboot_and_the_reboot_is_a_warm_start() {
    let dir = temp_dir("warm");
    let trapd = TrapReceiver::start(&dir, "127.0.0.1");
    let receiver = format!("network.snmp.trap_receivers[0].port={}", trapd.port);
    let mut sim = start(&["--set", &receiver]);
    trapd.wait_for(".1.3.6.1.6.3.1.1.4.1.0 = OID: .1.3.6.1.6.3.1.1.5.1", T);
    let target = sim.snmp_target();
    let (code, _, err) = tool(
        "snmpset",
        &[
            "-v2c",
            "-c",
            "private",
            &target,
            SYS_CONTACT,
            "s",
            "kept@example.net",
        ],
    );
    assert_eq!(code, 0, "{err}");
    sim.ctl_ok(&["save", "--reboot"]);
    sim.wait_event("booted", T);
    trapd.wait_for(".1.3.6.1.6.3.1.1.4.1.0 = OID: .1.3.6.1.6.3.1.1.5.2", T);
    let (code, out, err) = tool("snmpget", &["-v2c", "-c", "public", &target, SYS_CONTACT]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("\"kept@example.net\""),
        "after save and reboot: {out}"
    );
}

#[test]
fn the_ip_filter_silences_the_agent_for_a_refused_address() {
    // net-snmp's tools send from 127.0.0.1: a rule that drops it for the SNMP service only.
    let mut sim = start(&[
        "--set",
        "system.filter.rules[0].address=127.0.0.1",
        "--set",
        "system.filter.rules[0].service=snmp",
        "--set",
        "system.filter.rules[0].rule=drop",
    ]);
    let (code, out, err) = tool(
        "snmpget",
        &["-v2c", "-c", "public", &sim.snmp_target(), SYS_CONTACT],
    );
    assert_ne!(code, 0);
    assert!(err.contains("Timeout"), "no answer expected: {out} {err}");
    let refused = sim.wait_event("filter_refused", T);
    assert_eq!(refused["service"], "snmp", "{refused}");
    // The data port is another service: the same address still reaches it.
    let _peer = sim.connect();
    sim.wait_event("session_opened", T);
}
