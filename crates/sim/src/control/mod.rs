//! The control API: HTTP + JSON on the device's loopback address, for what a cable, a test rig
//! or a hand on the device would do (docs/control-api.md).
//!
//! The API is the first service of the management thread ([`crate::mgmt`]): hyper serves it
//! there under a connection cap and timeouts. Each request is checked ([`guard`]: Host, Origin,
//! content type, token) and routed ([`routes`]) on that thread; what needs the device is sent to
//! the loop as a [`Request`] over a crossbeam channel, with a `mio::Waker` to wake it, and the
//! loop answers on the request's own oneshot channel. The event stream (`GET /events`) does not
//! involve the loop: it subscribes to the JSON lines the simulator prints on stdout.
//!
//! To add a call: a [`Call`] variant, its route in `routes.rs`, and its answer in
//! `realtime/control_calls.rs`; the transport (`server.rs`) does not change.

mod admin_routes;
mod call;
pub mod client;
mod client_streams;
mod faults;
pub mod fleet_client;
pub mod fleet_server;
mod guard;
mod panel;
mod routes;
mod server;
mod store_routes;
pub mod token;

pub use call::{AdminCall, Call, Reply, StoreCall, WebCall};

use crate::mgmt;
use crossbeam_channel::Sender;
use m2285_core::config::ControlAuth;
use std::net::{IpAddr, SocketAddr};
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

/// Most control API connections open at once; more are answered 503 and closed.
pub const MAX_CONNECTIONS: usize = 256;

/// A call with the channel its answer goes back on.
#[derive(Debug)]
pub struct Request {
    /// What is asked.
    pub call: Call,
    /// Where the answer goes.
    pub reply: tokio::sync::oneshot::Sender<Reply>,
}

/// How the control API of one device is set up.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Which requests need the token (`sim.control_auth`).
    pub auth: ControlAuth,
    /// The device's token (`control.token` in its state directory).
    pub token: String,
    /// How long a connection may wait for request headers, or a body may take
    /// (`sim.control_idle_timeout_ms`).
    pub idle_timeout: Duration,
}

/// What a client beyond [`MAX_CONNECTIONS`] (or one arriving while the process is out of file
/// descriptors) reads before its connection is closed.
const BUSY: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nContent-Length: 64\r\nConnection: close\r\n\r\n{\"error\": \"the control API is busy: too many connections open\"}\n";

/// The running control server.
pub struct ControlServer {
    /// The port it listens on.
    pub port: u16,
}

impl ControlServer {
    /// Binds `ip:port` (0 = a free port) and starts serving on the management thread, which
    /// hands calls to the loop through `to_loop` and wakes it with `wake`.
    pub fn start(
        ip: IpAddr,
        port: u16,
        settings: Settings,
        to_loop: Sender<Request>,
        wake: Arc<dyn Fn() + Send + Sync>,
    ) -> Result<Self, String> {
        let addr = SocketAddr::new(ip, port);
        let listener = std::net::TcpListener::bind(addr)
            .and_then(|l| l.set_nonblocking(true).map(|()| l))
            .map_err(|e| format!("control API: cannot listen on {addr}: {e}"))?;
        let port = listener
            .local_addr()
            .map_err(|e| format!("control API: {e}"))?
            .port();
        mgmt::spawn(move || serve(listener, settings, to_loop, wake))?;
        Ok(ControlServer { port })
    }
}

/// The service's life on the management thread: accept within the cap, serve each connection.
async fn serve(
    listener: std::net::TcpListener,
    settings: Settings,
    to_loop: Sender<Request>,
    wake: Arc<dyn Fn() + Send + Sync>,
) {
    let idle_timeout = settings.idle_timeout;
    let service = Rc::new(server::ControlService {
        to_loop,
        wake,
        auth: settings.auth,
        token: settings.token,
        body_deadline: idle_timeout,
    });
    let policy = mgmt::accept::Policy {
        name: "control API",
        max_connections: MAX_CONNECTIONS,
        busy_reply: BUSY,
    };
    mgmt::http::serve_listener(listener, policy, idle_timeout, move |request| {
        let service = service.clone();
        async move { service.handle(request).await }
    })
    .await;
}
