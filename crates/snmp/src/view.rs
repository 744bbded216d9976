//! A read-only snapshot of the device for the agent: the counters and settings the MIB shows.
//!
//! [`from_device`] fills it from the model ([`m2285_core::Device`]) and the few facts only the
//! runtime knows ([`HostFacts`]: the host address, the bound ports, whether a fault cut the
//! network). Both runtimes call it, so the mapping from the model's counters to MIB objects
//! exists once. Where the simulator cannot know a value (IP fragments, ICMP: the host kernel
//! handles them) the view has no field and the MIB reports 0; docs/snmp.md lists them.

use m2285_core::config::{FlowControl, HostMode, LineType};
use m2285_core::Device;
use m2285_time::Instant;
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};

/// What the agent shows of the device.
#[derive(Debug, Clone, PartialEq)]
pub struct DeviceView {
    /// sysDescr.
    pub descr: String,
    /// sysContact.
    pub contact: String,
    /// sysName.
    pub name: String,
    /// sysLocation.
    pub location: String,
    /// sysUpTime: hundredths of a second since power-on.
    pub uptime_ticks: u32,
    /// snmpEnableAuthenTraps.
    pub auth_traps: bool,
    /// The Ethernet interface (ifIndex 1).
    pub interface: InterfaceView,
    /// TCP counters and connections.
    pub tcp: TcpView,
    /// UDP counters and listeners.
    pub udp: UdpView,
    /// Serial ports, ifIndex-like numbering from 1.
    pub ports: Vec<SerialPortView>,
    /// The kernel's own ip/icmp/tcp/udp counters, when the device has a stack of its own
    /// (they replace the model's estimates in MIB-II).
    pub kernel: Option<KernelCounters>,
}

/// Counters of a kernel IP stack by group (`Ip`, `Icmp`, `Tcp`, `Udp`) and Linux column name
/// (`InReceives`, `RetransSegs`, ...), as `/proc/net/snmp` lists them.
pub type KernelCounters =
    std::collections::BTreeMap<String, std::collections::BTreeMap<String, i64>>;

/// The network interface, `eth0`.
#[derive(Debug, Clone, PartialEq)]
pub struct InterfaceView {
    /// Its address (the host address the simulator uses).
    pub ip: Ipv4Addr,
    /// Its subnet mask (configuration).
    pub netmask: Ipv4Addr,
    /// MAC address.
    pub mac: [u8; 6],
    /// Operational status: false while a fault partitions the network.
    pub up: bool,
    /// sysUpTime at the last change of `up`.
    pub last_change_ticks: u32,
    /// Octets received: payload of the device's sessions, datagrams and SNMP messages.
    pub in_octets: u64,
    /// Octets sent, likewise.
    pub out_octets: u64,
    /// Packets received: network reads of sessions, datagrams and SNMP messages.
    pub in_packets: u64,
    /// Packets sent: network writes, datagrams, SNMP responses and traps.
    pub out_packets: u64,
}

/// TCP as the device sees it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TcpView {
    /// Connections the device opened (tcpActiveOpens).
    pub active_opens: u64,
    /// Connections peers opened (tcpPassiveOpens).
    pub passive_opens: u64,
    /// Outbound attempts that failed (tcpAttemptFails).
    pub attempt_fails: u64,
    /// Sessions that ended in an error (tcpEstabResets).
    pub estab_resets: u64,
    /// Network reads of TCP sessions (tcpInSegs: reads, not segments).
    pub in_segs: u64,
    /// Network writes of TCP sessions (tcpOutSegs: writes, not segments).
    pub out_segs: u64,
    /// tcpConnTable: listeners and sessions.
    pub conns: Vec<TcpConn>,
}

impl TcpView {
    /// Sessions established now (tcpCurrEstab).
    pub fn curr_estab(&self) -> u64 {
        self.conns.iter().filter(|c| c.state == 5).count() as u64
    }
}

/// One row of tcpConnTable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TcpConn {
    /// tcpConnState: 2 listen, 5 established.
    pub state: u32,
    /// Local address and port.
    pub local: SocketAddrV4,
    /// Remote address and port (0.0.0.0:0 for a listener).
    pub remote: SocketAddrV4,
}

/// UDP as the device sees it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct UdpView {
    /// Datagrams received (data port and SNMP).
    pub in_datagrams: u64,
    /// Datagrams sent (data port, SNMP responses, traps, locating reports).
    pub out_datagrams: u64,
    /// Datagrams that could not be decoded (SNMP parse errors).
    pub in_errors: u64,
    /// udpTable: bound UDP sockets.
    pub listeners: Vec<SocketAddrV4>,
}

/// One serial port's row of m2285PortTable.
#[derive(Debug, Clone, PartialEq)]
pub struct SerialPortView {
    /// Port number (1).
    pub index: u32,
    /// Port title.
    pub title: String,
    /// Port enable.
    pub enabled: bool,
    /// Host mode: 1 tcp, 2 udp, 3 modem.
    pub host_mode: i64,
    /// Electrical interface: 1 rs232, 2 rs422, 3 rs485.
    pub line_type: i64,
    /// Baud rate in force.
    pub baud: u32,
    /// Data bits in force.
    pub data_bits: i64,
    /// Parity in force: 1 none, 2 even, 3 odd, 4 mark, 5 space.
    pub parity: i64,
    /// Stop bits in force (1 or 2).
    pub stop_bits: i64,
    /// Flow control in force: 1 none, 2 xonXoff, 3 rtsCts.
    pub flow_control: i64,
    /// Configured listening port (0 = none).
    pub listen_port: i64,
    /// DTR, RTS (outputs), DSR, CTS, DCD, RI (inputs).
    pub signals: [bool; 6],
    /// Open sessions.
    pub sessions: u32,
    /// The port's counters.
    pub stats: m2285_core::stats::PortStats,
}

/// What only the runtime knows.
#[derive(Debug, Clone, Default)]
pub struct HostFacts {
    /// The host address the device uses.
    pub ip: Option<Ipv4Addr>,
    /// Whether a fault partitions the network.
    pub link_down: bool,
    /// sysUpTime at the last link change.
    pub link_changed_ticks: u32,
    /// Bound TCP listening ports (service, port).
    pub tcp_listeners: Vec<u16>,
    /// Bound UDP ports.
    pub udp_listeners: Vec<u16>,
    /// The device's own stack's counters (namespace mode), else `None`.
    pub kernel: Option<KernelCounters>,
}

/// sysDescr of the simulated device running `firmware` (its identity's version, which a
/// firmware upgrade changes).
pub fn descr(firmware: &str) -> String {
    format!("Patton Electronics Co. EtherBits Model 2285 serial device server ({firmware})")
}

/// Hundredths of a second since power-on (wraps like TimeTicks).
pub fn ticks(now: Instant) -> u32 {
    (now.as_nanos() / 10_000_000) as u32
}

/// Builds the view from the model, the agent's own counters and the runtime's facts.
pub fn from_device(
    device: &Device,
    agent: &crate::SnmpCounters,
    host: &HostFacts,
    now: Instant,
) -> DeviceView {
    let config = device.config();
    let status = device.status();
    let s = &status.stats;
    let ip = host.ip.unwrap_or(config.network.ip);
    let snmp_in = agent.in_pkts;
    let snmp_out = agent.out_pkts + agent.out_traps + agent.out_reports;
    let sessions: Vec<TcpConn> = status
        .sessions
        .iter()
        .filter_map(|x| match x.peer {
            SocketAddr::V4(remote) => Some(TcpConn {
                state: 5,
                local: SocketAddrV4::new(ip, local_port(host, x.role)),
                remote,
            }),
            SocketAddr::V6(_) => None,
        })
        .collect();
    let mut conns: Vec<TcpConn> = host
        .tcp_listeners
        .iter()
        .map(|&p| TcpConn {
            state: 2,
            local: SocketAddrV4::new(ip, p),
            remote: SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 0),
        })
        .collect();
    conns.extend(sessions);
    let lines = status.lines;
    let serial = config.port1.serial.clone();
    let params = status.baud;
    DeviceView {
        descr: descr(&device.admin().identity.firmware),
        contact: config.network.snmp.sys_contact.clone(),
        name: sys_name(config).to_owned(),
        location: config.network.snmp.sys_location.clone(),
        uptime_ticks: ticks(now),
        auth_traps: config.network.snmp.auth_failure_trap,
        interface: InterfaceView {
            ip,
            netmask: config.network.netmask,
            mac: device.admin().identity.mac_octets(),
            up: !host.link_down,
            last_change_ticks: host.link_changed_ticks,
            in_octets: s.net_rx_bytes + agent.in_octets,
            out_octets: s.net_tx_bytes + agent.out_octets,
            in_packets: s.frames_from_net + s.datagrams_received + s.datagrams_rejected + snmp_in,
            out_packets: s.frames_to_net + s.datagrams_sent + snmp_out,
        },
        tcp: TcpView {
            active_opens: s.connect_attempts,
            passive_opens: s.connections_accepted + s.connections_rejected,
            attempt_fails: s.connect_failures,
            estab_resets: s.session_errors,
            in_segs: s.frames_from_net,
            out_segs: s.frames_to_net,
            conns,
        },
        udp: UdpView {
            in_datagrams: s.datagrams_received + s.datagrams_rejected + snmp_in,
            out_datagrams: s.datagrams_sent + snmp_out,
            in_errors: agent.in_asn_parse_errs,
            listeners: host
                .udp_listeners
                .iter()
                .map(|&p| SocketAddrV4::new(ip, p))
                .collect(),
        },
        ports: vec![SerialPortView {
            index: 1,
            title: config.port1.title.clone(),
            enabled: config.port1.enabled,
            host_mode: match config.port1.host.mode {
                HostMode::Tcp => 1,
                HostMode::Udp => 2,
                HostMode::Modem => 3,
            },
            line_type: match serial.line_type {
                LineType::Rs232 => 1,
                LineType::Rs422 => 2,
                LineType::Rs485 => 3,
            },
            baud: params,
            data_bits: i64::from(serial.data_bits),
            parity: match serial.parity {
                m2285_uart::Parity::None => 1,
                m2285_uart::Parity::Even => 2,
                m2285_uart::Parity::Odd => 3,
                m2285_uart::Parity::Mark => 4,
                m2285_uart::Parity::Space => 5,
            },
            stop_bits: i64::from(serial.stop_bits),
            flow_control: match status.flow_control {
                FlowControl::None => 1,
                FlowControl::XonXoff => 2,
                FlowControl::RtsCts => 3,
            },
            listen_port: i64::from(config.port1.host.listen_port),
            signals: [
                lines.dtr, lines.rts, lines.dsr, lines.cts, lines.dcd, lines.ri,
            ],
            sessions: status.sessions.len() as u32,
            stats: status.stats.clone(),
        }],
        kernel: host.kernel.clone(),
    }
}

/// The device's port of a session: its listening port when the peer connected; an outbound
/// session's ephemeral port is not known to the model and shows as 0 (docs/snmp.md).
fn local_port(host: &HostFacts, role: m2285_core::port::SessionRole) -> u16 {
    match role {
        m2285_core::port::SessionRole::Server => host.tcp_listeners.first().copied().unwrap_or(0),
        m2285_core::port::SessionRole::Client => 0,
    }
}

/// sysName: `network.snmp.sys_name`, or the device name (`system.device_name`) while it is empty,
/// so a fresh device answers with the name its other faces show.
pub fn sys_name(config: &m2285_core::Config) -> &str {
    match config.network.snmp.sys_name.as_str() {
        "" => config.system.device_name.as_str(),
        name => name,
    }
}
