//! Reading a scenario file: every key checked, every mistake collected with its line number,
//! nothing run until the whole file is right.

use super::steps::{self, PeerRefs};
use super::toml_read::{self as tr, Doc, Fields};
use super::Scenario;
use crate::faults::FaultSpec;
use crate::network::NetParams;
use crate::units;
use m2285_core::Config;
use std::fmt;
use std::net::{Ipv4Addr, SocketAddrV4};
use std::path::{Path, PathBuf};
use toml::de::DeTable;

/// One mistake in a scenario file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScenarioError {
    /// 1-based line (0: the file as a whole).
    pub line: usize,
    /// What is wrong and what was expected.
    pub message: String,
}

/// Every mistake found in a scenario file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScenarioErrors {
    /// The file (or `<scenario>` for text).
    pub file: String,
    /// The mistakes, in line order.
    pub errors: Vec<ScenarioError>,
}

impl fmt::Display for ScenarioErrors {
    /// One mistake per line: `file:line: message`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (n, e) in self.errors.iter().enumerate() {
            if n > 0 {
                writeln!(f)?;
            }
            write!(f, "{}:{}: {}", self.file, e.line, e.message)?;
        }
        Ok(())
    }
}

impl std::error::Error for ScenarioErrors {}

const TOP_KEYS: &[&str] = &[
    "name",
    "description",
    "seed",
    "device",
    "serial",
    "network",
    "peer",
    "server",
    "fault",
    "step",
];

/// Reads and checks a scenario file. A `[device] config` path is taken relative to the file.
pub fn parse_file(path: impl AsRef<Path>) -> Result<Scenario, ScenarioErrors> {
    let path = path.as_ref();
    let file = path.display().to_string();
    let text =
        m2285_hostfs::read_regular_text(path, m2285_hostfs::USER_FILE_LIMIT).map_err(|e| {
            ScenarioErrors {
                file: file.clone(),
                errors: vec![ScenarioError {
                    line: 0,
                    message: format!("cannot read the scenario: {e}"),
                }],
            }
        })?;
    let mut s = parse_text(&text, &file, path.parent())?;
    if s.name.is_empty() {
        s.name = path
            .file_stem()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
    }
    s.path = Some(path.to_path_buf());
    Ok(s)
}

/// Reads and checks scenario text. A `[device] config` path is taken relative to the
/// current directory.
pub fn parse_str(text: &str) -> Result<Scenario, ScenarioErrors> {
    parse_text(text, "<scenario>", None)
}

fn parse_text(text: &str, file: &str, dir: Option<&Path>) -> Result<Scenario, ScenarioErrors> {
    let mut doc = Doc::new(text);
    let fail = |doc: Doc| {
        let mut errors = doc.errors;
        errors.sort_by_key(|e| e.line);
        ScenarioErrors {
            file: file.to_owned(),
            errors,
        }
    };
    let (root, syntax) = DeTable::parse_recoverable(text);
    for e in &syntax {
        let at = e.span().map_or(0, |s| s.start);
        doc.error(at, format!("not valid TOML: {}", e.message().trim()));
    }
    if !doc.errors.is_empty() {
        return Err(fail(doc));
    }
    let mut scenario = Scenario::new("", Config::factory());
    let mut f = Fields::new(root.get_ref());
    if let Some(v) = f.take("name") {
        scenario.name = tr::string(&mut doc, v, "the scenario's name")
            .unwrap_or_default()
            .to_owned();
    }
    if let Some(v) = f.take("description") {
        scenario.description = tr::string(&mut doc, v, "a description")
            .unwrap_or_default()
            .to_owned();
    }
    if let Some(v) = f.take("seed") {
        scenario.seed = tr::integer(&mut doc, v, "the seed", 0, i64::MAX).unwrap_or(0) as u64;
    }
    if let Some(t) = f
        .take("device")
        .and_then(|v| tr::table(&mut doc, v, "device"))
    {
        scenario.config = device(&mut doc, t, dir);
    }
    if let Some(t) = f
        .take("serial")
        .and_then(|v| tr::table(&mut doc, v, "serial"))
    {
        serial(&mut doc, t, &mut scenario);
    }
    if let Some(t) = f
        .take("network")
        .and_then(|v| tr::table(&mut doc, v, "network"))
    {
        scenario.net = network(&mut doc, t);
    }
    let mut refs = PeerRefs::default();
    if let Some(v) = f.take("peer") {
        for (t, at) in tr::tables(&mut doc, v, "peer") {
            host(&mut doc, t, at, false, &mut scenario, &mut refs);
        }
    }
    if let Some(v) = f.take("server") {
        for (t, at) in tr::tables(&mut doc, v, "server") {
            host(&mut doc, t, at, true, &mut scenario, &mut refs);
        }
    }
    if let Some(v) = f.take("fault") {
        for (t, at) in tr::tables(&mut doc, v, "fault") {
            let mut ff = Fields::new(t);
            let name = match ff.take("name") {
                Some(v) => tr::string(&mut doc, v, "the fault's name").map(|s| (s, v.span().start)),
                None => {
                    doc.error(
                        at,
                        "a [[fault]] needs `name`, e.g. name = \"net.partition\"",
                    );
                    None
                }
            };
            let params = ff.rest();
            if let Some((name, name_at)) = name {
                if let Some(spec) = fault(&mut doc, name, name_at, &params) {
                    scenario.faults.push(spec);
                }
            }
        }
    }
    if let Some(v) = f.take("step") {
        let tables = tr::tables(&mut doc, v, "step");
        scenario.steps = steps::parse_steps(&mut doc, &tables, &mut refs);
    }
    f.finish(&mut doc, "the scenario", TOP_KEYS);
    refs.check(&mut doc, &mut scenario);
    if doc.errors.is_empty() {
        Ok(scenario)
    } else {
        Err(fail(doc))
    }
}

/// A fault from its name and the remaining keys of its table, each mistake at its key's line.
pub(crate) fn fault(
    doc: &mut Doc,
    name: &str,
    name_at: usize,
    params: &[(&str, usize, &tr::Val<'_>)],
) -> Option<FaultSpec> {
    let mut texts: Vec<(&str, usize, String)> = Vec::new();
    for (key, at, v) in params {
        if let Some(text) = tr::scalar_text(doc, v, key) {
            texts.push((key, *at, text));
        }
    }
    let pairs = texts.iter().map(|(k, _, v)| (*k, v.as_str()));
    match FaultSpec::parse(name, pairs) {
        Ok(spec) => Some(spec),
        Err(errors) => {
            for e in errors {
                let at = e
                    .key
                    .as_deref()
                    .and_then(|k| texts.iter().find(|t| t.0 == k))
                    .map_or(name_at, |t| t.1);
                doc.error(at, format!("{name}: {e}"));
            }
            None
        }
    }
}

fn device(doc: &mut Doc, t: &DeTable<'_>, dir: Option<&Path>) -> Config {
    let mut f = Fields::new(t);
    let mut config = Config::factory();
    if let Some(v) = f.take("config") {
        if let Some(rel) = tr::string(doc, v, "a configuration file path") {
            let path: PathBuf = dir.map_or_else(|| PathBuf::from(rel), |d| d.join(rel));
            let at = v.span().start;
            match m2285_hostfs::read_regular_text(&path, m2285_hostfs::USER_FILE_LIMIT) {
                Ok(text) => match Config::from_toml_str(&text) {
                    Ok(c) => config = c,
                    Err(errors) => {
                        for e in errors {
                            doc.error(at, format!("in {}: {e}", path.display()));
                        }
                    }
                },
                Err(e) => doc.error(at, format!("cannot read the configuration: {e}")),
            }
        }
    }
    if let Some(v) = f.take("set") {
        match v.get_ref() {
            toml::de::DeValue::Array(items) => {
                for item in items.iter() {
                    let Some(set) = tr::string(doc, item, "KEY=VALUE") else {
                        continue;
                    };
                    match config.with_sets([set]) {
                        Ok(c) => config = c,
                        Err(errors) => {
                            for e in errors {
                                doc.error(item.span().start, format!("set {set:?}: {e}"));
                            }
                        }
                    }
                }
            }
            other => doc.error(
                v.span().start,
                format!(
                    "expected `set` to be a list like [\"port1.serial.baud=19200\"], found {}",
                    tr::type_name(other)
                ),
            ),
        }
    }
    f.finish(doc, "[device]", &["config", "set"]);
    config
}

fn serial(doc: &mut Doc, t: &DeTable<'_>, s: &mut Scenario) {
    let mut f = Fields::new(t);
    if let Some(v) = f.take("baud") {
        s.serial_baud =
            tr::integer(doc, v, "the program's baud rate", 50, 4_000_000).map(|b| b as u32);
    }
    if let Some(v) = f.take("attached") {
        s.serial_attached = tr::boolean(doc, v, "`attached`").unwrap_or(true);
    }
    f.finish(doc, "[serial]", &["baud", "attached"]);
}

fn network(doc: &mut Doc, t: &DeTable<'_>) -> NetParams {
    let mut f = Fields::new(t);
    let mut net = NetParams::default();
    let duration = |doc: &mut Doc, f: &mut Fields<'_, '_>, key: &str| {
        let v = f.take(key)?;
        let text = tr::string(doc, v, "a duration like \"200us\"")?;
        units::parse_duration(text)
            .map_err(|e| doc.error(v.span().start, format!("`{key}`: expected {e}")))
            .ok()
    };
    if let Some(d) = duration(doc, &mut f, "latency") {
        net.latency = d;
    }
    if let Some(d) = duration(doc, &mut f, "jitter") {
        net.jitter = d;
    }
    if let Some(v) = f.take("bandwidth") {
        if let Some(text) = tr::string(doc, v, "a rate like \"100Mbit/s\" or \"unlimited\"") {
            net.bits_per_s = match text {
                "unlimited" => None,
                rate => units::parse_bit_rate(rate)
                    .map_err(|e| doc.error(v.span().start, format!("`bandwidth`: expected {e}")))
                    .ok(),
            };
        }
    }
    if let Some(v) = f.take("device_ip") {
        if let Some(text) = tr::string(doc, v, "the device's IPv4 address") {
            match text.parse::<Ipv4Addr>() {
                Ok(ip) => net.device_ip = ip,
                Err(_) => doc.error(
                    v.span().start,
                    format!(
                        "`device_ip`: expected an IPv4 address like \"127.0.0.1\", not {text:?}"
                    ),
                ),
            }
        }
    }
    if let Some(v) = f.take("syn_retries") {
        if let Some(n) = tr::integer(doc, v, "SYN retransmissions", 0, 20) {
            net.syn_retries = n as u32;
        }
    }
    f.finish(
        doc,
        "[network]",
        &["device_ip", "latency", "jitter", "bandwidth", "syn_retries"],
    );
    net
}

fn host(
    doc: &mut Doc,
    t: &DeTable<'_>,
    at: usize,
    server: bool,
    s: &mut Scenario,
    refs: &mut PeerRefs,
) {
    let what = if server { "[[server]]" } else { "[[peer]]" };
    let mut f = Fields::new(t);
    let name = match f.take("name") {
        Some(v) => tr::string(doc, v, "the host's name").map(|n| (n.to_owned(), v.span().start)),
        None => {
            doc.error(at, format!("a {what} needs `name`"));
            None
        }
    };
    let addr = f.take("addr").and_then(|v| {
        let text = tr::string(doc, v, "an address")?;
        Some((text, v.span().start))
    });
    f.finish(doc, what, &["name", "addr"]);
    let Some((name, name_at)) = name else {
        return;
    };
    if !refs.declare(&name) {
        doc.error(
            name_at,
            format!("a host called {name:?} is already declared"),
        );
        return;
    }
    if server {
        match addr.map(|(a, at)| (a.parse::<SocketAddrV4>(), a, at)) {
            Some((Ok(a), ..)) => s.servers.push((name, a)),
            Some((Err(_), a, at)) => doc.error(
                at,
                format!(
                    "`addr`: expected an IPv4 address and port like \"127.0.0.50:9000\", not {a:?}"
                ),
            ),
            None => doc.error(
                at,
                "a [[server]] needs `addr`, e.g. addr = \"127.0.0.50:9000\"",
            ),
        }
    } else {
        match addr.map(|(a, at)| (a.parse::<Ipv4Addr>(), a, at)) {
            Some((Ok(ip), ..)) => s.peers.push((name, Some(ip))),
            Some((Err(_), a, at)) => doc.error(
                at,
                format!("`addr`: expected an IPv4 address like \"127.0.0.20\", not {a:?}"),
            ),
            None => s.peers.push((name, None)),
        }
    }
}
