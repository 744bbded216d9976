//! The real-time runtime: one `mio` event loop drives the device model with the wall clock, the
//! host PTY and loopback sockets.
//!
//! Everything happens on one thread: the model is single-threaded by design, and a single poll
//! loop gives the shortest path from a PTY byte to a socket (no thread hand-offs). Helper threads
//! only wait on things that have no file descriptor (an `--attach` child) and wake the loop
//! through a `mio::Waker` and a crossbeam channel. docs/architecture.md explains the choice.

mod admin_calls;
mod boot;
mod boot_state;
mod clock;
mod console_calls;
mod control_calls;
mod fault_calls;
pub mod faults;
pub mod fleet;
mod member;
mod netns_fleet;
mod notify;
pub mod pcap;
mod ready;
mod serial;
mod serial_console;
mod signals;
mod snmp;
mod store_calls;
mod store_io;
mod timer;
pub mod trace;
pub mod vcd;
mod web_calls;

use boot_state::rtc_offset;
pub use boot_state::{device_unix_at_power_on, load_config, platform};

use crate::cli::RunArgs;
use crate::output;
use clock::WallClock;
use crossbeam_channel::{Receiver, Sender};
use m2285_core::io::{Action, ConnId, NetEvent};
use m2285_core::{Config, Device, Event};
use m2285_net::{HostNet, HostNotice, TokenSpace};
use m2285_pty::HostPty;
use m2285_time::Instant;
pub use member::MemberHandle;
use mio::{Events, Interest, Poll, Waker};
use serde_json::json;
use serial::SerialEndpoint;
use signals::register_signals;
use std::collections::BTreeMap;
use std::io::Read;
use std::time::Duration;

const PTY: usize = 0;
const SIGNALS: usize = 1;
const WAKER: usize = 2;
const TIMER: usize = 3;
const SNMP: usize = 4;

/// Most back-to-back reads of a throttled socket in one turn of the loop.
const MAX_READ_PASSES: usize = 64;

/// Messages from helper threads to the loop.
enum Wakeup {
    AttachExited(Option<i32>),
    /// The fleet stops this device (SIGTERM to the process, or removed through the API).
    Stop,
    /// A port event's e-mail was delivered (Ok) or given up (Err).
    MailDone {
        to: String,
        keyword: String,
        result: Result<(), String>,
    },
}

/// Everything one running device needs.
pub struct Runtime {
    poll: Poll,
    clock: WallClock,
    device: Device,
    net: faults::FaultyNet,
    serial: SerialEndpoint,
    /// The `--trace` file (shared with the boundary middleware), for the events printed here.
    tracer: trace::Tracer,
    tokens: TokenSpace,
    wake_rx: Receiver<Wakeup>,
    wake_tx: Sender<Wakeup>,
    waker: std::sync::Arc<Waker>,
    /// SIGINT/SIGTERM of a device on its own; a fleet member is stopped by [`Wakeup::Stop`].
    signals: Option<mio::net::UnixStream>,
    /// A [`Wakeup::Stop`] arrived.
    stop_requested: bool,
    ports: BTreeMap<&'static str, u16>,
    /// Calls from the control API's thread.
    control_rx: Receiver<crate::control::Request>,
    /// Requests of console sessions (Telnet, SSH) on the management thread.
    console_rx: Receiver<crate::console::ConsoleCall>,
    /// The edit lock and the logged-in console sessions.
    console: console_calls::ConsoleState,
    /// The serial console's session while the data/console switch is at "console".
    serial_console: Option<serial_console::SerialConsole>,
    listen_failures: Vec<String>,
    ready_announced: bool,
    ip: std::net::IpAddr,
    /// Sub-millisecond wake-ups (pacing at high baud rates).
    timer: timer::PreciseTimer,
    /// Whether the PTY is watched for "writable" (only while output waits).
    pty_writable: bool,
    /// Events the device produced before the ready line, printed right after it.
    early_events: Vec<(serde_json::Value, Instant)>,
    /// The device's flash: the state directory (saved configuration and the files the device
    /// keeps, e.g. the RTC offset).
    flash: store_io::FlashDir,
    /// The run's seed (TLS randomness; each boot derives its own).
    seed: u64,
    /// The SNMP agent's socket and traps.
    snmp: snmp::SnmpService,
    /// Locating-server reports.
    locating: notify::Locating,
    /// The device's own network namespace (`--netns`), removed when the runtime ends.
    netns: Option<crate::netns::DeviceNs>,
    /// Where the control API listens (`--ip`; differs from `ip` with `--netns`).
    control_ip: std::net::IpAddr,
}

impl Runtime {
    /// Runs until SIGINT or SIGTERM; then closes sessions and removes the symlink.
    pub fn run(mut self) -> Result<(), String> {
        if let Some(ns) = &self.netns {
            // Outgoing connections, the e-mail thread and the kernel counters: all inside.
            ns.join()?;
        }
        self.flush_early_events();
        let mut events = Events::with_capacity(256);
        // The clock is read once per turn, right after the wait; that one `now` serves the
        // whole turn, the next wait's length included, so every record of a turn has the same
        // stamp and stamps never go back.
        let mut now = self.clock.now();
        loop {
            self.device.handle_timeout(now);
            self.serial.watch(&mut self.device, now);
            self.serial_console_tick(now);
            self.pump(now)?;
            self.serial.flush();
            self.watch_pty_writable();
            let timeout = self.timer.arm(self.timeout(now));
            if let Err(e) = self.poll.poll(&mut events, Some(timeout)) {
                if e.kind() != std::io::ErrorKind::Interrupted {
                    return Err(format!("event loop: {e}"));
                }
            }
            now = self.clock.now();
            self.due_faults(now);
            self.serial.pty.vcd().lines(self.device.lines(), now);
            self.device.handle_timeout(now);
            for ev in events.iter() {
                let local = ev.token().0 - self.tokens.reserved(0).0;
                match local {
                    PTY => {
                        let hangup = ev.is_read_closed() || ev.is_error();
                        if hangup {
                            self.serial.hangup_signalled();
                        }
                        if ev.is_writable() || hangup {
                            self.serial.writable();
                        }
                        if ev.is_readable() || hangup || self.serial.throttled() {
                            self.read_serial(now)?;
                        }
                    }
                    SIGNALS => {
                        if self.drain_signals() {
                            self.shutdown();
                            return Ok(());
                        }
                    }
                    WAKER => {
                        self.wakeups(now);
                        if self.stop_requested {
                            self.shutdown();
                            return Ok(());
                        }
                    }
                    TIMER => self.timer.fired(),
                    SNMP => self.snmp.readable(&mut self.device, &self.ports, now),
                    _ => {
                        {
                            let room = net_room(&self.device, self.serial.backed_up());
                            self.net.ready(self.poll.registry(), ev.token(), &room);
                        }
                        self.feed_net(now);
                    }
                }
                self.pump(now)?;
            }
            self.retry_throttled(now)?;
            let down =
                self.net.link_down() || self.netns.as_ref().is_some_and(|n| n.faults.link_down());
            self.snmp.link(down, &self.device, now);
            if let Some(bytes) = self.locating.tick(&self.device, self.ip, &self.ports, now) {
                self.snmp.count_other_datagram(bytes);
            }
        }
    }

    /// Asks for "writable" on the PTY only while output waits for room, so a program reading
    /// promptly does not wake the loop for nothing.
    fn watch_pty_writable(&mut self) {
        let want = self.serial.has_pending();
        if want != self.pty_writable {
            let interest = if want {
                Interest::READABLE | Interest::WRITABLE
            } else {
                Interest::READABLE
            };
            let fd = self.serial.master_fd();
            if self
                .poll
                .registry()
                .reregister(
                    &mut mio::unix::SourceFd(&fd),
                    self.tokens.reserved(PTY),
                    interest,
                )
                .is_ok()
            {
                self.pty_writable = want;
            }
        }
    }

    /// How long the loop may sleep: until the device's next deadline or the next PTY look.
    fn timeout(&self, now: Instant) -> Duration {
        let mut deadline = self.serial.next_watch();
        if let Some(d) = self.device.next_deadline() {
            deadline = deadline.min(d);
        }
        if let Some(d) = self.net.next_deadline(now) {
            deadline = deadline.min(d);
        }
        if let Some(d) = self.locating.next_deadline() {
            deadline = deadline.min(d);
        }
        if let Some(d) = self.serial_console_deadline() {
            deadline = deadline.min(d);
        }
        if self.serial.throttled() || (self.net.has_throttled() && !self.serial.backed_up()) {
            // Room frees up as the line drains; look again soon. (Sockets held back for a
            // program that is behind wait for the PTY's "writable" instead.)
            deadline = deadline.min(now + Duration::from_millis(1));
        }
        deadline.saturating_since(now)
    }

    /// Reads the serial side, unless a peer is so slow that its queue is full: then the
    /// program's writes wait, like on a real port whose device cannot send on.
    fn read_serial(&mut self, now: Instant) -> Result<(), String> {
        if self.serial_console_on() {
            self.serial_console_read(now);
            return self.pump(now);
        }
        for _ in 0..MAX_READ_PASSES {
            if self.net.congested() {
                self.serial.hold();
                return Ok(());
            }
            let more = self.serial.read(&mut self.device, now);
            // Carry out the sends of this chunk first, so congestion shows before the next.
            self.pump(now)?;
            if !more {
                return Ok(());
            }
        }
        // More may be waiting: come back to it after the other sources had their turn.
        self.serial.hold();
        Ok(())
    }

    fn retry_throttled(&mut self, now: Instant) -> Result<(), String> {
        if self.serial.throttled() && self.device.serial_input_room() > 0 {
            self.read_serial(now)?;
        }
        // Each pass reads at most the device's room (4 KiB); with pacing off the device empties
        // it at once, so keep going while it takes more, up to a bound that keeps the loop fair.
        for _ in 0..MAX_READ_PASSES {
            {
                let room = net_room(&self.device, self.serial.backed_up());
                if !self.net.throttled_with_room(&room) {
                    break;
                }
                self.net.retry_throttled(self.poll.registry(), &room);
            }
            self.feed_net(now);
            self.pump(now)?;
        }
        Ok(())
    }

    fn feed_net(&mut self, now: Instant) {
        let events = self.net.take_events(now);
        self.feed(events, now);
    }

    fn feed(&mut self, events: Vec<NetEvent>, now: Instant) {
        for event in events {
            if let NetEvent::Listening { listener, port } = &event {
                self.ports.insert(listener.service_name(), *port);
                // Listeners opened after boot (modem ATA, a changed port) are announced too;
                // those of the boot are in the ready line.
                if self.ready_announced {
                    output::emit_event(
                        json!({"event": "listening", "service": listener.service_name(), "port": port}),
                        now,
                        &self.tracer,
                    );
                }
            }
            if let NetEvent::ListenFailed { listener, reason } = &event {
                tracing::error!(?listener, "{reason}");
                self.listen_failures.push(reason.clone());
            }
            self.device.handle(Event::Net(event), now);
        }
    }

    /// Carries out the device's actions, feeding back what the network reports, until neither
    /// has anything left.
    fn pump(&mut self, now: Instant) -> Result<(), String> {
        loop {
            let mut progressed = false;
            while let Some(action) = self.device.poll_action() {
                progressed = true;
                match action {
                    Action::SerialTx(bytes) => self.serial.write(&mut self.device, &bytes, now),
                    Action::Notify(event) => {
                        let reboot = matches!(
                            event,
                            m2285_core::io::DeviceEvent::Booted { boot, .. } if boot > 0
                        );
                        match serde_json::to_value(&event) {
                            Ok(v) if !self.ready_announced => self.early_events.push((v, now)),
                            Ok(v) => output::emit_event(v, now, &self.tracer),
                            Err(e) => tracing::warn!("cannot print event: {e}"),
                        }
                        self.snmp.on_event(&event, &self.device, now);
                        self.mail_for(&event, now);
                        if reboot {
                            self.after_boot();
                        }
                    }
                    Action::Flash(op) => self.flash_step(op, now),
                    Action::WriteState { file, bytes } => {
                        if let Err(e) = m2285_hostfs::write_atomic(
                            &self.flash.dir,
                            file,
                            &bytes,
                            m2285_hostfs::SECRET_MODE,
                        ) {
                            tracing::warn!(file, "cannot keep device state: {e}");
                        }
                    }
                    other => {
                        if let Some(rest) = self.net.execute(self.poll.registry(), other, now) {
                            tracing::debug!(?rest, "action not handled by this runtime");
                        }
                    }
                }
            }
            self.print_notices(now);
            let events = self.net.take_events(now);
            if events.is_empty() && !progressed {
                return Ok(());
            }
            self.feed(events, now);
        }
    }

    fn print_notices(&mut self, now: Instant) {
        for notice in self.net.take_notices() {
            let value = match notice {
                HostNotice::KeepaliveApplied { conn, params } => json!({
                    "event": "keepalive_applied", "conn": conn, "time_s": params.time_s,
                    "interval_s": params.interval_s, "probes": params.probes,
                }),
                HostNotice::SendOverflow { conn, bytes } => json!({
                    "event": "send_overflow", "conn": conn, "bytes": bytes,
                }),
            };
            output::emit_event(value, now, &self.tracer);
        }
    }

    /// Starts the `--attach` program on the serial port (after the ready line, so that line
    /// stays the first one on stdout).
    pub fn attach(&mut self, cmd: &str) -> Result<(), String> {
        let mut child = self
            .serial
            .pty
            .spawn_attached(cmd)
            .map_err(|e| format!("--attach '{cmd}': {e}"))?;
        let pid = child.id();
        output::emit_event(
            json!({"event": "attach_started", "pid": pid, "command": cmd}),
            self.clock.now(),
            &self.tracer,
        );
        let tx = self.wake_tx.clone();
        let waker = self.waker.clone();
        std::thread::Builder::new()
            .name("attach-wait".into())
            .spawn(move || {
                let code = child.wait().ok().and_then(|s| s.code());
                let _ = tx.send(Wakeup::AttachExited(code));
                let _ = waker.wake();
            })
            .map_err(|e| format!("--attach: {e}"))?;
        Ok(())
    }

    fn wakeups(&mut self, now: Instant) {
        while let Ok(w) = self.wake_rx.try_recv() {
            match w {
                Wakeup::Stop => self.stop_requested = true,
                Wakeup::AttachExited(code) => {
                    tracing::info!(?code, "attached program exited");
                    output::emit_event(
                        json!({"event": "attach_exited", "code": code}),
                        now,
                        &self.tracer,
                    );
                }
                Wakeup::MailDone {
                    to,
                    keyword,
                    result,
                } => {
                    let event = match result {
                        Ok(()) => json!({"event": "email_sent", "to": to, "keyword": keyword}),
                        Err(reason) => {
                            tracing::warn!("port event e-mail not delivered: {reason}");
                            json!({"event": "email_failed", "to": to, "keyword": keyword, "reason": reason})
                        }
                    };
                    output::emit_event(event, now, &self.tracer);
                }
            }
        }
        while let Ok(req) = self.control_rx.try_recv() {
            self.control_call(req, now);
            self.pump(now).ok();
        }
        while let Ok(call) = self.console_rx.try_recv() {
            self.console_call(call, now);
            self.pump(now).ok();
        }
    }

    /// True when SIGINT or SIGTERM arrived.
    fn drain_signals(&mut self) -> bool {
        let mut buf = [0u8; 64];
        let mut got = false;
        let Some(signals) = self.signals.as_mut() else {
            return false;
        };
        while let Ok(n) = signals.read(&mut buf) {
            if n == 0 {
                break;
            }
            got = true;
        }
        got
    }

    fn shutdown(&mut self) {
        tracing::info!("shutting down");
        self.serial.flush();
        self.net.close_all(self.poll.registry());
        self.serial.pty.vcd().finish();
        output::emit_event(json!({"event": "shutdown"}), self.clock.now(), &self.tracer);
    }
}

/// How much the runtime may read from a connection now: the device's room, or nothing while
/// the serial-side program is so far behind that the network must wait (docs/serial-port.md).
fn net_room(device: &Device, serial_backed_up: bool) -> impl Fn(ConnId) -> usize + '_ {
    move |conn| {
        if serial_backed_up {
            0
        } else {
            device.net_input_room(conn)
        }
    }
}
