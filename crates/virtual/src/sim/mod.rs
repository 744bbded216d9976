//! The virtual-time runtime: one [`m2285_core::Device`], the simulated network and serial
//! peer around it, the faults at their boundaries, and an event queue instead of a clock.
//!
//! Time only moves when [`Simulation::run_until`] jumps to the next thing that happens: the
//! earliest of the scheduler's events (packet arrivals, TCP timers, fault starts and ends,
//! power-on) and the device's own [`m2285_core::Device::next_deadline`]. Nothing reads the
//! wall clock, nothing runs on another thread, and every random choice comes from the run's
//! one seed, so a run is a pure function of its inputs.
//!
//! Rust tests drive it directly (see `tests/api.rs`); scenarios drive it through
//! [`crate::scenario::run`].

mod control;
mod pump;
mod store;

pub use control::SIM_EPOCH_UNIX;

use crate::faults::{FaultSet, FaultSpec};
use crate::network::{Ctx, HostKind, NetParams, NetWake, PeerApp, SimNet};
use crate::scheduler::Scheduler;
use crate::serial_peer::{self, SerialPeer};
use crate::trace::{Trace, TraceEvent, TraceOptions, TraceOutput};
use m2285_core::io::ListenerId;
use m2285_core::lines::InputLine;
use m2285_core::{Config, ConnId, Device, Event, LineEvent};
use m2285_time::Instant;
use std::fmt;
use std::net::{Ipv4Addr, SocketAddrV4};
use std::time::Duration;

/// Everything a simulation starts from.
#[derive(Clone, Debug)]
pub struct SimConfig {
    /// The one seed.
    pub seed: u64,
    /// The configuration the device starts with; a power cycle boots it again until a save
    /// writes the simulated flash (docs/management.md).
    pub device: Config,
    /// The serial-side program's baud rate; `None` = the device's.
    pub serial_baud: Option<u32>,
    /// Whether the program holds the serial port open from the start.
    pub serial_attached: bool,
    /// Link properties.
    pub net: NetParams,
    /// Which traces to write.
    pub trace: TraceOptions,
}

impl SimConfig {
    /// Factory configuration, seed 0, a quiet LAN, the program attached at the device's rate.
    pub fn new(device: Config) -> Self {
        SimConfig {
            seed: 0,
            device,
            serial_baud: None,
            serial_attached: true,
            net: NetParams::default(),
            trace: TraceOptions::default(),
        }
    }
}

/// Events of the simulation's queue.
#[derive(Debug)]
pub(crate) enum SimEvent {
    /// Something the network asked for.
    Net(NetWake),
    /// Fault instance `n` starts.
    FaultOn(usize),
    /// Fault instance `n` ends.
    FaultOff(usize),
    /// The device is switched on again.
    PowerOn,
    /// The flash step started in generation `n` (power-on period) completes.
    FlashDone(u64),
}

/// A session as the device reported it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionRecord {
    /// The device's connection id.
    pub conn: ConnId,
    /// The simulated host at the other end.
    pub peer: Option<String>,
    /// When it opened.
    pub opened: Instant,
    /// When and why it closed.
    pub closed: Option<(Instant, String)>,
}

/// The simulation cannot go on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SimError {
    /// When.
    pub at: Instant,
    /// What went wrong.
    pub message: String,
}

impl fmt::Display for SimError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "at {}: {}", self.at, self.message)
    }
}

impl std::error::Error for SimError {}

/// How many steps may happen at one instant before the run is declared stuck.
const MAX_STEPS_PER_INSTANT: u64 = 1_000_000;

/// The device in its simulated world.
pub struct Simulation {
    now: Instant,
    seed: u64,
    config: Config,
    device: Option<Device>,
    sched: Scheduler<SimEvent>,
    net: SimNet,
    serial: SerialPeer,
    faults: FaultSet,
    trace: Trace,
    sessions: Vec<SessionRecord>,
    steps_at_now: u64,
    steps: u64,
    boots: u64,
    /// The device's certificate and key, installed at every boot ([`Simulation::install_tls`]).
    tls: Option<m2285_core::TlsMaterial>,
    /// State files the device kept (`Action::WriteState`): its non-volatile memory besides the
    /// configuration, kept across power cycles like the real-time runtime's state directory.
    state_files: std::collections::BTreeMap<&'static str, Vec<u8>>,
    /// The device's flash (saved configuration).
    flash: crate::flash::Flash,
    /// Power-on periods so far; a flash step's completion counts only in its own.
    flash_generation: u64,
    /// Decides which not-yet-durable renames survive a power cut.
    power_rng: crate::rng::SimRng,
    /// Boots the device counted before its last power-off.
    device_boots: u64,
}

impl Simulation {
    /// Powers the device on at time zero in a world with no peers yet.
    pub fn new(cfg: SimConfig) -> Self {
        let baud = cfg.serial_baud.unwrap_or(cfg.device.port1.serial.baud);
        let mut sim = Simulation {
            now: Instant::ZERO,
            seed: cfg.seed,
            net: SimNet::new(cfg.net, cfg.seed),
            serial: SerialPeer::new(baud, cfg.serial_attached),
            faults: FaultSet::new(cfg.seed),
            trace: Trace::new(cfg.trace),
            sessions: Vec::new(),
            device: None,
            sched: Scheduler::new(),
            steps_at_now: 0,
            steps: 0,
            boots: 0,
            tls: None,
            state_files: std::collections::BTreeMap::new(),
            flash: crate::flash::Flash::new(cfg.device.clone(), true),
            flash_generation: 0,
            power_rng: crate::rng::SimRng::new(cfg.seed, "flash.power_cut"),
            device_boots: 0,
            config: cfg.device,
        };
        sim.power_on();
        sim
    }

    /// The run's seed.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The current virtual time.
    pub fn now(&self) -> Instant {
        self.now
    }

    /// The device, unless it is switched off.
    pub fn device(&self) -> Option<&Device> {
        self.device.as_ref()
    }

    /// The device's running configuration (while it is off: the one it started the run with).
    pub fn config(&self) -> &Config {
        self.device.as_ref().map_or(&self.config, Device::config)
    }

    /// A statistics counter of port 1 by its name (`sessions_closed`, `serial_rx_bytes`, ...);
    /// `None` when the device is off or has no such counter.
    pub fn stat(&self, name: &str) -> Option<u64> {
        let stats = serde_json::to_value(self.device.as_ref()?.stats()).ok()?;
        stats.get(name)?.as_u64()
    }

    /// Adds a TCP client host called `name` at `ip` (default: 127.0.0.10 onwards: the device's
    /// configuration only accepts loopback addresses for remote hosts, as the real-time
    /// simulator only reaches those).
    pub fn add_peer(&mut self, name: &str, ip: Option<Ipv4Addr>) -> Result<(), String> {
        let ip = match ip {
            Some(ip) => ip,
            None => self.free_address()?,
        };
        self.net.add_host(name, ip, HostKind::Client)
    }

    /// Adds a TCP server host the device can dial, listening at `addr`.
    pub fn add_server(&mut self, name: &str, addr: SocketAddrV4) -> Result<(), String> {
        self.net
            .add_host(name, *addr.ip(), HostKind::Server { port: addr.port() })
    }

    fn free_address(&self) -> Result<Ipv4Addr, String> {
        (10..250)
            .map(|n| Ipv4Addr::new(127, 0, 0, n))
            .find(|ip| !self.net.address_taken(*ip))
            .ok_or_else(|| "no free address left in 127.0.0.10 to 127.0.0.249".to_owned())
    }

    /// The scripted application on host `name`.
    pub fn peer(&self, name: &str) -> Option<&PeerApp> {
        self.net.host(name).map(|h| &h.app)
    }

    /// The port a peer connects to by default: the device's data port as it listens now, or
    /// as configured.
    pub fn data_port(&self) -> u16 {
        self.net
            .listening_port(ListenerId::Data)
            .unwrap_or(self.config().port1.host.listen_port)
    }

    /// Peer `name` connects to the device's data port.
    pub fn peer_connect(&mut self, name: &str) -> Result<(), String> {
        let port = self.data_port();
        self.peer_connect_port(name, port)
    }

    /// Peer `name` connects to the device's TCP `port`.
    pub fn peer_connect_port(&mut self, name: &str, port: u16) -> Result<(), String> {
        let mut ctx = Ctx {
            now: self.now,
            faults: &mut self.faults,
            trace: &mut self.trace,
        };
        self.net.peer_connect(&mut ctx, name, port)?;
        self.pump();
        Ok(())
    }

    /// Peer `name` sends `data`.
    pub fn peer_send(&mut self, name: &str, data: &[u8]) -> Result<(), String> {
        let mut ctx = Ctx {
            now: self.now,
            faults: &mut self.faults,
            trace: &mut self.trace,
        };
        self.net.peer_send(&mut ctx, name, data)?;
        self.pump();
        Ok(())
    }

    /// Peer `name` sends a UDP datagram to the device's `port` (default: the data port).
    pub fn peer_send_udp(
        &mut self,
        name: &str,
        port: Option<u16>,
        data: &[u8],
    ) -> Result<(), String> {
        let port = port.unwrap_or_else(|| self.data_port());
        let mut ctx = Ctx {
            now: self.now,
            faults: &mut self.faults,
            trace: &mut self.trace,
        };
        self.net.peer_send_udp(&mut ctx, name, port, data)?;
        self.pump();
        Ok(())
    }

    /// Peer `name` closes its connection.
    pub fn peer_close(&mut self, name: &str) -> Result<(), String> {
        let mut ctx = Ctx {
            now: self.now,
            faults: &mut self.faults,
            trace: &mut self.trace,
        };
        self.net.peer_close(&mut ctx, name)?;
        self.pump();
        Ok(())
    }

    /// The end of the first match of `pattern` in what peer `name` received, after what
    /// expectations already consumed.
    pub fn peer_find(&self, name: &str, pattern: &[u8]) -> Option<usize> {
        let app = self.peer(name)?;
        serial_peer::find_from(&app.received, app.cursor, pattern)
    }

    /// Consumes peer `name`'s received bytes up to `upto`.
    pub fn peer_consume(&mut self, name: &str, upto: usize) {
        self.net.consume(name, upto);
    }

    /// The serial-side program writes `bytes`.
    pub fn serial_write(&mut self, bytes: &[u8]) {
        self.serial.write(bytes);
        self.pump();
    }

    /// Everything the serial-side program received.
    pub fn serial_received(&self) -> &[u8] {
        &self.serial.received
    }

    /// The end of the first match of `pattern` in what the program received, after what
    /// expectations already consumed.
    pub fn serial_find(&self, pattern: &[u8]) -> Option<usize> {
        serial_peer::find_from(&self.serial.received, self.serial.cursor, pattern)
    }

    /// How far expectations have consumed what the program received.
    pub fn serial_cursor(&self) -> usize {
        self.serial.cursor
    }

    /// Consumes the program's received bytes up to `upto`.
    pub fn serial_consume(&mut self, upto: usize) {
        self.serial.cursor = upto.min(self.serial.received.len());
    }

    /// The program opens (true) or closes (false) the serial port.
    pub fn set_serial_attached(&mut self, attached: bool) {
        self.serial.attached = attached;
        self.line_event(LineEvent::PeerAttached(attached));
    }

    /// The attached equipment sets one of the device's input lines (DSR, CTS, DCD, RI).
    pub fn set_input_line(&mut self, line: InputLine, high: bool) {
        self.line_event(LineEvent::Signal { line, high });
    }

    /// The attached equipment sends a break of `duration_ms`.
    pub fn send_break(&mut self, duration_ms: u32) {
        self.line_event(LineEvent::Break { duration_ms });
    }

    /// The sessions the device reported, in the order they opened.
    pub fn sessions(&self) -> &[SessionRecord] {
        &self.sessions
    }

    /// The latest session with peer `name`.
    pub fn session_of(&self, name: &str) -> Option<&SessionRecord> {
        self.sessions
            .iter()
            .rev()
            .find(|s| s.peer.as_deref() == Some(name))
    }

    /// Injects a fault; it starts `spec.start` from now. Returns its instance number.
    pub fn inject(&mut self, spec: FaultSpec) -> usize {
        let index = self.faults.add(spec, self.now);
        let Some(inst) = self.faults.get(index) else {
            return index;
        };
        let (start, end) = (inst.start, inst.end);
        if let Some(end) = end {
            self.sched.schedule(end, SimEvent::FaultOff(index));
        }
        if start <= self.now {
            self.fault_on(index);
        } else {
            self.sched.schedule(start, SimEvent::FaultOn(index));
        }
        index
    }

    /// Ends every running or pending fault instance called `id`; false if there was none.
    pub fn clear(&mut self, id: &str) -> bool {
        let found = self.faults.find(id);
        for &i in &found {
            self.fault_off(i);
        }
        !found.is_empty()
    }

    /// Switches the device off now and on again `off` later.
    pub fn power_cycle(&mut self, off: Duration) {
        self.power_off();
        self.sched.schedule(self.now + off, SimEvent::PowerOn);
    }

    /// Runs for `d` of virtual time.
    pub fn run_for(&mut self, d: Duration) -> Result<(), SimError> {
        let deadline = self.now + d;
        self.run_until(deadline, |_| false).map(|_| ())
    }

    /// Runs until `cond` holds (checked before each step and after it) or `deadline` passes;
    /// returns whether `cond` held. On success the time stays at the instant it became true.
    pub fn run_until(
        &mut self,
        deadline: Instant,
        mut cond: impl FnMut(&Simulation) -> bool,
    ) -> Result<bool, SimError> {
        loop {
            if cond(self) {
                return Ok(true);
            }
            let device_next = self.device.as_ref().and_then(Device::next_deadline);
            match m2285_time::earliest(self.sched.next_time(), device_next) {
                Some(t) if t <= deadline => self.step(t.max(self.now))?,
                _ => {
                    self.now = self.now.max(deadline);
                    return Ok(cond(self));
                }
            }
        }
    }

    /// How many steps the run took (events handled plus device timer runs).
    pub fn steps(&self) -> u64 {
        self.steps
    }

    /// The recorder (recent events, trace sinks).
    pub fn trace(&self) -> &Trace {
        &self.trace
    }

    /// Records a line in the trace at the current time (scenario steps, expectations).
    pub fn note(&mut self, event: TraceEvent) {
        self.trace.record(self.now, event);
    }

    /// Ends the run and hands over the traces.
    pub fn finish(self) -> TraceOutput {
        self.trace.finish()
    }

    fn step(&mut self, t: Instant) -> Result<(), SimError> {
        if t == self.now {
            self.steps_at_now += 1;
            if self.steps_at_now > MAX_STEPS_PER_INSTANT {
                return Err(SimError {
                    at: t,
                    message: "time does not advance: more than a million steps at one instant"
                        .into(),
                });
            }
        } else {
            self.steps_at_now = 0;
        }
        self.now = t;
        self.steps += 1;
        if let Some((_, event)) = self.sched.pop_due(t) {
            match event {
                SimEvent::Net(w) => {
                    let mut ctx = Ctx {
                        now: self.now,
                        faults: &mut self.faults,
                        trace: &mut self.trace,
                    };
                    self.net.wake(&mut ctx, w);
                }
                SimEvent::FaultOn(i) => self.fault_on(i),
                SimEvent::FaultOff(i) => self.fault_off(i),
                SimEvent::PowerOn => self.power_on(),
                SimEvent::FlashDone(generation) => self.flash_done(generation),
            }
        } else if let Some(device) = &mut self.device {
            device.handle_timeout(t);
        }
        self.pump();
        Ok(())
    }

    fn line_event(&mut self, event: LineEvent) {
        if let Some(d) = &mut self.device {
            d.handle(Event::Line(event), self.now);
        }
        self.pump();
    }
}
