//! Fleet mode: many independent devices in one process, for CI rigs that need a plant of device
//! servers without a process each.
//!
//! Each device is a complete [`Runtime`] (its own loopback address, PTY and link, configuration
//! and state directory) on a thread of its own: the devices share nothing but the process, so
//! one device's traffic never delays another's pacing. All boot before the one ready line is
//! printed; SIGINT/SIGTERM stop them all.

use super::{load_config, Runtime};
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
        if which >= args.count {
            return Err(format!(
                "--device {spec}: the fleet has devices 0..{}",
                args.count - 1
            ));
        }
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
    })
}

/// The parent of the devices' state directories: `--state-dir`, else `fleet` beside the
/// single devices' default directories.
fn state_parent(args: &FleetArgs) -> std::path::PathBuf {
    args.state_dir
        .clone()
        .unwrap_or_else(|| crate::state_dir::default_root().join("fleet"))
}

/// Boots `args.count` devices, prints one ready line listing them all, and runs them until a
/// signal stops them.
pub fn run(args: &FleetArgs) -> Result<(), String> {
    if args.count == 0 {
        return Err("--count must be at least 1".into());
    }
    std::fs::create_dir_all(&args.pty_dir)
        .map_err(|e| format!("--pty-dir {}: {e}", args.pty_dir.display()))?;
    // The parent must be private too, or another user could swap a device's directory out.
    crate::state_dir::prepare(&state_parent(args)).map_err(|e| format!("--state-dir: {e}"))?;
    let mut lan = super::netns_fleet::lan(args)?;
    let mut runtimes = Vec::with_capacity(args.count);
    let mut entries = Vec::with_capacity(args.count);
    for index in 0..args.count {
        let dev = device_args(args, index)?;
        let dir = dev.state_dir.clone().unwrap_or_default();
        crate::state_dir::prepare(&dir)?;
        let config = load_config(&dev, &dir).map_err(|e| format!("device {index}: {e}"))?;
        let namespace = super::netns_fleet::device(&mut lan, &config, index)?;
        let mut rt = Runtime::boot(&dev, config, &dir, namespace)
            .map_err(|e| format!("device {index}: {e}{}", descriptor_hint(&e)))?;
        entries.push(rt.fleet_entry(index));
        runtimes.push(rt);
    }
    output::emit(&json!({"event": "ready", "count": args.count, "devices": entries}));
    let handles: Vec<_> = runtimes
        .into_iter()
        .enumerate()
        .map(|(index, rt)| {
            std::thread::Builder::new()
                .name(format!("device-{index}"))
                .stack_size(256 * 1024)
                .spawn(move || {
                    output::set_device_index(index);
                    rt.run()
                })
        })
        .collect::<Result<_, _>>()
        .map_err(|e| format!("cannot start a device thread: {e}"))?;
    let mut first_error = None;
    for (index, h) in handles.into_iter().enumerate() {
        match h.join() {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                first_error.get_or_insert(format!("device {index}: {e}"));
            }
            Err(_) => {
                first_error.get_or_insert(format!("device {index}: its thread panicked"));
            }
        }
    }
    first_error.map_or(Ok(()), Err)
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
