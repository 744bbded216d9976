//! The real-time runtime: one `mio` event loop drives the device model with the wall clock, the
//! host PTY and loopback sockets.
//!
//! Everything happens on one thread: the model is single-threaded by design, and a single poll
//! loop gives the shortest path from a PTY byte to a socket (no thread hand-offs). Helper threads
//! only wait on things that have no file descriptor (an `--attach` child) and wake the loop
//! through a `mio::Waker` and a crossbeam channel. docs/architecture.md explains the choice.

mod admin_calls;
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
    /// Boots a device: PTY and symlink, listening sockets; fails with a message a user can act on.
    pub fn boot(
        args: &RunArgs,
        config: Config,
        state_dir: &std::path::Path,
        netns: Option<crate::netns::DeviceNs>,
    ) -> Result<Self, String> {
        Self::boot_in(args, config, state_dir, false, netns).map(|(rt, _)| rt)
    }

    /// Boots a device on its own, or as a fleet member (no signal pipe or control server of
    /// its own, a [`MemberHandle`] instead), in its network namespace when it has one.
    fn boot_in(
        args: &RunArgs,
        config: Config,
        state_dir: &std::path::Path,
        fleet_member: bool,
        netns: Option<crate::netns::DeviceNs>,
    ) -> Result<(Self, Option<MemberHandle>), String> {
        // The control API stays on args.ip; the device's services use `services`' ports.
        let (device_ip, services) =
            crate::netns::setup::device_side(args.ip, netns.as_ref(), &config);
        let poll = Poll::new().map_err(|e| format!("cannot create the event loop: {e}"))?;
        let tokens = TokenSpace::for_device(0);
        let pty =
            HostPty::open(args.pty.as_deref(), args.attach.is_some()).map_err(|e| e.to_string())?;
        pty.present_rate(config.port1.serial.baud)
            .map_err(|e| format!("cannot set the PTY's rate: {e}"))?;
        poll.registry()
            .register(
                &mut mio::unix::SourceFd(&pty.master_fd()),
                tokens.reserved(PTY),
                Interest::READABLE,
            )
            .map_err(|e| format!("cannot watch the PTY: {e}"))?;
        let timer = timer::PreciseTimer::new(poll.registry(), tokens.reserved(TIMER))?;
        let signals = (!fleet_member)
            .then(|| register_signals(&poll, tokens.reserved(SIGNALS)))
            .transpose()?;
        let waker = std::sync::Arc::new(
            Waker::new(poll.registry(), tokens.reserved(WAKER)).map_err(|e| e.to_string())?,
        );
        let (wake_tx, wake_rx) = crossbeam_channel::unbounded();
        let clock = WallClock::start();
        let mut device = Device::new(config.clone(), clock.now());
        device.set_kept_firmware(boot_state::kept_firmware(state_dir).as_deref());
        let platform = platform(state_dir);
        let device_unix = boot_state::device_unix_at_power_on(&platform);
        device.set_platform(platform);
        let seed = args.seed.unwrap_or_else(crate::tls_files::fresh_seed);
        device.set_seed(seed);
        if let Some(material) = crate::tls_files::load(
            &config,
            state_dir,
            &device_ip.to_string(),
            seed,
            device_unix,
            false,
        )? {
            device.install_tls(material);
        }
        let tracer = trace::Tracer::open(args.trace.as_deref())?;
        let boundary = faults::Boundary::new(seed, tracer.clone());
        let mut net = faults::FaultyNet::new(
            HostNet::new(device_ip, services.sim.free_ports, tokens),
            poll.registry().try_clone().map_err(|e| e.to_string())?,
            boundary.clone(),
        );
        net.set_capture(pcap::HostCapture::open(args.pcap.as_deref())?);
        let (control_tx, control_rx) = crossbeam_channel::unbounded();
        let (control, member) = if fleet_member {
            let handle = MemberHandle::new(control_tx.clone(), wake_tx.clone(), waker.clone());
            (None, Some(handle))
        } else {
            let server = control_calls::start_server(
                &config,
                args.ip,
                state_dir,
                control_tx.clone(),
                &waker,
            )?;
            (Some(server), None)
        };
        let wake_control = waker.clone();
        let wake_loop: std::sync::Arc<dyn Fn() + Send + Sync> = std::sync::Arc::new(move || {
            let _ = wake_control.wake();
        });
        // From here on the device's sockets are opened: inside its namespace, if it has one.
        let _inside = netns
            .as_ref()
            .map(crate::netns::DeviceNs::enter)
            .transpose()?;
        let (mut snmp, snmp_port) = snmp::SnmpService::open(
            &services,
            device_ip,
            poll.registry(),
            tokens.reserved(SNMP),
            tracer.clone(),
        )?;
        snmp.set_own_stack(netns.is_some());
        let (console_tx, console_rx) = crossbeam_channel::unbounded();
        let wake_console = waker.clone();
        let bridge = crate::console::Bridge {
            to_loop: console_tx,
            wake: std::sync::Arc::new(move || {
                let _ = wake_console.wake();
            }),
        };
        let (telnet, ssh) = crate::console::start_all(&services, device_ip, bridge, state_dir);
        let web_cert = if config.network.web_server.mode.https() {
            let ip = device_ip.to_string();
            crate::tls_files::load(&config, state_dir, &ip, seed, device_unix, true)?
                .map(|m| (m.cert_chain_pem, m.key_pem))
        } else {
            None
        };
        let crl = web_cert
            .as_ref()
            .and_then(|(cert, key)| crate::tls_files::device_crl(&config, cert, key, device_unix));
        let web = crate::web::start(device_ip, &services, web_cert, crl, control_tx, wake_loop)?;
        let mut rt = Runtime {
            poll,
            clock,
            device,
            net,
            serial: SerialEndpoint::new(faults::FaultyPty::new(pty, boundary)),
            tracer,
            tokens,
            wake_rx,
            wake_tx,
            waker,
            signals,
            stop_requested: false,
            ports: BTreeMap::new(),
            control_rx,
            console_rx,
            console: console_calls::ConsoleState::default(),
            serial_console: None,
            listen_failures: Vec::new(),
            ready_announced: false,
            ip: device_ip,
            timer,
            pty_writable: false,
            early_events: Vec::new(),
            flash: store_io::FlashDir::new(
                state_dir,
                config.clone(),
                args.config.is_some() || !args.sets.is_empty(),
            ),
            seed,
            snmp,
            locating: notify::Locating::new(&config, device_ip, clock.now()),
            netns,
            control_ip: args.ip,
        };
        if let Some(control) = control {
            rt.ports.insert("control", control.port);
        }
        if let Some(port) = snmp_port {
            rt.ports.insert("snmp", port);
        }
        if let Some(port) = web.http {
            rt.ports.insert("http", port);
        }
        if let Some(port) = web.https {
            rt.ports.insert("https", port);
        }
        if let Some(port) = telnet {
            rt.ports.insert("telnet", port);
        }
        if let Some(port) = ssh {
            rt.ports.insert("ssh", port);
        }
        rt.pump(rt.clock.now())?;
        rt.snmp.power_on(&rt.device, rt.clock.now());
        if !rt.listen_failures.is_empty() {
            // At boot a service that cannot listen is a setup mistake: say so and stop.
            return Err(rt.listen_failures.join("; "));
        }
        Ok((rt, member))
    }

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
            self.watch_pty_writable();
            let timeout = self.timer.arm(self.timeout(now));
            if let Err(e) = self.poll.poll(&mut events, Some(timeout)) {
                if e.kind() != std::io::ErrorKind::Interrupted {
                    return Err(format!("event loop: {e}"));
                }
            }
            now = self.clock.now();
            self.device.handle_timeout(now);
            for ev in events.iter() {
                let local = ev.token().0 - self.tokens.reserved(0).0;
                match local {
                    PTY => {
                        self.serial.flush();
                        self.read_serial(now)?;
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
        if self.serial.throttled() || self.net.has_throttled() {
            // Room frees up as the line drains; look again soon.
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
        self.net.close_all(self.poll.registry());
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
