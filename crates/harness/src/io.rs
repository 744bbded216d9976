//! Raw serial ports and reads with a deadline: what a test needs to talk to the PTY and the
//! sockets of a simulator without hanging when bytes do not come.

use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::sys::termios::{self, BaudRate, SetArg};
use std::fs::{File, OpenOptions};
use std::io::Read;
use std::net::TcpStream;
use std::os::fd::AsFd;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::time::{Duration, Instant};

/// Opens a tty like a program would: raw mode (cfmakeraw) at `baud`, not as the controlling
/// terminal.
pub fn open_raw(path: &Path, baud: BaudRate) -> std::io::Result<File> {
    let f = OpenOptions::new()
        .read(true)
        .write(true)
        .custom_flags(nix::libc::O_NOCTTY)
        .open(path)?;
    let mut t = termios::tcgetattr(&f)?;
    termios::cfmakeraw(&mut t);
    termios::cfsetspeed(&mut t, baud)?;
    termios::tcsetattr(&f, SetArg::TCSANOW, &t)?;
    Ok(f)
}

/// Something readable that can wait for input with a timeout.
pub trait ReadFd: Read {
    /// True when input (or end of stream) is waiting.
    fn wait_readable(&self, timeout: Duration) -> bool;
}

fn wait_fd(fd: impl AsFd, timeout: Duration) -> bool {
    let mut fds = [PollFd::new(fd.as_fd(), PollFlags::POLLIN)];
    let ms = timeout.as_millis().min(60_000) as u16;
    matches!(poll(&mut fds, PollTimeout::from(ms)), Ok(n) if n > 0)
}

impl ReadFd for File {
    fn wait_readable(&self, timeout: Duration) -> bool {
        wait_fd(self, timeout)
    }
}

impl ReadFd for TcpStream {
    fn wait_readable(&self, timeout: Duration) -> bool {
        wait_fd(self, timeout)
    }
}

/// Reads from `f` until `want` bytes arrived or `timeout` passed; returns what arrived.
pub fn read_for(f: &mut impl ReadFd, want: usize, timeout: Duration) -> Vec<u8> {
    let end = Instant::now() + timeout;
    let mut got = Vec::with_capacity(want);
    let mut buf = vec![0u8; 65536];
    while got.len() < want {
        let left = end.saturating_duration_since(Instant::now());
        if left.is_zero() || !f.wait_readable(left) {
            break;
        }
        match f.read(&mut buf[..(want - got.len()).min(65536)]) {
            Ok(0) => break,
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(_) => break,
        }
    }
    got
}

/// True when the peer closed the stream (end of stream or reset) within `timeout`; bytes that
/// arrive meanwhile are read and dropped.
pub fn closed_within(s: &mut TcpStream, timeout: Duration) -> bool {
    let end = Instant::now() + timeout;
    let mut buf = [0u8; 4096];
    while Instant::now() < end {
        if !s.wait_readable(end.saturating_duration_since(Instant::now())) {
            return false;
        }
        match s.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => {}
            Err(_) => return true,
        }
    }
    false
}
