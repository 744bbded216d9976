//! Faults at the device's link in the namespace mode, carried out by the kernel's own tools
//! under the same fault names as the other runtimes (docs/network.md):
//!
//! * `net.bandwidth`: a `tbf` qdisc on both veth ends (each shapes what it sends);
//! * `net.partition`: the device's `eth0` down, a pulled cable;
//! * `net.loss`: nftables rules dropping that share of the packets at random (`numgen random`)
//!   where they arrive (the device's `eth0`, the veth end on the LAN), so TCP really retransmits.
//!
//! They act at once and last until cleared (`start` and `duration` are refused).

use super::cmd;
use m2285_boundary::faults::{Direction, FaultKind, FaultSpec};
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
                for (ns, dev) in loss_points(link, spec.direction) {
                    cmd::nft_in(ns, &loss_table(*probability, dev))?;
                }
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
                    loss_points(link, spec.direction)
                        .iter()
                        .try_for_each(|(ns, dev)| {
                            cmd::nft_in(ns, &format!("delete table netdev {}\n", table_name(dev)))
                        })
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

/// Where loss acts: at the ingress of the receiving end, so a dropped packet has really left
/// its sender (a drop in the sender's own output hook is not a loss to TCP, which just sends
/// again later without counting a retransmission). Towards the device: `eth0`'s ingress in the
/// device's namespace; from it: the veth end's ingress in the LAN namespace.
fn loss_points<'a>(link: &Link<'a>, direction: Direction) -> Vec<(&'a str, &'a str)> {
    let mut points = Vec::new();
    if direction.covers(Direction::ToDevice) {
        points.push((link.device_ns, super::DEVICE_IF));
    }
    if direction.covers(Direction::FromDevice) {
        points.push((link.lan_ns, link.host_veth));
    }
    points
}

/// The nftables table dropping `probability` of the packets arriving at `dev` (resolution
/// 1/10000), at random (`numgen random`).
fn loss_table(probability: f64, dev: &str) -> String {
    let share = (probability.clamp(0.0, 1.0) * 10_000.0).round() as u32;
    format!(
        "table netdev {} {{\n  chain loss {{ type filter hook ingress device \"{dev}\" priority 0; \
         policy accept; numgen random mod 10000 < {share} drop; }}\n}}\n",
        table_name(dev)
    )
}

/// The loss table of interface `dev` (one per veth end, so devices sharing the LAN namespace
/// have their own).
fn table_name(dev: &str) -> String {
    format!("{NFT_TABLE}_{}", dev.replace('-', "_"))
}

fn describe(spec: &FaultSpec) -> serde_json::Value {
    serde_json::json!({"id": spec.id, "name": spec.name, "state": "active", "at": "link"})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loss_drops_the_share_at_the_receiving_end() {
        let link = Link {
            device_ns: "dev",
            lan_ns: "lan",
            host_veth: "v1-0",
        };
        assert_eq!(
            loss_points(&link, Direction::Both),
            vec![("dev", "eth0"), ("lan", "v1-0")]
        );
        assert_eq!(
            loss_points(&link, Direction::ToDevice),
            vec![("dev", "eth0")]
        );
        let table = loss_table(0.05, "v1-0");
        assert!(table.contains("table netdev m2285_faults_v1_0"));
        assert!(table.contains("hook ingress device \"v1-0\""));
        assert!(table.contains("numgen random mod 10000 < 500 drop"));
    }
}
