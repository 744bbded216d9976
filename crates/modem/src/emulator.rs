//! The modem's mode state machine: what each event does in each mode.
//!
//! Every entry point first runs the timers that are due at `now` (an escape or an inactivity
//! hang-up that "already happened"), then handles its event. Results and data are queued as
//! [`ModemOutput`]s in the order they happen; adjacent serial (or network) bytes share one
//! output.

use std::collections::VecDeque;

use m2285_time::{earliest, Instant};

use crate::escape::{EscapeConfig, EscapeDetector, Expiry};
use crate::line::{LineEditor, LineEvent};
use crate::options::ModemOptions;
use crate::output::{Mode, ModemOutput, SessionState};
use crate::result::{format_info, format_result, ResultCode};
use crate::settings::{DtrDropAction, DtrOutputMode, Flow, ModemSettings};

/// Session bytes held while in online-command mode, delivered on `ATO`. Beyond this the newest
/// bytes are dropped and counted in [`ModemEmulator::dropped_network_bytes`] (decided by us).
pub const ONLINE_COMMAND_BUFFER: usize = 16 * 1024;

/// One emulated Hayes modem on one serial port. See the crate documentation for the flow.
#[derive(Debug)]
pub struct ModemEmulator {
    pub(crate) opts: ModemOptions,
    pub(crate) settings: ModemSettings,
    pub(crate) mode: Mode,
    pub(crate) session: SessionState,
    line: LineEditor,
    escape: EscapeDetector,
    outputs: VecDeque<ModemOutput>,
    held_network: Vec<u8>,
    dropped_network: u64,
    last_activity: Instant,
    dtr_in: bool,
    reported_dtr_out: bool,
    reported_flow: Flow,
}

impl ModemEmulator {
    /// A modem at power-on: factory settings, command mode, no session, DTR assumed high.
    /// The device applies [`ModemSettings::flow`] and [`ModemEmulator::dtr_output`] at start;
    /// later changes arrive as outputs.
    pub fn new(opts: ModemOptions) -> Self {
        let settings = ModemSettings::factory();
        let reported_flow = settings.flow;
        ModemEmulator {
            opts,
            settings,
            mode: Mode::Command,
            session: SessionState::Idle,
            line: LineEditor::new(),
            escape: EscapeDetector::new(Instant::ZERO),
            outputs: VecDeque::new(),
            held_network: Vec::new(),
            dropped_network: 0,
            last_activity: Instant::ZERO,
            dtr_in: true,
            reported_dtr_out: true,
            reported_flow,
        }
    }

    /// Bytes from the DTE (the serial-side program): AT commands in command modes, session data
    /// in data mode.
    pub fn serial_input(&mut self, bytes: &[u8], now: Instant) {
        self.run_timers(now);
        let mut rest = bytes;
        while let Some((&b, tail)) = rest.split_first() {
            if self.mode == Mode::Data {
                // Nothing in data mode changes the mode between two bytes of one call.
                self.data_from_serial(rest, now);
                return;
            }
            self.command_byte(b, now);
            rest = tail;
        }
    }

    /// Bytes from the session. Delivered to the serial side in data mode, held in online-command
    /// mode, discarded when no session is connected. Counts as activity for `\T`.
    pub fn network_input(&mut self, bytes: &[u8], now: Instant) {
        self.run_timers(now);
        if self.session != SessionState::Connected || bytes.is_empty() {
            return;
        }
        self.last_activity = now;
        match self.mode {
            Mode::Data => self.send_serial(bytes),
            Mode::OnlineCommand => {
                let room = ONLINE_COMMAND_BUFFER.saturating_sub(self.held_network.len());
                let (kept, dropped) = bytes.split_at(room.min(bytes.len()));
                self.held_network.extend_from_slice(kept);
                self.dropped_network += dropped.len() as u64;
            }
            Mode::Command => {}
        }
    }

    /// The dial (or the answer) asked for is up: CONNECT, data mode. Without a dial or answer
    /// outstanding the connection is unwanted and the emulator answers `Hangup`.
    pub fn connected(&mut self, now: Instant) {
        self.run_timers(now);
        match self.session {
            SessionState::Dialing | SessionState::Answering => {
                self.session = SessionState::Connected;
                self.last_activity = now;
                self.line.reset();
                self.result(ResultCode::Connect);
                self.enter_data(now);
                self.update_dtr_output();
            }
            SessionState::Idle | SessionState::Listening { .. } => {
                self.session = SessionState::Idle;
                self.push(ModemOutput::Hangup);
            }
            SessionState::Connected => {}
        }
    }

    /// The dial (or the answered call) failed: NO CARRIER, command mode. Ignored otherwise.
    pub fn connect_failed(&mut self, now: Instant) {
        self.run_timers(now);
        if matches!(
            self.session,
            SessionState::Dialing | SessionState::Answering
        ) {
            self.end_session(ResultCode::NoCarrier, false);
        }
    }

    /// A peer connected to the port opened by `ATA`: RING, then `Answer` (CONNECT follows on
    /// `connected`). Without a listener outstanding the call is refused with `RefuseCall`.
    pub fn incoming_call(&mut self, now: Instant) {
        self.run_timers(now);
        if !matches!(self.session, SessionState::Listening { .. }) {
            self.push(ModemOutput::RefuseCall);
            return;
        }
        let rings = self.settings.registers.ring_count().saturating_add(1);
        self.settings.registers.set_ring_count(rings);
        self.session = SessionState::Answering;
        self.line.reset();
        self.result(ResultCode::Ring);
        self.push(ModemOutput::Answer);
    }

    /// The peer closed the session (or a dial/answer died): NO CARRIER, command mode.
    pub fn remote_closed(&mut self, now: Instant) {
        self.run_timers(now);
        if matches!(
            self.session,
            SessionState::Connected | SessionState::Dialing | SessionState::Answering
        ) {
            self.end_session(ResultCode::NoCarrier, false);
        }
    }

    /// The DTE's DTR (the unit's DSR input) changed. A drop acts per `&D`: ignore, go to
    /// online-command mode (OK), or hang up (NO CARRIER; also aborts a dial/answer and closes a
    /// listener). Raising DTR does nothing.
    pub fn dtr_changed(&mut self, high: bool, now: Instant) {
        self.run_timers(now);
        let dropped = self.dtr_in && !high;
        self.dtr_in = high;
        if !dropped {
            return;
        }
        match (self.settings.dtr_drop, &self.session) {
            (DtrDropAction::Ignore, _) => {}
            (DtrDropAction::OnlineCommand, SessionState::Connected) => {
                if self.mode == Mode::Data {
                    let mut out = Vec::new();
                    self.escape.release(&mut out);
                    self.send_network(&out);
                    self.mode = Mode::OnlineCommand;
                    self.result(ResultCode::Ok);
                }
            }
            (DtrDropAction::OnlineCommand, _) => {}
            (DtrDropAction::HangUp, SessionState::Idle) => {}
            (DtrDropAction::HangUp, SessionState::Listening { .. }) => {
                self.session = SessionState::Idle;
                self.push(ModemOutput::Hangup);
            }
            (DtrDropAction::HangUp, _) => self.end_session(ResultCode::NoCarrier, true),
        }
    }

    /// Runs whatever timers are due at `now` (escape guard, inactivity).
    pub fn handle_timeout(&mut self, now: Instant) {
        self.run_timers(now);
    }

    /// The next instant at which [`handle_timeout`](Self::handle_timeout) has work, if any.
    pub fn next_deadline(&self) -> Option<Instant> {
        let escape = match self.mode {
            Mode::Data => self.escape.deadline(self.escape_config()),
            _ => None,
        };
        earliest(escape, self.inactivity_deadline())
    }

    /// The next action for the device, oldest first.
    pub fn poll(&mut self) -> Option<ModemOutput> {
        self.outputs.pop_front()
    }

    /// The current mode.
    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// Where the network session stands.
    pub fn session(&self) -> &SessionState {
        &self.session
    }

    /// The current (volatile) modem profile.
    pub fn settings(&self) -> &ModemSettings {
        &self.settings
    }

    /// The configuration the emulator was made with.
    pub fn options(&self) -> &ModemOptions {
        &self.opts
    }

    /// The level the unit's DTR output should have now (`&S`).
    pub fn dtr_output(&self) -> bool {
        self.reported_dtr_out
    }

    /// Session bytes dropped because the online-command buffer was full.
    pub fn dropped_network_bytes(&self) -> u64 {
        self.dropped_network
    }

    // ---- internals shared with `execute` ----

    /// Queues bytes for the serial side, merging with a directly preceding serial output.
    pub(crate) fn send_serial(&mut self, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        if let Some(ModemOutput::ToSerial(last)) = self.outputs.back_mut() {
            last.extend_from_slice(bytes);
        } else {
            self.outputs
                .push_back(ModemOutput::ToSerial(bytes.to_vec()));
        }
    }

    /// Queues bytes for the session, merging with a directly preceding network output.
    fn send_network(&mut self, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        if let Some(ModemOutput::ToNetwork(last)) = self.outputs.back_mut() {
            last.extend_from_slice(bytes);
        } else {
            self.outputs
                .push_back(ModemOutput::ToNetwork(bytes.to_vec()));
        }
    }

    /// Queues an action.
    pub(crate) fn push(&mut self, output: ModemOutput) {
        self.outputs.push_back(output);
    }

    /// Sends a result code unless `ATQ1`.
    pub(crate) fn result(&mut self, code: ResultCode) {
        if !self.settings.quiet {
            let r = &self.settings.registers;
            let bytes = format_result(code, self.settings.verbose, r.cr(), r.lf());
            self.send_serial(&bytes);
        }
    }

    /// Sends one line of information text (not silenced by `ATQ1`).
    pub(crate) fn info(&mut self, text: &[u8]) {
        let r = &self.settings.registers;
        let bytes = format_info(text, self.settings.verbose, r.cr(), r.lf());
        self.send_serial(&bytes);
    }

    /// Enters data mode at `now`, delivering session bytes held during online-command mode.
    pub(crate) fn enter_data(&mut self, now: Instant) {
        self.mode = Mode::Data;
        self.escape.reset(now);
        let held = std::mem::take(&mut self.held_network);
        self.send_serial(&held);
    }

    /// Ends whatever session state there is: command mode, nothing held, S1 cleared; `Hangup`
    /// if asked, then `code`.
    pub(crate) fn end_session(&mut self, code: ResultCode, hangup: bool) {
        self.drop_session(hangup);
        self.result(code);
    }

    /// [`end_session`](Self::end_session) without a result code.
    pub(crate) fn drop_session(&mut self, hangup: bool) {
        let mut discarded = Vec::new();
        self.escape.release(&mut discarded);
        self.held_network.clear();
        self.session = SessionState::Idle;
        self.mode = Mode::Command;
        self.line.reset();
        self.settings.registers.set_ring_count(0);
        if hangup {
            self.push(ModemOutput::Hangup);
        }
        self.update_dtr_output();
    }

    /// Reports a changed DTR output level (`&S`).
    pub(crate) fn update_dtr_output(&mut self) {
        let level = match self.settings.dtr_output {
            DtrOutputMode::AlwaysHigh => true,
            DtrOutputMode::FollowsSession => self.session == SessionState::Connected,
        };
        if level != self.reported_dtr_out {
            self.reported_dtr_out = level;
            self.push(ModemOutput::DtrOutputChanged(level));
        }
    }

    /// Reports changed flow control (`&K`).
    pub(crate) fn update_flow(&mut self) {
        if self.settings.flow != self.reported_flow {
            self.reported_flow = self.settings.flow;
            self.push(ModemOutput::FlowControlChanged(self.settings.flow));
        }
    }

    // ---- private ----

    fn escape_config(&self) -> Option<EscapeConfig> {
        let r = &self.settings.registers;
        Some(EscapeConfig {
            ch: r.escape_char()?,
            guard: r.guard_time()?,
        })
    }

    fn inactivity_deadline(&self) -> Option<Instant> {
        if self.session != SessionState::Connected {
            return None;
        }
        Some(self.last_activity + self.settings.inactivity_timeout()?)
    }

    /// Fires due timers in deadline order.
    fn run_timers(&mut self, now: Instant) {
        while let Some(due) = self.next_deadline().filter(|&d| d <= now) {
            if self.inactivity_deadline() == Some(due) {
                self.end_session(ResultCode::NoCarrier, true);
                continue;
            }
            match self.escape.expire(now.min(due), self.escape_config()) {
                Expiry::Escape => {
                    self.mode = Mode::OnlineCommand;
                    self.line.reset();
                    self.result(ResultCode::Ok);
                }
                Expiry::Release(bytes) => self.send_network(&bytes),
                Expiry::Nothing => return,
            }
        }
    }

    /// Data mode: DTE bytes through the escape detector to the session.
    fn data_from_serial(&mut self, bytes: &[u8], now: Instant) {
        self.last_activity = now;
        let mut out = Vec::with_capacity(bytes.len());
        let cfg = self.escape_config();
        self.escape.input(bytes, now, cfg, &mut out);
        self.send_network(&out);
    }

    /// Command and online-command modes: one DTE byte.
    fn command_byte(&mut self, b: u8, now: Instant) {
        if matches!(
            self.session,
            SessionState::Dialing | SessionState::Answering
        ) {
            // A printable key aborts the call in progress (Hayes); control bytes such as the
            // LF after the dial command's CR do not.
            if (0x20..0x7F).contains(&b) {
                self.end_session(ResultCode::NoCarrier, true);
            }
            return;
        }
        if self.session == SessionState::Connected {
            self.last_activity = now;
        }
        if self.settings.echo {
            self.send_serial(&[b]);
        }
        let r = &self.settings.registers;
        match self.line.push(b, r.cr(), r.bs()) {
            LineEvent::Nothing => {}
            LineEvent::Execute(body) | LineEvent::Repeat(body) => self.run_line(&body, now),
            LineEvent::Overflow => self.result(ResultCode::Error),
        }
    }
}
