//! The device's accounts: roles and their rights, password hashes, and the failed-login policy
//! (docs/management.md "Accounts").
//!
//! Passwords are kept only as Argon2id hashes in PHC form (`$argon2id$v=19$m=...`), the value of
//! the secret key `system.users[].password`. A plaintext given to the loader (`--set`, a config
//! file, the control API) is hashed before the device keeps it ([`crate::Config::seal_secrets`]);
//! the control API hashes on its own thread, so the real-time loop never computes a hash.
//!
//! Checking a login does hash once (that is what a password check is). The cost parameters are
//! chosen so one check takes about a millisecond in a release build ([`HASH_PARAMS`]), and the
//! failed-login policy ([`LoginGuard`]) bounds how many checks a peer can force, so the pacing of
//! the serial line is not held up noticeably (docs/management.md gives the measurements).

use argon2::{Algorithm, Argon2, Params, PasswordHasher, PasswordVerifier, Version};
use m2285_time::Instant;
use std::collections::BTreeMap;
use std::net::IpAddr;
use std::time::Duration;

/// Argon2id cost: 1 MiB of memory, 2 passes, 1 lane (RFC 9106 allows low-memory settings for
/// constrained devices; the 2285 is one). Hashes made with other parameters still verify: the
/// parameters travel in the PHC string.
pub const HASH_PARAMS: (u32, u32, u32) = (1024, 2, 1);

/// Length of the random salt in bytes.
pub const SALT_LEN: usize = 16;

/// What an account may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Configuration menus (console, web, SNMP writes), save/apply/reboot, accounts, filter.
    Admin,
    /// Everything an administrator may, plus the Linux shell of the real device (not simulated).
    Root,
    /// Port authentication only (`port1.host.user_auth`).
    User,
}

impl Role {
    /// The role named in `system.users[].role`; unknown names are ordinary users.
    pub fn from_name(name: &str) -> Role {
        match name {
            "admin" => Role::Admin,
            "root" => Role::Root,
            _ => Role::User,
        }
    }

    /// Whether the account may change the device's configuration and state.
    pub fn may_manage(self) -> bool {
        matches!(self, Role::Admin | Role::Root)
    }

    /// Whether the account may log in to the serial port's data sessions. Every account may.
    pub fn may_use_port(self) -> bool {
        true
    }
}

/// Whether deleting the account `name` would leave no account that may manage the device
/// (nobody could log in to a console, the web UI or the menus again): such a deletion is refused
/// by every path that deletes accounts (control API, consoles).
pub fn is_last_manager(users: &[crate::config::User], name: &str) -> bool {
    !users
        .iter()
        .any(|u| u.name != name && Role::from_name(&u.role).may_manage())
}

/// Hashes `password` with `salt` into a PHC string, or `None` if the hashing library refuses
/// (it does not for salts of [`SALT_LEN`] bytes and passwords the schema allows).
pub fn hash_password(password: &str, salt: &[u8; SALT_LEN]) -> Option<String> {
    let (m, t, p) = HASH_PARAMS;
    let params = Params::new(m, t, p, None).ok()?;
    let hasher = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
    hasher
        .hash_password_with_salt(password.as_bytes(), salt)
        .ok()
        .map(|h| h.to_string())
}

/// Checked for names that have no account, so unknown names take as long as known ones (the
/// hash of a random string nobody knows).
pub const UNKNOWN_USER_HASH: &str =
    "$argon2id$v=19$m=1024,t=2,p=1$bm8tc3VjaC11c2VyLS0tLQ$1nSAkF5Oy4PcGvsq6eh4m0MKNsXbNDuMTz9GrYYmTL0";

/// True when `users` has an account named `user` that may manage the device and whose hash
/// `password` matches: the one check behind every management login (consoles, web pages).
/// One hash per try whether or not the name exists or may manage, so the time taken does not
/// tell which accounts exist.
pub fn manager_login(users: &[crate::config::User], user: &str, password: &str) -> bool {
    let account = users.iter().find(|u| u.name == user);
    let hash = account.map_or(UNKNOWN_USER_HASH, |u| u.password.as_str());
    let matches = verify_password(hash, password);
    matches && account.is_some_and(|u| Role::from_name(&u.role).may_manage())
}

/// True when `password` matches the PHC string `hash`. A malformed hash matches nothing.
pub fn verify_password(hash: &str, password: &str) -> bool {
    Argon2::default()
        .verify_password(password.as_bytes(), hash)
        .is_ok()
}

/// True when `value` is a PHC string of an Argon2 hash (the stored form of a password).
pub fn is_password_hash(value: &str) -> bool {
    value.starts_with("$argon2") && argon2::PasswordHash::new(value).is_ok()
}

/// The factory accounts: `admin`/`admin` (configuration menus, notes §11.2) and `root`/`root`
/// (notes §5), as a TOML array of records with their hashes (made once with a fixed salt; the
/// factory passwords are printed in the device's documentation anyway).
pub const FACTORY_USERS: &str = concat!(
    r#"[{ name = "admin", role = "admin", password = ""#,
    "$argon2id$v=19$m=1024,t=2,p=1$ZmFjdG9yeS1hZG1pbi0wMQ$Rn7GycBdOo4r3RSQyAYPLMoHJeC4Hcp2XnpSCzaEcOI",
    r#"" }, { name = "root", role = "root", password = ""#,
    "$argon2id$v=19$m=1024,t=2,p=1$ZmFjdG9yeS1yb290LS0wMQ$E3rkN6qfjqrrsVv/mnR2HGJ5EhFwUkTB4Yb4WyWQM7U",
    r#"" }]"#
);

/// The failed-login policy, from `system.login.*`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoginPolicy {
    /// Failures from one address within `window` that lock it out.
    pub max_failures: u32,
    /// The window failures are counted in, and how long a lockout lasts.
    pub lockout: Duration,
}

/// Counts failed logins per source address and locks out an address that fails too often, for
/// every service that checks passwords (the data port's login today; console, web and SSH later).
#[derive(Debug, Default, Clone)]
pub struct LoginGuard {
    failures: BTreeMap<IpAddr, (u32, Instant)>,
    /// Failed logins since power-on (all services).
    pub failed_total: u64,
    /// Logins refused without a check because the address was locked out.
    pub locked_out_total: u64,
}

/// Most addresses whose failures are remembered; the oldest is forgotten first.
const MAX_TRACKED: usize = 256;

impl LoginGuard {
    /// True when `peer` may try a password now. A refusal is counted.
    pub fn may_try(&mut self, peer: IpAddr, policy: LoginPolicy, now: Instant) -> bool {
        self.expire(policy, now);
        match self.failures.get(&peer) {
            Some((n, _)) if *n >= policy.max_failures => {
                self.locked_out_total += 1;
                false
            }
            _ => true,
        }
    }

    /// Records a finished try; returns true when this failure locked the address out.
    pub fn record(&mut self, peer: IpAddr, ok: bool, policy: LoginPolicy, now: Instant) -> bool {
        self.expire(policy, now);
        if ok {
            self.failures.remove(&peer);
            return false;
        }
        self.failed_total += 1;
        if self.failures.len() >= MAX_TRACKED && !self.failures.contains_key(&peer) {
            let oldest = self
                .failures
                .iter()
                .min_by_key(|(_, (_, t))| *t)
                .map(|(a, _)| *a);
            if let Some(a) = oldest {
                self.failures.remove(&a);
            }
        }
        let entry = self.failures.entry(peer).or_insert((0, now));
        entry.0 += 1;
        entry.1 = now;
        entry.0 == policy.max_failures
    }

    /// Addresses locked out now.
    pub fn locked_out(&self, policy: LoginPolicy) -> Vec<IpAddr> {
        self.failures
            .iter()
            .filter(|(_, (n, _))| *n >= policy.max_failures)
            .map(|(a, _)| *a)
            .collect()
    }

    fn expire(&mut self, policy: LoginPolicy, now: Instant) {
        self.failures
            .retain(|_, (_, last)| *last + policy.lockout > now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn factory_hashes_are_the_documented_passwords() {
        let users: toml::Table =
            toml::from_str(&format!("u = {FACTORY_USERS}")).unwrap_or_default();
        let list = users
            .get("u")
            .and_then(|v| v.as_array())
            .cloned()
            .unwrap_or_default();
        assert_eq!(list.len(), 2);
        for item in list {
            let name = item
                .get("name")
                .and_then(|v| v.as_str())
                .unwrap_or_default();
            let hash = item
                .get("password")
                .and_then(|v| v.as_str())
                .unwrap_or_default();
            assert!(is_password_hash(hash), "{name}");
            assert!(
                verify_password(hash, name),
                "{name}'s factory password is its name"
            );
            assert!(!verify_password(hash, "wrong"));
        }
    }

    #[test]
    fn hashes_verify_and_differ_by_salt() {
        let a = hash_password("s3cret", &[1; SALT_LEN]).unwrap_or_default();
        let b = hash_password("s3cret", &[2; SALT_LEN]).unwrap_or_default();
        assert_ne!(a, b);
        assert!(verify_password(&a, "s3cret") && verify_password(&b, "s3cret"));
        assert!(!verify_password(&a, "s3cres"));
        assert!(!verify_password("not a hash", "s3cret"));
        assert!(is_password_hash(&a) && !is_password_hash("s3cret"));
    }

    #[test]
    fn an_address_that_fails_too_often_is_locked_out_for_a_while() {
        let policy = LoginPolicy {
            max_failures: 3,
            lockout: Duration::from_secs(60),
        };
        let mut g = LoginGuard::default();
        let a: IpAddr = [127, 0, 0, 2].into();
        let b: IpAddr = [127, 0, 0, 3].into();
        let t0 = Instant::from_nanos(0);
        assert!(!g.record(a, false, policy, t0));
        assert!(!g.record(a, false, policy, t0));
        assert!(g.record(a, false, policy, t0));
        assert!(!g.may_try(a, policy, t0 + Duration::from_secs(59)));
        assert!(g.may_try(b, policy, t0));
        assert!(g.may_try(a, policy, t0 + Duration::from_secs(60)));
        assert_eq!((g.failed_total, g.locked_out_total), (3, 1));
    }
}
