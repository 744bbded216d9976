//! One device's web server on the management thread: an HTTP request becomes a
//! [`WebRequest`], the page logic ([`m2285_web::Web`]) answers it or asks for a device
//! operation, which is carried out with control calls on the device's loop.

use super::store;
use crate::control::{Call, Reply, Request, WebCall};
use crate::mgmt::http::{read_body, BodyError};
use bytes::Bytes;
use crossbeam_channel::Sender;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::{HeaderName, HeaderValue};
use hyper::{Response, StatusCode};
use m2285_core::admin::filter::{Service, Verdict};
use m2285_web::{DeviceOp, OpResult, Outcome, Snapshot, Web, WebRequest, WebResponse};
use serde_json::Value;
use std::cell::RefCell;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

/// How long a request waits for the loop before giving up with 503.
const LOOP_TIMEOUT: Duration = Duration::from_secs(5);

/// The way to the device's loop.
pub struct LoopLink {
    /// Calls to the loop.
    pub to_loop: Sender<Request>,
    /// Wakes the loop after a call is sent.
    pub wake: Arc<dyn Fn() + Send + Sync>,
}

impl LoopLink {
    /// Hands `call` to the loop and waits for its answer.
    pub async fn ask(&self, call: Call) -> Reply {
        let (reply, answer) = tokio::sync::oneshot::channel();
        if self.to_loop.send(Request { call, reply }).is_err() {
            return Reply::error(503, "the device is shutting down");
        }
        (self.wake)();
        match tokio::time::timeout(LOOP_TIMEOUT, answer).await {
            Ok(Ok(reply)) => reply,
            Ok(Err(_)) => Reply::error(503, "the device is shutting down"),
            Err(_) => Reply::error(503, "the device did not answer in time"),
        }
    }
}

/// The web server of one device (shared by its HTTP and HTTPS listeners).
pub struct WebService {
    /// The page logic and its sessions.
    pub web: RefCell<Web>,
    /// The loop.
    pub link: LoopLink,
    /// How long a request body may take.
    pub body_deadline: Duration,
    /// The CRL (DER) the device's own certificate names, when it uses one.
    pub crl: Option<Vec<u8>>,
    /// When the server started (the page logic's clock counts from here).
    pub started: std::time::Instant,
}

impl WebService {
    /// Answers one request.
    pub async fn handle(
        &self,
        request: hyper::Request<Incoming>,
        secure: bool,
        peer: Option<SocketAddr>,
    ) -> Response<Full<Bytes>> {
        let (parts, body) = request.into_parts();
        if let Some(crl) = self.crl_for(&parts) {
            return respond(crl);
        }
        let header = |name: hyper::header::HeaderName| {
            parts
                .headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let cookie = header(hyper::header::COOKIE);
        let limit = self
            .web
            .borrow()
            .body_limit(parts.uri.path(), cookie.as_deref());
        let body = match read_body(body, limit, self.body_deadline).await {
            Ok(b) => b,
            Err(BodyError::TooLarge) => {
                return respond(
                    WebResponse::text(413, format!("request larger than {limit} bytes\n"))
                        .with_security_headers(secure),
                )
            }
            Err(BodyError::TimedOut) => {
                return respond(WebResponse::text(
                    408,
                    "the request did not arrive in time\n",
                ))
            }
            Err(BodyError::Broken(e)) => {
                return respond(WebResponse::text(
                    400,
                    format!("cannot read the request: {e}\n"),
                ))
            }
        };
        let req = WebRequest {
            method: parts.method.as_str().to_owned(),
            path: parts.uri.path().to_owned(),
            query: parts.uri.query().unwrap_or("").to_owned(),
            cookie,
            content_type: header(hyper::header::CONTENT_TYPE),
            body: body.to_vec(),
            secure,
            peer,
        };
        let snapshot = self.snapshot().await;
        let outcome = self
            .web
            .borrow_mut()
            .handle(&req, &snapshot, self.now(), random());
        let service = if secure {
            Service::Https
        } else {
            Service::Http
        };
        let response = match outcome {
            Outcome::Reply(r) => r,
            Outcome::Ask { op, then } => {
                let result = self.carry_out(op, service, peer).await;
                let snapshot = self.snapshot().await;
                self.web
                    .borrow_mut()
                    .resume(&req, then, result, &snapshot, self.now(), random())
            }
        };
        self.log_ended_sessions().await;
        respond(response)
    }

    /// `GET`/`HEAD` of the device's CRL: public, as every CRL is (a client checking the
    /// certificate has no session).
    fn crl_for(&self, parts: &hyper::http::request::Parts) -> Option<WebResponse> {
        let crl = self.crl.as_ref()?;
        let method = &parts.method;
        if parts.uri.path() != crate::tls_files::CRL_PATH
            || !(method == hyper::Method::GET || method == hyper::Method::HEAD)
        {
            return None;
        }
        Some(WebResponse {
            status: 200,
            headers: vec![("Content-Type".into(), "application/pkix-crl".into())],
            body: crl.clone(),
        })
    }

    async fn carry_out(
        &self,
        op: DeviceOp,
        service: Service,
        peer: Option<SocketAddr>,
    ) -> OpResult {
        match op {
            DeviceOp::CheckLogin { user, password } => {
                let Some(peer) = peer else {
                    return OpResult::Login(None);
                };
                let call = WebCall::Login {
                    service,
                    peer,
                    user,
                    password,
                };
                match self.link.ask(Call::Web(call)).await {
                    Reply { status: 200, body } => {
                        OpResult::Login(body.get("user").and_then(Value::as_str).map(str::to_owned))
                    }
                    Reply { status: 429, .. } => OpResult::LoginLockedOut,
                    _ => OpResult::Login(None),
                }
            }
            DeviceOp::Store(op) => store::run(&self.link, op).await,
            DeviceOp::Firmware(image) => {
                let version = image.version().to_owned();
                match self.link.ask(Call::Web(WebCall::Firmware(image))).await {
                    Reply { status: 200, .. } => OpResult::Done(format!(
                        "firmware {version} accepted; the device is rebooting into it"
                    )),
                    other => OpResult::Failed(
                        other.body["error"]
                            .as_str()
                            .unwrap_or("the device did not say")
                            .to_owned(),
                    ),
                }
            }
        }
    }

    /// Tells the device about sessions that ended (logout, idle), for its log.
    async fn log_ended_sessions(&self) {
        let ended = self.web.borrow_mut().take_ended();
        for e in ended {
            if let Some(peer) = e.peer {
                let call = WebCall::Logout {
                    peer,
                    user: e.user,
                    reason: e.reason,
                };
                self.link.ask(Call::Web(call)).await;
            }
        }
    }

    /// The IP filter's verdict for a new connection from `peer` (docs/management.md "IP
    /// filtering"); a device that does not answer lets nothing in.
    pub async fn screen(&self, service: Service, peer: SocketAddr) -> Verdict {
        match self
            .link
            .ask(Call::Web(WebCall::Screen { service, peer }))
            .await
        {
            Reply { status: 200, body } => match body["verdict"].as_str() {
                Some("accept") => Verdict::Accept,
                Some("drop") => Verdict::Drop,
                _ => Verdict::Reject,
            },
            _ => Verdict::Reject,
        }
    }

    /// The device as the pages show it: status and configuration (secrets masked).
    async fn snapshot(&self) -> Snapshot {
        let status = self.link.ask(Call::Status).await.body;
        let config = self.link.ask(Call::ConfigGet(None)).await.body;
        Snapshot {
            status,
            config,
            store: store::state(&self.link).await,
        }
    }

    fn now(&self) -> m2285_time::Instant {
        let ns = u64::try_from(self.started.elapsed().as_nanos()).unwrap_or(u64::MAX);
        m2285_time::Instant::from_nanos(ns)
    }
}

/// 32 fresh random bytes (session ids, CSRF tokens); zeros only if the OS has none to give,
/// which then makes every login fail its CSRF check rather than share a token.
fn random() -> [u8; 32] {
    let mut out = [0u8; 32];
    if getrandom::fill(&mut out).is_err() {
        tracing::error!("web server: no randomness from the OS");
    }
    out
}

/// The page logic's response as a hyper response.
pub fn respond(r: WebResponse) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(r.body)));
    *response.status_mut() =
        StatusCode::from_u16(r.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let headers = response.headers_mut();
    for (k, v) in r.headers {
        if let (Ok(k), Ok(v)) = (HeaderName::try_from(k), HeaderValue::try_from(v)) {
            headers.append(k, v);
        }
    }
    response
}
