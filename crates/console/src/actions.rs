//! What the menu actions and their command-mode twins ask of the device: apply, save, reboot,
//! factory reset, queries, log out.

use crate::menu::Action;
use crate::session::{Console, Phase, Then};
use crate::{Request, Topic};

impl Console {
    /// Carries out a menu action or its command-mode twin.
    pub(crate) fn action(&mut self, action: Action, confirmed: bool) {
        let changes = self.changes.clone();
        let mut apply = Vec::new();
        if !changes.is_empty() {
            apply.push(Request::Apply(changes.clone()));
        }
        if self.staged.is_some() {
            apply.push(Request::Unlock);
        }
        let n = changes.len();
        let finish = |message: String, close: bool| Then::Finish {
            clear_staged: true,
            message,
            close,
        };
        let query = |topic| {
            (
                vec![Request::Query(topic)],
                Then::Finish {
                    clear_staged: false,
                    message: String::new(),
                    close: false,
                },
            )
        };
        let (steps, then) = match action {
            Action::Status => query(Topic::Status),
            Action::Stats => query(Topic::Stats),
            Action::Log => query(Topic::Log),
            Action::PortLog => query(Topic::PortLog),
            Action::Filter => query(Topic::Filter(Vec::new())),
            Action::Time => query(Topic::Time),
            Action::Apply => (apply, finish(format!("applied {n} change(s)"), false)),
            Action::Save => {
                apply.push(Request::Save);
                (
                    apply,
                    finish(format!("applied {n} change(s) and saved"), false),
                )
            }
            Action::SaveReboot => {
                apply.extend([Request::Save, Request::Reboot]);
                (apply, finish("saved; rebooting".into(), true))
            }
            Action::Reboot | Action::FactoryReset if !confirmed => {
                self.out
                    .extend_from_slice(b"Are you sure? Type yes to go on: ");
                self.phase = Phase::Confirm(action);
                return;
            }
            Action::Reboot => {
                let mut steps = self.unlock_steps();
                steps.push(Request::Reboot);
                (steps, finish("rebooting".into(), true))
            }
            Action::FactoryReset => {
                let mut steps = self.unlock_steps();
                steps.extend([Request::FactoryReset, Request::Snapshot]);
                (
                    steps,
                    finish("factory configuration restored".into(), false),
                )
            }
            Action::ExitWithoutSaving => {
                self.logout();
                return;
            }
            Action::CommandMode => {
                self.home = Phase::Command;
                self.phase = Phase::Command;
                self.say("Command mode: type help for the commands, menu for the menus.");
                self.prompt();
                return;
            }
        };
        self.start_job(steps, then);
    }

    fn unlock_steps(&self) -> Vec<Request> {
        if self.staged.is_some() {
            vec![Request::Unlock]
        } else {
            Vec::new()
        }
    }

    /// Drops staged edits (giving the lock back) and ends the session.
    pub(crate) fn logout(&mut self) {
        let steps = self.unlock_steps();
        let n = self.changes.len();
        let message = if n == 0 {
            "logged out".to_owned()
        } else {
            format!("{n} staged change(s) dropped; logged out")
        };
        self.start_job(
            steps,
            Then::Finish {
                clear_staged: true,
                message,
                close: true,
            },
        );
    }
}
