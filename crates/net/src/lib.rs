//! The device's network boundary on the host.
//!
//! [`HostNet`] owns one device's loopback sockets: it carries out the network actions the device
//! model emits (listen, connect, send, close, keep-alive) with non-blocking `mio` sockets and turns
//! readiness into the model's [`m2285_core::NetEvent`]s. It applies back-pressure: a socket is only
//! read as far as the device has room, so a slow serial line slows the TCP sender down instead of
//! losing data. The simulated network for virtual time lives in `m2285-virtual`.

mod conn;
mod host;
mod resolve;
mod tokens;

pub use host::{HostNet, HostNotice, NetStats, CONGESTED_UNSENT};
pub use tokens::TokenSpace;
