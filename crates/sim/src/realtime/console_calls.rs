//! The loop's side of the consoles: answering a console session's requests (login, the
//! running configuration, the edit lock, apply, save, reboot, queries) on the device.

use super::Runtime;
use crate::console::ConsoleCall;
use crate::control::{Reply, StoreCall};
use m2285_console::{Answer, Request, Topic};
use m2285_core::admin::accounts::manager_login;
use m2285_time::Instant;
use serde_json::json;

/// Who holds the edit lock, and the console sessions logged in.
#[derive(Debug, Default)]
pub struct ConsoleState {
    /// The session holding the edit lock, and its peer.
    lock: Option<(u64, String)>,
    /// Logged-in sessions: peer and user.
    sessions: std::collections::BTreeMap<u64, (String, String)>,
}

impl Runtime {
    /// Answers one console request.
    pub(super) fn console_call(&mut self, call: ConsoleCall, now: Instant) {
        let answer = self.console_answer(call.session, &call.peer, call.request, now);
        let _ = call.reply.send(answer);
    }

    fn console_answer(
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
                let event = if ok {
                    "console_login"
                } else {
                    "console_login_failed"
                };
                crate::output::emit_event(
                    json!({"event": event, "peer": peer, "user": user}),
                    now,
                    &self.tracer,
                );
                if ok {
                    self.console
                        .sessions
                        .insert(session, (peer.to_owned(), user));
                    Answer::Done(String::new())
                } else {
                    Answer::Refused("login incorrect".into())
                }
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
                if let Some((peer, user)) = self.console.sessions.remove(&session) {
                    crate::output::emit_event(
                        json!({"event": "console_logout", "peer": peer, "user": user}),
                        now,
                        &self.tracer,
                    );
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
            Topic::Log | Topic::PortLog => Answer::Refused(
                "not in this build yet: the system and port logs are missing".into(),
            ),
            Topic::Filter(_) => {
                Answer::Refused("not in this build yet: the IP filter is missing".into())
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

/// JSON as indented lines.
fn pretty(v: &serde_json::Value) -> String {
    serde_json::to_string_pretty(v).unwrap_or_default()
}
