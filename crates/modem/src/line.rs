//! Command-line assembly: serial bytes in command mode → complete command lines.
//!
//! Hayes rules: everything before `AT` (any case) is ignored; `A/` repeats the previous line at
//! once, without CR; after `AT` bytes collect until S3 (CR). S5 (BS) and DEL delete the last
//! collected byte; LF and other control bytes are ignored. A line longer than
//! [`MAX_COMMAND_LINE`] bytes after `AT` is remembered as overflowed and answers ERROR at its CR.
//! Echo is not done here: the emulator echoes every command-mode byte as it arrives.

/// Longest command line kept, counted after `AT` (spaces included). Long enough for `DT`, any
/// legal DNS name (253) and `:65534` (decided by us; the manual gives no limit).
pub const MAX_COMMAND_LINE: usize = 300;

/// DEL, accepted as backspace whatever S5 holds.
const DEL: u8 = 0x7F;

/// What one byte completed.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum LineEvent {
    /// Nothing yet.
    Nothing,
    /// `AT<body><S3>`: run this body (the bytes after `AT`).
    Execute(Vec<u8>),
    /// `A/`: run the previous body again (empty if there was none).
    Repeat(Vec<u8>),
    /// A line ended after growing past [`MAX_COMMAND_LINE`].
    Overflow,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Waiting for `A`.
    Idle,
    /// Saw `A`; `T` opens a line, `/` repeats.
    GotA,
    /// Inside `AT…`, collecting the body.
    InLine,
}

/// The command-line editor.
#[derive(Debug)]
pub(crate) struct LineEditor {
    state: State,
    body: Vec<u8>,
    overflow: bool,
    last: Vec<u8>,
}

impl LineEditor {
    /// An editor waiting for `AT`, with an empty `A/` memory.
    pub(crate) fn new() -> Self {
        LineEditor {
            state: State::Idle,
            body: Vec::new(),
            overflow: false,
            last: Vec::new(),
        }
    }

    /// Drops any half-typed line (the `A/` memory stays).
    pub(crate) fn reset(&mut self) {
        self.state = State::Idle;
        self.body.clear();
        self.overflow = false;
    }

    /// Feeds one byte; `cr` and `bs` are the current S3 and S5.
    pub(crate) fn push(&mut self, byte: u8, cr: u8, bs: u8) -> LineEvent {
        match self.state {
            State::Idle => {
                if byte.eq_ignore_ascii_case(&b'A') {
                    self.state = State::GotA;
                }
                LineEvent::Nothing
            }
            State::GotA => {
                if byte.eq_ignore_ascii_case(&b'T') {
                    self.state = State::InLine;
                    self.body.clear();
                    self.overflow = false;
                } else if byte == b'/' {
                    self.state = State::Idle;
                    return LineEvent::Repeat(self.last.clone());
                } else if !byte.eq_ignore_ascii_case(&b'A') {
                    self.state = State::Idle;
                }
                LineEvent::Nothing
            }
            State::InLine => self.push_in_line(byte, cr, bs),
        }
    }

    fn push_in_line(&mut self, byte: u8, cr: u8, bs: u8) -> LineEvent {
        if byte == cr {
            self.state = State::Idle;
            if self.overflow {
                self.overflow = false;
                self.body.clear();
                return LineEvent::Overflow;
            }
            let body = std::mem::take(&mut self.body);
            self.last.clone_from(&body);
            return LineEvent::Execute(body);
        }
        if byte == bs || byte == DEL {
            if !self.overflow {
                self.body.pop();
            }
        } else if byte < 0x20 {
            // LF and other control bytes are tolerated and ignored.
        } else if self.body.len() >= MAX_COMMAND_LINE {
            self.overflow = true;
        } else {
            self.body.push(byte);
        }
        LineEvent::Nothing
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed(ed: &mut LineEditor, bytes: &[u8]) -> Vec<LineEvent> {
        bytes
            .iter()
            .map(|&b| ed.push(b, b'\r', 8))
            .filter(|e| *e != LineEvent::Nothing)
            .collect()
    }

    #[test]
    fn prefix_garbage_backspace_and_repeat() {
        let mut ed = LineEditor::new();
        assert_eq!(
            feed(&mut ed, b"xxaAtE00\x08\x081\r\n"),
            vec![LineEvent::Execute(b"E1".to_vec())]
        );
        assert_eq!(
            feed(&mut ed, b"A/"),
            vec![LineEvent::Repeat(b"E1".to_vec())]
        );
        assert_eq!(
            feed(&mut ed, b"\rAT\x7f\x7fQ\r"),
            vec![LineEvent::Execute(b"Q".to_vec())]
        );
    }

    #[test]
    fn overflow_is_reported_once_and_not_remembered() {
        let mut ed = LineEditor::new();
        feed(&mut ed, b"ATI\r");
        let mut long = b"AT".to_vec();
        long.extend(std::iter::repeat_n(b'X', MAX_COMMAND_LINE + 1));
        long.push(b'\r');
        assert_eq!(feed(&mut ed, &long), vec![LineEvent::Overflow]);
        assert_eq!(feed(&mut ed, b"a/"), vec![LineEvent::Repeat(b"I".to_vec())]);
    }
}
