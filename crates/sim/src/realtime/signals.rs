//! SIGINT and SIGTERM as a readable source of the loop: a self-pipe the handlers write to, so
//! the loop notices a signal in its ordinary poll and shuts down cleanly.

use mio::{Interest, Poll, Token};
use std::os::fd::AsRawFd;

/// Registers SIGINT and SIGTERM to write to a pipe whose read end is returned, registered with
/// `poll` under `token`.
pub(super) fn register_signals(poll: &Poll, token: Token) -> Result<mio::net::UnixStream, String> {
    let (read, write) = std::os::unix::net::UnixStream::pair().map_err(|e| e.to_string())?;
    read.set_nonblocking(true).map_err(|e| e.to_string())?;
    write.set_nonblocking(true).map_err(|e| e.to_string())?;
    for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        let w = write.try_clone().map_err(|e| e.to_string())?;
        signal_hook::low_level::pipe::register(sig, w).map_err(|e| e.to_string())?;
    }
    let mut read = mio::net::UnixStream::from_std(read);
    poll.registry()
        .register(&mut read, token, Interest::READABLE)
        .map_err(|e| e.to_string())?;
    let _ = read.as_raw_fd();
    Ok(read)
}
