//! What a control request asks ([`Call`]) and what it gets back ([`Reply`]): plain data, no
//! transport. A file of its own so the request parsing (`routes`, `faults`) can be compiled
//! outside the binary, by the fuzz targets in `fuzz/` (docs/ROBUSTNESS.md).

use m2285_core::lines::InputLine;
use serde_json::{json, Value};

/// What the control API asks of the running device. (`PartialEq` only: a parsed fault holds
/// rates as `f64`.)
#[derive(Debug, Clone, PartialEq)]
pub enum Call {
    /// The status snapshot.
    Status,
    /// Line levels.
    Signals,
    /// Set input lines, in order.
    SetSignals(Vec<(InputLine, bool)>),
    /// The attached equipment sends a break.
    Break {
        /// Its length.
        duration_ms: u32,
    },
    /// One configuration key, or the whole configuration.
    ConfigGet(Option<String>),
    /// Stage key changes (`key`, raw value) in order, all or nothing; with `apply`, apply the
    /// staged configuration in the same call.
    ConfigSet {
        /// The changes.
        set: Vec<(String, String)>,
        /// Apply at once as well.
        apply: bool,
    },
    /// A configuration store or power operation.
    Store(StoreCall),
    /// Start a fault, parsed once here on the control side (docs/control-api.md): the loop
    /// takes the parsed value and never reads the parameters again.
    FaultAdd {
        /// The fault as parsed (`m2285_boundary::faults::FaultSpec::parse`, real-time check).
        spec: Box<m2285_boundary::faults::FaultSpec>,
        /// Its `key=value` parameters, as given (for the fault list).
        params: Vec<(String, String)>,
    },
    /// The faults not yet ended.
    FaultList,
    /// End the faults with this id, or every fault.
    FaultClear(Option<String>),
    /// The device's web server (docs/web.md). Not routed from the control API.
    Web(WebCall),
    /// Accounts, filter, logs, clock (docs/management.md).
    Admin(AdminCall),
    /// The consoles: the data/console switch and the console sessions; `Some` moves the switch
    /// (true = console) first.
    Console(Option<bool>),
}

/// What the device's web server asks of the device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WebCall {
    /// The IP filter's verdict for a new connection (200 with `verdict`: accept, drop, reject).
    Screen {
        /// http or https.
        service: m2285_core::admin::filter::Service,
        /// The client.
        peer: std::net::SocketAddr,
    },
    /// Check a login (200 with `user`; 401 wrong; 429 locked out).
    Login {
        /// http or https.
        service: m2285_core::admin::filter::Service,
        /// The client.
        peer: std::net::SocketAddr,
        /// User name.
        user: String,
        /// Password as typed.
        password: String,
    },
    /// A session ended (logout or idle), for the log.
    Logout {
        /// Where its login came from.
        peer: std::net::SocketAddr,
        /// The account.
        user: String,
        /// logout or idle.
        reason: &'static str,
    },
    /// Install a checked firmware image and reboot into it.
    Firmware(m2285_core::admin::firmware::Image),
}

/// Management calls: accounts, IP filter, logs, clock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AdminCall {
    /// System log messages with a sequence number above this.
    Log {
        /// Last sequence number already seen (0 = all).
        after: u64,
    },
    /// Empty the system log.
    LogClear,
    /// The port log.
    PortLog,
    /// Empty the port log.
    PortLogClear,
    /// The accounts (names and roles, never passwords).
    Users,
    /// Add an account or change one (role and/or password).
    UserSet {
        /// User name.
        name: String,
        /// New role, if given.
        role: Option<String>,
        /// New password, already hashed on the management thread (or empty = cannot log in).
        password: Option<String>,
        /// Apply the staged configuration at once as well (like `config set --apply`).
        apply: bool,
    },
    /// Delete an account.
    UserDelete {
        /// User name.
        name: String,
        /// Apply the staged configuration at once as well.
        apply: bool,
    },
    /// The filter rules and counters.
    Filter,
    /// Insert a rule (at the end, or before index `at`).
    FilterAdd {
        /// (field, raw value) pairs: address, mask, service, rule.
        fields: Vec<(String, String)>,
        /// Position; None = append.
        at: Option<usize>,
        /// Apply the staged configuration at once as well.
        apply: bool,
    },
    /// Delete the rule at this index, or every rule.
    FilterDelete {
        /// The rule's index; None = every rule.
        index: Option<usize>,
        /// Apply the staged configuration at once as well.
        apply: bool,
    },
    /// Date, time, uptime, SNTP state.
    Clock,
    /// Set the date and time (Unix milliseconds).
    ClockSet(i64),
}

/// The store and power operations (docs/control-api.md, docs/management.md).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreCall {
    /// The store's state: staged, pending-reboot and unsaved keys, the device up or booting.
    Status,
    /// Apply the staged configuration.
    Apply,
    /// Forget the staged edits.
    Discard,
    /// Save the running configuration to flash (then reboot, with `reboot`).
    Save {
        /// Save & reboot.
        reboot: bool,
    },
    /// Reboot with the saved configuration.
    Reboot,
    /// Cut the power for `off_ms`, then boot.
    PowerCycle {
        /// Time without power.
        off_ms: u64,
    },
    /// Factory values, saved, then a reboot.
    FactoryReset {
        /// Keep the network keys.
        keep_network: bool,
    },
    /// The reset button held for `hold_ms`.
    ResetButton {
        /// How long it is held.
        hold_ms: u64,
    },
    /// The whole configuration as TOML (secrets masked).
    Export,
    /// A whole configuration (TOML, as exported) to stage, checked like `check-config`.
    Import {
        /// The document.
        toml: String,
        /// Apply at once as well.
        apply: bool,
    },
}

/// An answer: HTTP status and JSON body.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    /// HTTP status code.
    pub status: u16,
    /// JSON body.
    pub body: Value,
}

impl Reply {
    /// 200 with `body`.
    pub fn ok(body: Value) -> Self {
        Reply { status: 200, body }
    }

    /// A 4xx/5xx with a JSON error naming what is wrong.
    pub fn error(status: u16, message: impl Into<String>) -> Self {
        Reply {
            status,
            body: json!({ "error": message.into() }),
        }
    }
}
