//! The TLS layer (`crates/tls`): the engine fed any bytes never panics, whether they arrive
//! before the handshake (as a ClientHello to the server, or as the server's answer to the
//! client) or after a real handshake as records. Garbage never becomes plaintext (it cannot
//! carry a valid MAC), and what the engine sends back stays bounded.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use m2285_fuzz::Ops;
use m2285_tls::identity::{generate_self_signed, DEFAULT_NOT_AFTER, DEFAULT_NOT_BEFORE};
use m2285_tls::{TlsEngineConfig, TlsEvent, TlsSession, TlsSettings};

/// The most the engine may answer to one chunk of garbage: a full server flight (hello,
/// certificate, key exchange, done) or an alert.
const MAX_ANSWER: usize = 8 * 1024;

/// Largest TLS 1.2 record on the wire: header plus 2^14 bytes plus expansion (RFC 5246 6.2.3).
const MAX_RECORD: usize = 5 + 16 * 1024 + 2048;

struct Configs {
    server: TlsEngineConfig,
    client: TlsEngineConfig,
}

fn configs() -> &'static Configs {
    static CONFIGS: OnceLock<Configs> = OnceLock::new();
    CONFIGS.get_or_init(|| {
        let id = generate_self_signed("fuzz.test", [7; 32], DEFAULT_NOT_BEFORE, DEFAULT_NOT_AFTER)
            .expect("a self-signed identity");
        let server = TlsSettings {
            cert_chain_pem: id.cert_pem,
            key_pem: id.key_pem,
            ..TlsSettings::default()
        };
        Configs {
            server: TlsEngineConfig::server(&server).expect("server config"),
            client: TlsEngineConfig::client(&TlsSettings::default()).expect("client config"),
        }
    })
}

/// Feeds `bytes` to `session` chunk by chunk; checks the answers and that no plaintext appears.
fn feed_garbage(session: &mut TlsSession, ops: &mut Ops) {
    loop {
        let chunk = ops.chunk();
        if chunk.is_empty() {
            return;
        }
        session.receive_ciphertext(chunk);
        let answer = session.take_ciphertext();
        assert!(
            answer.len() <= MAX_ANSWER,
            "{} bytes answered",
            answer.len()
        );
        while let Some(event) = session.poll_event() {
            assert!(
                !matches!(event, TlsEvent::Plaintext(_)),
                "garbage became plaintext"
            );
        }
        if session.is_finished() {
            return;
        }
    }
}

/// Moves everything queued between the two until both are quiet; true when both are established.
fn handshake(client: &mut TlsSession, server: &mut TlsSession) -> bool {
    for _ in 0..100 {
        let to_server = client.take_ciphertext();
        let to_client = server.take_ciphertext();
        if to_server.is_empty() && to_client.is_empty() {
            break;
        }
        server.receive_ciphertext(&to_server);
        client.receive_ciphertext(&to_client);
    }
    while client.poll_event().is_some() || server.poll_event().is_some() {}
    client.is_established() && server.is_established()
}

fuzz_target!(|data: &[u8]| {
    let mut ops = Ops::new(data);
    let Some(mode) = ops.byte() else {
        return;
    };
    let c = configs();
    let Ok(mut server) = TlsSession::new(&c.server, None, [1; 32]) else {
        return;
    };
    match mode % 4 {
        // Garbage as the first bytes a client sends.
        0 | 1 => feed_garbage(&mut server, &mut ops),
        // Garbage as the server's answer to our ClientHello.
        2 => {
            let Ok(mut client) = TlsSession::new(&c.client, Some("fuzz.test"), [2; 32]) else {
                return;
            };
            let _hello = client.take_ciphertext();
            feed_garbage(&mut client, &mut ops);
        }
        // A real handshake, then garbage records to the server; then a clean record still
        // decrypts, or the session ended (failed, or the garbage was a partial record header
        // that swallows what follows: more bytes then complete it and its MAC check fails).
        _ => {
            let Ok(mut client) = TlsSession::new(&c.client, Some("fuzz.test"), [2; 32]) else {
                return;
            };
            assert!(
                handshake(&mut client, &mut server),
                "the clean handshake failed"
            );
            feed_garbage(&mut server, &mut ops);
            client.send_plaintext(b"ping");
            server.receive_ciphertext(&client.take_ciphertext());
            let (mut got, mut ended) = (Vec::new(), server.is_finished());
            for round in 0..2 {
                while let Some(event) = server.poll_event() {
                    match event {
                        TlsEvent::Plaintext(p) => got.extend_from_slice(&p),
                        TlsEvent::Failed { .. } | TlsEvent::PeerClosed => ended = true,
                        TlsEvent::HandshakeComplete { .. } => {}
                    }
                }
                if round == 0 && got.is_empty() && !ended {
                    server.receive_ciphertext(&[0; MAX_RECORD + 64]);
                }
            }
            assert!(got == b"ping" || ended, "stuck: {got:?}");
        }
    }
});
