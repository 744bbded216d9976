//! The HTTP shapes the page logic works on: a parsed request in, a response out. No sockets:
//! the runtime fills a [`WebRequest`] from the wire (body already capped) and writes the
//! [`WebResponse`] back.

/// Largest request body the pages accept (a configuration file upload included); the runtime
/// refuses a longer one with 413 before the page logic sees it.
pub const MAX_BODY: usize = 64 * 1024;

/// A request as the page logic sees it.
#[derive(Debug, Clone, Default)]
pub struct WebRequest {
    /// `GET`, `POST`, ...
    pub method: String,
    /// The path without the query.
    pub path: String,
    /// The raw query string (without `?`).
    pub query: String,
    /// The `Cookie` header, if any.
    pub cookie: Option<String>,
    /// The `Content-Type` header, if any.
    pub content_type: Option<String>,
    /// The body (at most [`MAX_BODY`] bytes).
    pub body: Vec<u8>,
    /// Whether it came over HTTPS (cookies get `Secure`, responses HSTS).
    pub secure: bool,
    /// The client's address (sessions remember where their login came from).
    pub peer: Option<std::net::SocketAddr>,
}

impl WebRequest {
    /// The value of cookie `name`.
    pub fn cookie(&self, name: &str) -> Option<&str> {
        self.cookie.as_deref()?.split(';').find_map(|part| {
            let (k, v) = part.trim().split_once('=')?;
            (k == name).then_some(v)
        })
    }

    /// The body as `application/x-www-form-urlencoded` pairs, in order (empty for other types).
    pub fn form(&self) -> Vec<(String, String)> {
        let is_form = self
            .content_type
            .as_deref()
            .is_some_and(|t| t.starts_with("application/x-www-form-urlencoded"));
        if !is_form {
            return Vec::new();
        }
        form_urlencoded::parse(&self.body).into_owned().collect()
    }

    /// The query as pairs.
    pub fn query_pairs(&self) -> Vec<(String, String)> {
        form_urlencoded::parse(self.query.as_bytes())
            .into_owned()
            .collect()
    }

    /// The parts of a `multipart/form-data` body: (field name, content). Malformed or other
    /// bodies give no parts.
    pub fn multipart(&self) -> Vec<(String, Vec<u8>)> {
        let Some(boundary) = self.content_type.as_deref().and_then(|t| {
            t.starts_with("multipart/form-data")
                .then(|| {
                    t.split(';')
                        .find_map(|p| p.trim().strip_prefix("boundary="))
                })
                .flatten()
        }) else {
            return Vec::new();
        };
        let delimiter = format!("--{}", boundary.trim_matches('"'));
        let mut parts = Vec::new();
        for chunk in split_bytes(&self.body, delimiter.as_bytes())
            .into_iter()
            .skip(1)
        {
            let chunk = chunk.strip_prefix(b"\r\n").unwrap_or(chunk);
            let Some(head_end) = find(chunk, b"\r\n\r\n") else {
                continue;
            };
            let head = String::from_utf8_lossy(&chunk[..head_end]);
            let content = &chunk[head_end + 4..];
            let content = content.strip_suffix(b"\r\n").unwrap_or(content);
            let name = head.lines().find_map(|line| {
                let lower = line.to_ascii_lowercase();
                lower.starts_with("content-disposition:").then(|| {
                    line.split(';')
                        .find_map(|p| p.trim().strip_prefix("name="))
                        .map(|n| n.trim_matches('"').to_owned())
                })?
            });
            if let Some(name) = name {
                parts.push((name, content.to_vec()));
            }
        }
        parts
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn split_bytes<'a>(mut data: &'a [u8], delimiter: &[u8]) -> Vec<&'a [u8]> {
    let mut out = Vec::new();
    while let Some(at) = find(data, delimiter) {
        out.push(&data[..at]);
        data = &data[at + delimiter.len()..];
    }
    out.push(data);
    out
}

/// A response: status, headers beyond the fixed security set, body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebResponse {
    /// HTTP status code.
    pub status: u16,
    /// Headers (name, value); [`WebResponse::with_security_headers`] adds the fixed set.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl WebResponse {
    /// An HTML page.
    pub fn html(status: u16, body: String) -> Self {
        WebResponse {
            status,
            headers: vec![("Content-Type".into(), "text/html; charset=utf-8".into())],
            body: body.into_bytes(),
        }
    }

    /// A plain-text answer (errors outside any page).
    pub fn text(status: u16, body: impl Into<String>) -> Self {
        WebResponse {
            status,
            headers: vec![("Content-Type".into(), "text/plain; charset=utf-8".into())],
            body: body.into().into_bytes(),
        }
    }

    /// 303 See Other to `location` (after a form post, so reloading does not post again).
    pub fn redirect(location: &str) -> Self {
        WebResponse {
            status: 303,
            headers: vec![("Location".into(), location.into())],
            body: Vec::new(),
        }
    }

    /// Adds a header.
    pub fn header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// The value of header `name` (first one).
    pub fn get_header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Adds the headers every answer carries: no caching, no framing, no sniffing, nothing
    /// loaded from outside the device, and under HTTPS strict transport security.
    pub fn with_security_headers(mut self, secure: bool) -> Self {
        let fixed = [
            ("Cache-Control", "no-store"),
            ("X-Content-Type-Options", "nosniff"),
            ("X-Frame-Options", "DENY"),
            ("Referrer-Policy", "no-referrer"),
            (
                "Content-Security-Policy",
                "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
            ),
        ];
        for (k, v) in fixed {
            self.headers.push((k.into(), v.into()));
        }
        if secure {
            self.headers.push((
                "Strict-Transport-Security".into(),
                "max-age=31536000".into(),
            ));
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multipart_finds_the_file_part() {
        let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\nabc\r\n--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"c.toml\"\r\nContent-Type: application/octet-stream\r\n\r\n[port1]\nx=1\n\r\n--XyZ--\r\n";
        let r = WebRequest {
            content_type: Some("multipart/form-data; boundary=XyZ".into()),
            body: body.to_vec(),
            ..Default::default()
        };
        let parts = r.multipart();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0], ("csrf".into(), b"abc".to_vec()));
        assert_eq!(parts[1], ("file".into(), b"[port1]\nx=1\n".to_vec()));
    }

    #[test]
    fn cookies_and_forms_decode() {
        let r = WebRequest {
            cookie: Some("a=1; sid=xyz".into()),
            content_type: Some("application/x-www-form-urlencoded".into()),
            body: b"k=%3Cb%3E&x=1+2".to_vec(),
            ..Default::default()
        };
        assert_eq!(r.cookie("sid"), Some("xyz"));
        assert_eq!(r.cookie("b"), None);
        assert_eq!(
            r.form(),
            vec![("k".into(), "<b>".into()), ("x".into(), "1 2".into())]
        );
    }
}
