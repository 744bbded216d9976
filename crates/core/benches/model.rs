//! Micro-benchmarks of the device model's hot paths, on synthetic time (no clock, no I/O):
//!
//! * `pacing`: one direction of the wire (`m2285_uart::PacedLine`), per character;
//! * `packetizer`: the serial→network buffer and its inter-character timeout;
//! * `device`: a whole `Device` moving 1 MiB serial→network to one TCP session.
//!
//! Run with `cargo bench -p m2285-core --bench model`; see docs/BENCHMARKS.md.

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use m2285_core::io::{Action, ConnId, ListenerId, NetEvent};
use m2285_core::port::packetizer::Packetizer;
use m2285_core::{Config, Device, Event, LineEvent};
use m2285_time::Instant;
use m2285_uart::{PacedLine, SerialParams};
use std::hint::black_box;
use std::net::SocketAddr;
use std::time::Duration;

const KIB4: usize = 4096;
const MIB: usize = 1024 * 1024;

fn params(baud: u32) -> SerialParams {
    SerialParams {
        baud,
        ..SerialParams::default()
    }
}

/// Framing and pacing per character: how the runtime drives a line.
fn pacing(c: &mut Criterion) {
    let mut g = c.benchmark_group("pacing");
    g.throughput(Throughput::Elements(KIB4 as u64));
    let p = params(921_600);
    let char_ns = p.burst_nanos(1);

    // A program writing one character at a time, each popped when it has crossed the wire.
    g.bench_function("push_pop_1_char_paced_921600", |b| {
        let mut line = PacedLine::new(p, KIB4, true);
        let mut out = Vec::with_capacity(KIB4);
        let mut t = Instant::ZERO;
        b.iter(|| {
            out.clear();
            for i in 0..KIB4 {
                line.push(&[i as u8], t);
                t += Duration::from_nanos(char_ns);
                line.pop_completed(t, &mut out);
            }
            black_box(&out);
        });
    });

    // A 4 KiB burst queued at once, then one wake-up per character deadline (the runtime's
    // worst case: it asks next_deadline and pops each character as it ends).
    g.bench_function("burst_4096_pop_each_deadline_paced", |b| {
        let mut out = Vec::with_capacity(KIB4);
        let data = vec![0x5au8; KIB4];
        b.iter_batched_ref(
            || PacedLine::new(p, KIB4, true),
            |line| {
                out.clear();
                line.push(&data, Instant::ZERO);
                while let Some(t) = line.next_deadline() {
                    line.pop_completed(t, &mut out);
                }
                black_box(&out);
            },
            BatchSize::SmallInput,
        );
    });

    // sim.pacing = false: characters finish the moment they are queued.
    g.bench_function("push_pop_4096_unpaced", |b| {
        let mut line = PacedLine::new(p, KIB4, false);
        let mut out = Vec::with_capacity(KIB4);
        let data = vec![0x5au8; KIB4];
        b.iter(|| {
            out.clear();
            line.push(&data, Instant::ZERO);
            line.pop_completed(Instant::ZERO, &mut out);
            black_box(&out);
        });
    });
    g.finish();
}

/// The inter-character timeout packetizer.
fn packetizer(c: &mut Criterion) {
    let mut g = c.benchmark_group("packetizer");
    g.throughput(Throughput::Bytes(KIB4 as u64));
    let char_time = params(921_600).char_time();

    // Timeout 0: every character is its own frame (what a paced line at 921600 delivers).
    g.bench_function("ict_0_one_char_per_push", |b| {
        let mut p = Packetizer::new(Duration::ZERO);
        let mut t = Instant::ZERO;
        b.iter(|| {
            let mut frames = 0usize;
            for i in 0..KIB4 {
                t += char_time;
                p.push(&[i as u8], t, &mut |f| frames += f.len());
            }
            black_box(frames);
        });
    });

    // Timeout 5 ms: characters collect; the deadline is checked after each, as the runtime
    // does, and the frame goes out when the gap comes (here after the 4 KiB, when it is full).
    g.bench_function("ict_5ms_one_char_per_push", |b| {
        let mut p = Packetizer::new(Duration::from_millis(5));
        let mut t = Instant::ZERO;
        b.iter(|| {
            let mut frames = 0usize;
            for i in 0..KIB4 {
                t += char_time;
                p.push(&[i as u8], t, &mut |f| frames += f.len());
                p.handle_timeout(t, &mut |f| frames += f.len());
            }
            t += Duration::from_millis(6);
            p.handle_timeout(t, &mut |f| frames += f.len());
            black_box(frames);
        });
    });

    // Unpaced input in 4 KiB reads with timeout 0: one frame per read.
    g.bench_function("ict_0_4096_per_push", |b| {
        let mut p = Packetizer::new(Duration::ZERO);
        let data = vec![0x5au8; KIB4];
        b.iter(|| {
            let mut frames = 0usize;
            p.push(&data, Instant::ZERO, &mut |f| frames += f.len());
            black_box(frames);
        });
    });
    g.finish();
}

fn device(sets: &[&str]) -> Device {
    let config = Config::factory()
        .with_sets(sets.iter().copied())
        .unwrap_or_else(|e| panic!("bad bench config: {e:?}"));
    let mut d = Device::new(config, Instant::ZERO);
    while d.poll_action().is_some() {}
    d.handle(
        Event::Net(NetEvent::Accepted {
            listener: ListenerId::Data,
            conn: ConnId(1),
            peer: SocketAddr::from(([127, 0, 0, 1], 40001)),
        }),
        Instant::ZERO,
    );
    while d.poll_action().is_some() {}
    d
}

/// Moves `total` bytes from the serial side to session 1 the way the real-time runtime does:
/// read as far as `serial_input_room`, hand the bytes over, carry out the actions, and when the
/// wire is full sleep until `next_deadline`. Returns the bytes that reached the session.
fn serial_to_network(d: &mut Device, total: usize, data: &[u8]) -> usize {
    let mut fed = 0;
    let mut sent = 0;
    let mut now = Instant::ZERO;
    while sent < total {
        let room = d.serial_input_room().min(total - fed).min(data.len());
        if room > 0 {
            d.handle(Event::Line(LineEvent::Received(data[..room].to_vec())), now);
            fed += room;
        }
        d.handle_timeout(now);
        while let Some(a) = d.poll_action() {
            if let Action::Send { data, .. } = a {
                sent += data.len();
            }
        }
        if room == 0 || fed == total {
            match d.next_deadline() {
                Some(t) => now = t.max(now),
                None => panic!("stalled: {sent} of {total} bytes sent, nothing scheduled"),
            }
        }
    }
    sent
}

/// A whole device, 1 MiB serial→network with one session.
fn device_model(c: &mut Criterion) {
    let mut g = c.benchmark_group("device");
    g.throughput(Throughput::Bytes(MIB as u64));
    g.sample_size(10);
    let data = vec![0x5au8; KIB4];

    g.bench_function("1MiB_serial_to_network_unpaced_ict0", |b| {
        b.iter_batched_ref(
            || device(&["sim.pacing=false", "port1.serial.inter_char_timeout_ms=0"]),
            |d| black_box(serial_to_network(d, MIB, &data)),
            BatchSize::LargeInput,
        );
    });

    // Paced at 921600 with timeout 0: 11.4 s of device time, one deadline per character.
    g.bench_function("1MiB_serial_to_network_921600_ict0", |b| {
        b.iter_batched_ref(
            || {
                device(&[
                    "port1.serial.baud=921600",
                    "port1.serial.inter_char_timeout_ms=0",
                ])
            },
            |d| black_box(serial_to_network(d, MIB, &data)),
            BatchSize::LargeInput,
        );
    });

    // Paced at 921600 with a 1 ms timeout: characters collect into frames.
    g.bench_function("1MiB_serial_to_network_921600_ict1ms", |b| {
        b.iter_batched_ref(
            || {
                device(&[
                    "port1.serial.baud=921600",
                    "port1.serial.inter_char_timeout_ms=1",
                ])
            },
            |d| black_box(serial_to_network(d, MIB, &data)),
            BatchSize::LargeInput,
        );
    });
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
        targets = pacing, packetizer, device_model
    }
}
criterion_main!(group::benches);
