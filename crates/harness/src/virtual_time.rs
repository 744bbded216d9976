//! [`VirtualDevice`]: the device in virtual time for Rust tests, a thin layer over
//! [`m2285_virtual::Simulation`] that adds the waits a test writes again and again.
//!
//! ```
//! use m2285_harness::VirtualDevice;
//! use std::time::Duration;
//!
//! let mut dev = VirtualDevice::builder()
//!     .set("port1.serial.baud=115200")
//!     .peer("scada")
//!     .seed(7)
//!     .build()
//!     .expect("a valid configuration");
//! dev.connect("scada").expect("a session");
//! dev.peer_send("scada", b"ping\r").expect("peer exists");
//! // 5 characters at 115200 8N1 take 434 µs on the wire, plus a LAN hop.
//! let took = dev.expect_serial(b"ping\r", Duration::from_millis(5)).expect("delivered");
//! assert!(took >= Duration::from_micros(434), "{took:?}");
//! // Quiet for 100 s (the factory inactivity timeout): the device closes the session. Virtual
//! // time jumps there at once.
//! dev.run_for(Duration::from_secs(99)).expect("runs");
//! assert!(dev.session_of("scada").is_some_and(|s| s.closed.is_none()));
//! dev.run_for(Duration::from_secs(2)).expect("runs");
//! assert!(dev.session_of("scada").is_some_and(|s| s.closed.is_some()));
//! ```

use m2285_core::Config;
use m2285_virtual::network::PeerState;
use m2285_virtual::{FaultSpec, SimConfig, Simulation};
use std::ops::{Deref, DerefMut};
use std::time::Duration;

/// How to build a [`VirtualDevice`].
#[derive(Debug, Default, Clone)]
pub struct VirtualBuilder {
    sets: Vec<String>,
    peers: Vec<String>,
    seed: u64,
    json_trace: bool,
}

impl VirtualBuilder {
    /// One configuration key, `KEY=VALUE` (validated like `--set`).
    pub fn set(mut self, key_value: &str) -> Self {
        self.sets.push(key_value.to_owned());
        self
    }

    /// A simulated network host with this name (its address is picked).
    pub fn peer(mut self, name: &str) -> Self {
        self.peers.push(name.to_owned());
        self
    }

    /// The one seed of every random choice.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Keep the JSON-lines trace (`sim.trace().json()`).
    pub fn json_trace(mut self) -> Self {
        self.json_trace = true;
        self
    }

    /// Boots the device (factory configuration plus the keys) at virtual time 0.
    pub fn build(self) -> Result<VirtualDevice, String> {
        let config = Config::factory()
            .with_sets(self.sets.iter().map(String::as_str))
            .map_err(|errors| format!("configuration: {errors:?}"))?;
        let mut cfg = SimConfig::new(config);
        cfg.seed = self.seed;
        cfg.trace.json = self.json_trace;
        let mut sim = Simulation::new(cfg);
        for peer in &self.peers {
            sim.add_peer(peer, None)?;
        }
        Ok(VirtualDevice { sim })
    }
}

/// A device in virtual time; everything of [`Simulation`] is reachable through it.
pub struct VirtualDevice {
    /// The simulation.
    pub sim: Simulation,
}

impl VirtualDevice {
    /// A builder: factory configuration, seed 0, no peers.
    pub fn builder() -> VirtualBuilder {
        VirtualBuilder::default()
    }

    /// Runs until `cond` holds or `within` of virtual time passed; returns whether it held.
    pub fn wait_until(
        &mut self,
        within: Duration,
        cond: impl FnMut(&Simulation) -> bool,
    ) -> Result<bool, String> {
        let deadline = self.sim.now() + within;
        self.sim
            .run_until(deadline, cond)
            .map_err(|e| e.to_string())
    }

    /// Connects `peer` to the data port and waits (1 s of virtual time at most) until the
    /// device reports the session open.
    pub fn connect(&mut self, peer: &str) -> Result<(), String> {
        self.sim.peer_connect(peer)?;
        let open = self.wait_until(Duration::from_secs(1), |s| {
            s.peer(peer).map(|p| p.state) == Some(PeerState::Connected)
                && s.session_of(peer).is_some_and(|r| r.closed.is_none())
        })?;
        open.then_some(())
            .ok_or_else(|| format!("{peer}: no open session within 1 s of virtual time"))
    }

    /// Waits until the serial-side program received `bytes`; returns the virtual time it took.
    pub fn expect_serial(&mut self, bytes: &[u8], within: Duration) -> Result<Duration, String> {
        let start = self.sim.now();
        if self.wait_until(within, |s| s.serial_find(bytes).is_some())? {
            Ok(self.sim.now() - start)
        } else {
            Err(format!(
                "serial side did not receive {:?} within {within:?}; it has {:?}",
                String::from_utf8_lossy(bytes),
                String::from_utf8_lossy(self.sim.serial_received())
            ))
        }
    }

    /// Waits until `peer` received `bytes`; returns the virtual time it took.
    pub fn expect_peer(
        &mut self,
        peer: &str,
        bytes: &[u8],
        within: Duration,
    ) -> Result<Duration, String> {
        let start = self.sim.now();
        if self.wait_until(within, |s| s.peer_find(peer, bytes).is_some())? {
            Ok(self.sim.now() - start)
        } else {
            Err(format!(
                "{peer} did not receive {:?} within {within:?}",
                String::from_utf8_lossy(bytes)
            ))
        }
    }

    /// Starts a fault by its scenario name and parameters; returns its instance number.
    pub fn fault(&mut self, name: &str, params: &[(&str, &str)]) -> Result<usize, String> {
        let spec = FaultSpec::parse(name, params.iter().copied())
            .map_err(|errors| format!("fault {name}: {errors:?}"))?;
        Ok(self.sim.inject(spec))
    }

    /// Runs for `d` of virtual time.
    pub fn run_for(&mut self, d: Duration) -> Result<(), String> {
        self.sim.run_for(d).map_err(|e| e.to_string())
    }
}

impl Deref for VirtualDevice {
    type Target = Simulation;
    fn deref(&self) -> &Simulation {
        &self.sim
    }
}

impl DerefMut for VirtualDevice {
    fn deref_mut(&mut self) -> &mut Simulation {
        &mut self.sim
    }
}
