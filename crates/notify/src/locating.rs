//! The locating-server report: a UDP datagram the device sends every configured interval so a
//! server can find it (manual §3.11, §11.9, Sena Pro v2 format).
//!
//! Layout: the 4-byte magic cookie `F1 AA AA BC`, then items `{id: u8, len: u8, data}`:
//! 1 device name, 2 model name, 3 serial number, 4 MAC (6 bytes), 5 IP (4 bytes), 6 local ports
//! (2 bytes per serial port, network byte order, 0 for a disabled port).

use std::net::Ipv4Addr;

/// The magic cookie that starts every report.
pub const MAGIC: [u8; 4] = [0xF1, 0xAA, 0xAA, 0xBC];

/// What a report carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// Device name.
    pub name: String,
    /// Model name.
    pub model: String,
    /// Serial number.
    pub serial: String,
    /// MAC address.
    pub mac: [u8; 6],
    /// IP address.
    pub ip: Ipv4Addr,
    /// Each serial port's local port; 0 for a disabled port.
    pub ports: Vec<u16>,
}

impl Report {
    /// The datagram. Texts longer than 255 bytes are cut (an item's length is one byte).
    pub fn encode(&self) -> Vec<u8> {
        let mut out = MAGIC.to_vec();
        let mut item = |id: u8, data: &[u8]| {
            let data = &data[..data.len().min(255)];
            out.push(id);
            out.push(data.len() as u8);
            out.extend_from_slice(data);
        };
        item(1, self.name.as_bytes());
        item(2, self.model.as_bytes());
        item(3, self.serial.as_bytes());
        item(4, &self.mac);
        item(5, &self.ip.octets());
        let ports: Vec<u8> = self.ports.iter().flat_map(|p| p.to_be_bytes()).collect();
        item(6, &ports);
        out
    }

    /// Reads a datagram back (what a locating server does); `None` if it is not a report.
    pub fn decode(bytes: &[u8]) -> Option<Report> {
        let rest = bytes.strip_prefix(&MAGIC[..])?;
        let mut r = Report {
            name: String::new(),
            model: String::new(),
            serial: String::new(),
            mac: [0; 6],
            ip: Ipv4Addr::UNSPECIFIED,
            ports: Vec::new(),
        };
        let mut at = 0;
        while at < rest.len() {
            let id = *rest.get(at)?;
            let len = usize::from(*rest.get(at + 1)?);
            let data = rest.get(at + 2..at + 2 + len)?;
            let text = || String::from_utf8_lossy(data).into_owned();
            match id {
                1 => r.name = text(),
                2 => r.model = text(),
                3 => r.serial = text(),
                4 => r.mac = data.try_into().ok()?,
                5 => r.ip = Ipv4Addr::from(<[u8; 4]>::try_from(data).ok()?),
                6 => {
                    r.ports = data
                        .chunks_exact(2)
                        .map(|c| u16::from_be_bytes([c[0], c[1]]))
                        .collect()
                }
                _ => {}
            }
            at += 2 + len;
        }
        Some(r)
    }
}
