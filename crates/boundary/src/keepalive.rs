//! When TCP gives a connection up: Linux's keep-alive probes and data retransmissions.
//!
//! One rule for both runtimes. The virtual-time TCP model ([`next_probe_at`], [`gives_up`],
//! [`next_rto`] on each timer) runs it step by step; the real-time loop, whose loopback peer's
//! kernel always answers the probes, computes the same outcome in closed form for a partition
//! that exists only in the runtime ([`keepalive_deadline`], [`retransmission_give_up`]):
//!
//! * **Idle connection, keep-alive on.** A probe goes `time` after the last segment heard, then
//!   one every `interval`; after `probes` unanswered probes the connection is dead, i.e. at
//!   `heard + time + probes × interval`. Before a partition at `cut` the probes were answered,
//!   so the last thing heard is `last + k × time` for the largest such instant not after `cut`.
//! * **Unacknowledged data.** Linux does not probe while data is outstanding; it retransmits
//!   from [`RTO_MIN`], doubling up to [`RTO_MAX`], and gives up after [`DATA_RETRIES`]
//!   retransmissions (≈ 924.6 s after the first unacknowledged send).

use m2285_core::io::KeepaliveParams;
use m2285_time::Instant;
use std::time::Duration;

/// First retransmission timeout for data (Linux's `TCP_RTO_MIN`).
pub const RTO_MIN: Duration = Duration::from_millis(200);
/// Largest retransmission timeout (Linux's `TCP_RTO_MAX`).
pub const RTO_MAX: Duration = Duration::from_secs(120);
/// Retransmissions of data before the connection is given up (Linux's `tcp_retries2`).
pub const DATA_RETRIES: u32 = 15;
/// The reason the device is given when keep-alive declares the peer dead.
pub const KEEPALIVE_TIMEOUT: &str = "keep-alive timeout";
/// The reason the device is given when retransmissions give up.
pub const RETRANSMISSION_TIMEOUT: &str = "retransmission timeout";

/// The retransmission timeout after one more back-off: doubled, at most [`RTO_MAX`].
pub fn next_rto(rto: Duration) -> Duration {
    (rto * 2).min(RTO_MAX)
}

/// When the next keep-alive probe (or, with all probes out, the verdict) is due on an idle
/// connection last heard at `last_heard`, with `probes_out` probes unanswered, the last sent
/// at `last_probe`.
pub fn next_probe_at(
    p: KeepaliveParams,
    probes_out: u32,
    last_heard: Instant,
    last_probe: Instant,
) -> Instant {
    if probes_out == 0 {
        last_heard + Duration::from_secs(u64::from(p.time_s))
    } else {
        last_probe + Duration::from_secs(u64::from(p.interval_s))
    }
}

/// True when, with `probes_out` probes unanswered and the next one due, keep-alive declares
/// the connection dead instead of probing again.
pub fn gives_up(p: KeepaliveParams, probes_out: u32) -> bool {
    probes_out >= p.probes
}

/// When keep-alive declares a connection dead that was last heard at `last` and partitioned
/// at `cut`: the closed form of [`next_probe_at`] and [`gives_up`] when every probe before
/// `cut` was answered and none after.
pub fn keepalive_deadline(last: Instant, cut: Instant, p: KeepaliveParams) -> Instant {
    let time = Duration::from_secs(u64::from(p.time_s.max(1)));
    let time_ns = m2285_time::duration_nanos(time);
    let idle = m2285_time::duration_nanos(cut.saturating_since(last));
    let heard = last + Duration::from_nanos(idle / time_ns * time_ns);
    heard + time + Duration::from_secs(u64::from(p.interval_s) * u64::from(p.probes))
}

/// How long after the first unacknowledged send the retransmissions give the connection up.
pub fn retransmission_give_up() -> Duration {
    let mut total = Duration::ZERO;
    let mut rto = RTO_MIN;
    for _ in 0..=DATA_RETRIES {
        total += rto;
        rto = next_rto(rto);
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
    fn the_closed_form_agrees_with_the_step_rule() {
        // Step by step from last heard at 100 s with no answer: probe, probe, probe, dead.
        let (mut probes_out, mut last_probe) = (0, Instant::ZERO);
        let heard = Instant::from_millis(100_000);
        loop {
            let due = next_probe_at(P, probes_out, heard, last_probe);
            if gives_up(P, probes_out) {
                assert_eq!(due, keepalive_deadline(heard, heard, P));
                break;
            }
            probes_out += 1;
            last_probe = due;
        }
    }

    #[test]
    fn retransmissions_give_up_after_linux_s_924_6_s() {
        assert_eq!(retransmission_give_up(), Duration::from_millis(924_600));
    }
}
