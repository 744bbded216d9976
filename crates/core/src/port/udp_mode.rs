//! The port engine in UDP mode (manual §4.4): datagrams in, serial frames out, Socket ID in
//! front of every datagram. The rules of who may send and who receives are [`super::udp`].

use super::udp::Verdict;
use super::DataPort;
use crate::io::{Action, DeviceEvent, ListenerId};
use m2285_time::Instant;
use std::collections::VecDeque;
use std::net::SocketAddr;

impl DataPort {
    /// A datagram arrived on the receiving port; delivered bytes go to `to_serial`.
    pub(super) fn datagram(
        &mut self,
        from: SocketAddr,
        data: Vec<u8>,
        now: Instant,
        out: &mut VecDeque<Action>,
        to_serial: &mut Vec<u8>,
    ) {
        let Some(udp) = self.udp.as_mut() else {
            return;
        };
        let verdict = if !self.cfg.enabled {
            Verdict::Reject("port disabled")
        } else if !self.dsr_ok {
            Verdict::Reject("dsr low")
        } else {
            udp.datagram(from, now)
        };
        match verdict {
            Verdict::Deliver => {
                self.stats.datagrams_received += 1;
                self.stats.net_rx_bytes += data.len() as u64;
                self.stats.frames_from_net += 1;
                to_serial.extend_from_slice(&data);
            }
            Verdict::Reject(reason) => {
                self.stats.datagrams_rejected += 1;
                out.push_back(Action::Notify(DeviceEvent::DatagramRejected {
                    port: self.number,
                    peer: from,
                    reason,
                }));
            }
        }
    }

    /// Sends one serial frame to every destination, the Socket ID in front.
    pub(super) fn send_datagrams(&mut self, frame: &[u8], out: &mut VecDeque<Action>) {
        let dests = self
            .udp
            .as_ref()
            .map(|u| u.destinations())
            .unwrap_or_default();
        if dests.is_empty() {
            self.discard(frame.len(), "no UDP destination", out);
            return;
        }
        let mut data = self.cfg.host.socket_id.clone().into_bytes();
        data.extend_from_slice(frame);
        self.stats.frames_to_net += 1;
        for (host, port) in dests {
            self.stats.datagrams_sent += 1;
            self.stats.net_tx_bytes += data.len() as u64;
            out.push_back(Action::SendTo {
                listener: ListenerId::Data,
                host,
                port,
                data: data.clone(),
            });
        }
    }

    /// Forgets unlisted senders whose inactivity timeout ran out.
    pub(super) fn udp_timers(&mut self, now: Instant) {
        if let Some(u) = self.udp.as_mut() {
            for peer in u.expire(now) {
                tracing::debug!(%peer, "unlisted UDP sender expired");
            }
        }
    }
}
