//! Micro-benchmarks of Telnet IAC escaping and unescaping (`m2285_telnet::TelnetSession`), the
//! per-byte work on every byte of a Telnet or RFC 2217 session:
//!
//! * `send_data`: serial data to the network, IAC (0xFF) doubled;
//! * `receive`: network data to the serial port, IAC IAC folded, events polled.
//!
//! Three payloads of 4 KiB: no 0xFF, random bytes (1 in 256 is 0xFF), and all 0xFF (worst case:
//! the output doubles). Run with `cargo bench -p m2285-core --bench telnet`.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use m2285_telnet::{TelnetConfig, TelnetEvent, TelnetSession};
use std::hint::black_box;
use std::time::Duration;

const LEN: usize = 4096;

fn payloads() -> [(&'static str, Vec<u8>); 3] {
    // A fixed xorshift sequence: the same "random" bytes on every run.
    let mut x: u32 = 2285;
    let random = (0..LEN)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            (x >> 24) as u8
        })
        .collect();
    [
        ("no_iac", vec![0x5a; LEN]),
        ("random", random),
        ("all_iac", vec![0xff; LEN]),
    ]
}

/// A session past its opening negotiation (its output taken).
fn session() -> TelnetSession {
    let mut tn = TelnetSession::new(TelnetConfig::default());
    black_box(tn.take_output());
    tn
}

fn escape(c: &mut Criterion) {
    let mut g = c.benchmark_group("telnet_send_data");
    g.throughput(Throughput::Bytes(LEN as u64));
    for (name, data) in payloads() {
        g.bench_function(name, |b| {
            let mut tn = session();
            let mut out = Vec::with_capacity(2 * LEN);
            b.iter(|| {
                out.clear();
                tn.send_data(&data);
                tn.drain_output_into(&mut out);
                black_box(&out);
            });
        });
    }
    g.finish();
}

fn unescape(c: &mut Criterion) {
    let mut g = c.benchmark_group("telnet_receive");
    g.throughput(Throughput::Bytes(LEN as u64));
    for (name, data) in payloads() {
        // What a client sends for this data: IAC doubled.
        let mut wire = Vec::with_capacity(2 * LEN);
        for &b in &data {
            wire.push(b);
            if b == 0xff {
                wire.push(0xff);
            }
        }
        g.bench_function(name, |b| {
            let mut tn = session();
            b.iter(|| {
                tn.receive(&wire);
                let mut n = 0;
                while let Some(ev) = tn.poll_event() {
                    if let TelnetEvent::Data(d) = ev {
                        n += d.len();
                    }
                }
                black_box(n);
            });
        });
    }
    g.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
}

// In a private module: the function criterion_group! makes is public and undocumented.
mod group {
    use super::*;
    criterion_group! {
        name = benches;
        config = config();
        targets = escape, unescape
    }
}
criterion_main!(group::benches);
