//! The fleet's one control API server: every device of a fleet process behind one address and
//! port, `/devices/N/...` reaching device N's loop with the single-device API (the same routes,
//! the same guard), plus the fleet's own routes (list, add, remove). docs/control-api.md,
//! "Fleets", describes the addressing.
//!
//! The server knows nothing of how devices boot or stop: it asks the [`FleetOps`] it is given
//! (the real-time fleet), on tokio's blocking pool, because booting a device opens a PTY and
//! binds sockets.

use super::server::{respond, ControlService, ReplyBody, MAX_BODY};
use super::{guard, mgmt, Reply, Request, Settings, BUSY, MAX_CONNECTIONS};
use crate::mgmt::http::read_body;
use crossbeam_channel::Sender;
use hyper::body::Incoming;
use hyper::{Method, Response};
use serde_json::Value;
use std::net::{IpAddr, SocketAddr};
use std::rc::Rc;
use std::sync::Arc;

/// How one device of the fleet is reached: its loop's control channel and waker.
pub struct DeviceLink {
    /// Control calls to the device's loop.
    pub to_loop: Sender<Request>,
    /// Wakes the loop after a call was sent.
    pub wake: Arc<dyn Fn() + Send + Sync>,
}

/// What the fleet server asks of the fleet. `add` and `remove` may block (they boot or stop a
/// device); the server calls them on the blocking pool.
pub trait FleetOps: Send + Sync {
    /// `{"count": N, "devices": [entry, ...]}`, each entry as in the ready line.
    fn list(&self) -> Value;
    /// Boots a device as `request` asks (`{"index": N, "set": ["KEY=VALUE", ...]}`, both
    /// optional) and answers with its entry (201), or why not.
    fn add(&self, request: &Value) -> Reply;
    /// Stops device `index` (sessions closed, link removed) and forgets it.
    fn remove(&self, index: usize) -> Reply;
    /// The running device `index`, if there is one.
    fn device(&self, index: usize) -> Option<DeviceLink>;
}

/// The fleet's control server.
pub struct FleetServer {
    /// The port it listens on.
    pub port: u16,
}

impl FleetServer {
    /// Binds `ip:port` (0 = a free port) and serves the fleet on the management thread.
    pub fn start(
        ip: IpAddr,
        port: u16,
        settings: Settings,
        fleet: Arc<dyn FleetOps>,
    ) -> Result<Self, String> {
        let addr = SocketAddr::new(ip, port);
        let listener = std::net::TcpListener::bind(addr)
            .and_then(|l| l.set_nonblocking(true).map(|()| l))
            .map_err(|e| format!("fleet control API: cannot listen on {addr}: {e}"))?;
        let port = listener
            .local_addr()
            .map_err(|e| format!("fleet control API: {e}"))?
            .port();
        mgmt::spawn(move || serve(listener, settings, fleet))?;
        Ok(FleetServer { port })
    }
}

async fn serve(listener: std::net::TcpListener, settings: Settings, fleet: Arc<dyn FleetOps>) {
    let idle_timeout = settings.idle_timeout;
    let service = Rc::new(FleetService { settings, fleet });
    let policy = mgmt::accept::Policy {
        name: "fleet control API",
        max_connections: MAX_CONNECTIONS,
        busy_reply: BUSY,
    };
    mgmt::http::serve_listener(listener, policy, idle_timeout, move |request| {
        let service = service.clone();
        async move { service.handle(request).await }
    })
    .await;
}

struct FleetService {
    settings: Settings,
    fleet: Arc<dyn FleetOps>,
}

/// Where a fleet request goes.
#[derive(Debug, PartialEq)]
enum Route<'a> {
    /// `/fleet` or `/devices`.
    Fleet,
    /// `/devices/N`.
    Device(usize),
    /// `/devices/N/REST`: device N's own API at `/REST`.
    Forward(usize, &'a str),
}

/// Splits a path into its [`Route`]; `Err` is the 404 answer.
fn route(path: &str) -> Result<Route<'_>, Reply> {
    if path == "/fleet" || path == "/devices" || path == "/devices/" {
        return Ok(Route::Fleet);
    }
    let not_found = || {
        Reply::error(
            404,
            format!(
                "{path}: the fleet API has /fleet, /devices and /devices/N/... \
                 (device N's own API, docs/control-api.md)"
            ),
        )
    };
    let rest = path.strip_prefix("/devices/").ok_or_else(not_found)?;
    let (index, tail) = rest.find('/').map_or((rest, ""), |i| rest.split_at(i));
    let index: usize = index.parse().map_err(|_| not_found())?;
    if tail.is_empty() || tail == "/" {
        Ok(Route::Device(index))
    } else {
        Ok(Route::Forward(index, tail))
    }
}

impl FleetService {
    async fn handle(&self, request: hyper::Request<Incoming>) -> Response<ReplyBody> {
        let (mut parts, body) = request.into_parts();
        let path = parts.uri.path().to_owned();
        let route = match route(&path) {
            Ok(r) => r,
            Err(reply) => return respond(reply),
        };
        if let Route::Forward(index, tail) = route {
            let Some(link) = self.fleet.device(index) else {
                return respond(no_device(index));
            };
            let uri = match parts.uri.query() {
                Some(q) => format!("{tail}?{q}"),
                None => tail.to_owned(),
            };
            match uri.parse() {
                Ok(uri) => parts.uri = uri,
                Err(_) => return respond(Reply::error(400, "bad request path")),
            }
            let device = ControlService {
                to_loop: link.to_loop,
                wake: link.wake,
                auth: self.settings.auth,
                token: self.settings.token.clone(),
                body_deadline: self.settings.idle_timeout,
            };
            return device.handle(hyper::Request::from_parts(parts, body)).await;
        }
        let token = &self.settings.token;
        if let Err(reply) = guard::check(&parts.method, &parts.headers, self.settings.auth, token) {
            return respond(reply);
        }
        let body = match read_body(body, MAX_BODY, self.settings.idle_timeout).await {
            Ok(body) => body,
            Err(_) => return respond(Reply::error(400, "cannot read the request body")),
        };
        let reply = match (route, &parts.method) {
            (Route::Fleet, &Method::GET) => Reply::ok(self.fleet.list()),
            (Route::Fleet, &Method::POST) => {
                let request: Value = if body.is_empty() {
                    Value::Object(Default::default())
                } else {
                    match serde_json::from_slice(&body) {
                        Ok(v) => v,
                        Err(e) => return respond(Reply::error(400, format!("bad JSON: {e}"))),
                    }
                };
                let fleet = self.fleet.clone();
                blocking(move || fleet.add(&request)).await
            }
            (Route::Device(index), &Method::GET) => {
                let list = self.fleet.list();
                let entry = list["devices"]
                    .as_array()
                    .and_then(|all| all.iter().find(|d| d["index"] == index).cloned());
                entry.map_or_else(|| no_device(index), Reply::ok)
            }
            (Route::Device(index), &Method::DELETE) => {
                let fleet = self.fleet.clone();
                blocking(move || fleet.remove(index)).await
            }
            _ => Reply::error(
                405,
                format!(
                    "{} {path}: the fleet API has GET/POST /devices, GET/DELETE /devices/N",
                    parts.method
                ),
            ),
        };
        respond(reply)
    }
}

/// Runs a fleet change on tokio's blocking pool (it opens PTYs, binds sockets, joins threads).
async fn blocking(job: impl FnOnce() -> Reply + Send + 'static) -> Reply {
    tokio::task::spawn_blocking(job)
        .await
        .unwrap_or_else(|_| Reply::error(500, "the fleet change failed"))
}

fn no_device(index: usize) -> Reply {
    Reply::error(
        404,
        format!("the fleet has no device {index} (GET /devices lists them)"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_route_to_the_fleet_a_device_or_its_own_api() {
        assert_eq!(route("/fleet").ok(), Some(Route::Fleet));
        assert_eq!(route("/devices").ok(), Some(Route::Fleet));
        assert_eq!(route("/devices/7").ok(), Some(Route::Device(7)));
        assert_eq!(
            route("/devices/7/config/port1.serial.baud").ok(),
            Some(Route::Forward(7, "/config/port1.serial.baud"))
        );
        assert!(route("/devices/x/status").is_err());
        assert!(route("/status").is_err());
        assert!(route("/devices/-1").is_err());
    }
}
