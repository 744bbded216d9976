//! Scenarios: a device configuration, a simulated world and a list of steps with expectations
//! in virtual time, written as TOML (format: docs/scenarios.md) or built in Rust.
//!
//! [`parse_file`] / [`parse_str`] check a whole file before anything runs and report every
//! mistake with its line number; [`run`] plays the steps and reports the first expectation
//! that failed, when, and the trace events leading up to it.

pub mod command;
mod describe;
pub mod parse;
pub mod run;
mod steps;
mod toml_read;

pub use parse::{parse_file, parse_str, ScenarioError, ScenarioErrors};
pub use run::{run, run_observed, Failure, RunOptions, RunReport};

use crate::faults::FaultSpec;
use crate::network::{NetParams, PeerState};
use m2285_core::lines::InputLine;
use m2285_core::Config;
use std::net::{Ipv4Addr, SocketAddrV4};
use std::path::PathBuf;
use std::time::Duration;

/// A scenario, ready to run.
#[derive(Clone, Debug)]
pub struct Scenario {
    /// Its name (defaults to the file name).
    pub name: String,
    /// What it shows.
    pub description: String,
    /// The file it came from.
    pub path: Option<PathBuf>,
    /// The seed used unless the run overrides it.
    pub seed: u64,
    /// The device's configuration.
    pub config: Config,
    /// The serial-side program's baud rate (`None`: the device's).
    pub serial_baud: Option<u32>,
    /// Whether the program holds the port open from the start.
    pub serial_attached: bool,
    /// Link properties.
    pub net: NetParams,
    /// Client hosts: name and address (`None`: the next free one from 127.0.0.10).
    pub peers: Vec<(String, Option<Ipv4Addr>)>,
    /// Server hosts the device can dial: name and listening address.
    pub servers: Vec<(String, SocketAddrV4)>,
    /// Faults scheduled from power-on (their `start` counts from time zero).
    pub faults: Vec<FaultSpec>,
    /// The steps, in order.
    pub steps: Vec<Step>,
}

impl Scenario {
    /// An empty scenario around `config`: no peers, no steps, seed 0, a quiet LAN.
    pub fn new(name: &str, config: Config) -> Self {
        Scenario {
            name: name.to_owned(),
            description: String::new(),
            path: None,
            seed: 0,
            config,
            serial_baud: None,
            serial_attached: true,
            net: NetParams::default(),
            peers: Vec::new(),
            servers: Vec::new(),
            faults: Vec::new(),
            steps: Vec::new(),
        }
    }

    /// The most device time the steps can take: every wait, every expectation's whole
    /// deadline and every power-off, repeats multiplied. A run that passes takes at most this
    /// (expectations usually end early); a progress display measures the run against it.
    pub fn planned_duration(&self) -> Duration {
        planned(&self.steps)
    }

    /// Adds a client host with the next free address.
    pub fn with_peer(mut self, name: &str) -> Self {
        self.peers.push((name.to_owned(), None));
        self
    }

    /// Appends a step (line 0: built in Rust).
    pub fn then(mut self, kind: StepKind) -> Self {
        self.steps.push(Step { line: 0, kind });
        self
    }
}

/// One step and where it was written.
#[derive(Clone, Debug)]
pub struct Step {
    /// Line in the scenario file (0 when built in Rust).
    pub line: usize,
    /// What it does.
    pub kind: StepKind,
}

/// What a step does. Actions take no virtual time; `Wait` and expectations advance it.
#[derive(Clone, Debug)]
pub enum StepKind {
    /// The serial-side program writes bytes.
    SerialSend(Vec<u8>),
    /// The program opens (true) or closes (false) the serial port.
    SerialAttach(bool),
    /// The attached equipment sets one of the device's input lines.
    SetLine {
        /// DSR, CTS, DCD or RI.
        line: InputLine,
        /// High (asserted) or low.
        high: bool,
    },
    /// The attached equipment sends a break this long.
    SerialBreak(Duration),
    /// A peer connects to the device (`port`: the data port when `None`).
    Connect {
        /// The peer.
        peer: String,
        /// The device's TCP port.
        port: Option<u16>,
    },
    /// A peer sends bytes on its connection.
    PeerSend {
        /// The peer.
        peer: String,
        /// The bytes.
        data: Vec<u8>,
    },
    /// A peer sends a UDP datagram to the device (`port`: the data port when `None`).
    PeerSendUdp {
        /// The peer.
        peer: String,
        /// The device's UDP port.
        port: Option<u16>,
        /// The payload.
        data: Vec<u8>,
    },
    /// A peer closes its connection.
    PeerClose {
        /// The peer.
        peer: String,
    },
    /// Virtual time passes.
    Wait(Duration),
    /// A fault starts (after its `start`).
    Inject(FaultSpec),
    /// Fault instances with this id end.
    Clear(String),
    /// The device is switched off for this long, then on again.
    PowerCycle(Duration),
    /// Stage configuration edits (`KEY`, raw value), all or nothing.
    ConfigSet(Vec<(String, String)>),
    /// A store operation.
    Store(StoreStep),
    /// Something must (or must not) happen within a deadline.
    Expect(Expect),
    /// The inner steps, this many times.
    Repeat {
        /// How many times.
        times: u32,
        /// The steps.
        steps: Vec<Step>,
    },
}

/// The store operations a scenario can ask for (docs/management.md).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StoreStep {
    /// Apply the staged edits.
    Apply,
    /// Forget the staged edits.
    Discard,
    /// Save the running configuration to flash.
    Save,
    /// Reboot (after a save in progress).
    Reboot,
    /// Factory reset, saved, then a reboot.
    FactoryReset {
        /// Keep the network keys.
        keep_network: bool,
    },
}

/// An expectation with a deadline in virtual time.
#[derive(Clone, Debug)]
pub struct Expect {
    /// What must happen.
    pub condition: Condition,
    /// How long it may take (from the step's start); zero = already true now.
    pub within: Duration,
    /// Inverted: the condition must *not* become true within the deadline.
    pub not: bool,
}

/// Something a scenario can wait for.
#[derive(Clone, Debug)]
pub enum Condition {
    /// These bytes arrive on the serial-side program (after what earlier expectations
    /// consumed).
    Serial(Vec<u8>),
    /// These bytes arrive at a peer (over TCP or in UDP datagrams).
    Peer {
        /// The peer.
        peer: String,
        /// The bytes.
        data: Vec<u8>,
    },
    /// A peer's connection reaches a state.
    PeerState {
        /// The peer.
        peer: String,
        /// The state.
        state: PeerState,
    },
    /// The device reports a session open with the peer.
    SessionOpened {
        /// The peer.
        peer: String,
    },
    /// The device reports the peer's latest session closed, optionally for a reason
    /// containing this text (`keep-alive`, `inactivity_timeout`, `peer_closed`).
    SessionClosed {
        /// The peer.
        peer: String,
        /// Text the reason must contain.
        reason: Option<String>,
    },
    /// The saved (flash) or running configuration has these values (raw, as `--set` takes
    /// them).
    Config {
        /// The saved configuration (else the running one).
        saved: bool,
        /// (key, raw value) pairs.
        values: Vec<(String, String)>,
    },
    /// A port-1 statistics counter has this value.
    Stat {
        /// Counter name, e.g. `sessions_closed`.
        name: String,
        /// Its expected value.
        value: u64,
    },
}

/// The device time `steps` can take at most (see [`Scenario::planned_duration`]).
fn planned(steps: &[Step]) -> Duration {
    steps
        .iter()
        .map(|step| match &step.kind {
            StepKind::Wait(d) | StepKind::PowerCycle(d) => *d,
            StepKind::Expect(e) => e.within,
            StepKind::Repeat { times, steps } => planned(steps).saturating_mul(*times),
            _ => Duration::ZERO,
        })
        .fold(Duration::ZERO, Duration::saturating_add)
}
