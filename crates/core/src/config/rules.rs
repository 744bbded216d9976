//! Rules about list records that one key's type cannot express: a remote host needs a host, a
//! remote host must be reachable by the simulator (loopback), user names are unique.

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
