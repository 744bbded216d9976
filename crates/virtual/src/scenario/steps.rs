//! Reading `[[step]]` tables: one action key per step, its own keys, nested `repeat` blocks,
//! and the check that every peer a step names exists.

use super::toml_read::{self as tr, Doc, Fields};
use super::{Condition, Expect, Scenario, Step, StepKind, StoreStep};
use crate::network::PeerState;
use crate::units;
use m2285_core::lines::InputLine;
use m2285_core::stats::PortStats;
use std::collections::BTreeSet;
use std::time::Duration;
use toml::de::{DeTable, DeValue};

/// Each action key and the other keys its step may have.
const VERBS: &[(&str, &[&str])] = &[
    ("serial_send", &[]),
    ("serial_attach", &[]),
    ("set_line", &["high"]),
    ("serial_break", &[]),
    ("connect", &["port"]),
    ("peer_send", &["text", "hex"]),
    ("peer_send_udp", &["text", "hex", "port"]),
    ("peer_close", &[]),
    ("wait", &[]),
    ("inject", &["<the fault's parameters>"]),
    ("clear", &[]),
    ("power_cycle", &[]),
    ("config_set", &[]),
    ("apply", &[]),
    ("discard", &[]),
    ("save", &[]),
    ("reboot", &[]),
    ("factory_reset", &[]),
    ("expect_saved", &["within", "not"]),
    ("expect_running", &["within", "not"]),
    ("expect_serial", &["within", "not"]),
    ("expect_peer", &["text", "hex", "within", "not"]),
    ("expect_peer_state", &["state", "within", "not"]),
    ("expect_session_opened", &["within", "not"]),
    ("expect_session_closed", &["reason", "within", "not"]),
    ("expect_stat", &["equals", "within", "not"]),
    ("repeat", &["do"]),
];

/// Longest `repeat`.
const MAX_REPEAT: i64 = 100_000_000;

/// Peer names: the declared ones and every use, checked once the whole file is read.
#[derive(Default)]
pub(crate) struct PeerRefs {
    declared: BTreeSet<String>,
    connected: Vec<String>,
    used: Vec<(String, usize)>,
}

impl PeerRefs {
    /// Declares a host name; false if it was already declared.
    pub(crate) fn declare(&mut self, name: &str) -> bool {
        self.declared.insert(name.to_owned())
    }

    /// Reports uses of undeclared peers; peers only ever connected become client hosts.
    pub(crate) fn check(self, doc: &mut Doc, s: &mut Scenario) {
        let mut known = self.declared.clone();
        for name in &self.connected {
            if known.insert(name.clone()) {
                s.peers.push((name.clone(), None));
            }
        }
        for (name, at) in self.used {
            if !known.contains(&name) {
                let list: Vec<&str> = known.iter().map(String::as_str).collect();
                doc.error(
                    at,
                    format!(
                        "unknown peer {name:?}: declare it with [[peer]] or a `connect` step (known: {})",
                        if list.is_empty() { "none".to_owned() } else { list.join(", ") }
                    ),
                );
            }
        }
    }
}

/// Reads a list of step tables.
pub(crate) fn parse_steps(
    doc: &mut Doc,
    tables: &[(&DeTable<'_>, usize)],
    refs: &mut PeerRefs,
) -> Vec<Step> {
    tables
        .iter()
        .filter_map(|(t, at)| step(doc, t, *at, refs))
        .collect()
}

fn step(doc: &mut Doc, t: &DeTable<'_>, at: usize, refs: &mut PeerRefs) -> Option<Step> {
    let mut f = Fields::new(t);
    let verbs: Vec<&str> = VERBS.iter().map(|(v, _)| *v).filter(|v| f.has(v)).collect();
    let verb = match verbs.as_slice() {
        [one] => *one,
        [] => {
            let names: Vec<&str> = VERBS.iter().map(|(v, _)| *v).collect();
            doc.error(
                at,
                format!(
                    "a step needs one action; expected one of: {}",
                    names.join(", ")
                ),
            );
            return None;
        }
        [first, second, ..] => {
            let at = f.take(second).map_or(at, |v| v.span().start);
            doc.error(
                at,
                format!("a step has one action; found both `{first}` and `{second}`"),
            );
            return None;
        }
    };
    let v = f.take(verb)?;
    let vat = v.span().start;
    let line = doc.line(vat);
    let peer = |doc: &mut Doc, refs: &mut PeerRefs| -> Option<String> {
        let name = tr::string(doc, v, "a peer name")?.to_owned();
        refs.used.push((name.clone(), vat));
        Some(name)
    };
    let kind = match verb {
        "serial_send" => data_value(doc, v).map(StepKind::SerialSend),
        "serial_attach" => tr::boolean(doc, v, "`serial_attach`").map(StepKind::SerialAttach),
        "set_line" => {
            let line = tr::string(doc, v, "a line name").and_then(|name| {
                let line = match name {
                    "dsr" => Some(InputLine::Dsr),
                    "cts" => Some(InputLine::Cts),
                    "dcd" => Some(InputLine::Dcd),
                    "ri" => Some(InputLine::Ri),
                    _ => None,
                };
                if line.is_none() {
                    doc.error(
                        vat,
                        format!("`set_line`: expected dsr, cts, dcd or ri, not {name:?}"),
                    );
                }
                line
            });
            let high = match f.take("high") {
                Some(h) => tr::boolean(doc, h, "`high`"),
                None => {
                    doc.error(vat, "`set_line` needs `high = true` or `high = false`");
                    None
                }
            };
            Some(StepKind::SetLine {
                line: line?,
                high: high?,
            })
        }
        "serial_break" => duration(doc, v, "`serial_break`").map(StepKind::SerialBreak),
        "connect" => {
            let name = tr::string(doc, v, "a peer name").map(str::to_owned);
            let port = f
                .take("port")
                .map(|p| tr::integer(doc, p, "a TCP port", 1, 65535).map(|p| p as u16));
            let name = name?;
            refs.connected.push(name.clone());
            Some(StepKind::Connect {
                peer: name,
                port: port.flatten(),
            })
        }
        "peer_send" => {
            let name = peer(doc, refs);
            let data = text_or_hex(doc, &mut f, at);
            Some(StepKind::PeerSend {
                peer: name?,
                data: data?,
            })
        }
        "peer_send_udp" => {
            let name = peer(doc, refs);
            let data = text_or_hex(doc, &mut f, at);
            let port = f
                .take("port")
                .map(|p| tr::integer(doc, p, "a UDP port", 1, 65535).map(|p| p as u16));
            Some(StepKind::PeerSendUdp {
                peer: name?,
                port: port.flatten(),
                data: data?,
            })
        }
        "peer_close" => peer(doc, refs).map(|peer| StepKind::PeerClose { peer }),
        "wait" => duration(doc, v, "`wait`").map(StepKind::Wait),
        "inject" => {
            let name = tr::string(doc, v, "a fault name");
            let params = f.rest();
            super::parse::fault(doc, name?, vat, &params).map(StepKind::Inject)
        }
        "clear" => tr::string(doc, v, "a fault id").map(|id| StepKind::Clear(id.to_owned())),
        "power_cycle" => {
            duration(doc, v, "the time the device stays off").map(StepKind::PowerCycle)
        }
        "config_set" => key_values(doc, v).map(StepKind::ConfigSet),
        "apply" | "discard" | "save" | "reboot" => {
            let what = match verb {
                "apply" => StoreStep::Apply,
                "discard" => StoreStep::Discard,
                "save" => StoreStep::Save,
                _ => StoreStep::Reboot,
            };
            match tr::boolean(doc, v, &format!("`{verb} = true`")) {
                Some(true) => Some(StepKind::Store(what)),
                Some(false) => {
                    doc.error(vat, format!("`{verb}` takes only true"));
                    None
                }
                None => None,
            }
        }
        "factory_reset" => match tr::string(doc, v, "all or keep_network") {
            Some("all") => Some(StepKind::Store(StoreStep::FactoryReset {
                keep_network: false,
            })),
            Some("keep_network") => Some(StepKind::Store(StoreStep::FactoryReset {
                keep_network: true,
            })),
            Some(other) => {
                doc.error(
                    vat,
                    format!("`factory_reset`: expected \"all\" or \"keep_network\", not {other:?}"),
                );
                None
            }
            None => None,
        },
        "repeat" => {
            let times = tr::integer(doc, v, "how many times", 1, MAX_REPEAT);
            let inner = match f.take("do") {
                Some(d) => {
                    let tables = tr::tables(doc, d, "step.do");
                    Some(parse_steps(doc, &tables, refs))
                }
                None => {
                    doc.error(vat, "a `repeat` step needs its steps as [[step.do]] tables");
                    None
                }
            };
            Some(StepKind::Repeat {
                times: times? as u32,
                steps: inner?,
            })
        }
        expect => expectation(doc, expect, v, &mut f, refs).map(StepKind::Expect),
    };
    let allowed: Vec<&str> = VERBS
        .iter()
        .find(|(v, _)| *v == verb)
        .map(|(v, keys)| std::iter::once(*v).chain(keys.iter().copied()).collect())
        .unwrap_or_default();
    f.finish(doc, &format!("a `{verb}` step"), &allowed);
    kind.map(|kind| Step { line, kind })
}

fn expectation(
    doc: &mut Doc,
    verb: &str,
    v: &tr::Val<'_>,
    f: &mut Fields<'_, '_>,
    refs: &mut PeerRefs,
) -> Option<Expect> {
    let vat = v.span().start;
    let within = f
        .take("within")
        .map_or(Some(Duration::ZERO), |w| duration(doc, w, "`within`"));
    let not = f
        .take("not")
        .map_or(Some(false), |n| tr::boolean(doc, n, "`not`"));
    let mut peer = |doc: &mut Doc| -> Option<String> {
        let name = tr::string(doc, v, "a peer name")?.to_owned();
        refs.used.push((name.clone(), vat));
        Some(name)
    };
    let condition = match verb {
        "expect_serial" => data_value(doc, v).map(Condition::Serial),
        "expect_peer" => {
            let name = peer(doc);
            let data = text_or_hex(doc, f, vat);
            Some(Condition::Peer {
                peer: name?,
                data: data?,
            })
        }
        "expect_peer_state" => {
            let name = peer(doc);
            let state = match f.take("state") {
                Some(s) => tr::string(doc, s, "a state").and_then(|text| {
                    let state = PeerState::parse(text);
                    if state.is_none() {
                        doc.error(
                            s.span().start,
                            format!("`state`: expected connecting, connected, refused, timed_out, closed or reset, not {text:?}"),
                        );
                    }
                    state
                }),
                None => {
                    doc.error(vat, "`expect_peer_state` needs `state`, e.g. state = \"connected\"");
                    None
                }
            };
            Some(Condition::PeerState {
                peer: name?,
                state: state?,
            })
        }
        "expect_session_opened" => peer(doc).map(|peer| Condition::SessionOpened { peer }),
        "expect_session_closed" => {
            let name = peer(doc);
            let reason = f
                .take("reason")
                .map(|r| tr::string(doc, r, "text the close reason contains").map(str::to_owned));
            Some(Condition::SessionClosed {
                peer: name?,
                reason: reason.flatten(),
            })
        }
        "expect_saved" => key_values(doc, v).map(|values| Condition::Config {
            saved: true,
            values,
        }),
        "expect_running" => key_values(doc, v).map(|values| Condition::Config {
            saved: false,
            values,
        }),
        "expect_stat" => {
            let name = tr::string(doc, v, "a counter name").and_then(|n| {
                let known = counter_names();
                if known.iter().any(|k| k == n) {
                    Some(n.to_owned())
                } else {
                    doc.error(
                        vat,
                        format!(
                            "unknown counter {n:?}; expected one of: {}",
                            known.join(", ")
                        ),
                    );
                    None
                }
            });
            let value = match f.take("equals") {
                Some(e) => tr::integer(doc, e, "the counter's value", 0, i64::MAX),
                None => {
                    doc.error(vat, "`expect_stat` needs `equals`, e.g. equals = 1");
                    None
                }
            };
            Some(Condition::Stat {
                name: name?,
                value: value? as u64,
            })
        }
        _ => None,
    };
    Some(Expect {
        condition: condition?,
        within: within?,
        not: not?,
    })
}

/// The counters of port 1, by name.
pub(crate) fn counter_names() -> Vec<String> {
    match serde_json::to_value(PortStats::default()) {
        Ok(serde_json::Value::Object(m)) => m.keys().cloned().collect(),
        _ => Vec::new(),
    }
}

fn duration(doc: &mut Doc, v: &tr::Val<'_>, what: &str) -> Option<Duration> {
    let text = tr::string(doc, v, &format!("{what} as a duration like \"20ms\""))?;
    units::parse_duration(text)
        .map_err(|e| doc.error(v.span().start, format!("{what}: expected {e}")))
        .ok()
}

/// Bytes given as the action's value: a string (text) or `{ hex = "0d0a" }`.
fn data_value(doc: &mut Doc, v: &tr::Val<'_>) -> Option<Vec<u8>> {
    match v.get_ref() {
        DeValue::String(s) => Some(s.as_bytes().to_vec()),
        DeValue::Table(t) => {
            let mut f = Fields::new(t);
            let bytes = match f.take("hex") {
                Some(h) => hex(doc, h),
                None => {
                    doc.error(v.span().start, "expected { hex = \"...\" } or a string");
                    None
                }
            };
            f.finish(doc, "inline bytes", &["hex"]);
            bytes
        }
        other => {
            doc.error(
                v.span().start,
                format!(
                    "expected bytes as a string or {{ hex = \"...\" }}, found {}",
                    tr::type_name(other)
                ),
            );
            None
        }
    }
}

/// Bytes given as a `text` or `hex` key of the step.
fn text_or_hex(doc: &mut Doc, f: &mut Fields<'_, '_>, at: usize) -> Option<Vec<u8>> {
    match (f.take("text"), f.take("hex")) {
        (Some(t), None) => tr::string(doc, t, "text").map(|s| s.as_bytes().to_vec()),
        (None, Some(h)) => hex(doc, h),
        (Some(_), Some(h)) => {
            doc.error(
                h.span().start,
                "give the bytes as `text` or as `hex`, not both",
            );
            None
        }
        (None, None) => {
            doc.error(
                at,
                "the bytes are missing: add text = \"...\" or hex = \"...\"",
            );
            None
        }
    }
}

fn hex(doc: &mut Doc, v: &tr::Val<'_>) -> Option<Vec<u8>> {
    let text = tr::string(doc, v, "hexadecimal bytes")?;
    units::parse_hex(text)
        .map_err(|e| doc.error(v.span().start, format!("`hex`: expected {e}")))
        .ok()
}

/// A list of `"KEY=VALUE"` strings, each checked against the schema (a value as `--set` takes
/// it); returned as (key, value) pairs.
fn key_values(doc: &mut Doc, v: &tr::Val<'_>) -> Option<Vec<(String, String)>> {
    let DeValue::Array(items) = v.get_ref() else {
        doc.error(
            v.span().start,
            "expected a list like [\"port1.serial.baud=19200\"]",
        );
        return None;
    };
    let mut out = Vec::new();
    let mut ok = true;
    for item in items {
        let Some(text) = tr::string(doc, item, "\"KEY=VALUE\"") else {
            ok = false;
            continue;
        };
        let Some((key, value)) = text.split_once('=') else {
            doc.error(item.span().start, format!("{text:?}: expected KEY=VALUE"));
            ok = false;
            continue;
        };
        if let Err(errors) = m2285_core::Config::factory().with_set(key.trim(), value.trim()) {
            for e in errors {
                doc.error(item.span().start, format!("{e}"));
            }
            ok = false;
            continue;
        }
        out.push((key.trim().to_owned(), value.trim().to_owned()));
    }
    (ok && !out.is_empty()).then_some(out)
}
