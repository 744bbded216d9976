//! The loop's side of the device's web server: the IP filter's verdict for a connection, a
//! login checked by the device's accounts, a session's end, a firmware upgrade. The rules are
//! the model's (`Device::screen`, `Device::web_login`, `Device::upgrade_firmware`); this only
//! turns them into replies.

use super::Runtime;
use crate::control::{Reply, WebCall};
use m2285_core::admin::filter::Verdict;
use m2285_core::LoginVerdict;
use m2285_time::Instant;
use serde_json::json;

impl Runtime {
    /// Answers one call of the web server.
    pub(super) fn web_call(&mut self, call: WebCall, now: Instant) -> Reply {
        match call {
            WebCall::Screen { service, peer } => {
                let verdict = match self.device.screen(service, peer) {
                    Verdict::Accept => "accept",
                    Verdict::Drop => "drop",
                    Verdict::Reject => "reject",
                };
                Reply::ok(json!({ "verdict": verdict }))
            }
            WebCall::Login {
                service,
                peer,
                user,
                password,
            } => match self.device.web_login(service, peer, &user, &password, now) {
                LoginVerdict::Accepted => Reply::ok(json!({ "user": user })),
                LoginVerdict::Refused => Reply::error(401, "wrong user name or password"),
                LoginVerdict::LockedOut => {
                    Reply::error(429, "too many failed logins from this address")
                }
            },
            WebCall::Logout { peer, user, reason } => {
                self.device.web_logout(peer, &user, reason);
                Reply::ok(json!({}))
            }
            WebCall::Firmware(image) => {
                if self.device.is_down() {
                    return Reply::error(503, "the device is rebooting: try again when it is up");
                }
                let version = image.version().to_owned();
                self.device.upgrade_firmware(&image, now);
                Reply::ok(json!({ "firmware": version }))
            }
        }
    }
}
