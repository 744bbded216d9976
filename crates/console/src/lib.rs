//! The device's console, sans-IO: login, the numbered menu tree and the scriptable command mode,
//! shared by every transport (serial console, Telnet, SSH shell and SSH exec).
//!
//! A [`Console`] is one session. The transport feeds it the bytes the user typed
//! ([`Console::receive`]), writes what [`Console::take_output`] returns, wakes it at
//! [`Console::poll_timeout`] ([`Console::handle_timeout`]) and carries out the device requests
//! it asks for ([`Console::poll_request`]), answering each with [`Console::answer`]. Nothing
//! here reads a clock, blocks or does I/O; time is an [`Instant`] passed in.
//!
//! Every change of configuration and every device action goes through one interface,
//! [`Request`]: log in, read the running configuration, take and give back the edit lock, apply
//! staged edits, save, reboot, factory reset, and read-only queries. The transport maps those
//! to the device's calls. Edits are staged in the session, checked with the same
//! `Config::with_set` the configuration file and `--set` use, and only reach the device on
//! apply (docs/console.md).
//!
//! Modules: [`line`] (the line editor), [`menu`] (the tree built from the schema), `view`
//! (how values and menus are written), `command` (command mode), `session` (the state machine).

mod actions;
mod command;
pub mod line;
pub mod menu;
mod navigate;
mod session;
mod view;

pub use session::Console;

use m2285_core::Config;
use std::time::Duration;

/// What a console session asks of the device; answer each with one [`Answer`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// Check a login: answer [`Answer::Done`] when it is right, [`Answer::Refused`] when not.
    Login {
        /// The user name typed.
        user: String,
        /// The password typed.
        password: String,
    },
    /// The running configuration: answer [`Answer::Config`].
    Snapshot,
    /// Take the edit lock for this session: answer [`Answer::Config`] with the running
    /// configuration (the base the edits start from), or [`Answer::Refused`] naming who holds it.
    Lock,
    /// Give the edit lock back: answer [`Answer::Done`].
    Unlock,
    /// Put these staged changes (`key`, raw value, in order) into effect, all or nothing:
    /// answer [`Answer::Config`] with the new running configuration.
    Apply(Vec<(String, String)>),
    /// Keep the running configuration over a reboot.
    Save,
    /// Restart the device (the session ends).
    Reboot,
    /// Back to the factory configuration (running and saved).
    FactoryReset,
    /// Read-only information, answered with text ([`Answer::Done`]).
    Query(Topic),
    /// Sent by the transport (never by the engine) when the session ends for any reason: the
    /// lock is given back if the session holds it, the logout is reported. No answer is needed.
    Logout,
}

/// What a [`Request::Query`] asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Topic {
    /// The status snapshot.
    Status,
    /// The statistics counters.
    Stats,
    /// The system log.
    Log,
    /// The port log.
    PortLog,
    /// The IP filter; the words after `filter`.
    Filter(Vec<String>),
    /// The device's date and time.
    Time,
}

/// The device's answer to a [`Request`].
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    /// Done; the text (possibly several lines, possibly empty) is shown to the user.
    Done(String),
    /// The running configuration.
    Config(Box<Config>),
    /// Not done, and why (one line).
    Refused(String),
}

/// How sessions behave.
#[derive(Debug, Clone)]
pub struct Settings {
    /// A session with no input for this long is logged out (staged edits dropped).
    pub idle_timeout: Duration,
    /// Wrong logins a session may make before it is closed.
    pub max_login_failures: u32,
    /// Pause after a wrong login before the next prompt.
    pub failure_delay: Duration,
    /// Terminal width used until the client tells its own (Telnet NAWS, SSH pty request).
    pub width: u16,
}

impl Default for Settings {
    /// 300 s idle timeout, 3 failures, 2 s pause, 80 columns.
    fn default() -> Self {
        Settings {
            idle_timeout: Duration::from_secs(300),
            max_login_failures: 3,
            failure_delay: Duration::from_secs(2),
            width: 80,
        }
    }
}

/// The status line that ends every successful answer in command mode (`OK` or `OK text`).
pub const OK: &str = "OK";
/// The first word of the status line that ends a failed answer in command mode (`ERR why`).
pub const ERR: &str = "ERR";

#[cfg(test)]
mod tests;
