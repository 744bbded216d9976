//! Test helpers: in-memory session pairs, temporary directories and child processes that die
//! with the test; `pki` makes certificates with OpenSSL, `peers` runs sessions on sockets.
#![allow(dead_code, unused_imports, clippy::unwrap_used, missing_docs)]

mod peers;
mod pki;

pub use peers::*;
pub use pki::*;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use m2285_tls::identity::{self, Identity};
use m2285_tls::{TlsEngineConfig, TlsEvent, TlsSession, TlsSettings};

/// 2030-06-01T00:00:00Z
pub const T2030: i64 = 1_906_934_400;

// ---------------------------------------------------------------- in memory

pub fn self_signed(cn: &str, seed: u8) -> Identity {
    identity::generate_self_signed(
        cn,
        [seed; 32],
        identity::DEFAULT_NOT_BEFORE,
        identity::DEFAULT_NOT_AFTER,
    )
    .unwrap()
}

pub fn server_settings(id: &Identity) -> TlsSettings {
    TlsSettings {
        cert_chain_pem: id.cert_pem.clone(),
        key_pem: id.key_pem.clone(),
        ..TlsSettings::default()
    }
}

pub fn verifying_client(ca: &[u8]) -> TlsSettings {
    TlsSettings {
        verify_peer: true,
        ca_pem: Some(ca.to_vec()),
        ..TlsSettings::default()
    }
}

/// Moves `from`'s ciphertext into `to` in pieces of `chunk` bytes; appends it to `log`.
/// Returns whether any byte moved.
pub fn shuttle(
    from: &mut TlsSession,
    to: &mut TlsSession,
    log: &mut Vec<u8>,
    chunk: usize,
) -> bool {
    let bytes = from.take_ciphertext();
    log.extend_from_slice(&bytes);
    for piece in bytes.chunks(chunk.max(1)) {
        to.receive_ciphertext(piece);
    }
    !bytes.is_empty()
}

pub fn drain(s: &mut TlsSession) -> Vec<TlsEvent> {
    std::iter::from_fn(|| s.poll_event()).collect()
}

/// Everything both sides said, per direction, plus their events.
#[derive(Default, Debug)]
pub struct Exchange {
    pub c2s: Vec<u8>,
    pub s2c: Vec<u8>,
    pub client_events: Vec<TlsEvent>,
    pub server_events: Vec<TlsEvent>,
}

/// Shuttles bytes both ways until neither side has anything to send.
pub fn run(client: &mut TlsSession, server: &mut TlsSession, chunk: usize, x: &mut Exchange) {
    for _ in 0..10_000 {
        let a = shuttle(client, server, &mut x.c2s, chunk);
        let b = shuttle(server, client, &mut x.s2c, chunk);
        x.client_events.extend(drain(client));
        x.server_events.extend(drain(server));
        if !a && !b {
            return;
        }
    }
    panic!("the pair never went quiet");
}

pub fn plaintext(events: &[TlsEvent]) -> Vec<u8> {
    events
        .iter()
        .filter_map(|e| match e {
            TlsEvent::Plaintext(d) => Some(d.clone()),
            _ => None,
        })
        .flatten()
        .collect()
}

pub fn failure(events: &[TlsEvent]) -> Option<String> {
    events.iter().find_map(|e| match e {
        TlsEvent::Failed { reason } => Some(reason.clone()),
        _ => None,
    })
}

pub fn completed(events: &[TlsEvent]) -> Option<&TlsEvent> {
    events
        .iter()
        .find(|e| matches!(e, TlsEvent::HandshakeComplete { .. }))
}

// ---------------------------------------------------------------- files and processes

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// A fresh directory under the system temp dir, removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> Self {
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let p = std::env::temp_dir().join(format!("m2285-tls-{tag}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
    pub fn path(&self) -> &Path {
        &self.0
    }
    pub fn read(&self, name: &str) -> Vec<u8> {
        std::fs::read(self.0.join(name)).unwrap()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A child process killed (and reaped) when dropped.
pub struct ChildGuard(pub Child);

impl ChildGuard {
    /// Waits up to `limit` for the exit status; kills the child when it is over time.
    pub fn wait_for(&mut self, limit: Duration) -> Option<std::process::ExitStatus> {
        let end = Instant::now() + limit;
        while Instant::now() < end {
            if let Ok(Some(st)) = self.0.try_wait() {
                return Some(st);
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
        None
    }
}

impl Drop for ChildGuard {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            let _ = self.0.kill();
        }
        let _ = self.0.wait();
    }
}

/// Runs `openssl args...` in `dir`, bounded to 30 s; panics with its stderr on failure.
pub fn openssl(dir: &Path, args: &[&str]) -> Output {
    let child = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the openssl binary is needed by these tests");
    let mut g = ChildGuard(child);
    let st = g
        .wait_for(Duration::from_secs(30))
        .expect("openssl took over 30 s");
    let mut out = Vec::new();
    let mut err = Vec::new();
    if let Some(o) = g.0.stdout.as_mut() {
        o.read_to_end(&mut out).unwrap();
    }
    if let Some(e) = g.0.stderr.as_mut() {
        e.read_to_end(&mut err).unwrap();
    }
    assert!(
        st.success(),
        "openssl {args:?} failed: {}",
        String::from_utf8_lossy(&err)
    );
    Output {
        status: st,
        stdout: out,
        stderr: err,
    }
}

/// Builds a session for `cfg`, panicking on configuration errors (test input is ours).
pub fn session(cfg: &TlsEngineConfig, name: Option<&str>, seed: u8) -> TlsSession {
    TlsSession::new(cfg, name, [seed; 32]).unwrap()
}
