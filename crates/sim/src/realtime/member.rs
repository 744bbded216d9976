//! A device as a member of a fleet: booted without a signal pipe or control server of its own,
//! and reached through a [`MemberHandle`] (control calls, stop).

use super::{Runtime, Wakeup};
use crate::cli::RunArgs;
use crossbeam_channel::Sender;
use m2285_core::Config;
use mio::Waker;
use std::sync::Arc;

impl Runtime {
    /// Boots a device of a fleet: like [`Runtime::boot`], but without a signal pipe and control
    /// server of its own (the fleet has one of each for all its devices); the returned handle
    /// is how the fleet reaches it.
    pub fn boot_member(
        args: &RunArgs,
        config: Config,
        state_dir: &std::path::Path,
        netns: Option<crate::netns::DeviceNs>,
    ) -> Result<(Self, MemberHandle), String> {
        let (rt, handle) = Self::boot_in(args, config, state_dir, true, netns)?;
        handle
            .ok_or_else(|| "no fleet handle".to_owned())
            .map(|h| (rt, h))
    }
}

/// How a fleet reaches one of its devices' loops: control calls, and the stop.
#[derive(Clone)]
pub struct MemberHandle {
    /// Control API calls to the device's loop.
    pub control: Sender<crate::control::Request>,
    wake_tx: Sender<Wakeup>,
    waker: Arc<Waker>,
}

impl MemberHandle {
    pub(super) fn new(
        control: Sender<crate::control::Request>,
        wake_tx: Sender<Wakeup>,
        waker: Arc<Waker>,
    ) -> Self {
        MemberHandle {
            control,
            wake_tx,
            waker,
        }
    }

    /// Wakes the loop (after a control call was sent).
    pub fn wake(&self) {
        let _ = self.waker.wake();
    }

    /// Asks the loop to close its sessions, remove its link and end [`Runtime::run`].
    pub fn stop(&self) {
        let _ = self.wake_tx.send(Wakeup::Stop);
        self.wake();
    }
}
