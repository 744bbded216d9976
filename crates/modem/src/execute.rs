//! Running a parsed command line.
//!
//! Commands run left to right. The line ends with exactly one final result: ERROR for a syntax
//! error (nothing runs) or for the first command that is not allowed now (the earlier ones
//! stay done); NO CARRIER from `?` or `O` without a session (the rest of the line is skipped);
//! nothing yet after `D` (CONNECT or NO CARRIER follow the dial); otherwise OK, after which `O`
//! enters data mode. `O` and `Z` end the line.

use m2285_time::Instant;

use crate::emulator::ModemEmulator;
use crate::output::{Mode, ModemOutput, SessionState};
use crate::parser::{parse_line, Command};
use crate::result::ResultCode;
use crate::settings::ModemSettings;

/// What one command left for the rest of the line.
enum Step {
    /// Go on with the next command.
    Continue,
    /// Stop; this is the line's result.
    Final(ResultCode),
    /// Stop with OK (`Z`).
    Done,
    /// Stop with OK, then enter data mode (`O`).
    Online,
    /// Stop; the result comes from the network (`D`).
    Pending,
}

impl ModemEmulator {
    /// Runs one command-line body (the bytes after `AT`).
    pub(crate) fn run_line(&mut self, body: &[u8], now: Instant) {
        let Ok(commands) = parse_line(body) else {
            self.result(ResultCode::Error);
            return;
        };
        for command in commands {
            match self.run_command(command) {
                Step::Continue => {}
                Step::Final(code) => {
                    self.result(code);
                    return;
                }
                Step::Done => break,
                Step::Online => {
                    self.result(ResultCode::Ok);
                    self.enter_data(now);
                    return;
                }
                Step::Pending => return,
            }
        }
        self.result(ResultCode::Ok);
    }

    fn run_command(&mut self, command: Command) -> Step {
        let connected = self.session == SessionState::Connected;
        match command {
            Command::NoOp => {}
            Command::Query if !connected => return Step::Final(ResultCode::NoCarrier),
            Command::Query => {}
            Command::Dial(_) | Command::Answer(_) if connected => {
                return Step::Final(ResultCode::Error)
            }
            Command::Dial(target) => {
                if self.session != SessionState::Idle {
                    self.push(ModemOutput::Hangup);
                }
                self.session = SessionState::Dialing;
                self.push(ModemOutput::Dial {
                    host: target.host,
                    port: target.port,
                    protocol: target.protocol,
                });
                return Step::Pending;
            }
            Command::Answer(port) => {
                let port = if port == 0 {
                    self.opts.default_listen_port
                } else {
                    port
                };
                if port == 0 {
                    return Step::Final(ResultCode::Error);
                }
                self.session = SessionState::Listening { port };
                self.push(ModemOutput::Listen { port });
            }
            Command::Echo(on) => self.settings.echo = on,
            Command::Quiet(on) => self.settings.quiet = on,
            Command::Verbose(on) => self.settings.verbose = on,
            Command::Online if connected && self.mode == Mode::OnlineCommand => {
                return Step::Online
            }
            Command::Online => return Step::Final(ResultCode::NoCarrier),
            Command::HangUp => {
                if self.session != SessionState::Idle {
                    self.drop_session(true);
                }
            }
            Command::Info(0) => {
                let vendor = self.opts.vendor.clone();
                self.info(vendor.as_bytes());
            }
            Command::Info(3) => {
                let model = self.opts.model.clone();
                self.info(model.as_bytes());
            }
            Command::Info(_) => {}
            Command::Reset => {
                if self.session != SessionState::Idle {
                    self.drop_session(true);
                }
                self.restore_factory();
                self.push(ModemOutput::Reset);
                return Step::Done;
            }
            Command::Factory => self.restore_factory(),
            Command::DtrDrop(action) => self.settings.dtr_drop = action,
            Command::Flow(flow) => {
                self.settings.flow = flow;
                self.update_flow();
            }
            Command::DtrOutput(mode) => {
                self.settings.dtr_output = mode;
                self.update_dtr_output();
            }
            Command::Inactivity(minutes) => self.settings.inactivity_minutes = minutes,
            Command::SetRegister(n, value) => {
                if !self.settings.registers.set(n, value) {
                    return Step::Final(ResultCode::Error);
                }
            }
            Command::ReadRegister(n) => {
                let Some(value) = self.settings.registers.get(n) else {
                    return Step::Final(ResultCode::Error);
                };
                self.info(format!("{value:03}").as_bytes());
            }
            Command::Special if self.opts.special_commands_ok => {}
            Command::Special => return Step::Final(ResultCode::Error),
        }
        Step::Continue
    }

    /// `&F` / `Z`: factory profile; the ring counter is state, not profile, and stays.
    fn restore_factory(&mut self) {
        let rings = self.settings.registers.ring_count();
        self.settings = ModemSettings::factory();
        self.settings.registers.set_ring_count(rings);
        self.update_flow();
        self.update_dtr_output();
    }
}
