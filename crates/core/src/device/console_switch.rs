//! The data/console switch (docs/console.md "Serial console"): the single-port unit's serial
//! port doubles as the console port (spec notes §3, [unverified]). At "console" the serial line
//! carries the console, run by the runtime, instead of the data port: the data sessions close
//! (reason `console_mode`) and the data port stops listening until the switch goes back to
//! "data". The switch is a physical one, not configuration: it stays where it is over a reboot.
//!
//! The consoles themselves run in the runtime (`m2285-console` engines); what they report about
//! logins goes through the device like every other event, so it reaches the system log, the
//! remote syslog server and the event stream alike.

use super::Device;
use crate::config::Port;
use crate::io::{CloseReason, DeviceEvent};
use m2285_time::Instant;
use std::net::IpAddr;

impl Device {
    /// True while the switch is at "console".
    pub fn console_switch(&self) -> bool {
        self.console_switch
    }

    /// Moves the data/console switch. At "console" the data sessions close and the data port
    /// stops listening; back at "data" the port starts again with the running configuration.
    /// The runtime stops handing the device serial input while the switch is at "console".
    pub fn set_console_switch(&mut self, console: bool, now: Instant) {
        if self.console_switch == console {
            return;
        }
        self.handle_timeout(now);
        self.console_switch = console;
        if self.is_down() {
            // The boot starts the port the way the switch says.
            return;
        }
        self.port
            .shutdown_for(CloseReason::ConsoleMode, &mut self.actions);
        self.serial_backlog.clear();
        self.restart_port(now);
    }

    /// The data port's configuration as the switch leaves it: disabled at "console".
    pub(super) fn data_port_config(&self) -> Port {
        let mut port = self.config.port1.clone();
        port.enabled &= !self.console_switch;
        port
    }

    /// A console login (`ok`) or a refused one, reported by the runtime that checked it. A try
    /// from a network address (`from`; the serial console has none) counts in the failed-login
    /// guard the data port uses (docs/management.md "Accounts"): too many failures lock the
    /// address out of the data port and the network consoles alike.
    pub fn console_login(
        &mut self,
        peer: &str,
        user: &str,
        method: &'static str,
        ok: bool,
        from: Option<IpAddr>,
        now: Instant,
    ) {
        let (peer, user) = (peer.to_owned(), user.to_owned());
        self.notify(if ok {
            DeviceEvent::ConsoleLogin { peer, user, method }
        } else {
            DeviceEvent::ConsoleLoginFailed { peer, user, method }
        });
        let policy = crate::admin::login_policy(&self.config);
        if let Some(ip) = from {
            if self.admin.guard.record(ip, ok, policy, now) {
                self.notify(DeviceEvent::LoginLockout {
                    peer: ip,
                    seconds: self.config.system.login.lockout_s,
                });
            }
        }
    }

    /// Whether a console connection from `ip` may try to log in: false while the address is
    /// locked out after too many failed logins (counted as `refused_locked_out`).
    pub fn console_may_try(&mut self, ip: IpAddr, now: Instant) -> bool {
        let policy = crate::admin::login_policy(&self.config);
        self.admin.guard.may_try(ip, policy, now)
    }

    /// A console session that had logged in ended.
    pub fn console_logout(&mut self, peer: &str, user: &str) {
        self.notify(DeviceEvent::ConsoleLogout {
            peer: peer.to_owned(),
            user: user.to_owned(),
        });
    }
}
