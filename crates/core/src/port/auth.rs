//! The port's side of user authentication (`port1.host.user_auth`): reporting login tries,
//! sending the Socket ID once the peer is in, and the login deadline. The dialogue itself is the
//! session stack's login layer ([`super::stack::login`]).

use super::{DataPort, StackNote};
use crate::io::{Action, CloseReason, ConnId, DeviceEvent};
use m2285_time::Instant;
use std::collections::VecDeque;
use std::time::Duration;

/// How long a peer has to log in before the session is closed (decided: docs/host-modes.md).
pub const LOGIN_TIMEOUT: Duration = Duration::from_secs(60);

impl DataPort {
    /// Reports login tries (never the password) and lets the data start after a good one.
    pub(super) fn login_notes(
        &mut self,
        conn: ConnId,
        notes: &[StackNote],
        out: &mut VecDeque<Action>,
    ) {
        let peer = self
            .sessions
            .iter()
            .find(|s| s.conn == conn)
            .map(|s| s.peer);
        for note in notes {
            if let (StackNote::Login { user, ok }, Some(peer)) = (note, peer) {
                if *ok {
                    tracing::info!(?conn, %user, "login accepted");
                } else {
                    self.stats.login_failures += 1;
                    tracing::warn!(?conn, %user, "login refused");
                }
                out.push_back(Action::Notify(DeviceEvent::Login {
                    port: self.number,
                    conn,
                    peer,
                    user: user.clone(),
                    ok: *ok,
                }));
                if *ok {
                    self.send_socket_id(conn, out);
                }
            }
        }
    }

    /// Sends the Socket ID to a session that may receive data.
    pub(super) fn send_socket_id(&mut self, conn: ConnId, out: &mut VecDeque<Action>) {
        if self.cfg.host.socket_id.is_empty() {
            return;
        }
        let ready = self
            .sessions
            .iter()
            .any(|s| s.conn == conn && s.stack.logged_in());
        if ready {
            let id = self.cfg.host.socket_id.clone().into_bytes();
            self.with_stack(conn, out, |stack, o| stack.from_serial(&id, o));
        }
    }

    /// Closes sessions that did not log in within [`LOGIN_TIMEOUT`].
    pub(super) fn login_timers(&mut self, now: Instant, out: &mut VecDeque<Action>) {
        let late: Vec<ConnId> = self
            .sessions
            .iter()
            .filter(|s| !s.stack.logged_in() && s.opened_at + LOGIN_TIMEOUT <= now)
            .map(|s| s.conn)
            .collect();
        for conn in late {
            self.stats.login_failures += 1;
            self.end(conn, CloseReason::LoginFailed, out);
        }
    }

    /// When the next login deadline is.
    pub(super) fn login_deadline(&self) -> Option<Instant> {
        self.sessions
            .iter()
            .filter(|s| !s.stack.logged_in())
            .map(|s| s.opened_at + LOGIN_TIMEOUT)
            .min()
    }
}
