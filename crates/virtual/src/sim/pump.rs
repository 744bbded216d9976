//! Moving things between the device and its boundaries until nothing more happens at this
//! instant: the device's actions are carried out, the network's events and the serial
//! program's bytes are fed in as the device has room, and the network's wake-ups go into the
//! queue.

use super::{SessionRecord, SimEvent, Simulation};
use crate::faults::serial::{self as serial_faults, LineSetup};
use crate::faults::Direction;
use crate::network::Ctx;
use crate::trace::{records, Bytes, TraceEvent};
use m2285_core::io::{Action, DeviceEvent};
use m2285_core::{Event, LineEvent};

impl Simulation {
    /// Carries out everything due at the current instant.
    pub(super) fn pump(&mut self) {
        loop {
            self.schedule_wakeups();
            let actions: Vec<Action> = match &mut self.device {
                Some(d) => std::iter::from_fn(|| d.poll_action()).collect(),
                None => Vec::new(),
            };
            if !actions.is_empty() {
                for action in actions {
                    self.carry_out(action);
                }
                continue;
            }
            if let Some(event) = self.net.to_device.pop_front() {
                self.trace.record(self.now, records::net_event(&event));
                if let Some(d) = &mut self.device {
                    d.handle(Event::Net(event), self.now);
                }
                continue;
            }
            if self.net.has_pending_for_device() {
                let device = self.device.as_ref();
                self.net
                    .deliver_to_device(|c| device.map_or(0, |d| d.net_input_room(c)));
                if !self.net.to_device.is_empty() {
                    continue;
                }
            }
            if self.serial.pending() > 0 && self.feed_serial() {
                continue;
            }
            break;
        }
        self.sample_lines();
    }

    fn schedule_wakeups(&mut self) {
        for (at, wake) in self.net.wakeups.drain(..) {
            self.sched.schedule(at, SimEvent::Net(wake));
        }
    }

    fn line_setup(&self) -> LineSetup {
        LineSetup {
            device: self.config().port1.serial.params(),
            program_baud: self.serial.baud,
        }
    }

    /// Puts the program's written bytes on the wire as far as the device has room; true if
    /// anything moved.
    fn feed_serial(&mut self) -> bool {
        let Some(device) = &self.device else {
            let lost = self.serial.take(usize::MAX);
            self.trace.record(
                self.now,
                TraceEvent::SerialLost {
                    dir: "to_device",
                    data: Bytes(lost),
                    reason: "device off",
                },
            );
            return true;
        };
        let room = device.serial_input_room();
        if room == 0 {
            return false;
        }
        let sent = self.serial.take(room);
        let setup = self.line_setup();
        let way = Direction::ToDevice;
        if let Some(vcd) = &mut self.trace.vcd {
            vcd.crossing(&self.faults, &setup, way, &sent, self.now);
        }
        let crossing = serial_faults::cross(&mut self.faults, &setup, way, &sent);
        let record = records::serial_crossing(way, &sent, &crossing.bytes);
        self.trace.record(self.now, record);
        if !crossing.bytes.is_empty() {
            if let Some(d) = &mut self.device {
                d.handle(Event::Line(LineEvent::Received(crossing.bytes)), self.now);
            }
        }
        true
    }

    fn carry_out(&mut self, action: Action) {
        match action {
            Action::SerialTx(bytes) => self.serial_out(bytes),
            Action::Notify(event) => self.device_notify(event),
            Action::WriteState { file, bytes } => {
                self.state_files.insert(file, bytes);
            }
            Action::Flash(op) => self.flash_start(op),
            other => {
                self.trace.record(self.now, records::action(&other));
                let mut ctx = Ctx {
                    now: self.now,
                    faults: &mut self.faults,
                    trace: &mut self.trace,
                };
                self.net.device_action(&mut ctx, &other);
            }
        }
    }

    /// Bytes that finished crossing the wire towards the program.
    fn serial_out(&mut self, bytes: Vec<u8>) {
        let setup = self.line_setup();
        if let Some(vcd) = &mut self.trace.vcd {
            let way = Direction::FromDevice;
            vcd.crossing(&self.faults, &setup, way, &bytes, self.now);
        }
        if !self.serial.attached {
            let n = bytes.len();
            self.trace.record(
                self.now,
                TraceEvent::SerialLost {
                    dir: "from_device",
                    data: Bytes(bytes),
                    reason: "port not open",
                },
            );
            if let Some(d) = &mut self.device {
                d.handle(Event::Line(LineEvent::OutputLost(n)), self.now);
            }
            return;
        }
        let way = Direction::FromDevice;
        let crossing = serial_faults::cross(&mut self.faults, &setup, way, &bytes);
        self.serial.received.extend_from_slice(&crossing.bytes);
        let record = records::serial_crossing(way, &bytes, &crossing.bytes);
        self.trace.record(self.now, record);
    }

    fn device_notify(&mut self, event: DeviceEvent) {
        match &event {
            DeviceEvent::SessionOpened { conn, .. } => {
                self.sessions.push(SessionRecord {
                    conn: *conn,
                    peer: self.net.peer_of(*conn).map(str::to_owned),
                    opened: self.now,
                    closed: None,
                });
            }
            DeviceEvent::SessionClosed { conn, reason, .. } => {
                let why = reason.to_string();
                if let Some(s) = self
                    .sessions
                    .iter_mut()
                    .rev()
                    .find(|s| s.conn == *conn && s.closed.is_none())
                {
                    s.closed = Some((self.now, why));
                }
            }
            _ => {}
        }
        self.trace.record(self.now, TraceEvent::Device(event));
    }
}
