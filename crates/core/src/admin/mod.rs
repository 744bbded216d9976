//! The device's management core, sans-IO: accounts, IP filter, system and port logs, identity
//! and clock (docs/management.md). Each module keeps its own state and rules; [`Admin`] ties
//! them to the device: it sees every event the model produces (to log it and send it to the
//! remote syslog server), every connection and datagram before a service does (the filter), and
//! runs the SNTP client. What it needs done (a datagram, a reset, a state file) it returns as
//! actions, with the time always passed in.

pub mod accounts;
pub mod clock;
pub mod filter;
pub mod firmware;
pub mod identity;
pub mod portlog;
pub mod syslog;

use crate::config::Config;
use crate::io::{Action, ConnId, DeviceEvent, ListenerId, Transport};
use m2285_time::Instant;
use std::collections::{BTreeMap, VecDeque};
use std::net::SocketAddr;
use std::time::Duration;

/// How long a dropped TCP connection is held silently before it is reset: long enough that a
/// peer's connect and first request time out as if nothing answered, short enough that held
/// sockets do not pile up.
pub const DROP_HOLD: Duration = Duration::from_secs(120);

/// Most dropped connections held at once; beyond it the oldest is reset.
pub const MAX_HELD: usize = 64;

/// What the runtime tells the device about its host at power-on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Platform {
    /// The Unix time, in milliseconds, at device time zero (the `Instant` the runtime counts
    /// from: real time, the process's power-on; virtual time, the scenario's start).
    pub unix_ms_at_power_on: i64,
    /// The RTC offset kept in the state directory ([`clock::RTC_FILE`]).
    pub rtc_offset_ms: i64,
    /// A stable id the serial number and MAC derive from ([`identity::hardware_id`]).
    pub hardware_id: u64,
}

/// The management state of one powered-on device.
#[derive(Debug, Clone)]
pub struct Admin {
    /// Failed-login counting and lockouts.
    pub guard: accounts::LoginGuard,
    /// Filter counters.
    pub filter: filter::IpFilter,
    /// The system log ring.
    pub log: syslog::SystemLog,
    /// The port log ring.
    pub port_log: portlog::PortLog,
    /// Date and time.
    pub clock: clock::Clock,
    /// Model, serial number, MAC, firmware.
    pub identity: identity::Identity,
    /// Dropped connections held silently, with the instant each is reset.
    held: BTreeMap<ConnId, Instant>,
    mgmt_open: bool,
    salt_state: u64,
    /// Remote syslog messages sent.
    pub syslog_sent: u64,
    /// What the runtime said about the host (kept so a reboot starts from it).
    platform: Platform,
    /// The firmware version installed by an upgrade (kept in [`firmware::FIRMWARE_FILE`]);
    /// None = the simulator's own.
    installed_firmware: Option<String>,
}

impl Admin {
    /// The management state at power-on (`now`), before the runtime described its platform.
    pub fn new(now: Instant) -> Self {
        Admin {
            guard: accounts::LoginGuard::default(),
            filter: filter::IpFilter::default(),
            log: syslog::SystemLog::default(),
            port_log: portlog::PortLog::default(),
            clock: clock::Clock::new(0, 0, now),
            identity: identity::Identity::from_hardware_id(0),
            held: BTreeMap::new(),
            mgmt_open: false,
            salt_state: 0,
            syslog_sent: 0,
            platform: Platform::default(),
            installed_firmware: None,
        }
    }

    /// Takes the runtime's description of the host: clock base, RTC offset and hardware id.
    pub fn set_platform(&mut self, p: Platform, booted_at: Instant) {
        self.platform = p;
        let ntp_on = self.clock.next_deadline().is_some();
        self.clock = clock::Clock::new(p.unix_ms_at_power_on, p.rtc_offset_ms, booted_at);
        self.clock.ntp_enable(ntp_on, booted_at);
        self.identity = identity::Identity::from_hardware_id(p.hardware_id);
        if let Some(v) = &self.installed_firmware {
            self.identity.firmware.clone_from(v);
        }
    }

    /// The firmware version an upgrade installed (None = the simulator's own).
    pub fn installed_firmware(&self) -> Option<&str> {
        self.installed_firmware.as_deref()
    }

    /// Sets the installed firmware version; the identity reports it from the next
    /// [`Admin::set_platform`] (the next boot) on.
    pub fn set_installed_firmware(&mut self, version: Option<String>) {
        self.installed_firmware = version;
    }

    /// Seeds the salts of passwords the device itself must hash.
    pub fn set_seed(&mut self, seed: u64) {
        self.salt_state = seed;
    }

    /// Hashes any plaintext secret left in `config` with salts from the seeded generator.
    pub fn seal(&mut self, config: &mut Config) {
        if config.has_plaintext_secrets() {
            let state = &mut self.salt_state;
            config.seal_secrets(&mut || {
                let mut salt = [0u8; accounts::SALT_LEN];
                for half in salt.chunks_mut(8) {
                    half.copy_from_slice(&splitmix(state).to_le_bytes());
                }
                salt
            });
        }
    }

    /// What survives a reboot: the host as the runtime described it, with the RTC offset as
    /// the clock has it now (set by hand or by SNTP since power-on).
    pub fn platform_for_reboot(&self) -> Platform {
        Platform {
            rtc_offset_ms: self.clock.offset_ms(),
            ..self.platform
        }
    }

    /// The boot event of boot number `boot`.
    pub fn booted(&self, config: &Config, boot: u64) -> DeviceEvent {
        DeviceEvent::Booted {
            boot,
            name: config.system.device_name.clone(),
            model: self.identity.model,
            firmware: self.identity.firmware.clone(),
            serial_number: self.identity.serial_number.clone(),
            mac: self.identity.mac.clone(),
        }
    }

    /// Opens or closes the management UDP socket and (re)starts the SNTP client after the
    /// configuration changed from `old` (None at boot) to `new`.
    pub fn configure(
        &mut self,
        old: Option<&Config>,
        new: &Config,
        now: Instant,
        out: &mut VecDeque<Action>,
    ) {
        let wanted =
            !new.system.log.remote_host.is_empty() || !new.system.clock.ntp_server.is_empty();
        if wanted && !self.mgmt_open {
            out.push_back(Action::Listen {
                listener: ListenerId::Mgmt,
                transport: Transport::Udp,
                port: 0,
            });
        } else if !wanted && self.mgmt_open {
            out.push_back(Action::Unlisten {
                listener: ListenerId::Mgmt,
            });
        }
        self.mgmt_open = wanted;
        let ntp_changed = old.is_none_or(|o| o.system.clock != new.system.clock);
        if ntp_changed {
            self.clock
                .ntp_enable(!new.system.clock.ntp_server.is_empty(), now);
        }
        if !new.port1.log.enabled {
            self.port_log.clear();
        }
    }

    /// Logs `event` and sends it to the remote syslog server when it is severe enough. Also
    /// counts failed logins: the returned event, if any, announces a lockout.
    pub fn observe(
        &mut self,
        event: &DeviceEvent,
        config: &Config,
        now: Instant,
        out: &mut VecDeque<Action>,
    ) -> Option<DeviceEvent> {
        let entry = self.log.record(
            event,
            self.clock.unix_ms(now),
            self.clock.uptime_ms(now),
            config.system.log.ram_entries as usize,
        );
        let log = &config.system.log;
        if self.mgmt_open
            && !log.remote_host.is_empty()
            && entry.severity <= syslog::Severity::from_name(&log.remote_severity)
        {
            self.syslog_sent += 1;
            out.push_back(Action::SendTo {
                listener: ListenerId::Mgmt,
                host: log.remote_host.clone(),
                port: log.remote_port,
                data: syslog::rfc5424(&entry, &config.system.device_name).into_bytes(),
            });
        }
        if let DeviceEvent::Login { peer, ok, .. } = event {
            let policy = login_policy(config);
            if self.guard.record(peer.ip(), *ok, policy, now) {
                return Some(DeviceEvent::LoginLockout {
                    peer: peer.ip(),
                    seconds: config.system.login.lockout_s,
                });
            }
        }
        None
    }

    /// Holds a dropped connection silently until [`DROP_HOLD`] has passed.
    pub fn hold(&mut self, conn: ConnId, now: Instant, out: &mut VecDeque<Action>) {
        if self.held.len() >= MAX_HELD {
            if let Some((&oldest, _)) = self.held.iter().min_by_key(|(_, t)| **t) {
                self.held.remove(&oldest);
                out.push_back(Action::Reset { conn: oldest });
            }
        }
        self.held.insert(conn, now + DROP_HOLD);
    }

    /// True when `conn` is a dropped connection being held (its bytes are thrown away).
    pub fn is_held(&self, conn: ConnId) -> bool {
        self.held.contains_key(&conn)
    }

    /// Forgets a held connection whose peer went away, closing the device's side.
    pub fn release(&mut self, conn: ConnId, out: &mut VecDeque<Action>) {
        if self.held.remove(&conn).is_some() {
            out.push_back(Action::Close { conn });
        }
    }

    /// Runs the admin timers due by `now`: held connections to reset, SNTP requests to send.
    pub fn handle_timeout(&mut self, config: &Config, now: Instant, out: &mut VecDeque<Action>) {
        let due: Vec<ConnId> = self
            .held
            .iter()
            .filter(|(_, t)| **t <= now)
            .map(|(c, _)| *c)
            .collect();
        for conn in due {
            self.held.remove(&conn);
            out.push_back(Action::Reset { conn });
        }
        let ntp = &config.system.clock;
        if self.mgmt_open && !ntp.ntp_server.is_empty() {
            if let Some(packet) = self.clock.ntp_poll(ntp_interval(config), now) {
                out.push_back(Action::SendTo {
                    listener: ListenerId::Mgmt,
                    host: ntp.ntp_server.clone(),
                    port: ntp.ntp_port,
                    data: packet,
                });
            }
        }
    }

    /// A datagram arrived on the management socket: an SNTP answer, or noise. Returns the
    /// clock event when it set the clock (and queues the RTC offset to be kept).
    pub fn mgmt_datagram(
        &mut self,
        from: SocketAddr,
        data: &[u8],
        config: &Config,
        now: Instant,
        out: &mut VecDeque<Action>,
    ) -> Option<DeviceEvent> {
        let adjusted = self
            .clock
            .ntp_answer(data, &from.to_string(), ntp_interval(config), now)?;
        out.push_back(self.keep_rtc());
        Some(DeviceEvent::ClockSet {
            source: "ntp",
            adjusted_ms: adjusted,
        })
    }

    /// Sets the clock by hand to `unix_ms`; returns the event and queues the RTC offset.
    pub fn set_clock(
        &mut self,
        unix_ms: i64,
        now: Instant,
        out: &mut VecDeque<Action>,
    ) -> DeviceEvent {
        let before = self.clock.unix_ms(now);
        self.clock.set(unix_ms, now);
        out.push_back(self.keep_rtc());
        DeviceEvent::ClockSet {
            source: "manual",
            adjusted_ms: unix_ms.saturating_sub(before),
        }
    }

    fn keep_rtc(&self) -> Action {
        Action::WriteState {
            file: clock::RTC_FILE,
            bytes: format!("{}\n", self.clock.offset_ms()).into_bytes(),
        }
    }

    /// The next instant an admin timer is due.
    pub fn next_deadline(&self) -> Option<Instant> {
        let held = self.held.values().min().copied();
        let ntp = if self.mgmt_open {
            self.clock.next_deadline()
        } else {
            None
        };
        m2285_time::earliest(held, ntp)
    }
}

/// The failed-login policy of `config`.
pub fn login_policy(config: &Config) -> accounts::LoginPolicy {
    accounts::LoginPolicy {
        max_failures: config.system.login.max_failures,
        lockout: Duration::from_secs(u64::from(config.system.login.lockout_s)),
    }
}

fn ntp_interval(config: &Config) -> Duration {
    Duration::from_secs(u64::from(config.system.clock.ntp_interval_s))
}

/// One step of SplitMix64, the salt generator of passwords the device hashes itself.
fn splitmix(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}
