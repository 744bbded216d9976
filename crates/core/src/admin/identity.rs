//! What the device says it is (notes §5 "System status"; docs/management.md "Identity and
//! clock"): model, firmware version, serial number and MAC address. The serial number and MAC
//! are derived from a hardware id the runtime hands in (real time: a hash of the state
//! directory's path; virtual time: the device's seed), so a device keeps them across restarts.

use serde::Serialize;

/// The model name.
pub const MODEL: &str = "Patton EtherBits Model 2285";

/// The device's fixed identity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Identity {
    /// Model name.
    pub model: &'static str,
    /// Firmware version: the simulator's.
    pub firmware: String,
    /// Serial number, `2285` and eight digits.
    pub serial_number: String,
    /// MAC address, locally administered (`02:22:85:..`): the simulator owns no vendor prefix.
    pub mac: String,
}

impl Identity {
    /// The identity of the device with hardware id `id`.
    pub fn from_hardware_id(id: u64) -> Self {
        let b = id.to_be_bytes();
        Identity {
            model: MODEL,
            firmware: format!("m2285-sim {}", env!("CARGO_PKG_VERSION")),
            serial_number: format!("2285{:08}", id % 100_000_000),
            mac: format!("02:22:85:{:02x}:{:02x}:{:02x}", b[5], b[6], b[7]),
        }
    }

    /// The MAC address as six bytes (SNMP ifPhysAddress, locating reports); zeros if the text
    /// form were ever malformed.
    pub fn mac_octets(&self) -> [u8; 6] {
        let mut out = [0u8; 6];
        for (slot, part) in out.iter_mut().zip(self.mac.split(':')) {
            *slot = u8::from_str_radix(part, 16).unwrap_or(0);
        }
        out
    }
}

/// A stable 64-bit id of some bytes (FNV-1a), for runtimes deriving a hardware id.
pub fn hardware_id(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_identity_is_stable_per_hardware_id() {
        let a = Identity::from_hardware_id(hardware_id(b"/var/lib/m2285/a"));
        let b = Identity::from_hardware_id(hardware_id(b"/var/lib/m2285/b"));
        assert_eq!(
            a,
            Identity::from_hardware_id(hardware_id(b"/var/lib/m2285/a"))
        );
        assert_ne!(a.mac, b.mac);
        assert!(a.mac.starts_with("02:22:85:") && a.mac.len() == 17);
        assert_eq!(a.serial_number.len(), 12);
        assert_eq!(a.mac_octets()[..3], [0x02, 0x22, 0x85]);
    }
}
