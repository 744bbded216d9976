//! HTTPS for the web server: the device's own sans-IO TLS engine (`m2285-tls`, the one the
//! serial port's SSL sessions use) driven over a TCP socket by a small pump task, with hyper
//! on the plaintext side of an in-memory duplex pipe. One engine, one set of cipher suites
//! (forward-secret AEAD only) and one certificate for every TLS the device speaks.

use m2285_tls::{TlsEngineConfig, TlsEvent, TlsSession};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};
use tokio::net::TcpStream;

/// Bytes buffered in each direction between the pump and hyper.
const PIPE_BYTES: usize = 96 * 1024;

/// Starts TLS on `tcp` and returns the plaintext stream for hyper; the pump runs as a local
/// task until either side closes, the session fails, or the handshake takes longer than
/// `handshake_timeout`.
pub fn accept(
    tcp: TcpStream,
    config: &TlsEngineConfig,
    handshake_timeout: Duration,
) -> Option<DuplexStream> {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).ok()?;
    let session = match TlsSession::new(config, None, seed) {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!("web server: cannot start TLS: {e}");
            return None;
        }
    };
    let _ = tcp.set_nodelay(true);
    let (app, hyper_side) = tokio::io::duplex(PIPE_BYTES);
    tokio::task::spawn_local(pump(tcp, session, app, handshake_timeout));
    Some(hyper_side)
}

/// Moves ciphertext between the socket and the engine, and plaintext between the engine and
/// hyper's side of the pipe.
async fn pump(
    mut tcp: TcpStream,
    mut session: TlsSession,
    mut app: DuplexStream,
    handshake_timeout: Duration,
) {
    let handshake_deadline = tokio::time::Instant::now() + handshake_timeout;
    let mut net_buf = vec![0u8; 16 * 1024];
    let mut app_buf = vec![0u8; 16 * 1024];
    let mut app_closed = false;
    loop {
        while let Some(event) = session.poll_event() {
            match event {
                TlsEvent::Plaintext(data) => {
                    if app.write_all(&data).await.is_err() {
                        session.close();
                        app_closed = true;
                    }
                }
                TlsEvent::PeerClosed => {
                    let _ = app.shutdown().await;
                    session.close();
                }
                TlsEvent::Failed { reason } => {
                    tracing::debug!("web server: TLS session failed: {reason}");
                    let _ = tcp.write_all(&session.take_ciphertext()).await;
                    return;
                }
                TlsEvent::HandshakeComplete { .. } => {}
            }
        }
        let out = session.take_ciphertext();
        if !out.is_empty() && tcp.write_all(&out).await.is_err() {
            return;
        }
        if session.is_finished() || app_closed {
            let _ = tcp.shutdown().await;
            return;
        }
        let established = session.is_established();
        tokio::select! {
            read = tcp.read(&mut net_buf) => match read {
                Ok(0) | Err(_) => return,
                Ok(n) => session.receive_ciphertext(&net_buf[..n]),
            },
            read = app.read(&mut app_buf), if established => match read {
                Ok(0) | Err(_) => {
                    session.close();
                    app_closed = true;
                }
                Ok(n) => session.send_plaintext(&app_buf[..n]),
            },
            () = tokio::time::sleep_until(handshake_deadline), if !established => return,
        }
    }
}
