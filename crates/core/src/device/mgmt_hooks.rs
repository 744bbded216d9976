//! The management faces the runtime serves itself (the web pages) meeting the device's rules:
//! a login checked against the accounts under the failed-login policy, logins and logouts in
//! the event stream and the system log, and a checked firmware image installed with a reboot.

use super::Device;
use crate::admin::accounts::manager_login;
use crate::admin::filter::Service;
use crate::admin::firmware::{self, Image};
use crate::io::{Action, DeviceEvent};
use m2285_time::Instant;
use std::net::SocketAddr;

/// How a management login ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginVerdict {
    /// The account may manage the device and the password is right.
    Accepted,
    /// Wrong user name or password, or an account that may not manage the device (the
    /// answer does not say which).
    Refused,
    /// The address failed too often lately (`system.login.*`); the password was not checked.
    LockedOut,
}

impl Device {
    /// Checks a web login from `peer` against the device's accounts, under the same
    /// failed-login counting and lockout as every other login (docs/management.md "Accounts").
    /// Logs `web_login` or `web_login_failed`, and `login_lockout` when this failure locks the
    /// address out.
    pub fn web_login(
        &mut self,
        service: Service,
        peer: SocketAddr,
        user: &str,
        password: &str,
        now: Instant,
    ) -> LoginVerdict {
        let policy = crate::admin::login_policy(&self.config);
        let failed = |reason| DeviceEvent::WebLoginFailed {
            service: service.name(),
            peer,
            user: user.to_owned(),
            reason,
        };
        if !self.admin.guard.may_try(peer.ip(), policy, now) {
            self.notify(failed("locked_out"));
            return LoginVerdict::LockedOut;
        }
        let ok = manager_login(&self.config.system.users, user, password);
        let locked = self.admin.guard.record(peer.ip(), ok, policy, now);
        if ok {
            self.notify(DeviceEvent::WebLogin {
                service: service.name(),
                peer,
                user: user.to_owned(),
            });
            return LoginVerdict::Accepted;
        }
        self.notify(failed("wrong_password"));
        if locked {
            self.notify(DeviceEvent::LoginLockout {
                peer: peer.ip(),
                seconds: self.config.system.login.lockout_s,
            });
        }
        LoginVerdict::Refused
    }

    /// Logs the end of a web session (`reason`: logout or idle).
    pub fn web_logout(&mut self, peer: SocketAddr, user: &str, reason: &'static str) {
        self.notify(DeviceEvent::WebLogout {
            peer,
            user: user.to_owned(),
            reason,
        });
    }

    /// Installs a checked firmware image: the version is kept in the state directory
    /// ([`firmware::FIRMWARE_FILE`]) and the device reboots into it.
    pub fn upgrade_firmware(&mut self, image: &Image, now: Instant) {
        let to = image.version().to_owned();
        self.notify(DeviceEvent::FirmwareUpgrade {
            from: self.admin.identity.firmware.clone(),
            to: to.clone(),
        });
        self.actions.push_back(Action::WriteState {
            file: firmware::FIRMWARE_FILE,
            bytes: firmware::state_file(&to),
        });
        self.admin.set_installed_firmware(Some(to));
        self.reboot("firmware_upgrade", now);
    }

    /// The firmware version the state directory keeps (the content of
    /// [`firmware::FIRMWARE_FILE`], if any). Call it before [`Device::set_platform`] at
    /// power-on, which puts it in the identity.
    pub fn set_kept_firmware(&mut self, file: Option<&[u8]>) {
        self.admin
            .set_installed_firmware(file.and_then(firmware::kept_version));
    }
}
