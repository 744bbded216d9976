//! The wall clock as device time. Only the real-time runtime reads it.

use m2285_time::Instant;

/// Device time measured from the moment the simulator powered the device on.
#[derive(Debug, Clone, Copy)]
pub struct WallClock {
    start: std::time::Instant,
}

impl WallClock {
    /// Power-on is now.
    pub fn start() -> Self {
        WallClock {
            start: std::time::Instant::now(),
        }
    }

    /// Device time now.
    pub fn now(&self) -> Instant {
        Instant::from_nanos(m2285_time::duration_nanos(self.start.elapsed()))
    }
}
