//! `m2285-sim ctl ...`: the command-line client of the control API.

use clap::{Args, Subcommand};
use serde_json::{json, Map, Value};
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;

/// Where the control API is when `--addr` and `M2285_CTL` do not say: the factory device.
const DEFAULT_ADDR: &str = "127.0.0.1:8285";

/// Options of `ctl`.
#[derive(Debug, Args)]
pub struct CtlArgs {
    /// The control API's address, HOST:PORT (the ready line's ip and ports.control). Default:
    /// $M2285_CTL, else 127.0.0.1:8285.
    #[arg(long, value_name = "HOST:PORT")]
    pub addr: Option<String>,
    /// The device's state directory, where its control token is (as for running the device).
    /// Default: the default state directory of HOST.
    #[arg(long, value_name = "DIR")]
    pub state_dir: Option<PathBuf>,
    /// The control token, instead of reading it from the state directory. Default:
    /// $M2285_CTL_TOKEN, else the state directory's control.token.
    #[arg(long, value_name = "TOKEN")]
    pub control_token: Option<String>,
    /// Ask device N of a fleet (`--addr` is then the fleet's control API, `--state-dir` the
    /// fleet's state directory).
    #[arg(long, value_name = "N")]
    pub device: Option<usize>,
    /// What to do.
    #[command(subcommand)]
    pub cmd: CtlCommand,
}

/// `ctl` subcommands.
#[derive(Debug, Subcommand)]
pub enum CtlCommand {
    /// Mode, sessions, line signals both ways, observed baud rate, counters.
    Status,
    /// Line levels: inputs (dsr, cts, dcd, ri) and outputs (dtr, rts).
    Signals,
    /// Set input lines as the attached equipment would, e.g. `ctl signal dsr=low cts=high`.
    Signal {
        /// NAME=LEVEL with NAME one of dsr, cts, dcd, ri and LEVEL high/low (on/off, 1/0).
        #[arg(required = true, value_name = "NAME=LEVEL")]
        set: Vec<String>,
    },
    /// The attached equipment sends a break.
    Break {
        /// Its length in milliseconds.
        #[arg(long, default_value_t = 250)]
        ms: u32,
    },
    /// Read configuration keys, stage changes (validated like the config file; they run once
    /// applied), export or import the whole configuration.
    Config {
        /// get, set, export or import.
        #[command(subcommand)]
        op: ConfigOp,
    },
    /// The store: staged, pending-reboot and unsaved keys; the device up or booting.
    Store,
    /// Apply the staged changes: the running configuration takes them.
    Apply,
    /// Forget the staged changes.
    Discard,
    /// Save the running configuration to the device's flash (the state directory).
    Save {
        /// Reboot once saved (save & reboot).
        #[arg(long)]
        reboot: bool,
    },
    /// Reboot: ports refuse connections for sim.boot_time_ms, then the saved configuration runs.
    Reboot,
    /// Cut the power, then boot from flash; sessions are reset, the PTY stays.
    PowerCycle {
        /// How long the power stays off, in milliseconds.
        #[arg(long, default_value_t = 1000)]
        off: u64,
    },
    /// Factory values, saved, then a reboot (sim.* keys stay).
    FactoryReset {
        /// Keep the network settings (network.*).
        #[arg(long)]
        keep_network: bool,
    },
    /// Hold the reset button: shorter than 5 s reboots, 5 s or more resets to factory values.
    ResetButton {
        /// How long it is held, in milliseconds.
        #[arg(long, value_name = "MS")]
        hold: u64,
    },
    /// Print the event stream (JSON lines) until interrupted.
    Events,
    /// Accounts: `ctl users`, `ctl users add NAME --role user` (password read from stdin),
    /// `ctl users passwd NAME`, `ctl users del NAME`. Passwords are never shown.
    Users {
        /// list (default), add, passwd or del.
        #[command(subcommand)]
        op: Option<UsersOp>,
    },
    /// IP filter: `ctl filter`, `ctl filter add address=127.0.0.3 rule=reject service=port1`,
    /// `ctl filter del N`, `ctl filter clear`.
    Filter {
        /// list (default), add, del or clear.
        #[command(subcommand)]
        op: Option<FilterOp>,
    },
    /// The system log (device time, severity, event); `--follow` keeps printing new messages.
    Log {
        /// Keep printing new messages until interrupted.
        #[arg(long)]
        follow: bool,
        /// Empty the log instead.
        #[arg(long, conflicts_with = "follow")]
        clear: bool,
    },
    /// The port log: serial data of port 1 captured while port1.log.enabled.
    PortLog {
        /// Empty it instead.
        #[arg(long)]
        clear: bool,
    },
    /// Date, time, uptime and SNTP state; `ctl clock set UNIX_SECONDS` sets the clock.
    Clock {
        /// `set`, then the new time in seconds since 1970 (UTC).
        #[arg(value_name = "set SECONDS", num_args = 0..=2)]
        set: Vec<String>,
    },
    /// The consoles: the data/console switch, the console sessions (every transport), who holds
    /// the edit lock, logins, failures and logouts; `ctl console on` puts the serial port on the
    /// console (9600 8N1), `ctl console off` back on the data port.
    Console {
        /// on (console) or off (data); none = report only.
        #[arg(value_parser = ["on", "off"])]
        switch: Option<String>,
    },
    /// Faults at the device's boundaries, with the names of scenario files (docs/scenarios.md):
    /// `ctl fault add serial.bit_errors ber=0.01`, `ctl fault list`, `ctl fault clear [ID]`.
    Fault {
        /// add, list or clear.
        #[command(subcommand)]
        op: FaultOp,
    },
    /// A fleet's devices (`--addr` of the fleet's control API): `ctl fleet status`,
    /// `ctl fleet add [--index N] [--set K=V]`, `ctl fleet remove N`.
    Fleet {
        /// status, add or remove.
        #[command(subcommand)]
        op: super::fleet_client::FleetOp,
    },
}

/// `ctl fault` operations.
#[derive(Debug, Subcommand)]
pub enum FaultOp {
    /// Start a fault, e.g. `ctl fault add net.partition id=cut duration=10s`.
    Add {
        /// The fault's name: serial.bit_errors, serial.drop, serial.framing_errors,
        /// serial.parity_errors, net.latency, net.partition, net.reset.
        name: String,
        /// Its parameters, KEY=VALUE (e.g. ber=1e-3 direction=to_device start=2s duration=5s).
        #[arg(value_name = "KEY=VALUE")]
        params: Vec<String>,
    },
    /// The faults not yet ended, with what each did so far.
    List,
    /// End the faults with this id, or all of them.
    Clear {
        /// The id given with `id=` (default: the fault's name).
        id: Option<String>,
    },
}

/// `ctl users` operations.
#[derive(Debug, Subcommand)]
pub enum UsersOp {
    /// The accounts (names, roles, whether a password is set) and failed-login counters.
    List,
    /// Add an account; its password is the first line of stdin (never an argument, so it stays
    /// out of shell history and process lists).
    Add {
        /// User name.
        name: String,
        /// admin, root or user.
        #[arg(long, default_value = "user")]
        role: String,
        /// Apply the staged configuration at once as well (like `config set --apply`).
        #[arg(long)]
        apply: bool,
    },
    /// Change an account's password (the first line of stdin).
    Passwd {
        /// User name.
        name: String,
        /// Apply the staged configuration at once as well (like `config set --apply`).
        #[arg(long)]
        apply: bool,
    },
    /// Delete an account.
    Del {
        /// User name.
        name: String,
        /// Apply the staged configuration at once as well (like `config set --apply`).
        #[arg(long)]
        apply: bool,
    },
}

/// `ctl filter` operations.
#[derive(Debug, Subcommand)]
pub enum FilterOp {
    /// The rules and the per-service counters.
    List,
    /// Add a rule: address=A mask=M service=S rule=accept|drop|reject [at=N].
    Add {
        /// KEY=VALUE fields.
        #[arg(required = true, value_name = "KEY=VALUE")]
        fields: Vec<String>,
        /// Apply the staged configuration at once as well (like `config set --apply`).
        #[arg(long)]
        apply: bool,
    },
    /// Delete rule N (as `ctl filter` numbers them, from 0).
    Del {
        /// The rule's index.
        index: usize,
        /// Apply the staged configuration at once as well (like `config set --apply`).
        #[arg(long)]
        apply: bool,
    },
    /// Delete every rule (accept everything).
    Clear {
        /// Apply the staged configuration at once as well (like `config set --apply`).
        #[arg(long)]
        apply: bool,
    },
}

/// `ctl config` operations.
#[derive(Debug, Subcommand)]
pub enum ConfigOp {
    /// Print one key, or the whole configuration.
    Get {
        /// Dotted key, e.g. port1.serial.baud; without it, everything.
        key: Option<String>,
    },
    /// Stage changes, all or nothing, e.g. `ctl config set port1.serial.baud=115200`; they
    /// run after `ctl apply` (or with --apply).
    Set {
        /// Apply the staged configuration at once as well.
        #[arg(long)]
        apply: bool,
        /// KEY=VALUE, staged in order.
        #[arg(required = true, value_name = "KEY=VALUE")]
        set: Vec<String>,
    },
    /// Print the whole configuration as TOML (secrets masked): `ctl config export > f.toml`.
    Export,
    /// Stage a whole configuration from a TOML file (as exported; masked secrets keep their
    /// values). A file with mistakes changes nothing and every mistake is listed.
    Import {
        /// Apply it at once as well.
        #[arg(long)]
        apply: bool,
        /// The file.
        file: std::path::PathBuf,
    },
}

/// Largest configuration file `ctl config import` reads.
const MAX_IMPORT_BYTES: u64 = 64 * 1024;

/// Runs `ctl`; exit 0 on success, 1 when the device refused the request, 2 when it could not
/// be reached.
pub fn run(args: CtlArgs) -> ExitCode {
    let addr = args
        .addr
        .or_else(|| std::env::var("M2285_CTL").ok())
        .unwrap_or_else(|| DEFAULT_ADDR.to_owned());
    let fleet_base = format!("http://{addr}");
    let base = match args.device {
        Some(n) => format!("{fleet_base}/devices/{n}"),
        None => fleet_base.clone(),
    };
    let token = args
        .control_token
        .or_else(|| std::env::var("M2285_CTL_TOKEN").ok())
        .or_else(|| stored_token(&addr, args.state_dir));
    let call =
        |method: &str, url: &str, body: Option<Value>| call(method, url, body, token.as_deref());
    let result = match args.cmd {
        CtlCommand::Status => call("GET", &format!("{base}/status"), None),
        CtlCommand::Signals => call("GET", &format!("{base}/signals"), None),
        CtlCommand::Signal { set } => match pairs(&set) {
            Ok(map) => call("POST", &format!("{base}/signals"), Some(Value::Object(map))),
            Err(e) => Err(Failure::Usage(e)),
        },
        CtlCommand::Break { ms } => call(
            "POST",
            &format!("{base}/break"),
            Some(json!({ "duration_ms": ms })),
        ),
        CtlCommand::Config {
            op: ConfigOp::Get { key: None },
        } => call("GET", &format!("{base}/config"), None),
        CtlCommand::Config {
            op: ConfigOp::Get { key: Some(key) },
        } => call("GET", &format!("{base}/config/{key}"), None),
        CtlCommand::Config {
            op: ConfigOp::Set { set, apply },
        } => match pairs(&set) {
            Ok(map) => call(
                "POST",
                &format!("{base}/config"),
                Some(json!({ "set": map, "apply": apply })),
            ),
            Err(e) => Err(Failure::Usage(e)),
        },
        CtlCommand::Config {
            op: ConfigOp::Export,
        } => call("GET", &format!("{base}/config/export"), None).map(|body| {
            print!("{}", body["toml"].as_str().unwrap_or_default());
            Value::Null
        }),
        CtlCommand::Config {
            op: ConfigOp::Import { file, apply },
        } => match m2285_hostfs::read_regular_text(&file, MAX_IMPORT_BYTES) {
            Ok(text) => call(
                "POST",
                &format!("{base}/config/import"),
                Some(json!({ "toml": text, "apply": apply })),
            ),
            Err(e) => Err(Failure::Usage(e.to_string())),
        },
        CtlCommand::Store => call("GET", &format!("{base}/store"), None),
        CtlCommand::Apply => call("POST", &format!("{base}/apply"), None),
        CtlCommand::Discard => call("POST", &format!("{base}/discard"), None),
        CtlCommand::Save { reboot } => call(
            "POST",
            &format!("{base}/save"),
            Some(json!({ "reboot": reboot })),
        ),
        CtlCommand::Reboot => call("POST", &format!("{base}/reboot"), None),
        CtlCommand::PowerCycle { off } => call(
            "POST",
            &format!("{base}/power-cycle"),
            Some(json!({ "off_ms": off })),
        ),
        CtlCommand::FactoryReset { keep_network } => call(
            "POST",
            &format!("{base}/factory-reset"),
            Some(json!({ "keep_network": keep_network })),
        ),
        CtlCommand::ResetButton { hold } => call(
            "POST",
            &format!("{base}/reset-button"),
            Some(json!({ "hold_ms": hold })),
        ),
        CtlCommand::Console { switch: None } => call("GET", &format!("{base}/console"), None),
        CtlCommand::Console { switch: Some(on) } => call(
            "POST",
            &format!("{base}/console"),
            Some(json!({ "on": on == "on" })),
        ),
        CtlCommand::Events => {
            super::client_streams::events(&format!("{base}/events"), token.as_deref())
        }
        CtlCommand::Users { op } => users(&call, &base, op.unwrap_or(UsersOp::List)),
        CtlCommand::Filter { op } => match op.unwrap_or(FilterOp::List) {
            FilterOp::List => call("GET", &format!("{base}/filter"), None),
            FilterOp::Add { fields, apply } => match pairs(&fields) {
                Ok(mut map) => {
                    if let Some(at) = map.remove("at") {
                        let n = at.as_str().and_then(|a| a.parse::<u64>().ok());
                        map.insert("at".into(), n.map_or(at, Value::from));
                    }
                    map.insert("apply".into(), Value::Bool(apply));
                    call("POST", &format!("{base}/filter"), Some(Value::Object(map)))
                }
                Err(e) => Err(Failure::Usage(e)),
            },
            FilterOp::Del { index, apply } => call(
                "DELETE",
                &format!("{base}/filter/{index}?apply={apply}"),
                None,
            ),
            FilterOp::Clear { apply } => {
                call("DELETE", &format!("{base}/filter?apply={apply}"), None)
            }
        },
        CtlCommand::Log { clear: true, .. } => call("DELETE", &format!("{base}/log"), None),
        CtlCommand::Log { follow, .. } => super::client_streams::log(&call, &base, follow),
        CtlCommand::PortLog { clear: true } => call("DELETE", &format!("{base}/port-log"), None),
        CtlCommand::PortLog { clear: false } => call("GET", &format!("{base}/port-log"), None),
        CtlCommand::Clock { set } => match set.as_slice() {
            [] => call("GET", &format!("{base}/clock"), None),
            [op, secs] if op == "set" => match secs.parse::<i64>() {
                Ok(s) => call(
                    "POST",
                    &format!("{base}/clock"),
                    Some(json!({ "unix_ms": s.saturating_mul(1000) })),
                ),
                Err(_) => Err(Failure::Usage(format!("'{secs}': give seconds since 1970"))),
            },
            _ => Err(Failure::Usage("usage: ctl clock [set SECONDS]".into())),
        },
        CtlCommand::Fault {
            op: FaultOp::Add { name, params },
        } => match pairs(&params) {
            Ok(map) => call(
                "POST",
                &format!("{base}/faults"),
                Some(json!({ "name": name, "params": map })),
            ),
            Err(e) => Err(Failure::Usage(e)),
        },
        CtlCommand::Fault { op: FaultOp::List } => call("GET", &format!("{base}/faults"), None),
        CtlCommand::Fleet { op } => {
            let (method, path, body) = super::fleet_client::request(&op);
            call(method, &format!("{fleet_base}{path}"), body)
        }
        CtlCommand::Fault {
            op: FaultOp::Clear { id },
        } => {
            let path = id.map_or_else(String::new, |id| format!("/{id}"));
            call("DELETE", &format!("{base}/faults{path}"), None)
        }
    };
    match result {
        Ok(body) => {
            if !body.is_null() {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&body).unwrap_or_default()
                );
            }
            ExitCode::SUCCESS
        }
        Err(Failure::Refused(status, body)) => {
            let msg = body["error"]
                .as_str()
                .map(str::to_owned)
                .unwrap_or_else(|| body.to_string());
            eprintln!("m2285-sim ctl: {status}: {msg}");
            ExitCode::from(1)
        }
        Err(Failure::Usage(msg)) => {
            eprintln!("m2285-sim ctl: {msg}");
            ExitCode::from(1)
        }
        Err(Failure::Unreachable(msg)) => {
            eprintln!("m2285-sim ctl: cannot reach the control API at {addr}: {msg}");
            ExitCode::from(2)
        }
    }
}

/// Why a command failed: the API refused it, it was given wrong, or the API was not reached.
pub(super) enum Failure {
    /// The API answered with this status and body.
    Refused(i32, Value),
    /// The command line was wrong.
    Usage(String),
    /// The API could not be reached.
    Unreachable(String),
}

fn pairs(items: &[String]) -> Result<Map<String, Value>, String> {
    items
        .iter()
        .map(|s| match s.split_once('=') {
            Some((k, v)) if !k.trim().is_empty() => {
                Ok((k.trim().to_owned(), Value::String(v.trim().to_owned())))
            }
            _ => Err(format!("'{s}': expected NAME=VALUE")),
        })
        .collect()
}

/// The token in the device's state directory: `state_dir`, else the default one of the
/// address's host. `None` (with a note when the file is there but unusable) if there is none:
/// reads need no token by default.
fn stored_token(addr: &str, state_dir: Option<PathBuf>) -> Option<String> {
    let dir = state_dir.or_else(|| {
        let ip = addr
            .parse::<SocketAddr>()
            .map(|a| a.ip())
            .ok()
            .or_else(|| addr.parse::<IpAddr>().ok())
            .or_else(|| {
                let host = addr.rsplit_once(':').map_or(addr, |(h, _)| h);
                host.eq_ignore_ascii_case("localhost")
                    .then_some(IpAddr::from([127, 0, 0, 1]))
            })?;
        Some(crate::state_dir::default_for(ip))
    })?;
    match super::token::read(&dir) {
        Ok(token) => token,
        Err(e) => {
            eprintln!("m2285-sim ctl: not using the control token: {e}");
            None
        }
    }
}

fn call(
    method: &str,
    url: &str,
    body: Option<Value>,
    token: Option<&str>,
) -> Result<Value, Failure> {
    let mut req = minreq::Request::new(
        match method {
            "POST" => minreq::Method::Post,
            "PUT" => minreq::Method::Put,
            "DELETE" => minreq::Method::Delete,
            _ => minreq::Method::Get,
        },
        url,
    )
    .with_timeout(15);
    if let Some(token) = token {
        req = req.with_header("Authorization", format!("Bearer {token}"));
    }
    if let Some(b) = body {
        req = req
            .with_header("Content-Type", "application/json")
            .with_body(b.to_string());
    }
    let resp = req
        .send()
        .map_err(|e| Failure::Unreachable(e.to_string()))?;
    let body: Value = serde_json::from_slice(resp.as_bytes()).unwrap_or_else(
        |_| json!({ "error": String::from_utf8_lossy(resp.as_bytes()).trim().to_owned() }),
    );
    if (200..300).contains(&resp.status_code) {
        Ok(body)
    } else {
        Err(Failure::Refused(resp.status_code, body))
    }
}

/// How a command asks the API: method, URL, body.
pub(super) type Caller<'a> = dyn Fn(&str, &str, Option<Value>) -> Result<Value, Failure> + 'a;

/// `ctl users ...`: passwords come from stdin, never from the command line.
fn users(call: &Caller<'_>, base: &str, op: UsersOp) -> Result<Value, Failure> {
    let read_password = || -> Result<String, Failure> {
        let mut line = String::new();
        std::io::stdin()
            .read_line(&mut line)
            .map_err(|e| Failure::Usage(format!("cannot read the password from stdin: {e}")))?;
        Ok(line.trim_end_matches(['\r', '\n']).to_owned())
    };
    match op {
        UsersOp::List => call("GET", &format!("{base}/users"), None),
        UsersOp::Add { name, role, apply } => {
            let password = read_password()?;
            call(
                "POST",
                &format!("{base}/users"),
                Some(json!({ "name": name, "role": role, "password": password, "apply": apply })),
            )
        }
        UsersOp::Passwd { name, apply } => {
            let password = read_password()?;
            call(
                "POST",
                &format!("{base}/users"),
                Some(json!({ "name": name, "password": password, "apply": apply })),
            )
        }
        UsersOp::Del { name, apply } => call(
            "DELETE",
            &format!("{base}/users/{name}?apply={apply}"),
            None,
        ),
    }
}
