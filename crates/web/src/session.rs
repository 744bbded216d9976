//! Web sessions: who is logged in, with which CSRF token, since when idle. Identifiers and
//! tokens come from randomness the runtime hands in; time is the device's [`Instant`].

use m2285_time::Instant;
use std::collections::HashMap;
use std::net::SocketAddr;

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
    /// Where the login came from.
    pub peer: Option<SocketAddr>,
}

/// A session that ended by logout or idle timeout, for the device's log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ended {
    /// The account.
    pub user: String,
    /// Where its login came from.
    pub peer: Option<SocketAddr>,
    /// logout or idle.
    pub reason: &'static str,
}

/// The sessions of one device's web server.
#[derive(Debug, Default)]
pub struct Sessions {
    by_id: HashMap<String, Session>,
    ended: Vec<Ended>,
}

impl Sessions {
    /// Opens a session for `user`; returns its id. `random` supplies the id and the token.
    pub fn open(
        &mut self,
        user: &str,
        peer: Option<SocketAddr>,
        random: [u8; 32],
        now: Instant,
    ) -> String {
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
                peer,
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
            self.end(id, "idle");
            return None;
        }
        let session = self.by_id.get_mut(id)?;
        session.last_seen = now;
        Some(session)
    }

    /// Whether session `id` is open (idle or not).
    pub fn contains(&self, id: &str) -> bool {
        self.by_id.contains_key(id)
    }

    /// Session `id` without touching it.
    pub fn get_mut(&mut self, id: &str) -> Option<&mut Session> {
        self.by_id.get_mut(id)
    }

    /// Closes session `id` (logout).
    pub fn close(&mut self, id: &str) {
        self.end(id, "logout");
    }

    /// Closes every session idle longer than `idle_ns` (each is reported by
    /// [`Sessions::take_ended`]).
    pub fn expire(&mut self, now: Instant, idle_ns: u64) {
        let idle: Vec<String> = self
            .by_id
            .iter()
            .filter(|(_, s)| now.as_nanos().saturating_sub(s.last_seen.as_nanos()) > idle_ns)
            .map(|(id, _)| id.clone())
            .collect();
        for id in idle {
            self.end(&id, "idle");
        }
    }

    /// The sessions ended by logout or idle timeout since the last call.
    pub fn take_ended(&mut self) -> Vec<Ended> {
        std::mem::take(&mut self.ended)
    }

    fn end(&mut self, id: &str, reason: &'static str) {
        if let Some(s) = self.by_id.remove(id) {
            self.ended.push(Ended {
                user: s.user,
                peer: s.peer,
                reason,
            });
        }
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
        let id = s.open("root", None, [7; 32], Instant::from_nanos(0));
        assert!(s.touch(&id, Instant::from_nanos(5), 10).is_some());
        assert!(s.touch(&id, Instant::from_nanos(14), 10).is_some());
        assert!(s.touch(&id, Instant::from_nanos(30), 10).is_none());
        assert!(s.is_empty());
        assert_eq!(s.take_ended().first().map(|e| e.reason), Some("idle"));
        assert!(same_token("abc", "abc"));
        assert!(!same_token("abc", "abd"));
    }
}
