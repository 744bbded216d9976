//! Faults at the real-time boundaries through `ctl fault`, against the built binary with a real
//! PTY and loopback sockets: bit errors, partitions with the keep-alive the runtime emulates,
//! latency, the fault list, and mistakes refused with a message naming them.

mod common;

use common::ctl::http;
use common::*;
use nix::sys::termios::BaudRate;
use serde_json::Value;
use std::io::Write;
use std::time::{Duration, Instant};

const FAST: &[&str] = &["--set", "port1.serial.baud=921600"];

/// Bytes that differ, and bits that differ, between what was sent and what arrived.
fn damage(sent: &[u8], got: &[u8]) -> (u64, u64) {
    sent.iter()
        .zip(got)
        .map(|(a, b)| (u64::from(a != b), u64::from((a ^ b).count_ones())))
        .fold((0, 0), |(x, y), (a, b)| (x + a, y + b))
}

fn fault_list(sim: &Sim) -> Vec<Value> {
    sim.ctl_ok(&["fault", "list"])["faults"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// Reads until nothing more arrives for half a second (or `limit` passed).
fn read_until_quiet(f: &mut impl ReadFd, limit: Duration) -> Vec<u8> {
    let end = Instant::now() + limit;
    let mut got = Vec::new();
    while Instant::now() < end {
        let more = read_for(f, 65536, Duration::from_millis(500));
        if more.is_empty() {
            break;
        }
        got.extend_from_slice(&more);
    }
    got
}

#[test]
fn bit_errors_hit_the_frames_at_the_set_rate_both_ways() {
    let mut sim = Sim::start(&[FAST, &["--seed", "11"]].concat());
    let mut peer = sim.connect();
    sim.wait_event("session_opened", Duration::from_secs(5));
    let mut serial = sim.open_serial(BaudRate::B921600);
    let added = sim.ctl_ok(&["fault", "add", "serial.bit_errors", "ber=0.01", "id=noise"]);
    assert_eq!(added["added"]["state"], "active", "{added}");
    assert_eq!(added["added"]["params"]["ber"], "0.01");
    // 20 000 characters of 10 bits (8N1) at a bit error rate of 1 %: 2000 flips each way
    // (sd 45), and a frame survives its 10 bits with probability 0.99^10, so 9.56 % of the
    // frames are hit (sd 0.2 %). The receiving UART samples the damaged frames like a real
    // one: a hit start bit makes it resynchronise, so characters may be split or merged and
    // the count may change a little (the same rule as in virtual time, m2285-boundary).
    let n = 20_000;
    let to_device = random_bytes(n, 1);
    let writer = write_in_thread(serial.try_clone().expect("clone"), to_device.clone());
    let got_in = read_until_quiet(&mut peer, Duration::from_secs(20));
    writer.join().expect("writer");
    let from_device = random_bytes(n, 2);
    peer.write_all(&from_device).expect("peer write");
    let got_out = read_until_quiet(&mut serial, Duration::from_secs(20));
    for (way, sent, got) in [
        ("to device", &to_device, &got_in),
        ("from device", &from_device, &got_out),
    ] {
        let (changed, _) = damage(sent, got);
        println!(
            "{way}: {} bytes arrived of {n}, {changed} differ in place",
            got.len()
        );
        assert!(
            got.len().abs_diff(n) < n / 20,
            "{way}: {} arrived",
            got.len()
        );
        assert!(
            changed > n as u64 / 20,
            "{way}: only {changed} bytes changed"
        );
    }
    let list = fault_list(&sim);
    let c = &list[0]["counters"];
    assert_eq!(c["bytes"], 2 * n as u64, "{c}");
    let bits = c["bits_flipped"].as_u64().unwrap_or(0);
    let frames = c["bytes_changed"].as_u64().unwrap_or(0);
    assert!((3600..4400).contains(&bits), "{c}");
    assert!((3500..4150).contains(&frames), "{c}");
    // Every character is accounted for: received = sent − dropped + added.
    let dropped = c["bytes_dropped"].as_u64().unwrap_or(0);
    let added = c["bytes_added"].as_u64().unwrap_or(0);
    assert_eq!(
        (got_in.len() + got_out.len()) as u64,
        2 * n as u64 - dropped + added,
        "{c}"
    );
    println!(
        "realized bit error rate {:.5} (set 0.01)",
        bits as f64 / (2 * n * 10) as f64
    );
    // Cleared, the line is clean again.
    sim.ctl_ok(&["fault", "clear", "noise"]);
    peer.write_all(b"clean line").expect("peer write");
    assert_eq!(
        read_for(&mut serial, 10, Duration::from_secs(5)),
        b"clean line"
    );
}

#[test]
fn a_partition_stops_traffic_and_keepalive_closes_the_session() {
    let mut sim = Sim::start(&[
        "--set",
        "network.tcp_keepalive.time_s=1",
        "--set",
        "network.tcp_keepalive.interval_s=1",
        "--set",
        "network.tcp_keepalive.probes=2",
        "--set",
        "port1.host.inactivity_timeout_s=0",
    ]);
    let mut peer = sim.connect();
    sim.wait_event("session_opened", Duration::from_secs(5));
    let mut serial = sim.open_serial(BaudRate::B9600);
    peer.write_all(b"before").expect("write");
    assert_eq!(read_for(&mut serial, 6, Duration::from_secs(5)), b"before");
    let cut = Instant::now();
    sim.ctl_ok(&["fault", "add", "net.partition", "id=cable"]);
    peer.write_all(b"during").expect("write");
    // Keep-alive: time 1 s, then 2 probes 1 s apart. The last answered probe was at most 1 s
    // before the partition, so the session dies between 2 and 3 s after it.
    let closed = sim.wait_for("session_closed", |_| true, Duration::from_secs(15));
    let after = cut.elapsed();
    assert_eq!(closed["reason"]["failed"], "keep-alive timeout", "{closed}");
    assert!(after >= Duration::from_secs(2), "closed after {after:?}");
    println!("session declared dead {after:?} after the partition");
    assert!(
        read_for(&mut serial, 1, Duration::from_millis(100)).is_empty(),
        "data crossed the partition"
    );
    // The peer hears nothing while the cable is out; when it is back, its connection is reset.
    assert!(!closed_within(&mut peer, Duration::from_millis(300)));
    let list = fault_list(&sim);
    assert_eq!(list[0]["counters"]["sessions_failed"], 1, "{list:?}");
    sim.ctl_ok(&["fault", "clear", "cable"]);
    assert!(closed_within(&mut peer, Duration::from_secs(5)));
    // A new session works.
    let mut again = sim.connect();
    sim.wait_for(
        "session_opened",
        |v| v["conn"] != closed["conn"],
        Duration::from_secs(5),
    );
    again.write_all(b"after").expect("write");
    assert_eq!(read_for(&mut serial, 5, Duration::from_secs(5)), b"after");
}

#[test]
fn a_short_partition_holds_traffic_both_ways_and_then_delivers_it() {
    let mut sim = Sim::start(FAST);
    let mut peer = sim.connect();
    sim.wait_event("session_opened", Duration::from_secs(5));
    let mut serial = sim.open_serial(BaudRate::B921600);
    sim.ctl_ok(&["fault", "add", "net.partition", "id=blip"]);
    peer.write_all(b"down").expect("write");
    serial.write_all(b"up").expect("write");
    assert!(read_for(&mut serial, 4, Duration::from_millis(500)).is_empty());
    assert!(read_for(&mut peer, 2, Duration::from_millis(200)).is_empty());
    sim.ctl_ok(&["fault", "clear", "blip"]);
    assert_eq!(read_for(&mut serial, 4, Duration::from_secs(5)), b"down");
    assert_eq!(read_for(&mut peer, 2, Duration::from_secs(5)), b"up");
    assert!(sim.seen.iter().all(|v| v["event"] != "session_closed"));
}

#[test]
fn latency_delays_each_way_by_at_least_its_delay() {
    let mut sim = Sim::start(FAST);
    let mut peer = sim.connect();
    sim.wait_event("session_opened", Duration::from_secs(5));
    let mut serial = sim.open_serial(BaudRate::B921600);
    sim.ctl_ok(&[
        "fault",
        "add",
        "net.latency",
        "delay=300ms",
        "jitter=50ms",
        "direction=to_device",
    ]);
    let sent = Instant::now();
    peer.write_all(b"slow").expect("write");
    assert_eq!(read_for(&mut serial, 4, Duration::from_secs(5)), b"slow");
    let took = sent.elapsed();
    assert!(took >= Duration::from_millis(300), "{took:?}");
    // The other way is not delayed; only a lower bound is safe to assert for the first way.
    serial.write_all(b"fast").expect("write");
    assert_eq!(read_for(&mut peer, 4, Duration::from_secs(5)), b"fast");
}

#[test]
fn faults_are_listed_and_cleared_and_mistakes_are_named() {
    let sim = Sim::start(&[]);
    sim.ctl_ok(&[
        "fault",
        "add",
        "serial.drop",
        "probability=5%",
        "direction=from_device",
    ]);
    sim.ctl_ok(&["fault", "add", "net.partition", "id=later", "start=1h"]);
    let list = fault_list(&sim);
    let states: Vec<(&str, &str)> = list
        .iter()
        .map(|f| {
            (
                f["id"].as_str().unwrap_or(""),
                f["state"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(states, [("serial.drop", "active"), ("later", "pending")]);
    let cleared = sim.ctl_ok(&["fault", "clear", "later"]);
    assert_eq!(cleared["cleared"][0]["id"], "later");
    assert_eq!(fault_list(&sim).len(), 1);
    sim.ctl_ok(&["fault", "clear"]);
    assert!(fault_list(&sim).is_empty());
    let (code, _, err) = sim.ctl(&["fault", "clear", "nothing"]);
    assert_eq!(code, 1);
    assert!(err.contains("404") && err.contains("nothing"), "{err}");
    // Mistakes: a 4xx with a JSON error naming the fault or the parameter.
    let (code, _, err) = sim.ctl(&["fault", "add", "serial.bit_errors", "ber=often"]);
    assert_eq!(code, 1);
    assert!(err.contains("`ber`") && err.contains("often"), "{err}");
    let (status, body) = http(&sim, "POST", "/faults", r#"{"name":"net.gremlins"}"#);
    assert_eq!(status, 400);
    let e = body["error"].as_str().unwrap_or("");
    assert!(
        e.contains("net.gremlins") && e.contains("net.partition"),
        "{e}"
    );
    let (status, body) = http(
        &sim,
        "POST",
        "/faults",
        r#"{"name":"net.latency","params":{"delay":"5ms","colour":"red"}}"#,
    );
    assert_eq!(status, 400);
    assert!(
        body["error"].as_str().unwrap_or("").contains("`colour`"),
        "{body}"
    );
    let (status, body) = http(
        &sim,
        "POST",
        "/faults",
        r#"{"name":"net.loss","params":{"probability":"0.1"}}"#,
    );
    // Real time carries the packet faults too (crates/sim/tests/net_faults.rs).
    assert_eq!(status, 201, "{body}");
    assert_eq!(http(&sim, "PUT", "/faults", "").0, 405);
}

#[test]
fn the_trace_file_has_device_events_data_and_faults_stamped_with_device_time() {
    let dir = temp_dir("trace");
    let path = dir.join("run.jsonl");
    let mut sim = Sim::start(&["--trace", path.to_str().unwrap_or_default(), "--seed", "4"]);
    let mut peer = sim.connect();
    sim.wait_event("session_opened", Duration::from_secs(5));
    let mut serial = sim.open_serial(BaudRate::B9600);
    sim.ctl_ok(&[
        "fault",
        "add",
        "serial.parity_errors",
        "probability=1",
        "direction=to_device",
    ]);
    peer.write_all(b"hello").expect("write");
    assert_eq!(read_for(&mut serial, 5, Duration::from_secs(5)), b"hello");
    serial.write_all(&[0x00]).expect("write");
    assert_eq!(read_for(&mut peer, 1, Duration::from_secs(5)).len(), 1);
    sim.terminate();
    let text = std::fs::read_to_string(&path).expect("trace written");
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l}: {e}")))
        .collect();
    let has = |pred: &dyn Fn(&Value) -> bool, what: &str| {
        assert!(lines.iter().any(pred), "no {what} in\n{text}");
    };
    has(
        &|v| v["ev"] == "device" && v["event"] == "session_opened",
        "session_opened",
    );
    has(
        &|v| v["ev"] == "net_event" && v["kind"] == "received" && v["data"] == "hello",
        "received",
    );
    let out: String = lines
        .iter()
        .filter(|v| v["ev"] == "serial_out")
        .filter_map(|v| v["data"].as_str())
        .collect();
    assert_eq!(out, "hello", "serial_out records");
    has(
        &|v| v["ev"] == "action" && v["action"] == "set_keepalive",
        "set_keepalive",
    );
    has(
        &|v| v["ev"] == "fault" && v["name"] == "serial.parity_errors" && v["on"] == true,
        "fault",
    );
    // The program's NUL was damaged on the way in: the trace shows what was sent.
    has(
        &|v| v["ev"] == "serial_in" && v["sent"] == "\u{0}" && v["data"] != "\u{0}",
        "serial_in",
    );
    has(&|v| v["ev"] == "action" && v["action"] == "send", "send");
    has(
        &|v| v["ev"] == "device" && v["event"] == "shutdown",
        "shutdown",
    );
    let times: Vec<u64> = lines
        .iter()
        .map(|v| v["t_ns"].as_u64().unwrap_or(0))
        .collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "time goes back");
    assert!(text.lines().all(|l| l.starts_with(r#"{"t_ns":"#)));
}

#[test]
fn a_reset_ends_the_session_on_both_sides_once() {
    let mut sim = Sim::start(&[]);
    let mut peer = sim.connect();
    sim.wait_event("session_opened", Duration::from_secs(5));
    sim.ctl_ok(&["fault", "add", "net.reset"]);
    let closed = sim.wait_event("session_closed", Duration::from_secs(5));
    assert_eq!(
        closed["reason"]["failed"], "connection reset by peer",
        "{closed}"
    );
    assert!(closed_within(&mut peer, Duration::from_secs(5)));
    // One-shot: it ended at once, and a new session is not reset.
    assert!(fault_list(&sim).is_empty());
    let mut again = sim.connect();
    let mut serial = sim.open_serial(BaudRate::B9600);
    sim.wait_for(
        "session_opened",
        |v| v["conn"] != closed["conn"],
        Duration::from_secs(5),
    );
    again.write_all(b"ok").expect("write");
    assert_eq!(read_for(&mut serial, 2, Duration::from_secs(5)), b"ok");
}
