//! Web sessions: who is logged in, with which CSRF token, since when idle. Identifiers and
//! tokens come from randomness the runtime hands in; time is the device's [`Instant`].

use m2285_time::Instant;
use std::collections::HashMap;

/// Most sessions kept at once; the least recently used one is dropped for a new login.
pub const MAX_SESSIONS: usize = 64;

/// One logged-in browser.
#[derive(Debug, Clone)]
pub struct Session {
    /// The account.
    pub user: String,
    /// The token every form of this session carries.
    pub csrf: String,
    /// Last request.
    pub last_seen: Instant,
    /// A message for the next page (after a redirect).
    pub flash: String,
}

/// The sessions of one device's web server.
#[derive(Debug, Default)]
pub struct Sessions {
    by_id: HashMap<String, Session>,
}

impl Sessions {
    /// Opens a session for `user`; returns its id. `random` supplies the id and the token.
    pub fn open(&mut self, user: &str, random: [u8; 32], now: Instant) -> String {
        if self.by_id.len() >= MAX_SESSIONS {
            if let Some(oldest) = self
                .by_id
                .iter()
                .min_by_key(|(_, s)| s.last_seen)
                .map(|(k, _)| k.clone())
            {
                self.by_id.remove(&oldest);
            }
        }
        let id = hex(&random[..16]);
        let csrf = hex(&random[16..]);
        self.by_id.insert(
            id.clone(),
            Session {
                user: user.to_owned(),
                csrf,
                last_seen: now,
                flash: String::new(),
            },
        );
        id
    }

    /// The live session `id`, touched; a session idle longer than `idle_ns` is closed instead.
    pub fn touch(&mut self, id: &str, now: Instant, idle_ns: u64) -> Option<&mut Session> {
        let expired = {
            let session = self.by_id.get(id)?;
            now.as_nanos().saturating_sub(session.last_seen.as_nanos()) > idle_ns
        };
        if expired {
            self.by_id.remove(id);
            return None;
        }
        let session = self.by_id.get_mut(id)?;
        session.last_seen = now;
        Some(session)
    }

    /// Session `id` without touching it.
    pub fn get_mut(&mut self, id: &str) -> Option<&mut Session> {
        self.by_id.get_mut(id)
    }

    /// Closes session `id` (logout).
    pub fn close(&mut self, id: &str) {
        self.by_id.remove(id);
    }

    /// Closes every session (reboot).
    pub fn clear(&mut self) {
        self.by_id.clear();
    }

    /// How many are open.
    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    /// Whether none is open.
    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }
}

/// Lower-case hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Compares two tokens in time that does not depend on where they differ.
pub fn same_token(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idle_sessions_expire() {
        let mut s = Sessions::default();
        let id = s.open("root", [7; 32], Instant::from_nanos(0));
        assert!(s.touch(&id, Instant::from_nanos(5), 10).is_some());
        assert!(s.touch(&id, Instant::from_nanos(14), 10).is_some());
        assert!(s.touch(&id, Instant::from_nanos(30), 10).is_none());
        assert!(s.is_empty());
        assert!(same_token("abc", "abc"));
        assert!(!same_token("abc", "abd"));
    }
}
