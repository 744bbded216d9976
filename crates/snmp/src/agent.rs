//! Request handling: decoding, access control, GET/GETNEXT/GETBULK/SET with the v1 and v2c
//! error rules, and the snmp group's counters.

use crate::mib::{Mib, Writable};
use crate::view::DeviceView;
use m2285_core::config::{Snmp, SnmpAccess};
use rasn::types::{Integer, ObjectIdentifier, OctetString};
use rasn_smi::v2::{ObjectSyntax, SimpleSyntax};
use rasn_snmp::v2::{Pdu, Pdus, Response, VarBind, VarBindValue};
use rasn_snmp::v2c::Message;
use std::net::IpAddr;

/// Largest response the agent sends (an Ethernet frame's UDP payload); a larger answer is
/// tooBig, or a shorter GETBULK.
pub const MAX_MESSAGE_SIZE: usize = 1472;

/// Most repetitions of one GETBULK (bounds the work of a request).
const MAX_REPETITIONS: u32 = 256;

/// SNMP version numbers on the wire.
const V1: i64 = 0;
const V2C: i64 = 1;

/// The snmp group (RFC 3418) and a few counts of our own.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SnmpCounters {
    /// snmpInPkts: every datagram received.
    pub in_pkts: u64,
    /// snmpOutPkts: responses sent.
    pub out_pkts: u64,
    /// snmpInBadVersions.
    pub in_bad_versions: u64,
    /// snmpInBadCommunityNames.
    pub in_bad_community_names: u64,
    /// snmpInBadCommunityUses: a SET from a read-only manager.
    pub in_bad_community_uses: u64,
    /// snmpInASNParseErrs.
    pub in_asn_parse_errs: u64,
    /// snmpInTotalReqVars: objects retrieved by GET/GETNEXT/GETBULK.
    pub in_total_req_vars: u64,
    /// snmpInTotalSetVars: objects changed by SET.
    pub in_total_set_vars: u64,
    /// snmpInGetRequests.
    pub in_get_requests: u64,
    /// snmpInGetNexts.
    pub in_get_nexts: u64,
    /// snmpInSetRequests.
    pub in_set_requests: u64,
    /// snmpInGetResponses (received and dropped).
    pub in_get_responses: u64,
    /// snmpInTraps (received and dropped).
    pub in_traps: u64,
    /// GETBULK requests (no MIB-II counter of their own).
    pub in_get_bulks: u64,
    /// snmpOutTooBigs.
    pub out_too_bigs: u64,
    /// snmpOutNoSuchNames.
    pub out_no_such_names: u64,
    /// snmpOutBadValues.
    pub out_bad_values: u64,
    /// snmpOutGenErrs.
    pub out_gen_errs: u64,
    /// snmpOutGetResponses.
    pub out_get_responses: u64,
    /// snmpOutTraps.
    pub out_traps: u64,
    /// Reports and other unsolicited datagrams (locating server) counted as sent.
    pub out_reports: u64,
    /// Octets of SNMP messages received (for ifInOctets).
    pub in_octets: u64,
    /// Octets of SNMP messages and traps sent (for ifOutOctets).
    pub out_octets: u64,
}

/// Something the runtime must do because of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AgentAction {
    /// A SET changed this configuration key (`--set` syntax value).
    SetConfig {
        /// The key, e.g. `network.snmp.sys_contact`.
        key: &'static str,
        /// The new value.
        value: String,
    },
    /// A request carried a community no manager entry allows from its address.
    AuthenticationFailure {
        /// The sender.
        from: IpAddr,
    },
}

/// The result of one datagram.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outcome {
    /// The response to send back to the sender, if any.
    pub response: Option<Vec<u8>>,
    /// What the runtime must carry out.
    pub actions: Vec<AgentAction>,
}

/// The SNMP agent: its counters and the request id of its traps.
#[derive(Debug, Default)]
pub struct Agent {
    counters: SnmpCounters,
    next_trap_id: i32,
}

/// Error statuses (RFC 3416).
mod status {
    pub const TOO_BIG: u32 = 1;
    pub const NO_SUCH_NAME: u32 = 2;
    pub const BAD_VALUE: u32 = 3;
    pub const GEN_ERR: u32 = 5;
    pub const NO_ACCESS: u32 = 6;
    pub const WRONG_TYPE: u32 = 7;
    pub const WRONG_LENGTH: u32 = 8;
    pub const WRONG_VALUE: u32 = 10;
    pub const NO_CREATION: u32 = 11;
    pub const NOT_WRITABLE: u32 = 17;
}

/// A decoded request the agent answers.
struct Request {
    version: i64,
    community: OctetString,
    kind: Kind,
    request_id: i32,
    varbinds: Vec<VarBind>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Get,
    GetNext,
    GetBulk { non_repeaters: u32, max_reps: u32 },
    Set,
}

impl Agent {
    /// A fresh agent (counters from zero, as at power-on).
    pub fn new() -> Agent {
        Agent::default()
    }

    /// The counters.
    pub fn counters(&self) -> &SnmpCounters {
        &self.counters
    }

    /// Counts `bytes` sent on the device's behalf that are not responses or traps (locating
    /// server reports), so the interface and UDP counters include them.
    pub fn count_other_datagram(&mut self, bytes: usize) {
        self.counters.out_reports += 1;
        self.counters.out_octets += bytes as u64;
    }

    /// Handles one datagram from `from`. Malformed datagrams, unknown versions, PDUs an agent
    /// does not answer and unknown communities get no response; each is counted.
    pub fn handle(
        &mut self,
        datagram: &[u8],
        from: IpAddr,
        config: &Snmp,
        view: &DeviceView,
    ) -> Outcome {
        let c = &mut self.counters;
        c.in_pkts += 1;
        c.in_octets += datagram.len() as u64;
        let Some(request) = decode(datagram, c) else {
            return Outcome::default();
        };
        let access = config
            .managers
            .iter()
            .filter(|m| m.address.is_unspecified() || IpAddr::V4(m.address) == from)
            .find(|m| m.community.as_bytes() == request.community.as_ref())
            .map(|m| m.access);
        let Some(access) = access else {
            c.in_bad_community_names += 1;
            return Outcome {
                response: None,
                actions: vec![AgentAction::AuthenticationFailure { from }],
            };
        };
        match request.kind {
            Kind::Get => c.in_get_requests += 1,
            Kind::GetNext => c.in_get_nexts += 1,
            Kind::GetBulk { .. } => c.in_get_bulks += 1,
            Kind::Set => c.in_set_requests += 1,
        }
        let mib = Mib::build(view, &self.counters);
        let mut actions = Vec::new();
        let answer = match request.kind {
            Kind::Set if access != SnmpAccess::ReadWrite => {
                self.counters.in_bad_community_uses += 1;
                Answer::error(status::NO_ACCESS, 1, &request)
            }
            Kind::Set => self.set(&mib, &request, &mut actions),
            Kind::Get => self.get(&mib, &request),
            Kind::GetNext => self.get_next(&mib, &request),
            Kind::GetBulk {
                non_repeaters,
                max_reps,
            } => self.get_bulk(&mib, &request, non_repeaters, max_reps),
        };
        let response = self.respond(&request, answer);
        Outcome { response, actions }
    }

    fn get(&mut self, mib: &Mib, req: &Request) -> Answer {
        let mut out = Vec::with_capacity(req.varbinds.len());
        for (i, vb) in req.varbinds.iter().enumerate() {
            let value = match mib.get(&vb.name) {
                Some(e) => VarBindValue::Value(e.value.clone()),
                None if req.version == V1 => {
                    return Answer::error(status::NO_SUCH_NAME, i + 1, req)
                }
                None if mib.has_object_of(&vb.name) => VarBindValue::NoSuchInstance,
                None => VarBindValue::NoSuchObject,
            };
            out.push(bind(vb.name.to_vec(), value));
        }
        self.counters.in_total_req_vars += out.len() as u64;
        Answer::ok(out)
    }

    fn get_next(&mut self, mib: &Mib, req: &Request) -> Answer {
        let mut out = Vec::with_capacity(req.varbinds.len());
        for (i, vb) in req.varbinds.iter().enumerate() {
            match next_binding(mib, &vb.name) {
                Some(b) => out.push(b),
                None if req.version == V1 => {
                    return Answer::error(status::NO_SUCH_NAME, i + 1, req)
                }
                None => out.push(bind(vb.name.to_vec(), VarBindValue::EndOfMibView)),
            }
        }
        self.counters.in_total_req_vars += out.len() as u64;
        Answer::ok(out)
    }

    /// GETBULK (RFC 3416 §4.2.3): the non-repeaters once, then rows of the repeaters until
    /// `max_reps`, the size limit, or every repeater has reached the end of the MIB.
    fn get_bulk(&mut self, mib: &Mib, req: &Request, non_rep: u32, max_reps: u32) -> Answer {
        let n = (non_rep as usize).min(req.varbinds.len());
        let (fixed, repeaters) = req.varbinds.split_at(n);
        let budget = MAX_MESSAGE_SIZE.saturating_sub(48 + req.community.len());
        let mut used = 0usize;
        let mut out = Vec::new();
        for vb in fixed {
            let b = next_binding(mib, &vb.name)
                .unwrap_or_else(|| bind(vb.name.to_vec(), VarBindValue::EndOfMibView));
            used += encoded_len(&b);
            out.push(b);
        }
        if used > budget {
            return Answer::too_big(req);
        }
        let mut cursors: Vec<Vec<u32>> = repeaters.iter().map(|v| v.name.to_vec()).collect();
        'rows: for _ in 0..max_reps.min(MAX_REPETITIONS) {
            if cursors.is_empty() {
                break;
            }
            let mut row = Vec::with_capacity(cursors.len());
            let mut all_ended = true;
            for cursor in &mut cursors {
                let b = match next_binding(mib, cursor) {
                    Some(b) => {
                        all_ended = false;
                        *cursor = b.name.to_vec();
                        b
                    }
                    None => bind(cursor.clone(), VarBindValue::EndOfMibView),
                };
                row.push(b);
            }
            let size: usize = row.iter().map(encoded_len).sum();
            if used + size > budget {
                break 'rows;
            }
            used += size;
            out.extend(row);
            if all_ended {
                break;
            }
        }
        self.counters.in_total_req_vars += out.len() as u64;
        Answer::ok(out)
    }

    /// SET: every binding is checked before any is applied (all or nothing).
    fn set(&mut self, mib: &Mib, req: &Request, actions: &mut Vec<AgentAction>) -> Answer {
        let mut changes = Vec::with_capacity(req.varbinds.len());
        for (i, vb) in req.varbinds.iter().enumerate() {
            let check = match mib.get(&vb.name) {
                None => Err(status::NO_CREATION),
                Some(e) => match e.writable {
                    None => Err(status::NOT_WRITABLE),
                    Some(w) => check_value(w, &vb.value),
                },
            };
            match check {
                Ok(change) => changes.push(change),
                Err(code) => return Answer::error(code, i + 1, req),
            }
        }
        self.counters.in_total_set_vars += changes.len() as u64;
        actions.extend(
            changes
                .into_iter()
                .map(|(key, value)| AgentAction::SetConfig { key, value }),
        );
        Answer::ok(req.varbinds.clone())
    }

    /// Encodes the response, turning v2c-only statuses into their v1 equivalents (RFC 3584
    /// §4.4) and oversized answers into tooBig.
    fn respond(&mut self, req: &Request, answer: Answer) -> Option<Vec<u8>> {
        let mut answer = answer;
        if req.version == V1 {
            answer.status = match answer.status {
                status::NO_ACCESS | status::NOT_WRITABLE | status::NO_CREATION => {
                    status::NO_SUCH_NAME
                }
                status::WRONG_TYPE | status::WRONG_LENGTH | status::WRONG_VALUE => {
                    status::BAD_VALUE
                }
                other => other,
            };
        }
        let mut bytes = encode_response(req, &answer)?;
        if bytes.len() > MAX_MESSAGE_SIZE {
            bytes = encode_response(req, &Answer::too_big(req))?;
            if bytes.len() > MAX_MESSAGE_SIZE {
                return None;
            }
            answer.status = status::TOO_BIG;
        }
        let c = &mut self.counters;
        match answer.status {
            status::TOO_BIG => c.out_too_bigs += 1,
            status::NO_SUCH_NAME => c.out_no_such_names += 1,
            status::BAD_VALUE => c.out_bad_values += 1,
            status::GEN_ERR => c.out_gen_errs += 1,
            _ => {}
        }
        c.out_get_responses += 1;
        c.out_pkts += 1;
        c.out_octets += bytes.len() as u64;
        Some(bytes)
    }

    /// Encodes one trap per receiver (see [`crate::Notification`]), counting them.
    pub fn traps(
        &mut self,
        notification: &crate::Notification,
        config: &Snmp,
        uptime_ticks: u32,
        agent_addr: std::net::Ipv4Addr,
    ) -> Vec<crate::TrapDatagram> {
        if !config.enabled {
            return Vec::new();
        }
        let mut out = Vec::new();
        for r in &config.trap_receivers {
            self.next_trap_id = self.next_trap_id.wrapping_add(1) & 0x7fff_ffff;
            let bytes = notification.encode(
                r.version,
                &r.community,
                uptime_ticks,
                agent_addr,
                self.next_trap_id,
            );
            self.counters.out_traps += 1;
            self.counters.out_octets += bytes.len() as u64;
            out.push(crate::TrapDatagram {
                to: std::net::SocketAddrV4::new(r.address, r.port),
                bytes,
            });
        }
        out
    }
}

/// What the response carries.
struct Answer {
    status: u32,
    index: u32,
    varbinds: Vec<VarBind>,
}

impl Answer {
    fn ok(varbinds: Vec<VarBind>) -> Answer {
        Answer {
            status: 0,
            index: 0,
            varbinds,
        }
    }

    /// An error: the request's bindings come back unchanged with the failing one's index.
    fn error(status: u32, index: usize, req: &Request) -> Answer {
        Answer {
            status,
            index: u32::try_from(index).unwrap_or(0),
            varbinds: req.varbinds.clone(),
        }
    }

    /// tooBig: v2c sends no bindings; v1 echoes the request's.
    fn too_big(req: &Request) -> Answer {
        Answer {
            status: status::TOO_BIG,
            index: 0,
            varbinds: if req.version == V1 {
                req.varbinds.clone()
            } else {
                Vec::new()
            },
        }
    }
}

/// Decodes a request, counting what is not one. v1 and v2c share the message layout; GETBULK
/// only exists in v2c.
fn decode(datagram: &[u8], c: &mut SnmpCounters) -> Option<Request> {
    let Ok(msg) = rasn::ber::decode::<Message<Pdus>>(datagram) else {
        c.in_asn_parse_errs += 1;
        return None;
    };
    let version = i64::try_from(&msg.version).ok();
    let version = match version {
        Some(v @ (V1 | V2C)) => v,
        _ => {
            c.in_bad_versions += 1;
            return None;
        }
    };
    let (kind, pdu) = match msg.data {
        Pdus::GetRequest(p) => (Kind::Get, p.0),
        Pdus::GetNextRequest(p) => (Kind::GetNext, p.0),
        Pdus::SetRequest(p) => (Kind::Set, p.0),
        Pdus::GetBulkRequest(p) if version == V2C => {
            let b = p.0;
            return Some(Request {
                version,
                community: msg.community,
                kind: Kind::GetBulk {
                    non_repeaters: b.non_repeaters,
                    max_reps: b.max_repetitions,
                },
                request_id: b.request_id,
                varbinds: b.variable_bindings,
            });
        }
        Pdus::Response(_) => {
            c.in_get_responses += 1;
            return None;
        }
        Pdus::Trap(_) => {
            c.in_traps += 1;
            return None;
        }
        // GETBULK in v1, InformRequest and Report: nothing an agent answers.
        _ => {
            c.in_asn_parse_errs += 1;
            return None;
        }
    };
    if version == V1 && pdu.variable_bindings.iter().any(|v| !v1_value(&v.value)) {
        // A v1 message cannot carry v2 exception values.
        c.in_asn_parse_errs += 1;
        return None;
    }
    Some(Request {
        version,
        community: msg.community,
        kind,
        request_id: pdu.request_id,
        varbinds: pdu.variable_bindings,
    })
}

fn v1_value(v: &VarBindValue) -> bool {
    matches!(v, VarBindValue::Value(_) | VarBindValue::Unspecified)
}

fn encode_response(req: &Request, answer: &Answer) -> Option<Vec<u8>> {
    let msg = Message {
        version: Integer::from(req.version),
        community: req.community.clone(),
        data: Pdus::Response(Response(Pdu {
            request_id: req.request_id,
            error_status: answer.status,
            error_index: answer.index,
            variable_bindings: answer.varbinds.clone(),
        })),
    };
    rasn::ber::encode(&msg).ok()
}

fn next_binding(mib: &Mib, oid: &[u32]) -> Option<VarBind> {
    mib.next(oid)
        .map(|(k, e)| bind(k.clone(), VarBindValue::Value(e.value.clone())))
}

fn bind(oid: Vec<u32>, value: VarBindValue) -> VarBind {
    VarBind {
        name: ObjectIdentifier::new(oid)
            .unwrap_or_else(|| ObjectIdentifier::new_unchecked(vec![0, 0].into())),
        value,
    }
}

fn encoded_len(vb: &VarBind) -> usize {
    rasn::ber::encode(vb).map(|b| b.len()).unwrap_or(64)
}

/// Checks a SET value for a writable object and turns it into a configuration change.
fn check_value(w: Writable, value: &VarBindValue) -> Result<(&'static str, String), u32> {
    match (w, value) {
        (
            Writable::Text(key),
            VarBindValue::Value(ObjectSyntax::Simple(SimpleSyntax::String(s))),
        ) => {
            if s.len() > 255 {
                return Err(status::WRONG_LENGTH);
            }
            if !s.iter().all(|b| (0x20..0x7f).contains(b)) {
                return Err(status::WRONG_VALUE);
            }
            let text = String::from_utf8_lossy(s);
            Ok((key, format!("\"{text}\"")))
        }
        (
            Writable::Truth(key),
            VarBindValue::Value(ObjectSyntax::Simple(SimpleSyntax::Integer(i))),
        ) => match i64::try_from(i) {
            Ok(1) => Ok((key, "true".into())),
            Ok(2) => Ok((key, "false".into())),
            _ => Err(status::WRONG_VALUE),
        },
        _ => Err(status::WRONG_TYPE),
    }
}
