//! Rules about list records that one key's type cannot express: a remote host needs a host, a
//! remote host (trap receiver, SMTP or locating server) must be reachable by the simulator
//! (loopback), user names are unique, keyword rules have a keyword.

use super::{Config, ConfigError};
use std::net::IpAddr;

/// Adds a mistake to `errors` for every record that breaks a rule.
pub fn check(config: &Config, errors: &mut Vec<ConfigError>) {
    for (i, h) in config.port1.remote_hosts.iter().enumerate() {
        let key = format!("port1.remote_hosts[{i}].host");
        check_host(&key, &h.host, false, errors);
        let key = format!("port1.remote_hosts[{i}].backup_host");
        check_host(&key, &h.backup_host, true, errors);
    }
    for (i, r) in config.network.snmp.trap_receivers.iter().enumerate() {
        loopback_only(
            &format!("network.snmp.trap_receivers[{i}].address"),
            r.address,
            errors,
        );
    }
    if config.network.locating.enabled {
        loopback_only(
            "network.locating.server",
            config.network.locating.server,
            errors,
        );
    }
    check_host(
        "network.smtp.server",
        &config.network.smtp.server,
        true,
        errors,
    );
    for (i, r) in config.port1.events.rules.iter().enumerate() {
        if r.keyword.is_empty() {
            errors.push(ConfigError::new(
                format!("port1.events.rules[{i}].keyword"),
                "\"\"",
                "a non-empty keyword",
            ));
        }
    }
    for (i, u) in config.system.users.iter().enumerate() {
        if u.name.is_empty() || u.name.chars().any(|c| c.is_whitespace() || c.is_control()) {
            errors.push(ConfigError::new(
                format!("system.users[{i}].name"),
                format!("\"{}\"", u.name),
                "a non-empty name without spaces or control characters",
            ));
        } else if config.system.users[..i].iter().any(|o| o.name == u.name) {
            errors.push(ConfigError::new(
                format!("system.users[{i}].name"),
                format!("\"{}\"", u.name),
                "a name not used by another user",
            ));
        }
    }
}

/// Addresses the device sends to must be loopback: the simulator reaches nothing else.
fn loopback_only(key: &str, address: std::net::Ipv4Addr, errors: &mut Vec<ConfigError>) {
    if !address.is_loopback() {
        errors.push(ConfigError::new(
            key,
            format!("\"{address}\""),
            "a loopback address (127.0.0.0/8): the simulator only reaches loopback addresses",
        ));
    }
}

fn check_host(key: &str, host: &str, may_be_empty: bool, errors: &mut Vec<ConfigError>) {
    let shown = format!("\"{host}\"");
    if host.is_empty() {
        if !may_be_empty {
            errors.push(ConfigError::new(
                key,
                shown,
                "a loopback IP address or a host name",
            ));
        }
        return;
    }
    match host.parse::<IpAddr>() {
        Ok(ip) if !ip.is_loopback() => errors.push(ConfigError::new(
            key,
            shown,
            "a loopback address (127.0.0.0/8 or ::1) or a host name: the simulator only reaches loopback addresses",
        )),
        Ok(_) => {}
        Err(_) => {
            let name_ok = host
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-' || c == '_');
            if !name_ok {
                errors.push(ConfigError::new(
                    key,
                    shown,
                    "a loopback IP address or a host name (letters, digits, '.', '-')",
                ));
            }
        }
    }
}
