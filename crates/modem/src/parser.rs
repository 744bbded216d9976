//! Command-line body (the bytes after `AT`) → a list of commands.
//!
//! The whole line is checked before anything runs: one syntax error answers ERROR and changes
//! nothing (decided by us). Spaces are ignored everywhere. Letters are case-insensitive. A missing
//! number counts as 0 (Hayes). `D` takes the rest of the line as its dial string; `&Zn=` takes
//! the rest of the line as its (ignored) stored number.

use crate::dial::{parse_dial, DialTarget};
use crate::registers::{SRegisters, KNOWN_REGISTERS};
use crate::settings::{DtrDropAction, DtrOutputMode, Flow};

/// The line could not be understood: the answer is ERROR.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ParseError;

/// One parsed command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Command {
    /// Accepted, does nothing (the manual's no-op list, `H1`, `F1`, `W0`, `T`, `P`, `&V`…).
    NoOp,
    /// `?`: session status.
    Query,
    /// `D…`.
    Dial(DialTarget),
    /// `A[n]`; 0 = the configured default port.
    Answer(u16),
    /// `En`.
    Echo(bool),
    /// `Qn`.
    Quiet(bool),
    /// `Vn`.
    Verbose(bool),
    /// `O0` / `O1`.
    Online,
    /// `H0`.
    HangUp,
    /// `In`.
    Info(u32),
    /// `Z0` / `Z1`.
    Reset,
    /// `&F0` / `&F1`.
    Factory,
    /// `&Dn`.
    DtrDrop(DtrDropAction),
    /// `&Kn`.
    Flow(Flow),
    /// `&Sn`.
    DtrOutput(DtrOutputMode),
    /// `\Tn`, minutes.
    Inactivity(u8),
    /// `Sn=x`.
    SetRegister(u32, u8),
    /// `Sn?`.
    ReadRegister(u32),
    /// `&Cn`, `&Wn`, `&Zn=x`: ERROR or OK by option, never an effect.
    Special,
}

/// Parses a command-line body.
pub(crate) fn parse_line(body: &[u8]) -> Result<Vec<Command>, ParseError> {
    let text: Vec<u8> = body.iter().copied().filter(|&b| b != b' ').collect();
    let mut cur = Cursor {
        text: &text,
        pos: 0,
    };
    let mut commands = Vec::new();
    while let Some(letter) = cur.next_upper() {
        let command = match letter {
            b'?' => Command::Query,
            b'D' => {
                commands.push(Command::Dial(parse_dial(cur.rest())?));
                return Ok(commands);
            }
            b'&' => ampersand(&mut cur)?,
            b'%' => match cur.next_upper() {
                Some(b'C' | b'E') => noop(cur.number()?),
                _ => return Err(ParseError),
            },
            b'\\' => backslash(&mut cur)?,
            b'S' => register(&mut cur)?,
            _ => basic(letter, &mut cur)?,
        };
        commands.push(command);
    }
    Ok(commands)
}

/// A single-letter command with its optional number.
fn basic(letter: u8, cur: &mut Cursor<'_>) -> Result<Command, ParseError> {
    Ok(match letter {
        b'P' | b'T' => Command::NoOp,
        b'A' => Command::Answer(u16::try_from(cur.number()?).map_err(|_| ParseError)?),
        b'E' => Command::Echo(flag(cur.number()?)?),
        b'Q' => Command::Quiet(flag(cur.number()?)?),
        b'V' => Command::Verbose(flag(cur.number()?)?),
        b'O' => {
            flag(cur.number()?)?;
            Command::Online
        }
        b'H' => match cur.number()? {
            0 => Command::HangUp,
            1 => Command::NoOp,
            _ => return Err(ParseError),
        },
        b'Z' => {
            flag(cur.number()?)?;
            Command::Reset
        }
        b'I' => Command::Info(cur.number()?),
        b'F' => only(cur.number()?, 1)?,
        b'W' => only(cur.number()?, 0)?,
        b'B' | b'C' | b'L' | b'M' | b'N' | b'X' | b'Y' => noop(cur.number()?),
        _ => return Err(ParseError),
    })
}

/// `&` commands.
fn ampersand(cur: &mut Cursor<'_>) -> Result<Command, ParseError> {
    let letter = cur.next_upper().ok_or(ParseError)?;
    let n = cur.number()?;
    Ok(match (letter, n) {
        (b'B' | b'G' | b'I' | b'Q' | b'V', _) => Command::NoOp,
        (b'C' | b'W', _) => Command::Special,
        (b'Z', _) => {
            if cur.eat(b'=') {
                cur.rest();
            }
            Command::Special
        }
        (b'D', 0) => Command::DtrDrop(DtrDropAction::Ignore),
        (b'D', 1) => Command::DtrDrop(DtrDropAction::OnlineCommand),
        (b'D', 2) => Command::DtrDrop(DtrDropAction::HangUp),
        (b'F', 0 | 1) => Command::Factory,
        (b'K', 0) => Command::Flow(Flow::None),
        (b'K', 3) => Command::Flow(Flow::RtsCts),
        (b'K', 4) => Command::Flow(Flow::XonXoff),
        (b'S', 0) => Command::DtrOutput(DtrOutputMode::AlwaysHigh),
        (b'S', 1) => Command::DtrOutput(DtrOutputMode::FollowsSession),
        _ => return Err(ParseError),
    })
}

/// `\` commands.
fn backslash(cur: &mut Cursor<'_>) -> Result<Command, ParseError> {
    let letter = cur.next_upper().ok_or(ParseError)?;
    let n = cur.number()?;
    match letter {
        b'A' | b'B' | b'N' => Ok(Command::NoOp),
        b'T' => Ok(Command::Inactivity(
            u8::try_from(n).map_err(|_| ParseError)?,
        )),
        _ => Err(ParseError),
    }
}

/// `Sn=x` / `Sn?`.
fn register(cur: &mut Cursor<'_>) -> Result<Command, ParseError> {
    let n = cur.number()?;
    if cur.eat(b'?') {
        return if KNOWN_REGISTERS.contains(&n) {
            Ok(Command::ReadRegister(n))
        } else {
            Err(ParseError)
        };
    }
    if !cur.eat(b'=') || !SRegisters::is_writable(n) {
        return Err(ParseError);
    }
    let value = u8::try_from(cur.number()?).map_err(|_| ParseError)?;
    Ok(Command::SetRegister(n, value))
}

fn flag(n: u32) -> Result<bool, ParseError> {
    match n {
        0 => Ok(false),
        1 => Ok(true),
        _ => Err(ParseError),
    }
}

fn only(n: u32, allowed: u32) -> Result<Command, ParseError> {
    if n == allowed {
        Ok(Command::NoOp)
    } else {
        Err(ParseError)
    }
}

fn noop(_n: u32) -> Command {
    Command::NoOp
}

/// A read position in the space-free body.
struct Cursor<'a> {
    text: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn next_upper(&mut self) -> Option<u8> {
        let b = *self.text.get(self.pos)?;
        self.pos += 1;
        Some(b.to_ascii_uppercase())
    }

    fn eat(&mut self, wanted: u8) -> bool {
        let hit = self.text.get(self.pos) == Some(&wanted);
        if hit {
            self.pos += 1;
        }
        hit
    }

    /// Everything left; the cursor ends at the end.
    fn rest(&mut self) -> &'a [u8] {
        let rest = self.text.get(self.pos..).unwrap_or_default();
        self.pos = self.text.len();
        rest
    }

    /// Decimal digits at the cursor (none = 0); too large to fit a `u32` is an error.
    fn number(&mut self) -> Result<u32, ParseError> {
        let mut value: u32 = 0;
        while let Some(&d) = self.text.get(self.pos).filter(|d| d.is_ascii_digit()) {
            value = value
                .checked_mul(10)
                .and_then(|v| v.checked_add(u32::from(d - b'0')))
                .ok_or(ParseError)?;
            self.pos += 1;
        }
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<Vec<Command>, ParseError> {
        parse_line(s.as_bytes())
    }

    #[test]
    fn chains_and_numbers() {
        assert_eq!(
            parse("e0 v0q0&k4s12=25"),
            Ok(vec![
                Command::Echo(false),
                Command::Verbose(false),
                Command::Quiet(false),
                Command::Flow(Flow::XonXoff),
                Command::SetRegister(12, 25),
            ])
        );
        assert_eq!(parse(""), Ok(vec![]));
        assert_eq!(
            parse("s2?s="),
            Ok(vec![Command::ReadRegister(2), Command::SetRegister(0, 0)])
        );
        assert_eq!(parse("&z3=5551234x"), Ok(vec![Command::Special]));
    }

    #[test]
    fn errors() {
        for bad in [
            "E2",
            "K",
            "&K1",
            "&D3",
            "S1=3",
            "S6?",
            "S7=1",
            "S0=256",
            "S0",
            "F",
            "F0",
            "W1",
            "H2",
            "\\T256",
            "\\X",
            "%Q",
            "&",
            "A65536",
            "I99999999999",
            "O2",
            "Z2",
            "!",
        ] {
            assert_eq!(parse(bad), Err(ParseError), "{bad}");
        }
    }
}
