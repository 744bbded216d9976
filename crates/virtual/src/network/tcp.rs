//! One end of a simulated TCP connection, at segment level.
//!
//! Not a full TCP: there is no congestion or receive window and no RTT estimation. What it
//! keeps is what the device's behaviour depends on (see docs/scenarios.md, "The TCP model"):
//! the three-way handshake with SYN retransmission and a connect timeout, refusal by reset,
//! in-order delivery with sequence numbers and cumulative ACKs (so loss, duplication and
//! reordering are repaired), retransmission with exponential back-off and a give-up limit,
//! orderly close with FIN in both directions, and Linux's keep-alive: after `time` idle seconds
//! a probe every `interval` seconds, the connection declared dead `probes` unanswered probes
//! later, i.e. at last-heard + time + probes × interval.
//!
//! Sequence numbers are kept relative (the SYN is 0, the first data byte 1) in 64 bits; the
//! capture adds the initial sequence number when it writes a packet.

use m2285_core::io::KeepaliveParams;
use m2285_time::Instant;
use std::collections::{BTreeMap, VecDeque};
use std::time::Duration;

/// Largest payload of one segment (Ethernet MTU minus IPv4 and TCP headers).
pub const MSS: usize = 1460;
use m2285_boundary::keepalive::{self, next_rto};
pub use m2285_boundary::keepalive::{DATA_RETRIES, RTO_MAX, RTO_MIN};
/// First retransmission timeout of a SYN or SYN-ACK (Linux: 1 s).
pub const SYN_RTO: Duration = Duration::from_secs(1);
/// SYN-ACK retransmissions before a half-open connection is dropped (`tcp_synack_retries`).
pub const SYNACK_RETRIES: u32 = 5;

pub use super::segment::{Flags, Segment};

/// Connection state of one end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    /// SYN sent, waiting for SYN-ACK.
    SynSent,
    /// SYN received and answered, waiting for the ACK.
    SynReceived,
    /// Open (including half-closed).
    Established,
    /// Gone: closed in order, reset, timed out or given up.
    Closed,
}

/// What an end tells its application.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Note {
    /// The handshake completed.
    Connected,
    /// New in-order bytes are in [`Tcb::rx`].
    DataReady,
    /// The other end finished sending (end of stream), after all its data.
    PeerFin,
    /// The connection request was answered with a reset.
    Refused,
    /// The connection was reset.
    Reset,
    /// A timeout ended the connection: `"connection timed out"` (connect),
    /// `"retransmission timeout"` or `"keep-alive timeout"`.
    TimedOut(&'static str),
    /// Both directions closed in order.
    Closed,
}

/// The state of one end of a connection (a transmission control block).
#[derive(Clone, Debug)]
pub struct Tcb {
    /// Connection state.
    pub state: State,
    /// Bytes received in order and not yet taken by the application.
    pub rx: VecDeque<u8>,
    /// The other end's FIN arrived (after all its data).
    pub peer_fin: bool,
    send: VecDeque<u8>,
    send_base: u64,
    data_end: u64,
    snd_una: u64,
    snd_nxt: u64,
    fin_queued: bool,
    fin_sent: bool,
    app_closed: bool,
    rcv_nxt: u64,
    ooo: BTreeMap<u64, (Vec<u8>, bool)>,
    rto: Duration,
    retries: u32,
    syn_retries: u32,
    rtx_at: Option<Instant>,
    keepalive: Option<KeepaliveParams>,
    last_heard: Instant,
    last_probe: Instant,
    probes_out: u32,
    closed_in_order: bool,
}

impl Tcb {
    fn blank(state: State, now: Instant, syn_retries: u32) -> Tcb {
        Tcb {
            state,
            rx: VecDeque::new(),
            peer_fin: false,
            send: VecDeque::new(),
            send_base: 1,
            data_end: 1,
            snd_una: 0,
            snd_nxt: 1,
            fin_queued: false,
            fin_sent: false,
            app_closed: false,
            rcv_nxt: 0,
            ooo: BTreeMap::new(),
            rto: SYN_RTO,
            retries: 0,
            syn_retries,
            rtx_at: Some(now + SYN_RTO),
            keepalive: None,
            last_heard: now,
            last_probe: now,
            probes_out: 0,
            closed_in_order: false,
        }
    }

    /// Opens a connection: sends a SYN, retransmitted `syn_retries` times before giving up.
    pub fn connect(now: Instant, syn_retries: u32, out: &mut Vec<Segment>) -> Tcb {
        let tcb = Tcb::blank(State::SynSent, now, syn_retries);
        out.push(tcb.syn());
        tcb
    }

    /// Answers a SYN that arrived at a listening port: sends the SYN-ACK.
    pub fn accept(now: Instant, out: &mut Vec<Segment>) -> Tcb {
        let mut tcb = Tcb::blank(State::SynReceived, now, SYNACK_RETRIES);
        tcb.rcv_nxt = 1;
        out.push(tcb.syn());
        tcb
    }

    fn syn(&self) -> Segment {
        let ack = self.state == State::SynReceived;
        self.segment(
            Flags {
                syn: true,
                ack,
                ..Flags::default()
            },
            0,
            Vec::new(),
        )
    }

    fn segment(&self, flags: Flags, seq: u64, data: Vec<u8>) -> Segment {
        Segment {
            flags,
            seq,
            ack: self.rcv_nxt,
            data,
        }
    }

    fn ack_segment(&self) -> Segment {
        let ack = Flags {
            ack: true,
            ..Flags::default()
        };
        self.segment(ack, self.snd_nxt, Vec::new())
    }

    /// Queues application data (sent at once when the connection is open).
    pub fn send(&mut self, data: &[u8], now: Instant, out: &mut Vec<Segment>) {
        if self.app_closed || self.state == State::Closed || data.is_empty() {
            return;
        }
        self.send.extend(data);
        self.data_end += data.len() as u64;
        self.output(now, out);
    }

    /// The application closes: a FIN follows the queued data. Data arriving afterwards is
    /// answered with a reset, as Linux does after `close()`.
    pub fn close(&mut self, now: Instant, out: &mut Vec<Segment>) {
        if self.app_closed {
            return;
        }
        self.app_closed = true;
        self.fin_queued = true;
        self.output(now, out);
    }

    /// True once the application closed this end.
    pub fn app_closed(&self) -> bool {
        self.app_closed
    }

    /// Turns keep-alive on with these settings (a `time_s` of 0 turns it off).
    pub fn set_keepalive(&mut self, params: KeepaliveParams) {
        self.keepalive = (params.time_s > 0).then_some(params);
    }

    /// Drops the connection without telling the other end (a reset fault or a power cut).
    pub fn abort(&mut self) {
        self.state = State::Closed;
        self.rtx_at = None;
    }

    /// A reset for a segment that reached a port or connection that does not exist.
    pub fn reset_reply(seg: &Segment) -> Segment {
        let len = seg.data.len() as u64 + u64::from(seg.flags.syn) + u64::from(seg.flags.fin);
        Segment {
            flags: Flags {
                rst: true,
                ack: true,
                ..Flags::default()
            },
            seq: if seg.flags.ack { seg.ack } else { 0 },
            ack: seg.seq + len,
            data: Vec::new(),
        }
    }

    /// Handles a segment from the other end.
    pub fn on_segment(
        &mut self,
        seg: Segment,
        now: Instant,
        out: &mut Vec<Segment>,
        notes: &mut Vec<Note>,
    ) {
        if seg.flags.rst {
            if self.state != State::Closed {
                let was = self.state;
                self.abort();
                notes.push(if was == State::SynSent {
                    Note::Refused
                } else {
                    Note::Reset
                });
            }
            return;
        }
        match self.state {
            State::Closed => {
                if self.closed_in_order {
                    // Our final ACK was lost: the other end repeats its FIN.
                    if seg.flags.fin {
                        out.push(self.ack_segment());
                    }
                } else {
                    // The socket is gone (reset, timed out): the stack answers with a reset.
                    out.push(Tcb::reset_reply(&seg));
                }
                return;
            }
            State::SynSent => {
                if seg.flags.syn && seg.flags.ack && seg.ack == 1 {
                    self.rcv_nxt = 1;
                    self.established(now, notes);
                    out.push(self.ack_segment());
                    self.output(now, out);
                }
                return;
            }
            State::SynReceived => {
                if seg.flags.syn {
                    out.push(self.syn());
                    return;
                }
                if !(seg.flags.ack && seg.ack >= 1) {
                    return;
                }
                self.established(now, notes);
                self.output(now, out);
            }
            State::Established => {
                if seg.flags.syn {
                    // A repeated SYN-ACK: our ACK of it was lost.
                    out.push(self.ack_segment());
                    return;
                }
            }
        }
        self.last_heard = now;
        self.probes_out = 0;
        if seg.flags.ack && seg.ack > self.snd_una && seg.ack <= self.snd_nxt {
            self.acked(seg.ack, now);
        }
        if !seg.data.is_empty() || seg.flags.fin {
            if self.app_closed && !seg.data.is_empty() {
                out.push(Tcb::reset_reply(&seg));
                self.abort();
                return;
            }
            self.receive(seg.seq, seg.data, seg.flags.fin, notes);
            out.push(self.ack_segment());
        } else if seg.seq < self.rcv_nxt {
            // A keep-alive probe (or an old duplicate): answer with an ACK.
            out.push(self.ack_segment());
        }
        if self.fin_sent && self.snd_una > self.data_end && self.peer_fin {
            self.state = State::Closed;
            self.closed_in_order = true;
            self.rtx_at = None;
            notes.push(Note::Closed);
        }
    }

    fn established(&mut self, now: Instant, notes: &mut Vec<Note>) {
        self.state = State::Established;
        self.snd_una = 1;
        self.snd_nxt = 1;
        self.rto = RTO_MIN;
        self.retries = 0;
        self.rtx_at = None;
        self.last_heard = now;
        notes.push(Note::Connected);
    }

    fn acked(&mut self, ack: u64, now: Instant) {
        let data_acked = ack.min(self.data_end);
        let n = (data_acked.saturating_sub(self.send_base) as usize).min(self.send.len());
        self.send.drain(..n);
        self.send_base = data_acked.max(self.send_base);
        self.snd_una = ack;
        self.retries = 0;
        self.rto = RTO_MIN;
        self.rtx_at = (self.snd_una < self.snd_nxt).then(|| now + self.rto);
    }

    fn receive(&mut self, seq: u64, data: Vec<u8>, fin: bool, notes: &mut Vec<Note>) {
        if seq > self.rcv_nxt {
            let keep = self.ooo.get(&seq).is_none_or(|(d, _)| d.len() < data.len());
            if keep {
                self.ooo.insert(seq, (data, fin));
            }
            return;
        }
        self.accept_in_order(seq, &data, fin, notes);
        while let Some(entry) = self.ooo.first_entry() {
            if *entry.key() > self.rcv_nxt {
                break;
            }
            let (s, (d, f)) = entry.remove_entry();
            self.accept_in_order(s, &d, f, notes);
        }
    }

    fn accept_in_order(&mut self, seq: u64, data: &[u8], fin: bool, notes: &mut Vec<Note>) {
        let skip = (self.rcv_nxt - seq) as usize;
        if skip < data.len() {
            self.rx.extend(&data[skip..]);
            self.rcv_nxt += (data.len() - skip) as u64;
            if notes.last() != Some(&Note::DataReady) {
                notes.push(Note::DataReady);
            }
        }
        if fin && !self.peer_fin && seq + data.len() as u64 == self.rcv_nxt {
            self.peer_fin = true;
            self.rcv_nxt += 1;
            notes.push(Note::PeerFin);
        }
    }

    /// Sends whatever is queued and allowed: data in MSS-sized segments, then the FIN.
    fn output(&mut self, now: Instant, out: &mut Vec<Segment>) {
        if self.state != State::Established {
            return;
        }
        let data_flags = Flags {
            ack: true,
            ..Flags::default()
        };
        while self.snd_nxt < self.data_end {
            let off = (self.snd_nxt - self.send_base) as usize;
            let len = MSS.min((self.data_end - self.snd_nxt) as usize);
            let data: Vec<u8> = self.send.range(off..off + len).copied().collect();
            out.push(self.segment(data_flags, self.snd_nxt, data));
            self.snd_nxt += len as u64;
        }
        if self.fin_queued && !self.fin_sent && self.snd_nxt == self.data_end {
            let fin = Flags {
                fin: true,
                ack: true,
                ..Flags::default()
            };
            out.push(self.segment(fin, self.data_end, Vec::new()));
            self.snd_nxt = self.data_end + 1;
            self.fin_sent = true;
        }
        if self.snd_una < self.snd_nxt && self.rtx_at.is_none() {
            self.rtx_at = Some(now + self.rto);
        }
    }

    fn keepalive_at(&self) -> Option<Instant> {
        let ka = self.keepalive?;
        if self.state != State::Established || self.snd_una < self.snd_nxt {
            return None;
        }
        Some(keepalive::next_probe_at(
            ka,
            self.probes_out,
            self.last_heard,
            self.last_probe,
        ))
    }

    /// When this end next needs [`Tcb::on_timer`], if ever.
    pub fn next_deadline(&self) -> Option<Instant> {
        if self.state == State::Closed {
            return None;
        }
        m2285_time::earliest(self.rtx_at, self.keepalive_at())
    }

    /// Runs the retransmission and keep-alive timers due by `now`.
    pub fn on_timer(&mut self, now: Instant, out: &mut Vec<Segment>, notes: &mut Vec<Note>) {
        if self.rtx_at.is_some_and(|t| t <= now) {
            self.rtx_at = None;
            self.retransmit(now, out, notes);
        }
        let Some(ka) = self.keepalive else {
            return;
        };
        if self.keepalive_at().is_some_and(|t| t <= now) {
            if keepalive::gives_up(ka, self.probes_out) {
                self.abort();
                notes.push(Note::TimedOut(keepalive::KEEPALIVE_TIMEOUT));
            } else {
                let probe = Flags {
                    ack: true,
                    ..Flags::default()
                };
                out.push(self.segment(probe, self.snd_una - 1, Vec::new()));
                self.probes_out += 1;
                self.last_probe = now;
            }
        }
    }

    fn retransmit(&mut self, now: Instant, out: &mut Vec<Segment>, notes: &mut Vec<Note>) {
        match self.state {
            State::SynSent | State::SynReceived => {
                if self.retries >= self.syn_retries {
                    let was = self.state;
                    self.abort();
                    // A half-open connection dies silently: its application never knew it.
                    if was == State::SynSent {
                        notes.push(Note::TimedOut("connection timed out"));
                    }
                    return;
                }
                self.retries += 1;
                self.rto = next_rto(self.rto);
                self.rtx_at = Some(now + self.rto);
                out.push(self.syn());
            }
            State::Established if self.snd_una < self.snd_nxt => {
                if self.retries >= DATA_RETRIES {
                    self.abort();
                    notes.push(Note::TimedOut(keepalive::RETRANSMISSION_TIMEOUT));
                    return;
                }
                self.retries += 1;
                self.rto = next_rto(self.rto);
                // Go back N: everything unacknowledged goes again.
                self.snd_nxt = self.snd_una.max(1);
                if self.fin_sent && self.snd_una <= self.data_end {
                    self.fin_sent = false;
                }
                self.output(now, out);
            }
            State::Established | State::Closed => {}
        }
    }
}
