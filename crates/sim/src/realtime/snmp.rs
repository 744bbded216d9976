//! The SNMP agent's socket: the device's UDP port 161 on the host, carried out for the sans-IO
//! agent of `m2285-snmp`, and the traps the device's events call for.
//!
//! The agent is synchronous, so it lives in the loop: a readable socket is drained, each
//! datagram answered at once against a fresh view of the device. Traps come from the device's
//! one event stream ([`SnmpService::on_event`]) plus the two things only the runtime sees: the
//! power-on (coldStart) and a fault that cuts the network (linkDown/linkUp).

use super::trace::Tracer;
use m2285_core::admin::filter::Service;
use m2285_core::io::DeviceEvent;
use m2285_core::{Config, Device};
use m2285_snmp::view::{from_device, ticks, HostFacts};
use m2285_snmp::{Agent, AgentAction, Notification};
use m2285_time::Instant;
use mio::net::UdpSocket;
use mio::{Interest, Registry, Token};
use serde_json::json;
use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

/// Largest datagram read (UDP's maximum payload); longer ones are cut and fail to decode.
const MAX_DATAGRAM: usize = 65_507;

/// The agent and its socket.
pub struct SnmpService {
    socket: Option<UdpSocket>,
    agent: Agent,
    ip: IpAddr,
    link_down: bool,
    link_changed_ticks: u32,
    /// The device has a kernel stack of its own (`--netns`): MIB-II shows its counters.
    own_stack: bool,
    buf: Vec<u8>,
    /// A `rebooting` event was seen: the next `booted` is a warm start.
    rebooting: bool,
    /// The device's trace, for the events printed here.
    tracer: Tracer,
}

impl SnmpService {
    /// Opens the agent's socket when `network.snmp.enabled`: on `sim.snmp_port` (0, or
    /// `sim.free_ports`, picks a free port). Returns the service and the bound port.
    pub fn open(
        config: &Config,
        ip: IpAddr,
        registry: &Registry,
        token: Token,
        tracer: Tracer,
    ) -> Result<(SnmpService, Option<u16>), String> {
        let mut service = SnmpService {
            tracer,
            socket: None,
            agent: Agent::new(),
            ip,
            link_down: false,
            link_changed_ticks: 0,
            own_stack: false,
            buf: vec![0; MAX_DATAGRAM],
            rebooting: false,
        };
        if !config.network.snmp.enabled {
            return Ok((service, None));
        }
        let port = if config.sim.free_ports {
            0
        } else {
            config.sim.snmp_port
        };
        let mut socket = UdpSocket::bind(SocketAddr::new(ip, port))
            .map_err(|e| format!("SNMP agent: cannot bind UDP {ip}:{port}: {e} (sim.snmp_port)"))?;
        let bound = socket
            .local_addr()
            .map_err(|e| format!("SNMP agent: {e}"))?
            .port();
        registry
            .register(&mut socket, token, Interest::READABLE)
            .map_err(|e| format!("SNMP agent: cannot watch the socket: {e}"))?;
        service.socket = Some(socket);
        Ok((service, Some(bound)))
    }

    /// Answers every waiting request; carries out SETs on `device` and reports authentication
    /// failures.
    pub fn readable(
        &mut self,
        device: &mut Device,
        ports: &BTreeMap<&'static str, u16>,
        now: Instant,
    ) {
        loop {
            let Some(socket) = &self.socket else { return };
            let (n, from) = match socket.recv_from(&mut self.buf) {
                Ok(x) => x,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return,
                Err(e) => {
                    tracing::debug!("SNMP socket: {e}");
                    return;
                }
            };
            if self.link_down {
                // The cable is cut: the request never reached the device.
                continue;
            }
            if !device.screen_datagram(Service::Snmp, from) {
                // Refused by the IP filter: no answer, counted and logged by the device.
                continue;
            }
            let view = self.view(device, ports, now);
            let datagram = self.buf[..n].to_vec();
            let outcome =
                self.agent
                    .handle(&datagram, from.ip(), &device.config().network.snmp, &view);
            if let Some(response) = outcome.response {
                if let Err(e) = socket.send_to(&response, from) {
                    tracing::debug!(%from, "SNMP response not sent: {e}");
                }
            }
            for action in outcome.actions {
                self.carry_out(action, device, now);
            }
        }
    }

    /// The MIB-II view the agent answers from: also the one source of the web statistics
    /// page's TCP and UDP tables (through `ctl status`'s `mib2`), so the two never disagree.
    pub fn view(
        &self,
        device: &Device,
        ports: &BTreeMap<&'static str, u16>,
        now: Instant,
    ) -> m2285_snmp::view::DeviceView {
        from_device(
            device,
            self.agent.counters(),
            &self.facts(device, ports),
            now,
        )
    }

    fn carry_out(&mut self, action: AgentAction, device: &mut Device, now: Instant) {
        match action {
            AgentAction::SetConfig { key, value } => {
                match device.config().with_set(key, &value) {
                    Ok(config) => {
                        device.apply_config(config, now);
                        tracing::info!(key, "configuration changed by SNMP SET");
                        crate::output::emit_event(
                            json!({"event": "snmp_set", "key": key, "value": device.config().get(key)
                                .and_then(|v| serde_json::to_value(v).ok())}),
                            now,
                            &self.tracer,
                        );
                    }
                    // The agent checked type and length; the schema has the last word.
                    Err(errors) => tracing::warn!(key, ?errors, "SNMP SET refused by the schema"),
                }
            }
            AgentAction::AuthenticationFailure { from } => {
                crate::output::emit_event(
                    json!({"event": "snmp_auth_failure", "from": from.to_string()}),
                    now,
                    &self.tracer,
                );
                if device.config().network.snmp.auth_failure_trap {
                    self.send(&Notification::AuthenticationFailure, device, now);
                }
            }
        }
    }

    /// Counts a datagram the device sent that is not SNMP (a locating report) in the interface
    /// and UDP counters.
    pub fn count_other_datagram(&mut self, bytes: usize) {
        self.agent.count_other_datagram(bytes);
    }

    /// Sends the traps a device event calls for.
    /// `booted` after `rebooting` is warmStart; `booted` after a power cut is coldStart.
    pub fn on_event(&mut self, event: &DeviceEvent, device: &Device, now: Instant) {
        match event {
            DeviceEvent::Rebooting { .. } => self.rebooting = true,
            DeviceEvent::Booted { .. } => {
                let n = if std::mem::take(&mut self.rebooting) {
                    Notification::WarmStart
                } else {
                    Notification::ColdStart
                };
                self.send(&n, device, now);
            }
            _ => {}
        }
        if let Some(n) = Notification::from_event(event) {
            self.send(&n, device, now);
        }
    }

    /// The device powered on: coldStart.
    pub fn power_on(&mut self, device: &Device, now: Instant) {
        self.send(&Notification::ColdStart, device, now);
    }

    /// Follows the network interface's state (a partition for every peer is a pulled cable):
    /// linkDown when it goes, linkUp when it is back.
    pub fn link(&mut self, down: bool, device: &Device, now: Instant) {
        if down == self.link_down {
            return;
        }
        self.link_changed_ticks = ticks(now);
        // The simulator lets these two through the cut so a manager sees them (docs/snmp.md).
        self.link_down = false;
        let n = if down {
            Notification::LinkDown
        } else {
            Notification::LinkUp
        };
        self.send(&n, device, now);
        self.link_down = down;
    }

    fn send(&mut self, n: &Notification, device: &Device, now: Instant) {
        let Some(socket) = &self.socket else { return };
        if self.link_down {
            return;
        }
        let agent_addr = match self.ip {
            IpAddr::V4(v4) => v4,
            IpAddr::V6(_) => Ipv4Addr::UNSPECIFIED,
        };
        for trap in self
            .agent
            .traps(n, &device.config().network.snmp, ticks(now), agent_addr)
        {
            if let Err(e) = socket.send_to(&trap.bytes, SocketAddr::V4(trap.to)) {
                tracing::debug!(to = %trap.to, "trap not sent: {e}");
            }
        }
    }

    /// Whether MIB-II shows the kernel's own counters of the loop thread's namespace
    /// (`--netns`) instead of the model's estimates.
    pub fn set_own_stack(&mut self, own: bool) {
        self.own_stack = own;
    }

    /// What the view needs from the runtime: the address, the link, the bound ports.
    fn facts(&self, device: &Device, ports: &BTreeMap<&'static str, u16>) -> HostFacts {
        let data = ports.get("data").copied();
        let udp_mode = device.config().port1.host.mode == m2285_core::config::HostMode::Udp;
        let snmp = ports.get("snmp").copied();
        HostFacts {
            ip: match self.ip {
                IpAddr::V4(v4) => Some(v4),
                IpAddr::V6(_) => None,
            },
            link_down: self.link_down,
            link_changed_ticks: self.link_changed_ticks,
            tcp_listeners: if udp_mode { None } else { data }.into_iter().collect(),
            udp_listeners: snmp
                .into_iter()
                .chain(if udp_mode { data } else { None })
                .collect(),
            // In the namespace mode the loop thread is inside the device's namespace: its
            // kernel counters are the device's own (docs/network.md).
            kernel: self
                .own_stack
                .then(crate::netns::counters::read_this_thread),
        }
    }
}
