//! What a run leaves behind: every event stamped with device time.
//!
//! [`Trace`] is the middleware every boundary reports to. It always keeps the last
//! [`RECENT`] events (for a failure report) and, when asked, writes three traces:
//!
//! * [`json`]: one JSON object per line per event (`docs/traces.md` lists the kinds);
//! * [`vcd`]: the serial lines at bit level plus the modem signals, for GTKWave or PulseView;
//! * [`pcap`]: the device's Ethernet frames as seen at its port, for Wireshark or tshark.

pub mod json;
pub mod pcap;
pub mod records;
pub mod vcd;

use crate::units;
use m2285_core::io::DeviceEvent;
use m2285_time::Instant;
use serde::{Serialize, Serializer};
use std::collections::VecDeque;

/// How many recent events a failure report shows.
pub const RECENT: usize = 20;

/// Bytes in a trace: a JSON string when they are valid UTF-8, else `{"hex": "..."}`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bytes(pub Vec<u8>);

impl Serialize for Bytes {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match std::str::from_utf8(&self.0) {
            Ok(text) => s.serialize_str(text),
            Err(_) => {
                use serde::ser::SerializeMap;
                let mut m = s.serialize_map(Some(1))?;
                m.serialize_entry("hex", &units::to_hex(&self.0))?;
                m.end()
            }
        }
    }
}

/// One thing that happened. The `ev` field of a JSON line names the variant.
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "ev", rename_all = "snake_case")]
pub enum TraceEvent {
    /// A scenario step began.
    Step {
        /// Its line in the scenario file (0 for steps built in Rust).
        line: usize,
        /// What it does.
        step: String,
    },
    /// An expectation was met or failed.
    Expect {
        /// Its line in the scenario file.
        line: usize,
        /// Met?
        ok: bool,
        /// What was expected.
        what: String,
    },
    /// Bytes the serial-side program wrote reached the device (after line faults).
    SerialIn {
        /// What the device got.
        data: Bytes,
        /// What the program sent, when faults changed it.
        #[serde(skip_serializing_if = "Option::is_none")]
        sent: Option<Bytes>,
    },
    /// Bytes the device transmitted reached the program (after line faults).
    SerialOut {
        /// What the program got.
        data: Bytes,
        /// What the device sent, when faults changed it.
        #[serde(skip_serializing_if = "Option::is_none")]
        sent: Option<Bytes>,
    },
    /// Serial bytes that reached nobody.
    SerialLost {
        /// `to_device` or `from_device`.
        dir: &'static str,
        /// The bytes.
        data: Bytes,
        /// Why (`device off`, `port not open`).
        reason: &'static str,
    },
    /// A notification from the device (session opened/closed, ...).
    Device(DeviceEvent),
    /// An instruction from the device to the runtime (other than serial output).
    Action {
        /// Which kind (`listen`, `connect`, `send`, `close`, `set_keepalive`, ...).
        action: &'static str,
        /// The connection, if any.
        #[serde(skip_serializing_if = "Option::is_none")]
        conn: Option<u64>,
        /// Its arguments.
        #[serde(skip_serializing_if = "Option::is_none")]
        detail: Option<String>,
        /// Bytes, for `send`.
        #[serde(skip_serializing_if = "Option::is_none")]
        data: Option<Bytes>,
    },
    /// A network event handed to the device.
    NetEvent {
        /// Which kind (`listening`, `accepted`, `received`, `peer_closed`, `failed`, ...).
        kind: &'static str,
        /// The connection, if any.
        #[serde(skip_serializing_if = "Option::is_none")]
        conn: Option<u64>,
        /// Its arguments.
        #[serde(skip_serializing_if = "Option::is_none")]
        detail: Option<String>,
        /// Bytes, for `received`.
        #[serde(skip_serializing_if = "Option::is_none")]
        data: Option<Bytes>,
    },
    /// A TCP segment left or reached the device's port.
    Packet {
        /// The simulated host at the other end.
        peer: String,
        /// `out` (from the device) or `in` (to the device).
        dir: &'static str,
        /// Flags, e.g. `SA`, `A`, `FA`, `R`.
        flags: String,
        /// Relative sequence number.
        seq: u64,
        /// Relative acknowledgement number.
        ack: u64,
        /// Payload length.
        len: usize,
    },
    /// A UDP datagram left or reached the device's port.
    Datagram {
        /// The simulated host at the other end.
        peer: String,
        /// `out` (from the device) or `in` (to the device).
        dir: &'static str,
        /// Source port.
        src_port: u16,
        /// Destination port.
        dst_port: u16,
        /// Payload length.
        len: usize,
    },
    /// A packet was lost on a link.
    Dropped {
        /// The simulated host at the other end.
        peer: String,
        /// `out` (from the device) or `in` (to the device).
        dir: &'static str,
        /// Why (`partition`, `loss`, `connect_timeout`, `device off`).
        reason: &'static str,
        /// Flags of the lost segment.
        flags: String,
        /// Its payload length.
        len: usize,
    },
    /// A simulated peer's connection changed state.
    PeerState {
        /// The peer.
        peer: String,
        /// The new state.
        state: String,
    },
    /// A simulated peer sent bytes.
    PeerSend {
        /// The peer.
        peer: String,
        /// The bytes.
        data: Bytes,
    },
    /// A simulated peer received bytes.
    PeerReceive {
        /// The peer.
        peer: String,
        /// The bytes.
        data: Bytes,
    },
    /// A fault started or ended.
    Fault {
        /// Its instance id.
        id: String,
        /// Its name.
        name: &'static str,
        /// Started (true) or ended (false).
        on: bool,
    },
    /// The device was switched off or on.
    Power {
        /// On?
        on: bool,
    },
}

/// One trace record: an event and when it happened.
#[derive(Clone, Debug)]
pub struct Record {
    /// Device time since the first power-on.
    pub t: Instant,
    /// What happened.
    pub event: TraceEvent,
}

/// Which traces to write besides the recent-events ring.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TraceOptions {
    /// JSON lines of every event.
    pub json: bool,
    /// VCD of the serial lines.
    pub vcd: bool,
    /// pcap of the device's network frames.
    pub pcap: bool,
}

impl TraceOptions {
    /// Every trace on.
    pub fn all() -> Self {
        TraceOptions {
            json: true,
            vcd: true,
            pcap: true,
        }
    }
}

/// The traces a run wrote.
#[derive(Clone, Debug, Default)]
pub struct TraceOutput {
    /// JSON lines, when asked for.
    pub json: Option<Vec<u8>>,
    /// VCD text, when asked for.
    pub vcd: Option<Vec<u8>>,
    /// pcap file, when asked for.
    pub pcap: Option<Vec<u8>>,
}

/// The recorder every boundary of a simulation reports to.
#[derive(Debug)]
pub struct Trace {
    recent: VecDeque<Record>,
    json: Option<Vec<u8>>,
    /// The VCD recorder, when asked for.
    pub vcd: Option<vcd::VcdRecorder>,
    /// The pcap writer, when asked for.
    pub pcap: Option<pcap::PcapWriter>,
    events: u64,
}

impl Trace {
    /// A recorder writing the traces `options` asks for.
    pub fn new(options: TraceOptions) -> Self {
        Trace {
            recent: VecDeque::with_capacity(RECENT),
            json: options.json.then(Vec::new),
            vcd: options.vcd.then(vcd::VcdRecorder::new),
            pcap: options.pcap.then(pcap::PcapWriter::new),
            events: 0,
        }
    }

    /// Records `event` at `t`.
    pub fn record(&mut self, t: Instant, event: TraceEvent) {
        self.events += 1;
        let record = Record { t, event };
        if let Some(out) = &mut self.json {
            json::write_line(out, &record);
        }
        if self.recent.len() == RECENT {
            self.recent.pop_front();
        }
        self.recent.push_back(record);
    }

    /// The last [`RECENT`] events as JSON lines, oldest first.
    pub fn recent_lines(&self) -> Vec<String> {
        self.recent.iter().map(json::line).collect()
    }

    /// How many events were recorded.
    pub fn event_count(&self) -> u64 {
        self.events
    }

    /// The JSON lines written so far, if asked for.
    pub fn json(&self) -> Option<&[u8]> {
        self.json.as_deref()
    }

    /// Finishes the traces and hands them over.
    pub fn finish(self) -> TraceOutput {
        TraceOutput {
            json: self.json,
            vcd: self.vcd.map(|v| v.to_bytes()),
            pcap: self.pcap.map(pcap::PcapWriter::into_bytes),
        }
    }
}
