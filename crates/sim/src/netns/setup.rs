//! Setting up the namespace mode for one device or a fleet: privileges, the leftovers of killed
//! runs, the LAN, and each device's namespace (docs/network.md).

use super::{DeviceNs, Lan, Plan};
use m2285_core::config::IpMode;
use m2285_core::Config;
use std::net::Ipv4Addr;
use std::sync::Arc;

/// The real device ports the services listen on inside a namespace: 23, 22, 161, 80, 443 (the
/// data port keeps its own setting, factory 7001). The `sim.*_port` host ports are for the
/// loopback mode, where the host's ports are shared and ports below 1024 need root.
pub fn with_device_ports(config: &Config) -> Config {
    let mut c = config.clone();
    c.sim.free_ports = false;
    c.sim.snmp_port = 161;
    c.sim.telnet_port = 23;
    c.sim.ssh_port = 22;
    c.sim.http_port = 80;
    c.sim.https_port = 443;
    c
}

/// The device's address and the configuration its services bind by: in a namespace its own
/// address and real ports, else the loopback `host_ip` and the configuration as given.
pub fn device_side(
    host_ip: std::net::IpAddr,
    ns: Option<&DeviceNs>,
    config: &Config,
) -> (std::net::IpAddr, Config) {
    match ns {
        Some(ns) => (std::net::IpAddr::V4(ns.ip), with_device_ports(config)),
        None => (host_ip, config.clone()),
    }
}

/// The plan of a device whose configuration is `config`, `offset` addresses after its
/// `network.ip` (fleet device n takes the factory address + n).
pub fn plan(config: &Config, offset: u32) -> Result<Plan, String> {
    let net = &config.network;
    let ip = u32::from(net.ip)
        .checked_add(offset)
        .map(Ipv4Addr::from)
        .ok_or_else(|| format!("network.ip {} + {offset} overflows", net.ip))?;
    let prefix = super::prefix_of(net.netmask)?;
    if !super::same_subnet(ip, net.ip, prefix) {
        return Err(format!(
            "network.ip {} + {offset} leaves the subnet /{prefix}: too many devices for it",
            net.ip
        ));
    }
    Ok(Plan {
        ip,
        prefix,
        gateway: net.gateway,
        dhcp: net.ip_mode == IpMode::Dhcp,
    })
}

/// Checks privileges, removes stale namespaces and makes (or joins) the LAN for `config`.
pub fn lan(
    config: &Config,
    host_ip: Option<Ipv4Addr>,
    existing: Option<&str>,
) -> Result<Arc<Lan>, String> {
    super::check_privileges()?;
    super::remove_stale();
    if let Some(name) = existing {
        return Lan::existing(name, host_ip);
    }
    let base = plan(config, 0)?;
    let host_ip =
        host_ip.unwrap_or_else(|| super::default_host_ip(base.ip, base.prefix, base.gateway));
    if !super::same_subnet(host_ip, base.ip, base.prefix) {
        return Err(format!(
            "--netns-host-ip {host_ip} is not on the device's subnet {}/{}",
            base.ip, base.prefix
        ));
    }
    Lan::create(host_ip, base.prefix)
}

/// A single device's namespace (`m2285-sim --netns`).
pub fn single(
    config: &Config,
    host_ip: Option<Ipv4Addr>,
    existing_lan: Option<&str>,
) -> Result<DeviceNs, String> {
    let lan = lan(config, host_ip, existing_lan)?;
    let plan = plan(config, 0)?;
    if !plan.dhcp && lan.host_ip == Some(plan.ip) {
        return Err(format!(
            "the host side and the device would both be {}: pick another --netns-host-ip",
            plan.ip
        ));
    }
    DeviceNs::create(0, &plan, lan)
}
