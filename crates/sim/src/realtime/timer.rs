//! Sub-millisecond wake-ups for the event loop.
//!
//! `epoll_wait` (and so `mio::Poll`) takes its timeout in whole milliseconds, rounded up: a
//! character due 10.85 µs from now at 921600 baud would be delivered a millisecond late. For
//! deadlines closer than [`PRECISE_BELOW`] the loop arms a `timerfd` instead, which has
//! microsecond resolution. Bulk transfers would then wake the loop for every character, so timer
//! wake-ups are at least [`MIN_GAP`] apart: a lone character is delivered on time, a stream in
//! batches.

use mio::{Interest, Registry, Token};
use nix::sys::time::TimeSpec;
use nix::sys::timerfd::Expiration;
use nix::sys::timerfd::{ClockId, TimerFd, TimerFlags, TimerSetTimeFlags};
use std::os::fd::{AsFd, AsRawFd};
use std::time::{Duration, Instant};

/// Waits shorter than this use the timerfd.
pub const PRECISE_BELOW: Duration = Duration::from_millis(2);
/// Least time between two timerfd wake-ups.
pub const MIN_GAP: Duration = Duration::from_micros(100);

/// The loop's precise timer.
pub struct PreciseTimer {
    fd: TimerFd,
    armed: bool,
    /// When the armed timer goes off: a later deadline needs no new `timerfd_settime` (an early
    /// wake-up costs one empty turn; re-arming on every turn of a busy loop cost a system call
    /// per turn).
    armed_until: Option<Instant>,
    last_fire: Instant,
}

impl PreciseTimer {
    /// A timer registered with the loop under `token`.
    pub fn new(registry: &Registry, token: Token) -> Result<Self, String> {
        let fd = TimerFd::new(
            ClockId::CLOCK_MONOTONIC,
            TimerFlags::TFD_NONBLOCK | TimerFlags::TFD_CLOEXEC,
        )
        .map_err(|e| format!("timerfd: {e}"))?;
        registry
            .register(
                &mut mio::unix::SourceFd(&fd.as_fd().as_raw_fd()),
                token,
                Interest::READABLE,
            )
            .map_err(|e| format!("timerfd: {e}"))?;
        Ok(PreciseTimer {
            fd,
            armed: false,
            armed_until: None,
            last_fire: Instant::now(),
        })
    }

    /// Prepares to sleep for `wait`; returns the poll timeout to use. Short waits arm the
    /// timerfd (the poll timeout is then only a fallback).
    pub fn arm(&mut self, wait: Duration) -> Duration {
        if wait >= PRECISE_BELOW {
            self.disarm();
            return wait;
        }
        let gap_left = MIN_GAP.saturating_sub(self.last_fire.elapsed());
        let wait = wait.max(gap_left);
        if wait.is_zero() {
            self.disarm();
            return Duration::ZERO;
        }
        let now = Instant::now();
        if self.armed && self.armed_until.is_some_and(|t| t > now && t <= now + wait) {
            return wait + PRECISE_BELOW;
        }
        let spec = TimeSpec::from_duration(wait);
        if self
            .fd
            .set(Expiration::OneShot(spec), TimerSetTimeFlags::empty())
            .is_ok()
        {
            self.armed = true;
            self.armed_until = Some(now + wait);
            wait + PRECISE_BELOW
        } else {
            wait
        }
    }

    /// The timer went off: clear it.
    pub fn fired(&mut self) {
        let mut buf = [0u8; 8];
        let _ = nix::unistd::read(&self.fd, &mut buf);
        self.armed = false;
        self.last_fire = Instant::now();
    }

    fn disarm(&mut self) {
        if self.armed {
            let _ = self.fd.unset();
            self.armed = false;
        }
    }
}
