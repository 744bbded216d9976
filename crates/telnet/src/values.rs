//! The RFC 2217 value spaces, typed, so the device decodes requests without magic numbers.
//!
//! Every request carries a raw `u8` (or `u32` for the baud rate) exactly as the client sent it;
//! `0` means "tell me the current value" for SET-BAUDRATE, SET-DATASIZE, SET-PARITY and
//! SET-STOPSIZE ([`QUERY`]). The types here convert those bytes both ways.

/// The value that turns SET-BAUDRATE/DATASIZE/PARITY/STOPSIZE into a query of the current value.
pub const QUERY: u8 = 0;

/// Smallest data size (bits per character) RFC 2217 defines.
pub const MIN_DATA_SIZE: u8 = 5;
/// Largest data size RFC 2217 defines.
pub const MAX_DATA_SIZE: u8 = 8;

/// Parity, as carried by SET-PARITY (1..=5).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Parity {
    /// No parity bit (1).
    None,
    /// Odd parity (2).
    Odd,
    /// Even parity (3).
    Even,
    /// Parity bit always 1 (4).
    Mark,
    /// Parity bit always 0 (5).
    Space,
}

impl Parity {
    /// Decodes a SET-PARITY value; `None` for [`QUERY`] and for values RFC 2217 does not define.
    pub const fn from_wire(value: u8) -> Option<Parity> {
        match value {
            1 => Some(Parity::None),
            2 => Some(Parity::Odd),
            3 => Some(Parity::Even),
            4 => Some(Parity::Mark),
            5 => Some(Parity::Space),
            _ => None,
        }
    }

    /// The SET-PARITY value for this parity.
    pub const fn wire(self) -> u8 {
        match self {
            Parity::None => 1,
            Parity::Odd => 2,
            Parity::Even => 3,
            Parity::Mark => 4,
            Parity::Space => 5,
        }
    }
}

/// Stop bits, as carried by SET-STOPSIZE (1, 2, 3 = 1.5).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StopSize {
    /// One stop bit (1).
    One,
    /// Two stop bits (2).
    Two,
    /// One and a half stop bits (3).
    OnePointFive,
}

impl StopSize {
    /// Decodes a SET-STOPSIZE value; `None` for [`QUERY`] and undefined values.
    pub const fn from_wire(value: u8) -> Option<StopSize> {
        match value {
            1 => Some(StopSize::One),
            2 => Some(StopSize::Two),
            3 => Some(StopSize::OnePointFive),
            _ => None,
        }
    }

    /// The SET-STOPSIZE value for this stop size.
    pub const fn wire(self) -> u8 {
        match self {
            StopSize::One => 1,
            StopSize::Two => 2,
            StopSize::OnePointFive => 3,
        }
    }
}

/// Which setting a SET-CONTROL value is about; the reply must carry a value of the same group.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ControlGroup {
    /// Outbound (or both-ways) flow control: values 0..=3, 17, 19.
    OutboundFlow,
    /// The BREAK state of the serial transmitter: 4..=6.
    Break,
    /// The DTR output: 7..=9.
    Dtr,
    /// The RTS output: 10..=12.
    Rts,
    /// Inbound flow control: 13..=16, 18.
    InboundFlow,
}

/// Every SET-CONTROL value RFC 2217 defines (0..=19).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Control {
    /// 0: what outbound/both flow control is in effect?
    QueryOutboundFlow,
    /// 1: no outbound/both flow control.
    OutboundFlowNone,
    /// 2: XON/XOFF outbound/both.
    OutboundFlowXonXoff,
    /// 3: hardware (RTS/CTS) outbound/both.
    OutboundFlowHardware,
    /// 4: is BREAK on?
    QueryBreak,
    /// 5: BREAK on.
    BreakOn,
    /// 6: BREAK off.
    BreakOff,
    /// 7: is DTR on?
    QueryDtr,
    /// 8: DTR on.
    DtrOn,
    /// 9: DTR off.
    DtrOff,
    /// 10: is RTS on?
    QueryRts,
    /// 11: RTS on.
    RtsOn,
    /// 12: RTS off.
    RtsOff,
    /// 13: what inbound flow control is in effect?
    QueryInboundFlow,
    /// 14: no inbound flow control.
    InboundFlowNone,
    /// 15: XON/XOFF inbound.
    InboundFlowXonXoff,
    /// 16: hardware inbound.
    InboundFlowHardware,
    /// 17: DCD flow control, outbound/both.
    OutboundFlowDcd,
    /// 18: DTR flow control, inbound.
    InboundFlowDtr,
    /// 19: DSR flow control, outbound/both.
    OutboundFlowDsr,
}

impl Control {
    /// All values in wire order (`ALL[v]` has wire value `v`).
    pub const ALL: [Control; 20] = [
        Control::QueryOutboundFlow,
        Control::OutboundFlowNone,
        Control::OutboundFlowXonXoff,
        Control::OutboundFlowHardware,
        Control::QueryBreak,
        Control::BreakOn,
        Control::BreakOff,
        Control::QueryDtr,
        Control::DtrOn,
        Control::DtrOff,
        Control::QueryRts,
        Control::RtsOn,
        Control::RtsOff,
        Control::QueryInboundFlow,
        Control::InboundFlowNone,
        Control::InboundFlowXonXoff,
        Control::InboundFlowHardware,
        Control::OutboundFlowDcd,
        Control::InboundFlowDtr,
        Control::OutboundFlowDsr,
    ];

    /// Decodes a SET-CONTROL value; `None` for values RFC 2217 does not define (20..=255).
    pub fn from_wire(value: u8) -> Option<Control> {
        Control::ALL.get(usize::from(value)).copied()
    }

    /// The SET-CONTROL value.
    pub const fn wire(self) -> u8 {
        self as u8
    }

    /// Which setting this value reads or changes.
    pub const fn group(self) -> ControlGroup {
        use Control::*;
        match self {
            QueryOutboundFlow | OutboundFlowNone | OutboundFlowXonXoff | OutboundFlowHardware
            | OutboundFlowDcd | OutboundFlowDsr => ControlGroup::OutboundFlow,
            QueryBreak | BreakOn | BreakOff => ControlGroup::Break,
            QueryDtr | DtrOn | DtrOff => ControlGroup::Dtr,
            QueryRts | RtsOn | RtsOff => ControlGroup::Rts,
            QueryInboundFlow | InboundFlowNone | InboundFlowXonXoff | InboundFlowHardware
            | InboundFlowDtr => ControlGroup::InboundFlow,
        }
    }

    /// Whether this value only asks for the current state (0, 4, 7, 10, 13); the reply then
    /// carries the state in effect, e.g. [`Control::DtrOn`] or [`Control::DtrOff`] for
    /// [`Control::QueryDtr`].
    pub const fn is_query(self) -> bool {
        matches!(
            self,
            Control::QueryOutboundFlow
                | Control::QueryBreak
                | Control::QueryDtr
                | Control::QueryRts
                | Control::QueryInboundFlow
        )
    }

    /// The reply value for an on/off group (BREAK, DTR, RTS) given the state in effect; `None`
    /// for the flow-control groups, whose reply names the mode instead.
    pub const fn on_off(group: ControlGroup, on: bool) -> Option<Control> {
        match (group, on) {
            (ControlGroup::Break, true) => Some(Control::BreakOn),
            (ControlGroup::Break, false) => Some(Control::BreakOff),
            (ControlGroup::Dtr, true) => Some(Control::DtrOn),
            (ControlGroup::Dtr, false) => Some(Control::DtrOff),
            (ControlGroup::Rts, true) => Some(Control::RtsOn),
            (ControlGroup::Rts, false) => Some(Control::RtsOff),
            _ => None,
        }
    }
}

/// What PURGE-DATA asks the access server to discard.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Purge {
    /// 1: the receive buffer (serial → network data not yet sent).
    Receive,
    /// 2: the transmit buffer (network → serial data not yet sent out of the UART).
    Transmit,
    /// 3: both buffers.
    Both,
}

impl Purge {
    /// Decodes a PURGE-DATA value; `None` for undefined values.
    pub const fn from_wire(value: u8) -> Option<Purge> {
        match value {
            1 => Some(Purge::Receive),
            2 => Some(Purge::Transmit),
            3 => Some(Purge::Both),
            _ => None,
        }
    }

    /// The PURGE-DATA value.
    pub const fn wire(self) -> u8 {
        match self {
            Purge::Receive => 1,
            Purge::Transmit => 2,
            Purge::Both => 3,
        }
    }
}

/// NOTIFY-MODEMSTATE bits (RFC 2217; the 16550 modem status register layout).
pub mod modem_state {
    /// Receive line signal detect (DCD, carrier detect).
    pub const CD: u8 = 0x80;
    /// Ring indicator.
    pub const RI: u8 = 0x40;
    /// Data set ready.
    pub const DSR: u8 = 0x20;
    /// Clear to send.
    pub const CTS: u8 = 0x10;
    /// CD changed since the last notification.
    pub const DELTA_CD: u8 = 0x08;
    /// RI went from on to off (trailing-edge ring detector).
    pub const TRAILING_EDGE_RI: u8 = 0x04;
    /// DSR changed since the last notification.
    pub const DELTA_DSR: u8 = 0x02;
    /// CTS changed since the last notification.
    pub const DELTA_CTS: u8 = 0x01;
    /// The four line levels.
    pub const LEVELS: u8 = 0xF0;
    /// The four change bits.
    pub const DELTAS: u8 = 0x0F;
    /// RFC 2217 default SET-MODEMSTATE-MASK: report everything.
    pub const DEFAULT_MASK: u8 = 0xFF;
}

/// NOTIFY-LINESTATE bits (RFC 2217; the 16550 line status register layout).
pub mod line_state {
    /// Time-out error.
    pub const TIMEOUT: u8 = 0x80;
    /// Transfer shift register empty.
    pub const SHIFT_REGISTER_EMPTY: u8 = 0x40;
    /// Transfer holding register empty.
    pub const HOLDING_REGISTER_EMPTY: u8 = 0x20;
    /// Break detected on the serial input.
    pub const BREAK_DETECT: u8 = 0x10;
    /// Framing error.
    pub const FRAMING_ERROR: u8 = 0x08;
    /// Parity error.
    pub const PARITY_ERROR: u8 = 0x04;
    /// Overrun error.
    pub const OVERRUN_ERROR: u8 = 0x02;
    /// Data ready.
    pub const DATA_READY: u8 = 0x01;
    /// The bits that report an occurrence (sent on every report that carries them).
    pub const EVENTS: u8 = TIMEOUT | BREAK_DETECT | FRAMING_ERROR | PARITY_ERROR | OVERRUN_ERROR;
    /// The bits that report a level (sent when they change).
    pub const LEVELS: u8 = SHIFT_REGISTER_EMPTY | HOLDING_REGISTER_EMPTY | DATA_READY;
    /// RFC 2217 default SET-LINESTATE-MASK: report nothing.
    pub const DEFAULT_MASK: u8 = 0x00;
}

/// The baud-rate codes Cisco IOS sends in a one-byte SET-BAUDRATE (the variant gensio detects
/// automatically): `(code, baud)`.
pub const CISCO_BAUD_CODES: [(u8, u32); 11] = [
    (3, 300),
    (4, 600),
    (5, 1200),
    (6, 2400),
    (7, 4800),
    (8, 9600),
    (10, 19200),
    (12, 38400),
    (13, 57600),
    (14, 115200),
    (15, 230400),
];

/// The baud rate for a Cisco one-byte code; `None` for unknown codes.
pub fn cisco_code_to_baud(code: u8) -> Option<u32> {
    CISCO_BAUD_CODES
        .iter()
        .find(|(c, _)| *c == code)
        .map(|&(_, baud)| baud)
}

/// The Cisco one-byte code for a baud rate; `None` when Cisco has no code for it.
pub fn baud_to_cisco_code(baud: u32) -> Option<u8> {
    CISCO_BAUD_CODES
        .iter()
        .find(|(_, b)| *b == baud)
        .map(|&(code, _)| code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_round_trips_and_groups() {
        for v in 0..=255u8 {
            match Control::from_wire(v) {
                Some(c) => assert_eq!(c.wire(), v),
                None => assert!(v >= 20),
            }
        }
        assert_eq!(Control::from_wire(17), Some(Control::OutboundFlowDcd));
        assert_eq!(Control::from_wire(19), Some(Control::OutboundFlowDsr));
        assert_eq!(Control::OutboundFlowDsr.group(), ControlGroup::OutboundFlow);
        assert_eq!(Control::InboundFlowDtr.group(), ControlGroup::InboundFlow);
        let queries: Vec<u8> = Control::ALL
            .iter()
            .filter(|c| c.is_query())
            .map(|c| c.wire())
            .collect();
        assert_eq!(queries, vec![0, 4, 7, 10, 13]);
        assert_eq!(
            Control::on_off(ControlGroup::Rts, false),
            Some(Control::RtsOff)
        );
        assert_eq!(Control::on_off(ControlGroup::OutboundFlow, true), None);
    }

    #[test]
    fn parity_stop_purge_round_trip() {
        for v in 1..=5 {
            assert_eq!(Parity::from_wire(v).map(Parity::wire), Some(v));
        }
        assert_eq!(Parity::from_wire(QUERY), None);
        assert_eq!(Parity::from_wire(6), None);
        for v in 1..=3 {
            assert_eq!(StopSize::from_wire(v).map(StopSize::wire), Some(v));
            assert_eq!(Purge::from_wire(v).map(Purge::wire), Some(v));
        }
        assert_eq!(StopSize::from_wire(3), Some(StopSize::OnePointFive));
        assert_eq!(Purge::from_wire(4), None);
    }

    #[test]
    fn cisco_codes() {
        assert_eq!(cisco_code_to_baud(14), Some(115_200));
        assert_eq!(baud_to_cisco_code(9600), Some(8));
        assert_eq!(cisco_code_to_baud(9), None);
        assert_eq!(baud_to_cisco_code(3840), None);
    }
}
