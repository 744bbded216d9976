//! The control API's HTTP side, on the management thread: each request passes the [`guard`],
//! its body is read under a cap and a deadline, [`routes`] turns it into a [`Call`], and the
//! loop answers it. Routing knows nothing of HTTP connections; this file knows nothing of calls.
//!
//! [`guard`]: super::guard
//! [`routes`]: super::routes

use super::{guard, routes, Call, Reply, Request};
use crate::mgmt::http::{read_body, BodyError};
use bytes::Bytes;
use crossbeam_channel::Sender;
use http_body_util::{Either, Full};
use hyper::body::{Body, Frame, Incoming};
use hyper::header::{HeaderValue, CACHE_CONTROL, CONTENT_TYPE, WWW_AUTHENTICATE};
use hyper::{Method, Response, StatusCode};
use m2285_core::config::ControlAuth;
use std::convert::Infallible;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

/// How long a request waits for the loop to answer before giving up with 503.
const LOOP_TIMEOUT: Duration = Duration::from_secs(5);

/// Largest request body accepted.
pub const MAX_BODY: usize = 64 * 1024;

/// What every response body is: one JSON document, or the endless event stream.
pub type ReplyBody = Either<Full<Bytes>, EventStream>;

/// The control API of one device.
pub struct ControlService {
    /// Calls to the device's loop.
    pub to_loop: Sender<Request>,
    /// Wakes the loop after a call is sent.
    pub wake: Arc<dyn Fn() + Send + Sync>,
    /// Which requests need the token.
    pub auth: ControlAuth,
    /// The token.
    pub token: String,
    /// How long a request body may take to arrive.
    pub body_deadline: Duration,
}

impl ControlService {
    /// Answers one request.
    pub async fn handle(&self, request: hyper::Request<Incoming>) -> Response<ReplyBody> {
        let (parts, body) = request.into_parts();
        if let Err(reply) = guard::check(&parts.method, &parts.headers, self.auth, &self.token) {
            return respond(reply);
        }
        let path = parts.uri.path();
        if parts.method == Method::GET && path == "/events" {
            return events(false);
        }
        if parts.method == Method::GET && path == "/panel/events" {
            return events(true);
        }
        if parts.method == Method::GET {
            if let Some((content_type, body)) = super::panel::file(path) {
                let mut response =
                    Response::new(Either::Left(Full::new(Bytes::from_static(body.as_bytes()))));
                response
                    .headers_mut()
                    .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
                return response;
            }
        }
        let body = match read_body(body, MAX_BODY, self.body_deadline).await {
            Ok(body) => body,
            Err(BodyError::TooLarge) => {
                return respond(Reply::error(
                    413,
                    format!("body larger than {MAX_BODY} bytes"),
                ))
            }
            Err(BodyError::TimedOut) => {
                return respond(Reply::error(408, "the body did not arrive in time"))
            }
            Err(BodyError::Broken(e)) => {
                return respond(Reply::error(400, format!("cannot read the body: {e}")))
            }
        };
        let method = parts.method.as_str();
        let query = parts.uri.query().unwrap_or("");
        let routed = routes::route(method, path, &body)
            .or_else(|e| super::admin_routes::route(method, path, query, &body).unwrap_or(Err(e)));
        let reply = match routed {
            Ok(call) => self.ask_loop(call).await,
            Err(reply) => reply,
        };
        respond(reply)
    }

    /// Hands `call` to the loop and waits for its answer.
    async fn ask_loop(&self, call: Call) -> Reply {
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

/// The reply as an HTTP response with a JSON body.
pub(super) fn respond(reply: Reply) -> Response<ReplyBody> {
    let mut text = serde_json::to_string_pretty(&reply.body).unwrap_or_else(|_| "{}".into());
    text.push('\n');
    let mut response = Response::new(Either::Left(Full::new(Bytes::from(text))));
    *response.status_mut() =
        StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    if reply.status == 401 {
        headers.insert(
            WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"m2285-sim control API\""),
        );
    }
    response
}

/// `GET /events`: the JSON lines of stdout as they happen, until the client goes away; with
/// `sse` (`GET /panel/events`, for the front panel's `EventSource`) as server-sent events.
fn events(sse: bool) -> Response<ReplyBody> {
    let stream = EventStream {
        lines: crate::output::subscribe(),
        sse,
    };
    let mut response = Response::new(Either::Right(stream));
    let headers = response.headers_mut();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static(if sse {
            "text/event-stream"
        } else {
            "application/x-ndjson"
        }),
    );
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

/// A response body of the simulator's JSON lines, one frame per line, without end.
pub struct EventStream {
    lines: tokio::sync::mpsc::Receiver<String>,
    /// Frame each line as a server-sent event (`data: LINE` and a blank line).
    sse: bool,
}

impl Body for EventStream {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        let sse = self.sse;
        self.lines.poll_recv(cx).map(|line| {
            line.map(|line| {
                let framed = if sse {
                    format!("data: {}\n\n", line.replace(['\r', '\n'], " "))
                } else {
                    format!("{line}\n")
                };
                Ok(Frame::data(Bytes::from(framed)))
            })
        })
    }
}
