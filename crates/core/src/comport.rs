//! What RFC 2217 COM-port requests do to the device: they change the real (simulated) UART and
//! lines, and the reply always carries the value in effect afterwards.

use crate::config::FlowControl;
use crate::lines::Lines;
use crate::serial::SerialHw;
use m2285_telnet::{
    ComPortReply, ComPortRequest, Control, ControlGroup, Parity, Purge, StopSize, QUERY,
};
use m2285_time::Instant;
use m2285_uart::{Parity as UartParity, StopBits};

/// Lowest and highest baud rate a client may set.
pub const BAUD_RANGE: std::ops::RangeInclusive<u32> = 50..=921_600;

/// Side effects of a request beyond the UART settings.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Applied {
    /// Drop what waits to go to the network (PURGE receive).
    pub purge_rx: bool,
    /// Drop what waits to go to the serial port (PURGE transmit).
    pub purge_tx: bool,
    /// A break condition started.
    pub break_started: bool,
    /// DTR or RTS changed.
    pub outputs_changed: bool,
}

/// Carries out `req` on the hardware and returns the reply (value in effect) and side effects.
pub fn apply(
    req: ComPortRequest,
    hw: &mut SerialHw,
    lines: &mut Lines,
    now: Instant,
) -> (ComPortReply, Applied) {
    let mut applied = Applied::default();
    let mut params = hw.tx.params();
    let reply = match req {
        ComPortRequest::SetBaudRate(b) => {
            if b != 0 && BAUD_RANGE.contains(&b) {
                params.baud = b;
            }
            hw.set_line(params, now);
            ComPortReply::BaudRate(params.baud)
        }
        ComPortRequest::SetDataSize(d) => {
            if (5..=8).contains(&d) {
                params.data_bits = d;
            }
            hw.set_line(params, now);
            ComPortReply::DataSize(params.data_bits)
        }
        ComPortRequest::SetParity(p) => {
            if let Some(p) = Parity::from_wire(p).filter(|_| p != QUERY) {
                params.parity = match p {
                    Parity::None => UartParity::None,
                    Parity::Odd => UartParity::Odd,
                    Parity::Even => UartParity::Even,
                    Parity::Mark => UartParity::Mark,
                    Parity::Space => UartParity::Space,
                };
            }
            hw.set_line(params, now);
            ComPortReply::Parity(parity_wire(params.parity))
        }
        ComPortRequest::SetStopSize(s) => {
            match StopSize::from_wire(s) {
                Some(StopSize::One) => params.stop_bits = StopBits::One,
                Some(StopSize::Two) => params.stop_bits = StopBits::Two,
                _ => {} // query, or 1.5 which this UART does not do: answer what is in effect
            }
            hw.set_line(params, now);
            ComPortReply::StopSize(match params.stop_bits {
                StopBits::One => StopSize::One.wire(),
                StopBits::Two => StopSize::Two.wire(),
            })
        }
        ComPortRequest::SetControl(c) => ComPortReply::Control(control(c, hw, lines, &mut applied)),
        ComPortRequest::SetLineStateMask(m) => ComPortReply::LineStateMask(m),
        ComPortRequest::SetModemStateMask(m) => ComPortReply::ModemStateMask(m),
        ComPortRequest::PurgeData(p) => {
            match Purge::from_wire(p) {
                Some(Purge::Receive) => applied.purge_rx = true,
                Some(Purge::Transmit) => applied.purge_tx = true,
                Some(Purge::Both) => {
                    applied.purge_rx = true;
                    applied.purge_tx = true;
                }
                None => {}
            }
            ComPortReply::PurgeData(p)
        }
        // Flow-control suspend/resume from the client is acknowledged by the Telnet layer and
        // needs no reply.
        ComPortRequest::FlowControlSuspend | ComPortRequest::FlowControlResume => {
            return (ComPortReply::PurgeData(0), Applied::default());
        }
    };
    (reply, applied)
}

/// True when `req` expects a reply from the device.
pub fn needs_reply(req: &ComPortRequest) -> bool {
    !matches!(
        req,
        ComPortRequest::FlowControlSuspend | ComPortRequest::FlowControlResume
    )
}

fn control(value: u8, hw: &mut SerialHw, lines: &mut Lines, applied: &mut Applied) -> u8 {
    let Some(c) = Control::from_wire(value) else {
        return value;
    };
    let before = (lines.dtr, lines.rts);
    match c {
        Control::OutboundFlowNone | Control::InboundFlowNone => hw.flow = FlowControl::None,
        Control::OutboundFlowXonXoff | Control::InboundFlowXonXoff => {
            hw.flow = FlowControl::XonXoff
        }
        Control::OutboundFlowHardware | Control::InboundFlowHardware => {
            hw.flow = FlowControl::RtsCts
        }
        Control::BreakOn => {
            applied.break_started = !lines.break_tx;
            lines.break_tx = true;
        }
        Control::BreakOff => lines.break_tx = false,
        Control::DtrOn => lines.dtr = true,
        Control::DtrOff => lines.dtr = false,
        Control::RtsOn => lines.rts = true,
        Control::RtsOff => lines.rts = false,
        _ => {}
    }
    applied.outputs_changed = before != (lines.dtr, lines.rts);
    let flow = |inbound: bool| match hw.flow {
        FlowControl::None => {
            if inbound {
                Control::InboundFlowNone
            } else {
                Control::OutboundFlowNone
            }
        }
        FlowControl::XonXoff => {
            if inbound {
                Control::InboundFlowXonXoff
            } else {
                Control::OutboundFlowXonXoff
            }
        }
        FlowControl::RtsCts => {
            if inbound {
                Control::InboundFlowHardware
            } else {
                Control::OutboundFlowHardware
            }
        }
    };
    let state = match c.group() {
        ControlGroup::OutboundFlow => flow(false),
        ControlGroup::InboundFlow => flow(true),
        ControlGroup::Break => {
            if lines.break_tx {
                Control::BreakOn
            } else {
                Control::BreakOff
            }
        }
        ControlGroup::Dtr => {
            if lines.dtr {
                Control::DtrOn
            } else {
                Control::DtrOff
            }
        }
        ControlGroup::Rts => {
            if lines.rts {
                Control::RtsOn
            } else {
                Control::RtsOff
            }
        }
    };
    // Values outside the groups this UART has (DCD/DSR flow) are echoed: accepted, no effect.
    if matches!(
        c,
        Control::OutboundFlowDcd | Control::InboundFlowDtr | Control::OutboundFlowDsr
    ) {
        return value;
    }
    state.wire()
}

fn parity_wire(p: UartParity) -> u8 {
    match p {
        UartParity::None => Parity::None.wire(),
        UartParity::Odd => Parity::Odd.wire(),
        UartParity::Even => Parity::Even.wire(),
        UartParity::Mark => Parity::Mark.wire(),
        UartParity::Space => Parity::Space.wire(),
    }
}
