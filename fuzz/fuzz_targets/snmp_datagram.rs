//! The SNMP agent (`crates/snmp`): any datagram never panics, and gets either no response
//! (counted as a parse error, bad version, bad community or a PDU an agent ignores) or one
//! well-formed Response: decodable BER, the request's id, no larger than `MAX_MESSAGE_SIZE`.
//! Every configuration change a SET asks for is one the configuration accepts. Half the inputs
//! are raw bytes; the other half are requests built from the input (known communities, OIDs
//! under the agent's MIB, every value type) so the fuzzer reaches the MIB as well as the
//! decoder.
#![no_main]

use std::net::{IpAddr, Ipv4Addr};
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use m2285_core::config::{Snmp, SnmpAccess, SnmpManager};
use m2285_core::{Config, Device};
use m2285_fuzz::Ops;
use m2285_snmp::view::{from_device, HostFacts};
use m2285_snmp::{Agent, AgentAction, DeviceView, MAX_MESSAGE_SIZE};
use m2285_time::Instant;
use rasn::types::{Integer, ObjectIdentifier, OctetString};
use rasn_smi::v1::TimeTicks;
use rasn_smi::v2::{ApplicationSyntax, ObjectSyntax, SimpleSyntax};
use rasn_snmp::v2::{BulkPdu, GetBulkRequest, GetNextRequest, GetRequest, Pdu, Pdus, SetRequest};
use rasn_snmp::v2::{VarBind, VarBindValue};
use rasn_snmp::v2c::Message;

/// Where generated OIDs start: the MIB-II groups the agent serves and the enterprise subtree.
const PREFIXES: &[&[u32]] = &[
    &[1, 3, 6, 1, 2, 1, 1],
    &[1, 3, 6, 1, 2, 1, 2],
    &[1, 3, 6, 1, 2, 1, 2, 2, 1],
    &[1, 3, 6, 1, 2, 1, 4],
    &[1, 3, 6, 1, 2, 1, 6],
    &[1, 3, 6, 1, 2, 1, 7],
    &[1, 3, 6, 1, 2, 1, 11],
    &[1, 3, 6, 1, 2, 1, 10, 33],
    &[1, 3, 6, 1, 4, 1],
    &[1, 3, 6, 1],
];
const COMMUNITIES: &[&str] = &["public", "private", "", "wrong"];

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

/// The device the agent describes, built once (it does not change between inputs).
fn fixture() -> &'static (Config, Snmp, DeviceView) {
    static FIXTURE: OnceLock<(Config, Snmp, DeviceView)> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let device = Device::new(Config::factory(), Instant::from_nanos(0));
        let host = HostFacts {
            ip: Some(Ipv4Addr::LOCALHOST),
            tcp_listeners: vec![7001, 23],
            udp_listeners: vec![161],
            ..HostFacts::default()
        };
        let view = from_device(&device, &Default::default(), &host, Instant::from_secs(12));
        (device.config().clone(), config(), view)
    })
}

fn oid(ops: &mut Ops) -> ObjectIdentifier {
    let prefix = PREFIXES[usize::from(ops.byte().unwrap_or(0)) % PREFIXES.len()];
    let mut arcs = prefix.to_vec();
    let tail = ops.byte().unwrap_or(0) % 6;
    for _ in 0..tail {
        // Mostly small arcs (table columns, indexes), sometimes a large one.
        let b = ops.byte().unwrap_or(0);
        arcs.push(if b >= 250 { u32::from(b) << 24 } else { u32::from(b % 24) });
    }
    // Always at least two arcs with a first arc of 0–2: valid by construction.
    ObjectIdentifier::new(arcs).unwrap_or_else(|| ObjectIdentifier::new(vec![1, 3]).expect("1.3"))
}

fn value(ops: &mut Ops) -> VarBindValue {
    let n = |ops: &mut Ops| {
        let b = ops.chunk();
        b.iter().take(8).fold(0i64, |a, &x| (a << 8) | i64::from(x))
    };
    match ops.byte().unwrap_or(0) % 6 {
        0 => VarBindValue::Unspecified,
        1 => VarBindValue::Value(ObjectSyntax::Simple(SimpleSyntax::Integer(Integer::from(n(ops))))),
        2 => VarBindValue::Value(ObjectSyntax::Simple(SimpleSyntax::String(
            OctetString::from_slice(ops.chunk()),
        ))),
        3 => VarBindValue::Value(ObjectSyntax::Simple(SimpleSyntax::ObjectId(oid(ops)))),
        4 => VarBindValue::Value(ObjectSyntax::ApplicationWide(ApplicationSyntax::Ticks(
            TimeTicks(n(ops) as u32),
        ))),
        _ => VarBindValue::NoSuchObject,
    }
}

/// A request built from the input; None when rasn cannot encode it.
fn structured(ops: &mut Ops) -> Option<Vec<u8>> {
    let head = ops.byte().unwrap_or(0);
    let version = i64::from(head & 1) + if head & 0x80 != 0 { 2 } else { 0 };
    let community = COMMUNITIES[usize::from(head >> 1) % COMMUNITIES.len()];
    let count = usize::from(ops.byte().unwrap_or(0) % 12);
    let varbinds: Vec<VarBind> = (0..count)
        .map(|_| VarBind {
            name: oid(ops),
            value: value(ops),
        })
        .collect();
    let request_id = i32::from_le_bytes([head, ops.byte().unwrap_or(0), 0, 0]);
    let pdu = Pdu {
        request_id,
        error_status: 0,
        error_index: 0,
        variable_bindings: varbinds.clone(),
    };
    let data = match ops.byte().unwrap_or(0) % 4 {
        0 => Pdus::GetRequest(GetRequest(pdu)),
        1 => Pdus::GetNextRequest(GetNextRequest(pdu)),
        2 => Pdus::SetRequest(SetRequest(pdu)),
        _ => Pdus::GetBulkRequest(GetBulkRequest(BulkPdu {
            request_id,
            non_repeaters: u32::from(ops.byte().unwrap_or(0) % 8),
            max_repetitions: u32::from(ops.byte().unwrap_or(0)) * 3,
            variable_bindings: varbinds,
        })),
    };
    rasn::ber::encode(&Message {
        version: Integer::from(version),
        community: OctetString::from_slice(community.as_bytes()),
        data,
    })
    .ok()
}

fuzz_target!(|data: &[u8]| {
    let (running, snmp, view) = fixture();
    let mut ops = Ops::new(data);
    let mode = ops.byte().unwrap_or(0);
    let from = if mode & 2 == 0 {
        IpAddr::V4(Ipv4Addr::LOCALHOST)
    } else {
        IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2))
    };
    let datagram = if mode & 1 == 0 {
        ops.rest().to_vec()
    } else {
        match structured(&mut ops) {
            Some(d) => d,
            None => return,
        }
    };
    let mut agent = Agent::new();
    let out = agent.handle(&datagram, from, snmp, view);
    if let Some(response) = &out.response {
        assert!(response.len() <= MAX_MESSAGE_SIZE, "{} byte response", response.len());
        let msg: Message<Pdus> = match rasn::ber::decode(response) {
            Ok(m) => m,
            Err(e) => panic!("undecodable response {response:02x?}: {e}"),
        };
        let Pdus::Response(r) = msg.data else {
            panic!("not a Response: {:?}", msg.data);
        };
        let request: Message<Pdus> = match rasn::ber::decode(&datagram) {
            Ok(m) => m,
            Err(e) => panic!("answered an undecodable request: {e}"),
        };
        let id = match request.data {
            Pdus::GetRequest(p) => p.0.request_id,
            Pdus::GetNextRequest(p) => p.0.request_id,
            Pdus::SetRequest(p) => p.0.request_id,
            Pdus::GetBulkRequest(p) => p.0.request_id,
            other => panic!("answered {other:?}"),
        };
        assert_eq!(r.0.request_id, id, "response to another request");
        assert_eq!(agent.counters().out_pkts, 1);
    } else {
        assert_eq!(agent.counters().out_pkts, 0);
    }
    for action in &out.actions {
        if let AgentAction::SetConfig { key, value } = action {
            if let Err(e) = running.with_set(key, value) {
                panic!("SET asked for {key}={value:?}, which the configuration refuses: {e:?}");
            }
        }
    }
});
