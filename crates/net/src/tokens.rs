//! Which `mio` tokens a device's sockets use, so several devices can share one poll.

use mio::Token;

/// The range of `mio` tokens one device's sockets use, so several devices share one poll.
#[derive(Debug, Clone, Copy)]
pub struct TokenSpace {
    base: usize,
}

impl TokenSpace {
    /// Tokens reserved for the caller below this offset (e.g. the PTY).
    pub const RESERVED: usize = 16;
    const SPAN: usize = 1 << 32;

    /// The token space of device number `index`.
    pub fn for_device(index: usize) -> Self {
        TokenSpace {
            base: index * Self::SPAN,
        }
    }

    /// The caller's reserved token `n` (< [`TokenSpace::RESERVED`]).
    pub fn reserved(&self, n: usize) -> Token {
        Token(self.base + n)
    }

    /// Which device a token belongs to.
    pub fn device_of(token: Token) -> usize {
        token.0 / Self::SPAN
    }
}
