//! The serial side in real time: the PTY, what the program writes, and what reaches it.

use super::faults::FaultyPty;
use m2285_core::{Device, Event, LineEvent};
use m2285_pty::PtyRead;
use m2285_time::Instant;
use std::time::Duration;

/// How often the runtime looks at the PTY for a program opening or closing it and for the baud
/// rate the program set (the PTY gives no notice of either; docs/serial-port.md).
pub const WATCH_INTERVAL: Duration = Duration::from_millis(20);

/// Bytes waiting for the program above which the network is no longer read.
const HOLD_NETWORK_ABOVE: usize = 64 * 1024;

/// Bytes kept for a program that holds the port but does not read; beyond this they are lost
/// (a real UART would overrun the program's receive buffer too).
const MAX_PENDING: usize = 256 * 1024;

/// Output waiting for the program is written to the PTY once this much has gathered, and in
/// any case before the loop sleeps ([`SerialEndpoint::flush`]): with pacing off the device
/// hands over its 4 KiB buffer at a time, and one write per chunk was most of the system calls
/// per byte network→serial (docs/BENCHMARKS.md).
const WRITE_BATCH: usize = 32 * 1024;

/// The PTY end of the serial line.
pub struct SerialEndpoint {
    /// The PTY, with the serial faults and trace around its data path.
    pub pty: FaultyPty,
    pending: Vec<u8>,
    /// Whether the device was last told that a program holds the port.
    attached: bool,
    /// A program was seen holding the port and the PTY has reported no hang-up since, so a
    /// write need not ask again (a `poll()` per write was the costliest extra system call per
    /// chunk). Cleared by a hang-up from the event loop, a read or the periodic watch.
    holder_seen: bool,
    /// The last write found the PTY full: the next is tried only once the loop reports it
    /// writable (or at the periodic watch), not on every turn.
    pty_full: bool,
    throttled: bool,
    next_watch: Instant,
    /// The rate last set on the PTY for want of a program (`None`: a program may have changed
    /// it since), so an idle port costs no termios calls.
    presented_rate: Option<u32>,
    /// The console line's rate while the data/console switch is at "console" (the rate shown
    /// to a program instead of the data port's).
    console_rate: Option<u32>,
}

impl SerialEndpoint {
    /// Wraps an open PTY.
    pub fn new(pty: FaultyPty) -> Self {
        SerialEndpoint {
            pty,
            pending: Vec::new(),
            attached: false,
            holder_seen: false,
            pty_full: false,
            throttled: false,
            next_watch: Instant::ZERO,
            presented_rate: None,
            console_rate: None,
        }
    }

    /// Reads what the program wrote, as far as the device has room on the wire.
    pub fn read(&mut self, device: &mut Device, now: Instant) -> bool {
        let mut buf = [0u8; 4096];
        let room = device.serial_input_room().min(buf.len());
        if room == 0 {
            self.throttled = true;
            return false;
        }
        let line = device.config().port1.serial.params();
        match self.pty.read(&mut buf[..room], line, now) {
            Ok(PtyRead::Data(0)) => {
                self.throttled = false;
                false
            }
            Ok(PtyRead::Data(n)) => {
                device.handle(Event::Line(LineEvent::Received(buf[..n].to_vec())), now);
                true
            }
            Ok(PtyRead::Hangup) => {
                self.throttled = false;
                self.set_attached(device, false, now);
                false
            }
            Err(e) => {
                tracing::warn!("reading the PTY: {e}");
                self.throttled = false;
                false
            }
        }
    }

    /// True when so much waits for a program that does not read fast enough that the runtime
    /// stops taking data from the network (nothing is dropped; docs/serial-port.md).
    pub fn backed_up(&self) -> bool {
        self.pending.len() > HOLD_NETWORK_ABOVE
    }

    /// True when bytes wait for the program to make room.
    pub fn has_pending(&self) -> bool {
        !self.pending.is_empty()
    }

    /// The PTY master's fd, for the event loop.
    pub fn master_fd(&self) -> std::os::fd::RawFd {
        self.pty.master_fd()
    }

    /// Leaves the program's input unread for now; it is read again when the loop retries.
    pub fn hold(&mut self) {
        self.throttled = true;
    }

    /// The program's input may be read again (nothing was left unread).
    pub fn resume(&mut self) {
        self.throttled = false;
    }

    /// True when unread input waits for room on the wire.
    pub fn throttled(&self) -> bool {
        self.throttled
    }

    /// Delivers bytes that finished crossing the line; with no program on the port they are
    /// lost, as on a real line with nothing attached.
    /// Writing is batched: call [`SerialEndpoint::flush`] before waiting for events.
    pub fn write(&mut self, device: &mut Device, bytes: &[u8], now: Instant) {
        if !self.holder_seen {
            self.holder_seen = self.pty.peer_attached();
        }
        if !self.holder_seen {
            self.pty
                .unheard(bytes, device.config().port1.serial.params(), now);
            device.handle(Event::Line(LineEvent::OutputLost(bytes.len())), now);
            if !self.pty.has_input() {
                self.set_attached(device, false, now);
            }
            return;
        }
        self.set_attached(device, true, now);
        let line = device.config().port1.serial.params();
        let bytes = self.pty.cross_to_program(bytes, line, now);
        let room = MAX_PENDING.saturating_sub(self.pending.len());
        let keep = bytes.len().min(room);
        self.pending.extend_from_slice(&bytes[..keep]);
        if keep < bytes.len() {
            device.handle(Event::Line(LineEvent::OutputLost(bytes.len() - keep)), now);
        }
        if self.pending.len() >= WRITE_BATCH {
            self.flush();
        }
    }

    /// The PTY reported a hang-up (the program closed the port): the next write checks again
    /// whether a program holds it.
    pub fn hangup_signalled(&mut self) {
        self.holder_seen = false;
    }

    /// The PTY has room again (the loop saw it writable): writes what waits.
    pub fn writable(&mut self) {
        self.pty_full = false;
        self.flush();
    }

    /// Sets the console line's rate (`Some` while the switch is at "console") and shows it to
    /// the next program; the data port's rate again with `None`.
    pub fn set_console_rate(&mut self, rate: Option<u32>) {
        self.console_rate = rate;
        self.presented_rate = None;
        self.pending.clear();
    }

    /// Writes the console's output to the program on the port; with none, it is lost (the
    /// console's output is not data and is not counted).
    pub fn write_console(&mut self, bytes: &[u8]) {
        if !self.pty.peer_attached() {
            return;
        }
        let room = MAX_PENDING.saturating_sub(self.pending.len());
        self.pending
            .extend_from_slice(&bytes[..bytes.len().min(room)]);
        self.flush();
    }

    /// Writes pending bytes as far as the PTY takes them.
    pub fn flush(&mut self) {
        while !self.pending.is_empty() && !self.pty_full {
            match self.pty.write(&self.pending) {
                Ok(0) => {
                    self.pty_full = true;
                    return;
                }
                Ok(n) => {
                    self.pending.drain(..n);
                }
                Err(e) => {
                    tracing::debug!("writing the PTY: {e}");
                    return;
                }
            }
        }
    }

    /// When the next look at the PTY is due.
    pub fn next_watch(&self) -> Instant {
        self.next_watch
    }

    /// Looks whether a program holds the port and which baud rate it set.
    pub fn watch(&mut self, device: &mut Device, now: Instant) {
        if now < self.next_watch {
            return;
        }
        self.next_watch = now + WATCH_INTERVAL;
        // A missed "writable" costs at most one watch interval.
        self.pty_full = false;
        // A program that closed the port is gone only once everything it wrote has been read
        // (the read that finds nothing more reports it).
        let holder = self.pty.peer_attached();
        self.holder_seen = holder;
        let attached = holder || self.pty.has_input();
        self.set_attached(device, attached, now);
        if attached && self.console_rate.is_none() {
            let line = device.config().port1.serial.params();
            if let Some(baud) = self.pty.observed_baud(line) {
                device.handle(Event::Line(LineEvent::ObservedBaud(baud)), now);
            }
        }
    }

    /// Tells the device whether a program holds the port. When the program has gone, what
    /// waited for it here and what it left unread on the slave are lost, and counted so
    /// (`serial_tx_lost`): transmitted = read by a program + counted lost.
    fn set_attached(&mut self, device: &mut Device, attached: bool, now: Instant) {
        if !attached {
            self.holder_seen = false;
        }
        if self.attached && !attached {
            let unread = self.pty.discard_unread_by_program().unwrap_or_else(|e| {
                tracing::debug!("emptying the PTY slave after the program left: {e}");
                0
            });
            let lost = self.pending.len() + unread;
            self.pending.clear();
            if lost > 0 {
                device.handle(Event::Line(LineEvent::OutputLost(lost)), now);
            }
        }
        if attached {
            self.presented_rate = None;
        } else {
            // No program: the port shows the device's rate, so only a rate the next program
            // sets itself can differ from it (HostPty::present_rate).
            let rate = self
                .console_rate
                .unwrap_or(device.config().port1.serial.baud);
            if self.presented_rate != Some(rate) {
                match self.pty.present_rate(rate) {
                    Ok(()) => self.presented_rate = Some(rate),
                    Err(e) => tracing::debug!("setting the PTY's rate: {e}"),
                }
            }
        }
        self.attached = attached;
        device.handle(Event::Line(LineEvent::PeerAttached(attached)), now);
    }
}
