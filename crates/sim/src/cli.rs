//! The command line: what a user can ask of `m2285-sim`.

use clap::{Args, Parser, Subcommand};
use std::net::IpAddr;
use std::path::PathBuf;

const EXAMPLES: &str = "\
Examples:
  m2285-sim --pty /tmp/ttyS0
      Factory device: serial port at /tmp/ttyS0 (9600 8N1), TCP server on 127.0.0.1:7001.
  m2285-sim --pty /tmp/ttyS0 --config sim-configs/tcp-server-921600.toml
      Start from a ready-made configuration.
  m2285-sim --pty /tmp/ttyS0 --ip 127.0.0.7 --set port1.serial.baud=115200 --set sim.free_ports=true
      Another device on its own loopback address, with overrides; ports are picked free and
      printed in the ready line on stdout.
  m2285-sim --pty /tmp/ttyS0 --attach 'python3 my_instrument.py'
      Run a program as the device attached to the serial port (its stdio is the PTY).
  sudo m2285-sim --pty /tmp/ttyS0 --netns
      The device in a network namespace of its own at 192.168.161.5 (network.ip) with its real
      ports; reach it from the LAN namespace the ready line names (netns.lan), e.g.
      `sudo ip netns exec m2285-<pid>-lan ping 192.168.161.5` (docs/network.md).
  m2285-sim fleet --count 200 --config sim-configs/tcp-server-921600.toml --pty-dir /tmp/plant
      200 devices in one process: 127.50.0.1 ... with links /tmp/plant/ttyS0 ...
  m2285-sim run scenarios/keepalive-partition.toml --seed 7 --trace run.jsonl
      Run a scenario in virtual time (an hour of device time takes seconds).
  m2285-sim check-config my.toml
      Validate a configuration and print every mistake.
  m2285-sim ctl --addr 127.0.0.1:8285 status
      Ask a running device for its state; `ctl signal dsr=low`, `ctl config set KEY=VALUE`,
      `ctl break`, `ctl events` do what a cable or a hand on the device would.
  m2285-sim print-cert --ip 127.0.0.7 > device.pem
      The certificate a TLS client should trust (port1.crypto.method = \"ssl\").

On stdout the simulator prints one JSON line when ready, e.g.
  {\"event\":\"ready\",\"pty\":\"/dev/pts/3\",\"link\":\"/tmp/ttyS0\",\"ip\":\"127.0.0.1\",\"ports\":{\"control\":8285,\"data\":7001}}
`ports.data` is there only when the device listens from boot (TCP server, UDP): modem mode
(it listens once told to, with a `listening` event) and host.listen_port = 0 have none.
Then one JSON line per event (sessions opening and closing, ...). Logs go to stderr.";

/// Simulator of the Patton EtherBits Model 2285 serial device server.
#[derive(Debug, Parser)]
#[command(name = "m2285-sim", version, about, after_help = EXAMPLES, args_conflicts_with_subcommands = true)]
pub struct Cli {
    /// A subcommand; without one, the simulator runs a device.
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Options for running a device.
    #[command(flatten)]
    pub run: RunArgs,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Validate a configuration file: exit 0, or print every mistake and exit 1.
    CheckConfig {
        /// The TOML file.
        file: PathBuf,
    },
    /// Print the device's TLS certificate (PEM) for a client's trust store; the device makes its
    /// own on first use and keeps it in its state directory.
    PrintCert(RunArgs),
    /// Talk to a running device's control API: status, line signals, break, configuration,
    /// events (docs/control-api.md).
    Ctl(crate::control::client::CtlArgs),
    /// Run N independent devices in one process, each with its own loopback address, PTY link,
    /// configuration and state directory; one ready line lists them all.
    Fleet(FleetArgs),
    /// Run scenario files in virtual time (docs/scenarios.md): exit 0 when all pass, 1 when an
    /// expectation fails (printed with its virtual time and the events before it), 2 when a
    /// file has mistakes (each with its line).
    Run(crate::scenario_cmd::ScenarioArgs),
    /// Print a shell completion script, e.g. `m2285-sim completions bash >
    /// ~/.local/share/bash-completion/completions/m2285-sim`.
    Completions {
        /// The shell: bash, zsh, fish, elvish or powershell.
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff), e.g. `m2285-sim man | man -l -`.
    Man,
    /// Build a firmware image for the web page's firmware upgrade (docs/web.md), e.g.
    /// `m2285-sim firmware-image --version 2.0.0 -o fw.bin`.
    FirmwareImage(crate::firmware_cmd::FirmwareImageArgs),
}

/// How log lines on stderr look.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// For people: one line per event, coloured only when stderr is a terminal.
    #[default]
    Text,
    /// One JSON object per line (timestamp, level, target, fields), for log collectors.
    Json,
}

/// Options of `m2285-sim fleet`.
#[derive(Debug, Args, Clone)]
pub struct FleetArgs {
    /// Number of devices.
    #[arg(long, value_name = "N")]
    pub count: usize,
    /// Index of the first device (its address, link ttyS<N> and state directory dev<N> follow
    /// from it): a fleet process that is one member of a larger plant takes the slice
    /// N..N+count (docs/fleet.md).
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub first_index: usize,
    /// Configuration template every device starts from (default: factory).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Override a key on every device (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub sets: Vec<String>,
    /// Override a key on one device (repeatable), e.g. --device 3:port1.serial.baud=921600.
    #[arg(long = "device", value_name = "INDEX:KEY=VALUE")]
    pub device_sets: Vec<String>,
    /// Directory for the devices' PTY links (ttyS0, ttyS1, ...).
    #[arg(long, value_name = "DIR", default_value = "/tmp/m2285-fleet")]
    pub pty_dir: PathBuf,
    /// Parent of the devices' state directories (dev0, dev1, ...).
    #[arg(long, value_name = "DIR")]
    pub state_dir: Option<PathBuf>,
    /// Addresses are 127.a.b.1, 127.a.b.2, ... from this 127.a.b.0 base (250 per third octet).
    #[arg(long, value_name = "ADDR", default_value = "127.50.0.0", value_parser = parse_fleet_base)]
    pub ip_base: std::net::Ipv4Addr,
    /// Log filter for stderr.
    #[arg(long, value_name = "FILTER")]
    pub log: Option<String>,
    /// How log lines on stderr look.
    #[arg(long, value_name = "FORMAT", default_value = "text")]
    pub log_format: LogFormat,
    /// Seed of device 0; device i uses seed + i.
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,
    /// Network options of the namespace mode: with --netns every device gets a namespace of
    /// its own on one bridge, device i at network.ip + i (or DHCP).
    #[command(flatten)]
    pub netns: NetnsArgs,
}

fn parse_fleet_base(s: &str) -> Result<std::net::Ipv4Addr, String> {
    let ip: std::net::Ipv4Addr = s
        .parse()
        .map_err(|_| format!("'{s}' is not an IPv4 address"))?;
    if ip.octets()[0] == 127 {
        Ok(ip)
    } else {
        Err(format!(
            "'{s}' is not in 127.0.0.0/8: fleets use loopback addresses only"
        ))
    }
}

/// Options for running a device.
#[derive(Debug, Args, Clone)]
pub struct RunArgs {
    /// Make the serial port a PTY with a symlink at PATH (a stale link is replaced; a link a
    /// running simulator holds, a file or a directory there is refused). Without it the PTY's
    /// /dev/pts/N is used.
    #[arg(long, value_name = "PATH")]
    pub pty: Option<PathBuf>,
    /// Device configuration (TOML; see docs/config.md). Without it, the configuration saved in
    /// the state directory is used, else the factory defaults.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Override one configuration key (repeatable), e.g. --set port1.serial.baud=115200.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub sets: Vec<String>,
    /// The device's address on the host; must be a loopback address (127.0.0.0/8 or ::1).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1", value_parser = parse_loopback)]
    pub ip: IpAddr,
    /// Log filter for stderr (tracing syntax, e.g. info or m2285_core=debug); RUST_LOG works too.
    #[arg(long, value_name = "FILTER")]
    pub log: Option<String>,
    /// How log lines on stderr look: text (coloured only on a terminal) or json.
    #[arg(long, value_name = "FORMAT", default_value = "text")]
    pub log_format: LogFormat,
    /// The device's non-volatile memory (configuration, keys, logs); it must be private (yours,
    /// not group- or world-writable) and is created with mode 0700. Default:
    /// $XDG_STATE_HOME/m2285-sim/<ip>, else ~/.local/state/m2285-sim/<ip>, else (no HOME)
    /// $TMPDIR/m2285-sim-<uid>/<ip>.
    #[arg(long, value_name = "DIR")]
    pub state_dir: Option<PathBuf>,
    /// Start CMD (via /bin/sh -c) with the serial port as its terminal: a program playing the
    /// device attached to the serial port. Its exit is reported and does not stop the simulator.
    #[arg(long, value_name = "CMD")]
    pub attach: Option<String>,
    /// Seed for the device's randomness (TLS) and the dice of injected faults; default: a
    /// fresh one each run.
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,
    /// Write every event at the device's boundaries (serial and network data, device events,
    /// faults) to FILE as JSON lines stamped with device time (docs/traces.md). It holds the
    /// data, passwords included: it is created mode 0600.
    #[arg(long, value_name = "FILE")]
    pub trace: Option<PathBuf>,
    /// Write the bytes on the device's host sockets to FILE as a pcap, with synthesised
    /// Ethernet/IP/TCP/UDP headers (docs/traces.md). It holds the data: created mode 0600.
    #[arg(long, value_name = "FILE")]
    pub pcap: Option<PathBuf>,
    /// Write the serial port's signals (txd, rxd at bit level, the modem lines) to FILE as a
    /// Value Change Dump stamped with device time (docs/traces.md), written as the run goes.
    /// Created mode 0600.
    #[arg(long, value_name = "FILE")]
    pub vcd: Option<PathBuf>,
    /// Network options of the namespace mode.
    #[command(flatten)]
    pub netns: NetnsArgs,
}

/// The network-namespace mode's options (docs/network.md), for a device and for a fleet.
#[derive(Debug, Args, Clone, Default)]
pub struct NetnsArgs {
    /// Run the device's network side in a network namespace of its own, at its own address
    /// (network.ip, or DHCP with network.ip_mode=dhcp) with its real ports (7001, 23, 22, 161),
    /// joined by a veth to a bridge in a "LAN" namespace (the ready line names both). Needs
    /// CAP_NET_ADMIN and CAP_SYS_ADMIN (root); the control API stays on --ip. docs/network.md.
    #[arg(long)]
    pub netns: bool,
    /// With --netns: the host side's address on the LAN bridge (default: network.gateway when
    /// it is on the device's subnet, else the subnet's first free address).
    #[arg(long, value_name = "ADDR", requires = "netns")]
    pub netns_host_ip: Option<std::net::Ipv4Addr>,
    /// With --netns: join bridge br0 of this existing namespace (made by you, e.g. with a DHCP
    /// server on it) instead of creating a LAN namespace; the simulator only adds its veth.
    #[arg(long, value_name = "NAME", requires = "netns")]
    pub netns_lan: Option<String>,
}

fn parse_loopback(s: &str) -> Result<IpAddr, String> {
    let ip: IpAddr = s
        .parse()
        .map_err(|_| format!("'{s}' is not an IP address"))?;
    if ip.is_loopback() {
        Ok(ip)
    } else {
        Err(format!(
            "'{s}' is not a loopback address: the simulator only uses 127.0.0.0/8 and ::1"
        ))
    }
}
