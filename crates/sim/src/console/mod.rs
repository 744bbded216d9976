//! The device's consoles as services: Telnet (port 23) and SSH (port 22) on the management
//! thread, each session running one `m2285_console::Console` engine (docs/console.md).
//!
//! The engine asks the device for everything through `m2285_console::Request`; the transport
//! sends each request to the loop as a [`ConsoleCall`] over a crossbeam channel, wakes the loop
//! and awaits the answer (`realtime/console_calls.rs` answers). When a connection ends for any
//! reason the transport sends `Request::Logout`, so the edit lock is never left behind.

mod ssh;
mod telnet;

use crate::mgmt;
use crossbeam_channel::Sender;
use m2285_console::{Answer, Request};
use m2285_core::admin::filter::Service;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

/// Most console connections open at once per service; more are told so and closed.
pub const MAX_CONNECTIONS: usize = 16;

/// What a connection beyond [`MAX_CONNECTIONS`] reads before it is closed.
const BUSY: &[u8] = b"\r\nToo many console sessions; try again later.\r\n";

/// What a console transport asks the device.
#[derive(Debug)]
pub enum Ask {
    /// A console engine's request (answered as the engine expects).
    Engine(Request),
    /// A connection to a console service arrived from this address: the IP filter decides.
    /// Answer [`Answer::Done`] to serve it, [`Answer::Refused`] with `drop` or `reject`.
    Screen(Service, SocketAddr),
    /// An SSH public-key login as `user`; `known` tells whether the key is authorized.
    /// Answer [`Answer::Done`] when the login is accepted.
    KeyLogin {
        /// The user name the client gave.
        user: String,
        /// Whether the key is in `authorized_keys`.
        known: bool,
    },
}

/// A console session's request to the device.
#[derive(Debug)]
pub struct ConsoleCall {
    /// The session asking (unique in the process).
    pub session: u64,
    /// The transport and peer, e.g. `telnet 127.0.0.1:40000`, for the lock holder and events.
    pub peer: String,
    /// What is asked.
    pub ask: Ask,
    /// Where the answer goes.
    pub reply: tokio::sync::oneshot::Sender<Answer>,
}

/// How console services reach the device.
#[derive(Clone)]
pub struct Bridge {
    /// The loop's console call channel.
    pub to_loop: Sender<ConsoleCall>,
    /// Wakes the loop.
    pub wake: Arc<dyn Fn() + Send + Sync>,
}

impl Bridge {
    /// Sends an engine's request to the loop and waits for the answer.
    pub async fn call(&self, session: u64, peer: &str, request: Request) -> Answer {
        self.ask(session, peer, Ask::Engine(request)).await
    }

    /// Sends a question to the loop and waits for the answer.
    pub async fn ask(&self, session: u64, peer: &str, ask: Ask) -> Answer {
        let (reply, answer) = tokio::sync::oneshot::channel();
        let call = ConsoleCall {
            session,
            peer: peer.to_owned(),
            ask,
            reply,
        };
        if self.to_loop.send(call).is_err() {
            return Answer::Refused("the device is shutting down".into());
        }
        (self.wake)();
        answer
            .await
            .unwrap_or_else(|_| Answer::Refused("the device did not answer".into()))
    }
}

impl Bridge {
    /// Sends a request whose answer nobody waits for (a session that ended: `Request::Logout`).
    pub fn notify(&self, session: u64, peer: &str, request: Request) {
        let (reply, _answer) = tokio::sync::oneshot::channel();
        let call = ConsoleCall {
            session,
            peer: peer.to_owned(),
            ask: Ask::Engine(request),
            reply,
        };
        if self.to_loop.send(call).is_ok() {
            (self.wake)();
        }
    }
}

/// Lets the IP filter decide on a new connection to `service` (docs/console.md): true when it
/// is to be served. A rejected connection is reset at once; a dropped one gets no answer and
/// no data, its bytes are read and thrown away until the peer gives up or
/// [`m2285_core::admin::DROP_HOLD`] passes, then it is reset.
pub async fn admitted(
    stream: &mut tokio::net::TcpStream,
    service: Service,
    bridge: &Bridge,
    session: u64,
    peer: &str,
) -> bool {
    let Ok(addr) = stream.peer_addr() else {
        return false;
    };
    let verdict = match bridge.ask(session, peer, Ask::Screen(service, addr)).await {
        Answer::Done(_) => return true,
        Answer::Refused(verdict) => verdict,
        Answer::Config(_) => return false,
    };
    if verdict == "drop" {
        let mut sink = [0u8; 1024];
        let hold = async {
            use tokio::io::AsyncReadExt;
            while matches!(stream.read(&mut sink).await, Ok(n) if n > 0) {}
        };
        let _ = tokio::time::timeout(m2285_core::admin::DROP_HOLD, hold).await;
    }
    let _ = stream.set_zero_linger();
    false
}

/// A new session number.
pub fn next_session() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// The console engines' clock on the management thread: time since the first call.
pub fn engine_now() -> m2285_time::Instant {
    static ORIGIN: OnceLock<std::time::Instant> = OnceLock::new();
    let origin = *ORIGIN.get_or_init(std::time::Instant::now);
    let nanos = u64::try_from(origin.elapsed().as_nanos()).unwrap_or(u64::MAX);
    m2285_time::Instant::from_nanos(nanos)
}

/// Starts the Telnet and SSH consoles of the device at `ip` (their host ports from `config`, or
/// free ones with `sim.free_ports`) and returns the ports they listen on. A console that cannot
/// listen (port 23 or 22 needs privileges) is reported and left out, not fatal: the serial data
/// path does not depend on it.
pub fn start_all(
    config: &m2285_core::Config,
    ip: IpAddr,
    bridge: Bridge,
    state_dir: &std::path::Path,
) -> (Option<u16>, Option<u16>) {
    let port = |configured: u16| if config.sim.free_ports { 0 } else { configured };
    let telnet = start_telnet(ip, port(config.sim.telnet_port), bridge.clone())
        .map_err(|e| tracing::warn!("{e}"))
        .ok();
    let ssh = start_ssh(ip, port(config.sim.ssh_port), bridge, state_dir)
        .map_err(|e| tracing::warn!("{e}"))
        .ok();
    (telnet, ssh)
}

/// Binds the SSH console on `ip:port` (0 = a free port) with the host key of `state_dir` (made
/// there on first boot) and serves it on the management thread; returns the port.
pub fn start_ssh(
    ip: IpAddr,
    port: u16,
    bridge: Bridge,
    state_dir: &std::path::Path,
) -> Result<u16, String> {
    let config = ssh::server_config(ssh::host_key(state_dir)?);
    let state_dir: Arc<std::path::Path> = Arc::from(state_dir);
    let (listener, port) = bind("SSH console", ip, port)?;
    mgmt::spawn(move || async move {
        let Some(listener) = into_tokio("SSH console", listener) else {
            return;
        };
        let policy = mgmt::accept::Policy {
            name: "SSH console",
            max_connections: MAX_CONNECTIONS,
            busy_reply: b"",
        };
        mgmt::accept::run(listener, policy, move |stream| {
            ssh::serve(stream, config.clone(), bridge.clone(), state_dir.clone())
        })
        .await;
    })?;
    Ok(port)
}

/// A non-blocking listener on `ip:port` and the port it got.
fn bind(name: &str, ip: IpAddr, port: u16) -> Result<(std::net::TcpListener, u16), String> {
    let addr = SocketAddr::new(ip, port);
    let listener = std::net::TcpListener::bind(addr)
        .and_then(|l| l.set_nonblocking(true).map(|()| l))
        .map_err(|e| format!("{name}: cannot listen on {addr}: {e}"))?;
    let port = listener
        .local_addr()
        .map_err(|e| format!("{name}: {e}"))?
        .port();
    Ok((listener, port))
}

/// The listener on the management thread's runtime.
fn into_tokio(name: &str, listener: std::net::TcpListener) -> Option<tokio::net::TcpListener> {
    tokio::net::TcpListener::from_std(listener)
        .map_err(|e| tracing::error!("{name}: cannot serve: {e}"))
        .ok()
}

/// Binds the Telnet console on `ip:port` (0 = a free port) and serves it on the management
/// thread; returns the port.
pub fn start_telnet(ip: IpAddr, port: u16, bridge: Bridge) -> Result<u16, String> {
    let (listener, port) = bind("Telnet console", ip, port)?;
    mgmt::spawn(move || async move {
        let Some(listener) = into_tokio("Telnet console", listener) else {
            return;
        };
        let policy = mgmt::accept::Policy {
            name: "Telnet console",
            max_connections: MAX_CONNECTIONS,
            busy_reply: BUSY,
        };
        mgmt::accept::run(listener, policy, move |stream| {
            telnet::serve(stream, bridge.clone())
        })
        .await;
    })?;
    Ok(port)
}
