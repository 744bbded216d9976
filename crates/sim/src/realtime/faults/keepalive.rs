//! When TCP would give up on a partitioned connection, computed by the runtime.
//!
//! On loopback the kernel's keep-alive probes are always answered (the peer's kernel is right
//! there), so a pulled cable that exists only in the runtime would never be noticed. The
//! runtime therefore does what Linux would (the same rules as the virtual-time TCP model,
//! docs/scenarios.md):
//!
//! * **Idle connection, keep-alive on.** Before the partition an idle connection's probes were
//!   answered, each `time` after the last segment heard; so the last thing heard before the
//!   partition at `cut` is `last + k × time` for the largest such instant not after `cut`. The
//!   first unanswered probe goes `time` after it, then `probes` probes `interval` apart: dead at
//!   `heard + time + probes × interval`.
//! * **Unacknowledged data.** Linux does not probe while data is outstanding; it retransmits
//!   from 200 ms, doubling up to 120 s, and gives up after 15 retransmissions (≈ 924.6 s after
//!   the first unacknowledged send).

use m2285_core::io::KeepaliveParams;
use m2285_time::Instant;
use m2285_virtual::network::tcp::{DATA_RETRIES, RTO_MAX, RTO_MIN};
use std::time::Duration;

/// The reason the device is given when keep-alive declares the peer dead.
pub const KEEPALIVE_TIMEOUT: &str = "keep-alive timeout";
/// The reason the device is given when retransmissions give up.
pub const RETRANSMISSION_TIMEOUT: &str = "retransmission timeout";

/// When keep-alive declares a connection dead that was last heard at `last` and partitioned
/// at `cut`.
pub fn keepalive_deadline(last: Instant, cut: Instant, p: KeepaliveParams) -> Instant {
    let time = Duration::from_secs(u64::from(p.time_s.max(1)));
    let time_ns = m2285_time::duration_nanos(time);
    let idle = m2285_time::duration_nanos(cut.saturating_since(last));
    let heard = last + Duration::from_nanos(idle / time_ns * time_ns);
    heard + time + Duration::from_secs(u64::from(p.interval_s) * u64::from(p.probes))
}

/// How long after the first unacknowledged send Linux gives the connection up.
pub fn retransmission_give_up() -> Duration {
    let mut total = Duration::ZERO;
    let mut rto = RTO_MIN;
    for _ in 0..=DATA_RETRIES {
        total += rto;
        rto = (rto * 2).min(RTO_MAX);
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    const P: KeepaliveParams = KeepaliveParams {
        time_s: 15,
        interval_s: 5,
        probes: 3,
    };

    #[test]
    fn idle_connections_die_time_plus_probes_after_the_last_answered_probe() {
        let t = |s: u64| Instant::from_millis(s * 1000);
        // Heard at the partition: 15 + 3 x 5 = 30 s later.
        assert_eq!(keepalive_deadline(t(100), t(100), P), t(130));
        // Idle 40 s before it: probes answered at 15 and 30 s, the next one is not.
        assert_eq!(keepalive_deadline(t(100), t(140), P), t(160));
        let small = KeepaliveParams {
            time_s: 1,
            interval_s: 1,
            probes: 2,
        };
        let d = keepalive_deadline(t(10), Instant::from_millis(12_500), small);
        assert_eq!(d, Instant::from_millis(15_000));
    }

    #[test]
    fn retransmissions_give_up_after_linux_s_924_6_s() {
        assert_eq!(retransmission_give_up(), Duration::from_millis(924_600));
    }
}
