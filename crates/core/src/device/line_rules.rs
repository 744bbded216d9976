//! The device's line behaviours (manual §4.8) on top of the control-line levels: flow control
//! pausing the paced line, RTS/XOFF when the receive buffer fills, DTR following the sessions,
//! DSR gating the port, RS-485 echo, and reporting every level change. Also run-time
//! configuration changes. Flow control itself is [`crate::flow`]; DTR/DSR rules are
//! [`crate::port::signals`].

use super::Device;
use crate::config::{Config, LineType};
use crate::flow::{self, Flow};
use crate::io::{Action, DeviceEvent};
use crate::lines::Lines;
use crate::port::signals;
use crate::port::tcp_client::Attempt;
use crate::port::udp::Unlisted;
use crate::port::DataPort;
use m2285_time::Instant;
use serde::Serialize;
use std::time::Duration;

/// Line-behaviour state the device keeps besides the levels.
#[derive(Debug, Clone, Default)]
pub struct LineState {
    /// Flow-control pauses in both directions.
    pub flow: Flow,
    /// Flow control mode the state belongs to.
    pub flow_mode: Option<crate::config::FlowControl>,
    /// Levels last reported in events.
    pub reported: Option<Lines>,
    /// Whether the port counted as connected at the last DTR decision.
    pub was_connected: Option<bool>,
}

/// What `ctl status` shows of the host modes and lines besides [`super::Status`].
#[derive(Debug, Clone, Serialize)]
pub struct HostStatus {
    /// Port enable.
    pub port_enabled: bool,
    /// rs232, rs422 or rs485.
    pub serial_type: LineType,
    /// Flow control in effect (none on RS-485).
    pub flow_in_effect: crate::config::FlowControl,
    /// Flow-control pauses in both directions.
    pub flow: Flow,
    /// True when the device's transmitter is paused (XOFF received, or CTS low).
    pub tx_paused: bool,
    /// False while DSR gating holds sessions off.
    pub dsr_allows_sessions: bool,
    /// Connection attempts in progress (TCP client side), in the manual's words `sync_sent`.
    pub connecting: Vec<Attempt>,
    /// Sessions that have not logged in yet (user authentication).
    pub logging_in: Vec<crate::io::ConnId>,
    /// Recent unlisted UDP senders.
    pub udp_unlisted: Vec<Unlisted>,
    /// Bytes from the serial side not yet sent to the network.
    pub receive_buffer: usize,
}

impl Device {
    /// Host-mode and line details for `ctl status`.
    pub fn host_status(&self) -> HostStatus {
        let mode = self.flow_mode();
        HostStatus {
            port_enabled: self.config.port1.enabled,
            serial_type: self.config.port1.serial.line_type,
            flow_in_effect: mode,
            flow: self.line_state.flow.clone(),
            tx_paused: self.serial.tx.is_held(),
            dsr_allows_sessions: self.dsr_ok(),
            connecting: self.port.attempts().to_vec(),
            logging_in: self
                .port
                .sessions()
                .filter(|s| !s.stack.logged_in())
                .map(|s| s.conn)
                .collect(),
            udp_unlisted: self.port.udp_unlisted().to_vec(),
            receive_buffer: self.port.receive_buffer_level(),
        }
    }

    /// Applies a new configuration at run time, as the device's "apply" does. Sessions survive
    /// changes of the serial settings; a change of the host mode, ports, remote hosts, timers or
    /// port enable restarts the port engine (its sessions close with reason `port_disabled`).
    /// Counters are kept.
    pub fn apply_config(&mut self, mut config: Config, now: Instant) {
        self.handle_timeout(now);
        self.admin.seal(&mut config);
        let old = std::mem::replace(&mut self.config, config);
        self.admin
            .configure(Some(&old), &self.config, now, &mut self.actions);
        let new = self.config.clone();
        let (o, n) = (&old.port1, &new.port1);
        if o.serial.params() != n.serial.params() || old.sim.pacing != new.sim.pacing {
            self.serial
                .set_params(n.serial.params(), new.sim.pacing, now);
        }
        if o.serial.flow_control != n.serial.flow_control {
            self.serial.flow = n.serial.flow_control;
        }
        let restart = o.enabled != n.enabled
            || o.host != n.host
            || o.remote_hosts != n.remote_hosts
            || o.serial.inter_char_timeout_ms != n.serial.inter_char_timeout_ms
            || old.network.tcp_keepalive != new.network.tcp_keepalive
            || old.sim.minute_s != new.sim.minute_s;
        if restart {
            self.port.shutdown(&mut self.actions);
            self.restart_port(now);
        } else {
            self.port.set_config(self.data_port_config());
        }
        // DTR and the flow-control state are decided afresh under the new settings.
        self.line_state.was_connected = None;
        self.line_state.flow_mode = None;
        self.rebuild_stack_config();
        self.line_rules(now);
    }

    /// Builds the data port engine afresh from the running configuration (its counters kept)
    /// and starts it; the old one must have been shut down.
    pub(super) fn restart_port(&mut self, now: Instant) {
        let stats = self.port.stats.clone();
        let keepalive = self.config.network.tcp_keepalive;
        let mut port = DataPort::new(1, self.data_port_config(), keepalive);
        port.stats = stats;
        port.set_minute(minute(&self.config), now);
        port.set_modem_state(self.lines.modem_state_bits(), &mut self.actions, now);
        port.boot(&mut self.actions);
        self.port = port;
        self.set_tls_clock(now);
    }

    /// Flow control in effect.
    pub(super) fn flow_mode(&self) -> crate::config::FlowControl {
        flow::effective(self.serial.flow, self.config.port1.serial.line_type)
    }

    fn dsr_ok(&self) -> bool {
        !signals::dsr_gates(&self.config.port1.serial) || self.lines.dsr
    }

    /// Bytes that finished arriving from the program: XON/XOFF are taken out (and pause the
    /// transmitter), RS-485 echo sends them back.
    pub(super) fn receive_filter(&mut self, bytes: &mut Vec<u8>) {
        let s = &self.config.port1.serial;
        if s.line_type == LineType::Rs485 && s.rs485_echo && !bytes.is_empty() {
            self.actions.push_back(Action::SerialTx(bytes.clone()));
        }
        let mode = self.flow_mode();
        self.line_state.flow.receive(mode, bytes);
    }

    /// How much the program may write now: nothing while the device holds RTS low (a
    /// program using RTS/CTS waits, and so does the simulated one).
    pub(super) fn rts_allows_input(&self) -> bool {
        self.flow_mode() != crate::config::FlowControl::RtsCts || self.lines.rts
    }

    /// How many characters from the program the device takes now. With flow control the
    /// receive buffer fills no further than [`flow::HIGH_WATER`]: there the device drops RTS
    /// (or sends XOFF) and the program's side of the wire stops, as a real DTE's UART stops
    /// within the character it is sending. Without flow control, everything that arrives.
    pub(super) fn serial_rx_limit(&self) -> usize {
        if self.flow_mode() == crate::config::FlowControl::None {
            return usize::MAX;
        }
        flow::HIGH_WATER.saturating_sub(self.port.receive_buffer_level())
    }

    /// Brings the line behaviours up to date after anything happened at `now`.
    pub(super) fn line_rules(&mut self, now: Instant) {
        let mode = self.flow_mode();
        if self.line_state.flow_mode != Some(mode) {
            self.line_state.flow.reset();
            self.line_state.flow_mode = Some(mode);
            self.lines.rts = true;
        }
        // DSR gating first: it can close sessions, which changes DTR.
        let ok = self.dsr_ok();
        self.port.set_dsr_ok(ok, now, &mut self.actions);
        // The transmitter: paused by XOFF or CTS low; the character on the wire finishes.
        let held = self.line_state.flow.tx_held(mode, &self.lines);
        if held != self.serial.tx.is_held() {
            self.serial.tx.set_held(held, now);
            let by = match (mode, held) {
                (crate::config::FlowControl::RtsCts, true) => "cts_low",
                (crate::config::FlowControl::RtsCts, false) => "cts_high",
                (_, true) => "xoff",
                (_, false) => "xon",
            };
            self.actions
                .push_back(Action::Notify(DeviceEvent::FlowControl {
                    port: 1,
                    paused: held,
                    by,
                }));
        }
        // The receive buffer: ask the program to pause or resume.
        let level = self.port.receive_buffer_level();
        if let Some(byte) = self
            .line_state
            .flow
            .buffer_level(mode, level, &mut self.lines)
        {
            self.actions.push_back(Action::SerialTx(vec![byte]));
        }
        // While the device asks the program to pause, the program's side of the wire holds
        // what it has not sent yet (its UART and driver buffer): nothing more arrives, nothing
        // is lost, and it goes on where it stopped when the device lets it resume.
        let pause_program =
            mode != crate::config::FlowControl::None && self.line_state.flow.throttling;
        self.serial.rx.set_held(pause_program, now);
        // DTR follows the sessions on their edges, so an RFC 2217 client's DTR stays until the
        // next one.
        let connected = self.port.connected();
        if self.line_state.was_connected != Some(connected) {
            self.line_state.was_connected = Some(connected);
            if let Some(level) = signals::dtr_level(&self.config.port1.serial, connected) {
                self.lines.dtr = level;
            }
        }
        self.report_lines();
    }

    /// Reports every level that changed since the last report.
    fn report_lines(&mut self) {
        let now = self.lines;
        let before = self.line_state.reported.replace(now).unwrap_or(now);
        let pins = [
            ("dtr", "output", before.dtr, now.dtr),
            ("rts", "output", before.rts, now.rts),
            ("dsr", "input", before.dsr, now.dsr),
            ("cts", "input", before.cts, now.cts),
            ("dcd", "input", before.dcd, now.dcd),
            ("ri", "input", before.ri, now.ri),
        ];
        for (signal, direction, was, is) in pins {
            if was != is {
                self.actions
                    .push_back(Action::Notify(DeviceEvent::SignalChanged {
                        port: 1,
                        signal,
                        direction,
                        high: is,
                    }));
            }
        }
    }
}

/// The length of a device minute.
pub(super) fn minute(config: &Config) -> Duration {
    Duration::from_secs(u64::from(config.sim.minute_s))
}
