//! The virtual-time runtime driven from Rust: the same powers as a scenario file.

use m2285_core::Config;
use m2285_time::Instant;
use m2285_virtual::network::PeerState;
use m2285_virtual::trace::TraceOptions;
use m2285_virtual::{FaultSpec, SimConfig, Simulation};
use std::time::Duration;

fn sim(sets: &[&str]) -> Simulation {
    let config = Config::factory()
        .with_sets(sets.iter().copied())
        .unwrap_or_else(|e| panic!("bad test config: {e:?}"));
    let mut cfg = SimConfig::new(config);
    cfg.seed = 7;
    cfg.trace = TraceOptions {
        json: true,
        ..TraceOptions::default()
    };
    let mut sim = Simulation::new(cfg);
    sim.add_peer("scada", None)
        .unwrap_or_else(|e| panic!("{e}"));
    sim
}

fn ok<T, E: std::fmt::Debug>(r: Result<T, E>) -> T {
    r.unwrap_or_else(|e| panic!("{e:?}"))
}

fn wait(sim: &mut Simulation, within: Duration, cond: impl FnMut(&Simulation) -> bool) -> bool {
    let deadline = sim.now() + within;
    ok(sim.run_until(deadline, cond))
}

fn fault(name: &str, params: &[(&str, &str)]) -> FaultSpec {
    ok(FaultSpec::parse(name, params.iter().copied()))
}

fn connected(sim: &mut Simulation) {
    ok(sim.peer_connect("scada"));
    assert!(wait(sim, Duration::from_millis(10), |s| {
        s.peer("scada").map(|p| p.state) == Some(PeerState::Connected)
            && s.session_of("scada").is_some_and(|r| r.closed.is_none())
    }));
}

#[test]
fn bytes_flow_both_ways_at_line_speed() {
    let mut sim = sim(&[]);
    connected(&mut sim);
    ok(sim.peer_send("scada", b"ping\r"));
    let sent_at = sim.now();
    assert!(wait(&mut sim, Duration::from_millis(20), |s| s
        .serial_find(b"ping\r")
        .is_some()));
    // Five characters at 9600 8N1 take 5.2 ms after a LAN hop.
    let took = sim.now() - sent_at;
    assert!(took >= Duration::from_micros(5200), "{took:?}");
    assert!(took < Duration::from_millis(6), "{took:?}");
    sim.serial_write(b"pong\r");
    assert!(wait(&mut sim, Duration::from_millis(20), |s| s
        .peer_find("scada", b"pong\r")
        .is_some()));
    assert_eq!(sim.stat("serial_rx_bytes"), Some(5));
    assert_eq!(sim.stat("serial_tx_bytes"), Some(5));
}

#[test]
fn keepalive_declares_a_partitioned_peer_dead_after_time_plus_probes_times_interval() {
    let mut sim = sim(&[]);
    connected(&mut sim);
    ok(sim.run_for(Duration::from_secs(1)));
    ok(sim.peer_send("scada", b"x"));
    assert!(wait(&mut sim, Duration::from_millis(20), |s| s
        .serial_find(b"x")
        .is_some()));
    // The last segment the device heard from the peer: the data segment.
    let json =
        String::from_utf8(sim.trace().json().unwrap_or_default().to_vec()).unwrap_or_default();
    let last_in: u64 = json
        .lines()
        .filter(|l| l.contains(r#""ev":"packet""#) && l.contains(r#""dir":"in""#))
        .filter_map(|l| {
            l.strip_prefix(r#"{"t_ns":"#)?
                .split(',')
                .next()?
                .parse()
                .ok()
        })
        .next_back()
        .unwrap_or_default();
    sim.inject(fault("net.partition", &[]));
    let partition_at = sim.now();
    assert!(wait(&mut sim, Duration::from_secs(60), |s| s
        .session_of("scada")
        .and_then(|r| r.closed.as_ref())
        .is_some()));
    let (closed_at, why) = sim
        .session_of("scada")
        .and_then(|r| r.closed.clone())
        .unwrap_or_default();
    assert_eq!(why, "failed: keep-alive timeout");
    // Factory settings: 15 s idle, then 3 probes 5 s apart.
    assert_eq!(
        closed_at,
        Instant::from_nanos(last_in) + Duration::from_secs(30)
    );
    let after_partition = closed_at - partition_at;
    assert!(
        after_partition > Duration::from_millis(29_990)
            && after_partition <= Duration::from_secs(30),
        "{after_partition:?}"
    );
    assert_eq!(sim.stat("session_errors"), Some(1));
}

#[test]
fn answered_probes_keep_an_idle_session_up() {
    let mut sim = sim(&["port1.host.inactivity_timeout_s=0"]);
    connected(&mut sim);
    ok(sim.run_for(Duration::from_secs(600)));
    assert!(sim.session_of("scada").is_some_and(|s| s.closed.is_none()));
    let json =
        String::from_utf8(sim.trace().json().unwrap_or_default().to_vec()).unwrap_or_default();
    // A probe every 15 s of idleness, each answered.
    let probes = json
        .lines()
        .filter(|l| l.contains(r#""dir":"out""#) && l.contains(r#""flags":"A""#))
        .count();
    assert!(probes >= 39, "{probes}");
}

#[test]
fn connecting_to_a_closed_port_is_refused_and_a_partition_times_out() {
    let mut sim = sim(&[]);
    ok(sim.peer_connect_port("scada", 23));
    assert!(wait(&mut sim, Duration::from_millis(5), |s| s
        .peer("scada")
        .is_some_and(|p| p.state == PeerState::Refused)));
    sim.inject(fault("net.partition", &[]));
    ok(sim.peer_connect("scada"));
    let start = sim.now();
    assert!(wait(&mut sim, Duration::from_secs(200), |s| s
        .peer("scada")
        .is_some_and(|p| p.state == PeerState::TimedOut)));
    // Six SYN retransmissions 1, 2, 4, 8, 16, 32 s apart, then 64 s more: 127 s.
    assert_eq!(sim.now() - start, Duration::from_secs(127));
}

#[test]
fn refuse_fault_and_session_limit() {
    let mut sim = sim(&[]);
    sim.inject(fault("net.refuse", &[("duration", "1s")]));
    ok(sim.peer_connect("scada"));
    assert!(wait(&mut sim, Duration::from_millis(5), |s| s
        .peer("scada")
        .is_some_and(|p| p.state == PeerState::Refused)));
    ok(sim.run_for(Duration::from_secs(1)));
    connected(&mut sim);
    ok(sim.add_peer("second", None));
    ok(sim.peer_connect("second"));
    // The device accepts and closes at once: one session allowed by default.
    assert!(wait(&mut sim, Duration::from_millis(10), |s| s
        .peer("second")
        .is_some_and(|p| p.state == PeerState::Closed)));
    assert_eq!(sim.stat("connections_rejected"), Some(1));
}

#[test]
fn power_cycle_loses_sessions_and_peers_learn_it_from_a_reset() {
    let mut sim = sim(&["sim.boot_time_ms=500"]);
    connected(&mut sim);
    ok(sim.run_for(Duration::from_millis(100)));
    sim.power_cycle(Duration::from_secs(2));
    assert!(sim.device().is_none());
    ok(sim.run_for(Duration::from_secs(3)));
    assert!(sim.device().is_some());
    assert_eq!(sim.stat("connections_accepted"), Some(0));
    ok(sim.peer_send("scada", b"anyone?"));
    assert!(wait(&mut sim, Duration::from_millis(10), |s| s
        .peer("scada")
        .is_some_and(|p| p.state == PeerState::Reset)));
    connected(&mut sim);
    assert_eq!(sim.stat("connections_accepted"), Some(1));
}

#[test]
fn lossy_link_still_delivers_every_byte_in_order() {
    let mut sim = sim(&["sim.pacing=false"]);
    connected(&mut sim);
    for (name, p) in [
        ("net.loss", "0.3"),
        ("net.duplicate", "0.2"),
        ("net.reorder", "0.3"),
    ] {
        sim.inject(fault(name, &[("probability", p)]));
    }
    let data: Vec<u8> = (0..20_000u32).map(|i| (i % 251) as u8).collect();
    ok(sim.peer_send("scada", &data));
    assert!(wait(&mut sim, Duration::from_secs(120), |s| s
        .serial_received()
        .len()
        >= data.len()));
    assert_eq!(sim.serial_received(), &data[..]);
}

#[test]
fn reset_fault_fails_the_session() {
    let mut sim = sim(&[]);
    connected(&mut sim);
    sim.inject(fault("net.reset", &[("peer", "scada")]));
    assert!(wait(&mut sim, Duration::from_millis(1), |s| s
        .session_of("scada")
        .and_then(|r| r.closed.clone())
        .is_some_and(|(_, why)| why.contains("reset"))));
    assert_eq!(sim.peer("scada").map(|p| p.state), Some(PeerState::Reset));
}

#[test]
fn tcp_client_mode_dials_a_server_when_serial_data_arrives() {
    let mut sim = sim(&[
        "port1.host.listen_port=0",
        "port1.remote_hosts[0].host=127.0.0.50",
        "port1.remote_hosts[0].port=9000",
    ]);
    ok(sim.add_server(
        "collector",
        "127.0.0.50:9000".parse().unwrap_or_else(|e| panic!("{e}")),
    ));
    sim.serial_write(b"hello\r");
    assert!(wait(&mut sim, Duration::from_millis(100), |s| s
        .peer_find("collector", b"hello\r")
        .is_some()));
    assert_eq!(
        sim.peer("collector").map(|p| p.state),
        Some(PeerState::Connected)
    );
    ok(sim.peer_send("collector", b"ack\r"));
    assert!(wait(&mut sim, Duration::from_millis(20), |s| s
        .serial_find(b"ack\r")
        .is_some()));
}

#[test]
fn tcp_client_mode_is_refused_by_a_closed_port_and_gives_up_on_a_dead_address() {
    // The device's own connect timer (10 s) ends the attempt at a silent address long before
    // the SYN retransmissions would.
    for (host, reason, after) in [
        ("127.0.0.50", "refused", Duration::from_micros(200)),
        ("127.0.0.99", "timeout", Duration::from_secs(10)),
    ] {
        let mut sim = sim(&[
            "port1.host.listen_port=0",
            &format!("port1.remote_hosts[0].host={host}"),
            "port1.remote_hosts[0].port=9001",
        ]);
        ok(sim.add_server(
            "collector",
            "127.0.0.50:9000".parse().unwrap_or_else(|e| panic!("{e}")),
        ));
        sim.serial_write(b"x");
        let start = sim.now();
        assert!(
            wait(&mut sim, Duration::from_secs(15), |s| {
                let json =
                    String::from_utf8_lossy(s.trace().json().unwrap_or_default()).into_owned();
                json.lines()
                    .any(|l| l.contains(r#""event":"connect_failed""#) && l.contains(reason))
            }),
            "{host}: no {reason}"
        );
        let took = sim.now() - start;
        assert!(took <= after + Duration::from_millis(2), "{host}: {took:?}");
    }
}

#[test]
fn input_lines_reach_the_device() {
    let mut sim = sim(&[]);
    sim.set_input_line(m2285_core::lines::InputLine::Dsr, false);
    assert_eq!(sim.device().map(|d| d.lines().dsr), Some(false));
    sim.set_input_line(m2285_core::lines::InputLine::Dsr, true);
    assert_eq!(sim.device().map(|d| d.lines().dsr), Some(true));
}
