//! Faults at the boundaries: the serial line, the network link and the device's power.
//!
//! The device model never knows about faults. They act on what crosses its boundary: bytes on
//! the serial wire ([`serial`], at bit level in [`uart_bits`]), packets on the simulated links
//! ([`net`]), the TLS records in their payload ([`tls`]) and the power switch. Each fault has a stable name (`serial.bit_errors`,
//! `net.partition`, `device.power_cycle`, ...) and string parameters, read by
//! [`FaultSpec::parse`], so the same names and values work in scenario files and, later, in the
//! real-time runtime's control API. The full list is [`catalog::FAULTS`].

pub mod catalog;
pub mod net;
pub mod peer;
pub mod serial;
mod set;
pub mod tls;
pub mod uart_bits;

pub use set::{Counters, FaultSet, Instance};

use crate::units;
use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

/// Which way across a boundary a fault acts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// Towards the device (serial: program → device; network: peer → device).
    ToDevice,
    /// Away from the device.
    FromDevice,
    /// Both ways.
    Both,
}

impl Direction {
    /// True when a fault with this setting acts on traffic going `way`.
    pub fn covers(self, way: Direction) -> bool {
        self == Direction::Both || way == Direction::Both || self == way
    }

    fn parse(text: &str) -> Result<Self, String> {
        match text {
            "to_device" => Ok(Direction::ToDevice),
            "from_device" => Ok(Direction::FromDevice),
            "both" => Ok(Direction::Both),
            _ => Err(format!("to_device, from_device or both, not {text:?}")),
        }
    }
}

/// What a serial receiver does with a character that arrived with a framing or parity error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorAction {
    /// Deliver it with random bits flipped.
    Corrupt,
    /// Lose it.
    Drop,
}

/// What a fault does, with its own parameters.
#[derive(Clone, Debug, PartialEq)]
pub enum FaultKind {
    /// `serial.bit_errors`: flip frame bits at this bit error rate.
    SerialBitErrors {
        /// Bit error rate.
        ber: f64,
    },
    /// `serial.framing_errors`: bad stop bits.
    SerialFramingErrors {
        /// Per character.
        probability: f64,
        /// What the receiver does.
        action: ErrorAction,
    },
    /// `serial.parity_errors`: wrong parity bits.
    SerialParityErrors {
        /// Per character.
        probability: f64,
        /// What the receiver does.
        action: ErrorAction,
    },
    /// `serial.drop`: lost characters.
    SerialDrop {
        /// Per character.
        probability: f64,
    },
    /// `serial.baud_mismatch`: the program's UART runs at `baud`.
    SerialBaudMismatch {
        /// The program's baud rate.
        baud: u32,
    },
    /// `serial.overrun`: only `fifo` characters of each burst survive.
    SerialOverrun {
        /// Characters kept per burst.
        fifo: usize,
    },
    /// `net.latency`: extra one-way delay and jitter.
    NetLatency {
        /// Added delay.
        delay: Duration,
        /// Uniform extra delay, `0..=jitter`.
        jitter: Duration,
    },
    /// `net.bandwidth`: link rate limit.
    NetBandwidth {
        /// Bits per second.
        bits_per_s: u64,
    },
    /// `net.loss`: packet loss.
    NetLoss {
        /// Per packet.
        probability: f64,
    },
    /// `net.duplicate`: packet duplication.
    NetDuplicate {
        /// Per packet.
        probability: f64,
    },
    /// `net.reorder`: packets held back.
    NetReorder {
        /// Per packet.
        probability: f64,
        /// How long a held packet waits.
        delay: Duration,
    },
    /// `net.partition`: the cable is pulled.
    NetPartition,
    /// `net.reset`: open connections are reset once.
    NetReset,
    /// `net.refuse`: connection attempts are refused.
    NetRefuse {
        /// Per attempt.
        probability: f64,
    },
    /// `net.connect_timeout`: SYNs vanish.
    NetConnectTimeout {
        /// Per SYN.
        probability: f64,
    },
    /// `tls.corrupt_record`: a byte of TLS records is flipped.
    TlsCorruptRecord {
        /// Per record.
        probability: f64,
    },
    /// `tls.abort_handshake`: connections in a TLS handshake are reset.
    TlsAbortHandshake,
    /// `device.power_cycle`: off, then on again.
    DevicePowerCycle {
        /// Time spent off.
        off: Duration,
    },
}

/// One fault as asked for: its kind, when, where and which way.
#[derive(Clone, Debug, PartialEq)]
pub struct FaultSpec {
    /// The stable fault name, e.g. `net.partition`.
    pub name: &'static str,
    /// The instance name `clear` uses (defaults to the fault name).
    pub id: String,
    /// What it does.
    pub kind: FaultKind,
    /// Delay before it starts.
    pub start: Duration,
    /// How long it lasts; `None` = until cleared (one-shot faults ignore it).
    pub duration: Option<Duration>,
    /// Which way it acts.
    pub direction: Direction,
    /// The simulated host whose link it affects (network faults); `None` = every link.
    pub peer: Option<String>,
}

/// A mistake in a fault's name or parameters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FaultError {
    /// The parameter at fault; `None` for the name itself.
    pub key: Option<String>,
    /// What is wrong and what was expected.
    pub message: String,
}

impl fmt::Display for FaultError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.key {
            Some(k) => write!(f, "parameter `{k}`: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl FaultSpec {
    /// Reads a fault from its name and `key = value` parameters, all as strings (durations
    /// like `20ms`, probabilities like `1e-4` or `5%`, rates like `64kbit/s`). Every mistake is
    /// reported, each naming its parameter and what was expected.
    pub fn parse<'a>(
        name: &str,
        params: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<FaultSpec, Vec<FaultError>> {
        let Some(info) = catalog::find(name) else {
            return Err(vec![FaultError {
                key: None,
                message: format!(
                    "unknown fault {name:?}; expected one of {}",
                    catalog::names()
                ),
            }]);
        };
        let mut r = Reader {
            info,
            given: BTreeMap::new(),
            errors: Vec::new(),
        };
        for (key, value) in params {
            let known = catalog::COMMON
                .iter()
                .chain(info.params)
                .any(|p| p.name == key && !(info.one_shot && key == "duration"));
            if known {
                r.given.insert(key, value);
            } else {
                let allowed: Vec<&str> = catalog::COMMON
                    .iter()
                    .chain(info.params)
                    .map(|p| p.name)
                    .filter(|n| !(info.one_shot && *n == "duration"))
                    .collect();
                r.error(
                    key,
                    format!("unknown for {name}; expected one of {}", allowed.join(", ")),
                );
            }
        }
        let kind = r.kind();
        let start = r
            .opt("start", units::parse_duration)
            .unwrap_or(Duration::ZERO);
        let duration = r.opt("duration", units::parse_duration);
        let direction = r
            .opt("direction", Direction::parse)
            .unwrap_or(Direction::Both);
        let peer = r.given.get("peer").map(|s| (*s).to_owned());
        let id = r.given.get("id").map_or(info.name, |s| *s).to_owned();
        match kind {
            Some(kind) if r.errors.is_empty() => Ok(FaultSpec {
                name: info.name,
                id,
                kind,
                start,
                duration,
                direction,
                peer,
            }),
            _ => Err(r.errors),
        }
    }

    /// True for faults that happen once (see [`catalog::FaultInfo::one_shot`]).
    pub fn is_one_shot(&self) -> bool {
        matches!(
            self.kind,
            FaultKind::NetReset | FaultKind::DevicePowerCycle { .. }
        )
    }

    /// True for faults on the serial line.
    pub fn is_serial(&self) -> bool {
        self.name.starts_with("serial.")
    }
}

/// Reads the parameters of one fault, collecting mistakes.
struct Reader<'a> {
    info: &'static catalog::FaultInfo,
    given: BTreeMap<&'a str, &'a str>,
    errors: Vec<FaultError>,
}

impl Reader<'_> {
    fn error(&mut self, key: &str, message: String) {
        self.errors.push(FaultError {
            key: Some(key.to_owned()),
            message,
        });
    }

    /// The parameter read with `parse`, or `None` when absent or wrong (the mistake is kept).
    fn opt<T>(&mut self, key: &str, parse: impl Fn(&str) -> Result<T, String>) -> Option<T> {
        let raw = *self.given.get(key)?;
        match parse(raw) {
            Ok(v) => Some(v),
            Err(e) => {
                self.error(key, format!("expected {e}"));
                None
            }
        }
    }

    /// The parameter, its catalogue default when absent, or a "missing" mistake.
    fn req<T>(&mut self, key: &str, parse: impl Fn(&str) -> Result<T, String>) -> Option<T> {
        if self.given.contains_key(key) {
            return self.opt(key, parse);
        }
        let default = self
            .info
            .params
            .iter()
            .find(|p| p.name == key)
            .and_then(|p| p.default);
        match default {
            Some(d) => parse(d).ok(),
            None => {
                let doc = self
                    .info
                    .params
                    .iter()
                    .find(|p| p.name == key)
                    .map_or("", |p| p.doc);
                self.error(key, format!("missing; {} needs it ({doc})", self.info.name));
                None
            }
        }
    }

    fn kind(&mut self) -> Option<FaultKind> {
        let prob = units::parse_probability;
        let dur = units::parse_duration;
        Some(match self.info.name {
            "serial.bit_errors" => FaultKind::SerialBitErrors {
                ber: self.req("ber", prob)?,
            },
            "serial.framing_errors" => {
                let probability = self.req("probability", prob);
                let action = self.req("action", parse_action);
                FaultKind::SerialFramingErrors {
                    probability: probability?,
                    action: action?,
                }
            }
            "serial.parity_errors" => {
                let probability = self.req("probability", prob);
                let action = self.req("action", parse_action);
                FaultKind::SerialParityErrors {
                    probability: probability?,
                    action: action?,
                }
            }
            "serial.drop" => FaultKind::SerialDrop {
                probability: self.req("probability", prob)?,
            },
            "serial.baud_mismatch" => FaultKind::SerialBaudMismatch {
                baud: self.req("baud", |s| parse_int(s, 50, 4_000_000))? as u32,
            },
            "serial.overrun" => FaultKind::SerialOverrun {
                fifo: self.req("fifo", |s| parse_int(s, 0, 1 << 20))? as usize,
            },
            "net.latency" => {
                let delay = self.req("delay", dur);
                let jitter = self.req("jitter", dur);
                FaultKind::NetLatency {
                    delay: delay?,
                    jitter: jitter?,
                }
            }
            "net.bandwidth" => FaultKind::NetBandwidth {
                bits_per_s: self.req("rate", units::parse_bit_rate)?,
            },
            "net.loss" => FaultKind::NetLoss {
                probability: self.req("probability", prob)?,
            },
            "net.duplicate" => FaultKind::NetDuplicate {
                probability: self.req("probability", prob)?,
            },
            "net.reorder" => {
                let probability = self.req("probability", prob);
                let delay = self.req("delay", dur);
                FaultKind::NetReorder {
                    probability: probability?,
                    delay: delay?,
                }
            }
            "net.partition" => FaultKind::NetPartition,
            "net.reset" => FaultKind::NetReset,
            "net.refuse" => FaultKind::NetRefuse {
                probability: self.req("probability", prob)?,
            },
            "net.connect_timeout" => FaultKind::NetConnectTimeout {
                probability: self.req("probability", prob)?,
            },
            "tls.corrupt_record" => FaultKind::TlsCorruptRecord {
                probability: self.req("probability", prob)?,
            },
            "tls.abort_handshake" => FaultKind::TlsAbortHandshake,
            "device.power_cycle" => FaultKind::DevicePowerCycle {
                off: self.req("off", dur)?,
            },
            _ => return None,
        })
    }
}

fn parse_action(text: &str) -> Result<ErrorAction, String> {
    match text {
        "corrupt" => Ok(ErrorAction::Corrupt),
        "drop" => Ok(ErrorAction::Drop),
        _ => Err(format!("corrupt or drop, not {text:?}")),
    }
}

fn parse_int(text: &str, min: u64, max: u64) -> Result<u64, String> {
    match text.trim().parse::<u64>() {
        Ok(v) if (min..=max).contains(&v) => Ok(v),
        _ => Err(format!("an integer from {min} to {max}, not {text:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_names_and_params() {
        let f = FaultSpec::parse(
            "serial.bit_errors",
            [
                ("ber", "1e-4"),
                ("direction", "to_device"),
                ("duration", "5s"),
            ],
        );
        let f = f.unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(f.kind, FaultKind::SerialBitErrors { ber: 1e-4 });
        assert_eq!(f.direction, Direction::ToDevice);
        assert_eq!(f.duration, Some(Duration::from_secs(5)));
        assert_eq!(f.id, "serial.bit_errors");
        let p = FaultSpec::parse("net.partition", [("peer", "scada"), ("id", "cut")]);
        let p = p.unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!((p.id.as_str(), p.peer.as_deref()), ("cut", Some("scada")));
        let pc = FaultSpec::parse("device.power_cycle", []);
        assert!(matches!(
            pc.map(|f| f.kind),
            Ok(FaultKind::DevicePowerCycle { off }) if off == Duration::from_secs(1)
        ));
    }

    #[test]
    fn every_mistake_is_named() {
        let errors = FaultSpec::parse(
            "net.latency",
            [("jitter", "lots"), ("colour", "red"), ("direction", "up")],
        )
        .err()
        .unwrap_or_default();
        let keys: Vec<_> = errors.iter().filter_map(|e| e.key.as_deref()).collect();
        assert_eq!(
            keys,
            ["colour", "delay", "jitter", "direction"],
            "{errors:?}"
        );
        let unknown = FaultSpec::parse("net.gremlins", [])
            .err()
            .unwrap_or_default();
        assert!(unknown[0].message.contains("net.partition"));
        let one_shot = FaultSpec::parse("net.reset", [("duration", "1s")]);
        assert!(one_shot.is_err());
    }

    #[test]
    fn every_catalogue_entry_parses_with_its_required_params() {
        for info in catalog::FAULTS {
            let params: Vec<(&str, &str)> = info
                .params
                .iter()
                .filter(|p| p.default.is_none())
                .map(|p| {
                    let v = match p.name {
                        "ber" | "probability" => "0.5",
                        "baud" => "19200",
                        "rate" => "1Mbit/s",
                        _ => "10ms",
                    };
                    (p.name, v)
                })
                .collect();
            let parsed = FaultSpec::parse(info.name, params);
            assert!(parsed.is_ok(), "{}: {parsed:?}", info.name);
            assert_eq!(parsed.map(|f| f.is_one_shot()).ok(), Some(info.one_shot));
        }
    }
}
