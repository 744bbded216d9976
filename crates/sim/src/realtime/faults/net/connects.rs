//! `net.refuse` and `net.connect_timeout` for the device's outgoing connects on host sockets
//! (the decisions are `m2285_boundary::faults::net::{refuse, syn_lost}`). A refused connect is
//! not dialled: the device is told `ConnectFailed` with the words a refusing host's reset gives
//! (`ECONNREFUSED`). A connect whose SYN vanishes is not dialled either and never completes: the
//! device's own connect timer ends it. Incoming connections are refused where they are accepted
//! (`route_in`): the host socket is reset, the device never hears of them.

use super::FaultyNet;
use m2285_boundary::faults::net as net_rule;
use m2285_core::io::{ConnId, NetEvent};

impl FaultyNet {
    /// Rolls the connect faults for the device's connect `conn` (its track knows the target);
    /// true when the connect must not be dialled.
    pub(super) fn connect_faults(&mut self, conn: ConnId) -> bool {
        let Some(t) = self.tracks.get_mut(&conn) else {
            return false;
        };
        let mut faults = self.boundary.faults();
        let link = t.link();
        if net_rule::refuse(faults.set_mut(), &link) {
            drop(faults);
            tracing::info!(?conn, "net.refuse: connect refused");
            self.tracks.remove(&conn);
            self.aborted.push(NetEvent::ConnectFailed {
                conn,
                reason: std::io::Error::from_raw_os_error(nix::libc::ECONNREFUSED).to_string(),
            });
            return true;
        }
        if net_rule::syn_lost(faults.set_mut(), &link) {
            drop(faults);
            tracing::info!(
                ?conn,
                "net.connect_timeout: SYN lost, the connect never completes"
            );
            t.black_hole = true;
            return true;
        }
        false
    }
}
