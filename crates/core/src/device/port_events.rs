//! Port event handling (manual §4.11): keyword rules over the data the serial port receives.
//!
//! Each rule's keyword is looked for in the byte stream from the attached equipment, across
//! read boundaries. A match acts (e-mail, trap, reply to the serial port) unless the port
//! notified less than `port1.events.min_interval_s` ago; then it is only counted. The e-mail
//! and the trap are the runtime's business: the model announces the match as a
//! [`DeviceEvent::PortEvent`] and writes the reply itself.

use super::Device;
use crate::config::PortEvents;
use crate::io::DeviceEvent;
use m2285_time::Instant;
use std::time::Duration;

/// The watcher's state: the stream's last bytes (a keyword may span reads) and the last
/// notification.
#[derive(Debug, Default)]
pub(super) struct EventWatch {
    tail: Vec<u8>,
    last_notified: Option<Instant>,
}

impl EventWatch {
    /// The keywords ending in `bytes` (matches that end in the earlier tail were seen before),
    /// in stream order, as rule indices.
    fn matches(&mut self, rules: &PortEvents, bytes: &[u8]) -> Vec<usize> {
        let longest = rules
            .rules
            .iter()
            .map(|r| r.keyword.len())
            .max()
            .unwrap_or(0);
        if longest == 0 {
            return Vec::new();
        }
        let mut window = std::mem::take(&mut self.tail);
        let old = window.len();
        window.extend_from_slice(bytes);
        let mut found: Vec<(usize, usize)> = Vec::new();
        for (i, rule) in rules.rules.iter().enumerate() {
            let k = rule.keyword.as_bytes();
            if k.is_empty() || k.len() > window.len() {
                continue;
            }
            for end in (k.len()..=window.len()).filter(|&e| e > old) {
                if &window[end - k.len()..end] == k {
                    found.push((end, i));
                }
            }
        }
        let keep = window.len().min(longest - 1);
        self.tail = window[window.len() - keep..].to_vec();
        found.sort_unstable();
        found.into_iter().map(|(_, i)| i).collect()
    }
}

/// `\r`, `\n` and `\\` in a reply string.
pub fn unescape(reply: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(reply.len());
    let mut chars = reply.bytes();
    while let Some(b) = chars.next() {
        if b != b'\\' {
            out.push(b);
            continue;
        }
        match chars.next() {
            Some(b'r') => out.push(b'\r'),
            Some(b'n') => out.push(b'\n'),
            Some(other) => out.push(other),
            None => out.push(b'\\'),
        }
    }
    out
}

impl Device {
    /// Looks for the port's keywords in bytes that arrived from the serial port.
    pub(super) fn port_events(&mut self, bytes: &[u8], now: Instant) {
        let rules = &self.config.port1.events;
        if !rules.enabled || rules.rules.is_empty() {
            return;
        }
        let rules = rules.clone();
        for i in self.event_watch.matches(&rules, bytes) {
            self.port.stats.port_event_matches += 1;
            let interval = Duration::from_secs(u64::from(rules.min_interval_s));
            let quiet = self
                .event_watch
                .last_notified
                .is_none_or(|last| now.saturating_since(last) >= interval);
            if !quiet {
                self.port.stats.port_events_suppressed += 1;
                continue;
            }
            self.event_watch.last_notified = Some(now);
            let rule = &rules.rules[i];
            let reply = unescape(&rule.reply);
            if !reply.is_empty() {
                self.queue_for_serial(&reply, now);
            }
            self.notify(DeviceEvent::PortEvent {
                port: 1,
                keyword: rule.keyword.clone(),
                email: rule.email && !rules.email_to.is_empty(),
                trap: rule.trap,
                reply: !reply.is_empty(),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::EventRule;

    fn rules(words: &[&str]) -> PortEvents {
        PortEvents {
            enabled: true,
            email_to: String::new(),
            min_interval_s: 0,
            rules: words
                .iter()
                .map(|w| EventRule {
                    keyword: (*w).into(),
                    email: false,
                    trap: false,
                    reply: String::new(),
                })
                .collect(),
        }
    }

    #[test]
    fn keywords_are_found_across_reads_once_each() {
        let r = rules(&["ALARM", "OK"]);
        let mut w = EventWatch::default();
        assert_eq!(w.matches(&r, b"xxAL"), Vec::<usize>::new());
        assert_eq!(w.matches(&r, b"ARM and OK, ALARM"), vec![0, 1, 0]);
        assert_eq!(w.matches(&r, b"M"), Vec::<usize>::new());
        assert_eq!(w.matches(&r, b"OKOK"), vec![1, 1]);
    }

    #[test]
    fn replies_understand_cr_lf_and_backslash() {
        assert_eq!(unescape(r"ack\r\n\\x\"), b"ack\r\n\\x\\".to_vec());
    }
}
