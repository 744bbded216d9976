//! Traps: the notifications the device sends and their v1 and v2c encodings.
//!
//! [`Notification::from_event`] reads them off the device's one event stream (the model's
//! [`DeviceEvent`]s); the runtime only adds what the model cannot see (power-on, a fault that
//! cuts the network). [`crate::Agent::traps`] encodes one per receiver.

use crate::mib::{int, text, ticks};
use crate::oid::{join, M2285_DEVICE, M2285_MIB, M2285_NOTIFY_OBJECTS, SNMP_TRAPS};
use m2285_core::config::TrapVersion;
use m2285_core::io::DeviceEvent;
use rasn::types::{Integer, ObjectIdentifier, OctetString};
use rasn_smi::v1::{NetworkAddress, TimeTicks};
use rasn_smi::v2::ObjectSyntax;
use rasn_snmp::v2::{Pdu, Pdus, Trap, VarBind, VarBindValue};
use std::net::{Ipv4Addr, SocketAddrV4};

/// One trap for one receiver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrapDatagram {
    /// The receiver.
    pub to: SocketAddrV4,
    /// The encoded message.
    pub bytes: Vec<u8>,
}

/// Something the device tells its trap receivers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notification {
    /// The device powered on (coldStart).
    ColdStart,
    /// The device rebooted (warmStart).
    WarmStart,
    /// A request came with a community no manager entry allows (authenticationFailure).
    AuthenticationFailure,
    /// The network interface went down (linkDown, ifIndex 1).
    LinkDown,
    /// The network interface came back (linkUp, ifIndex 1).
    LinkUp,
    /// A data session opened on a serial port (m2285SessionOpened).
    SessionOpened {
        /// Serial port number.
        port: u8,
        /// The peer, `address:port`.
        peer: String,
    },
    /// A data session ended (m2285SessionClosed).
    SessionClosed {
        /// Serial port number.
        port: u8,
        /// Why, as the event names it.
        reason: String,
    },
    /// A keyword rule matched on a serial port (m2285PortEvent).
    PortEvent {
        /// Serial port number.
        port: u8,
        /// The keyword that matched.
        keyword: String,
    },
}

impl Notification {
    /// The trap a device event calls for, if any. Port events only send a trap when their
    /// rule asks for one.
    pub fn from_event(event: &DeviceEvent) -> Option<Notification> {
        match event {
            DeviceEvent::SessionOpened { port, peer, .. } => Some(Notification::SessionOpened {
                port: *port,
                peer: peer.to_string(),
            }),
            DeviceEvent::SessionClosed { port, reason, .. } => Some(Notification::SessionClosed {
                port: *port,
                reason: reason.to_string(),
            }),
            DeviceEvent::PortEvent {
                port,
                keyword,
                trap: true,
                ..
            } => Some(Notification::PortEvent {
                port: *port,
                keyword: keyword.clone(),
            }),
            _ => None,
        }
    }

    /// The SNMPv2 notification OID (snmpTrapOID.0).
    pub fn trap_oid(&self) -> Vec<u32> {
        match self {
            Notification::ColdStart => join(SNMP_TRAPS, &[1]),
            Notification::WarmStart => join(SNMP_TRAPS, &[2]),
            Notification::LinkDown => join(SNMP_TRAPS, &[3]),
            Notification::LinkUp => join(SNMP_TRAPS, &[4]),
            Notification::AuthenticationFailure => join(SNMP_TRAPS, &[5]),
            Notification::SessionOpened { .. } => join(M2285_MIB, &[0, 1]),
            Notification::SessionClosed { .. } => join(M2285_MIB, &[0, 2]),
            Notification::PortEvent { .. } => join(M2285_MIB, &[0, 3]),
        }
    }

    /// The objects the trap carries after sysUpTime.0 and snmpTrapOID.0.
    fn objects(&self) -> Vec<(Vec<u32>, ObjectSyntax)> {
        let notify = |n: u32| join(M2285_NOTIFY_OBJECTS, &[n, 0]);
        let if_col = |n: u32| join(crate::oid::INTERFACES, &[2, 1, n, 1]);
        match self {
            Notification::LinkDown | Notification::LinkUp => {
                let status = if *self == Notification::LinkUp { 1 } else { 2 };
                vec![
                    (if_col(1), int(1)),
                    (if_col(7), int(1)),
                    (if_col(8), int(status)),
                ]
            }
            Notification::SessionOpened { port, peer } => {
                vec![(notify(1), int(i64::from(*port))), (notify(2), text(peer))]
            }
            Notification::SessionClosed { port, reason } => vec![
                (notify(1), int(i64::from(*port))),
                (notify(3), text(reason)),
            ],
            Notification::PortEvent { port, keyword } => vec![
                (notify(1), int(i64::from(*port))),
                (notify(3), text(keyword)),
            ],
            _ => Vec::new(),
        }
    }

    /// The v1 generic-trap and specific-trap numbers and enterprise (RFC 3584 §3.2).
    fn v1_numbers(&self) -> (i64, i64, Vec<u32>) {
        let device = M2285_DEVICE.to_vec();
        match self {
            Notification::ColdStart => (0, 0, device),
            Notification::WarmStart => (1, 0, device),
            Notification::LinkDown => (2, 0, device),
            Notification::LinkUp => (3, 0, device),
            Notification::AuthenticationFailure => (4, 0, device),
            other => {
                let oid = other.trap_oid();
                let specific = i64::from(oid.last().copied().unwrap_or(0));
                (6, specific, M2285_MIB.to_vec())
            }
        }
    }

    /// Encodes the trap for one receiver.
    pub fn encode(
        &self,
        version: TrapVersion,
        community: &str,
        uptime_ticks: u32,
        agent_addr: Ipv4Addr,
        request_id: i32,
    ) -> Vec<u8> {
        let objects = self.objects();
        let community = OctetString::from_slice(community.as_bytes());
        let encoded = match version {
            TrapVersion::V2c => {
                let mut varbinds = vec![
                    v2_bind(crate::oid::SYS_UP_TIME_0, ticks(uptime_ticks)),
                    v2_bind(
                        crate::oid::SNMP_TRAP_OID_0,
                        crate::mib::oid_value(&self.trap_oid()),
                    ),
                ];
                varbinds.extend(objects.iter().map(|(o, v)| v2_bind(o, v.clone())));
                rasn::ber::encode(&rasn_snmp::v2c::Message {
                    version: Integer::from(1),
                    community,
                    data: Pdus::Trap(Trap(Pdu {
                        request_id,
                        error_status: 0,
                        error_index: 0,
                        variable_bindings: varbinds,
                    })),
                })
            }
            TrapVersion::V1 => {
                let (generic, specific, enterprise) = self.v1_numbers();
                let varbinds = objects
                    .iter()
                    .filter_map(|(o, v)| {
                        Some(rasn_snmp::v1::VarBind {
                            name: oid(o),
                            value: to_v1(v)?,
                        })
                    })
                    .collect();
                rasn::ber::encode(&rasn_snmp::v1::Message {
                    version: Integer::from(0),
                    community,
                    data: rasn_snmp::v1::Pdus::Trap(rasn_snmp::v1::Trap {
                        enterprise: oid(&enterprise),
                        agent_addr: NetworkAddress::Internet(rasn_smi::v1::IpAddress(
                            agent_addr.octets().into(),
                        )),
                        generic_trap: Integer::from(generic),
                        specific_trap: Integer::from(specific),
                        time_stamp: TimeTicks(uptime_ticks),
                        variable_bindings: varbinds,
                    }),
                })
            }
        };
        encoded.unwrap_or_default()
    }
}

fn oid(v: &[u32]) -> ObjectIdentifier {
    ObjectIdentifier::new(v.to_vec())
        .unwrap_or_else(|| ObjectIdentifier::new_unchecked(vec![0, 0].into()))
}

fn v2_bind(name: &[u32], value: ObjectSyntax) -> VarBind {
    VarBind {
        name: oid(name),
        value: VarBindValue::Value(value),
    }
}

/// The v1 form of the (integer and string) values traps carry.
fn to_v1(v: &ObjectSyntax) -> Option<rasn_smi::v1::ObjectSyntax> {
    use rasn_smi::v1::{ObjectSyntax as O1, SimpleSyntax as S1};
    use rasn_smi::v2::SimpleSyntax as S2;
    match v {
        ObjectSyntax::Simple(S2::Integer(i)) => Some(O1::Simple(S1::Number(i.clone()))),
        ObjectSyntax::Simple(S2::String(s)) => Some(O1::Simple(S1::String(s.clone()))),
        _ => None,
    }
}
