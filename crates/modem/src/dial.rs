//! Dial strings: the text after `ATD` → host, port and transport.
//!
//! Forms (spaces were already removed by the parser):
//! * one optional modifier: `T` or `P` → plain TCP, `R` → Telnet/RFC 2217, `S` → SSL. Exactly
//!   one letter is taken, so a host starting with t/p/r/s needs an explicit `T`
//!   (`ATDTserver:23`, not `ATDserver:23`, which would mean SSL to `erver`);
//! * `<host>:<port>`: split at the last `:`; the host is a DNS name (letters, digits, `-`, `_`,
//!   `.`), a dotted IPv4 address (zero padding such as `192.168.001.009` is normalised) or a
//!   bracketed IPv6 address `[::1]`;
//! * `<12 digits><port digits>`: four zero-padded 3-digit octets, then the port
//!   (`1921680010091002` → `192.168.1.9:1002`, the manual's own example).
//!
//! The port must be 1–65534, as the manual states.

use crate::output::DialProtocol;
use crate::parser::ParseError;

/// The longest legal DNS name.
const MAX_HOST: usize = 253;

/// Where `ATD` asks to connect.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct DialTarget {
    pub(crate) host: String,
    pub(crate) port: u16,
    pub(crate) protocol: DialProtocol,
}

/// Parses everything after the `D`.
pub(crate) fn parse_dial(text: &[u8]) -> Result<DialTarget, ParseError> {
    let (protocol, rest) = match text.split_first() {
        Some((m, rest)) if m.eq_ignore_ascii_case(&b'T') || m.eq_ignore_ascii_case(&b'P') => {
            (DialProtocol::Raw, rest)
        }
        Some((m, rest)) if m.eq_ignore_ascii_case(&b'R') => (DialProtocol::Telnet, rest),
        Some((m, rest)) if m.eq_ignore_ascii_case(&b'S') => (DialProtocol::Ssl, rest),
        _ => (DialProtocol::Raw, text),
    };
    let (host, port) = if !rest.is_empty() && rest.iter().all(u8::is_ascii_digit) {
        twelve_digit(rest)?
    } else {
        host_port(rest)?
    };
    Ok(DialTarget {
        host,
        port,
        protocol,
    })
}

/// `<12 digits><port>`.
fn twelve_digit(digits: &[u8]) -> Result<(String, u16), ParseError> {
    let (ip, port) = digits.split_at_checked(12).ok_or(ParseError)?;
    let mut octets = [0u8; 4];
    for (octet, chunk) in octets.iter_mut().zip(ip.chunks(3)) {
        *octet = u8::try_from(decimal(chunk)?).map_err(|_| ParseError)?;
    }
    let [a, b, c, d] = octets;
    Ok((format!("{a}.{b}.{c}.{d}"), port_number(port)?))
}

/// `<host>:<port>`.
fn host_port(text: &[u8]) -> Result<(String, u16), ParseError> {
    let colon = text.iter().rposition(|&b| b == b':').ok_or(ParseError)?;
    let (host, port) = (&text[..colon], &text[colon + 1..]);
    Ok((host_name(host)?, port_number(port)?))
}

fn host_name(host: &[u8]) -> Result<String, ParseError> {
    if let Some(inner) = host.strip_prefix(b"[").and_then(|h| h.strip_suffix(b"]")) {
        let ok = !inner.is_empty()
            && inner.contains(&b':')
            && inner
                .iter()
                .all(|&b| b.is_ascii_hexdigit() || b == b':' || b == b'.');
        return if ok { ascii(inner) } else { Err(ParseError) };
    }
    let ok = !host.is_empty()
        && host.len() <= MAX_HOST
        && host
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if !ok {
        return Err(ParseError);
    }
    if host.iter().all(|&b| b.is_ascii_digit() || b == b'.') {
        return dotted_quad(host);
    }
    ascii(host)
}

/// An all-numeric host must be a dotted IPv4 address; it comes back without zero padding.
fn dotted_quad(host: &[u8]) -> Result<String, ParseError> {
    let parts: Vec<&[u8]> = host.split(|&b| b == b'.').collect();
    if parts.len() != 4 || parts.iter().any(|p| p.is_empty() || p.len() > 3) {
        return Err(ParseError);
    }
    let mut octets = Vec::with_capacity(4);
    for part in parts {
        octets.push(
            u8::try_from(decimal(part)?)
                .map_err(|_| ParseError)?
                .to_string(),
        );
    }
    Ok(octets.join("."))
}

fn port_number(digits: &[u8]) -> Result<u16, ParseError> {
    if digits.is_empty() || digits.len() > 5 {
        return Err(ParseError);
    }
    match decimal(digits)? {
        p @ 1..=65534 => u16::try_from(p).map_err(|_| ParseError),
        _ => Err(ParseError),
    }
}

/// A short run of ASCII digits as a number.
fn decimal(digits: &[u8]) -> Result<u32, ParseError> {
    if digits.is_empty() || digits.len() > 9 || !digits.iter().all(u8::is_ascii_digit) {
        return Err(ParseError);
    }
    Ok(digits
        .iter()
        .fold(0, |acc, &d| acc * 10 + u32::from(d - b'0')))
}

fn ascii(bytes: &[u8]) -> Result<String, ParseError> {
    String::from_utf8(bytes.to_vec()).map_err(|_| ParseError)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dial(s: &str) -> Option<(String, u16, DialProtocol)> {
        parse_dial(s.as_bytes())
            .ok()
            .map(|t| (t.host, t.port, t.protocol))
    }

    #[test]
    fn forms() {
        use DialProtocol::*;
        assert_eq!(
            dial("T1921680010091002"),
            Some(("192.168.1.9".into(), 1002, Raw))
        );
        assert_eq!(
            dial("192.168.1.9:1002"),
            Some(("192.168.1.9".into(), 1002, Raw))
        );
        assert_eq!(
            dial("t192.168.001.009:80"),
            Some(("192.168.1.9".into(), 80, Raw))
        );
        assert_eq!(
            dial("Rexample.org:23"),
            Some(("example.org".into(), 23, Telnet))
        );
        assert_eq!(
            dial("Sbbs.Example.org:992"),
            Some(("bbs.Example.org".into(), 992, Ssl))
        );
        assert_eq!(dial("T[::1]:7001"), Some(("::1".into(), 7001, Raw)));
        assert_eq!(dial("Tserver:1"), Some(("server".into(), 1, Raw)));
        assert_eq!(
            dial("T12700000000165534"),
            Some(("127.0.0.1".into(), 65534, Raw))
        );
    }

    #[test]
    fn rejects() {
        for bad in [
            "",
            "T",
            "T192168001009",
            "T1921680010090",
            "T12700000000165535",
            "T256000000000100",
            "Thost",
            "Thost:",
            "T:80",
            "Thost:65535",
            "Thost:0",
            "Thost:123456",
            "Th*st:80",
            "T999.1.1.1:80",
            "T1.2.3:80",
            "T[]:80",
            "T[zz]:80",
            "Thost:8a",
        ] {
            assert_eq!(dial(bad), None, "{bad:?}");
        }
    }
}
