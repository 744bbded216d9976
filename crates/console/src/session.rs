//! One console session: the login, the menus, value prompts, and the device requests they need.

use crate::line::{Input, LineEditor};
use crate::menu::{self, Action, Node};
use crate::view;
use crate::{Answer, Request, Settings, ERR, OK};
use m2285_core::config::schema::KeySpec;
use m2285_core::Config;
use m2285_time::Instant;
use std::collections::VecDeque;

/// What the user is being asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Phase {
    User,
    Password(String),
    Menu,
    Value(String),
    Confirm(Action),
    Command,
    /// Commands from an SSH exec request; no prompts, no echo.
    Exec,
    Closed,
}

/// A menu being shown.
#[derive(Debug, Clone)]
pub(crate) enum View {
    Menu(Node),
    Entries {
        list: &'static KeySpec,
        fields: Vec<&'static KeySpec>,
    },
    Entry {
        list: &'static KeySpec,
        fields: Vec<&'static KeySpec>,
        index: usize,
    },
}

/// What to do once every request of a job has succeeded.
#[derive(Debug, Clone)]
pub(crate) enum Then {
    LoggedIn,
    /// Stage these changes, all or nothing.
    Set(Vec<(String, String)>),
    Show(Option<String>),
    Get(String),
    /// Nothing more to do (a lock given back quietly).
    Nothing,
    Finish {
        clear_staged: bool,
        message: String,
        close: bool,
    },
}

/// Requests still to be made, and what follows.
#[derive(Debug)]
pub(crate) struct Job {
    steps: VecDeque<Request>,
    sent: bool,
    texts: Vec<String>,
    then: Then,
}

/// One console session (see the crate documentation for how a transport drives it).
#[derive(Debug)]
pub struct Console {
    pub(crate) settings: Settings,
    pub(crate) editor: LineEditor,
    pub(crate) phase: Phase,
    /// Where input goes back to after a job (Menu, Command or Exec).
    pub(crate) home: Phase,
    pub(crate) stack: Vec<View>,
    pub(crate) out: Vec<u8>,
    pub(crate) job: Option<Job>,
    pub(crate) user: Option<String>,
    pub(crate) running: Config,
    pub(crate) staged: Option<Config>,
    pub(crate) changes: Vec<(String, String)>,
    failures: u32,
    last_activity: Instant,
    retry_at: Option<Instant>,
    pub(crate) exec_queue: VecDeque<String>,
    pub(crate) exit_status: u32,
    pub(crate) width: u16,
}

impl Console {
    /// A session that starts at the login prompt (serial console, Telnet).
    pub fn new(settings: Settings, now: Instant) -> Console {
        let mut c = Console::bare(settings, now);
        c.out.extend_from_slice(
            b"\r\nPatton EtherBits Model 2285 (m2285-sim) console\r\n\r\nlogin: ",
        );
        c
    }

    /// An interactive session whose user the transport has already checked (SSH shell): the
    /// running configuration is read, then the main menu is shown.
    pub fn logged_in(settings: Settings, user: &str, now: Instant) -> Console {
        let mut c = Console::bare(settings, now);
        c.user = Some(user.to_owned());
        c.start_job(vec![Request::Snapshot], Then::LoggedIn);
        c
    }

    /// A non-interactive session (SSH exec) for an already checked user: runs the commands of
    /// `commands` (separated by `;` or newlines) in command mode, stops at the first that
    /// fails, then closes; [`exit_status`](Self::exit_status) is 0 when all succeeded.
    pub fn exec(settings: Settings, user: &str, commands: &str, now: Instant) -> Console {
        let mut c = Console::bare(settings, now);
        c.user = Some(user.to_owned());
        c.home = Phase::Exec;
        c.editor.echo = false;
        c.exec_queue = commands
            .split([';', '\n'])
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect();
        c.start_job(vec![Request::Snapshot], Then::LoggedIn);
        c
    }

    fn bare(settings: Settings, now: Instant) -> Console {
        Console {
            width: settings.width,
            settings,
            editor: LineEditor::default(),
            phase: Phase::User,
            home: Phase::Menu,
            stack: Vec::new(),
            out: Vec::new(),
            job: None,
            user: None,
            running: Config::factory(),
            staged: None,
            changes: Vec::new(),
            failures: 0,
            last_activity: now,
            retry_at: None,
            exec_queue: VecDeque::new(),
            exit_status: 0,
        }
    }

    /// Bytes the user typed.
    pub fn receive(&mut self, bytes: &[u8], now: Instant) {
        if self.phase == Phase::Closed {
            return;
        }
        self.last_activity = now;
        let mut echo = Vec::new();
        self.editor.feed(bytes, now, &mut echo);
        if self.phase != Phase::Exec {
            self.out.extend_from_slice(&echo);
        }
        self.process_input(now);
    }

    /// Bytes to send to the user.
    pub fn take_output(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.out)
    }

    /// The next request for the device, once; answer it with [`answer`](Self::answer).
    pub fn poll_request(&mut self) -> Option<Request> {
        let job = self.job.as_mut()?;
        if job.sent {
            return None;
        }
        let request = job.steps.front()?.clone();
        job.sent = true;
        Some(request)
    }

    /// The device's answer to the request last returned by [`poll_request`](Self::poll_request).
    pub fn answer(&mut self, answer: Answer, now: Instant) {
        self.last_activity = now;
        let Some(mut job) = self.job.take() else {
            return;
        };
        let request = job.steps.pop_front();
        job.sent = false;
        match answer {
            Answer::Refused(why) => {
                self.job_failed(request, &job.then, &why, now);
                self.process_input(now);
                return;
            }
            Answer::Config(config) => {
                if request == Some(Request::Lock) && self.staged.is_none() {
                    self.staged = Some((*config).clone());
                }
                self.running = *config;
            }
            Answer::Done(text) => {
                if !text.trim().is_empty() {
                    job.texts.push(text);
                }
            }
        }
        if job.steps.is_empty() {
            self.finish(job);
        } else {
            self.job = Some(job);
        }
        self.process_input(now);
    }

    /// When [`handle_timeout`](Self::handle_timeout) must be called next.
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.phase == Phase::Closed {
            return None;
        }
        let idle = self
            .last_activity
            .saturating_add(self.settings.idle_timeout);
        [Some(idle), self.editor.poll_timeout(), self.retry_at]
            .into_iter()
            .flatten()
            .min()
    }

    /// Lets time pass: the idle timeout, a lone ESC, the pause after a wrong login.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.phase == Phase::Closed {
            return;
        }
        if now
            >= self
                .last_activity
                .saturating_add(self.settings.idle_timeout)
        {
            self.say("\r\nIdle timeout: logged out.");
            self.close();
            return;
        }
        if self.retry_at.is_some_and(|t| now >= t) {
            self.retry_at = None;
            self.editor.clear();
            self.out.extend_from_slice(b"\r\nlogin: ");
        }
        self.editor.handle_timeout(now);
        self.process_input(now);
    }

    /// The terminal is this many columns wide (Telnet NAWS, SSH pty/window-change).
    pub fn set_width(&mut self, columns: u16) {
        if columns > 0 {
            self.width = columns;
        }
    }

    /// The session has ended; write what is left of the output and close the connection.
    pub fn is_closed(&self) -> bool {
        self.phase == Phase::Closed
    }

    /// The session holds the edit lock (it has staged edits); a transport that loses the
    /// connection gives the lock back, and the edits are dropped with the session.
    pub fn holds_lock(&self) -> bool {
        self.staged.is_some()
    }

    /// The logged-in user, if any.
    pub fn user(&self) -> Option<&str> {
        self.user.as_deref()
    }

    /// 0 when every exec command succeeded, 1 when one failed.
    pub fn exit_status(&self) -> u32 {
        self.exit_status
    }

    /// Handles finished input while no request is outstanding.
    pub(crate) fn process_input(&mut self, now: Instant) {
        loop {
            if self.job.is_some() || self.retry_at.is_some() || self.phase == Phase::Closed {
                return;
            }
            if self.phase == Phase::Exec {
                match self.exec_queue.pop_front() {
                    Some(command) => self.command(&command),
                    None => {
                        self.close();
                        return;
                    }
                }
                continue;
            }
            let Some(input) = self.editor.take_input() else {
                return;
            };
            self.input(input, now);
        }
    }

    fn input(&mut self, input: Input, now: Instant) {
        let _ = now;
        match (self.phase.clone(), input) {
            (_, Input::EndOfInput) => self.logout(),
            (Phase::User, Input::Line(user)) => {
                let user = user.trim().to_owned();
                if user.is_empty() {
                    self.out.extend_from_slice(b"login: ");
                } else {
                    self.out.extend_from_slice(b"Password: ");
                    self.editor.echo = false;
                    self.phase = Phase::Password(user);
                }
            }
            (Phase::User, _) => self.out.extend_from_slice(b"\r\nlogin: "),
            (Phase::Password(user), Input::Line(password)) => {
                self.editor.echo = true;
                self.phase = Phase::User;
                self.user = Some(user.clone());
                self.start_job(
                    vec![Request::Login { user, password }, Request::Snapshot],
                    Then::LoggedIn,
                );
            }
            (Phase::Password(_), _) => {
                self.editor.echo = true;
                self.phase = Phase::User;
                self.out.extend_from_slice(b"\r\nlogin: ");
            }
            (Phase::Menu, Input::Line(choice)) => self.menu_choice(choice.trim()),
            (Phase::Menu, Input::Back) => self.back(),
            (Phase::Menu, Input::Interrupt) => self.show_menu(),
            (Phase::Value(key), Input::Line(raw)) => {
                let raw = raw.trim().to_owned();
                self.editor.echo = true;
                if raw.is_empty() {
                    self.phase = Phase::Menu;
                    self.show_menu();
                } else {
                    self.set(vec![(key, raw)]);
                }
            }
            (Phase::Value(_), _) => {
                self.editor.echo = true;
                self.phase = Phase::Menu;
                self.show_menu();
            }
            (Phase::Confirm(action), Input::Line(answer)) => {
                self.phase = Phase::Menu;
                if answer.trim() == "yes" {
                    self.action(action, true);
                } else {
                    self.say("Not done.");
                    self.show_menu();
                }
            }
            (Phase::Confirm(_), _) => {
                self.phase = Phase::Menu;
                self.show_menu();
            }
            (Phase::Command, Input::Line(line)) => {
                if line.trim().is_empty() {
                    self.prompt();
                } else {
                    self.command(line.trim());
                }
            }
            (Phase::Command, _) => self.prompt(),
            (Phase::Exec | Phase::Closed, _) => {}
        }
    }

    /// Starts a job; with no steps it finishes at once.
    pub(crate) fn start_job(&mut self, steps: Vec<Request>, then: Then) {
        let job = Job {
            steps: steps.into(),
            sent: false,
            texts: Vec::new(),
            then,
        };
        if job.steps.is_empty() {
            self.finish(job);
        } else {
            self.job = Some(job);
        }
    }

    fn job_failed(&mut self, request: Option<Request>, then: &Then, why: &str, now: Instant) {
        if matches!(request, Some(Request::Login { .. })) {
            self.user = None;
            self.failures += 1;
            if self.failures >= self.settings.max_login_failures {
                self.say("Login incorrect. Too many failures: disconnecting.");
                self.close();
            } else {
                self.say("Login incorrect.");
                self.retry_at = Some(now.saturating_add(self.settings.failure_delay));
            }
            return;
        }
        if let Then::Set(changes) = then {
            if self.home == Phase::Menu && !changes.is_empty() {
                self.editor.echo = true;
                self.phase = Phase::Menu;
                // The lock was refused: back to the menu the key was chosen from.
                self.error(&format!("{why} ({} not staged)", changes[0].0));
                self.show_menu();
                return;
            }
        }
        self.error(why);
        self.back_home();
    }

    fn finish(&mut self, job: Job) {
        match job.then {
            Then::LoggedIn => {
                self.failures = 0;
                self.phase = self.home.clone();
                match self.home {
                    Phase::Menu => {
                        let user = self.user.clone().unwrap_or_default();
                        self.say(&format!("Logged in as {user}."));
                        self.stack = vec![View::Menu(menu::main_menu())];
                        self.show_menu();
                    }
                    Phase::Command => self.prompt(),
                    _ => {}
                }
            }
            Then::Set(changes) => self.stage(changes),
            Then::Show(what) => self.show(what.as_deref()),
            Then::Get(key) => self.get(&key),
            Then::Nothing => {}
            Then::Finish {
                clear_staged,
                message,
                close,
            } => {
                if clear_staged {
                    self.staged = None;
                    self.changes.clear();
                }
                for text in &job.texts {
                    self.data(text);
                }
                self.ok(&message);
                if close {
                    self.close();
                } else {
                    self.back_home();
                }
            }
        }
    }

    /// Stages `changes` on a copy of the staged configuration, all or nothing. Each value is
    /// checked the way the configuration file checks it (`Config::with_set`).
    fn stage(&mut self, changes: Vec<(String, String)>) {
        let mut config = self.staged.clone().unwrap_or_else(|| self.running.clone());
        for (key, raw) in &changes {
            match config
                .with_set(key, raw)
                .map_err(|errors| errors.iter().map(ToString::to_string).collect::<Vec<_>>())
            {
                Ok(next) => config = next,
                Err(why) => {
                    self.error(&why.join("; "));
                    if self.changes.is_empty() {
                        // Nothing staged yet: the lock taken for this edit is given back.
                        self.staged = None;
                        self.start_job(vec![Request::Unlock], Then::Nothing);
                    }
                    if self.home == Phase::Menu && self.phase == Phase::Value(key.clone()) {
                        // Explained; asked again.
                        if key.ends_with(".password") {
                            self.editor.echo = false;
                        }
                        self.out.extend_from_slice(b"New value (Enter = keep): ");
                    } else {
                        self.back_home();
                    }
                    return;
                }
            }
        }
        let shown: Vec<String> = changes
            .iter()
            .map(|(k, raw)| {
                if raw == m2285_core::config::DELETE && k.ends_with(']') {
                    format!("{k} deleted")
                } else {
                    format!("{k} = {}", view::value_text(&config, k))
                }
            })
            .collect();
        self.staged = Some(config);
        self.changes.extend(changes);
        if self.home == Phase::Menu {
            self.say(&format!("Staged: {}", shown.join(", ")));
            self.phase = Phase::Menu;
            self.show_menu();
        } else {
            self.ok(&shown.join(", "));
            self.back_home();
        }
    }

    /// Stages `changes`, taking the edit lock first if this session does not hold it.
    pub(crate) fn set(&mut self, changes: Vec<(String, String)>) {
        if self.staged.is_some() {
            self.stage(changes);
        } else {
            self.start_job(vec![Request::Lock], Then::Set(changes));
        }
    }

    pub(crate) fn close(&mut self) {
        self.phase = Phase::Closed;
        self.job = None;
    }

    /// Back to where input goes between jobs: the menu, the command prompt, or the next exec
    /// command.
    pub(crate) fn back_home(&mut self) {
        self.editor.echo = self.home != Phase::Exec;
        self.phase = self.home.clone();
        match self.home {
            Phase::Menu => self.show_menu(),
            Phase::Command => self.prompt(),
            _ => {}
        }
    }

    pub(crate) fn prompt(&mut self) {
        self.out.extend_from_slice(b"m2285> ");
    }

    /// A line of text for the user.
    pub(crate) fn say(&mut self, line: &str) {
        self.out.extend_from_slice(line.as_bytes());
        self.out.extend_from_slice(b"\r\n");
    }

    /// Lines of data (an answer's body), each ended by CRLF.
    pub(crate) fn data(&mut self, text: &str) {
        for line in text.lines() {
            self.say(line);
        }
    }

    /// A success: `OK text` in command mode, the text alone in the menus.
    pub(crate) fn ok(&mut self, text: &str) {
        if self.home == Phase::Menu {
            if !text.is_empty() {
                self.say(&format!("Done: {text}."));
            }
        } else if text.is_empty() {
            self.say(OK);
        } else {
            self.say(&format!("{OK} {text}"));
        }
    }

    /// A failure: `ERR why` in command mode (and exit status 1), `Error: why` in the menus.
    pub(crate) fn error(&mut self, why: &str) {
        let why = why.replace(['\r', '\n'], " ");
        if self.home == Phase::Menu {
            self.say(&format!("Error: {why}"));
        } else {
            self.say(&format!("{ERR} {why}"));
            if self.home == Phase::Exec {
                self.exit_status = 1;
                self.exec_queue.clear();
            }
        }
    }
}
