//! The device's date and time (docs/management.md "Identity and clock").
//!
//! The real-time clock is the host's time plus an offset: setting the clock by hand or from an
//! SNTP server changes the offset, which the runtime keeps in the state directory (it survives a
//! reboot and a power cut, as the coin cell keeps the real RTC running). The runtime hands in the
//! host's Unix time at power-on (in virtual time, the scenario's), so the model never reads a
//! clock: the date now is that time plus the device time elapsed plus the offset.
//!
//! SNTP (RFC 4330) client: at boot and then every `system.clock.ntp_interval_s` the device sends
//! a mode-3 request from its management UDP socket; a mode-4 answer whose originate timestamp is
//! the request's transmit timestamp sets the clock by the usual offset
//! `((T2 - T1) + (T3 - T4)) / 2`. An unanswered request is retried after a tenth of the interval
//! (at least a second).

use m2285_time::Instant;
use serde::Serialize;
use std::time::Duration;

/// Seconds from the NTP era (1900) to the Unix epoch (1970).
const NTP_UNIX_OFFSET_S: i64 = 2_208_988_800;

/// Name of the state file holding the RTC offset (milliseconds, decimal text).
pub const RTC_FILE: &str = "rtc-offset";

/// The last successful SNTP exchange.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NtpSync {
    /// The server asked.
    pub server: String,
    /// How far the clock was moved, in milliseconds.
    pub adjusted_ms: i64,
    /// Milliseconds since boot when it happened.
    pub uptime_ms: u64,
}

/// The clock's state.
#[derive(Debug, Clone, Default)]
pub struct Clock {
    host_unix_ms_at_power_on: i64,
    offset_ms: i64,
    booted_at: Instant,
    next_request: Option<Instant>,
    pending: Option<u64>,
    /// The last successful SNTP exchange.
    pub last_sync: Option<NtpSync>,
    /// SNTP requests sent since boot.
    pub ntp_requests: u64,
    /// SNTP answers refused (malformed, unexpected, kiss-of-death).
    pub ntp_bad_answers: u64,
}

impl Clock {
    /// The clock of a device that booted at `now`: the Unix time at device time zero and the
    /// kept offset.
    pub fn new(host_unix_ms_at_power_on: i64, offset_ms: i64, now: Instant) -> Self {
        Clock {
            host_unix_ms_at_power_on,
            offset_ms,
            booted_at: now,
            ..Clock::default()
        }
    }

    /// The date and time at `now` in Unix milliseconds.
    pub fn unix_ms(&self, now: Instant) -> i64 {
        let elapsed = i64::try_from(now.as_nanos() / 1_000_000).unwrap_or(i64::MAX);
        self.host_unix_ms_at_power_on
            .saturating_add(elapsed)
            .saturating_add(self.offset_ms)
    }

    /// The date and time at `now` in whole seconds since the Unix epoch (rounded down): what the
    /// device's TLS sessions see as "now" (certificate validity, hello randoms).
    pub fn unix_secs(&self, now: Instant) -> i64 {
        self.unix_ms(now).div_euclid(1000)
    }

    /// Milliseconds since boot.
    pub fn uptime_ms(&self, now: Instant) -> u64 {
        u64::try_from(now.saturating_since(self.booted_at).as_millis()).unwrap_or(u64::MAX)
    }

    /// The RTC offset from host time, in milliseconds.
    pub fn offset_ms(&self) -> i64 {
        self.offset_ms
    }

    /// Sets the date and time to `unix_ms` at `now`; returns the new offset (to be kept).
    pub fn set(&mut self, unix_ms: i64, now: Instant) -> i64 {
        self.offset_ms = self
            .offset_ms
            .saturating_add(unix_ms.saturating_sub(self.unix_ms(now)));
        self.offset_ms
    }

    /// Starts (or stops, with `enabled` false) the SNTP client; the first request is due now.
    pub fn ntp_enable(&mut self, enabled: bool, now: Instant) {
        self.pending = None;
        self.next_request = enabled.then_some(now);
    }

    /// When the next SNTP request is due.
    pub fn next_deadline(&self) -> Option<Instant> {
        self.next_request
    }

    /// The request to send if one is due at `now` (48 bytes), scheduling the retry.
    pub fn ntp_poll(&mut self, interval: Duration, now: Instant) -> Option<Vec<u8>> {
        if self.next_request.is_none_or(|t| t > now) {
            return None;
        }
        let retry = (interval / 10).max(Duration::from_secs(1));
        self.next_request = Some(now + retry);
        let t1 = to_ntp(self.unix_ms(now));
        self.pending = Some(t1);
        self.ntp_requests += 1;
        let mut packet = vec![0u8; 48];
        packet[0] = 0x23; // LI 0, version 4, mode 3 (client)
        packet[40..48].copy_from_slice(&t1.to_be_bytes());
        Some(packet)
    }

    /// An answer arrived from `server` at `now`: sets the clock when it answers the pending
    /// request and returns the adjustment in milliseconds; schedules the next request.
    pub fn ntp_answer(
        &mut self,
        data: &[u8],
        server: &str,
        interval: Duration,
        now: Instant,
    ) -> Option<i64> {
        let Some(t1) = self.pending else {
            self.ntp_bad_answers += 1;
            return None;
        };
        let field = |at: usize| -> u64 {
            data.get(at..at + 8)
                .and_then(|b| b.try_into().ok())
                .map_or(0, u64::from_be_bytes)
        };
        let valid = data.len() >= 48
            && data[0] & 0x07 == 4
            && data[1] != 0
            && field(24) == t1
            && field(40) != 0;
        if !valid {
            self.ntp_bad_answers += 1;
            return None;
        }
        let (t2, t3) = (from_ntp(field(32)), from_ntp(field(40)));
        let (t1, t4) = (from_ntp(t1), self.unix_ms(now));
        let adjust = ((t2 - t1) + (t3 - t4)) / 2;
        self.offset_ms = self.offset_ms.saturating_add(adjust);
        self.pending = None;
        self.next_request = Some(now + interval);
        self.last_sync = Some(NtpSync {
            server: server.to_owned(),
            adjusted_ms: adjust,
            uptime_ms: self.uptime_ms(now),
        });
        Some(adjust)
    }
}

/// Unix milliseconds as an NTP timestamp (32.32 fixed point since 1900).
pub fn to_ntp(unix_ms: i64) -> u64 {
    let secs = unix_ms.div_euclid(1000) + NTP_UNIX_OFFSET_S;
    let frac = (unix_ms.rem_euclid(1000) as u64) * (1u64 << 32) / 1000;
    (u64::try_from(secs).unwrap_or(0) << 32) | frac
}

/// An NTP timestamp as Unix milliseconds.
pub fn from_ntp(ntp: u64) -> i64 {
    let secs = (ntp >> 32) as i64 - NTP_UNIX_OFFSET_S;
    let ms = ((ntp & 0xffff_ffff) * 1000 + (1 << 31)) >> 32;
    secs * 1000 + ms as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_set_moves_the_offset_and_time_runs_on() {
        let t0 = Instant::from_nanos(0);
        let mut c = Clock::new(1_000_000, 0, t0);
        let t = t0 + Duration::from_secs(10);
        assert_eq!(c.unix_ms(t), 1_010_000);
        assert_eq!(c.set(5_000_000, t), 3_990_000);
        assert_eq!(c.unix_ms(t + Duration::from_secs(1)), 5_001_000);
        assert_eq!(c.uptime_ms(t), 10_000);
    }

    #[test]
    fn an_sntp_answer_sets_the_clock() {
        let t0 = Instant::from_nanos(0);
        let mut c = Clock::new(1_700_000_000_000, 0, t0);
        let interval = Duration::from_secs(60);
        c.ntp_enable(true, t0);
        let req = c.ntp_poll(interval, t0).unwrap_or_default();
        assert_eq!((req.len(), req[0]), (48, 0x23));
        assert!(c.ntp_poll(interval, t0).is_none());
        // The server's clock is 1 000 s ahead; the answer takes 20 ms to come back.
        let server = to_ntp(1_700_001_000_010);
        let mut ans = vec![0u8; 48];
        ans[0] = 0x24;
        ans[1] = 1;
        ans[24..32].copy_from_slice(&req[40..48]);
        ans[32..40].copy_from_slice(&server.to_be_bytes());
        ans[40..48].copy_from_slice(&server.to_be_bytes());
        let t4 = t0 + Duration::from_millis(20);
        assert_eq!(c.ntp_answer(&ans, "s", interval, t4), Some(1_000_000));
        assert_eq!(c.unix_ms(t4), 1_700_001_000_020);
        assert_eq!(c.next_deadline(), Some(t4 + interval));
        // A replay does not answer anything.
        assert_eq!(c.ntp_answer(&ans, "s", interval, t4), None);
        assert_eq!(from_ntp(to_ntp(123_456_789)), 123_456_789);
    }
}
