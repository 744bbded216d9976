//! The control API: HTTP + JSON on the device's loopback address, for what a cable, a test rig
//! or a hand on the device would do (docs/control-api.md).
//!
//! The API is the first service of the management thread ([`crate::mgmt`]): hyper serves it
//! there under a connection cap and timeouts. Each request is checked ([`guard`]: Host, Origin,
//! content type, token) and routed ([`routes`]) on that thread; what needs the device is sent to
//! the loop as a [`Request`] over a crossbeam channel, with a `mio::Waker` to wake it, and the
//! loop answers on the request's own oneshot channel. The event stream (`GET /events`) does not
//! involve the loop: it subscribes to the JSON lines the simulator prints on stdout.
//!
//! To add a call: a [`Call`] variant, its route in `routes.rs`, and its answer in
//! `realtime/control_calls.rs`; the transport (`server.rs`) does not change.

mod admin_routes;
pub mod client;
mod faults;
mod guard;
mod routes;
mod server;
mod store_routes;
pub mod token;

use crate::mgmt;
use crossbeam_channel::Sender;
use m2285_core::config::ControlAuth;
use m2285_core::lines::InputLine;
use serde_json::{json, Value};
use std::net::{IpAddr, SocketAddr};
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

/// Most control API connections open at once; more are answered 503 and closed.
pub const MAX_CONNECTIONS: usize = 256;

/// What the control API asks of the running device.
#[derive(Debug, Clone, PartialEq, Eq)]
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
    /// Start a fault: its name and raw parameters, checked already (docs/control-api.md).
    FaultAdd {
        /// The fault's name, e.g. `serial.bit_errors`.
        name: String,
        /// Its `key=value` parameters, as given.
        params: Vec<(String, String)>,
    },
    /// The faults not yet ended.
    FaultList,
    /// End the faults with this id, or every fault.
    FaultClear(Option<String>),
    /// Accounts, filter, logs, clock (docs/management.md).
    Admin(AdminCall),
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

/// A call with the channel its answer goes back on.
#[derive(Debug)]
pub struct Request {
    /// What is asked.
    pub call: Call,
    /// Where the answer goes.
    pub reply: tokio::sync::oneshot::Sender<Reply>,
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

/// How the control API of one device is set up.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Which requests need the token (`sim.control_auth`).
    pub auth: ControlAuth,
    /// The device's token (`control.token` in its state directory).
    pub token: String,
    /// How long a connection may wait for request headers, or a body may take
    /// (`sim.control_idle_timeout_ms`).
    pub idle_timeout: Duration,
}

/// What a client beyond [`MAX_CONNECTIONS`] (or one arriving while the process is out of file
/// descriptors) reads before its connection is closed.
const BUSY: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nContent-Length: 64\r\nConnection: close\r\n\r\n{\"error\": \"the control API is busy: too many connections open\"}\n";

/// The running control server.
pub struct ControlServer {
    /// The port it listens on.
    pub port: u16,
}

impl ControlServer {
    /// Binds `ip:port` (0 = a free port) and starts serving on the management thread, which
    /// hands calls to the loop through `to_loop` and wakes it with `wake`.
    pub fn start(
        ip: IpAddr,
        port: u16,
        settings: Settings,
        to_loop: Sender<Request>,
        wake: Arc<dyn Fn() + Send + Sync>,
    ) -> Result<Self, String> {
        let addr = SocketAddr::new(ip, port);
        let listener = std::net::TcpListener::bind(addr)
            .and_then(|l| l.set_nonblocking(true).map(|()| l))
            .map_err(|e| format!("control API: cannot listen on {addr}: {e}"))?;
        let port = listener
            .local_addr()
            .map_err(|e| format!("control API: {e}"))?
            .port();
        mgmt::spawn(move || serve(listener, settings, to_loop, wake))?;
        Ok(ControlServer { port })
    }
}

/// The service's life on the management thread: accept within the cap, serve each connection.
async fn serve(
    listener: std::net::TcpListener,
    settings: Settings,
    to_loop: Sender<Request>,
    wake: Arc<dyn Fn() + Send + Sync>,
) {
    let listener = match tokio::net::TcpListener::from_std(listener) {
        Ok(l) => l,
        Err(e) => {
            tracing::error!("control API: cannot serve: {e}");
            return;
        }
    };
    let idle_timeout = settings.idle_timeout;
    let service = Rc::new(server::ControlService {
        to_loop,
        wake,
        auth: settings.auth,
        token: settings.token,
        body_deadline: idle_timeout,
    });
    let policy = mgmt::accept::Policy {
        name: "control API",
        max_connections: MAX_CONNECTIONS,
        busy_reply: BUSY,
    };
    mgmt::accept::run(listener, policy, move |stream| {
        let service = service.clone();
        async move {
            let per_request = hyper::service::service_fn(move |request| {
                let service = service.clone();
                async move { Ok::<_, std::convert::Infallible>(service.handle(request).await) }
            });
            mgmt::http::serve(stream, idle_timeout, per_request).await;
        }
    })
    .await;
}
