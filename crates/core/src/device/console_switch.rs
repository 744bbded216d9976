//! The data/console switch (docs/console.md "Serial console"): the single-port unit's serial
//! port doubles as the console port (spec notes §3, [unverified]). At "console" the serial line
//! carries the console, run by the runtime, instead of the data port: the data sessions close
//! (reason `console_mode`) and the data port stops listening until the switch goes back to
//! "data". The switch is a physical one, not configuration: it stays where it is over a reboot.

use super::Device;
use crate::config::Port;
use crate::io::CloseReason;
use m2285_time::Instant;

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
}
