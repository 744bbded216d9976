//! Which links a fault's `peer` parameter picks: one rule for both runtimes.
//!
//! A fault without `peer` acts on every link; with `peer = NAME` it acts on the links whose
//! far end answers to `NAME`. What a far end answers to is the only thing the runtimes supply:
//! a simulated host answers to its name (`str`), a host socket to its address in the forms a
//! user would type ([`HostLink`]).

use std::net::SocketAddr;

/// The far end of a link, as a fault's `peer` parameter can name it.
pub trait Link {
    /// True when the far end is called `name`.
    fn answers_to(&self, name: &str) -> bool;
}

/// A simulated host answers to its own name.
impl Link for str {
    fn answers_to(&self, name: &str) -> bool {
        self == name
    }
}

/// A simulated host answers to its own name.
impl Link for String {
    fn answers_to(&self, name: &str) -> bool {
        self == name
    }
}

/// A link over host sockets (the real-time runtime): the remote address if known, and the
/// target the device was configured to reach (`host:port`), if any.
#[derive(Clone, Copy, Debug, Default)]
pub struct HostLink<'a> {
    /// The remote socket address.
    pub addr: Option<SocketAddr>,
    /// The configured target, `host:port`.
    pub target: Option<&'a str>,
}

/// A host socket answers to its remote IP, its remote `ip:port`, its configured target and the
/// target's host part.
impl Link for HostLink<'_> {
    fn answers_to(&self, name: &str) -> bool {
        self.addr
            .is_some_and(|a| name == a.ip().to_string() || name == a.to_string())
            || self.target.is_some_and(|t| {
                name == t || t.rsplit_once(':').is_some_and(|(host, _)| host == name)
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_links_answer_to_address_and_target_forms() {
        let addr: Option<SocketAddr> = "127.0.0.9:4001".parse().ok();
        let link = HostLink {
            addr,
            target: Some("scada:502"),
        };
        for name in ["127.0.0.9", "127.0.0.9:4001", "scada:502", "scada"] {
            assert!(link.answers_to(name), "{name}");
        }
        assert!(!link.answers_to("127.0.0.1"));
        assert!("scada".answers_to("scada") && !"scada".answers_to("hmi"));
    }
}
