//! Every fault's stable name, its parameters and what it does: the table behind
//! [`super::FaultSpec::parse`], its error messages and `docs/scenarios.md`.

/// One parameter of a fault.
#[derive(Debug, Clone, Copy)]
pub struct ParamInfo {
    /// Its key, e.g. `ber`.
    pub name: &'static str,
    /// What it means and the form of its value.
    pub doc: &'static str,
    /// Its value when not given; `None` makes it required.
    pub default: Option<&'static str>,
}

/// One fault kind.
#[derive(Debug, Clone, Copy)]
pub struct FaultInfo {
    /// The stable name, e.g. `serial.bit_errors`.
    pub name: &'static str,
    /// What it does.
    pub doc: &'static str,
    /// Its own parameters (the common ones are in [`COMMON`]).
    pub params: &'static [ParamInfo],
    /// True for faults that happen once at their start (a reset, a power cycle) rather than
    /// lasting for a while; they take no `duration`.
    pub one_shot: bool,
}

const fn p(name: &'static str, default: Option<&'static str>, doc: &'static str) -> ParamInfo {
    ParamInfo { name, doc, default }
}

const SERIAL_DIR: ParamInfo = p(
    "direction",
    Some("both"),
    "to_device (program → device), from_device (device → program) or both",
);
const NET_DIR: ParamInfo = p(
    "direction",
    Some("both"),
    "to_device (peer → device), from_device (device → peer) or both",
);
const PEER: ParamInfo = p(
    "peer",
    Some("every peer"),
    "name of the simulated host whose link is affected",
);
const ACTION: ParamInfo = p(
    "action",
    Some("corrupt"),
    "corrupt (the byte arrives with random bits flipped) or drop (it is lost)",
);

/// Parameters every fault takes.
pub const COMMON: &[ParamInfo] = &[
    p(
        "id",
        Some("the fault's name"),
        "a name for this instance, used by `clear`",
    ),
    p(
        "start",
        Some("0"),
        "delay before it starts (a step's `inject`: from now; a `[[fault]]`: from power-on)",
    ),
    p(
        "duration",
        Some("until cleared"),
        "how long it lasts (not for one-shot faults)",
    ),
];

/// The catalogue, in documentation order.
pub const FAULTS: &[FaultInfo] = &[
    FaultInfo {
        name: "serial.bit_errors",
        doc: "Flips bits of the frames crossing the serial line at a bit error rate (start, data, parity and stop bits alike); the receiving UART decodes the damaged frames, so a flipped start or stop bit garbles or loses characters.",
        params: &[p("ber", None, "bit error rate, e.g. 1e-4"), SERIAL_DIR],
        one_shot: false,
    },
    FaultInfo {
        name: "serial.framing_errors",
        doc: "Gives characters a bad stop bit with a probability per character; the receiver corrupts or drops them.",
        params: &[p("probability", None, "per character, 0..1 or a percentage"), ACTION, SERIAL_DIR],
        one_shot: false,
    },
    FaultInfo {
        name: "serial.parity_errors",
        doc: "Gives characters a wrong parity bit with a probability per character; the receiver corrupts or drops them.",
        params: &[p("probability", None, "per character, 0..1 or a percentage"), ACTION, SERIAL_DIR],
        one_shot: false,
    },
    FaultInfo {
        name: "serial.drop",
        doc: "Loses characters with a probability per character.",
        params: &[p("probability", None, "per character, 0..1 or a percentage"), SERIAL_DIR],
        one_shot: false,
    },
    FaultInfo {
        name: "serial.baud_mismatch",
        doc: "The serial-side program's UART runs at another baud rate than the device's: frames are re-sampled at bit level at the receiver's rate, as a real UART would, so characters are garbled, split or merged.",
        params: &[p("baud", None, "the program's baud rate, e.g. 19200"), SERIAL_DIR],
        one_shot: false,
    },
    FaultInfo {
        name: "serial.overrun",
        doc: "The receiver's FIFO overruns: of each burst of characters arriving at once, only the first `fifo` are kept.",
        params: &[p("fifo", Some("16"), "characters kept per burst"), SERIAL_DIR],
        one_shot: false,
    },
    FaultInfo {
        name: "net.latency",
        doc: "Adds one-way delay, plus uniform random jitter, to every packet on the link.",
        params: &[p("delay", None, "added one-way delay, e.g. 50ms"), p("jitter", Some("0"), "extra delay drawn uniformly from 0..jitter per packet"), NET_DIR, PEER],
        one_shot: false,
    },
    FaultInfo {
        name: "net.bandwidth",
        doc: "Limits the link's rate: packets queue behind each other and leave at this many bits per second.",
        params: &[p("rate", None, "e.g. 64kbit/s, 1Mbit/s, 10kB/s"), NET_DIR, PEER],
        one_shot: false,
    },
    FaultInfo {
        name: "net.loss",
        doc: "Drops packets with a probability (TCP retransmits, UDP datagrams are gone).",
        params: &[p("probability", None, "per packet"), NET_DIR, PEER],
        one_shot: false,
    },
    FaultInfo {
        name: "net.duplicate",
        doc: "Delivers packets twice with a probability (TCP discards the copy).",
        params: &[p("probability", None, "per packet"), NET_DIR, PEER],
        one_shot: false,
    },
    FaultInfo {
        name: "net.reorder",
        doc: "Holds packets back with a probability so later ones overtake them (TCP reassembles in order).",
        params: &[p("probability", None, "per packet"), p("delay", Some("10ms"), "how long a held packet is held"), NET_DIR, PEER],
        one_shot: false,
    },
    FaultInfo {
        name: "net.partition",
        doc: "Pulls the cable: every packet on the link is lost while it lasts, including those in flight when it starts. TCP notices only through retransmission and keep-alive timeouts.",
        params: &[NET_DIR, PEER],
        one_shot: false,
    },
    FaultInfo {
        name: "net.reset",
        doc: "Resets every open TCP connection on the link once, at its start: both ends see a reset.",
        params: &[PEER],
        one_shot: true,
    },
    FaultInfo {
        name: "net.refuse",
        doc: "New TCP connections are refused (answered with a reset) with a probability, in both directions.",
        params: &[p("probability", Some("1"), "per connection attempt"), PEER],
        one_shot: false,
    },
    FaultInfo {
        name: "net.connect_timeout",
        doc: "Connection requests (SYN) vanish with a probability, so connecting times out.",
        params: &[p("probability", Some("1"), "per SYN packet"), PEER],
        one_shot: false,
    },
    FaultInfo {
        name: "tls.corrupt_record",
        doc: "Flips the last byte of TLS records (a byte of the authentication tag) crossing the link, with a probability per record: the receiver's MAC check fails and the TLS session ends. Streams that are not TLS are untouched.",
        params: &[p("probability", Some("1"), "per TLS record"), NET_DIR, PEER],
        one_shot: false,
    },
    FaultInfo {
        name: "tls.abort_handshake",
        doc: "Cuts (resets, both ends) every TCP connection on the link whose TLS handshake has started (a handshake record crossed) and not finished (no application data yet), at its next payload going `direction`.",
        params: &[NET_DIR, PEER],
        one_shot: false,
    },
    FaultInfo {
        name: "device.power_cycle",
        doc: "Switches the device off at its start and on again `off` later: RAM state (sessions, buffers, counters) is lost, the configuration kept; TCP peers learn it from resets.",
        params: &[p("off", Some("1s"), "how long the device stays off")],
        one_shot: true,
    },
];

/// The entry for `name`, if it is a fault.
pub fn find(name: &str) -> Option<&'static FaultInfo> {
    FAULTS.iter().find(|f| f.name == name)
}

/// Every fault name, for error messages.
pub fn names() -> String {
    FAULTS.iter().map(|f| f.name).collect::<Vec<_>>().join(", ")
}
