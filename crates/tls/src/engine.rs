//! [`TlsSession`]: one TLS connection as a state machine over byte buffers.
//!
//! Mbed TLS's I/O callbacks read from and write to a [`Wire`] that the session shares with the
//! `Context` (an `Arc`, not a `Box` owned by the context): when a handshake fails, the
//! `mbedtls` crate drops the context's I/O object, and any alert Mbed TLS wrote just before
//! would be lost with it. With the shared wire the alert still reaches `take_ciphertext`.

use std::collections::VecDeque;
use std::ffi::c_int;
use std::sync::{Arc, Mutex, MutexGuard};

use mbedtls::error::codes;
use mbedtls::ssl::io::Io;
use mbedtls::ssl::Context;

use crate::config::{Role, TlsEngineConfig};
use crate::error::{describe, describe_verify_flags};
use crate::{clock, suites, TlsError};

/// Largest plaintext Mbed TLS puts into one record (`MBEDTLS_SSL_OUT_CONTENT_LEN`).
const READ_CHUNK: usize = 16 * 1024;

/// How many of the peer's first bytes are kept for failure reasons.
const FIRST_BYTES: usize = 12;

/// TLS alert descriptions used when Mbed TLS aborts a handshake without telling the peer.
const ALERT_HANDSHAKE_FAILURE: u8 = 40;
const ALERT_PROTOCOL_VERSION: u8 = 70;

/// What a session reports to its owner, in order, through [`TlsSession::poll_event`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TlsEvent {
    /// The handshake finished; plaintext now flows.
    HandshakeComplete {
        /// Negotiated version, OpenSSL style (`TLSv1.2`).
        version: String,
        /// Negotiated suite, IANA name (`TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256`).
        ciphersuite: String,
        /// Subject of the peer's certificate (`CN=...`), when it sent one.
        peer_cert_subject: Option<String>,
    },
    /// Decrypted application data from the peer.
    Plaintext(Vec<u8>),
    /// The peer sent close_notify: it will send nothing more. Answer with [`TlsSession::close`]
    /// for a clean shutdown.
    PeerClosed,
    /// The session is dead (bad certificate, unknown CA, garbage, version mismatch, bad MAC...).
    /// Flush `take_ciphertext` (it may hold an alert for the peer), then drop the connection.
    Failed {
        /// Mbed TLS's error name and description, plus the certificate problems if any.
        reason: String,
    },
}

/// Ciphertext in both directions; shared between the session and Mbed TLS's I/O callbacks.
#[derive(Default)]
struct Wire {
    inbound: VecDeque<u8>,
    outbound: Vec<u8>,
}

/// The transport Mbed TLS sees: never blocks, "would block" when no input is queued.
struct Pipe(Arc<Mutex<Wire>>);

fn lock(w: &Mutex<Wire>) -> MutexGuard<'_, Wire> {
    // A poisoned lock only means a panic elsewhere; the byte queues are still consistent.
    w.lock().unwrap_or_else(|p| p.into_inner())
}

impl Io for Pipe {
    fn recv(&mut self, buf: &mut [u8]) -> mbedtls::Result<usize> {
        let mut w = lock(&self.0);
        if w.inbound.is_empty() {
            return Err(codes::SslWantRead.into());
        }
        let n = buf.len().min(w.inbound.len());
        for (dst, src) in buf.iter_mut().zip(w.inbound.drain(..n)) {
            *dst = src;
        }
        Ok(n)
    }

    fn send(&mut self, buf: &[u8]) -> mbedtls::Result<usize> {
        lock(&self.0).outbound.extend_from_slice(buf);
        Ok(buf.len())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Handshaking,
    Established,
    Failed,
}

/// One TLS connection, driven entirely by its owner: feed it ciphertext, take ciphertext out,
/// hand it plaintext and poll events. It never does I/O or reads a clock of its own.
pub struct TlsSession {
    ctx: Context<Pipe>,
    wire: Arc<Mutex<Wire>>,
    state: State,
    role: Role,
    /// Plaintext handed over before the handshake finished.
    pending: Vec<u8>,
    events: VecDeque<TlsEvent>,
    /// `close()` was called; close_notify is sent (or will be, once the handshake is done).
    close_requested: bool,
    close_sent: bool,
    peer_closed: bool,
    /// The time this session shows Mbed TLS (None = the process-wide clock).
    unix_time: Option<i64>,
    /// The first bytes the peer sent, to tell "not TLS at all" apart in failure reasons.
    first_bytes: Vec<u8>,
}

impl std::fmt::Debug for TlsSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsSession")
            .field("role", &self.role)
            .field("state", &self.state)
            .field("close_sent", &self.close_sent)
            .field("peer_closed", &self.peer_closed)
            .finish()
    }
}

fn would_block(e: &mbedtls::Error) -> bool {
    matches!(
        e.high_level(),
        Some(codes::SslWantRead | codes::SslWantWrite)
    )
}

impl TlsSession {
    /// Starts a session. A client queues its ClientHello right away (see `take_ciphertext`);
    /// a server waits for one. `server_name` (client role) is sent as SNI and, with
    /// `verify_peer`, must match the server certificate; it is required then. `seed` drives
    /// all of the session's randomness. Mbed TLS sees the process-wide [`clock`].
    pub fn new(
        cfg: &TlsEngineConfig,
        server_name: Option<&str>,
        seed: [u8; 32],
    ) -> Result<Self, TlsError> {
        Self::with_unix_time(cfg, server_name, seed, None)
    }

    /// Like [`TlsSession::new`], but Mbed TLS sees `unix_time` (seconds since the epoch) in
    /// this session instead of the process-wide clock: the virtual-time runtime passes its
    /// simulated wall time here, so parallel simulations do not share one clock.
    pub fn with_unix_time(
        cfg: &TlsEngineConfig,
        server_name: Option<&str>,
        seed: [u8; 32],
        unix_time: Option<i64>,
    ) -> Result<Self, TlsError> {
        let server_name = match (cfg.role, server_name) {
            (Role::Server, _) => None,
            (Role::Client, Some(n)) if n.contains('\0') => {
                return Err(TlsError::Settings(format!("server name {n:?} contains a NUL byte")))
            }
            (Role::Client, None) if cfg.verify_peer => {
                return Err(TlsError::Settings(
                    "verify_peer is on: the client needs the server's host name to check its certificate"
                        .into(),
                ))
            }
            (Role::Client, n) => n,
        };
        let config = cfg.session_config(seed)?;
        let wire = Arc::new(Mutex::new(Wire::default()));
        let mut session = TlsSession {
            ctx: Context::new(Arc::new(config)),
            wire: wire.clone(),
            state: State::Handshaking,
            role: cfg.role,
            pending: Vec::new(),
            events: VecDeque::new(),
            close_requested: false,
            close_sent: false,
            peer_closed: false,
            unix_time,
            first_bytes: Vec::new(),
        };
        let r = clock::with_time(unix_time, || session.ctx.establish(Pipe(wire), server_name));
        session.after_handshake_step(r, 0);
        if let Some(TlsEvent::Failed { reason }) = session.events.back() {
            // Nothing came from the peer yet, so this is a local problem (e.g. a bad name).
            return Err(TlsError::Engine {
                during: "starting the handshake",
                reason: reason.clone(),
            });
        }
        Ok(session)
    }

    /// Sets the time Mbed TLS sees in this session from now on (None = process-wide clock).
    pub fn set_unix_time(&mut self, unix_time: Option<i64>) {
        self.unix_time = unix_time;
    }

    /// Feeds ciphertext that arrived from the peer, in any chunking; runs the handshake or
    /// decrypts records as far as the bytes allow. Results appear in `poll_event`, replies in
    /// `take_ciphertext`. Ignored once the session failed or the peer closed.
    pub fn receive_ciphertext(&mut self, bytes: &[u8]) {
        if self.state == State::Failed || self.peer_closed {
            return;
        }
        if self.first_bytes.len() < FIRST_BYTES {
            let take = (FIRST_BYTES - self.first_bytes.len()).min(bytes.len());
            self.first_bytes.extend_from_slice(&bytes[..take]);
        }
        lock(&self.wire).inbound.extend(bytes);
        match self.state {
            State::Handshaking => {
                let sent_before = lock(&self.wire).outbound.len();
                let r = clock::with_time(self.unix_time, || self.ctx.handshake());
                self.after_handshake_step(r, sent_before);
            }
            State::Established => self.read_records(),
            State::Failed => {}
        }
    }

    /// Ciphertext to send to the peer (everything queued so far; empty when nothing is).
    pub fn take_ciphertext(&mut self) -> Vec<u8> {
        std::mem::take(&mut lock(&self.wire).outbound)
    }

    /// Encrypts `data` for the peer (split into records of at most 16 KiB). Before the
    /// handshake finishes the data is buffered (without a limit: the owner decides how much to
    /// hand over) and sent right after it. Dropped after `close()` or a failure.
    pub fn send_plaintext(&mut self, data: &[u8]) {
        if data.is_empty() || self.state == State::Failed || self.close_requested {
            return;
        }
        match self.state {
            State::Handshaking => self.pending.extend_from_slice(data),
            State::Established => self.write_all(data),
            State::Failed => {}
        }
    }

    /// The next event, oldest first.
    pub fn poll_event(&mut self) -> Option<TlsEvent> {
        self.events.pop_front()
    }

    /// Queues close_notify for the peer (after any plaintext already handed over; if the
    /// handshake is still running, once it finishes). Unlike the `mbedtls` crate's own close,
    /// this keeps the session's buffers, so the alert reaches `take_ciphertext` and data the
    /// peer still sends is decrypted until it closes too.
    pub fn close(&mut self) {
        if self.close_requested {
            return;
        }
        self.close_requested = true;
        if self.state == State::Established {
            self.send_close_notify();
        }
    }

    /// Whether the handshake completed and the session has not failed since.
    pub fn is_established(&self) -> bool {
        self.state == State::Established
    }

    /// Whether nothing more can happen: the session failed, or close_notify went both ways.
    /// The owner can drop the connection once `take_ciphertext` is flushed.
    pub fn is_finished(&self) -> bool {
        self.state == State::Failed || (self.close_sent && self.peer_closed)
    }

    /// `sent_before`: length of the outbound buffer before the step, to see whether Mbed TLS
    /// wrote anything (an alert) while failing.
    fn after_handshake_step(&mut self, r: mbedtls::Result<()>, sent_before: usize) {
        match r {
            Ok(()) => {
                self.state = State::Established;
                let event = self.handshake_summary();
                self.events.push_back(event);
                let pending = std::mem::take(&mut self.pending);
                self.write_all(&pending);
                if self.close_requested {
                    self.send_close_notify();
                }
                // The peer may have sent application data right behind its Finished.
                self.read_records();
            }
            Err(e) if would_block(&e) => {}
            Err(e) => {
                self.fail(&e);
                self.alert_if_silent(&e, sent_before);
            }
        }
    }

    /// Mbed TLS 2.28 aborts some handshakes (no client certificate, garbage instead of a
    /// ClientHello, ...) without sending an alert, leaving the peer to guess from the TCP
    /// close. When it wrote nothing and our side is not encrypting yet, send a plaintext fatal
    /// alert ourselves.
    fn alert_if_silent(&mut self, e: &mbedtls::Error, sent_before: usize) {
        let ctx: *const mbedtls_sys::ssl_context = (&self.ctx).into();
        // SAFETY: reading one pointer field of the live context owned by `self`.
        let encrypting = unsafe { !(*ctx).transform_out.is_null() };
        let mut wire = lock(&self.wire);
        if encrypting || wire.outbound.len() != sent_before {
            return;
        }
        let description = match e.high_level() {
            Some(codes::SslBadHsProtocolVersion) => ALERT_PROTOCOL_VERSION,
            _ => ALERT_HANDSHAKE_FAILURE,
        };
        // Record header (alert, TLS 1.2, length 2), then level fatal (2) and the description.
        wire.outbound
            .extend_from_slice(&[0x15, 0x03, 0x03, 0x00, 0x02, 0x02, description]);
    }

    fn handshake_summary(&self) -> TlsEvent {
        let version = match (self.ctx.major_version(), self.ctx.minor_version()) {
            (3, 1) => "TLSv1".to_string(),
            (3, 2) => "TLSv1.1".to_string(),
            (3, 3) => "TLSv1.2".to_string(),
            (major, minor) => format!("{{{major}, {minor}}}"),
        };
        let ciphersuite = match self.ctx.ciphersuite() {
            Ok(id) => suites::iana_name(id),
            Err(_) => "unknown".to_string(),
        };
        let peer_cert_subject = self
            .ctx
            .peer_cert()
            .ok()
            .flatten()
            .and_then(|chain| chain.iter().next().and_then(|c| c.subject().ok()));
        TlsEvent::HandshakeComplete {
            version,
            ciphersuite,
            peer_cert_subject,
        }
    }

    /// Decrypts every complete record waiting in the inbound buffer.
    fn read_records(&mut self) {
        if self.peer_closed {
            return;
        }
        let mut plain = Vec::new();
        let mut buf = vec![0u8; READ_CHUNK];
        let outcome = clock::with_time(self.unix_time, || loop {
            match Io::recv(&mut self.ctx, &mut buf) {
                Ok(0) => break Ok(()),
                Ok(n) => plain.extend_from_slice(&buf[..n]),
                Err(e) if would_block(&e) => break Ok(()),
                Err(e) => break Err(e),
            }
        });
        if !plain.is_empty() {
            self.events.push_back(TlsEvent::Plaintext(plain));
        }
        match outcome {
            Ok(()) => {}
            Err(e) if e.high_level() == Some(codes::SslPeerCloseNotify) => {
                self.peer_closed = true;
                self.events.push_back(TlsEvent::PeerClosed);
            }
            Err(e) => self.fail(&e),
        }
    }

    fn write_all(&mut self, data: &[u8]) {
        let mut off = 0;
        while off < data.len() {
            let r = clock::with_time(self.unix_time, || Io::send(&mut self.ctx, &data[off..]));
            match r {
                Ok(n) if n > 0 => off += n,
                // Neither can happen with a non-blocking in-memory pipe; stop rather than spin.
                Ok(_) => break,
                Err(e) if would_block(&e) => break,
                Err(e) => {
                    self.fail(&e);
                    break;
                }
            }
        }
    }

    fn send_close_notify(&mut self) {
        if self.close_sent || self.state != State::Established {
            return;
        }
        let ctx: *mut mbedtls_sys::ssl_context = (&mut self.ctx).into();
        // SAFETY: `ctx` is the live context owned by `self`; its I/O (the Pipe) is set. This is
        // the crate's own close minus dropping the Pipe.
        let rc: c_int = clock::with_time(self.unix_time, || unsafe {
            mbedtls_sys::ssl_close_notify(ctx)
        });
        self.close_sent = true;
        if rc < 0 {
            self.fail(&mbedtls::Error::from(rc));
        }
    }

    fn fail(&mut self, e: &mbedtls::Error) {
        if self.state == State::Failed {
            return;
        }
        let mut reason = describe(e);
        let certificate_trouble = matches!(
            e.high_level(),
            Some(codes::X509CertVerifyFailed | codes::SslBadHsCertificate)
        );
        if certificate_trouble {
            // SAFETY: read-only query on the live context.
            let flags = unsafe { mbedtls_sys::ssl_get_verify_result((&self.ctx).into()) };
            // u32::MAX means "no verification ran".
            if flags != u32::MAX {
                let text = describe_verify_flags(flags);
                if !text.is_empty() {
                    reason = format!("{reason}: {text}");
                }
            }
        }
        if e.high_level() == Some(codes::SslNoClientCertificate) {
            reason = format!(
                "{reason}: the client sent no certificate, and client authentication is required"
            );
        }
        // A TLS peer starts with a handshake (22) or alert (21) record.
        if self.state == State::Handshaking
            && !matches!(self.first_bytes.first(), None | Some(0x15 | 0x16))
        {
            let shown: String = self
                .first_bytes
                .iter()
                .map(|&b| {
                    if b.is_ascii_graphic() || b == b' ' {
                        char::from(b)
                    } else {
                        '.'
                    }
                })
                .collect();
            reason = format!("{reason}: the peer does not speak TLS (it sent {shown:?}...)");
        }
        self.state = State::Failed;
        self.pending.clear();
        self.events.push_back(TlsEvent::Failed { reason });
    }
}
