//! Trace records of what crosses the device's boundaries, shared by every runtime so the
//! virtual-time and real-time JSON traces have the same shape.

use super::{Bytes, TraceEvent};
use crate::faults::Direction;
use m2285_core::io::{Action, NetEvent};

/// The record of one burst crossing the serial line going `way`: `serial_out` from the device,
/// `serial_in` towards it, with what arrived (`got`) and, when faults changed it, what was sent.
pub fn serial_crossing(way: Direction, sent: &[u8], got: &[u8]) -> TraceEvent {
    let data = Bytes(got.to_vec());
    let sent = (sent != got).then(|| Bytes(sent.to_vec()));
    match way {
        Direction::FromDevice => TraceEvent::SerialOut { data, sent },
        _ => TraceEvent::SerialIn { data, sent },
    }
}

type ActionFields = (&'static str, Option<u64>, Option<String>, Option<Bytes>);

/// The trace record of an instruction from the device to the runtime (other than serial output
/// and notifications, which have records of their own).
pub fn action(action: &Action) -> TraceEvent {
    let (action, conn, detail, data) = action_fields(action);
    TraceEvent::Action {
        action,
        conn,
        detail,
        data,
    }
}

fn action_fields(action: &Action) -> ActionFields {
    match action {
        Action::Listen {
            listener,
            transport,
            port,
        } => (
            "listen",
            None,
            Some(format!("{} {transport:?} port {port}", listener.service_name()).to_lowercase()),
            None,
        ),
        Action::Unlisten { listener } => {
            ("unlisten", None, Some(listener.service_name().into()), None)
        }
        Action::Connect { conn, host, port } => (
            "connect",
            Some(conn.0),
            Some(format!("{host}:{port}")),
            None,
        ),
        Action::Send { conn, data } => ("send", Some(conn.0), None, Some(Bytes(data.clone()))),
        Action::Close { conn } => ("close", Some(conn.0), None, None),
        Action::Reset { conn } => ("reset", Some(conn.0), None, None),
        Action::SetKeepalive { conn, params } => (
            "set_keepalive",
            Some(conn.0),
            Some(format!(
                "time {} s, interval {} s, probes {}",
                params.time_s, params.interval_s, params.probes
            )),
            None,
        ),
        Action::SendTo {
            host, port, data, ..
        } => (
            "send_to",
            None,
            Some(format!("{host}:{port}")),
            Some(Bytes(data.clone())),
        ),
        other => ("other", None, Some(format!("{other:?}")), None),
    }
}

/// The trace record of a network event handed to the device.
pub fn net_event(event: &NetEvent) -> TraceEvent {
    let (kind, conn, detail, data): ActionFields = match event {
        NetEvent::Listening { listener, port } => (
            "listening",
            None,
            Some(format!("{} port {port}", listener.service_name())),
            None,
        ),
        NetEvent::ListenFailed { listener, reason } => (
            "listen_failed",
            None,
            Some(format!("{}: {reason}", listener.service_name())),
            None,
        ),
        NetEvent::Accepted { conn, peer, .. } => {
            ("accepted", Some(conn.0), Some(peer.to_string()), None)
        }
        NetEvent::Connected { conn, peer } => {
            ("connected", Some(conn.0), Some(peer.to_string()), None)
        }
        NetEvent::ConnectFailed { conn, reason } => {
            ("connect_failed", Some(conn.0), Some(reason.clone()), None)
        }
        NetEvent::Received { conn, data } => {
            ("received", Some(conn.0), None, Some(Bytes(data.clone())))
        }
        NetEvent::PeerClosed { conn } => ("peer_closed", Some(conn.0), None, None),
        NetEvent::Failed { conn, reason } => ("failed", Some(conn.0), Some(reason.clone()), None),
        #[allow(unreachable_patterns)]
        other => ("other", None, Some(format!("{other:?}")), None),
    };
    TraceEvent::NetEvent {
        kind,
        conn,
        detail,
        data,
    }
}
