//! Sessions on real 127.0.0.1 sockets, and `openssl s_client` / `s_server` as their peers.
//! Every loop is bounded by [`LIMIT`]; every child process dies with its guard.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use m2285_tls::{TlsEngineConfig, TlsEvent, TlsSession, TlsSettings};

use super::{ChildGuard, Pki};

/// Upper bound for any one exchange with a peer.
pub const LIMIT: Duration = Duration::from_secs(20);

/// What a socket-driven session saw.
#[derive(Debug, Default)]
pub struct SocketLog {
    pub events: Vec<TlsEvent>,
    pub handshake_time: Option<Duration>,
}

/// Drives `sess` over `stream` until it is finished, the peer hangs up, or `limit` passes.
/// `on_event` may react to each event (echo, close).
pub fn drive_socket(
    mut stream: TcpStream,
    sess: &mut TlsSession,
    limit: Duration,
    mut on_event: impl FnMut(&mut TlsSession, &TlsEvent),
) -> SocketLog {
    let start = Instant::now();
    let mut log = SocketLog::default();
    stream
        .set_read_timeout(Some(Duration::from_millis(20)))
        .unwrap();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        while let Some(ev) = sess.poll_event() {
            if matches!(ev, TlsEvent::HandshakeComplete { .. }) {
                log.handshake_time = Some(start.elapsed());
            }
            on_event(sess, &ev);
            log.events.push(ev);
        }
        let out = sess.take_ciphertext();
        if !out.is_empty() && stream.write_all(&out).is_err() {
            break;
        }
        if sess.is_finished() || start.elapsed() > limit {
            break;
        }
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => sess.receive_ciphertext(&buf[..n]),
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(_) => break,
        }
    }
    let _ = stream.flush();
    let _ = stream.shutdown(std::net::Shutdown::Write);
    log
}

/// Our server on 127.0.0.1 (port 0), echoing every byte; it closes once `expect` bytes were
/// echoed or when the peer closes.
pub fn echo_server(cfg: TlsEngineConfig, expect: usize) -> (u16, thread::JoinHandle<SocketLog>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let handle = thread::spawn(move || {
        listener.set_nonblocking(true).unwrap();
        let end = Instant::now() + LIMIT;
        let stream = loop {
            match listener.accept() {
                Ok((s, _)) => break s,
                Err(_) if Instant::now() < end => thread::sleep(Duration::from_millis(5)),
                Err(e) => panic!("no connection: {e}"),
            }
        };
        stream.set_nonblocking(false).unwrap();
        let mut sess = TlsSession::new(&cfg, None, [42; 32]).unwrap();
        let mut echoed = 0;
        drive_socket(stream, &mut sess, LIMIT, |s, ev| match ev {
            TlsEvent::Plaintext(d) => {
                s.send_plaintext(d);
                echoed += d.len();
                if echoed >= expect {
                    s.close();
                }
            }
            TlsEvent::PeerClosed => s.close(),
            _ => {}
        })
    });
    (port, handle)
}

/// Runs `openssl s_client` against `port`, writes `input`, returns (exit ok, stdout, stderr).
pub fn s_client(port: u16, extra: &[&str], input: Vec<u8>) -> (bool, Vec<u8>, String) {
    let connect = format!("127.0.0.1:{port}");
    let mut args = vec!["s_client", "-connect", &connect, "-quiet"];
    args.extend(extra);
    let child = Command::new("openssl")
        .args(&args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the openssl binary is needed by these tests");
    let mut g = ChildGuard(child);
    let mut stdin = g.0.stdin.take().unwrap();
    let mut stdout = g.0.stdout.take().unwrap();
    let mut stderr = g.0.stderr.take().unwrap();
    let writer = thread::spawn(move || {
        let _ = stdin.write_all(&input);
        // Keep stdin open: s_client -quiet ignores EOF anyway; the server closes.
        thread::sleep(Duration::from_millis(50));
    });
    let reader = thread::spawn(move || {
        let mut out = Vec::new();
        let _ = stdout.read_to_end(&mut out);
        out
    });
    let err_reader = thread::spawn(move || {
        let mut err = String::new();
        let _ = stderr.read_to_string(&mut err);
        err
    });
    let status = g.wait_for(LIMIT);
    let _ = writer.join();
    let out = reader.join().unwrap();
    let err = err_reader.join().unwrap();
    (status.is_some_and(|s| s.success()), out, err)
}

/// `openssl s_server -rev` (answers each line reversed) with `cert`/`key`; returns its port.
pub fn s_server(pki: &Pki, cert: &str, key: &str) -> (u16, ChildGuard) {
    let child = Command::new("openssl")
        .args([
            "s_server",
            "-accept",
            "127.0.0.1:0",
            "-cert",
            &pki.path(cert),
            "-key",
            &pki.path(key),
        ])
        .args(["-rev", "-naccept", "1"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the openssl binary is needed by these tests");
    let mut g = ChildGuard(child);
    let mut stdout = g.0.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    thread::spawn(move || {
        let mut text = Vec::new();
        let mut byte = [0u8; 1];
        while let Ok(1) = stdout.read(&mut byte) {
            text.push(byte[0]);
            let line = String::from_utf8_lossy(&text).into_owned();
            if let Some(port) = line
                .lines()
                .find_map(|l| l.strip_prefix("ACCEPT 127.0.0.1:"))
            {
                if line.ends_with('\n') {
                    let _ = tx.send(port.trim().parse::<u16>().ok());
                    break;
                }
            }
        }
        // Keep draining so s_server never blocks on a full pipe.
        let mut sink = Vec::new();
        let _ = stdout.read_to_end(&mut sink);
    });
    let port = rx
        .recv_timeout(LIMIT)
        .ok()
        .flatten()
        .expect("s_server did not print its port");
    (port, g)
}

pub fn our_client(port: u16, settings: &TlsSettings, name: &str, line: &[u8]) -> SocketLog {
    let cfg = TlsEngineConfig::client(settings).unwrap();
    let stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let mut sess = TlsSession::new(&cfg, Some(name), [5; 32]).unwrap();
    sess.send_plaintext(line);
    let mut got = Vec::new();
    let want = line.len();
    drive_socket(stream, &mut sess, LIMIT, |s, ev| {
        if let TlsEvent::Plaintext(d) = ev {
            got.extend_from_slice(d);
            if got.len() >= want {
                s.close();
            }
        }
    })
}
