//! The loop's side of the consoles: answering a console session's requests (login, the
//! running configuration, the edit lock, apply, save, reboot, queries) on the device.

use super::Runtime;
use crate::console::{Ask, ConsoleCall};
use crate::control::{Reply, StoreCall};
use m2285_console::{Answer, Request, Topic};
use m2285_core::admin::accounts::{manager_login, Role};
use m2285_core::admin::filter::{self, Verdict};
use m2285_time::Instant;
use serde_json::json;

/// Who holds the edit lock, the console sessions logged in, and the login counters.
#[derive(Debug, Default)]
pub struct ConsoleState {
    /// The session holding the edit lock, and its peer.
    lock: Option<(u64, String)>,
    /// Logged-in sessions: peer, user and when they logged in.
    sessions: std::collections::BTreeMap<u64, (String, String, Instant)>,
    /// Console logins since power-on (every transport).
    logins: u64,
    /// Refused console logins since power-on.
    login_failures: u64,
    /// Console sessions ended since power-on.
    logouts: u64,
    /// The source address of each network console session (from its screening), for the
    /// failed-login guard.
    addrs: std::collections::BTreeMap<u64, std::net::IpAddr>,
}

impl Runtime {
    /// Answers one console call.
    pub(super) fn console_call(&mut self, call: ConsoleCall, now: Instant) {
        let answer = match call.ask {
            Ask::Engine(request) => self.console_answer(call.session, &call.peer, request, now),
            Ask::Screen(service, addr) => match self.device.screen(service, addr) {
                // An address locked out after too many failed logins is reset at once, as on
                // the data port.
                Verdict::Accept if !self.device.console_may_try(addr.ip(), now) => {
                    Answer::Refused("reject".into())
                }
                Verdict::Accept => {
                    self.console.addrs.insert(call.session, addr.ip());
                    Answer::Done(String::new())
                }
                Verdict::Drop => Answer::Refused("drop".into()),
                Verdict::Reject => Answer::Refused("reject".into()),
            },
            Ask::KeyLogin { user, known } => {
                // A key logs in as an account that may manage the device, like a password.
                let ok = known && self.may_manage(&user);
                self.login_result(call.session, &call.peer, user, "publickey", ok, now)
            }
        };
        let _ = call.reply.send(answer);
    }

    fn may_manage(&self, user: &str) -> bool {
        self.device
            .config()
            .system
            .users
            .iter()
            .any(|u| u.name == user && Role::from_name(&u.role).may_manage())
    }

    /// Counts and reports a console login, and registers the session when it succeeded.
    fn login_result(
        &mut self,
        session: u64,
        peer: &str,
        user: String,
        method: &'static str,
        ok: bool,
        now: Instant,
    ) -> Answer {
        if ok {
            self.console.logins += 1;
        } else {
            self.console.login_failures += 1;
        }
        let from = self.console.addrs.get(&session).copied();
        self.device
            .console_login(peer, &user, method, ok, from, now);
        if ok {
            self.console
                .sessions
                .insert(session, (peer.to_owned(), user, now));
            Answer::Done(String::new())
        } else {
            Answer::Refused("login incorrect".into())
        }
    }

    /// `GET /console`: the data/console switch, the console sessions, who edits, the counters.
    pub(super) fn console_json(&self, now: Instant) -> serde_json::Value {
        let sessions: Vec<serde_json::Value> = self
            .console
            .sessions
            .iter()
            .map(|(id, (peer, user, since))| {
                json!({
                    "session": id,
                    "peer": peer,
                    "user": user,
                    "seconds": now.saturating_since(*since).as_secs(),
                    "editing": self.console.lock.as_ref().is_some_and(|(s, _)| s == id),
                })
            })
            .collect();
        json!({
            "on": self.device.console_switch(),
            "switch": if self.device.console_switch() { "console" } else { "data" },
            "line": super::serial_console::LINE,
            "sessions": sessions,
            "lock": self.console.lock.as_ref().map(|(_, peer)| peer),
            "logins": self.console.logins,
            "login_failures": self.console.login_failures,
            "logouts": self.console.logouts,
        })
    }

    /// Answers one console engine request (Telnet, SSH, and the serial console).
    pub(super) fn console_answer(
        &mut self,
        session: u64,
        peer: &str,
        request: Request,
        now: Instant,
    ) -> Answer {
        match request {
            Request::Login { user, password } => {
                // The device's accounts (docs/management.md): only an account that may manage
                // the device opens a console; the password is checked against its hash.
                let ok = manager_login(&self.device.config().system.users, &user, &password);
                self.login_result(session, peer, user, "password", ok, now)
            }
            Request::Snapshot => self.running(),
            Request::Lock => match &self.console.lock {
                Some((holder, who)) if *holder != session => Answer::Refused(format!(
                    "the edit lock is held by {who}: try again after it applies or discards"
                )),
                _ => {
                    self.console.lock = Some((session, peer.to_owned()));
                    self.running()
                }
            },
            Request::Unlock => {
                self.release_lock(session);
                Answer::Done(String::new())
            }
            Request::Logout => {
                self.release_lock(session);
                self.console.addrs.remove(&session);
                if let Some((peer, user, _)) = self.console.sessions.remove(&session) {
                    self.console.logouts += 1;
                    self.device.console_logout(&peer, &user);
                }
                Answer::Done(String::new())
            }
            Request::Apply(pairs) => {
                if self
                    .console
                    .lock
                    .as_ref()
                    .is_some_and(|(s, _)| *s != session)
                {
                    return Answer::Refused("the edit lock is held by another session".into());
                }
                // The store's one path: stage (checked like the config file), then apply.
                let reply = self.config_set(pairs, true, now);
                match as_answer(reply) {
                    Answer::Done(_) => self.running(),
                    refused => refused,
                }
            }
            Request::Save => as_answer(self.store_call(StoreCall::Save { reboot: false }, now)),
            Request::Reboot => as_answer(self.store_call(StoreCall::Reboot, now)),
            Request::FactoryReset => as_answer(self.store_call(
                StoreCall::FactoryReset {
                    keep_network: false,
                },
                now,
            )),
            Request::Query(topic) => self.console_query(topic, now),
        }
    }

    fn running(&self) -> Answer {
        Answer::Config(Box::new(self.device.config().clone()))
    }

    fn release_lock(&mut self, session: u64) {
        if self
            .console
            .lock
            .as_ref()
            .is_some_and(|(s, _)| *s == session)
        {
            self.console.lock = None;
        }
    }

    fn console_query(&self, topic: Topic, now: Instant) -> Answer {
        match topic {
            Topic::Status => Answer::Done(pretty(&self.status_json(now))),
            Topic::Stats => {
                let status = self.status_json(now);
                let mut stats = status["counters"].clone();
                if let Some(netns) = status.get("netns") {
                    // With a stack of its own (--netns) the device shows the kernel's counters.
                    stats["ip_stack"] = netns["kernel"].clone();
                }
                Answer::Done(pretty(&stats))
            }
            Topic::Time => Answer::Done(format!(
                "up {:.0} s",
                now.saturating_since(Instant::from_nanos(0)).as_secs_f64()
            )),
            Topic::Log => Answer::Done(text_lines(
                self.device.admin().log.since(0).iter(),
                "(the system log is empty)",
            )),
            Topic::PortLog => {
                let log = &self.device.admin().port_log;
                let mut text = format!(
                    "port log: {} ({} of {} bytes held, {} captured)\n",
                    if self.device.config().port1.log.enabled {
                        "on"
                    } else {
                        "off"
                    },
                    log.held(),
                    self.device.config().port1.log.size_bytes,
                    log.captured
                );
                text.push_str(&text_lines(log.chunks(), "(nothing captured)"));
                Answer::Done(text)
            }
            Topic::Filter(_) => {
                let rules = &self.device.config().system.filter.rules;
                let mut text = text_lines(
                    rules
                        .iter()
                        .enumerate()
                        .map(|(i, r)| filter::rule_line(i, r)),
                    "(no rules: every address is accepted)",
                );
                for (service, c) in self.device.admin().filter.counts() {
                    text.push_str(&format!(
                        "\n{service}: accepted {}, dropped {}, rejected {}",
                        c.accepted, c.dropped, c.rejected
                    ));
                }
                Answer::Done(text)
            }
        }
    }
}

/// A control reply as a console answer: success, or the reply's error in one line.
fn as_answer(reply: Reply) -> Answer {
    if reply.status == 200 {
        return Answer::Done(String::new());
    }
    let why = reply.body["error"]
        .as_str()
        .map(|e| e.replace('\n', ";"))
        .unwrap_or_else(|| reply.body.to_string());
    Answer::Refused(why)
}

/// One line per item, or `empty` when there is none.
fn text_lines<T: std::fmt::Display>(items: impl Iterator<Item = T>, empty: &str) -> String {
    let lines: Vec<String> = items.map(|i| i.to_string()).collect();
    if lines.is_empty() {
        empty.to_owned()
    } else {
        lines.join("\n")
    }
}

/// JSON as indented lines.
fn pretty(v: &serde_json::Value) -> String {
    serde_json::to_string_pretty(v).unwrap_or_default()
}
