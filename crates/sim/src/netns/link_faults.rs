//! Faults at the device's link in the namespace mode, carried out by the kernel's own tools
//! under the same fault names as the other runtimes (docs/network.md):
//!
//! * `net.bandwidth`: a `tbf` qdisc on both veth ends (each shapes what it sends);
//! * `net.partition`: the device's `eth0` down, a pulled cable;
//! * `net.loss`: an nftables rule in the device's namespace dropping that share of packets at
//!   random (`numgen random`), so TCP really retransmits.
//!
//! They act at once and last until cleared (`start` and `duration` are refused).

use super::cmd;
use m2285_virtual::faults::{Direction, FaultKind, FaultSpec};
use std::collections::BTreeMap;
use std::time::Duration;

/// The nftables table the loss fault uses in the device's namespace.
const NFT_TABLE: &str = "m2285_faults";

/// The faults these tools carry out.
pub const LINK_FAULTS: &[&str] = &["net.bandwidth", "net.partition", "net.loss"];

/// Link faults in force, by id.
#[derive(Debug, Default)]
pub struct LinkFaults {
    active: BTreeMap<String, FaultSpec>,
}

/// Where a device's link is: its namespace, and the veth end on the LAN.
pub struct Link<'a> {
    /// The device's namespace.
    pub device_ns: &'a str,
    /// The LAN namespace.
    pub lan_ns: &'a str,
    /// The veth end in the LAN namespace.
    pub host_veth: &'a str,
}

impl LinkFaults {
    /// Applies `spec` to `link`; the fault's JSON description on success.
    pub fn add(&mut self, link: &Link, spec: FaultSpec) -> Result<serde_json::Value, String> {
        if spec.start != Duration::ZERO || spec.duration.is_some() {
            return Err(format!(
                "{}: in --netns mode link faults act at once until cleared (no start/duration)",
                spec.name
            ));
        }
        if self.active.values().any(|s| s.name == spec.name) {
            return Err(format!("{}: already in force; clear it first", spec.name));
        }
        match &spec.kind {
            FaultKind::NetBandwidth { bits_per_s } => {
                let rate = format!("{bits_per_s}bit");
                // A burst of at least one full frame, else nothing passes.
                let burst = (bits_per_s / 8 / 10).max(3000).to_string();
                for (ns, dev) in [
                    (link.device_ns, super::DEVICE_IF),
                    (link.lan_ns, link.host_veth),
                ] {
                    cmd::tc_in(
                        ns,
                        &[
                            "qdisc", "replace", "dev", dev, "root", "tbf", "rate", &rate, "burst",
                            &burst, "latency", "400ms",
                        ],
                    )?;
                }
            }
            FaultKind::NetPartition => {
                cmd::ip_in(link.device_ns, &["link", "set", super::DEVICE_IF, "down"])?;
            }
            FaultKind::NetLoss { probability } => {
                cmd::nft_in(link.device_ns, &loss_rules(*probability, spec.direction))?;
            }
            _ => return Err(format!("{}: not a link fault", spec.name)),
        }
        let description = describe(&spec);
        self.active.insert(spec.id.clone(), spec);
        Ok(description)
    }

    /// Clears fault `id` (all when `None`); the descriptions of those cleared.
    pub fn clear(&mut self, link: &Link, id: Option<&str>) -> Vec<serde_json::Value> {
        let ids: Vec<String> = self
            .active
            .keys()
            .filter(|k| id.is_none_or(|i| i == k.as_str()))
            .cloned()
            .collect();
        let mut cleared = Vec::new();
        for key in ids {
            let Some(spec) = self.active.remove(&key) else {
                continue;
            };
            let undone = match spec.kind {
                FaultKind::NetBandwidth { .. } => [
                    (link.device_ns, super::DEVICE_IF),
                    (link.lan_ns, link.host_veth),
                ]
                .iter()
                .try_for_each(|(ns, dev)| {
                    cmd::tc_in(ns, &["qdisc", "del", "dev", dev, "root"]).map(drop)
                }),
                FaultKind::NetPartition => {
                    cmd::ip_in(link.device_ns, &["link", "set", super::DEVICE_IF, "up"]).map(drop)
                }
                FaultKind::NetLoss { .. } => {
                    cmd::nft_in(link.device_ns, &format!("delete table inet {NFT_TABLE}\n"))
                }
                _ => Ok(()),
            };
            if let Err(e) = undone {
                tracing::warn!("clearing {}: {e}", spec.name);
            }
            cleared.push(describe(&spec));
        }
        cleared
    }

    /// The faults in force.
    pub fn list(&self) -> Vec<serde_json::Value> {
        self.active.values().map(describe).collect()
    }

    /// Whether a partition is in force (the link is down).
    pub fn link_down(&self) -> bool {
        self.active
            .values()
            .any(|s| matches!(s.kind, FaultKind::NetPartition))
    }
}

/// The nftables script that drops `probability` of the packets crossing `eth0` (resolution
/// 1/10000) in the fault's direction.
fn loss_rules(probability: f64, direction: Direction) -> String {
    let share = (probability.clamp(0.0, 1.0) * 10_000.0).round() as u32;
    let rule = |hook: &str, dir: &str| {
        format!(
            "  chain {hook} {{ type filter hook {hook} priority 0; policy accept; \
             {dir} \"{}\" numgen random mod 10000 < {share} drop; }}\n",
            super::DEVICE_IF
        )
    };
    let mut script = format!("table inet {NFT_TABLE} {{\n");
    if matches!(direction, Direction::ToDevice | Direction::Both) {
        script.push_str(&rule("input", "iifname"));
    }
    if matches!(direction, Direction::FromDevice | Direction::Both) {
        script.push_str(&rule("output", "oifname"));
    }
    script.push_str("}\n");
    script
}

fn describe(spec: &FaultSpec) -> serde_json::Value {
    serde_json::json!({"id": spec.id, "name": spec.name, "state": "active", "at": "link"})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loss_rules_drop_the_share_in_the_direction_asked() {
        let both = loss_rules(0.05, Direction::Both);
        assert!(both.contains("hook input"));
        assert!(both.contains("hook output"));
        assert!(both.contains("numgen random mod 10000 < 500 drop"));
        let inbound = loss_rules(0.25, Direction::ToDevice);
        assert!(inbound.contains("iifname \"eth0\""));
        assert!(!inbound.contains("hook output"));
    }
}
