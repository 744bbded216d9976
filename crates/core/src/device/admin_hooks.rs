//! Where the management core ([`crate::admin`]) meets the device: the filter sees connections
//! and datagrams before the port does, the log sees every event as the runtime takes it, and the
//! management socket's datagrams go to the SNTP client.

use super::Device;
use crate::admin::filter::{Service, Verdict};
use crate::admin::{Admin, Platform};
use crate::config::HostMode;
use crate::io::{Action, DeviceEvent, ListenerId, NetEvent};
use m2285_time::Instant;

impl Device {
    /// The runtime describes the host: Unix time at power-on, the kept RTC offset and the
    /// hardware id. Call it right after [`Device::new`] or [`Device::power_on`], before taking
    /// actions; a reboot keeps it (with the RTC offset the clock has then).
    pub fn set_platform(&mut self, platform: Platform) {
        let booted_at = self.booted_at;
        self.admin.set_platform(platform, booted_at);
        self.set_tls_clock(self.last_now);
        // The boot message queued by `new` is logged when taken, so it carries this identity.
        if let Some(Action::Notify(ev @ DeviceEvent::Booted { .. })) = self
            .actions
            .iter_mut()
            .find(|a| matches!(a, Action::Notify(DeviceEvent::Booted { .. })))
        {
            *ev = self.admin.booted(&self.config, self.boots);
        }
    }

    /// The management state: logs, counters, clock, identity.
    pub fn admin(&self) -> &Admin {
        &self.admin
    }

    /// Sets the date and time by hand (Unix milliseconds).
    pub fn set_clock(&mut self, unix_ms: i64, now: Instant) {
        self.handle_timeout(now);
        let event = self.admin.set_clock(unix_ms, now, &mut self.actions);
        self.set_tls_clock(now);
        self.notify(event);
    }

    /// Tells the data port what the device's clock reads at `now`, so every TLS session it
    /// drives in this call sees the device's date (the admin clock's one rule: the platform's
    /// Unix time at device time zero, plus the device time, plus the RTC offset). Called with the
    /// `now` of every call and whenever the clock is set; the model never reads the host clock.
    pub(super) fn set_tls_clock(&mut self, now: Instant) {
        self.port.set_unix_time(self.admin.clock.unix_secs(now));
    }

    /// Empties the port log.
    pub fn clear_port_log(&mut self) {
        self.admin.port_log.clear();
    }

    /// Empties the system log.
    pub fn clear_system_log(&mut self) {
        self.admin.log.clear();
    }

    /// Logs an event the runtime is taking (and sends it to the remote syslog server).
    pub(super) fn admin_observe(&mut self, event: &DeviceEvent) {
        let now = self.last_now;
        if let Some(lockout) = self
            .admin
            .observe(event, &self.config, now, &mut self.actions)
        {
            self.notify(lockout);
        }
    }

    /// The IP filter for one datagram to `service` from `from` (docs/management.md "IP
    /// filtering"): true when it may be answered. A refused datagram is counted and logged as
    /// `filter_refused`; Drop and Reject both mean no answer for a datagram. Runtimes call this
    /// for the services they own (the SNMP agent); the data port's UDP goes through it here.
    pub fn screen_datagram(&mut self, service: Service, from: std::net::SocketAddr) -> bool {
        self.screen(service, from) == Verdict::Accept
    }

    /// The IP filter for one connection to a service the runtime owns (the web server, the
    /// Telnet and SSH consoles): the verdict, counted, and a refusal logged as
    /// `filter_refused`. The runtime carries it out (Reject: reset at once; Drop: hold
    /// silently, then close).
    pub fn screen(&mut self, service: Service, peer: std::net::SocketAddr) -> Verdict {
        let rules = &self.config.system.filter.rules;
        let (verdict, rule) = self.admin.filter.check(rules, service, peer.ip());
        if verdict != Verdict::Accept {
            self.notify(DeviceEvent::FilterRefused {
                service: service.name(),
                peer,
                verdict,
                rule,
            });
        }
        verdict
    }

    /// Filters a network event before the port sees it; true when it was consumed here.
    pub(super) fn admin_net_event(&mut self, event: &NetEvent, now: Instant) -> bool {
        match event {
            NetEvent::Accepted {
                listener: ListenerId::Data,
                conn,
                peer,
            } => {
                let rules = &self.config.system.filter.rules;
                let (verdict, rule) = self.admin.filter.check(rules, Service::Port1, peer.ip());
                match verdict {
                    Verdict::Accept => {
                        let policy = crate::admin::login_policy(&self.config);
                        if self.config.port1.host.user_auth
                            && !self.admin.guard.may_try(peer.ip(), policy, now)
                        {
                            self.actions.push_back(Action::Reset { conn: *conn });
                            self.notify(DeviceEvent::ConnectionRejected {
                                port: 1,
                                peer: *peer,
                                reason: "login locked out",
                            });
                            return true;
                        }
                        return false;
                    }
                    Verdict::Reject => self.actions.push_back(Action::Reset { conn: *conn }),
                    Verdict::Drop => self.admin.hold(*conn, now, &mut self.actions),
                }
                self.notify(DeviceEvent::FilterRefused {
                    service: Service::Port1.name(),
                    peer: *peer,
                    verdict,
                    rule,
                });
                true
            }
            NetEvent::Datagram {
                listener: ListenerId::Data,
                from,
                ..
            } if self.config.port1.host.mode == HostMode::Udp => {
                !self.screen_datagram(Service::Port1Udp, *from)
            }
            NetEvent::Datagram {
                listener: ListenerId::Mgmt,
                from,
                data,
            } => {
                let event =
                    self.admin
                        .mgmt_datagram(*from, data, &self.config, now, &mut self.actions);
                // An SNTP answer may have moved the clock.
                self.set_tls_clock(now);
                if let Some(ev) = event {
                    self.notify(ev);
                }
                true
            }
            NetEvent::Listening {
                listener: ListenerId::Mgmt,
                ..
            } => true,
            NetEvent::ListenFailed {
                listener: ListenerId::Mgmt,
                reason,
            } => {
                tracing::warn!("management UDP socket: {reason}");
                true
            }
            NetEvent::Received { conn, .. } if self.admin.is_held(*conn) => true,
            NetEvent::PeerClosed { conn } | NetEvent::Failed { conn, .. }
                if self.admin.is_held(*conn) =>
            {
                self.admin.release(*conn, &mut self.actions);
                true
            }
            _ => false,
        }
    }

    /// Captures serial data in the port log while port logging is on.
    pub(super) fn port_log(
        &mut self,
        dir: crate::admin::portlog::Direction,
        data: &[u8],
        now: Instant,
    ) {
        let log = self.config.port1.log;
        if log.enabled {
            let uptime = self.admin.clock.uptime_ms(now);
            self.admin
                .port_log
                .capture(dir, data, uptime, log.size_bytes as usize);
        }
    }
}
