//! Measures in-memory handshakes (client and server sessions of this crate, one thread) and
//! bulk throughput. Run: `cargo run --release -p m2285-tls --example handshake_bench [N]`.

use std::error::Error;
use std::time::{Duration, Instant};

use m2285_tls::identity::{generate_self_signed, DEFAULT_NOT_AFTER, DEFAULT_NOT_BEFORE};
use m2285_tls::{TlsEngineConfig, TlsEvent, TlsSession, TlsSettings};

fn pump(a: &mut TlsSession, b: &mut TlsSession) -> bool {
    let bytes = a.take_ciphertext();
    b.receive_ciphertext(&bytes);
    !bytes.is_empty()
}

fn settle(c: &mut TlsSession, s: &mut TlsSession) {
    while pump(c, s) | pump(s, c) {}
}

fn main() -> Result<(), Box<dyn Error>> {
    let n: u32 = std::env::args()
        .nth(1)
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(200);
    let id = generate_self_signed("bench.test", [1; 32], DEFAULT_NOT_BEFORE, DEFAULT_NOT_AFTER)?;
    let server = TlsEngineConfig::server(&TlsSettings {
        cert_chain_pem: id.cert_pem.clone(),
        key_pem: id.key_pem.clone(),
        ..TlsSettings::default()
    })?;
    let client = TlsEngineConfig::client(&TlsSettings {
        verify_peer: true,
        ca_pem: Some(id.cert_pem.clone()),
        ..TlsSettings::default()
    })?;

    let mut times = Vec::new();
    for i in 0..n {
        let seed = i.to_le_bytes().repeat(8).try_into().unwrap_or([0; 32]);
        let start = Instant::now();
        let mut s = TlsSession::new(&server, None, seed)?;
        let mut c = TlsSession::new(&client, Some("bench.test"), seed)?;
        settle(&mut c, &mut s);
        times.push(start.elapsed());
        if !(c.is_established() && s.is_established()) {
            return Err(format!("handshake {i} failed: {:?}", c.poll_event()).into());
        }
    }
    times.sort();
    let total: Duration = times.iter().sum();
    println!(
        "{n} in-memory handshakes (client verifies, ECDHE X25519 + ECDSA P-256): mean {:?}, median {:?}, min {:?}",
        total / n.max(1),
        times[times.len() / 2],
        times[0]
    );

    let mut s = TlsSession::new(&server, None, [7; 32])?;
    let mut c = TlsSession::new(&client, Some("bench.test"), [8; 32])?;
    settle(&mut c, &mut s);
    let chunk = vec![0x5au8; 64 * 1024];
    let rounds = 256;
    let start = Instant::now();
    let mut got = 0usize;
    for _ in 0..rounds {
        c.send_plaintext(&chunk);
        pump(&mut c, &mut s);
        while let Some(ev) = s.poll_event() {
            if let TlsEvent::Plaintext(d) = ev {
                got += d.len();
            }
        }
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "bulk client->server: {} MiB in {:.3} s = {:.0} MiB/s (encrypt + decrypt, one thread)",
        got >> 20,
        secs,
        (got as f64 / (1 << 20) as f64) / secs
    );
    Ok(())
}
