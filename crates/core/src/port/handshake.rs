//! The TLS handshake deadline (`port1.crypto.handshake_timeout_s`, decided: docs/tls.md): a
//! peer that connects and never finishes the handshake is closed, so it cannot hold one of the
//! port's few session slots for ever. Applies to both roles.

use super::DataPort;
use crate::io::{Action, CloseReason, ConnId, Failure};
use m2285_time::Instant;
use std::collections::VecDeque;
use std::time::Duration;

impl DataPort {
    fn handshake_timeout(&self) -> Duration {
        Duration::from_secs(u64::from(self.cfg.crypto.handshake_timeout_s))
    }

    /// Closes sessions whose TLS handshake did not finish in time; each counts as a TLS failure.
    pub(super) fn handshake_timers(&mut self, now: Instant, out: &mut VecDeque<Action>) {
        let limit = self.handshake_timeout();
        let late: Vec<ConnId> = self
            .sessions
            .iter()
            .filter(|s| s.stack.handshaking() && s.opened_at + limit <= now)
            .map(|s| s.conn)
            .collect();
        for conn in late {
            tracing::warn!(
                ?conn,
                "TLS handshake not finished within {limit:?}: closing"
            );
            self.stats.tls_failures += 1;
            self.stats.session_errors += 1;
            self.end(
                conn,
                CloseReason::Failed(Failure::TlsHandshakeTimedOut),
                out,
            );
        }
    }

    /// When the next handshake deadline is.
    pub(super) fn handshake_deadline(&self) -> Option<Instant> {
        let limit = self.handshake_timeout();
        self.sessions
            .iter()
            .filter(|s| s.stack.handshaking())
            .map(|s| s.opened_at + limit)
            .min()
    }
}
