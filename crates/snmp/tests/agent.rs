//! The agent over bytes: requests encoded as a manager would, answers decoded and checked.

use m2285_core::config::{Snmp, SnmpAccess, SnmpManager, TrapReceiver, TrapVersion};
use m2285_core::{Config, Device};
use m2285_snmp::view::{from_device, HostFacts};
use m2285_snmp::{Agent, AgentAction, DeviceView, Notification};
use m2285_time::Instant;
use rasn::types::{Integer, ObjectIdentifier, OctetString};
use rasn_smi::v2::{ObjectSyntax, SimpleSyntax};
use rasn_snmp::v2::{BulkPdu, GetBulkRequest, GetNextRequest, GetRequest, Pdu, Pdus, SetRequest};
use rasn_snmp::v2::{VarBind, VarBindValue};
use rasn_snmp::v2c::Message;
use std::net::{IpAddr, Ipv4Addr};

const MANAGER: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 1));
const SYS_DESCR: &[u32] = &[1, 3, 6, 1, 2, 1, 1, 1, 0];
const SYS_CONTACT: &[u32] = &[1, 3, 6, 1, 2, 1, 1, 4, 0];
const IF_NUMBER: &[u32] = &[1, 3, 6, 1, 2, 1, 2, 1, 0];
const ASN_PARSE_ERRS: &[u32] = &[1, 3, 6, 1, 2, 1, 11, 6, 0];

fn config() -> Snmp {
    let mut c = Config::factory().network.snmp;
    c.managers = vec![
        SnmpManager {
            address: Ipv4Addr::UNSPECIFIED,
            community: "public".into(),
            access: SnmpAccess::ReadOnly,
        },
        SnmpManager {
            address: Ipv4Addr::LOCALHOST,
            community: "private".into(),
            access: SnmpAccess::ReadWrite,
        },
    ];
    c
}

fn view() -> DeviceView {
    let device = Device::new(Config::factory(), Instant::from_nanos(0));
    let host = HostFacts {
        ip: Some(Ipv4Addr::new(127, 0, 0, 1)),
        tcp_listeners: vec![7001],
        udp_listeners: vec![1161],
        ..HostFacts::default()
    };
    from_device(
        &device,
        &Default::default(),
        &host,
        Instant::from_nanos(12_340_000_000),
    )
}

fn oid(v: &[u32]) -> ObjectIdentifier {
    ObjectIdentifier::new(v.to_vec()).expect("valid oid")
}

fn null(name: &[u32]) -> VarBind {
    VarBind {
        name: oid(name),
        value: VarBindValue::Unspecified,
    }
}

fn request(version: i64, community: &str, pdu: Pdus) -> Vec<u8> {
    rasn::ber::encode(&Message {
        version: Integer::from(version),
        community: OctetString::from_slice(community.as_bytes()),
        data: pdu,
    })
    .expect("encode")
}

fn pdu(varbinds: Vec<VarBind>) -> Pdu {
    Pdu {
        request_id: 42,
        error_status: 0,
        error_index: 0,
        variable_bindings: varbinds,
    }
}

fn get(version: i64, community: &str, names: &[&[u32]]) -> Vec<u8> {
    let vbs = names.iter().map(|n| null(n)).collect();
    request(version, community, Pdus::GetRequest(GetRequest(pdu(vbs))))
}

fn next(version: i64, name: &[u32]) -> Vec<u8> {
    request(
        version,
        "public",
        Pdus::GetNextRequest(GetNextRequest(pdu(vec![null(name)]))),
    )
}

fn set(version: i64, community: &str, name: &[u32], value: ObjectSyntax) -> Vec<u8> {
    let vb = VarBind {
        name: oid(name),
        value: VarBindValue::Value(value),
    };
    request(
        version,
        community,
        Pdus::SetRequest(SetRequest(pdu(vec![vb]))),
    )
}

fn string(s: &str) -> ObjectSyntax {
    ObjectSyntax::Simple(SimpleSyntax::String(OctetString::from_slice(s.as_bytes())))
}

/// Sends `bytes`, expects an answer and returns its PDU.
fn ask(agent: &mut Agent, bytes: &[u8]) -> Pdu {
    let out = agent.handle(bytes, MANAGER, &config(), &view());
    let response = out.response.expect("an answer");
    let msg: Message<Pdus> = rasn::ber::decode(&response).expect("decodable answer");
    match msg.data {
        Pdus::Response(r) => r.0,
        other => panic!("not a response: {other:?}"),
    }
}

fn value(p: &Pdu, i: usize) -> &VarBindValue {
    &p.variable_bindings[i].value
}

#[test]
fn get_answers_system_objects_in_v1_and_v2c() {
    let mut agent = Agent::new();
    for version in [0, 1] {
        let p = ask(
            &mut agent,
            &get(
                version,
                "public",
                &[SYS_DESCR, &[1, 3, 6, 1, 2, 1, 1, 3, 0]],
            ),
        );
        assert_eq!((p.request_id, p.error_status, p.error_index), (42, 0, 0));
        let VarBindValue::Value(ObjectSyntax::Simple(SimpleSyntax::String(d))) = value(&p, 0)
        else {
            panic!("sysDescr: {:?}", value(&p, 0));
        };
        assert!(String::from_utf8_lossy(d).contains("Model 2285"));
        assert_eq!(
            value(&p, 1),
            &VarBindValue::Value(ObjectSyntax::ApplicationWide(
                rasn_smi::v2::ApplicationSyntax::Ticks(rasn_smi::v1::TimeTicks(1234))
            ))
        );
    }
    assert_eq!(agent.counters().in_get_requests, 2);
    assert_eq!(agent.counters().in_total_req_vars, 4);
}

#[test]
fn missing_objects_are_no_such_name_in_v1_and_exceptions_in_v2c() {
    let mut agent = Agent::new();
    let missing: &[u32] = &[1, 3, 6, 1, 2, 1, 99, 1, 0];
    let wrong_instance: &[u32] = &[1, 3, 6, 1, 2, 1, 1, 1, 7];
    let p = ask(&mut agent, &get(0, "public", &[SYS_DESCR, missing]));
    assert_eq!((p.error_status, p.error_index), (2, 2));
    assert_eq!(
        value(&p, 1),
        &VarBindValue::Unspecified,
        "v1 echoes the request"
    );
    let p = ask(&mut agent, &get(1, "public", &[missing, wrong_instance]));
    assert_eq!(p.error_status, 0);
    assert_eq!(value(&p, 0), &VarBindValue::NoSuchObject);
    assert_eq!(value(&p, 1), &VarBindValue::NoSuchInstance);
    assert_eq!(agent.counters().out_no_such_names, 1);
}

#[test]
fn getnext_walks_the_whole_tree_in_order_and_ends_properly() {
    let mut agent = Agent::new();
    let mut cursor = vec![1, 3];
    let mut seen = Vec::new();
    loop {
        let p = ask(&mut agent, &next(1, &cursor));
        let vb = &p.variable_bindings[0];
        if vb.value == VarBindValue::EndOfMibView {
            break;
        }
        assert!(vb.name.to_vec() > cursor, "not increasing at {cursor:?}");
        cursor = vb.name.to_vec();
        seen.push(cursor.clone());
        assert!(seen.len() < 10_000, "walk does not end");
    }
    assert!(seen.contains(&SYS_CONTACT.to_vec()));
    assert!(seen.contains(&IF_NUMBER.to_vec()));
    // tcpConnTable row of the listener 127.0.0.1:7001.
    assert!(seen.contains(&vec![
        1, 3, 6, 1, 2, 1, 6, 13, 1, 1, 127, 0, 0, 1, 7001, 0, 0, 0, 0, 0
    ]));
    // m2285PortSerialRxBytes.1
    assert!(seen.contains(&vec![1, 3, 6, 1, 4, 1, 32473, 2285, 1, 1, 1, 18, 1]));
    // v1: past the end is noSuchName.
    let p = ask(&mut agent, &next(0, &cursor));
    assert_eq!((p.error_status, p.error_index), (2, 1));
}

#[test]
fn getbulk_stops_with_one_end_of_mib_view_row() {
    let mut agent = Agent::new();
    let bulk = |name: &[u32], reps: u32| {
        request(
            1,
            "public",
            Pdus::GetBulkRequest(GetBulkRequest(BulkPdu {
                request_id: 7,
                non_repeaters: 1,
                max_repetitions: reps,
                variable_bindings: vec![null(SYS_DESCR), null(name)],
            })),
        )
    };
    let p = ask(&mut agent, &bulk(&[1, 3, 6, 1, 2, 1, 1], 5));
    assert_eq!(p.variable_bindings.len(), 6);
    assert_eq!(
        p.variable_bindings[0].name.to_vec(),
        vec![1, 3, 6, 1, 2, 1, 1, 2, 0]
    );
    assert_eq!(p.variable_bindings[1].name.to_vec(), SYS_DESCR.to_vec());
    let p = ask(
        &mut agent,
        &bulk(&[1, 3, 6, 1, 4, 1, 32473, 2285, 1, 1, 1, 31, 1], 50),
    );
    assert_eq!(p.variable_bindings.len(), 2, "{p:?}");
    assert_eq!(value(&p, 1), &VarBindValue::EndOfMibView);
    // A large request is cut to the message size, never tooBig.
    let p = ask(&mut agent, &bulk(&[1, 3], 10_000));
    assert_eq!(p.error_status, 0);
    assert!(p.variable_bindings.len() > 20);
    // GETBULK does not exist in v1: no answer, counted as a parse error.
    let v1 = request(
        0,
        "public",
        Pdus::GetBulkRequest(GetBulkRequest(BulkPdu {
            request_id: 7,
            non_repeaters: 0,
            max_repetitions: 1,
            variable_bindings: vec![null(SYS_DESCR)],
        })),
    );
    let out = agent.handle(&v1, MANAGER, &config(), &view());
    assert_eq!(out.response, None);
    assert_eq!(agent.counters().in_asn_parse_errs, 1);
}

#[test]
fn set_changes_writable_objects_only_for_read_write_managers() {
    let mut agent = Agent::new();
    let out = agent.handle(
        &set(1, "private", SYS_CONTACT, string("ops@example.net")),
        MANAGER,
        &config(),
        &view(),
    );
    assert_eq!(
        out.actions,
        vec![AgentAction::SetConfig {
            key: "network.snmp.sys_contact",
            value: "\"ops@example.net\"".into()
        }]
    );
    let cases: [(i64, &str, &[u32], ObjectSyntax, u32); 7] = [
        (1, "public", SYS_CONTACT, string("x"), 6), // noAccess
        (1, "private", SYS_DESCR, string("x"), 17), // notWritable
        (1, "private", &[1, 3, 6, 1, 2, 1, 1, 9, 0], string("x"), 11), // noCreation
        (1, "private", SYS_CONTACT, m2285_snmp::mib::int(3), 7), // wrongType
        (1, "private", SYS_CONTACT, string(&"x".repeat(256)), 8), // wrongLength
        (0, "private", SYS_DESCR, string("x"), 2),  // v1: noSuchName
        (0, "private", SYS_CONTACT, m2285_snmp::mib::int(3), 3), // v1: badValue
    ];
    for (version, community, name, v, status) in cases {
        let bytes = set(version, community, name, v);
        let out = agent.handle(&bytes, MANAGER, &config(), &view());
        assert!(out.actions.is_empty());
        let msg: Message<Pdus> = rasn::ber::decode(&out.response.expect("answer")).expect("decode");
        let Pdus::Response(r) = msg.data else {
            panic!()
        };
        assert_eq!((r.0.error_status, r.0.error_index), (status, 1), "{name:?}");
    }
    assert_eq!(agent.counters().in_bad_community_uses, 1);
    assert_eq!(agent.counters().in_total_set_vars, 1);
}

#[test]
fn wrong_community_or_address_gets_no_answer_and_an_auth_failure() {
    let mut agent = Agent::new();
    for (community, from) in [
        ("nope", MANAGER),
        ("private", IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2))),
    ] {
        let out = agent.handle(&get(1, community, &[SYS_DESCR]), from, &config(), &view());
        assert_eq!(out.response, None);
        assert_eq!(
            out.actions,
            vec![AgentAction::AuthenticationFailure { from }]
        );
    }
    assert_eq!(agent.counters().in_bad_community_names, 2);
    // An empty manager list answers nobody.
    let mut none = config();
    none.managers.clear();
    let out = agent.handle(&get(1, "public", &[SYS_DESCR]), MANAGER, &none, &view());
    assert_eq!(out.response, None);
}

/// A small deterministic generator (no dependency needed for a test's dice).
struct Dice(u64);
impl Dice {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

#[test]
fn malformed_datagrams_get_no_answer_and_are_counted() {
    let mut agent = Agent::new();
    let good = get(1, "public", &[SYS_DESCR, IF_NUMBER]);
    let mut dice = Dice(0x2285);
    let mut answered = 0u64;
    let total = 3000u64;
    for i in 0..total {
        let bytes: Vec<u8> = match i % 3 {
            0 => (0..dice.next() % 200).map(|_| dice.next() as u8).collect(),
            1 => good[..(dice.next() as usize % good.len())].to_vec(),
            _ => {
                let mut b = good.clone();
                for _ in 0..=dice.next() % 3 {
                    let at = dice.next() as usize % b.len();
                    b[at] = dice.next() as u8;
                }
                b
            }
        };
        if agent
            .handle(&bytes, MANAGER, &config(), &view())
            .response
            .is_some()
        {
            answered += 1;
        }
    }
    let c = *agent.counters();
    assert_eq!(c.in_pkts, total);
    // Every datagram was answered or counted as one of the reasons not to.
    let dropped = c.in_asn_parse_errs
        + c.in_bad_versions
        + c.in_bad_community_names
        + c.in_get_responses
        + c.in_traps;
    assert_eq!(answered + dropped, total, "{c:?}");
    assert!(c.in_asn_parse_errs > total / 2, "{c:?}");
    // snmpInASNParseErrs shows the count.
    let p = ask(&mut agent, &get(1, "public", &[ASN_PARSE_ERRS]));
    assert_eq!(
        value(&p, 0),
        &VarBindValue::Value(m2285_snmp::mib::counter(c.in_asn_parse_errs))
    );
}

#[test]
fn traps_decode_in_both_versions() {
    let mut agent = Agent::new();
    let mut c = config();
    c.trap_receivers = vec![
        TrapReceiver {
            address: Ipv4Addr::LOCALHOST,
            port: 1162,
            community: "traps".into(),
            version: TrapVersion::V2c,
        },
        TrapReceiver {
            address: Ipv4Addr::LOCALHOST,
            port: 1163,
            community: "traps".into(),
            version: TrapVersion::V1,
        },
    ];
    let n = Notification::PortEvent {
        port: 1,
        keyword: "ALARM".into(),
    };
    let out = agent.traps(&n, &c, 500, Ipv4Addr::LOCALHOST);
    assert_eq!(out.len(), 2);
    let v2: Message<Pdus> = rasn::ber::decode(&out[0].bytes).expect("v2c trap");
    let Pdus::Trap(t) = v2.data else { panic!() };
    assert_eq!(
        t.0.variable_bindings[1].value,
        VarBindValue::Value(m2285_snmp::mib::oid_value(&[
            1, 3, 6, 1, 4, 1, 32473, 2285, 0, 3
        ]))
    );
    let v1: rasn_snmp::v1::Message<rasn_snmp::v1::Pdus> =
        rasn::ber::decode(&out[1].bytes).expect("v1 trap");
    let rasn_snmp::v1::Pdus::Trap(t) = v1.data else {
        panic!()
    };
    assert_eq!(t.generic_trap, Integer::from(6));
    assert_eq!(t.specific_trap, Integer::from(3));
    assert_eq!(agent.counters().out_traps, 2);
}
