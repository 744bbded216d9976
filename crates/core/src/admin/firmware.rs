//! Firmware images (issue 13 item 4; docs/web.md "Firmware upgrade"): the file format the
//! device accepts on its system administration page, checked before anything changes, and the
//! state file that keeps the installed version across power cycles.
//!
//! The simulator has no firmware to run, so an image is a header naming a version and a payload
//! the header's SHA-256 covers. A good image makes the device reboot into that version: its
//! identity (status page, `ctl status`, console, SNMP sysDescr, the boot event) reports it from
//! then on. The format, all integers big-endian:
//!
//! | offset | bytes | field                                                        |
//! |--------|-------|--------------------------------------------------------------|
//! | 0      | 8     | magic `M2285FW` and a NUL                                    |
//! | 8      | 2     | format version, 1                                            |
//! | 10     | 2     | reserved, 0                                                  |
//! | 12     | 32    | firmware version: 1 to 31 printable ASCII bytes, NUL-padded  |
//! | 44     | 4     | payload length in bytes                                      |
//! | 48     | 32    | SHA-256 of the payload                                       |
//! | 80     | n     | payload                                                      |

use sha2::{Digest, Sha256};
use std::fmt;

/// The first eight bytes of every image.
pub const MAGIC: &[u8; 8] = b"M2285FW\0";
/// The format version this device reads.
pub const FORMAT_VERSION: u16 = 1;
/// Bytes before the payload.
pub const HEADER_LEN: usize = 80;
/// Longest version string.
pub const MAX_VERSION_LEN: usize = 31;
/// Largest image the device takes (its flash partition for firmware).
pub const MAX_IMAGE: usize = 4 << 20;
/// The state-directory file that keeps the installed version (mode 0600).
pub const FIRMWARE_FILE: &str = "firmware";

/// A checked image: only [`parse`] makes one, so holding it proves the checks passed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Image {
    version: String,
    payload_len: usize,
}

impl Image {
    /// The firmware version the image carries.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// The payload's length in bytes.
    pub fn payload_len(&self) -> usize {
        self.payload_len
    }
}

/// Why an image is refused (each says what the device expected).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImageError {
    /// Shorter than the header.
    TooShort(usize),
    /// Larger than [`MAX_IMAGE`].
    TooLarge(usize),
    /// Not an M2285 firmware image.
    BadMagic,
    /// A format this device does not read.
    UnknownFormat(u16),
    /// The version field is empty, too long or not printable ASCII.
    BadVersion,
    /// The file's length disagrees with the header's payload length.
    LengthMismatch {
        /// The header says.
        header: u64,
        /// The file has.
        actual: u64,
    },
    /// The payload's SHA-256 is not the header's: the file is damaged.
    ChecksumMismatch,
}

impl fmt::Display for ImageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ImageError::TooShort(n) => write!(
                f,
                "not a firmware image: {n} bytes, shorter than the {HEADER_LEN}-byte header"
            ),
            ImageError::TooLarge(n) => {
                write!(f, "image of {n} bytes is larger than the {MAX_IMAGE} bytes allowed")
            }
            ImageError::BadMagic => write!(
                f,
                "not an M2285 firmware image (it must start with \"M2285FW\"; build one with `m2285-sim firmware-image`)"
            ),
            ImageError::UnknownFormat(v) => write!(
                f,
                "image format {v} is not supported (this device reads format {FORMAT_VERSION})"
            ),
            ImageError::BadVersion => write!(
                f,
                "the image's version must be 1 to {MAX_VERSION_LEN} printable ASCII characters"
            ),
            ImageError::LengthMismatch { header, actual } => write!(
                f,
                "the image is truncated or padded: the header says {header} payload bytes, the file has {actual}"
            ),
            ImageError::ChecksumMismatch => {
                write!(f, "the image is damaged: its payload does not match the header's SHA-256")
            }
        }
    }
}

/// True when `version` may name firmware: 1 to [`MAX_VERSION_LEN`] printable ASCII characters
/// (space included, not at either end).
pub fn valid_version(version: &str) -> bool {
    (1..=MAX_VERSION_LEN).contains(&version.len())
        && version.bytes().all(|b| (0x20..0x7f).contains(&b))
        && version.trim() == version
}

/// Builds the image of `payload` named `version`.
pub fn build(version: &str, payload: &[u8]) -> Result<Vec<u8>, ImageError> {
    if !valid_version(version) {
        return Err(ImageError::BadVersion);
    }
    let len = u32::try_from(payload.len()).map_err(|_| ImageError::TooLarge(payload.len()))?;
    if HEADER_LEN + payload.len() > MAX_IMAGE {
        return Err(ImageError::TooLarge(HEADER_LEN + payload.len()));
    }
    let mut out = Vec::with_capacity(HEADER_LEN + payload.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&FORMAT_VERSION.to_be_bytes());
    out.extend_from_slice(&[0, 0]);
    let mut name = [0u8; 32];
    name[..version.len()].copy_from_slice(version.as_bytes());
    out.extend_from_slice(&name);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(&Sha256::digest(payload));
    out.extend_from_slice(payload);
    Ok(out)
}

/// Checks an uploaded image: magic, format, version, length, then the payload's SHA-256.
pub fn parse(bytes: &[u8]) -> Result<Image, ImageError> {
    if bytes.len() > MAX_IMAGE {
        return Err(ImageError::TooLarge(bytes.len()));
    }
    if bytes.len() < HEADER_LEN {
        return Err(ImageError::TooShort(bytes.len()));
    }
    if &bytes[..8] != MAGIC {
        return Err(ImageError::BadMagic);
    }
    let format = u16::from_be_bytes([bytes[8], bytes[9]]);
    if format != FORMAT_VERSION {
        return Err(ImageError::UnknownFormat(format));
    }
    let name = &bytes[12..44];
    let end = name.iter().position(|b| *b == 0).unwrap_or(name.len());
    if end > MAX_VERSION_LEN || name[end..].iter().any(|b| *b != 0) {
        return Err(ImageError::BadVersion);
    }
    let version = std::str::from_utf8(&name[..end]).map_err(|_| ImageError::BadVersion)?;
    if !valid_version(version) {
        return Err(ImageError::BadVersion);
    }
    let header = u64::from(u32::from_be_bytes([
        bytes[44], bytes[45], bytes[46], bytes[47],
    ]));
    let payload = &bytes[HEADER_LEN..];
    if header != payload.len() as u64 {
        return Err(ImageError::LengthMismatch {
            header,
            actual: payload.len() as u64,
        });
    }
    if Sha256::digest(payload).as_slice() != &bytes[48..80] {
        return Err(ImageError::ChecksumMismatch);
    }
    Ok(Image {
        version: version.to_owned(),
        payload_len: payload.len(),
    })
}

/// The version kept in [`FIRMWARE_FILE`], if the file holds a valid one.
pub fn kept_version(bytes: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(bytes).ok()?.trim_end_matches('\n');
    valid_version(text).then(|| text.to_owned())
}

/// The content of [`FIRMWARE_FILE`] for `version`.
pub fn state_file(version: &str) -> Vec<u8> {
    format!("{version}\n").into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_built_image_parses_and_every_damage_is_named() {
        let good = build("2.4.1-sim", b"payload bytes").unwrap_or_default();
        let image = parse(&good).map_err(|e| e.to_string());
        assert_eq!(image.as_ref().map(Image::version), Ok("2.4.1-sim"));
        assert_eq!(parse(b"short"), Err(ImageError::TooShort(5)));
        let mut bad = good.clone();
        bad[0] = b'X';
        assert_eq!(parse(&bad), Err(ImageError::BadMagic));
        let mut bad = good.clone();
        bad[9] = 2;
        assert_eq!(parse(&bad), Err(ImageError::UnknownFormat(2)));
        let mut bad = good.clone();
        let last = bad.len() - 1;
        bad[last] ^= 1;
        assert_eq!(parse(&bad), Err(ImageError::ChecksumMismatch));
        let mut bad = good.clone();
        bad.push(0);
        assert!(matches!(
            parse(&bad),
            Err(ImageError::LengthMismatch { .. })
        ));
        let mut bad = good;
        bad[12] = 0x07;
        assert_eq!(parse(&bad), Err(ImageError::BadVersion));
        assert_eq!(build("", b"x"), Err(ImageError::BadVersion));
        assert_eq!(build(&"9".repeat(32), b"x"), Err(ImageError::BadVersion));
    }

    #[test]
    fn the_state_file_round_trips() {
        assert_eq!(kept_version(&state_file("3.0")), Some("3.0".into()));
        assert_eq!(kept_version(b"\x01bad"), None);
    }
}
