//! The line editor a terminal user expects: echo, backspace, Ctrl-C, Ctrl-D, Ctrl-U, CR, LF or
//! CRLF endings, escape sequences swallowed, a bounded line, and no echo while a password is typed.
//!
//! A lone ESC means "back": it is told apart from the start of an arrow-key sequence
//! (`ESC [ A`) by the next byte, or by [`ESC_WAIT`] passing without one.

use m2285_time::Instant;
use std::collections::VecDeque;
use std::time::Duration;

/// Longest line kept; further characters are refused with a bell.
pub const MAX_LINE: usize = 256;

/// How long a lone ESC waits for the rest of an escape sequence before it counts as "back".
pub const ESC_WAIT: Duration = Duration::from_millis(150);

/// Most finished inputs held until the console takes them (it waits while the device answers);
/// more are dropped.
pub const MAX_READY: usize = 64;

/// Longest escape sequence swallowed; anything longer ends the sequence.
const MAX_SEQUENCE: usize = 16;

/// What a finished piece of input means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// A line ended by CR, LF or CRLF (without the ending).
    Line(String),
    /// Ctrl-C: the line so far is dropped.
    Interrupt,
    /// Ctrl-D on an empty line.
    EndOfInput,
    /// ESC on its own: go back.
    Back,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Escape {
    None,
    /// ESC seen at this time; the next byte decides.
    Pending(Instant),
    /// Inside `ESC [` or `ESC O`: bytes are swallowed up to the final byte.
    Sequence(usize),
}

/// One terminal line being typed.
#[derive(Debug)]
pub struct LineEditor {
    line: Vec<u8>,
    /// Echo typed characters (false while a password is typed).
    pub echo: bool,
    after_cr: bool,
    /// The line reached [`MAX_LINE`] and the bell has rung.
    overflowed: bool,
    escape: Escape,
    ready: VecDeque<Input>,
}

impl Default for LineEditor {
    fn default() -> Self {
        LineEditor {
            line: Vec::new(),
            echo: true,
            after_cr: false,
            overflowed: false,
            escape: Escape::None,
            ready: VecDeque::new(),
        }
    }
}

impl LineEditor {
    /// Takes typed bytes; what to echo is appended to `out`, finished input is queued for
    /// [`take_input`](Self::take_input).
    pub fn feed(&mut self, bytes: &[u8], now: Instant, out: &mut Vec<u8>) {
        for &byte in bytes {
            self.byte(byte, now, out);
        }
    }

    /// The next finished piece of input.
    pub fn take_input(&mut self) -> Option<Input> {
        self.ready.pop_front()
    }

    /// When a pending ESC turns into [`Input::Back`].
    pub fn poll_timeout(&self) -> Option<Instant> {
        match self.escape {
            Escape::Pending(at) => Some(at.saturating_add(ESC_WAIT)),
            _ => None,
        }
    }

    /// Lets time pass: a lone ESC older than [`ESC_WAIT`] becomes [`Input::Back`].
    pub fn handle_timeout(&mut self, now: Instant) {
        if let Escape::Pending(at) = self.escape {
            if now >= at.saturating_add(ESC_WAIT) {
                self.escape = Escape::None;
                self.back();
            }
        }
    }

    /// Drops the line typed so far (e.g. when a new prompt is shown).
    pub fn clear(&mut self) {
        self.line.clear();
        self.overflowed = false;
    }

    fn push(&mut self, input: Input) {
        if self.ready.len() < MAX_READY {
            self.ready.push_back(input);
        }
    }

    fn back(&mut self) {
        self.line.clear();
        self.push(Input::Back);
    }

    fn byte(&mut self, byte: u8, now: Instant, out: &mut Vec<u8>) {
        match self.escape {
            Escape::Pending(_) => {
                if byte == b'[' || byte == b'O' {
                    self.escape = Escape::Sequence(0);
                    return;
                }
                self.escape = Escape::None;
                self.back();
            }
            Escape::Sequence(n) => {
                let ends = (0x40..=0x7e).contains(&byte) || n + 1 >= MAX_SEQUENCE;
                self.escape = if ends {
                    Escape::None
                } else {
                    Escape::Sequence(n + 1)
                };
                return;
            }
            Escape::None => {}
        }
        let after_cr = std::mem::replace(&mut self.after_cr, byte == b'\r');
        match byte {
            b'\r' => self.finish(out),
            b'\n' | 0 if after_cr => {}
            b'\n' => self.finish(out),
            0x08 | 0x7f => self.erase_char(out),
            0x03 => {
                self.line.clear();
                out.extend_from_slice(b"^C\r\n");
                self.push(Input::Interrupt);
            }
            0x04 => {
                if self.line.is_empty() {
                    self.push(Input::EndOfInput);
                }
            }
            0x15 => {
                while !self.line.is_empty() {
                    self.erase_char(out);
                }
            }
            0x1b => self.escape = Escape::Pending(now),
            0..=0x1f => {}
            _ => {
                if self.line.len() >= MAX_LINE {
                    if !self.overflowed {
                        out.push(0x07); // one bell per overlong line, not one per byte
                        self.overflowed = true;
                    }
                } else {
                    self.line.push(byte);
                    if self.echo {
                        out.push(byte);
                    }
                }
            }
        }
    }

    fn erase_char(&mut self, out: &mut Vec<u8>) {
        if self.line.is_empty() {
            return;
        }
        // One character, not one byte: drop UTF-8 continuation bytes with their lead byte.
        while let Some(b) = self.line.pop() {
            if b & 0xc0 != 0x80 {
                break;
            }
        }
        if self.echo {
            out.extend_from_slice(b"\x08 \x08");
        }
    }

    fn finish(&mut self, out: &mut Vec<u8>) {
        self.overflowed = false;
        out.extend_from_slice(b"\r\n");
        let line = String::from_utf8_lossy(&std::mem::take(&mut self.line)).into_owned();
        self.push(Input::Line(line));
    }
}
