//! The network-namespace mode (`--netns`, docs/network.md): the device's network side in a
//! Linux network namespace of its own, with its real address and ports and the kernel's own
//! IP stack, joined by a veth pair to a bridge in a second namespace, the "LAN", where the
//! host-side address lives and where programs reach the device (`ip netns exec LAN ...`).
//!
//! Nothing is added to the host's own namespace: every address, route, interface and firewall
//! rule lives in a namespace the simulator created (or in a LAN namespace the user named, where
//! it only adds its veth). Names start with [`PREFIX`] and the simulator's process id, so the
//! leftovers of a killed simulator are found and removed by the next one ([`remove_stale`]).
//!
//! Threads: the control API is bound in the host namespace; then the thread booting the device
//! enters the device's namespace while it opens the device's sockets (data port, consoles, SNMP,
//! management UDP), and the device's loop thread joins it for good (outgoing connections, the
//! kernel counters). A socket stays in the namespace it was created in.

mod announce;
mod cmd;
pub mod counters;
pub mod dhcp;
pub mod link_faults;
pub mod setup;

use nix::sched::{setns, CloneFlags};
use std::fs::File;
use std::net::Ipv4Addr;
use std::sync::Arc;

/// The first part of every namespace name the simulator creates: `m2285-<pid>-...`.
pub const PREFIX: &str = "m2285-";

/// The bridge in the LAN namespace that every device's veth joins.
pub const BRIDGE: &str = "br0";

/// The device's interface inside its namespace.
pub const DEVICE_IF: &str = "eth0";

/// How the device's network is to be set up (from the command line and configuration).
#[derive(Debug, Clone)]
pub struct Plan {
    /// The device's address and prefix length (`network.ip`, `network.netmask`).
    pub ip: Ipv4Addr,
    /// Prefix length of the device's subnet.
    pub prefix: u8,
    /// The default gateway (`network.gateway`), used when it is on the subnet.
    pub gateway: Ipv4Addr,
    /// Take the address from DHCP (`network.ip_mode = "dhcp"`) instead of `ip`.
    pub dhcp: bool,
}

/// The LAN namespace: the host side of every device's veth (a bridge with the host-side
/// address), removed on drop when the simulator created it.
#[derive(Debug)]
pub struct Lan {
    /// Namespace name.
    pub name: String,
    /// The bridge's address, if it has one.
    pub host_ip: Option<Ipv4Addr>,
    owned: bool,
}

impl Lan {
    /// Creates `m2285-<pid>-lan` with bridge `br0` carrying `host_ip/prefix`.
    pub fn create(host_ip: Ipv4Addr, prefix: u8) -> Result<Arc<Lan>, String> {
        let name = format!("{PREFIX}{}-lan", std::process::id());
        cmd::ip(&["netns", "add", &name])?;
        let lan = Lan {
            name,
            host_ip: Some(host_ip),
            owned: true,
        };
        let ns = lan.name.as_str();
        cmd::ip_in(ns, &["link", "set", "lo", "up"])?;
        cmd::ip_in(ns, &["link", "add", BRIDGE, "type", "bridge"])?;
        cmd::ip_in(ns, &["link", "set", BRIDGE, "up"])?;
        let cidr = format!("{host_ip}/{prefix}");
        cmd::ip_in(ns, &["addr", "add", &cidr, "dev", BRIDGE])?;
        Ok(Arc::new(lan))
    }

    /// Uses a LAN namespace the user made (`--netns-lan`): the simulator adds only its veths
    /// (to bridge `br0`, which it creates without an address if missing) and removes nothing.
    pub fn existing(name: &str, host_ip: Option<Ipv4Addr>) -> Result<Arc<Lan>, String> {
        if !std::path::Path::new("/run/netns").join(name).exists() {
            return Err(format!(
                "--netns-lan {name}: no such namespace (`ip netns add {name}` makes one)"
            ));
        }
        if cmd::ip_in(name, &["link", "show", BRIDGE]).is_err() {
            cmd::ip_in(name, &["link", "add", BRIDGE, "type", "bridge"])?;
            cmd::ip_in(name, &["link", "set", BRIDGE, "up"])?;
        }
        Ok(Arc::new(Lan {
            name: name.to_owned(),
            host_ip,
            owned: false,
        }))
    }
}

impl Drop for Lan {
    fn drop(&mut self) {
        if self.owned {
            if let Err(e) = cmd::ip(&["netns", "del", &self.name]) {
                tracing::warn!("{e}");
            }
        }
    }
}

/// One device's namespace, veth and address; the namespace is removed on drop (its veth goes
/// with it).
#[derive(Debug)]
pub struct DeviceNs {
    /// Namespace name, `m2285-<pid>-d<index>`.
    pub name: String,
    /// The device's address in force (configured or leased).
    pub ip: Ipv4Addr,
    /// Its prefix length.
    pub prefix: u8,
    /// The lease, when the address came from DHCP.
    pub lease: Option<dhcp::Lease>,
    /// The veth end in the LAN namespace.
    pub host_veth: String,
    /// The LAN the veth joins (kept alive as long as a device uses it).
    pub lan: Arc<Lan>,
    /// Link faults in force (bandwidth, loss, partition).
    pub faults: link_faults::LinkFaults,
    handle: File,
}

impl DeviceNs {
    /// Creates device `index`'s namespace, joins it to `lan` and gives it its address (for
    /// DHCP: runs the client exchange with the server on the LAN).
    pub fn create(index: usize, plan: &Plan, lan: Arc<Lan>) -> Result<DeviceNs, String> {
        let name = format!("{PREFIX}{}-d{index}", std::process::id());
        cmd::ip(&["netns", "add", &name])?;
        let handle = File::open(format!("/run/netns/{name}"))
            .map_err(|e| format!("cannot open namespace {name}: {e}"))?;
        let host_veth = format!("v{}-{index}", std::process::id());
        let mut dev = DeviceNs {
            name,
            ip: plan.ip,
            prefix: plan.prefix,
            lease: None,
            host_veth,
            lan,
            faults: link_faults::LinkFaults::default(),
            handle,
        };
        dev.wire()?;
        let (ifindex, mac) = dev.link_info()?;
        if plan.dhcp {
            let lease = {
                let _inside = dev.enter()?;
                dhcp::obtain(DEVICE_IF, &mac, std::time::Duration::from_secs(10))?
            };
            dev.ip = lease.ip;
            dev.prefix = lease.prefix;
            dev.address(lease.router)?;
            dev.lease = Some(lease);
        } else {
            let on_subnet = same_subnet(plan.gateway, plan.ip, plan.prefix)
                && plan.gateway != plan.ip
                && !plan.gateway.is_unspecified();
            dev.address(on_subnet.then_some(plan.gateway))?;
        }
        let _inside = dev.enter()?;
        if let Err(e) = announce::announce(ifindex, &mac, dev.ip) {
            tracing::warn!("{e}");
        }
        drop(_inside);
        Ok(dev)
    }

    /// The veth pair: `eth0` in the device's namespace, the other end on the LAN's bridge.
    fn wire(&self) -> Result<(), String> {
        let lan = self.lan.name.as_str();
        cmd::ip_in(
            lan,
            &[
                "link",
                "add",
                &self.host_veth,
                "type",
                "veth",
                "peer",
                "name",
                DEVICE_IF,
                "netns",
                &self.name,
            ],
        )?;
        cmd::ip_in(lan, &["link", "set", &self.host_veth, "master", BRIDGE])?;
        cmd::ip_in(lan, &["link", "set", &self.host_veth, "up"])?;
        cmd::ip_in(&self.name, &["link", "set", "lo", "up"])?;
        cmd::ip_in(&self.name, &["link", "set", DEVICE_IF, "up"])?;
        Ok(())
    }

    /// Gives `eth0` the device's address, and a default route through `router` if any.
    fn address(&self, router: Option<Ipv4Addr>) -> Result<(), String> {
        let cidr = format!("{}/{}", self.ip, self.prefix);
        cmd::ip_in(&self.name, &["addr", "add", &cidr, "dev", DEVICE_IF])?;
        if let Some(gw) = router {
            cmd::ip_in(
                &self.name,
                &["route", "add", "default", "via", &gw.to_string()],
            )?;
        }
        Ok(())
    }

    /// `eth0`'s interface index and MAC address (from `ip -o link show eth0`:
    /// `2: eth0@if4: <...> ... link/ether 02:..:09 brd ...`).
    fn link_info(&self) -> Result<(i32, [u8; 6]), String> {
        let out = cmd::ip_in(&self.name, &["-o", "link", "show", DEVICE_IF])?;
        let index = out
            .split(':')
            .next()
            .and_then(|n| n.trim().parse::<i32>().ok())
            .ok_or_else(|| format!("no interface index for {DEVICE_IF} in '{out}'"))?;
        let text = out
            .split("link/ether ")
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .ok_or_else(|| format!("no MAC address on {DEVICE_IF} in {}", self.name))?;
        let parts: Vec<&str> = text.split(':').collect();
        if parts.len() != 6 {
            return Err(format!("unexpected MAC address '{text}'"));
        }
        let mut mac = [0u8; 6];
        for (byte, part) in mac.iter_mut().zip(parts) {
            *byte = u8::from_str_radix(part, 16).map_err(|e| format!("MAC '{text}': {e}"))?;
        }
        Ok((index, mac))
    }

    /// Moves the calling thread into the device's namespace until the guard is dropped.
    pub fn enter(&self) -> Result<Inside, String> {
        let home = File::open("/proc/thread-self/ns/net")
            .map_err(|e| format!("cannot note this thread's namespace: {e}"))?;
        self.join()?;
        Ok(Inside { home })
    }

    /// Moves the calling thread into the device's namespace for good (the device's loop).
    pub fn join(&self) -> Result<(), String> {
        setns(&self.handle, CloneFlags::CLONE_NEWNET)
            .map_err(|e| format!("cannot enter namespace {}: {e}", self.name))
    }

    /// The ready line's `netns` entry.
    pub fn describe(&self) -> serde_json::Value {
        serde_json::json!({
            "name": self.name,
            "lan": self.lan.name,
            "ip": self.ip.to_string(),
            "prefix": self.prefix,
            "host_ip": self.lan.host_ip.map(|ip| ip.to_string()),
            "host_veth": self.host_veth,
            "dhcp": self.lease.as_ref().map(dhcp::Lease::describe),
        })
    }
}

impl Drop for DeviceNs {
    fn drop(&mut self) {
        if let Err(e) = cmd::ip(&["netns", "del", &self.name]) {
            tracing::warn!("{e}");
        }
    }
}

/// Puts the thread back in the namespace it was in before [`DeviceNs::enter`].
pub struct Inside {
    home: File,
}

impl Drop for Inside {
    fn drop(&mut self) {
        if let Err(e) = setns(&self.home, CloneFlags::CLONE_NEWNET) {
            tracing::error!("cannot return to the host's namespace: {e}");
        }
    }
}

/// Whether `a` is in `net/prefix`.
pub fn same_subnet(a: Ipv4Addr, net: Ipv4Addr, prefix: u8) -> bool {
    let mask = mask_of(prefix);
    u32::from(a) & mask == u32::from(net) & mask
}

/// The netmask of a prefix length.
fn mask_of(prefix: u8) -> u32 {
    match prefix {
        0 => 0,
        p => u32::MAX << (32 - u32::from(p.min(32))),
    }
}

/// The prefix length of a netmask (the count of leading ones; a mask with holes is refused).
pub fn prefix_of(netmask: Ipv4Addr) -> Result<u8, String> {
    let bits = u32::from(netmask);
    let ones = bits.leading_ones();
    if bits.checked_shl(ones).unwrap_or(0) != 0 {
        return Err(format!(
            "network.netmask {netmask} is not a contiguous mask"
        ));
    }
    Ok(ones as u8)
}

/// The host side's default address: the gateway when it is on the subnet (the device's default
/// route then leads to the LAN), else the subnet's first address that is not the device's.
pub fn default_host_ip(ip: Ipv4Addr, prefix: u8, gateway: Ipv4Addr) -> Ipv4Addr {
    if same_subnet(gateway, ip, prefix) && gateway != ip && !gateway.is_unspecified() {
        return gateway;
    }
    let net = u32::from(ip) & mask_of(prefix);
    let first = Ipv4Addr::from(net + 1);
    if first == ip {
        Ipv4Addr::from(net + 2)
    } else {
        first
    }
}

/// Capabilities the mode needs: CAP_NET_ADMIN (interfaces, addresses, qdiscs, nftables) and
/// CAP_SYS_ADMIN (`ip netns add` mounts the namespace; `setns`). Says which are missing.
pub fn check_privileges() -> Result<(), String> {
    const CAP_NET_ADMIN: u32 = 12;
    const CAP_SYS_ADMIN: u32 = 21;
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let effective = status
        .lines()
        .find_map(|l| l.strip_prefix("CapEff:"))
        .and_then(|hex| u64::from_str_radix(hex.trim(), 16).ok())
        .unwrap_or(0);
    let missing: Vec<&str> = [
        (CAP_NET_ADMIN, "CAP_NET_ADMIN"),
        (CAP_SYS_ADMIN, "CAP_SYS_ADMIN"),
    ]
    .iter()
    .filter(|(bit, _)| effective & (1 << bit) == 0)
    .map(|(_, name)| *name)
    .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "--netns needs CAP_NET_ADMIN and CAP_SYS_ADMIN to create network namespaces, veths \
             and addresses (run as root, or see docs/network.md); missing: {}. The loopback \
             mode (without --netns) needs no privileges.",
            missing.join(", ")
        ))
    }
}

/// Removes namespaces `m2285-<pid>-...` whose simulator is gone (killed before it could clean
/// up); their veths go with them. Namespaces of running simulators are left alone.
pub fn remove_stale() {
    let Ok(entries) = std::fs::read_dir("/run/netns") else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(pid) = name
            .strip_prefix(PREFIX)
            .and_then(|rest| rest.split('-').next())
            .and_then(|pid| pid.parse::<u32>().ok())
        else {
            continue;
        };
        if pid == std::process::id() || simulator_alive(pid) {
            continue;
        }
        match cmd::ip(&["netns", "del", &name]) {
            Ok(_) => tracing::info!("removed the stale namespace {name}"),
            Err(e) => tracing::warn!("{e}"),
        }
    }
}

/// Whether process `pid` is a running m2285-sim.
fn simulator_alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/comm"))
        .is_ok_and(|comm| comm.trim_end() == "m2285-sim")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_and_default_host_addresses() {
        assert_eq!(prefix_of(Ipv4Addr::new(255, 255, 0, 0)), Ok(16));
        assert_eq!(prefix_of(Ipv4Addr::new(255, 255, 255, 0)), Ok(24));
        assert!(prefix_of(Ipv4Addr::new(255, 0, 255, 0)).is_err());
        let dev = Ipv4Addr::new(192, 168, 161, 5);
        // The factory gateway 192.168.1.1 is on the factory /16.
        assert_eq!(
            default_host_ip(dev, 16, Ipv4Addr::new(192, 168, 1, 1)),
            Ipv4Addr::new(192, 168, 1, 1)
        );
        assert_eq!(
            default_host_ip(dev, 24, Ipv4Addr::new(192, 168, 1, 1)),
            Ipv4Addr::new(192, 168, 161, 1)
        );
        assert_eq!(
            default_host_ip(Ipv4Addr::new(10, 0, 0, 1), 24, Ipv4Addr::UNSPECIFIED),
            Ipv4Addr::new(10, 0, 0, 2)
        );
    }
}
