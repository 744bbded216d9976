//! The device's web server (issue 13, docs/web.md): the pages of `m2285-web` served over HTTP
//! (device port 80) and HTTPS (device port 443, the device's certificate, the project's TLS
//! engine), as another service of the management thread ([`crate::mgmt`]). Which listeners run
//! is the device's web server configuration (`network.web_server.mode`); the host ports are
//! `sim.http_port` / `sim.https_port` and the ready line reports them as `ports.http` /
//! `ports.https`.

mod service;
mod store;
mod tls;

use crate::control::Request;
use crate::mgmt;
use crossbeam_channel::Sender;
use m2285_core::admin::filter::{Service, Verdict};
use m2285_core::Config;
use m2285_tls::{TlsEngineConfig, TlsSettings};
use m2285_web::{Web, WebSettings};
use service::{LoopLink, WebService};
use std::cell::RefCell;
use std::net::{IpAddr, SocketAddr};
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

/// Most web connections open at once per device; more are answered 503 and closed.
pub const MAX_CONNECTIONS: usize = 512;

/// How long a connection may wait for request headers (idle keep-alive included), a body may
/// take, or a TLS handshake may take.
const IDLE_TIMEOUT: Duration = Duration::from_secs(10);

/// What a refused connection reads.
const BUSY: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nContent-Length: 39\r\nConnection: close\r\n\r\nthe web server is busy: try again soon\n";

/// The host ports the web server listens on (absent = that listener is off).
#[derive(Debug, Clone, Copy, Default)]
pub struct WebPorts {
    /// Plain HTTP.
    pub http: Option<u16>,
    /// HTTPS.
    pub https: Option<u16>,
}

/// Starts the web server of a device at `ip` as the configuration says; `cert` is the
/// device's certificate chain and key (PEM) for HTTPS; `crl` the CRL (DER) the device's own
/// certificate names, served without login at [`crate::tls_files::CRL_PATH`].
pub fn start(
    ip: IpAddr,
    config: &Config,
    cert: Option<(Vec<u8>, Vec<u8>)>,
    crl: Option<Vec<u8>>,
    to_loop: Sender<Request>,
    wake: Arc<dyn Fn() + Send + Sync>,
) -> Result<WebPorts, String> {
    let mode = config.network.web_server.mode;
    let free = config.sim.free_ports;
    let pick = |port: u16| if free { 0 } else { port };
    let http = if mode.http() {
        Some(bind(ip, pick(config.sim.http_port), "HTTP")?)
    } else {
        None
    };
    let https = if mode.https() {
        let (chain, key) = cert.ok_or("web server: HTTPS needs the device's certificate")?;
        let settings = TlsSettings {
            cert_chain_pem: chain,
            key_pem: key,
            ..TlsSettings::default()
        };
        let tls =
            TlsEngineConfig::server(&settings).map_err(|e| format!("web server: HTTPS: {e}"))?;
        Some((bind(ip, pick(config.sim.https_port), "HTTPS")?, tls))
    } else {
        None
    };
    let ports = WebPorts {
        http: http.as_ref().and_then(port_of),
        https: https.as_ref().and_then(|(l, _)| port_of(l)),
    };
    let idle_ns = u64::from(config.sim.web_session_idle_min) * 60 * 1_000_000_000;
    mgmt::spawn(move || async move {
        let service = Rc::new(WebService {
            web: RefCell::new(Web::new(WebSettings {
                session_idle_ns: idle_ns,
            })),
            link: LoopLink { to_loop, wake },
            body_deadline: IDLE_TIMEOUT,
            crl,
            started: std::time::Instant::now(),
        });
        if let Some(listener) = http {
            tokio::task::spawn_local(serve(listener, service.clone(), None));
        }
        if let Some((listener, tls)) = https {
            tokio::task::spawn_local(serve(listener, service, Some(Rc::new(tls))));
        }
    })?;
    Ok(ports)
}

/// Closes a refused connection with a reset (SO_LINGER 0), as the filter's reject does.
fn reset(stream: tokio::net::TcpStream) {
    if let Ok(std) = stream.into_std() {
        let _ = socket2::SockRef::from(&std).set_linger(Some(Duration::ZERO));
    }
}

fn bind(ip: IpAddr, port: u16, what: &str) -> Result<std::net::TcpListener, String> {
    let addr = SocketAddr::new(ip, port);
    std::net::TcpListener::bind(addr)
        .and_then(|l| l.set_nonblocking(true).map(|()| l))
        .map_err(|e| format!("web server ({what}): cannot listen on {addr}: {e}"))
}

fn port_of(l: &std::net::TcpListener) -> Option<u16> {
    l.local_addr().ok().map(|a| a.port())
}

/// One listener's life: accept within the cap, then HTTP (or TLS and HTTP) per connection.
async fn serve(
    listener: std::net::TcpListener,
    service: Rc<WebService>,
    tls: Option<Rc<TlsEngineConfig>>,
) {
    let listener = match tokio::net::TcpListener::from_std(listener) {
        Ok(l) => l,
        Err(e) => {
            tracing::error!("web server: cannot serve: {e}");
            return;
        }
    };
    let policy = mgmt::accept::Policy {
        name: if tls.is_some() {
            "web server (HTTPS)"
        } else {
            "web server (HTTP)"
        },
        max_connections: MAX_CONNECTIONS,
        busy_reply: BUSY,
    };
    mgmt::accept::run(listener, policy, move |stream| {
        let service = service.clone();
        let tls = tls.clone();
        async move {
            let secure = tls.is_some();
            let peer = stream.peer_addr().ok();
            if let Some(peer) = peer {
                let filter_service = if secure {
                    Service::Https
                } else {
                    Service::Http
                };
                match service.screen(filter_service, peer).await {
                    Verdict::Accept => {}
                    Verdict::Reject => return reset(stream),
                    Verdict::Drop => {
                        // No answer and no data; the peer's connect and request time out.
                        tokio::time::sleep(m2285_core::admin::DROP_HOLD).await;
                        return reset(stream);
                    }
                }
            }
            let per_request = hyper::service::service_fn(move |request| {
                let service = service.clone();
                async move {
                    Ok::<_, std::convert::Infallible>(service.handle(request, secure, peer).await)
                }
            });
            match tls {
                None => mgmt::http::serve(stream, IDLE_TIMEOUT, per_request).await,
                Some(config) => {
                    if let Some(plain) = tls::accept(stream, &config, IDLE_TIMEOUT) {
                        mgmt::http::serve_io(plain, IDLE_TIMEOUT, per_request).await;
                    }
                }
            }
        }
    })
    .await;
}
