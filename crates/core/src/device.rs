//! The device: configuration, serial hardware and port engine behind one sans-IO face.

use crate::config::Config;
use crate::io::{Action, ConnId, DeviceEvent, Event, LineEvent, NetEvent};
use crate::port::DataPort;
use crate::serial::SerialHw;
use crate::stats::PortStats;
use m2285_time::Instant;
use serde::Serialize;
use std::collections::VecDeque;

/// The simulated Model 2285.
#[derive(Debug, Clone)]
pub struct Device {
    config: Config,
    serial: SerialHw,
    port: DataPort,
    actions: VecDeque<Action>,
    scratch: Vec<u8>,
    last_now: Instant,
}

impl Device {
    /// Powers the device on at `now` with `config`; the first actions (listening sockets) are
    /// ready to poll at once.
    pub fn new(config: Config, now: Instant) -> Self {
        let port_cfg = config.port1.clone();
        let serial = SerialHw::new(port_cfg.serial.params(), config.sim.pacing);
        let mut port = DataPort::new(1, port_cfg, config.network.tcp_keepalive);
        let mut actions = VecDeque::new();
        port.boot(&mut actions);
        Device {
            config,
            serial,
            port,
            actions,
            scratch: Vec::new(),
            last_now: now,
        }
    }

    /// The configuration in force.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Feeds one event that happened at `now`. Timers due by `now` run first, so events and
    /// timers are seen in time order; whatever the event makes due at once (unpaced bytes, a
    /// zero timeout) runs before this returns.
    pub fn handle(&mut self, event: Event, now: Instant) {
        self.handle_timeout(now);
        match event {
            Event::Line(line) => self.line_event(line, now),
            Event::Net(net) => self.net_event(net, now),
        }
        self.handle_timeout(now);
    }

    /// Runs everything due by `now`: characters finishing on the wire, flush and session timers.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.last_now = self.last_now.max(now);
        let now = self.last_now;
        self.scratch.clear();
        self.serial.rx.pop_completed(now, &mut self.scratch);
        if !self.scratch.is_empty() {
            let bytes = std::mem::take(&mut self.scratch);
            self.port.serial_received(&bytes, now, &mut self.actions);
            self.scratch = bytes;
        }
        self.scratch.clear();
        let sent = self.serial.tx.pop_completed(now, &mut self.scratch);
        if sent > 0 {
            self.port.serial_transmitted(sent, now);
            self.actions
                .push_back(Action::SerialTx(std::mem::take(&mut self.scratch)));
        }
        self.port.handle_timeout(now, &mut self.actions);
    }

    /// The next instant at which [`Device::handle_timeout`] has work, if any.
    pub fn next_deadline(&self) -> Option<Instant> {
        m2285_time::earliest(self.serial.next_deadline(), self.port.next_deadline())
    }

    /// The next instruction for the runtime.
    pub fn poll_action(&mut self) -> Option<Action> {
        self.actions.pop_front()
    }

    /// How many bytes the runtime may pass in the next [`LineEvent::Received`]: the room on the
    /// wire from the serial-side program. At 0 the runtime stops reading the PTY.
    pub fn serial_input_room(&self) -> usize {
        self.serial.rx.free()
    }

    /// How many bytes the runtime may pass in the next [`NetEvent::Received`] for `conn`: the
    /// room in the network→serial buffer. At 0 the runtime stops reading the socket.
    pub fn net_input_room(&self, _conn: ConnId) -> usize {
        self.serial.tx.free()
    }

    /// Port 1's counters.
    pub fn stats(&self) -> &PortStats {
        &self.port.stats
    }

    /// A snapshot for status pages and the control API.
    pub fn status(&self) -> Status {
        let params = self.serial.tx.params();
        Status {
            host_mode: format!("{:?}", self.port.config().host.mode).to_lowercase(),
            serial: params.to_string(),
            observed_baud: self.serial.observed_baud,
            serial_peer_attached: self.serial.peer_attached,
            sessions: self.port.sessions().cloned().collect(),
            stats: self.port.stats.clone(),
        }
    }

    fn line_event(&mut self, event: LineEvent, now: Instant) {
        match event {
            LineEvent::Received(bytes) => {
                self.serial.rx.push(&bytes, now);
            }
            LineEvent::ObservedBaud(baud) => {
                let configured = self.serial.rx.params().baud;
                if self.serial.observed_baud != Some(baud) {
                    self.serial.observed_baud = Some(baud);
                    if baud != configured {
                        self.port.stats.baud_mismatches += 1;
                        tracing::warn!(
                            observed = baud,
                            configured,
                            "serial-side program's baud rate differs from the device's"
                        );
                        self.notify(DeviceEvent::BaudMismatch {
                            port: 1,
                            observed: baud,
                            configured,
                        });
                    }
                }
            }
            LineEvent::PeerAttached(attached) => {
                if self.serial.peer_attached != attached {
                    self.serial.peer_attached = attached;
                    self.notify(DeviceEvent::SerialPeer { port: 1, attached });
                }
            }
            LineEvent::OutputLost(n) => self.port.stats.serial_tx_lost += n as u64,
        }
    }

    fn net_event(&mut self, event: NetEvent, now: Instant) {
        let mut to_serial = std::mem::take(&mut self.scratch);
        to_serial.clear();
        self.port
            .net_event(event, now, &mut self.actions, &mut to_serial);
        if !to_serial.is_empty() {
            let taken = self.serial.tx.push(&to_serial, now);
            self.port.stats.net_rx_overflow += (to_serial.len() - taken) as u64;
        }
        self.scratch = to_serial;
    }

    fn notify(&mut self, event: DeviceEvent) {
        self.actions.push_back(Action::Notify(event));
    }
}

/// What `ctl status` and the status pages show.
#[derive(Debug, Clone, Serialize)]
pub struct Status {
    /// tcp, udp or modem.
    pub host_mode: String,
    /// Line settings in force, e.g. `9600 8N1`.
    pub serial: String,
    /// Baud rate the serial-side program set, when known.
    pub observed_baud: Option<u32>,
    /// Whether a program holds the serial port.
    pub serial_peer_attached: bool,
    /// Open sessions.
    pub sessions: Vec<crate::port::Session>,
    /// Counters.
    pub stats: PortStats,
}
