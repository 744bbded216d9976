//! Who the device says it is: model, name, MAC address and serial number, for the SNMP system
//! group, locating-server reports and e-mails.
//!
//! The real unit has its MAC address and serial number on a label; the simulator derives them
//! from the host address it runs on, so devices on different addresses differ and the same
//! address always gives the same identity [unverified: format of the real serial number].

use crate::config::Config;
use std::net::Ipv4Addr;

/// The model name the device reports.
pub const MODEL: &str = "Model 2285";

/// The device name: `network.snmp.sys_name`, or `M2285` while it is empty.
pub fn device_name(config: &Config) -> &str {
    let name = config.network.snmp.sys_name.as_str();
    if name.is_empty() {
        "M2285"
    } else {
        name
    }
}

/// The MAC address: Sena's OUI 00:01:95 and the last three bytes of the IP address.
pub fn mac(ip: Ipv4Addr) -> [u8; 6] {
    let o = ip.octets();
    [0x00, 0x01, 0x95, o[1], o[2], o[3]]
}

/// The serial number: `2285-` and the MAC's last three bytes in hex.
pub fn serial_number(ip: Ipv4Addr) -> String {
    let m = mac(ip);
    format!("2285-{:02X}{:02X}{:02X}", m[3], m[4], m[5])
}
