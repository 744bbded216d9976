//! RFC 2217 COM-PORT-OPTION subnegotiations: decoding client commands and encoding the access
//! server's replies and notifications.
//!
//! Client commands are 0..=12; the server answers with the same command + 100. Payloads here
//! exclude the leading option byte (44); IAC doubling is the codec's business.

use crate::values::{baud_to_cisco_code, cisco_code_to_baud};

/// RFC 2217 command numbers (client → access server). Server → client is `+ SERVER_OFFSET`.
pub mod cmd {
    /// SIGNATURE: empty = "send me yours", otherwise the sender's signature.
    pub const SIGNATURE: u8 = 0;
    /// SET-BAUDRATE (4-byte network-order value; 0 = query).
    pub const SET_BAUDRATE: u8 = 1;
    /// SET-DATASIZE (0 = query, 5..=8).
    pub const SET_DATASIZE: u8 = 2;
    /// SET-PARITY (0 = query, 1..=5).
    pub const SET_PARITY: u8 = 3;
    /// SET-STOPSIZE (0 = query, 1, 2, 3 = 1.5).
    pub const SET_STOPSIZE: u8 = 4;
    /// SET-CONTROL (0..=19, see `Control`).
    pub const SET_CONTROL: u8 = 5;
    /// NOTIFY-LINESTATE; from a client: a poll of the line state.
    pub const NOTIFY_LINESTATE: u8 = 6;
    /// NOTIFY-MODEMSTATE; from a client: a poll of the modem state.
    pub const NOTIFY_MODEMSTATE: u8 = 7;
    /// FLOWCONTROL-SUSPEND: the sender asks the receiver to stop sending data.
    pub const FLOWCONTROL_SUSPEND: u8 = 8;
    /// FLOWCONTROL-RESUME: the sender asks the receiver to send data again.
    pub const FLOWCONTROL_RESUME: u8 = 9;
    /// SET-LINESTATE-MASK.
    pub const SET_LINESTATE_MASK: u8 = 10;
    /// SET-MODEMSTATE-MASK.
    pub const SET_MODEMSTATE_MASK: u8 = 11;
    /// PURGE-DATA (1 = receive, 2 = transmit, 3 = both).
    pub const PURGE_DATA: u8 = 12;
    /// Added to a client command number to form the access server's answer.
    pub const SERVER_OFFSET: u8 = 100;
}

/// A client COM-PORT request the device must act on. Every variant except the two flow-control
/// ones expects exactly one [`ComPortReply`] of the matching kind, carrying the value in effect.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ComPortRequest {
    /// SET-BAUDRATE; 0 asks for the current rate. Reply: [`ComPortReply::BaudRate`].
    SetBaudRate(u32),
    /// SET-DATASIZE; 0 asks, else 5..=8. Reply: [`ComPortReply::DataSize`].
    SetDataSize(u8),
    /// SET-PARITY; 0 asks, else see [`crate::Parity`]. Reply: [`ComPortReply::Parity`].
    SetParity(u8),
    /// SET-STOPSIZE; 0 asks, else see [`crate::StopSize`]. Reply: [`ComPortReply::StopSize`].
    SetStopSize(u8),
    /// SET-CONTROL; see [`crate::Control`]. Reply: [`ComPortReply::Control`] of the same group.
    SetControl(u8),
    /// SET-LINESTATE-MASK; the session applies it at once. Reply: [`ComPortReply::LineStateMask`].
    SetLineStateMask(u8),
    /// SET-MODEMSTATE-MASK; applied at once. Reply: [`ComPortReply::ModemStateMask`].
    SetModemStateMask(u8),
    /// PURGE-DATA; see [`crate::Purge`]. Reply: [`ComPortReply::PurgeData`] (pyserial waits
    /// for it after both the receive and the transmit purge).
    PurgeData(u8),
    /// FLOWCONTROL-SUSPEND: stop sending serial data to the client until resumed. No reply.
    FlowControlSuspend,
    /// FLOWCONTROL-RESUME: data to the client may flow again. No reply.
    FlowControlResume,
}

/// The device's answer to a [`ComPortRequest`]: always the value actually in effect after the
/// request (the requested one when it was accepted, the unchanged one when refused or queried).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ComPortReply {
    /// SERVER SET-BAUDRATE (101).
    BaudRate(u32),
    /// SERVER SET-DATASIZE (102).
    DataSize(u8),
    /// SERVER SET-PARITY (103).
    Parity(u8),
    /// SERVER SET-STOPSIZE (104).
    StopSize(u8),
    /// SERVER SET-CONTROL (105).
    Control(u8),
    /// SERVER SET-LINESTATE-MASK (110).
    LineStateMask(u8),
    /// SERVER SET-MODEMSTATE-MASK (111).
    ModemStateMask(u8),
    /// SERVER PURGE-DATA (112).
    PurgeData(u8),
}

/// A decoded client COM-PORT subnegotiation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Incoming {
    /// A request for the device. `cisco` is set when SET-BAUDRATE used the one-byte Cisco form.
    Request {
        /// The request.
        request: ComPortRequest,
        /// The baud rate came as a Cisco IOS one-byte code.
        cisco: bool,
    },
    /// SIGNATURE with no text: the client wants ours.
    SignatureQuery,
    /// SIGNATURE with text: the client's own signature (accepted silently).
    Signature(Vec<u8>),
    /// NOTIFY-LINESTATE from the client: a poll.
    PollLineState,
    /// NOTIFY-MODEMSTATE from the client: a poll.
    PollModemState,
}

/// Decodes the payload of IAC SB 44 ... IAC SE (without the 44). `None` for malformed input:
/// unknown command, missing value, or a server-side (>= 100) command sent to us.
pub fn decode(payload: &[u8]) -> Option<Incoming> {
    let (&command, value) = payload.split_first()?;
    let byte = value.first().copied();
    let request = |r: ComPortRequest| Incoming::Request {
        request: r,
        cisco: false,
    };
    Some(match command {
        cmd::SIGNATURE if value.is_empty() => Incoming::SignatureQuery,
        cmd::SIGNATURE => Incoming::Signature(value.to_vec()),
        cmd::SET_BAUDRATE => decode_baud(value)?,
        cmd::SET_DATASIZE => request(ComPortRequest::SetDataSize(byte?)),
        cmd::SET_PARITY => request(ComPortRequest::SetParity(byte?)),
        cmd::SET_STOPSIZE => request(ComPortRequest::SetStopSize(byte?)),
        cmd::SET_CONTROL => request(ComPortRequest::SetControl(byte?)),
        cmd::NOTIFY_LINESTATE => Incoming::PollLineState,
        cmd::NOTIFY_MODEMSTATE => Incoming::PollModemState,
        cmd::FLOWCONTROL_SUSPEND => request(ComPortRequest::FlowControlSuspend),
        cmd::FLOWCONTROL_RESUME => request(ComPortRequest::FlowControlResume),
        cmd::SET_LINESTATE_MASK => request(ComPortRequest::SetLineStateMask(byte?)),
        cmd::SET_MODEMSTATE_MASK => request(ComPortRequest::SetModemStateMask(byte?)),
        cmd::PURGE_DATA => request(ComPortRequest::PurgeData(byte?)),
        _ => return None,
    })
}

/// SET-BAUDRATE: four bytes in network order (RFC 2217), or one byte (Cisco IOS code). Like
/// gensio, fewer than four bytes means the Cisco form; an unknown Cisco code becomes a query so
/// the client still learns the rate in effect. Extra trailing bytes are ignored.
fn decode_baud(value: &[u8]) -> Option<Incoming> {
    if let Some(bytes) = value.get(..4) {
        let mut be = [0u8; 4];
        be.copy_from_slice(bytes);
        return Some(Incoming::Request {
            request: ComPortRequest::SetBaudRate(u32::from_be_bytes(be)),
            cisco: false,
        });
    }
    let code = *value.first()?;
    let baud = if code == 0 {
        0
    } else {
        cisco_code_to_baud(code).unwrap_or(0)
    };
    Some(Incoming::Request {
        request: ComPortRequest::SetBaudRate(baud),
        cisco: true,
    })
}

/// The payload (command byte + value, without the 44) of the access server's answer.
pub fn encode_reply(reply: ComPortReply, cisco_baud: bool) -> Vec<u8> {
    let server = |command: u8, value: u8| vec![command.wrapping_add(cmd::SERVER_OFFSET), value];
    match reply {
        ComPortReply::BaudRate(baud) => {
            let mut out = vec![cmd::SET_BAUDRATE + cmd::SERVER_OFFSET];
            if cisco_baud {
                out.push(baud_to_cisco_code(baud).unwrap_or(0));
            } else {
                out.extend_from_slice(&baud.to_be_bytes());
            }
            out
        }
        ComPortReply::DataSize(v) => server(cmd::SET_DATASIZE, v),
        ComPortReply::Parity(v) => server(cmd::SET_PARITY, v),
        ComPortReply::StopSize(v) => server(cmd::SET_STOPSIZE, v),
        ComPortReply::Control(v) => server(cmd::SET_CONTROL, v),
        ComPortReply::LineStateMask(v) => server(cmd::SET_LINESTATE_MASK, v),
        ComPortReply::ModemStateMask(v) => server(cmd::SET_MODEMSTATE_MASK, v),
        ComPortReply::PurgeData(v) => server(cmd::PURGE_DATA, v),
    }
}

/// The payload of the access server's SIGNATURE answer.
pub fn encode_signature(signature: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(signature.len() + 1);
    out.push(cmd::SIGNATURE + cmd::SERVER_OFFSET);
    out.extend_from_slice(signature);
    out
}

/// The payload of NOTIFY-LINESTATE (106) or NOTIFY-MODEMSTATE (107) from the access server.
pub fn encode_notify(command: u8, state: u8) -> Vec<u8> {
    vec![command.wrapping_add(cmd::SERVER_OFFSET), state]
}

/// The payload of the access server's FLOWCONTROL-SUSPEND (108) or -RESUME (109).
pub fn encode_flow(suspend: bool) -> Vec<u8> {
    let command = if suspend {
        cmd::FLOWCONTROL_SUSPEND
    } else {
        cmd::FLOWCONTROL_RESUME
    };
    vec![command.wrapping_add(cmd::SERVER_OFFSET)]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(r: ComPortRequest) -> Option<Incoming> {
        Some(Incoming::Request {
            request: r,
            cisco: false,
        })
    }

    #[test]
    fn decodes_every_client_command() {
        use ComPortRequest::*;
        assert_eq!(decode(&[0]), Some(Incoming::SignatureQuery));
        assert_eq!(
            decode(&[0, b'h', b'i']),
            Some(Incoming::Signature(b"hi".to_vec()))
        );
        assert_eq!(decode(&[1, 0, 1, 0xC2, 0]), req(SetBaudRate(115_200)));
        assert_eq!(decode(&[1, 0, 0, 0, 0]), req(SetBaudRate(0)));
        assert_eq!(decode(&[2, 7]), req(SetDataSize(7)));
        assert_eq!(decode(&[3, 3]), req(SetParity(3)));
        assert_eq!(decode(&[4, 2]), req(SetStopSize(2)));
        assert_eq!(decode(&[5, 8]), req(SetControl(8)));
        assert_eq!(decode(&[6]), Some(Incoming::PollLineState));
        assert_eq!(decode(&[7]), Some(Incoming::PollModemState));
        assert_eq!(decode(&[8]), req(FlowControlSuspend));
        assert_eq!(decode(&[9]), req(FlowControlResume));
        assert_eq!(decode(&[10, 0x1E]), req(SetLineStateMask(0x1E)));
        assert_eq!(decode(&[11, 0xF0]), req(SetModemStateMask(0xF0)));
        assert_eq!(decode(&[12, 3]), req(PurgeData(3)));
    }

    #[test]
    fn cisco_baud_form() {
        assert_eq!(
            decode(&[1, 14]),
            Some(Incoming::Request {
                request: ComPortRequest::SetBaudRate(115_200),
                cisco: true
            })
        );
        assert_eq!(
            decode(&[1, 99]),
            Some(Incoming::Request {
                request: ComPortRequest::SetBaudRate(0),
                cisco: true
            })
        );
        assert_eq!(
            encode_reply(ComPortReply::BaudRate(9600), true),
            vec![101, 8]
        );
    }

    #[test]
    fn malformed_is_rejected() {
        assert_eq!(decode(&[]), None);
        assert_eq!(decode(&[1]), None);
        for c in [2, 3, 4, 5, 10, 11, 12] {
            assert_eq!(decode(&[c]), None, "command {c} without value");
        }
        assert_eq!(decode(&[13, 1]), None);
        assert_eq!(decode(&[101, 0, 0, 0, 1]), None);
    }

    #[test]
    fn encodes_replies_with_server_codes() {
        assert_eq!(
            encode_reply(ComPortReply::BaudRate(9600), false),
            vec![101, 0, 0, 0x25, 0x80]
        );
        assert_eq!(encode_reply(ComPortReply::DataSize(8), false), vec![102, 8]);
        assert_eq!(encode_reply(ComPortReply::Parity(1), false), vec![103, 1]);
        assert_eq!(encode_reply(ComPortReply::StopSize(1), false), vec![104, 1]);
        assert_eq!(encode_reply(ComPortReply::Control(3), false), vec![105, 3]);
        assert_eq!(
            encode_reply(ComPortReply::LineStateMask(0), false),
            vec![110, 0]
        );
        assert_eq!(
            encode_reply(ComPortReply::ModemStateMask(255), false),
            vec![111, 255]
        );
        assert_eq!(
            encode_reply(ComPortReply::PurgeData(2), false),
            vec![112, 2]
        );
        assert_eq!(encode_signature(b"X"), vec![100, b'X']);
        assert_eq!(encode_notify(cmd::NOTIFY_MODEMSTATE, 0x31), vec![107, 0x31]);
        assert_eq!(encode_flow(true), vec![108]);
        assert_eq!(encode_flow(false), vec![109]);
    }
}
