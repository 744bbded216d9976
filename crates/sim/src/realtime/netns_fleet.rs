//! Fleet mode with `--netns` (docs/network.md): one LAN namespace with one bridge, every device
//! in a namespace of its own at `network.ip + index` (or DHCP). Kept apart from the fleet's
//! start-up so that it stays one call per device there.

use crate::cli::{FleetArgs, NetnsArgs};
use crate::netns::{setup, DeviceNs, Lan};
use m2285_core::Config;
use std::sync::Arc;

/// The fleet's LAN, made with the first device (whose configuration decides the subnet).
pub struct FleetLan {
    opts: NetnsArgs,
    lan: Option<Arc<Lan>>,
}

/// The fleet's LAN-to-be; nothing is created without `--netns`.
pub fn lan(args: &FleetArgs) -> FleetLan {
    FleetLan {
        opts: args.netns.clone(),
        lan: None,
    }
}

impl FleetLan {
    /// Lets the LAN namespace go (it is removed once no device holds it any more).
    pub fn release(&mut self) {
        self.lan = None;
    }
}

/// Device `index`'s namespace, or `None` without `--netns`.
pub fn device(
    fleet: &mut FleetLan,
    config: &Config,
    index: usize,
) -> Result<Option<DeviceNs>, String> {
    let opts = &fleet.opts;
    if !opts.netns {
        return Ok(None);
    }
    let lan = match &fleet.lan {
        Some(lan) => lan.clone(),
        None => {
            let lan = setup::lan(config, opts.netns_host_ip, opts.netns_lan.as_deref())?;
            fleet.lan = Some(lan.clone());
            lan
        }
    };
    let offset = u32::try_from(index).map_err(|_| format!("device {index}: too many"))?;
    let mut plan = setup::plan(config, offset)?;
    if lan.host_ip.is_some_and(|h| {
        u32::from(h) >= u32::from(config.network.ip) && u32::from(h) <= u32::from(plan.ip)
    }) {
        // The host side sits among the devices' addresses: skip over it.
        plan = setup::plan(config, offset + 1)?;
    }
    DeviceNs::create(index, &plan, lan)
        .map(Some)
        .map_err(|e| format!("device {index}: {e}"))
}
