//! The serial console (docs/console.md "Serial console"): while the data/console switch is at
//! "console", the PTY carries a console engine at the console line settings instead of the data
//! port. The loop runs the engine itself and answers its requests at once, as it answers the
//! Telnet and SSH sessions' (`console_calls.rs`); the IP filter does not apply to it.

use super::Runtime;
use m2285_console::{Console, Request, Settings};
use m2285_pty::PtyRead;
use m2285_time::Instant;
use serde_json::json;

/// The console line's rate (spec notes §3: 9600 8N1, no flow control, [unverified]).
pub const BAUD: u32 = 9600;

/// The console line settings, as `ctl console` reports them.
pub const LINE: &str = "9600 8N1, no flow control";

/// The console line as the serial faults see it: 9600 8N1.
fn console_line() -> m2285_uart::SerialParams {
    m2285_uart::SerialParams {
        baud: BAUD,
        ..m2285_uart::SerialParams::default()
    }
}

/// The peer name of serial console sessions (the edit lock holder, events).
const PEER: &str = "serial";

/// Most PTY reads in one turn of the loop, so a program typing fast cannot starve the rest.
const MAX_READS: usize = 16;

/// The session on the serial line.
pub struct SerialConsole {
    engine: Console,
    session: u64,
}

impl SerialConsole {
    /// A new session at the login prompt.
    fn start(now: Instant) -> Self {
        SerialConsole {
            engine: Console::new(Settings::default(), now),
            session: crate::console::next_session(),
        }
    }
}

impl Runtime {
    /// Moves the data/console switch (`POST /console`, `ctl console on|off`). At "console" the
    /// device closes its data sessions and port, and a console session starts on the PTY at
    /// [`BAUD`]; back at "data" the console session ends (its staged edits are dropped and the
    /// edit lock given back) and the data port starts again.
    pub(super) fn set_console_switch(&mut self, on: bool, now: Instant) {
        if on == self.serial_console.is_some() {
            return;
        }
        self.device.set_console_switch(on, now);
        if on {
            self.serial.set_console_rate(Some(BAUD));
            self.serial_console = Some(SerialConsole::start(now));
        } else {
            if let Some(old) = self.serial_console.take() {
                self.console_answer(old.session, PEER, Request::Logout, now);
            }
            self.serial.set_console_rate(None);
        }
        let switch = if on { "console" } else { "data" };
        crate::output::emit_event(
            json!({"event": "console_switch", "switch": switch}),
            now,
            &self.tracer,
        );
        self.serial_console_pump(now);
    }

    /// True while the PTY carries the console.
    pub(super) fn serial_console_on(&self) -> bool {
        self.serial_console.is_some()
    }

    /// Reads what the program typed into the console.
    pub(super) fn serial_console_read(&mut self, now: Instant) {
        let mut buf = [0u8; 1024];
        self.serial.resume();
        for _ in 0..MAX_READS {
            let n = match self.serial.pty.read(&mut buf, console_line(), now) {
                Ok(PtyRead::Data(n)) if n > 0 => n,
                Ok(_) => return,
                Err(e) => {
                    tracing::debug!("reading the PTY (console): {e}");
                    return;
                }
            };
            if let Some(c) = &mut self.serial_console {
                c.engine.receive(&buf[..n], now);
            }
            self.serial_console_pump(now);
        }
        // More may be waiting: read it after the other sources had their turn.
        self.serial.hold();
    }

    /// Runs the console's timers (failure pause, idle timeout).
    pub(super) fn serial_console_tick(&mut self, now: Instant) {
        if let Some(c) = &mut self.serial_console {
            if c.engine.poll_timeout().is_some_and(|t| t <= now) {
                c.engine.handle_timeout(now);
                self.serial_console_pump(now);
            }
        }
    }

    /// When the console's next timer is due.
    pub(super) fn serial_console_deadline(&self) -> Option<Instant> {
        self.serial_console
            .as_ref()
            .and_then(|c| c.engine.poll_timeout())
    }

    /// Answers the console's requests and writes its output; a session that ended is
    /// followed by a new one at the login prompt, as on a real console port.
    fn serial_console_pump(&mut self, now: Instant) {
        let Some(mut c) = self.serial_console.take() else {
            return;
        };
        loop {
            while let Some(request) = c.engine.poll_request() {
                let answer = self.console_answer(c.session, PEER, request, now);
                c.engine.answer(answer, now);
            }
            let out = c.engine.take_output();
            if !out.is_empty() {
                self.serial.write_console(&out);
            }
            if !c.engine.is_closed() {
                break;
            }
            self.console_answer(c.session, PEER, Request::Logout, now);
            c = SerialConsole::start(now);
        }
        self.serial_console = Some(c);
    }
}
