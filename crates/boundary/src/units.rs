//! Reading and writing the quantities scenarios and fault parameters are made of: durations
//! (`20ms`), bit rates (`1Mbit/s`), probabilities and byte strings (`hex`).
//!
//! One reader serves the scenario files and [`crate::faults::FaultSpec::parse`], so a value
//! written in a scenario means the same thing when the real-time runtime's control API takes it.

use std::time::Duration;

/// Reads a duration with a unit: `250ns`, `20us`, `1.5ms`, `2s`, `3m`, `1h`, or `0`.
///
/// A bare number other than `0` is refused: `30` could be seconds or milliseconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    if t == "0" {
        return Ok(Duration::ZERO);
    }
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .ok_or_else(|| format!("a duration with a unit like \"20ms\" or \"1.5s\", not {t:?}"))?;
    let (number, unit) = t.split_at(split);
    if number.is_empty() {
        return Err(format!(
            "a duration with a unit like \"20ms\" or \"1.5s\", not {t:?}"
        ));
    }
    let unit_ns: u128 = match unit.trim() {
        "ns" => 1,
        "us" | "µs" => 1_000,
        "ms" => 1_000_000,
        "s" => 1_000_000_000,
        "m" | "min" => 60_000_000_000,
        "h" => 3_600_000_000_000,
        other => {
            return Err(format!(
                "a duration unit of ns, us, ms, s, m or h, not {other:?} (in {t:?})"
            ))
        }
    };
    let nanos = scaled_decimal(number, unit_ns)
        .ok_or_else(|| format!("a duration like \"20ms\" or \"1.5s\", not {t:?}"))?;
    u64::try_from(nanos)
        .map(Duration::from_nanos)
        .map_err(|_| format!("a duration shorter than 584 years, not {t:?}"))
}

/// `number * scale` exactly, for a decimal `number` such as `1.25`; rounded down to an integer.
fn scaled_decimal(number: &str, scale: u128) -> Option<u128> {
    let (int, frac) = number.split_once('.').unwrap_or((number, ""));
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    let all_digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
    if !all_digits(int) || !all_digits(frac) || frac.len() > 18 {
        return None;
    }
    let int_value: u128 = if int.is_empty() { 0 } else { int.parse().ok()? };
    let mut result = int_value.checked_mul(scale)?;
    if !frac.is_empty() {
        let frac_value: u128 = frac.parse().ok()?;
        let denom = 10u128.checked_pow(u32::try_from(frac.len()).ok()?)?;
        result = result.checked_add(frac_value.checked_mul(scale)? / denom)?;
    }
    Some(result)
}

/// Writes a duration the way [`parse_duration`] reads it, in the largest exact unit.
pub fn format_duration(d: Duration) -> String {
    let ns = d.as_nanos();
    for (unit, size) in [
        ("h", 3_600_000_000_000u128),
        ("m", 60_000_000_000),
        ("s", 1_000_000_000),
        ("ms", 1_000_000),
        ("us", 1_000),
    ] {
        if ns != 0 && ns % size == 0 {
            return format!("{}{unit}", ns / size);
        }
    }
    format!("{ns}ns")
}

/// Reads a bit rate: `9600bit/s`, `64kbit/s`, `1Mbit/s`, `1Gbit/s`, or bytes with `B/s`,
/// `kB/s`, `MB/s` (decimal prefixes). Returns bits per second.
pub fn parse_bit_rate(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let bad = || format!("a rate like \"1Mbit/s\", \"64kbit/s\" or \"100kB/s\", not {t:?}");
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .ok_or_else(bad)?;
    let (number, unit) = t.split_at(split);
    let bits_per_unit: u128 = match unit.trim() {
        "bit/s" | "bps" => 1,
        "kbit/s" | "kbps" => 1_000,
        "Mbit/s" | "Mbps" => 1_000_000,
        "Gbit/s" | "Gbps" => 1_000_000_000,
        "B/s" => 8,
        "kB/s" => 8_000,
        "MB/s" => 8_000_000,
        _ => return Err(bad()),
    };
    let bits = scaled_decimal(number, bits_per_unit).ok_or_else(bad)?;
    match u64::try_from(bits) {
        Ok(0) => Err(format!("a rate above zero, not {t:?}")),
        Ok(b) => Ok(b),
        Err(_) => Err(bad()),
    }
}

/// Reads a probability: a number from 0 to 1 (`0.01`, `1e-4`) or a percentage (`5%`).
pub fn parse_probability(text: &str) -> Result<f64, String> {
    let t = text.trim();
    let value = match t.strip_suffix('%') {
        Some(pct) => pct.trim().parse::<f64>().map(|p| p / 100.0),
        None => t.parse::<f64>(),
    }
    .map_err(|_| format!("a probability from 0 to 1 (or a percentage), not {t:?}"))?;
    if (0.0..=1.0).contains(&value) {
        Ok(value)
    } else {
        Err(format!(
            "a probability from 0 to 1 (or 0% to 100%), not {t:?}"
        ))
    }
}

/// Reads bytes written as hexadecimal pairs; spaces, `:` and `-` between pairs are allowed.
pub fn parse_hex(text: &str) -> Result<Vec<u8>, String> {
    let digits: Vec<u8> = text
        .bytes()
        .filter(|b| !matches!(b, b' ' | b':' | b'-' | b'_'))
        .collect();
    if digits.len() % 2 != 0 {
        return Err(format!(
            "hexadecimal byte pairs like \"0d0a\", not {text:?} (odd number of digits)"
        ));
    }
    digits
        .chunks(2)
        .map(|pair| {
            let s = std::str::from_utf8(pair).unwrap_or("");
            u8::from_str_radix(s, 16)
                .map_err(|_| format!("hexadecimal byte pairs like \"0d0a\", not {text:?}"))
        })
        .collect()
}

/// Bytes as lowercase hexadecimal pairs.
pub fn to_hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// Bytes for humans: printable ASCII as is, everything else escaped (`\r`, `\x00`).
pub fn escape_bytes(bytes: &[u8]) -> String {
    bytes.escape_ascii().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_exactly_and_round_trip() {
        assert_eq!(parse_duration("20ms"), Ok(Duration::from_millis(20)));
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("0.1s"), Ok(Duration::from_millis(100)));
        assert_eq!(parse_duration("250 us"), Ok(Duration::from_micros(250)));
        assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse_duration("0"), Ok(Duration::ZERO));
        assert!(parse_duration("30").is_err());
        assert!(parse_duration("3 weeks").is_err());
        assert!(parse_duration("ms").is_err());
        for d in ["1h", "90s", "20ms", "7us", "3ns"] {
            let parsed = parse_duration(d).unwrap_or_default();
            assert_eq!(parse_duration(&format_duration(parsed)), Ok(parsed));
        }
    }

    #[test]
    fn rates_probabilities_and_hex() {
        assert_eq!(parse_bit_rate("1Mbit/s"), Ok(1_000_000));
        assert_eq!(parse_bit_rate("100kB/s"), Ok(800_000));
        assert_eq!(parse_bit_rate("9600bit/s"), Ok(9600));
        assert!(parse_bit_rate("0bit/s").is_err());
        assert!(parse_bit_rate("fast").is_err());
        assert_eq!(parse_probability("1e-4"), Ok(1e-4));
        assert_eq!(parse_probability("5%"), Ok(0.05));
        assert!(parse_probability("1.5").is_err());
        assert_eq!(parse_hex("0d 0a:ff"), Ok(vec![0x0d, 0x0a, 0xff]));
        assert!(parse_hex("0d0").is_err());
        assert!(parse_hex("zz").is_err());
        assert_eq!(to_hex(&[0, 0xab]), "00ab");
        assert_eq!(escape_bytes(b"ok\r\n\x01"), "ok\\r\\n\\x01");
    }
}
