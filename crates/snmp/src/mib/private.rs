//! The enterprise MIB of `mibs/M2285-MIB.txt`: m2285PortTable, one row per serial port with
//! its settings, host mode, signals, byte and error counters and session count.

use super::{counter, gauge, int, text, truth, Mib};
use crate::oid::{join, M2285_PORT_TABLE};
use crate::view::DeviceView;

/// Adds m2285PortTable.
pub fn add(mib: &mut Mib, v: &DeviceView) {
    for p in &v.ports {
        let s = &p.stats;
        let columns = [
            (2, text(&p.title)),
            (3, truth(p.enabled)),
            (4, int(p.host_mode)),
            (5, int(p.line_type)),
            (6, gauge(u64::from(p.baud))),
            (7, int(p.data_bits)),
            (8, int(p.parity)),
            (9, int(p.stop_bits)),
            (10, int(p.flow_control)),
            (11, int(p.listen_port)),
            (12, truth(p.signals[0])),
            (13, truth(p.signals[1])),
            (14, truth(p.signals[2])),
            (15, truth(p.signals[3])),
            (16, truth(p.signals[4])),
            (17, truth(p.signals[5])),
            (18, counter(s.serial_rx_bytes)),
            (19, counter(s.serial_tx_bytes)),
            (20, counter(s.net_rx_bytes)),
            (21, counter(s.net_tx_bytes)),
            (22, counter(s.serial_rx_discarded)),
            (23, counter(s.serial_tx_lost)),
            (24, counter(s.net_rx_overflow)),
            (25, counter(s.breaks_received)),
            (26, counter(s.session_errors)),
            (27, counter(s.tls_failures)),
            (28, counter(s.login_failures)),
            (29, gauge(u64::from(p.sessions))),
            (30, counter(s.connections_accepted)),
            (31, counter(s.connections_rejected)),
        ];
        for (n, value) in columns {
            mib.cell(&join(M2285_PORT_TABLE, &[1, n]), &[p.index], value);
        }
    }
}
