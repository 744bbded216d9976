//! The `tls.*` faults in virtual time, with a TLS client peer driven through the Rust API: the
//! peer speaks TLS with the sans-IO `m2285_tls::TlsSession` over the simulated link, and the
//! device (port1.crypto.method = "ssl") serves it with a seeded self-signed certificate.

use m2285_core::{Config, TlsMaterial};
use m2285_tls::{identity, TlsEngineConfig, TlsEvent, TlsSession, TlsSettings};
use m2285_virtual::network::PeerState;
use m2285_virtual::sim::SIM_EPOCH_UNIX;
use m2285_virtual::{FaultSpec, SimConfig, Simulation};
use std::time::Duration;

fn ok<T, E: std::fmt::Debug>(r: Result<T, E>) -> T {
    r.unwrap_or_else(|e| panic!("{e:?}"))
}

/// A device serving TLS on its data port, and a peer "scada".
fn sim() -> Simulation {
    let config =
        ok(Config::factory().with_sets(["port1.crypto.method=ssl", "port1.serial.baud=921600"]));
    let mut cfg = SimConfig::new(config);
    cfg.seed = 3;
    let mut sim = Simulation::new(cfg);
    let year = 365 * 24 * 3600;
    let id = ok(identity::generate_self_signed(
        "127.0.0.1",
        [5; 32],
        SIM_EPOCH_UNIX - year,
        SIM_EPOCH_UNIX + 10 * year,
    ));
    sim.install_tls(TlsMaterial {
        cert_chain_pem: id.cert_pem,
        key_pem: id.key_pem,
        ca_pem: None,
    });
    ok(sim.add_peer("scada", None));
    sim
}

/// The peer's TLS client and what it got so far.
struct Client {
    tls: TlsSession,
    seen: usize,
    established: bool,
    plaintext: Vec<u8>,
    failed: Option<String>,
}

impl Client {
    /// Connects "scada" to the data port and starts a TLS client on the connection.
    fn connect(sim: &mut Simulation, seed: u8) -> Client {
        ok(sim.peer_connect("scada"));
        let cfg = ok(TlsEngineConfig::client(&TlsSettings::default()));
        let tls = ok(TlsSession::with_unix_time(
            &cfg,
            None,
            [seed; 32],
            Some(SIM_EPOCH_UNIX),
        ));
        let seen = sim.peer("scada").map_or(0, |p| p.received.len());
        Client {
            tls,
            seen,
            established: false,
            plaintext: Vec::new(),
            failed: None,
        }
    }

    /// Runs the simulation in 1 ms steps for up to `within`, moving ciphertext between the TLS
    /// session and the peer's connection, until `done`.
    fn run(&mut self, sim: &mut Simulation, within: Duration, done: impl Fn(&Client) -> bool) {
        let deadline = sim.now() + within;
        while sim.now() < deadline && !done(self) {
            if sim.peer("scada").map(|p| p.state) == Some(PeerState::Connected) {
                let out = self.tls.take_ciphertext();
                if !out.is_empty() {
                    ok(sim.peer_send("scada", &out));
                }
            }
            ok(sim.run_for(Duration::from_millis(1)));
            let got = sim
                .peer("scada")
                .map(|p| p.received[self.seen..].to_vec())
                .unwrap_or_default();
            self.seen += got.len();
            if !got.is_empty() {
                self.tls.receive_ciphertext(&got);
            }
            while let Some(e) = self.tls.poll_event() {
                match e {
                    TlsEvent::HandshakeComplete { .. } => self.established = true,
                    TlsEvent::Plaintext(p) => self.plaintext.extend(p),
                    TlsEvent::Failed { reason } => self.failed = Some(reason),
                    TlsEvent::PeerClosed => {}
                }
            }
        }
    }
}

fn fault(name: &str, params: &[(&str, &str)]) -> FaultSpec {
    ok(FaultSpec::parse(name, params.iter().copied()))
}

/// A new client gets through and its data reaches the serial side.
fn port_still_serves(sim: &mut Simulation) {
    let mut c = Client::connect(sim, 9);
    c.run(sim, Duration::from_secs(2), |c| c.established);
    assert!(c.established, "{:?}", c.failed);
    c.tls.send_plaintext(b"again");
    c.run(sim, Duration::from_millis(50), |_| false);
    assert!(sim.serial_find(b"again").is_some());
}

#[test]
fn a_corrupted_record_to_the_device_ends_the_session_with_a_tls_failure() {
    let mut sim = sim();
    let mut c = Client::connect(&mut sim, 1);
    c.run(&mut sim, Duration::from_secs(2), |c| c.established);
    assert!(c.established, "{:?}", c.failed);
    c.tls.send_plaintext(b"before");
    c.run(&mut sim, Duration::from_millis(50), |_| false);
    assert!(sim.serial_find(b"before").is_some());

    sim.inject(fault(
        "tls.corrupt_record",
        &[("id", "bad"), ("direction", "to_device")],
    ));
    c.tls.send_plaintext(b"after");
    c.run(&mut sim, Duration::from_millis(200), |_| false);
    let closed = sim.session_of("scada").and_then(|s| s.closed.clone());
    let reason = closed.map(|(_, r)| r).unwrap_or_default();
    assert!(reason.contains("TLS: "), "{reason}");
    assert!(sim.serial_find(b"after").is_none());
    assert_eq!(sim.stat("tls_failures"), Some(1));

    assert!(sim.clear("bad"));
    port_still_serves(&mut sim);
}

#[test]
fn an_aborted_handshake_resets_both_ends_and_the_port_keeps_serving() {
    let mut sim = sim();
    sim.inject(fault("tls.abort_handshake", &[("id", "cut")]));
    let mut c = Client::connect(&mut sim, 2);
    c.run(&mut sim, Duration::from_secs(2), |_| false);
    assert!(!c.established);
    let app = sim.peer("scada").map(|p| p.state);
    assert_eq!(app, Some(PeerState::Reset));
    let closed = sim.session_of("scada").and_then(|s| s.closed.clone());
    let reason = closed.map(|(_, r)| r).unwrap_or_default();
    assert!(reason.contains("connection reset by peer"), "{reason}");

    assert!(sim.clear("cut"));
    port_still_serves(&mut sim);
}
