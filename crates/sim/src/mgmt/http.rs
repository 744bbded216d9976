//! HTTP/1.1 for management services: hyper serving one connection under fixed limits, and
//! reading a request body with a size cap and a deadline.
//!
//! hyper answers a malformed request (a request line with raw non-ASCII bytes, a header block
//! that is too large) with a 4xx itself and closes the connection; its header timer closes a
//! connection that sends no complete request headers in time, idle keep-alive ones included.

use bytes::Bytes;
use http_body_util::{BodyExt, Limited};
use hyper::body::{Body, Incoming};
use hyper::service::HttpService;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

/// Largest request head (request line and headers) hyper buffers; a longer one gets 431.
const MAX_HEAD: usize = 16 * 1024;

/// Serves every connection `listener` accepts (under `policy`, the shared accept loop) with
/// HTTP/1.1, each request answered by `handler`: the one way a plain-HTTP management service
/// (the control API, the fleet's) is put on a socket.
pub async fn serve_listener<H, Fut, B>(
    listener: std::net::TcpListener,
    policy: super::accept::Policy,
    header_timeout: Duration,
    handler: H,
) where
    H: Fn(hyper::Request<Incoming>) -> Fut + Clone + 'static,
    Fut: std::future::Future<Output = hyper::Response<B>> + 'static,
    B: Body + 'static,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let listener = match tokio::net::TcpListener::from_std(listener) {
        Ok(l) => l,
        Err(e) => {
            tracing::error!("{}: cannot serve: {e}", policy.name);
            return;
        }
    };
    super::accept::run(listener, policy, move |stream| {
        let handler = handler.clone();
        async move {
            let per_request = hyper::service::service_fn(move |request| {
                let answer = handler(request);
                async move { Ok::<_, std::convert::Infallible>(answer.await) }
            });
            serve(stream, header_timeout, per_request).await;
        }
    })
    .await;
}

/// Serves HTTP/1.1 on `stream` with `service` until the client closes, a request fails to
/// parse, or no complete request headers arrive within `header_timeout`.
pub async fn serve<S, B>(stream: TcpStream, header_timeout: Duration, service: S)
where
    S: HttpService<Incoming, ResBody = B>,
    S::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    B: Body + 'static,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let _ = stream.set_nodelay(true);
    serve_io(stream, header_timeout, service).await;
}

/// Like [`serve`], over any byte stream (e.g. the plaintext side of a TLS connection).
pub async fn serve_io<IO, S, B>(stream: IO, header_timeout: Duration, service: S)
where
    IO: AsyncRead + AsyncWrite + Unpin + 'static,
    S: HttpService<Incoming, ResBody = B>,
    S::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    B: Body + 'static,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let connection = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(header_timeout)
        .max_buf_size(MAX_HEAD)
        .serve_connection(TokioIo::new(stream), service);
    if let Err(e) = connection.await {
        tracing::debug!("management HTTP connection ended: {e}");
    }
}

/// Why a request body could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BodyError {
    /// Longer than the limit.
    TooLarge,
    /// Not complete within the deadline.
    TimedOut,
    /// The connection failed or the framing was wrong.
    Broken(String),
}

/// Reads a whole request body of at most `limit` bytes within `deadline`.
pub async fn read_body(
    body: Incoming,
    limit: usize,
    deadline: Duration,
) -> Result<Bytes, BodyError> {
    if body.size_hint().lower() > limit as u64 {
        return Err(BodyError::TooLarge);
    }
    match tokio::time::timeout(deadline, Limited::new(body, limit).collect()).await {
        Err(_) => Err(BodyError::TimedOut),
        Ok(Ok(collected)) => Ok(collected.to_bytes()),
        Ok(Err(e)) if e.is::<http_body_util::LengthLimitError>() => Err(BodyError::TooLarge),
        Ok(Err(e)) => Err(BodyError::Broken(e.to_string())),
    }
}
