//! Fleet mode: many independent devices in one process, for CI rigs that need a plant of device
//! servers without a process each.
//!
//! Each device is a complete [`Runtime`] (its own loopback address, PTY and link, configuration
//! and state directory) whose loop runs on a thread of its own: the devices share nothing but
//! the process, so one device's traffic never delays another's pacing. What they do share is
//! per process, not per device: the management thread, one control API server for the fleet
//! (`/devices/N/...`, [`crate::control::fleet_server`]) and one SIGINT/SIGTERM handler that
//! stops every device. The fleet is checked against the host's limits before anything starts
//! ([`preflight`]); devices are added and removed at run time through the API ([`registry`]).
//! docs/fleet.md describes it all.

mod preflight;
mod registry;

use super::load_config;
use crate::cli::{FleetArgs, RunArgs};
use crate::output;
use serde_json::json;
use std::net::{IpAddr, Ipv4Addr};

/// The loopback address of fleet device `index`: `127.<a>.<b + index / 250>.<1 + index % 250>`
/// from the base `127.a.b.0`, so no address ends in .0 or .255.
pub fn device_ip(base: Ipv4Addr, index: usize) -> Result<IpAddr, String> {
    let [_, a, b, _] = base.octets();
    let third = usize::from(b) + index / 250;
    let third = u8::try_from(third)
        .map_err(|_| format!("--ip-base {base}: no room for {} devices", index + 1))?;
    Ok(IpAddr::V4(Ipv4Addr::new(
        127,
        a,
        third,
        (1 + index % 250) as u8,
    )))
}

/// The run options of device `index`: the template's, plus its own address, link, state
/// directory and overrides.
fn device_args(args: &FleetArgs, index: usize) -> Result<RunArgs, String> {
    let ip = device_ip(args.ip_base, index)?;
    let mut sets = args.sets.clone();
    for spec in &args.device_sets {
        let (which, set) = spec
            .split_once(':')
            .ok_or_else(|| format!("--device {spec}: expected INDEX:KEY=VALUE"))?;
        let which: usize = which
            .parse()
            .map_err(|_| format!("--device {spec}: '{which}' is not a device index"))?;
        if which == index {
            sets.push(set.to_owned());
        }
    }
    Ok(RunArgs {
        pty: Some(args.pty_dir.join(format!("ttyS{index}"))),
        config: args.config.clone(),
        sets,
        ip,
        log: None,
        log_format: args.log_format,
        state_dir: Some(state_parent(args).join(format!("dev{index}"))),
        attach: None,
        seed: args.seed.map(|s| s.wrapping_add(index as u64)),
        trace: None,
        netns: crate::cli::NetnsArgs::default(),
        pcap: None,
        vcd: None,
    })
}

/// The parent of the devices' state directories: `--state-dir`, else `fleet` beside the
/// single devices' default directories.
fn state_parent(args: &FleetArgs) -> std::path::PathBuf {
    args.state_dir
        .clone()
        .unwrap_or_else(|| crate::state_dir::default_root().join("fleet"))
}

/// Where the fleet's control API listens: `.254` beside its first device (`127.a.c.254` when
/// that is `127.a.c.d`), an address no device has (devices end in .1 to .250).
pub fn control_ip(base: Ipv4Addr, first_index: usize) -> Result<IpAddr, String> {
    match device_ip(base, first_index)? {
        IpAddr::V4(first) => {
            let [_, a, c, _] = first.octets();
            Ok(IpAddr::V4(Ipv4Addr::new(127, a, c, 254)))
        }
        other => Ok(other),
    }
}

/// The indices of the fleet's devices at start.
fn indices(args: &FleetArgs) -> std::ops::Range<usize> {
    args.first_index..args.first_index.saturating_add(args.count)
}

/// Makes device `dev`'s state directory (private) and returns it.
fn prepare_device_dir(dev: &RunArgs) -> Result<std::path::PathBuf, String> {
    let dir = dev.state_dir.clone().unwrap_or_default();
    crate::state_dir::prepare(&dir)?;
    Ok(dir)
}

/// Checks the options before anything is made: every `--device INDEX:KEY=VALUE` names a device
/// of the fleet, every address is a loopback address.
fn check_args(args: &FleetArgs) -> Result<(), String> {
    for spec in &args.device_sets {
        let which = spec
            .split_once(':')
            .and_then(|(w, _)| w.parse::<usize>().ok());
        if which.is_some_and(|w| !indices(args).contains(&w)) {
            return Err(format!(
                "--device {spec}: the fleet has devices {}..{}",
                args.first_index,
                indices(args).end.saturating_sub(1)
            ));
        }
    }
    device_ip(args.ip_base, indices(args).end.saturating_sub(1))?;
    Ok(())
}

/// Boots `args.count` devices, prints one ready line listing them all and the fleet's control
/// API, and runs them until SIGINT or SIGTERM stops them all.
pub fn run(args: &FleetArgs) -> Result<(), String> {
    check_args(args)?;
    // The template (the first device's options) decides the budget and the fleet API's settings.
    let first = args.first_index;
    let template = device_args(args, first)?;
    let template_config = load_config(&template, &state_parent(args).join(format!("dev{first}")))?;
    let budget = preflight::Budget::of(&template_config);
    preflight::check(args.count, budget).map_err(|e| format!("a fleet of {}: {e}", args.count))?;
    // Signals are caught from here on, so a SIGTERM during a long start still removes links.
    let mut signals = signal_hook::iterator::Signals::new([
        signal_hook::consts::SIGINT,
        signal_hook::consts::SIGTERM,
    ])
    .map_err(|e| format!("cannot catch SIGINT/SIGTERM: {e}"))?;
    std::fs::create_dir_all(&args.pty_dir)
        .map_err(|e| format!("--pty-dir {}: {e}", args.pty_dir.display()))?;
    // The parent must be private too, or another user could swap a device's directory out.
    crate::state_dir::prepare(&state_parent(args)).map_err(|e| format!("--state-dir: {e}"))?;
    let fleet = std::sync::Arc::new(registry::Fleet::new(args.clone(), budget));
    let control = start_control(args, &template_config, fleet.clone())?;
    let mut booted = Vec::with_capacity(args.count);
    for index in indices(args) {
        if signals.pending().next().is_some() {
            return Ok(());
        }
        booted.push(fleet.boot(index, &[])?);
    }
    let entries: Vec<_> = booted.iter().map(|b| b.entry().clone()).collect();
    output::emit(&json!({
        "event": "ready",
        "count": args.count,
        "control": control,
        "devices": entries,
    }));
    for device in booted {
        fleet.start(device)?;
    }
    let _ = signals.forever().next();
    tracing::info!(devices = fleet.len(), "stopping the fleet");
    fleet.stop_all()
}

/// Starts the fleet's control API (`/devices/N/...`) with the template's settings and the
/// token `control.token` of the state directories' parent; returns its address for the ready
/// line.
fn start_control(
    args: &FleetArgs,
    template: &m2285_core::Config,
    fleet: std::sync::Arc<registry::Fleet>,
) -> Result<serde_json::Value, String> {
    let ip = control_ip(args.ip_base, args.first_index)?;
    let port = if template.sim.free_ports {
        0
    } else {
        template.sim.control_port
    };
    let settings = crate::control::Settings {
        auth: template.sim.control_auth,
        token: crate::control::token::load_or_create(&state_parent(args))?,
        idle_timeout: std::time::Duration::from_millis(u64::from(
            template.sim.control_idle_timeout_ms,
        )),
    };
    let server = crate::control::fleet_server::FleetServer::start(ip, port, settings, fleet)?;
    Ok(json!({ "ip": ip.to_string(), "port": server.port }))
}

/// Advice when a device could not boot for want of descriptors: the hard limit decides how many
/// devices fit (the soft one was raised to it at start).
fn descriptor_hint(error: &str) -> String {
    use nix::sys::resource::{getrlimit, Resource};
    if !error.contains("Too many open files") {
        return String::new();
    }
    let hard = getrlimit(Resource::RLIMIT_NOFILE).map_or(0, |(_, hard)| hard);
    format!(
        " (the open-file limit is {hard} and each device holds about a dozen descriptors: raise \
         the hard limit, e.g. `ulimit -Hn 65536` as root or in /etc/security/limits.conf, or run \
         fewer devices)"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_addresses_are_distinct_loopback_addresses() {
        let base = Ipv4Addr::new(127, 50, 0, 0);
        assert_eq!(
            device_ip(base, 0),
            Ok(IpAddr::V4(Ipv4Addr::new(127, 50, 0, 1)))
        );
        assert_eq!(
            device_ip(base, 249),
            Ok(IpAddr::V4(Ipv4Addr::new(127, 50, 0, 250)))
        );
        assert_eq!(
            device_ip(base, 250),
            Ok(IpAddr::V4(Ipv4Addr::new(127, 50, 1, 1)))
        );
        let all: std::collections::BTreeSet<_> =
            (0..1000).filter_map(|i| device_ip(base, i).ok()).collect();
        assert_eq!(all.len(), 1000);
        assert!(device_ip(Ipv4Addr::new(127, 0, 255, 0), 300).is_err());
    }
}
