//! Byte-level Telnet framing (RFC 854/855): splits the network stream into data bytes, commands,
//! option negotiations and subnegotiations, and writes the same things back with IAC escaped.
//!
//! The decoder is fed one byte at a time so that the session can apply what a token changes
//! (for example BINARY mode) before the next byte is interpreted, and so that an IAC sequence may
//! be split across any number of `receive` calls.

/// Interpret As Command: starts every Telnet command; doubled to send a data byte 255.
pub const IAC: u8 = 255;
/// Refuse, or demand that the peer stop, performing an option.
pub const DONT: u8 = 254;
/// Ask, or agree, that the peer perform an option.
pub const DO: u8 = 253;
/// Refuse, or announce that we stop, performing an option.
pub const WONT: u8 = 252;
/// Offer, or agree, to perform an option.
pub const WILL: u8 = 251;
/// Subnegotiation begin.
pub const SB: u8 = 250;
/// Go ahead (ignored: we always suppress go-ahead).
pub const GA: u8 = 249;
/// Erase line (ignored: editing is the serial device's business).
pub const EL: u8 = 248;
/// Erase character (ignored).
pub const EC: u8 = 247;
/// Are you there: answered with [`AYT_ANSWER`].
pub const AYT: u8 = 246;
/// Abort output (ignored).
pub const AO: u8 = 245;
/// Interrupt process (ignored).
pub const IP: u8 = 244;
/// Break: reported to the device as a break on the serial line.
pub const BRK: u8 = 243;
/// Data mark, the end of a Synch (ignored: we never discard data).
pub const DM: u8 = 242;
/// No operation.
pub const NOP: u8 = 241;
/// Subnegotiation end.
pub const SE: u8 = 240;

/// What the access server writes when a client sends IAC AYT: a visible line a person at a
/// terminal recognises, in NVT line-ending form so that it reads the same in BINARY mode.
pub const AYT_ANSWER: &[u8] = b"\r\n[Yes]\r\n";

/// Longest subnegotiation payload (option byte included, after IAC un-doubling) we keep.
/// Longer ones are dropped whole; RFC 2217 needs at most a few bytes plus a signature.
pub const MAX_SUBNEGOTIATION: usize = 512;

/// One of the four option-negotiation verbs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verb {
    /// IAC WILL: the sender offers (or agrees) to perform the option.
    Will,
    /// IAC WONT: the sender refuses (or stops) performing the option.
    Wont,
    /// IAC DO: the sender asks (or agrees) that the receiver perform the option.
    Do,
    /// IAC DONT: the sender asks that the receiver not perform the option.
    Dont,
}

impl Verb {
    /// The verb's command byte.
    pub const fn byte(self) -> u8 {
        match self {
            Verb::Will => WILL,
            Verb::Wont => WONT,
            Verb::Do => DO,
            Verb::Dont => DONT,
        }
    }

    fn from_byte(byte: u8) -> Option<Verb> {
        match byte {
            WILL => Some(Verb::Will),
            WONT => Some(Verb::Wont),
            DO => Some(Verb::Do),
            DONT => Some(Verb::Dont),
            _ => None,
        }
    }
}

/// One unit of the decoded network stream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Token {
    /// A user data byte (IAC IAC already folded into 255).
    Data(u8),
    /// A two-byte command other than negotiation and subnegotiation (NOP, BRK, AYT, ...).
    Command(u8),
    /// IAC WILL/WONT/DO/DONT option.
    Negotiate(Verb, u8),
    /// A complete, well-formed subnegotiation: the bytes between IAC SB and IAC SE, starting with
    /// the option number, IAC IAC folded.
    Subnegotiation(Vec<u8>),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Data,
    Iac,
    Verb(Verb),
    Sb,
    SbIac,
}

/// Incremental Telnet stream decoder with a bounded subnegotiation buffer.
#[derive(Debug)]
pub struct Decoder {
    state: State,
    sb: Vec<u8>,
    overflowed: bool,
    dropped: u64,
}

impl Default for Decoder {
    fn default() -> Self {
        Self::new()
    }
}

impl Decoder {
    /// A decoder at the start of a stream.
    pub fn new() -> Self {
        Decoder {
            state: State::Data,
            sb: Vec::new(),
            overflowed: false,
            dropped: 0,
        }
    }

    /// How many subnegotiations were dropped because they were too long or cut short by another
    /// command; useful for traces and tests.
    pub fn dropped_subnegotiations(&self) -> u64 {
        self.dropped
    }

    /// Feeds one network byte; returns the token it completes, if any.
    pub fn feed(&mut self, byte: u8) -> Option<Token> {
        match self.state {
            State::Data => {
                if byte == IAC {
                    self.state = State::Iac;
                    None
                } else {
                    Some(Token::Data(byte))
                }
            }
            State::Iac => self.after_iac(byte),
            State::Verb(verb) => {
                self.state = State::Data;
                Some(Token::Negotiate(verb, byte))
            }
            State::Sb => {
                if byte == IAC {
                    self.state = State::SbIac;
                } else {
                    self.push_sb(byte);
                }
                None
            }
            State::SbIac => match byte {
                IAC => {
                    self.push_sb(IAC);
                    self.state = State::Sb;
                    None
                }
                SE => {
                    self.state = State::Data;
                    let payload = std::mem::take(&mut self.sb);
                    if std::mem::replace(&mut self.overflowed, false) || payload.is_empty() {
                        self.dropped += 1;
                        None
                    } else {
                        Some(Token::Subnegotiation(payload))
                    }
                }
                _ => {
                    // A command inside a subnegotiation: the sender forgot IAC SE. Drop the
                    // unfinished subnegotiation and honour the command, so that what follows is
                    // not swallowed as subnegotiation data.
                    self.abort_sb();
                    self.after_iac(byte)
                }
            },
        }
    }

    fn after_iac(&mut self, byte: u8) -> Option<Token> {
        self.state = State::Data;
        if byte == IAC {
            return Some(Token::Data(IAC));
        }
        if let Some(verb) = Verb::from_byte(byte) {
            self.state = State::Verb(verb);
            return None;
        }
        match byte {
            SB => {
                self.sb.clear();
                self.overflowed = false;
                self.state = State::Sb;
                None
            }
            // A stray SE outside a subnegotiation means nothing.
            SE => None,
            _ => Some(Token::Command(byte)),
        }
    }

    fn push_sb(&mut self, byte: u8) {
        if self.sb.len() < MAX_SUBNEGOTIATION {
            self.sb.push(byte);
        } else {
            self.overflowed = true;
        }
    }

    fn abort_sb(&mut self) {
        self.sb.clear();
        self.overflowed = false;
        self.dropped += 1;
    }
}

/// Appends `data` to `out` with every IAC doubled.
pub fn escape_into(out: &mut Vec<u8>, data: &[u8]) {
    out.reserve(data.len());
    for &byte in data {
        if byte == IAC {
            out.push(IAC);
        }
        out.push(byte);
    }
}

/// Appends IAC `verb` `option`.
pub fn write_negotiation(out: &mut Vec<u8>, verb: Verb, option: u8) {
    out.extend_from_slice(&[IAC, verb.byte(), option]);
}

/// Appends IAC SB `option` `payload` IAC SE, doubling any IAC inside `payload`.
pub fn write_subnegotiation(out: &mut Vec<u8>, option: u8, payload: &[u8]) {
    out.extend_from_slice(&[IAC, SB]);
    escape_into(out, &[option]);
    escape_into(out, payload);
    out.extend_from_slice(&[IAC, SE]);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(bytes: &[u8]) -> (Vec<Token>, Decoder) {
        let mut d = Decoder::new();
        let tokens = bytes.iter().filter_map(|&b| d.feed(b)).collect();
        (tokens, d)
    }

    #[test]
    fn data_and_doubled_iac() {
        let (t, _) = decode(&[b'a', IAC, IAC, b'b']);
        assert_eq!(
            t,
            vec![Token::Data(b'a'), Token::Data(IAC), Token::Data(b'b')]
        );
    }

    #[test]
    fn negotiation_and_commands() {
        let (t, _) = decode(&[IAC, DO, 3, IAC, NOP, IAC, BRK, IAC, SE, b'x']);
        assert_eq!(
            t,
            vec![
                Token::Negotiate(Verb::Do, 3),
                Token::Command(NOP),
                Token::Command(BRK),
                Token::Data(b'x'),
            ]
        );
    }

    #[test]
    fn subnegotiation_undoubles_iac() {
        let (t, _) = decode(&[IAC, SB, 44, 1, IAC, IAC, 0, IAC, SE]);
        assert_eq!(t, vec![Token::Subnegotiation(vec![44, 1, IAC, 0])]);
    }

    #[test]
    fn unterminated_subnegotiation_is_dropped_and_the_command_honoured() {
        let (t, d) = decode(&[IAC, SB, 44, 1, 2, IAC, BRK, b'z']);
        assert_eq!(t, vec![Token::Command(BRK), Token::Data(b'z')]);
        assert_eq!(d.dropped_subnegotiations(), 1);
    }

    #[test]
    fn over_long_subnegotiation_is_dropped_whole() {
        let mut bytes = vec![IAC, SB, 44, 0];
        bytes.extend(std::iter::repeat_n(b's', MAX_SUBNEGOTIATION + 10));
        bytes.extend_from_slice(&[IAC, SE, b'k']);
        let (t, d) = decode(&bytes);
        assert_eq!(t, vec![Token::Data(b'k')]);
        assert_eq!(d.dropped_subnegotiations(), 1);
    }

    #[test]
    fn empty_subnegotiation_is_dropped() {
        let (t, d) = decode(&[IAC, SB, IAC, SE, b'q']);
        assert_eq!(t, vec![Token::Data(b'q')]);
        assert_eq!(d.dropped_subnegotiations(), 1);
    }

    #[test]
    fn writers_escape() {
        let mut out = Vec::new();
        escape_into(&mut out, &[1, IAC, 2]);
        write_negotiation(&mut out, Verb::Wont, 24);
        write_subnegotiation(&mut out, 44, &[101, 0, 0, 0, IAC]);
        assert_eq!(
            out,
            vec![1, IAC, IAC, 2, IAC, WONT, 24, IAC, SB, 44, 101, 0, 0, 0, IAC, IAC, IAC, SE]
        );
    }
}
