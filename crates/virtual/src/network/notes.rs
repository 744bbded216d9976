//! What the ends of a connection tell their applications: the device (as [`NetEvent`]s) and
//! the scripted peers (as state changes and received bytes).

use super::{ConnKey, Ctx, PeerState, Side, SimNet};
use crate::network::tcp::Note;
use crate::trace::{Bytes, TraceEvent};
use m2285_core::io::ListenerId;
use m2285_core::{ConnId, NetEvent};

impl SimNet {
    pub(super) fn handle_notes(
        &mut self,
        ctx: &mut Ctx<'_>,
        key: ConnKey,
        side: Side,
        notes: Vec<Note>,
    ) {
        for note in notes {
            match side {
                Side::Device => self.device_note(key, note),
                Side::Peer => self.peer_note(ctx, key, note),
            }
        }
    }

    fn device_note(&mut self, key: ConnKey, note: Note) {
        let Some(c) = self.conns.get(&key) else {
            return;
        };
        let peer = self.peer_addr(c);
        let dev_closed = c.tcb[Side::Device as usize]
            .as_ref()
            .is_some_and(|t| t.app_closed());
        let (origin, dev_id, connected, host) = (c.origin, c.dev_id, c.dev_connected, c.host);
        match note {
            Note::Connected => {
                let id = match (origin, dev_id) {
                    (Side::Device, Some(id)) => {
                        self.to_device
                            .push_back(NetEvent::Connected { conn: id, peer });
                        id
                    }
                    _ => {
                        let id = ConnId(self.next_accept);
                        self.next_accept += 1;
                        self.by_dev_id.insert(id, key);
                        self.dev_names.insert(id, host);
                        let listener = c.listener.unwrap_or(ListenerId::Data);
                        self.to_device.push_back(NetEvent::Accepted {
                            listener,
                            conn: id,
                            peer,
                        });
                        id
                    }
                };
                if let Some(c) = self.conns.get_mut(&key) {
                    c.dev_connected = true;
                    c.dev_id = Some(id);
                }
            }
            Note::DataReady | Note::PeerFin => {
                if !dev_closed {
                    self.pending_rx.insert(key);
                }
            }
            Note::Refused | Note::TimedOut(_) | Note::Reset => {
                let Some(id) = dev_id.filter(|_| !dev_closed) else {
                    return;
                };
                self.by_dev_id.remove(&id);
                self.pending_rx.remove(&key);
                let reason = match note {
                    Note::Refused => "connection refused",
                    Note::TimedOut(why) => why,
                    _ => "connection reset by peer",
                }
                .to_owned();
                self.to_device.push_back(if connected {
                    NetEvent::Failed { conn: id, reason }
                } else {
                    NetEvent::ConnectFailed { conn: id, reason }
                });
            }
            Note::Closed => {}
        }
    }

    fn peer_note(&mut self, ctx: &mut Ctx<'_>, key: ConnKey, note: Note) {
        let Some(c) = self.conns.get_mut(&key) else {
            return;
        };
        let host = c.host;
        let accepted_by_server = c.origin == Side::Device;
        let current = self.hosts[host].app.conn == Some(key);
        match note {
            Note::Connected if accepted_by_server || current => {
                self.set_peer_state(ctx, host, Some(key), PeerState::Connected);
            }
            Note::DataReady => {
                let data: Vec<u8> = c.tcb[Side::Peer as usize]
                    .as_mut()
                    .map(|t| t.rx.drain(..).collect())
                    .unwrap_or_default();
                let h = &mut self.hosts[host];
                h.app.received.extend_from_slice(&data);
                ctx.trace.record(
                    ctx.now,
                    TraceEvent::PeerReceive {
                        peer: h.name.clone(),
                        data: Bytes(data),
                    },
                );
            }
            Note::PeerFin => {
                if current {
                    self.set_peer_state(ctx, host, None, PeerState::Closed);
                }
                // A scripted peer closes its side when the device closes (as most clients do).
                self.with_tcb(ctx, key, Side::Peer, |tcb, now, out| tcb.close(now, out));
            }
            Note::Refused if current => self.set_peer_state(ctx, host, None, PeerState::Refused),
            Note::TimedOut(_) if current => {
                self.set_peer_state(ctx, host, None, PeerState::TimedOut);
            }
            Note::Reset if current => self.set_peer_state(ctx, host, None, PeerState::Reset),
            _ => {}
        }
    }

    pub(super) fn set_peer_state(
        &mut self,
        ctx: &mut Ctx<'_>,
        host: usize,
        conn: Option<ConnKey>,
        state: PeerState,
    ) {
        let h = &mut self.hosts[host];
        if conn.is_some() {
            h.app.conn = conn;
        }
        if h.app.state != state {
            h.app.state = state;
            ctx.trace.record(
                ctx.now,
                TraceEvent::PeerState {
                    peer: h.name.clone(),
                    state: state.as_str().to_owned(),
                },
            );
        }
    }

    /// Hands the device the bytes waiting on its connections, as much as `room` says each
    /// connection can take now, and the end of stream once a connection's bytes are all
    /// delivered. Bytes that do not fit wait here (the device's TCP receive buffer).
    pub fn deliver_to_device(&mut self, mut room: impl FnMut(ConnId) -> usize) {
        let keys: Vec<ConnKey> = self.pending_rx.iter().copied().collect();
        for key in keys {
            let Some(c) = self.conns.get_mut(&key) else {
                self.pending_rx.remove(&key);
                continue;
            };
            let (Some(id), Some(tcb)) = (c.dev_id, c.tcb[Side::Device as usize].as_mut()) else {
                self.pending_rx.remove(&key);
                continue;
            };
            let n = room(id).min(tcb.rx.len());
            if n > 0 {
                let data: Vec<u8> = tcb.rx.drain(..n).collect();
                self.to_device
                    .push_back(NetEvent::Received { conn: id, data });
            }
            if tcb.rx.is_empty() {
                if tcb.peer_fin && !c.dev_fin_delivered {
                    c.dev_fin_delivered = true;
                    self.to_device.push_back(NetEvent::PeerClosed { conn: id });
                }
                self.pending_rx.remove(&key);
            }
        }
    }

    /// True when bytes or an end of stream wait for the device.
    pub fn has_pending_for_device(&self) -> bool {
        !self.pending_rx.is_empty()
    }
}
