//! Telnet for the device's console (port 23): the server echoes (WILL ECHO) and suppresses
//! go-ahead (WILL SGA), so clients switch to character-at-a-time mode, and asks for the window
//! size (DO NAWS) so the menus fit. Sans-IO like [`crate::TelnetSession`]: bytes in, events and
//! bytes out. The console engine itself is `m2285-console`.

use std::collections::VecDeque;

use crate::codec::{self, Decoder, Token, AYT, AYT_ANSWER};
use crate::options::{Options, BINARY, ECHO, NAWS, SGA};

/// Something the console has to act on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConsoleEvent {
    /// Typed bytes (IAC un-doubled, NVT `CR NUL` folded to `CR`).
    Data(Vec<u8>),
    /// The client's window size (NAWS); 0 means unknown.
    WindowSize {
        /// Columns.
        columns: u16,
        /// Rows.
        rows: u16,
    },
    /// Telnet IP (interrupt process): treated like Ctrl-C.
    Interrupt,
}

/// One Telnet console connection's protocol state.
#[derive(Debug)]
pub struct TelnetConsole {
    decoder: Decoder,
    options: Options,
    events: VecDeque<ConsoleEvent>,
    pending: Vec<u8>,
    out: Vec<u8>,
    cr_received: bool,
}

impl Default for TelnetConsole {
    fn default() -> Self {
        TelnetConsole::new()
    }
}

impl TelnetConsole {
    /// A fresh connection; queues WILL ECHO, WILL SUPPRESS-GO-AHEAD and DO NAWS.
    pub fn new() -> Self {
        let mut c = TelnetConsole {
            decoder: Decoder::new(),
            options: Options::console(),
            events: VecDeque::new(),
            pending: Vec::new(),
            out: Vec::new(),
            cr_received: false,
        };
        let opening = [
            c.options.offer(ECHO).map(|v| (v, ECHO)),
            c.options.offer(SGA).map(|v| (v, SGA)),
            c.options.ask(NAWS).map(|v| (v, NAWS)),
        ];
        for (verb, option) in opening.into_iter().flatten() {
            codec::write_negotiation(&mut c.out, verb, option);
        }
        c
    }

    /// Network bytes in, in any chunking.
    pub fn receive(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            match self.decoder.feed(byte) {
                None => {}
                Some(Token::Data(b)) => self.data_in(b),
                Some(Token::Command(AYT)) => self.out.extend_from_slice(AYT_ANSWER),
                Some(Token::Command(codec::IP)) => self.push(ConsoleEvent::Interrupt),
                Some(Token::Command(_)) => {}
                Some(Token::Negotiate(verb, option)) => {
                    if let Some(answer) = self.options.receive(verb, option) {
                        codec::write_negotiation(&mut self.out, answer, option);
                    }
                }
                Some(Token::Subnegotiation(payload)) => self.subnegotiation(&payload),
            }
        }
        self.flush_data();
    }

    /// The next event, in the order the client sent it.
    pub fn poll_event(&mut self) -> Option<ConsoleEvent> {
        self.events.pop_front()
    }

    /// Console output to the client (IAC doubled).
    pub fn send_data(&mut self, data: &[u8]) {
        codec::escape_into(&mut self.out, data);
    }

    /// Bytes to write to the socket.
    pub fn take_output(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.out)
    }

    /// Whether the client agreed that we echo (it then does not echo locally).
    pub fn echoing(&self) -> bool {
        self.options.local(ECHO)
    }

    fn data_in(&mut self, byte: u8) {
        if !self.options.remote(BINARY) {
            let after_cr = std::mem::replace(&mut self.cr_received, byte == b'\r');
            if after_cr && byte == 0 {
                return;
            }
        }
        self.pending.push(byte);
    }

    fn flush_data(&mut self) {
        if !self.pending.is_empty() {
            let data = std::mem::take(&mut self.pending);
            self.events.push_back(ConsoleEvent::Data(data));
        }
    }

    fn push(&mut self, event: ConsoleEvent) {
        self.flush_data();
        self.events.push_back(event);
    }

    fn subnegotiation(&mut self, payload: &[u8]) {
        if let [NAWS, w1, w0, h1, h0] = *payload {
            if self.options.remote(NAWS) {
                self.push(ConsoleEvent::WindowSize {
                    columns: u16::from_be_bytes([w1, w0]),
                    rows: u16::from_be_bytes([h1, h0]),
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::IAC;

    #[test]
    fn opening_and_window_size() {
        let mut c = TelnetConsole::new();
        assert_eq!(
            c.take_output(),
            [
                IAC,
                codec::WILL,
                ECHO,
                IAC,
                codec::WILL,
                SGA,
                IAC,
                codec::DO,
                NAWS
            ]
        );
        c.receive(&[IAC, codec::DO, ECHO, IAC, codec::WILL, NAWS]);
        c.receive(&[
            IAC,
            codec::SB,
            NAWS,
            0,
            132,
            0,
            40,
            IAC,
            codec::SE,
            b'1',
            b'\r',
            0,
        ]);
        assert!(c.echoing());
        assert_eq!(
            c.poll_event(),
            Some(ConsoleEvent::WindowSize {
                columns: 132,
                rows: 40
            })
        );
        assert_eq!(c.poll_event(), Some(ConsoleEvent::Data(b"1\r".to_vec())));
        // Options it does not know are refused; the client's own echo too.
        c.receive(&[IAC, codec::WILL, 24, IAC, codec::WILL, ECHO]);
        assert_eq!(
            c.take_output(),
            [IAC, codec::DONT, 24, IAC, codec::DONT, ECHO]
        );
    }

    #[test]
    fn garbage_never_panics_and_output_is_escaped() {
        let mut c = TelnetConsole::new();
        let mut seed = 7u64;
        for _ in 0..20_000 {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
            let byte = (seed >> 56) as u8;
            c.receive(&[byte, IAC, byte]);
            while c.poll_event().is_some() {}
            c.take_output();
        }
        c.send_data(&[IAC, b'x']);
        assert_eq!(c.take_output(), [IAC, IAC, b'x']);
    }
}
