//! The login layer of a session stack (`port1.host.user_auth`, manual §4.3): before any data
//! flows the peer must give a user name and password of the device's user list.
//!
//! The dialogue (decided in docs/host-modes.md): the device sends `login: `, reads a line, sends
//! `password: `, reads a line. A line ends with CR or LF (CR LF and CR NUL count once);
//! backspace and DEL erase. Right: `\r\nlogin ok\r\n`, then data flows both ways (bytes after the
//! password line in the same read are data). Wrong: `\r\nLogin incorrect\r\n` and the prompt
//! again; after [`MAX_TRIES`] wrong tries the session is closed. Serial data is not sent to a
//! session that has not logged in. Passwords are never logged, shown or kept after the check.

/// Wrong tries after which the session is closed.
pub const MAX_TRIES: u8 = 3;
/// Longest user name or password line kept; the rest of a longer line is ignored.
pub const MAX_LINE: usize = 64;

/// The accounts that may log in.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct LoginConfig {
    /// (name, Argon2 PHC hash of the password) pairs (crate::admin::accounts).
    pub users: Vec<(String, String)>,
}

impl std::fmt::Debug for LoginConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.users.iter().map(|(n, _)| n.as_str()).collect();
        f.debug_struct("LoginConfig")
            .field("users", &names)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    User,
    Password,
    Done,
    Closed,
}

/// What one piece of input did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct LoginStep {
    /// Text for the peer (prompts, verdicts).
    pub reply: Vec<u8>,
    /// Data for the serial port (what followed a successful login).
    pub data: Vec<u8>,
    /// A finished try: the user name given and whether it was accepted.
    pub result: Vec<(String, bool)>,
    /// True when the session must close.
    pub close: bool,
}

/// The login state of one session.
pub struct Login {
    users: Vec<(String, String)>,
    stage: Stage,
    line: Vec<u8>,
    name: String,
    failures: u8,
    after_cr: bool,
}

impl std::fmt::Debug for Login {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Login")
            .field("stage", &self.stage)
            .field("failures", &self.failures)
            .finish_non_exhaustive()
    }
}

impl Login {
    /// A login dialogue; returns it with the first prompt.
    pub fn new(cfg: &LoginConfig) -> (Self, Vec<u8>) {
        let login = Login {
            users: cfg.users.clone(),
            stage: Stage::User,
            line: Vec::new(),
            name: String::new(),
            failures: 0,
            after_cr: false,
        };
        (login, b"login: ".to_vec())
    }

    /// True once the peer has logged in.
    pub fn done(&self) -> bool {
        self.stage == Stage::Done
    }

    /// Feeds bytes from the peer.
    pub fn input(&mut self, bytes: &[u8]) -> LoginStep {
        let mut step = LoginStep::default();
        for (i, &b) in bytes.iter().enumerate() {
            // The LF (or NUL) of a CR LF that ended the last line belongs to that line.
            let after_cr = std::mem::replace(&mut self.after_cr, false);
            if after_cr && (b == b'\n' || b == 0) {
                continue;
            }
            match self.stage {
                Stage::Done => {
                    step.data.extend_from_slice(&bytes[i..]);
                    return step;
                }
                Stage::Closed => return step,
                Stage::User | Stage::Password => {}
            }
            match b {
                b'\r' | b'\n' => {
                    self.after_cr = b == b'\r';
                    self.line_done(&mut step);
                }
                0x08 | 0x7f => {
                    self.line.pop();
                }
                c if c < 0x20 => {}
                c => {
                    if self.line.len() < MAX_LINE {
                        self.line.push(c);
                    }
                }
            }
        }
        step
    }

    fn line_done(&mut self, step: &mut LoginStep) {
        let line = String::from_utf8_lossy(&std::mem::take(&mut self.line)).into_owned();
        match self.stage {
            Stage::User => {
                self.name = line;
                self.stage = Stage::Password;
                step.reply.extend_from_slice(b"password: ");
            }
            Stage::Password => {
                // One hash per try, whether or not the name exists, so a wrong name costs the
                // same time as a wrong password.
                let hash = self
                    .users
                    .iter()
                    .find(|(n, _)| *n == self.name)
                    .map_or(crate::admin::accounts::UNKNOWN_USER_HASH, |(_, h)| {
                        h.as_str()
                    });
                let known = self.users.iter().any(|(n, _)| *n == self.name);
                let ok = crate::admin::accounts::verify_password(hash, &line) && known;
                step.result.push((std::mem::take(&mut self.name), ok));
                if ok {
                    self.stage = Stage::Done;
                    step.reply.extend_from_slice(b"\r\nlogin ok\r\n");
                    // Nothing of the dialogue is kept.
                    self.users.clear();
                    return;
                }
                self.failures += 1;
                step.reply.extend_from_slice(b"\r\nLogin incorrect\r\n");
                if self.failures >= MAX_TRIES {
                    self.stage = Stage::Closed;
                    step.close = true;
                } else {
                    self.stage = Stage::User;
                    step.reply.extend_from_slice(b"login: ");
                }
            }
            Stage::Done | Stage::Closed => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg() -> LoginConfig {
        LoginConfig {
            users: vec![(
                "op".into(),
                crate::admin::accounts::hash_password("s3cret", &[7; 16]).unwrap_or_default(),
            )],
        }
    }

    #[test]
    fn right_credentials_open_the_data_path() {
        let (mut l, prompt) = Login::new(&cfg());
        assert_eq!(prompt, b"login: ");
        let s = l.input(b"op\r\n");
        assert_eq!(s.reply, b"password: ");
        let s = l.input(b"s3cret\r\nhello");
        assert_eq!(s.result, vec![("op".to_string(), true)]);
        assert_eq!(s.reply, b"\r\nlogin ok\r\n");
        assert_eq!(s.data, b"hello");
        assert!(l.done());
        assert_eq!(l.input(b"\r\nmore").data, b"\r\nmore");
        // The LF of the password line's CR LF is not data, even in the next read.
        let (mut l, _) = Login::new(&cfg());
        l.input(b"op\rs3cret\r");
        assert_eq!(l.input(b"\ndata").data, b"data");
        assert!(!format!("{l:?}{:?}", cfg()).contains("s3cret"));
    }

    #[test]
    fn three_wrong_tries_close_the_session() {
        let (mut l, _) = Login::new(&cfg());
        for i in 1..=MAX_TRIES {
            let s = l.input(b"op\rwrong\r");
            assert_eq!(s.result, vec![("op".to_string(), false)]);
            assert_eq!(s.close, i == MAX_TRIES, "try {i}");
        }
        assert!(!l.done());
        assert_eq!(l.input(b"op\rs3cret\r"), LoginStep::default());
    }

    #[test]
    fn line_editing_and_byte_at_a_time_input() {
        let (mut l, _) = Login::new(&cfg());
        for b in b"oX\x08p\n" {
            l.input(&[*b]);
        }
        let mut last = LoginStep::default();
        for b in b"s3cret\r\0" {
            last = l.input(&[*b]);
            if !last.result.is_empty() {
                break;
            }
        }
        assert_eq!(last.result, vec![("op".to_string(), true)]);
    }
}
