//! The device's web pages as sans-IO logic (issue 13).
//!
//! The runtime parses an HTTP request into a [`WebRequest`], asks the device for a
//! [`Snapshot`] (status and configuration as JSON, the store's state) and calls
//! [`Web::handle`]. The answer is either a response, or a [`DeviceOp`] for the runtime to carry
//! out (check a login, stage/apply/save/discard/reboot through the configuration store); the
//! runtime then calls [`Web::resume`] with the [`OpResult`] and a fresh snapshot and writes the
//! response it gets. This crate never reads a clock (time is an [`Instant`] handed in), draws
//! randomness (32 random bytes are handed in) or touches a socket, so the same logic could
//! serve a virtual-time device.
//!
//! Forms are generated from the configuration schema ([`layout`]): every key is on some page.

pub mod http;
pub mod layout;
mod pages;
mod render;
pub mod session;
mod tables;

pub use http::{WebRequest, WebResponse, MAX_BODY};
pub use pages::config_pairs;

use m2285_time::Instant;
use serde_json::Value;
use session::Sessions;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "m2285_sid";
/// The cookie that carries the login form's CSRF token (before there is a session).
pub const LOGIN_COOKIE: &str = "m2285_login";

/// What the pages need to know of the device.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    /// What `ctl status` shows.
    pub status: Value,
    /// The running configuration as JSON, secrets masked.
    pub config: Value,
    /// The configuration store's state.
    pub store: StoreState,
}

/// The configuration store's state as the pages show it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoreState {
    /// Keys staged but not applied.
    pub staged: Vec<String>,
    /// Keys applied but not saved.
    pub unsaved: Vec<String>,
    /// Keys that take effect only after a reboot.
    pub needs_reboot: Vec<String>,
}

/// A configuration store operation (the one interface every form goes through).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreOp {
    /// Stage these changes (key, raw value), all or nothing; with `apply`, apply at once.
    Set {
        /// The changes.
        pairs: Vec<(String, String)>,
        /// Apply the staged configuration as well.
        apply: bool,
    },
    /// Apply what is staged.
    Apply,
    /// Forget what is staged.
    Discard,
    /// Save the running configuration (and reboot, with `reboot`).
    Save {
        /// Save & reboot.
        reboot: bool,
    },
    /// Reboot with the saved configuration.
    Reboot,
    /// Factory values, then a reboot.
    FactoryReset,
    /// The configuration as a TOML file.
    Export,
    /// A whole configuration file to stage and apply.
    Import {
        /// The file's text.
        toml: String,
    },
}

/// What the runtime must do before the page can answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeviceOp {
    /// Check a user name and password against the device's accounts.
    CheckLogin {
        /// User name.
        user: String,
        /// Password as typed.
        password: String,
    },
    /// A store operation.
    Store(StoreOp),
    /// Install a checked firmware image (the device reboots into it).
    Firmware(m2285_core::admin::firmware::Image),
}

/// One refused value: the key, what was given, what is allowed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The key.
    pub key: String,
    /// The value given.
    pub value: String,
    /// What is allowed.
    pub allowed: String,
}

/// How a [`DeviceOp`] ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OpResult {
    /// Done; a message for the user.
    Done(String),
    /// Refused with per-key errors (nothing was changed) and a summary.
    Refused {
        /// Summary.
        message: String,
        /// Per-key errors.
        errors: Vec<FieldError>,
    },
    /// The exported configuration file.
    Exported(String),
    /// The login check: the account's name when the password is right.
    Login(Option<String>),
    /// The login was not checked: the address failed too often lately.
    LoginLockedOut,
    /// The device could not do it (shutting down, not available yet).
    Failed(String),
}

/// What [`Web::handle`] decided.
#[derive(Debug)]
pub enum Outcome {
    /// Answer with this.
    Reply(WebResponse),
    /// Carry out `op`, then call [`Web::resume`] with `then`.
    Ask {
        /// What the device must do.
        op: DeviceOp,
        /// What to do with the result.
        then: Then,
    },
}

/// What to answer once an operation is done (opaque to the runtime).
#[derive(Debug, Clone)]
pub struct Then(pages::After);

/// Settings of one device's web server.
#[derive(Debug, Clone, Copy)]
pub struct WebSettings {
    /// Idle time after which a session is closed, in nanoseconds.
    pub session_idle_ns: u64,
}

/// The web server's state: its sessions.
#[derive(Debug)]
pub struct Web {
    sessions: Sessions,
    settings: WebSettings,
    /// The device's boot count when last seen: a reboot ends every session, as on the unit.
    boots: Option<u64>,
}

impl Web {
    /// A web server with no sessions.
    pub fn new(settings: WebSettings) -> Self {
        Web {
            sessions: Sessions::default(),
            settings,
            boots: None,
        }
    }

    /// Open sessions.
    pub fn session_count(&self) -> usize {
        self.sessions.len()
    }

    /// Forgets every session (the device rebooted).
    pub fn reset_sessions(&mut self) {
        self.sessions.clear();
    }

    /// The sessions that ended by logout or idle timeout since the last call, for the
    /// device's log (`web_logout`).
    pub fn take_ended(&mut self) -> Vec<session::Ended> {
        self.sessions.take_ended()
    }

    /// The largest body to read for a request to `path` carrying `cookie`: [`MAX_BODY`], or
    /// room for a firmware image when a live session uploads one (so nobody without a
    /// session can make the device buffer megabytes).
    pub fn body_limit(&self, path: &str, cookie: Option<&str>) -> usize {
        let live = |c: &str| {
            c.split(';').any(|part| {
                part.trim()
                    .split_once('=')
                    .is_some_and(|(k, v)| k == SESSION_COOKIE && self.sessions.contains(v))
            })
        };
        if path == "/system/firmware" && cookie.is_some_and(live) {
            m2285_core::admin::firmware::MAX_IMAGE + MAX_BODY
        } else {
            MAX_BODY
        }
    }

    /// Answers `req`, or asks for a device operation first. `random` is 32 fresh random bytes.
    pub fn handle(
        &mut self,
        req: &WebRequest,
        snapshot: &Snapshot,
        now: Instant,
        random: [u8; 32],
    ) -> Outcome {
        self.notice_reboot(snapshot);
        self.sessions.expire(now, self.settings.session_idle_ns);
        let outcome = pages::handle(self, req, snapshot, now, random);
        match outcome {
            Outcome::Reply(r) => Outcome::Reply(r.with_security_headers(req.secure)),
            ask => ask,
        }
    }

    /// Ends every session when the device has rebooted since the last request (the status's
    /// `device.boots` moved).
    fn notice_reboot(&mut self, snapshot: &Snapshot) {
        let boots = snapshot
            .status
            .pointer("/device/boots")
            .and_then(Value::as_u64);
        if boots.is_some() && self.boots.is_some() && boots != self.boots {
            self.sessions.clear();
        }
        if boots.is_some() {
            self.boots = boots;
        }
    }

    /// The answer once the operation asked for by [`Web::handle`] is done.
    pub fn resume(
        &mut self,
        req: &WebRequest,
        then: Then,
        result: OpResult,
        snapshot: &Snapshot,
        now: Instant,
        random: [u8; 32],
    ) -> WebResponse {
        pages::resume(self, req, then.0, result, snapshot, now, random)
            .with_security_headers(req.secure)
    }
}
