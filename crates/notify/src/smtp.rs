//! One SMTP conversation that delivers one e-mail (RFC 5321), sans-IO.
//!
//! The runtime connects to the server, passes every byte it reads to [`Dialogue::receive`] and
//! sends what it returns; the dialogue ends with [`Progress::Done`] or [`Progress::Failed`]
//! (which names the server's reply). Replies may arrive in any pieces; multi-line replies
//! (`250-...`) are read to their last line. The message body is dot-stuffed and its lines end in
//! CRLF.

/// The e-mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    /// Envelope and header sender.
    pub from: String,
    /// Envelope and header recipient.
    pub to: String,
    /// Subject line.
    pub subject: String,
    /// Text body.
    pub body: String,
}

/// Where the dialogue stands after the server's bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Progress {
    /// Send these bytes and read on.
    Send(Vec<u8>),
    /// Nothing to send yet: read on.
    Wait,
    /// The server took the message (QUIT was sent).
    Done,
    /// The server refused something; the reply line says what.
    Failed(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    Greeting,
    Ehlo,
    Auth,
    MailFrom,
    RcptTo,
    Data,
    Message,
    Quit,
    Over,
}

/// The client side of the conversation.
#[derive(Debug)]
pub struct Dialogue {
    mail: Mail,
    helo_name: String,
    auth: Option<(String, String)>,
    step: Step,
    pending: Vec<u8>,
}

impl Dialogue {
    /// A dialogue that greets as `helo_name` and logs in with `auth` (user, password) when
    /// given.
    pub fn new(mail: Mail, helo_name: &str, auth: Option<(String, String)>) -> Dialogue {
        Dialogue {
            mail,
            helo_name: helo_name.to_owned(),
            auth,
            step: Step::Greeting,
            pending: Vec::new(),
        }
    }

    /// Feeds the server's bytes; returns what to do next.
    pub fn receive(&mut self, bytes: &[u8]) -> Progress {
        self.pending.extend_from_slice(bytes);
        let mut out = Vec::new();
        while let Some(end) = self.pending.windows(2).position(|w| w == b"\r\n") {
            let line: Vec<u8> = self.pending.drain(..end + 2).collect();
            let line = String::from_utf8_lossy(&line[..end]).into_owned();
            if line.len() < 3 || line.as_bytes().get(3) == Some(&b'-') {
                continue; // a continuation line of a multi-line reply
            }
            let code: u16 = line[..3].parse().unwrap_or(0);
            match self.advance(code, &line) {
                Progress::Send(b) => out.extend(b),
                Progress::Wait => {}
                done => return done,
            }
        }
        if out.is_empty() {
            Progress::Wait
        } else {
            Progress::Send(out)
        }
    }

    fn advance(&mut self, code: u16, line: &str) -> Progress {
        let expect = match self.step {
            Step::Greeting => 220,
            Step::Ehlo | Step::MailFrom | Step::RcptTo | Step::Message => 250,
            Step::Auth => 235,
            Step::Data => 354,
            Step::Quit => 221,
            Step::Over => return Progress::Wait,
        };
        let ok = code == expect || (self.step == Step::RcptTo && code == 251);
        if !ok {
            self.step = Step::Over;
            return Progress::Failed(line.to_owned());
        }
        let (next, send) = match self.step {
            Step::Greeting => (Step::Ehlo, format!("EHLO {}\r\n", self.helo_name)),
            Step::Ehlo => match &self.auth {
                Some((user, password)) => {
                    let token = base64(format!("\0{user}\0{password}").as_bytes());
                    (Step::Auth, format!("AUTH PLAIN {token}\r\n"))
                }
                None => (
                    Step::MailFrom,
                    format!("MAIL FROM:<{}>\r\n", self.mail.from),
                ),
            },
            Step::Auth => (
                Step::MailFrom,
                format!("MAIL FROM:<{}>\r\n", self.mail.from),
            ),
            Step::MailFrom => (Step::RcptTo, format!("RCPT TO:<{}>\r\n", self.mail.to)),
            Step::RcptTo => (Step::Data, "DATA\r\n".to_owned()),
            Step::Data => (Step::Message, self.message()),
            Step::Message => (Step::Quit, "QUIT\r\n".to_owned()),
            Step::Quit | Step::Over => {
                self.step = Step::Over;
                return Progress::Done;
            }
        };
        self.step = next;
        Progress::Send(send.into_bytes())
    }

    /// True once the server accepted the message (what is left is the polite QUIT).
    pub fn delivered(&self) -> bool {
        matches!(self.step, Step::Quit | Step::Over)
    }

    /// Headers and dot-stuffed body, ending with the lone dot.
    fn message(&self) -> String {
        let m = &self.mail;
        let mut text = format!(
            "From: <{}>\r\nTo: <{}>\r\nSubject: {}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n",
            m.from,
            m.to,
            m.subject.replace(['\r', '\n'], " ")
        );
        for line in m.body.lines() {
            if line.starts_with('.') {
                text.push('.');
            }
            text.push_str(line);
            text.push_str("\r\n");
        }
        text.push_str(".\r\n");
        text
    }
}

/// Standard base64 with padding (RFC 4648), for AUTH PLAIN.
fn base64(data: &[u8]) -> String {
    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ABC[(n >> (18 - 6 * i)) as usize & 63]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mail() -> Mail {
        Mail {
            from: "m2285@localhost".into(),
            to: "ops@localhost".into(),
            subject: "port 1: ALARM".into(),
            body: "line one\n.dot line".into(),
        }
    }

    #[test]
    fn base64_matches_the_rfc_vectors() {
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
        assert_eq!(base64(b"fooba"), "Zm9vYmE=");
        assert_eq!(base64(b"foob"), "Zm9vYg==");
        assert_eq!(base64(b"\0u\0p"), "AHUAcA==");
    }

    #[test]
    fn a_whole_conversation_with_auth_in_odd_pieces() {
        let mut d = Dialogue::new(mail(), "m2285", Some(("u".into(), "p".into())));
        assert_eq!(d.receive(b"220 hi"), Progress::Wait);
        assert_eq!(
            d.receive(b"\r\n"),
            Progress::Send(b"EHLO m2285\r\n".to_vec())
        );
        assert_eq!(
            d.receive(b"250-hello\r\n250-AUTH PLAIN\r\n250 OK\r\n"),
            Progress::Send(b"AUTH PLAIN AHUAcA==\r\n".to_vec())
        );
        assert_eq!(
            d.receive(b"235 ok\r\n"),
            Progress::Send(b"MAIL FROM:<m2285@localhost>\r\n".to_vec())
        );
        assert_eq!(
            d.receive(b"250 ok\r\n"),
            Progress::Send(b"RCPT TO:<ops@localhost>\r\n".to_vec())
        );
        assert_eq!(
            d.receive(b"250 ok\r\n"),
            Progress::Send(b"DATA\r\n".to_vec())
        );
        let Progress::Send(msg) = d.receive(b"354 go\r\n") else {
            panic!("message expected")
        };
        let msg = String::from_utf8(msg).unwrap_or_default();
        assert!(msg.contains("Subject: port 1: ALARM\r\n"));
        assert!(
            msg.ends_with("\r\nline one\r\n..dot line\r\n.\r\n"),
            "{msg}"
        );
        assert!(!d.delivered());
        assert_eq!(
            d.receive(b"250 queued\r\n"),
            Progress::Send(b"QUIT\r\n".to_vec())
        );
        assert!(d.delivered());
        assert_eq!(d.receive(b"221 bye\r\n"), Progress::Done);
    }

    #[test]
    fn a_refusal_names_the_reply() {
        let mut d = Dialogue::new(mail(), "m2285", Some(("u".into(), "bad".into())));
        d.receive(b"220 hi\r\n");
        d.receive(b"250 OK\r\n");
        assert_eq!(
            d.receive(b"535 5.7.8 Authentication credentials invalid\r\n"),
            Progress::Failed("535 5.7.8 Authentication credentials invalid".into())
        );
    }
}
