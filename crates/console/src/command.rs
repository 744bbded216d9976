//! Command mode: one command per line, each answered by zero or more data lines and one status
//! line, `OK ...` or `ERR ...` (docs/console.md has the reference).

use crate::menu::Action;
use crate::session::{Console, Phase, Then};
use crate::view;
use crate::{Request, Topic};
use m2285_core::config::DELETE;

/// The command reference `help` prints.
pub const HELP: &str = "\
show [KEY|SECTION]        keys and values (staged edits included)
get KEY                   one value
set KEY VALUE             stage a change (checked like the config file)
apply                     put staged changes into effect
save                      apply, then keep the running configuration over a reboot
discard                   drop staged changes
reboot                    restart the device (staged changes are dropped)
factory-reset             back to the factory configuration (saved), then reboot
status | stats            device status, counters
log [port]                system log, or the port log
users                     list users
users add NAME PASSWORD   add a user (staged)
users passwd NAME PASSWORD  change a password (staged)
users del NAME            delete a user (staged)
filter                    the IP filter's rules (numbered from 0) and counters
filter add FIELD=VALUE... add a rule at the end (address, mask, service, rule; staged)
filter del N              delete rule N (staged)
date                      the device's date and time
menu                      back to the menus (interactive sessions)
exit                      log out (staged changes are dropped)
help                      this list";

impl Console {
    /// Runs one command line.
    pub(crate) fn command(&mut self, line: &str) {
        let (word, rest) = split_word(line);
        let (arg, tail) = split_word(rest);
        match word {
            "help" => {
                self.data(HELP);
                self.ok("");
                self.back_home();
            }
            "show" => {
                let what = (!arg.is_empty()).then(|| arg.to_owned());
                self.read_then(Then::Show(what));
            }
            "get" if !arg.is_empty() => self.read_then(Then::Get(arg.to_owned())),
            "set" if !arg.is_empty() && !tail.is_empty() => {
                self.set(vec![(arg.to_owned(), tail.to_owned())]);
            }
            "apply" => self.action(Action::Apply, true),
            "save" => self.action(Action::Save, true),
            "discard" => {
                let n = self.changes.len();
                let steps = if self.staged.is_some() {
                    vec![Request::Unlock]
                } else {
                    Vec::new()
                };
                self.start_job(
                    steps,
                    Then::Finish {
                        clear_staged: true,
                        message: format!("discarded {n} change(s)"),
                        close: false,
                    },
                );
            }
            "reboot" => self.action(Action::Reboot, true),
            "factory-reset" => self.action(Action::FactoryReset, true),
            "status" => self.action(Action::Status, true),
            "stats" => self.action(Action::Stats, true),
            "log" if arg == "port" => self.action(Action::PortLog, true),
            "log" if arg.is_empty() => self.action(Action::Log, true),
            "date" | "time" => self.action(Action::Time, true),
            "filter" => self.filter(arg, tail),
            "users" => self.users(arg, tail),
            "menu" if self.home == Phase::Command => {
                self.home = Phase::Menu;
                self.phase = Phase::Menu;
                if self.stack.is_empty() {
                    self.stack = vec![crate::session::View::Menu(crate::menu::main_menu())];
                }
                self.show_menu();
            }
            "exit" | "quit" | "logout" => self.logout(),
            _ => {
                self.error(&format!(
                    "{line:?}: unknown command or missing argument (try help)"
                ));
                self.back_home();
            }
        }
    }

    fn query(&mut self, topic: Topic) {
        self.start_job(
            vec![Request::Query(topic)],
            Then::Finish {
                clear_staged: false,
                message: String::new(),
                close: false,
            },
        );
    }

    /// Reads from the staged edits if there are some, else from a fresh running configuration.
    fn read_then(&mut self, then: Then) {
        let steps = if self.staged.is_some() {
            Vec::new()
        } else {
            vec![Request::Snapshot]
        };
        self.start_job(steps, then);
    }

    /// `show [KEY|SECTION]`.
    pub(crate) fn show(&mut self, what: Option<&str>) {
        let config = self.staged.clone().unwrap_or_else(|| self.running.clone());
        let keys: Vec<String> = view::all_keys(&config)
            .into_iter()
            .filter(|k| match what {
                None => true,
                Some(w) => {
                    k == w
                        || k.strip_prefix(w)
                            .is_some_and(|r| r.starts_with('.') || r.starts_with('['))
                }
            })
            .collect();
        if keys.is_empty() {
            self.error(&format!(
                "{}: no such key or section (docs/config.md lists every key)",
                what.unwrap_or("")
            ));
        } else {
            for key in keys {
                let line = format!("{key} = {}", view::value_text(&config, &key));
                self.say(&line);
            }
            self.ok("");
        }
        self.back_home();
    }

    /// `get KEY`.
    pub(crate) fn get(&mut self, key: &str) {
        let config = self.staged.clone().unwrap_or_else(|| self.running.clone());
        if config.get(key).is_some() {
            let value = view::value_text(&config, key);
            self.ok(&value);
        } else {
            self.error(&format!(
                "{key}: no such configuration key (docs/config.md lists every key)"
            ));
        }
        self.back_home();
    }

    /// `users`, `users add NAME PASSWORD`, `users passwd NAME PASSWORD`.
    fn users(&mut self, sub: &str, rest: &str) {
        let config = self.staged.clone().unwrap_or_else(|| self.running.clone());
        let n = view::list_len(&config, "system.users");
        let names: Vec<String> = (0..n)
            .map(|i| view::value_text(&config, &format!("system.users[{i}].name")))
            .collect();
        let (name, password) = split_word(rest);
        let quoted = format!("{:?}", name);
        let index = names.iter().position(|n| *n == quoted);
        match (sub, index) {
            ("", _) => {
                for name in &names {
                    self.say(name.trim_matches('"'));
                }
                self.ok(&format!("{n} user(s)"));
                self.back_home();
            }
            ("add", None) if !name.is_empty() && !password.is_empty() => self.set(vec![
                (format!("system.users[{n}].name"), name.to_owned()),
                (format!("system.users[{n}].password"), password.to_owned()),
            ]),
            ("add", Some(_)) => {
                self.error(&format!("user {name} exists already"));
                self.back_home();
            }
            ("passwd", Some(i)) if !password.is_empty() => self.set(vec![(
                format!("system.users[{i}].password"),
                password.to_owned(),
            )]),
            ("del", Some(i)) if password.is_empty() => {
                self.set(vec![(format!("system.users[{i}]"), DELETE.to_owned())]);
            }
            ("passwd" | "del", None) => {
                self.error(&format!("no user {name}"));
                self.back_home();
            }
            _ => {
                self.error(
                    "usage: users | users add NAME PASSWORD | users passwd NAME PASSWORD | users del NAME",
                );
                self.back_home();
            }
        }
    }
}

impl Console {
    /// `filter`, `filter add FIELD=VALUE...`, `filter del N`.
    fn filter(&mut self, sub: &str, rest: &str) {
        let config = self.staged.clone().unwrap_or_else(|| self.running.clone());
        let n = view::list_len(&config, "system.filter.rules");
        match sub {
            "" => self.query(Topic::Filter(Vec::new())),
            "add" if !rest.is_empty() => {
                let mut changes = Vec::new();
                for word in rest.split_whitespace() {
                    let Some((field, value)) = word.split_once('=') else {
                        self.error(&format!(
                            "{word}: give FIELD=VALUE (address, mask, service, rule)"
                        ));
                        self.back_home();
                        return;
                    };
                    changes.push((
                        format!("system.filter.rules[{n}].{field}"),
                        value.to_owned(),
                    ));
                }
                self.set(changes);
            }
            "del" => match rest.parse::<usize>() {
                Ok(i) if i < n => {
                    self.set(vec![(
                        format!("system.filter.rules[{i}]"),
                        DELETE.to_owned(),
                    )]);
                }
                _ => {
                    self.error(&format!(
                        "{rest:?}: no such rule ({n} rule(s), numbered from 0)"
                    ));
                    self.back_home();
                }
            },
            _ => {
                self.error("usage: filter | filter add FIELD=VALUE... | filter del N");
                self.back_home();
            }
        }
    }
}

/// The first word of `line` and the rest, trimmed.
fn split_word(line: &str) -> (&str, &str) {
    let line = line.trim();
    match line.split_once(char::is_whitespace) {
        Some((w, rest)) => (w, rest.trim()),
        None => (line, ""),
    }
}
