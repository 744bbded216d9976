//! Counters the device keeps, the basis of the statistics pages (console, web, SNMP) and of
//! `ctl status`.

use serde::Serialize;

/// Counters of one serial port. They only ever grow (until power-off).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct PortStats {
    /// Bytes received from the serial line.
    pub serial_rx_bytes: u64,
    /// Bytes transmitted on the serial line.
    pub serial_tx_bytes: u64,
    /// Serial bytes discarded because no session could take them.
    pub serial_rx_discarded: u64,
    /// Transmitted bytes no program was there to receive.
    pub serial_tx_lost: u64,
    /// Bytes sent to the network (all sessions; after Telnet escaping and TLS).
    pub net_tx_bytes: u64,
    /// Bytes received from the network.
    pub net_rx_bytes: u64,
    /// Frames (flushes of the serial buffer) sent to the network, counted once per flush.
    pub frames_to_net: u64,
    /// Network reads delivered to the serial side.
    pub frames_from_net: u64,
    /// Network bytes dropped because the serial buffer was full (a runtime that ignores the
    /// device's input room).
    pub net_rx_overflow: u64,
    /// Sessions accepted.
    pub connections_accepted: u64,
    /// Connections turned away (limit, port disabled, mode).
    pub connections_rejected: u64,
    /// Sessions ended for any reason.
    pub sessions_closed: u64,
    /// Sessions closed by the inactivity timer.
    pub inactivity_timeouts: u64,
    /// Sessions that ended in an error (reset, keep-alive).
    pub session_errors: u64,
    /// Times the serial-side program's baud rate was seen to differ from the device's.
    pub baud_mismatches: u64,
    /// TLS handshakes or sessions that failed (bad certificate, not TLS, ...).
    pub tls_failures: u64,
    /// RFC 2217 requests carried out.
    pub com_port_requests: u64,
    /// Breaks sent on the serial line.
    pub breaks_sent: u64,
    /// Breaks received from the attached equipment.
    pub breaks_received: u64,
    /// Outbound connection attempts (TCP client side).
    pub connect_attempts: u64,
    /// Outbound connection attempts that failed (refused, timed out, not loopback).
    pub connect_failures: u64,
    /// UDP datagrams delivered to the serial port.
    pub datagrams_received: u64,
    /// UDP datagrams not delivered (unlisted sender, DSR low, limit).
    pub datagrams_rejected: u64,
    /// UDP datagrams sent.
    pub datagrams_sent: u64,
    /// Failed logins on data sessions.
    pub login_failures: u64,
    /// Port event keywords seen in the serial data (port1.events).
    pub port_event_matches: u64,
    /// Matches not acted on because the port notified less than the minimum interval ago.
    pub port_events_suppressed: u64,
}
