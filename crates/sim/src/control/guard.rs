//! Who may ask what: the checks every control API request passes before it is routed
//! (docs/control-api.md, "Who may do what").
//!
//! * A `Host` that is not an IP literal or `localhost` (with an optional port) is refused with
//!   421: a browser tricked by DNS rebinding sends the attacker's name there.
//! * An `Origin`, when present, must be `http://` the same host and port as `Host`, else 403: a page on
//!   another site cannot use the API even when it reaches it.
//! * A request with a body, or naming a content type, must say `application/json`, else 415: a
//!   form or a `text/plain` fetch (which browsers send without asking) is not a call.
//! * The token, when the request needs it ([`ControlAuth`]), as `Authorization: Bearer TOKEN`,
//!   else 401.

use super::Reply;
use hyper::header::{
    HeaderMap, HeaderValue, AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE, HOST, ORIGIN,
    TRANSFER_ENCODING,
};
use hyper::Method;
use m2285_core::config::ControlAuth;
use std::net::{Ipv4Addr, Ipv6Addr};

/// Checks a request's headers; `Err` is the reply that refuses it.
pub fn check(
    method: &Method,
    headers: &HeaderMap,
    auth: ControlAuth,
    token: &str,
) -> Result<(), Reply> {
    let host = host(headers)?;
    origin(headers, host.as_ref())?;
    authorized(method, headers, auth, token)?;
    json_content(headers)
}

/// A host and port as a client named them, normalised for comparison.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Authority {
    host: String,
    port: u16,
}

/// The `Host` header, which must name a local address; `None` when there is none (HTTP/1.0).
fn host(headers: &HeaderMap) -> Result<Option<Authority>, Reply> {
    let mut values = headers.get_all(HOST).iter();
    let Some(value) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(Reply::error(400, "more than one Host header"));
    }
    let text = value.to_str().unwrap_or("");
    authority(text, 80).map(Some).ok_or_else(|| {
        Reply::error(
            421,
            format!(
                "Host '{}' refused: the control API answers only to an IP address or localhost (this protects it from DNS rebinding)",
                text.escape_default()
            ),
        )
    })
}

/// `Origin`, if given, must be `http://` the same host and port as `Host`.
fn origin(headers: &HeaderMap, host: Option<&Authority>) -> Result<(), Reply> {
    let Some(value) = headers.get(ORIGIN) else {
        return Ok(());
    };
    let text = value.to_str().unwrap_or("");
    // The API speaks plain HTTP, so its own pages' origin is http://HOST:PORT.
    let named = text
        .strip_prefix("http://")
        .and_then(|rest| authority(rest, 80));
    match (named, host) {
        (Some(o), Some(h)) if o == *h => Ok(()),
        _ => Err(Reply::error(
            403,
            format!(
                "Origin '{}' refused: a web page may only use the control API from the API's own address",
                text.escape_default()
            ),
        )),
    }
}

/// Parses `HOST[:PORT]` where HOST is an IPv4 literal, `[IPv6]` or `localhost`.
fn authority(text: &str, default_port: u16) -> Option<Authority> {
    let (host, port) = if let Some(rest) = text.strip_prefix('[') {
        let (inside, after) = rest.split_once(']')?;
        let ip: Ipv6Addr = inside.parse().ok()?;
        (format!("[{ip}]"), after)
    } else {
        let (name, after) = match text.find(':') {
            Some(i) => text.split_at(i),
            None => (text, ""),
        };
        let host = if name.eq_ignore_ascii_case("localhost") {
            "localhost".to_owned()
        } else {
            name.parse::<Ipv4Addr>().ok()?.to_string()
        };
        (host, after)
    };
    let port = match port.strip_prefix(':') {
        None if port.is_empty() => default_port,
        None => return None,
        Some(digits) if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) => {
            digits.parse().ok()?
        }
        Some(_) => return None,
    };
    Some(Authority { host, port })
}

/// The token check, for the requests `auth` says need it.
fn authorized(
    method: &Method,
    headers: &HeaderMap,
    auth: ControlAuth,
    token: &str,
) -> Result<(), Reply> {
    let needed = match auth {
        ControlAuth::Off => false,
        ControlAuth::All => true,
        ControlAuth::Changes => !(method == Method::GET || method == Method::HEAD),
    };
    if !needed {
        return Ok(());
    }
    let given = headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, t)| t.trim());
    match given {
        None => Err(Reply::error(
            401,
            "this request needs the control token: send 'Authorization: Bearer TOKEN' with the token from control.token in the device's state directory (`m2285-sim ctl` does)",
        )),
        Some(t) if same(t.as_bytes(), token.as_bytes()) => Ok(()),
        Some(_) => Err(Reply::error(
            401,
            "wrong control token (it is in control.token in the device's state directory)",
        )),
    }
}

/// Compares secrets in time that depends only on their lengths.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A body, or a named content type, must be JSON.
fn json_content(headers: &HeaderMap) -> Result<(), Reply> {
    let has_body = headers.contains_key(TRANSFER_ENCODING)
        || headers
            .get(CONTENT_LENGTH)
            .is_some_and(|v| v.as_bytes() != b"0");
    let Some(kind) = headers.get(CONTENT_TYPE) else {
        return if has_body {
            Err(unsupported(None))
        } else {
            Ok(())
        };
    };
    let essence = kind
        .to_str()
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim();
    if essence.eq_ignore_ascii_case("application/json") {
        Ok(())
    } else {
        Err(unsupported(Some(kind)))
    }
}

fn unsupported(kind: Option<&HeaderValue>) -> Reply {
    let named = kind.map_or_else(
        || "none".to_owned(),
        |k| {
            String::from_utf8_lossy(k.as_bytes())
                .escape_default()
                .to_string()
        },
    );
    Reply::error(
        415,
        format!("Content-Type {named}: request bodies must be sent as application/json"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_str(v).expect("header value"));
        }
        h
    }

    fn status(method: Method, pairs: &[(&'static str, &str)], auth: ControlAuth) -> u16 {
        match check(&method, &headers(pairs), auth, "s3cret") {
            Ok(()) => 200,
            Err(r) => r.status,
        }
    }

    #[test]
    fn local_hosts_pass_and_names_do_not() {
        for ok in [
            "127.0.0.1",
            "127.0.0.1:8285",
            "localhost:1",
            "LOCALHOST",
            "[::1]:80",
        ] {
            assert_eq!(
                status(Method::GET, &[("host", ok)], ControlAuth::Changes),
                200,
                "{ok}"
            );
        }
        for bad in [
            "evil.example",
            "127.0.0.1.nip.io",
            "127.0.0.1:",
            "1.2.3:80",
            "[::1",
            "x:80",
        ] {
            assert_eq!(
                status(Method::GET, &[("host", bad)], ControlAuth::Changes),
                421,
                "{bad}"
            );
        }
        let two = [("host", "127.0.0.1"), ("host", "127.0.0.2")];
        assert_eq!(status(Method::GET, &two, ControlAuth::Off), 400);
    }

    #[test]
    fn origin_must_be_the_host_itself() {
        let same_host = [
            ("host", "127.0.0.1:8285"),
            ("origin", "http://127.0.0.1:8285"),
        ];
        assert_eq!(status(Method::GET, &same_host, ControlAuth::Off), 200);
        let default_port = [("host", "localhost"), ("origin", "http://localhost")];
        assert_eq!(status(Method::GET, &default_port, ControlAuth::Off), 200);
        for bad in [
            "http://evil.example",
            "null",
            "http://127.0.0.1:8286",
            "https://127.0.0.1:8285",
        ] {
            let h = [("host", "127.0.0.1:8285"), ("origin", bad)];
            assert_eq!(status(Method::GET, &h, ControlAuth::Off), 403, "{bad}");
        }
        assert_eq!(
            status(
                Method::GET,
                &[("origin", "http://127.0.0.1")],
                ControlAuth::Off
            ),
            403
        );
    }

    #[test]
    fn bodies_must_be_json() {
        let text = [("content-type", "text/plain"), ("content-length", "2")];
        assert_eq!(status(Method::POST, &text, ControlAuth::Off), 415);
        let form = [("content-type", "application/x-www-form-urlencoded")];
        assert_eq!(status(Method::POST, &form, ControlAuth::Off), 415);
        let untyped = [("content-length", "2")];
        assert_eq!(status(Method::POST, &untyped, ControlAuth::Off), 415);
        let json = [
            ("content-type", "Application/JSON; charset=utf-8"),
            ("content-length", "2"),
        ];
        assert_eq!(status(Method::POST, &json, ControlAuth::Off), 200);
        assert_eq!(
            status(Method::POST, &[("content-length", "0")], ControlAuth::Off),
            200
        );
    }

    #[test]
    fn the_token_guards_what_the_policy_says() {
        assert_eq!(status(Method::GET, &[], ControlAuth::Changes), 200);
        assert_eq!(status(Method::POST, &[], ControlAuth::Changes), 401);
        assert_eq!(status(Method::DELETE, &[], ControlAuth::Changes), 401);
        assert_eq!(status(Method::GET, &[], ControlAuth::All), 401);
        assert_eq!(status(Method::POST, &[], ControlAuth::Off), 200);
        let good = [("authorization", "Bearer s3cret")];
        assert_eq!(status(Method::POST, &good, ControlAuth::All), 200);
        let wrong = [("authorization", "Bearer s3cres")];
        assert_eq!(status(Method::POST, &wrong, ControlAuth::All), 401);
        let basic = [("authorization", "Basic s3cret")];
        assert_eq!(status(Method::POST, &basic, ControlAuth::All), 401);
    }
}
