//! The device: configuration, serial hardware and port engine behind one sans-IO face.

use crate::config::{Config, CryptoMethod};
use crate::io::{Action, ConnId, DeviceEvent, Event, LineEvent, NetEvent};
use crate::lines::{InputLine, Lines};
use crate::port::stack::login::LoginConfig;
use crate::port::{DataPort, PortEffects, StackConfig};
use crate::serial::SerialHw;
use crate::stats::PortStats;
use m2285_time::Instant;
use serde::Serialize;
use std::collections::VecDeque;

/// The device's certificate, key and CA list as PEM bytes. The runtime reads or creates them
/// (files are not the model's business) and hands them over with [`Device::install_tls`].
#[derive(Debug, Clone, Default)]
pub struct TlsMaterial {
    /// Certificate chain of the device.
    pub cert_chain_pem: Vec<u8>,
    /// Its private key.
    pub key_pem: Vec<u8>,
    /// CA certificates to verify peers with.
    pub ca_pem: Option<Vec<u8>>,
}

/// Most decoded network bytes held beyond the network→serial buffer; only a runtime that ignores
/// [`Device::net_input_room`] can exceed it (the excess is dropped and counted).
const BACKLOG_LIMIT: usize = 256 * 1024;

/// The simulated Model 2285.
#[derive(Debug)]
pub struct Device {
    config: Config,
    serial: SerialHw,
    lines: Lines,
    port: DataPort,
    actions: VecDeque<Action>,
    scratch: Vec<u8>,
    last_now: Instant,
    seed: u64,
    tls: Option<TlsMaterial>,
    /// Decoded network data that did not fit the network→serial buffer at once (a TLS record
    /// or Telnet chunk can decode to more than the room the runtime was given). While anything
    /// waits here the device takes no more from the network, so nothing is lost.
    serial_backlog: VecDeque<u8>,
    /// Flow-control and signal-rule state (device/line_rules.rs).
    line_state: line_rules::LineState,
    /// Accounts, filter, logs, clock, identity (device/admin_hooks.rs).
    admin: crate::admin::Admin,
    /// When this boot began (the uptime counts from it).
    booted_at: Instant,
    /// Saved, running (that is `config`) and staged configuration (device/manage.rs).
    store: crate::store::Store,
    /// Up, or down and booting (device/power.rs).
    power: power::Power,
    /// Boots since the simulator started this device.
    boots: u64,
    /// Why the device reboots once the save in progress ends.
    reboot_after_save: Option<&'static str>,
    /// Port event handling's state (device/port_events.rs).
    event_watch: port_events::EventWatch,
    /// The data/console switch is at "console": the serial port carries the console, the data
    /// port is closed (device/console_switch.rs).
    console_switch: bool,
}

mod admin_hooks;
mod console_switch;
mod line_rules;
mod manage;
mod mgmt_hooks;
mod port_events;
mod power;
pub use line_rules::HostStatus;
pub use manage::ApplyReport;
pub use mgmt_hooks::LoginVerdict;

impl Device {
    /// Powers the device on at `now` with `config`; the first actions (listening sockets) are
    /// ready to poll at once.
    pub fn new(config: Config, now: Instant) -> Self {
        Self::build(config, now, None)
    }

    /// [`Device::new`] with the TLS material already in place (a reboot keeps it), so the
    /// first stack configuration sees it. Plaintext secrets in `config` are hashed first, so
    /// neither the running nor the saved layer ever holds one.
    fn build(mut config: Config, now: Instant, tls: Option<TlsMaterial>) -> Self {
        let mut admin = crate::admin::Admin::new(now);
        admin.seal(&mut config);
        let port_cfg = config.port1.clone();
        let serial = SerialHw::new(
            port_cfg.serial.params(),
            config.sim.pacing,
            port_cfg.serial.flow_control,
        );
        let lines = Lines::default();
        let mut port = DataPort::new(1, port_cfg, config.network.tcp_keepalive);
        let mut actions = VecDeque::new();
        port.set_modem_state(lines.modem_state_bits(), &mut actions, now);
        port.boot(&mut actions);
        let mut device = Device {
            store: crate::store::Store::new(config.clone(), config.clone()),
            power: power::Power::Up,
            boots: 0,
            reboot_after_save: None,
            config,
            serial,
            lines,
            port,
            actions,
            scratch: Vec::new(),
            last_now: now,
            seed: 0,
            tls,
            serial_backlog: VecDeque::new(),
            line_state: line_rules::LineState::default(),
            event_watch: port_events::EventWatch::default(),
            admin,
            booted_at: now,
            console_switch: false,
        };
        let booted = device.admin.booted(&device.config, device.boots);
        device.actions.push_front(Action::Notify(booted));
        device
            .admin
            .configure(None, &device.config, now, &mut device.actions);
        device
            .port
            .set_minute(line_rules::minute(&device.config), now);
        device.rebuild_stack_config();
        device.set_tls_clock(now);
        device.line_rules(now);
        device
    }

    /// Seeds the device's randomness (TLS). The runtime passes its one seed; the same seed gives
    /// the same session transcripts.
    pub fn set_seed(&mut self, seed: u64) {
        self.seed = seed;
        self.admin.set_seed(seed);
        self.rebuild_stack_config();
    }

    /// The device's certificate and key (and CA list), needed when `port1.crypto.method` is ssl.
    pub fn install_tls(&mut self, material: TlsMaterial) {
        self.tls = Some(material);
        self.rebuild_stack_config();
    }

    /// Levels of the control lines.
    pub fn lines(&self) -> Lines {
        self.lines
    }

    /// Sets an input line (what a cable or a test rig would do); RFC 2217 clients are told.
    pub fn set_input_line(&mut self, line: InputLine, high: bool, now: Instant) {
        self.handle_timeout(now);
        if self.lines.set_input(line, high) {
            let bits = self.lines.modem_state_bits();
            self.port.set_modem_state(bits, &mut self.actions, now);
        }
        self.line_rules(now);
    }

    /// Builds the per-session protocol stack settings from the configuration and TLS material.
    fn rebuild_stack_config(&mut self) {
        let port = &self.config.port1;
        let telnet = port.host.telnet.then(|| m2285_telnet::TelnetConfig {
            rfc2217: true,
            signature: format!(
                "Patton Electronics Co. Model 2285 (m2285-sim {})",
                env!("CARGO_PKG_VERSION")
            ),
        });
        let tls = match (port.crypto.method, &self.tls) {
            (CryptoMethod::None, _) => None,
            (CryptoMethod::Ssl, None) => {
                tracing::warn!("port1.crypto.method is ssl but no certificate was installed");
                None
            }
            (CryptoMethod::Ssl, Some(material)) => {
                let settings = m2285_tls::TlsSettings {
                    verify_peer: port.crypto.client_auth,
                    ca_pem: material.ca_pem.clone(),
                    cert_chain_pem: material.cert_chain_pem.clone(),
                    key_pem: material.key_pem.clone(),
                    ciphersuites: port
                        .crypto
                        .ciphersuites
                        .split(',')
                        .map(|s| s.trim().to_owned())
                        .filter(|s| !s.is_empty())
                        .collect(),
                    ..m2285_tls::TlsSettings::default()
                };
                let client = m2285_tls::TlsSettings {
                    verify_peer: port.crypto.verify_server,
                    ..settings.clone()
                };
                if !port.crypto.verify_server {
                    tracing::warn!("port1.crypto.verify_server is false: TLS client sessions will not check the server's certificate");
                }
                let server = m2285_tls::TlsEngineConfig::server(&settings)
                    .map_err(|e| tracing::error!("TLS server configuration: {e}"))
                    .ok();
                // A client configuration that cannot be built (e.g. verification without a CA
                // list) only affects sessions the device opens; they then fail to start.
                let client = m2285_tls::TlsEngineConfig::client(&client)
                    .map_err(|e| tracing::debug!("TLS client configuration: {e}"))
                    .ok();
                Some((server, client))
            }
        };
        let (tls, tls_client) = tls.unwrap_or((None, None));
        let client = StackConfig {
            tls: tls_client,
            tls_server_name: None,
            telnet: telnet.clone(),
            login: None,
        };
        self.port.set_stack_config(
            StackConfig {
                tls,
                tls_server_name: None,
                telnet,
                login: port.host.user_auth.then(|| LoginConfig {
                    users: self
                        .config
                        .system
                        .users
                        .iter()
                        .filter(|u| crate::admin::accounts::is_password_hash(&u.password))
                        .map(|u| (u.name.clone(), u.password.clone()))
                        .collect(),
                }),
            },
            client,
            self.seed,
        );
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
            Event::Flash(report) => self.flash_report(report, now),
            event if self.is_down() => self.event_while_down(event),
            Event::Line(line) => self.line_event(line, now),
            Event::Net(net) => self.net_event(net, now),
        }
        self.handle_timeout(now);
    }

    /// Runs everything due by `now`: characters finishing on the wire, flush and session timers.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.last_now = self.last_now.max(now);
        let now = self.last_now;
        if !self.boot_if_due(now) {
            return;
        }
        self.set_tls_clock(now);
        self.scratch.clear();
        let limit = self.serial_rx_limit();
        self.serial
            .rx
            .pop_completed_at_most(now, limit, &mut self.scratch);
        mask_to_data_bits(&mut self.scratch, self.serial.rx.params());
        if !self.scratch.is_empty() {
            let mut bytes = std::mem::take(&mut self.scratch);
            self.port_log(crate::admin::portlog::Direction::FromSerial, &bytes, now);
            self.receive_filter(&mut bytes);
            self.port_events(&bytes, now);
            self.port.serial_received(&bytes, now, &mut self.actions);
            self.scratch = bytes;
        }
        self.scratch.clear();
        let sent = self.serial.tx.pop_completed(now, &mut self.scratch);
        mask_to_data_bits(&mut self.scratch, self.serial.tx.params());
        if !self.serial_backlog.is_empty() {
            let (a, b) = self.serial_backlog.as_slices();
            let taken = self.serial.tx.push(a, now);
            let taken = taken
                + if taken == a.len() {
                    self.serial.tx.push(b, now)
                } else {
                    0
                };
            self.serial_backlog.drain(..taken);
        }
        if sent > 0 {
            let tx = std::mem::take(&mut self.scratch);
            self.port_log(crate::admin::portlog::Direction::ToSerial, &tx, now);
            self.scratch = tx;
            self.port.serial_transmitted(sent, now);
            self.actions
                .push_back(Action::SerialTx(std::mem::take(&mut self.scratch)));
        }
        self.port.handle_timeout(now, &mut self.actions);
        self.admin
            .handle_timeout(&self.config, now, &mut self.actions);
        self.line_rules(now);
        self.port_output(now);
    }

    /// Takes what the port engine produced for the hardware itself (modem emulation's echo and
    /// result codes, `AT&K` / `AT&S` changes).
    fn port_output(&mut self, now: Instant) {
        let bytes = self.port.take_serial_output();
        if !bytes.is_empty() {
            self.queue_for_serial(&bytes, now);
        }
        for req in self.port.take_line_requests() {
            match req {
                crate::port::modem_mode::LineRequest::Flow(flow) => self.serial.flow = flow,
                crate::port::modem_mode::LineRequest::Dtr(high) => {
                    if self.lines.dtr != high {
                        self.lines.dtr = high;
                        self.notify(DeviceEvent::LinesChanged {
                            port: 1,
                            lines: self.lines,
                        });
                    }
                }
            }
        }
    }

    /// The next instant at which [`Device::handle_timeout`] has work, if any.
    pub fn next_deadline(&self) -> Option<Instant> {
        if let power::Power::Booting { until } = self.power {
            return Some(until);
        }
        let model = m2285_time::earliest(self.serial.next_deadline(), self.port.next_deadline());
        m2285_time::earliest(model, self.admin.next_deadline())
    }

    /// The next instruction for the runtime. Every event passes the system log on its way out,
    /// so the log holds exactly the events the runtime is told.
    pub fn poll_action(&mut self) -> Option<Action> {
        let action = self.actions.pop_front()?;
        if let Action::Notify(event) = &action {
            self.admin_observe(event);
        }
        Some(action)
    }

    /// How many bytes the runtime may pass in the next [`LineEvent::Received`]: the room on the
    /// wire from the serial-side program. At 0 the runtime stops reading the PTY.
    pub fn serial_input_room(&self) -> usize {
        if self.is_down() {
            // An unpowered UART takes everything and keeps nothing.
            return power::DOWN_SERIAL_ROOM;
        }
        if self.rts_allows_input() {
            self.serial.rx.free()
        } else {
            0
        }
    }

    /// How many bytes the runtime may pass in the next [`NetEvent::Received`] for `conn`: the
    /// room in the network→serial buffer. At 0 the runtime stops reading the socket.
    pub fn net_input_room(&self, _conn: ConnId) -> usize {
        if self.serial_backlog.is_empty() && !self.is_down() {
            self.serial.tx.free()
        } else {
            0
        }
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
            baud: params.baud,
            flow_control: self.serial.flow,
            observed_baud: self.serial.observed_baud,
            serial_peer_attached: self.serial.peer_attached,
            lines: self.lines,
            sessions: self
                .port
                .sessions()
                .map(crate::port::Session::info)
                .collect(),
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
            LineEvent::Signal { line, high } => self.set_input_line(line, high, now),
            LineEvent::Break { duration_ms } => {
                self.port.stats.breaks_received += 1;
                self.notify(DeviceEvent::BreakReceived {
                    port: 1,
                    duration_ms,
                });
            }
        }
    }

    fn net_event(&mut self, event: NetEvent, now: Instant) {
        if self.admin_net_event(&event, now) {
            return;
        }
        let mut effects = PortEffects {
            to_serial: std::mem::take(&mut self.scratch),
            ..PortEffects::default()
        };
        effects.to_serial.clear();
        self.port
            .net_event(event, now, &mut self.actions, &mut effects);
        if !effects.to_serial.is_empty() {
            self.queue_for_serial(&effects.to_serial, now);
        }
        self.scratch = effects.to_serial;
        if effects.send_break {
            self.port.stats.breaks_sent += 1;
            self.notify(DeviceEvent::SerialBreak { port: 1 });
        }
        for (conn, req) in effects.com_port {
            self.com_port_request(conn, req, now);
        }
    }

    /// Queues bytes for the serial line; what does not fit waits in the backlog (and holds off
    /// further network input) instead of being lost.
    fn queue_for_serial(&mut self, bytes: &[u8], now: Instant) {
        let taken = if self.serial_backlog.is_empty() {
            self.serial.tx.push(bytes, now)
        } else {
            0
        };
        self.serial_backlog.extend(&bytes[taken..]);
        if self.serial_backlog.len() > BACKLOG_LIMIT {
            let excess = self.serial_backlog.len() - BACKLOG_LIMIT;
            self.serial_backlog.drain(..excess);
            self.port.stats.net_rx_overflow += excess as u64;
        }
    }

    /// Carries out an RFC 2217 request and answers it with the value in effect.
    fn com_port_request(&mut self, conn: ConnId, req: m2285_telnet::ComPortRequest, now: Instant) {
        self.port.stats.com_port_requests += 1;
        let (reply, applied) = crate::comport::apply(req, &mut self.serial, &mut self.lines, now);
        if applied.purge_rx {
            self.serial.rx.clear();
            self.port.purge_to_network();
        }
        if applied.purge_tx {
            self.serial.tx.clear();
            self.serial_backlog.clear();
        }
        if applied.break_started {
            self.port.stats.breaks_sent += 1;
            self.notify(DeviceEvent::SerialBreak { port: 1 });
        }
        if applied.outputs_changed {
            self.notify(DeviceEvent::LinesChanged {
                port: 1,
                lines: self.lines,
            });
        }
        if crate::comport::needs_reply(&req) {
            self.port.com_port_reply(conn, reply, &mut self.actions);
        }
    }

    fn notify(&mut self, event: DeviceEvent) {
        self.actions.push_back(Action::Notify(event));
    }
}

/// A line with fewer than 8 data bits cannot carry the high bits: the receiving UART never sees
/// them.
fn mask_to_data_bits(bytes: &mut [u8], params: m2285_uart::SerialParams) {
    let mask = params.data_mask();
    if mask != 0xff {
        bytes.iter_mut().for_each(|b| *b &= mask);
    }
}

/// What `ctl status` and the status pages show.
#[derive(Debug, Clone, Serialize)]
pub struct Status {
    /// tcp, udp or modem.
    pub host_mode: String,
    /// Line settings in force, e.g. `9600 8N1` (configuration, or changed by RFC 2217).
    pub serial: String,
    /// Baud rate in force.
    pub baud: u32,
    /// Flow control in force.
    pub flow_control: crate::config::FlowControl,
    /// Control line levels.
    pub lines: Lines,
    /// Baud rate the serial-side program set, when known.
    pub observed_baud: Option<u32>,
    /// Whether a program holds the serial port.
    pub serial_peer_attached: bool,
    /// Open sessions.
    pub sessions: Vec<crate::port::SessionInfo>,
    /// Counters.
    pub stats: PortStats,
}
