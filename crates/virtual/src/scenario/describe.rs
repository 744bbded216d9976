//! Steps and conditions in words, for traces and failure reports.

use super::{Condition, StepKind};
use crate::units::{escape_bytes, format_duration};
use std::fmt;

/// Bytes quoted for humans, cut after 60 characters.
pub(crate) fn quote(bytes: &[u8]) -> String {
    let text = escape_bytes(bytes);
    if text.len() > 60 {
        let cut: String = text.chars().take(60).collect();
        format!("\"{cut}\"… ({} bytes)", bytes.len())
    } else {
        format!("\"{text}\"")
    }
}

impl fmt::Display for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Condition::Serial(data) => write!(f, "{} on serial", quote(data)),
            Condition::Peer { peer, data } => write!(f, "{} at peer {peer}", quote(data)),
            Condition::PeerState { peer, state } => write!(f, "peer {peer} {state}"),
            Condition::SessionOpened { peer } => write!(f, "a session with {peer} open"),
            Condition::SessionClosed { peer, reason } => {
                write!(f, "the session with {peer} closed")?;
                match reason {
                    Some(r) => write!(f, " ({r})"),
                    None => Ok(()),
                }
            }
            Condition::Stat { name, value } => write!(f, "counter {name} = {value}"),
            Condition::Config { saved, values } => write!(
                f,
                "{} configuration with {}",
                if *saved { "saved" } else { "running" },
                pairs(values)
            ),
        }
    }
}

impl fmt::Display for StepKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StepKind::SerialSend(data) => write!(f, "serial_send {}", quote(data)),
            StepKind::SerialAttach(a) => write!(f, "serial_attach {a}"),
            StepKind::SetLine { line, high } => {
                write!(
                    f,
                    "set_line {line:?} {}",
                    if *high { "high" } else { "low" }
                )
            }
            StepKind::SerialBreak(d) => write!(f, "serial_break {}", format_duration(*d)),
            StepKind::Connect { peer, port } => match port {
                Some(p) => write!(f, "connect {peer} to port {p}"),
                None => write!(f, "connect {peer}"),
            },
            StepKind::PeerSend { peer, data } => write!(f, "peer_send {peer} {}", quote(data)),
            StepKind::PeerSendUdp { peer, port, data } => match port {
                Some(p) => write!(f, "peer_send_udp {peer} to port {p} {}", quote(data)),
                None => write!(f, "peer_send_udp {peer} {}", quote(data)),
            },
            StepKind::PeerClose { peer } => write!(f, "peer_close {peer}"),
            StepKind::Wait(d) => write!(f, "wait {}", format_duration(*d)),
            StepKind::Inject(spec) => write!(f, "inject {} (id {})", spec.name, spec.id),
            StepKind::Clear(id) => write!(f, "clear {id}"),
            StepKind::PowerCycle(off) => write!(f, "power_cycle off {}", format_duration(*off)),
            StepKind::ConfigSet(values) => write!(f, "config_set {}", pairs(values)),
            StepKind::Store(step) => write!(f, "{}", step_name(*step)),
            StepKind::Expect(e) => write!(
                f,
                "expect {}{} within {}",
                if e.not { "no " } else { "" },
                e.condition,
                format_duration(e.within)
            ),
            StepKind::Repeat { times, steps } => {
                write!(f, "repeat {times} × {} steps", steps.len())
            }
        }
    }
}

fn pairs(values: &[(String, String)]) -> String {
    values
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn step_name(step: super::StoreStep) -> &'static str {
    match step {
        super::StoreStep::Apply => "apply",
        super::StoreStep::Discard => "discard",
        super::StoreStep::Save => "save",
        super::StoreStep::Reboot => "reboot",
        super::StoreStep::FactoryReset { keep_network: true } => "factory_reset keep_network",
        super::StoreStep::FactoryReset {
            keep_network: false,
        } => "factory_reset all",
    }
}
