//! The IP filter (notes §3.5, §11.3; docs/management.md "IP filtering"): rules of source address
//! and mask, service and chain rule, first match wins, no match = accept.
//!
//! [`IpFilter::check`] is the one function every service calls with a connection's or a
//! datagram's source address before it serves it: the data port today, the consoles, web server
//! and SNMP agent when they come. It counts every verdict; the caller carries a refusal out
//! (Reject: reset at once; Drop: no answer and no data) and the device logs it.

use crate::config::FilterRule;
use serde::Serialize;
use std::collections::BTreeMap;
use std::net::IpAddr;

/// A service the filter protects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Service {
    /// The Telnet console.
    Telnet,
    /// The SSH console.
    Ssh,
    /// The web server over HTTP.
    Http,
    /// The web server over HTTPS.
    Https,
    /// The SNMP agent.
    Snmp,
    /// Serial port 1's TCP data port (server side, and modem emulation's incoming calls).
    Port1,
    /// Serial port 1's UDP receiving port.
    Port1Udp,
}

impl Service {
    /// The name used in rules (`system.filter.rules[].service`), counters and logs.
    pub fn name(self) -> &'static str {
        match self {
            Service::Telnet => "telnet",
            Service::Ssh => "ssh",
            Service::Http => "http",
            Service::Https => "https",
            Service::Snmp => "snmp",
            Service::Port1 => "port1",
            Service::Port1Udp => "port1_udp",
        }
    }
}

/// What the filter decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Serve it.
    Accept,
    /// No answer and no data.
    Drop,
    /// Refuse at once (TCP reset).
    Reject,
}

/// Verdict counts of one service.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct FilterCounts {
    /// Attempts served.
    pub accepted: u64,
    /// Attempts dropped.
    pub dropped: u64,
    /// Attempts rejected.
    pub rejected: u64,
}

/// The filter's counters (its rules are configuration).
#[derive(Debug, Clone, Default)]
pub struct IpFilter {
    counts: BTreeMap<Service, FilterCounts>,
}

/// Whether `rule` covers `peer` on `service`. An IPv6 peer is covered only by rules for any host
/// (mask 0.0.0.0); an IPv4-mapped IPv6 address counts as its IPv4 address.
pub fn matches(rule: &FilterRule, service: Service, peer: IpAddr) -> bool {
    if rule.service != "all" && rule.service != service.name() {
        return false;
    }
    let mask = u32::from(rule.mask);
    let v4 = match peer {
        IpAddr::V4(a) => Some(a),
        IpAddr::V6(a) => a.to_ipv4_mapped(),
    };
    match v4 {
        Some(a) => u32::from(a) & mask == u32::from(rule.address) & mask,
        None => mask == 0,
    }
}

/// The verdict of `rules` for `peer` on `service`, and the index of the rule that decided it.
pub fn decide(rules: &[FilterRule], service: Service, peer: IpAddr) -> (Verdict, Option<usize>) {
    rules
        .iter()
        .position(|r| matches(r, service, peer))
        .map_or((Verdict::Accept, None), |i| {
            let verdict = match rules[i].rule.as_str() {
                "drop" => Verdict::Drop,
                "reject" => Verdict::Reject,
                _ => Verdict::Accept,
            };
            (verdict, Some(i))
        })
}

/// Rule `index` as one line for a console:
/// `0: address=127.0.0.5 mask=255.255.255.255 service=telnet rule=reject` (the fields are those
/// of `filter add`).
pub fn rule_line(index: usize, rule: &FilterRule) -> String {
    format!(
        "{index}: address={} mask={} service={} rule={}",
        rule.address, rule.mask, rule.service, rule.rule
    )
}

impl IpFilter {
    /// Decides and counts one attempt.
    pub fn check(
        &mut self,
        rules: &[FilterRule],
        service: Service,
        peer: IpAddr,
    ) -> (Verdict, Option<usize>) {
        let (verdict, rule) = decide(rules, service, peer);
        let c = self.counts.entry(service).or_default();
        match verdict {
            Verdict::Accept => c.accepted += 1,
            Verdict::Drop => c.dropped += 1,
            Verdict::Reject => c.rejected += 1,
        }
        (verdict, rule)
    }

    /// Counts per service name, for status pages and `ctl filter`.
    pub fn counts(&self) -> BTreeMap<&'static str, FilterCounts> {
        self.counts.iter().map(|(s, c)| (s.name(), *c)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(address: &str, mask: &str, service: &str, verdict: &str) -> FilterRule {
        FilterRule {
            address: address.parse().unwrap_or(std::net::Ipv4Addr::UNSPECIFIED),
            mask: mask.parse().unwrap_or(std::net::Ipv4Addr::UNSPECIFIED),
            service: service.into(),
            rule: verdict.into(),
        }
    }

    #[test]
    fn first_match_wins_and_no_match_accepts() {
        let rules = [
            rule("127.0.0.3", "255.255.255.255", "port1", "reject"),
            rule("127.0.0.0", "255.255.255.0", "all", "drop"),
        ];
        let ip = |s: &str| s.parse::<IpAddr>().unwrap_or(IpAddr::from([0, 0, 0, 0]));
        assert_eq!(
            decide(&rules, Service::Port1, ip("127.0.0.3")),
            (Verdict::Reject, Some(0))
        );
        assert_eq!(
            decide(&rules, Service::Port1Udp, ip("127.0.0.3")),
            (Verdict::Drop, Some(1))
        );
        assert_eq!(
            decide(&rules, Service::Port1, ip("127.0.0.9")),
            (Verdict::Drop, Some(1))
        );
        assert_eq!(
            decide(&rules, Service::Port1, ip("127.0.1.9")),
            (Verdict::Accept, None)
        );
        assert_eq!(
            decide(&[], Service::Ssh, ip("::1")),
            (Verdict::Accept, None)
        );
        let any = [rule("0.0.0.0", "0.0.0.0", "all", "reject")];
        assert_eq!(decide(&any, Service::Http, ip("::1")).0, Verdict::Reject);
        let mut f = IpFilter::default();
        f.check(&rules, Service::Port1, ip("127.0.0.3"));
        f.check(&rules, Service::Port1, ip("127.0.1.1"));
        assert_eq!(
            f.counts().get("port1"),
            Some(&FilterCounts {
                accepted: 1,
                dropped: 0,
                rejected: 1
            })
        );
    }
}
