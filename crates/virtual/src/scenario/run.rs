//! Playing a scenario: build the world, run the steps in virtual time, stop at the first
//! expectation that fails and say when, why and what happened just before.

use super::describe::quote;
use super::{Condition, Expect, Scenario, Step, StepKind, StoreStep};
use crate::sim::{SimConfig, SimError, Simulation};
use crate::trace::{TraceEvent, TraceOptions, TraceOutput};
use crate::units::format_duration;
use m2285_core::store::StoreError;
use m2285_time::Instant;
use std::fmt;
use std::time::Duration;

/// How to run a scenario.
#[derive(Clone, Copy, Debug, Default)]
pub struct RunOptions {
    /// Overrides the scenario's seed.
    pub seed: Option<u64>,
    /// Which traces to write.
    pub trace: TraceOptions,
}

/// The first expectation (or action) that failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    /// Its line in the scenario file (0 for steps built in Rust).
    pub line: usize,
    /// The step, in words.
    pub step: String,
    /// What went wrong.
    pub message: String,
    /// Virtual time of the failure.
    pub at: Instant,
    /// The last trace events before it, as JSON lines.
    pub recent: Vec<String>,
}

/// The outcome of a run.
#[derive(Clone, Debug)]
pub struct RunReport {
    /// The scenario's name.
    pub name: String,
    /// The seed used.
    pub seed: u64,
    /// `None` when every step passed.
    pub failure: Option<Failure>,
    /// Virtual time at the end.
    pub end: Instant,
    /// Steps of the scenario executed (a repeat's inner steps count each time).
    pub steps_run: u64,
    /// Simulation steps (events and device timer runs).
    pub sim_steps: u64,
    /// Trace events recorded.
    pub events: u64,
    /// The traces asked for.
    pub traces: TraceOutput,
}

impl RunReport {
    /// True when every step passed.
    pub fn passed(&self) -> bool {
        self.failure.is_none()
    }
}

impl fmt::Display for RunReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.failure {
            None => write!(
                f,
                "PASS {} (seed {}): {} steps, {} of device time, {} events",
                self.name, self.seed, self.steps_run, self.end, self.events
            ),
            Some(fail) => {
                writeln!(
                    f,
                    "FAIL {} (seed {}) at line {}, device time {}: {}",
                    self.name, self.seed, fail.line, fail.at, fail.step
                )?;
                writeln!(f, "  {}", fail.message)?;
                writeln!(f, "  last {} events:", fail.recent.len())?;
                for line in &fail.recent {
                    writeln!(f, "    {line}")?;
                }
                Ok(())
            }
        }
    }
}

/// Runs `scenario` to its end or its first failure.
pub fn run(scenario: &Scenario, options: &RunOptions) -> RunReport {
    run_observed(scenario, options, &mut |_| {})
}

/// Device time a long wait advances between two calls of the observer of [`run_observed`].
/// Running a wait in slices changes nothing: every event up to each slice's end is handled in
/// order, exactly as in one call.
pub const OBSERVE_EVERY: Duration = Duration::from_secs(60);

/// [`run`], calling `observe` with the device time after every step and every
/// [`OBSERVE_EVERY`] of device time inside a wait, so a caller can show how far a long run
/// is (the run itself never reads a clock or writes anything).
pub fn run_observed(
    scenario: &Scenario,
    options: &RunOptions,
    observe: &mut dyn FnMut(Instant),
) -> RunReport {
    let seed = options.seed.unwrap_or(scenario.seed);
    let mut sim = Simulation::new(SimConfig {
        seed,
        device: scenario.config.clone(),
        serial_baud: scenario.serial_baud,
        serial_attached: scenario.serial_attached,
        net: scenario.net,
        trace: options.trace,
    });
    let mut runner = Runner {
        steps_run: 0,
        observe,
    };
    let result = runner.setup(&mut sim, scenario).and_then(|()| {
        for spec in &scenario.faults {
            sim.inject(spec.clone());
        }
        runner.steps(&mut sim, &scenario.steps)
    });
    let failure = result.err().map(|(line, step, message)| Failure {
        line,
        step,
        message,
        at: sim.now(),
        recent: sim.trace().recent_lines(),
    });
    RunReport {
        name: scenario.name.clone(),
        seed,
        failure,
        end: sim.now(),
        steps_run: runner.steps_run,
        sim_steps: sim.steps(),
        events: sim.trace().event_count(),
        traces: sim.finish(),
    }
}

/// A failure before it gets its time and trace: line, step, message.
type Fail = (usize, String, String);

struct Runner<'o> {
    steps_run: u64,
    observe: &'o mut dyn FnMut(Instant),
}

impl Runner<'_> {
    fn setup(&mut self, sim: &mut Simulation, s: &Scenario) -> Result<(), Fail> {
        let fail = |e: String| (0, "setup".to_owned(), e);
        for (name, ip) in &s.peers {
            sim.add_peer(name, *ip).map_err(fail)?;
        }
        for (name, addr) in &s.servers {
            sim.add_server(name, *addr).map_err(fail)?;
        }
        Ok(())
    }

    fn steps(&mut self, sim: &mut Simulation, steps: &[Step]) -> Result<(), Fail> {
        for step in steps {
            self.step(sim, step)?;
        }
        Ok(())
    }

    fn step(&mut self, sim: &mut Simulation, step: &Step) -> Result<(), Fail> {
        self.steps_run += 1;
        let what = step.kind.to_string();
        if !matches!(step.kind, StepKind::Repeat { .. }) {
            sim.note(TraceEvent::Step {
                line: step.line,
                step: what.clone(),
            });
        }
        let fail = |message: String| (step.line, what.clone(), message);
        let sim_fail = |e: SimError| (step.line, what.clone(), e.message);
        match &step.kind {
            StepKind::SerialSend(data) => sim.serial_write(data),
            StepKind::SerialAttach(a) => sim.set_serial_attached(*a),
            StepKind::SetLine { line, high } => sim.set_input_line(*line, *high),
            StepKind::SerialBreak(d) => {
                sim.send_break(u32::try_from(d.as_millis()).unwrap_or(u32::MAX));
            }
            StepKind::Connect { peer, port } => match port {
                Some(p) => sim.peer_connect_port(peer, *p),
                None => sim.peer_connect(peer),
            }
            .map_err(fail)?,
            StepKind::PeerSend { peer, data } => sim.peer_send(peer, data).map_err(fail)?,
            StepKind::PeerSendUdp { peer, port, data } => {
                sim.peer_send_udp(peer, *port, data).map_err(fail)?;
            }
            StepKind::PeerClose { peer } => sim.peer_close(peer).map_err(fail)?,
            StepKind::Wait(d) => {
                let end = sim.now() + *d;
                loop {
                    let slice = OBSERVE_EVERY.min(end.saturating_since(sim.now()));
                    sim.run_for(slice).map_err(sim_fail)?;
                    if sim.now() >= end {
                        break;
                    }
                    (self.observe)(sim.now());
                }
            }
            StepKind::Inject(spec) => {
                sim.inject(spec.clone());
            }
            StepKind::Clear(id) => {
                if !sim.clear(id) {
                    return Err(fail(format!(
                        "no fault with id {id:?} is running or pending"
                    )));
                }
            }
            StepKind::PowerCycle(off) => sim.power_cycle(*off),
            StepKind::ConfigSet(values) => {
                let sets: Vec<String> = values.iter().map(|(k, v)| format!("{k}={v}")).collect();
                sim.stage(&sets).map_err(|e| fail(store_error(&e)))?;
            }
            StepKind::Store(op) => store_step(sim, *op).map_err(|e| fail(store_error(&e)))?,
            StepKind::Expect(e) => expect(sim, e, step.line).map_err(fail)?,
            StepKind::Repeat { times, steps } => {
                for _ in 0..*times {
                    self.steps(sim, steps)?;
                }
            }
        }
        (self.observe)(sim.now());
        Ok(())
    }
}

fn holds(sim: &Simulation, c: &Condition) -> bool {
    match c {
        Condition::Serial(data) => sim.serial_find(data).is_some(),
        Condition::Peer { peer, data } => sim.peer_find(peer, data).is_some(),
        Condition::PeerState { peer, state } => sim.peer(peer).is_some_and(|p| p.state == *state),
        Condition::SessionOpened { peer } => {
            sim.session_of(peer).is_some_and(|s| s.closed.is_none())
        }
        Condition::SessionClosed { peer, reason } => sim
            .session_of(peer)
            .and_then(|s| s.closed.as_ref())
            .is_some_and(|(_, why)| reason.as_ref().is_none_or(|r| why.contains(r.as_str()))),
        Condition::Stat { name, value } => sim.stat(name) == Some(*value),
        Condition::Config { saved, values } => config_mismatch(sim, *saved, values).is_none(),
    }
}

fn store_step(sim: &mut Simulation, op: StoreStep) -> Result<(), StoreError> {
    match op {
        StoreStep::Apply => sim.apply().map(|_| ()),
        StoreStep::Discard => sim.discard().map(|_| ()),
        StoreStep::Save => sim.save(),
        StoreStep::Reboot => sim.reboot(),
        StoreStep::FactoryReset { keep_network } => sim.factory_reset(keep_network),
    }
}

fn store_error(e: &StoreError) -> String {
    match e {
        StoreError::Down => "the device is off or booting".to_owned(),
        StoreError::Invalid(errors) => errors
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("; "),
    }
}

/// The first key whose value differs, with what is there instead; `None` when all match.
fn config_mismatch(sim: &Simulation, saved: bool, values: &[(String, String)]) -> Option<String> {
    let config = if saved {
        match sim.saved_in_flash() {
            Some(c) => c,
            None => return Some("flash holds no saved configuration".to_owned()),
        }
    } else {
        sim.config().clone()
    };
    for (key, raw) in values {
        let want = config.with_set(key, raw).ok()?.get(key);
        let have = config.get(key);
        if want != have {
            let shown = have.map_or_else(|| "nothing".to_owned(), |v| v.to_string());
            return Some(format!("{key} is {shown}"));
        }
    }
    None
}

fn expect(sim: &mut Simulation, e: &Expect, line: usize) -> Result<(), String> {
    let start = sim.now();
    let deadline = start + e.within;
    let met = sim
        .run_until(deadline, |s| holds(s, &e.condition))
        .map_err(|err| err.message)?;
    let ok = met != e.not;
    sim.note(TraceEvent::Expect {
        line,
        ok,
        what: format!("{}{}", if e.not { "no " } else { "" }, e.condition),
    });
    if e.not {
        return if met {
            Err(format!(
                "expected no {} within {}, but it happened after {}",
                e.condition,
                format_duration(e.within),
                format_duration(sim.now() - start)
            ))
        } else {
            Ok(())
        };
    }
    if !met {
        return Err(format!(
            "expected {} within {}; {}",
            e.condition,
            format_duration(e.within),
            observed(sim, &e.condition)
        ));
    }
    match &e.condition {
        Condition::Serial(data) => {
            if let Some(end) = sim.serial_find(data) {
                sim.serial_consume(end);
            }
        }
        Condition::Peer { peer, data } => {
            if let Some(end) = sim.peer_find(peer, data) {
                sim.peer_consume(peer, end);
            }
        }
        _ => {}
    }
    Ok(())
}

/// What was there instead, for the failure message.
fn observed(sim: &Simulation, c: &Condition) -> String {
    match c {
        Condition::Serial(_) => {
            let all = sim.serial_received();
            let got = &all[all.len().min(sim.serial_cursor())..];
            format!("serial received {} since the last match", quote(got))
        }
        Condition::Peer { peer, .. } => match sim.peer(peer) {
            Some(p) => format!(
                "{peer} received {} since the last match",
                quote(&p.received[p.cursor.min(p.received.len())..])
            ),
            None => format!("there is no peer {peer}"),
        },
        Condition::PeerState { peer, .. } => match sim.peer(peer) {
            Some(p) => format!("{peer} is {}", p.state),
            None => format!("there is no peer {peer}"),
        },
        Condition::SessionOpened { peer } | Condition::SessionClosed { peer, .. } => {
            match sim.session_of(peer) {
                None => format!("the device never reported a session with {peer}"),
                Some(s) => match &s.closed {
                    None => format!("its session opened at {} is still open", s.opened),
                    Some((t, why)) => format!("its last session closed at {t} ({why})"),
                },
            }
        }
        Condition::Config { saved, values } => {
            config_mismatch(sim, *saved, values).unwrap_or_else(|| "it matches now".to_owned())
        }
        Condition::Stat { name, .. } => match sim.stat(name) {
            Some(v) => format!("{name} is {v}"),
            None => "the device is off".to_owned(),
        },
    }
}
