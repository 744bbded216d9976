//! Shared pieces of the fuzz targets: the control API's request parsing, compiled here from the
//! simulator's own source files (the `m2285-sim` package is a binary, so its modules cannot be
//! imported), and a small reader that turns fuzz input into a sequence of operations.
#![allow(dead_code)]

pub mod control;
pub mod realtime;

/// Reads operations out of the fuzzer's bytes: one byte picks an operation, the bytes after it
/// are its argument. Running out of input simply ends the sequence.
pub struct Ops<'a> {
    data: &'a [u8],
}

impl<'a> Ops<'a> {
    /// A reader over the fuzzer's input.
    pub fn new(data: &'a [u8]) -> Self {
        Ops { data }
    }

    /// One byte, if any is left.
    pub fn byte(&mut self) -> Option<u8> {
        let (&b, rest) = self.data.split_first()?;
        self.data = rest;
        Some(b)
    }

    /// A chunk of 0–63 bytes (its length is the next byte, modulo 64).
    pub fn chunk(&mut self) -> &'a [u8] {
        let n = usize::from(self.byte().unwrap_or(0) % 64).min(self.data.len());
        let (head, rest) = self.data.split_at(n);
        self.data = rest;
        head
    }

    /// Whatever is left.
    pub fn rest(&mut self) -> &'a [u8] {
        std::mem::take(&mut self.data)
    }
}
