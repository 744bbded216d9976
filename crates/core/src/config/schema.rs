//! The configuration schema as data: every key the device knows, its type, its allowed values,
//! its factory default and what it means.
//!
//! One table serves the config-file loader, `--set`, `check-config`, the control API, the
//! management menus and `docs/config.md`, so none of them can disagree about a key. Keys are
//! dotted paths that mirror the device's menu tree; `name[]` marks a list of records whose item
//! keys follow it (e.g. `port1.remote_hosts[].host`).

/// The type and allowed values of one key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `true` or `false`.
    Bool,
    /// An integer in `min..=max`.
    Int {
        /// Smallest allowed value.
        min: i64,
        /// Largest allowed value.
        max: i64,
    },
    /// One integer of a fixed list (e.g. baud rates).
    OneOfInt(&'static [i64]),
    /// One string of a fixed list.
    OneOf(&'static [&'static str]),
    /// Free text of at most this many bytes.
    Text {
        /// Longest allowed value in bytes.
        max_len: usize,
    },
    /// A dotted-quad IPv4 address.
    Ipv4,
    /// A secret (a password), never shown: every API answer and export shows
    /// [`super::secrets::MASK`] instead (docs/management.md). A `hashed` secret (an account's
    /// password) is kept only as a hash: given as a plaintext of at most `max_len` bytes (hashed
    /// before the device keeps it) or as an Argon2 PHC string. A secret the device must present
    /// to someone else (the SMTP password) cannot be hashed and is kept as given.
    Secret {
        /// Longest plaintext allowed in bytes.
        max_len: usize,
        /// Kept only as an Argon2id hash.
        hashed: bool,
    },
    /// A list of records (the item keys are the specs under `path[]`).
    List {
        /// Most items allowed.
        max_items: usize,
    },
}

/// A factory default value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum DefaultValue {
    /// A boolean default.
    Bool(bool),
    /// An integer default.
    Int(i64),
    /// A string default (also used for enums and addresses).
    Str(&'static str),
    /// An empty list.
    EmptyList,
    /// A list with factory records, as a TOML array of inline tables (the factory accounts).
    Records(&'static str),
}

/// When a new value of a key takes effect once applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// At once, on apply.
    Apply,
    /// At the next reboot or power cycle; until then the key is reported as "pending reboot".
    Reboot,
    /// At the next start of the simulator process (the control API's own settings).
    Restart,
}

/// One configuration key.
#[derive(Debug, Clone, Copy)]
pub struct KeySpec {
    /// Dotted path, e.g. `port1.serial.baud`.
    pub path: &'static str,
    /// Type and allowed values.
    pub kind: Kind,
    /// Factory default.
    pub default: DefaultValue,
    /// What the key means, for humans (docs, `--help`, menus).
    pub doc: &'static str,
    /// When an applied change takes effect (docs/management.md).
    pub effect: Effect,
}

const fn key(path: &'static str, kind: Kind, default: DefaultValue, doc: &'static str) -> KeySpec {
    KeySpec {
        path,
        kind,
        default,
        doc,
        effect: Effect::Apply,
    }
}

impl KeySpec {
    /// The same key, taking effect only at the next reboot.
    const fn on_reboot(self) -> KeySpec {
        KeySpec {
            effect: Effect::Reboot,
            ..self
        }
    }

    /// The same key, taking effect only at the next start of the simulator.
    const fn on_restart(self) -> KeySpec {
        KeySpec {
            effect: Effect::Restart,
            ..self
        }
    }
}

/// Baud rates the port accepts: the Sena list plus 460800 and 921600 (see docs/config.md).
pub const BAUD_RATES: &[i64] = &[
    75, 110, 150, 200, 300, 600, 1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400,
    460800, 921600,
];

use DefaultValue as D;
use Kind as K;

/// Every key of the device's configuration, in menu order.
pub const KEYS: &[KeySpec] = &[
    // 1 Network configuration
    key("network.ip_mode", K::OneOf(&["static", "dhcp", "pppoe"]), D::Str("static"), "How the device gets its IP address. In the loopback mode the simulator uses the host address given with --ip and only records this; with --netns, dhcp runs a real DHCP client exchange on the device's link before it boots (docs/network.md).").on_reboot(),
    key("network.ip", K::Ipv4, D::Str("192.168.161.5"), "The device's static IP address as its menus show it (Sena factory value). In the loopback mode the simulator listens on --ip; with --netns the device has this address in its own network namespace (a fleet's device n: this + n; docs/network.md).").on_reboot(),
    key("network.netmask", K::Ipv4, D::Str("255.255.0.0"), "Subnet mask.").on_reboot(),
    key("network.gateway", K::Ipv4, D::Str("192.168.1.1"), "Default gateway.").on_reboot(),
    key("network.dns_primary", K::Ipv4, D::Str("0.0.0.0"), "Primary DNS server (0.0.0.0 = none).").on_reboot(),
    key("network.dns_secondary", K::Ipv4, D::Str("0.0.0.0"), "Secondary DNS server (0.0.0.0 = none).").on_reboot(),
    key("network.tcp_keepalive.time_s", K::Int { min: 1, max: 32767 }, D::Int(15), "TCP keep-alive time: idle seconds after the last data before the first probe."),
    key("network.tcp_keepalive.probes", K::Int { min: 1, max: 127 }, D::Int(3), "TCP keep-alive probes: unanswered probes after which the session is declared dead."),
    key("network.tcp_keepalive.interval_s", K::Int { min: 1, max: 32767 }, D::Int(5), "TCP keep-alive interval: seconds between probes."),
    // SNMP (manual §3.2; docs/snmp.md)
    key("network.snmp.enabled", K::Bool, D::Bool(true), "SNMP v1/v2c agent on UDP port 161 (host port: sim.snmp_port). Traps are sent only while it is enabled.").on_restart(),
    key("network.snmp.sys_contact", K::Text { max_len: 255 }, D::Str(""), "MIB-II sysContact: who looks after the device. Writable by a read-write manager (SNMP SET)."),
    key("network.snmp.sys_name", K::Text { max_len: 255 }, D::Str(""), "MIB-II sysName: the device's administrative name. Writable by a read-write manager (SNMP SET)."),
    key("network.snmp.sys_location", K::Text { max_len: 255 }, D::Str(""), "MIB-II sysLocation: where the device is. Writable by a read-write manager (SNMP SET)."),
    key("network.snmp.auth_failure_trap", K::Bool, D::Bool(false), "Send an authenticationFailure trap when a request carries a community no manager entry allows (MIB-II snmpEnableAuthenTraps, writable by SET)."),
    key("network.snmp.managers", K::List { max_items: 4 }, D::EmptyList, "Managers allowed to query the agent (access list). Empty = the agent answers nobody; a request matching no entry is an authentication failure."),
    key("network.snmp.managers[].address", K::Ipv4, D::Str("0.0.0.0"), "The manager's IPv4 address; 0.0.0.0 = any host."),
    key("network.snmp.managers[].community", K::Text { max_len: 31 }, D::Str("public"), "Community string the manager must send."),
    key("network.snmp.managers[].access", K::OneOf(&["read_only", "read_write"]), D::Str("read_only"), "read_only answers GET/GETNEXT/GETBULK; read_write also allows SET."),
    key("network.snmp.trap_receivers", K::List { max_items: 4 }, D::EmptyList, "Where traps go (up to 4 receivers)."),
    key("network.snmp.trap_receivers[].address", K::Ipv4, D::Str("127.0.0.1"), "The receiver's IPv4 address (loopback in the simulator)."),
    key("network.snmp.trap_receivers[].port", K::Int { min: 1, max: 65535 }, D::Int(162), "The receiver's UDP port."),
    key("network.snmp.trap_receivers[].community", K::Text { max_len: 31 }, D::Str("public"), "Community string sent with the traps."),
    key("network.snmp.trap_receivers[].version", K::OneOf(&["v1", "v2c"]), D::Str("v2c"), "Trap format: SNMPv1 Trap-PDU or SNMPv2c SNMPv2-Trap-PDU."),
    // SMTP (manual §3.4)
    key("network.smtp.server", K::Text { max_len: 63 }, D::Str(""), "SMTP server for e-mail notifications (port events): a loopback address or host name; empty = no e-mail."),
    key("network.smtp.port", K::Int { min: 1, max: 65535 }, D::Int(25), "SMTP server's TCP port."),
    key("network.smtp.sender", K::Text { max_len: 127 }, D::Str("m2285@localhost"), "Sender address of the device's e-mails (MAIL FROM and From:)."),
    key("network.smtp.auth", K::Bool, D::Bool(false), "Log in to the SMTP server (AUTH PLAIN) with network.smtp.user and network.smtp.password."),
    key("network.smtp.user", K::Text { max_len: 63 }, D::Str(""), "SMTP user name (with network.smtp.auth)."),
    key("network.smtp.password", K::Secret { max_len: 63, hashed: false }, D::Str(""), "SMTP password (with network.smtp.auth). Never logged; shown as \"***\" by the control API."),
    // Locating server (manual §3.11, §11.9)
    key("network.locating.enabled", K::Bool, D::Bool(false), "Report the device to a locating server over UDP every network.locating.interval_s."),
    key("network.locating.server", K::Ipv4, D::Str("127.0.0.1"), "Locating server's IPv4 address (loopback in the simulator)."),
    key("network.locating.port", K::Int { min: 1, max: 65535 }, D::Int(9999), "Locating server's UDP port [unverified: the notes name no default]."),
    key("network.locating.interval_s", K::Int { min: 1, max: 86400 }, D::Int(60), "Seconds between reports (the first is sent at power-on)."),
    key("network.web_server.mode", K::OneOf(&["off", "http", "https", "both"]), D::Str("both"), "Web server configuration (notes §3.9): which of plain HTTP (device port 80) and HTTPS (device port 443, the device's certificate) run. Read when the simulator starts.").on_restart(),
    key("network.web_server.refresh_s", K::Int { min: 0, max: 3600 }, D::Int(0), "Web page refresh rate: seconds between automatic reloads of the status page; 0 = never."),
    // 2 Serial port configuration: port 1
    key("port1.enabled", K::Bool, D::Bool(true), "Port enable. A disabled port ignores serial and network traffic and listens on nothing."),
    key("port1.title", K::Text { max_len: 31 }, D::Str(""), "Port title: a label shown in the menus only."),
    key("port1.remote_hosts", K::List { max_items: 8 }, D::EmptyList, "Remote host list (manual §4.6): where the TCP client side connects (each entry with an optional backup host, tried only when the primary fails) and where UDP datagrams go. Empty = no client side."),
    key("port1.remote_hosts[].host", K::Text { max_len: 63 }, D::Str(""), "Primary remote host: a loopback IP address or a host name that resolves to one."),
    key("port1.remote_hosts[].port", K::Int { min: 1, max: 65535 }, D::Int(7001), "Primary remote host's TCP (or UDP) port."),
    key("port1.remote_hosts[].backup_host", K::Text { max_len: 63 }, D::Str(""), "Backup host, tried only when connecting to the primary fails (TCP only); empty = none."),
    key("port1.remote_hosts[].backup_port", K::Int { min: 0, max: 65535 }, D::Int(0), "Backup host's port; 0 = the primary's port."),
    key("port1.host.mode", K::OneOf(&["tcp", "udp", "modem"]), D::Str("tcp"), "Host mode: TCP (server and/or client), UDP, or modem emulation (AT commands)."),
    key("port1.host.listen_port", K::Int { min: 0, max: 65535 }, D::Int(7001), "TCP listening port (UDP: receiving port). 0 = do not listen (TCP client only). With sim.free_ports the host port is picked free and reported in the ready line."),
    key("port1.host.max_connections", K::Int { min: 1, max: 8 }, D::Int(1), "Maximum simultaneous sessions (TCP) or remote hosts (UDP). Serial data goes to every session; the session beyond the limit is accepted and closed at once."),
    key("port1.host.inactivity_timeout_s", K::Int { min: 0, max: 65535 }, D::Int(100), "Seconds without serial traffic (either direction) after which the session is closed; 0 = never."),
    key("port1.host.telnet", K::Bool, D::Bool(false), "Telnet protocol with RFC 2217 COM-port control on the data sessions."),
    key("port1.host.user_auth", K::Bool, D::Bool(false), "Require a login from the device's user list before data flows."),
    key("port1.host.cyclic_interval_min", K::Int { min: 0, max: 65535 }, D::Int(0), "Cyclic connection: connect to the remote hosts every N minutes even without serial data; 0 = off."),
    key("port1.host.socket_id", K::Text { max_len: 49 }, D::Str(""), "Socket ID: sent once at the start of each TCP session and before every UDP datagram; empty = off."),
    key("port1.host.accept_unlisted", K::Bool, D::Bool(false), "UDP: deliver datagrams from senders that are not in the remote host list (within max_connections)."),
    key("port1.host.send_to_unlisted", K::Bool, D::Bool(false), "UDP: also send serial data to recent unlisted senders until they have been silent for the inactivity timeout."),
    key("port1.serial.type", K::OneOf(&["rs232", "rs422", "rs485"]), D::Str("rs232"), "Electrical interface. RS422/RS485 have no DTR/DSR and RS485 no flow control."),
    key("port1.serial.baud", K::OneOfInt(BAUD_RATES), D::Int(9600), "Baud rate."),
    key("port1.serial.data_bits", K::OneOfInt(&[5, 6, 7, 8]), D::Int(8), "Data bits per character."),
    key("port1.serial.parity", K::OneOf(&["none", "even", "odd", "mark", "space"]), D::Str("none"), "Parity."),
    key("port1.serial.stop_bits", K::OneOfInt(&[1, 2]), D::Int(1), "Stop bits."),
    key("port1.serial.flow_control", K::OneOf(&["none", "xon_xoff", "rts_cts"]), D::Str("none"), "Flow control."),
    key("port1.serial.dtr", K::OneOf(&["always_high", "always_low", "high_when_connected"]), D::Str("always_high"), "DTR output behaviour."),
    key("port1.serial.dsr", K::OneOf(&["none", "allow_only_when_high"]), D::Str("none"), "DSR input behaviour: with allow_only_when_high, sessions exist only while DSR is high."),
    key("port1.serial.inter_char_timeout_ms", K::Int { min: 0, max: 65535 }, D::Int(0), "Inter-character timeout: serial data is sent to the network when the buffer is full or no character arrived for this long; 0 = at once. Must exceed one character time."),
    key("port1.serial.rs485_echo", K::Bool, D::Bool(false), "RS485 2-wire echo: what the attached program transmits on the bus comes back to its own receiver (type rs485 only)."),
    // Cryptography (manual §4.7, §11.4)
    key("port1.crypto.method", K::OneOf(&["none", "ssl"]), D::Str("none"), "Encryption of the port's TCP sessions. With ssl the device is the TLS server when the peer connects and the TLS client when it connects out."),
    key("port1.crypto.client_auth", K::Bool, D::Bool(false), "Client Authentication by certificate (server role): ask the peer for a certificate and refuse the session unless it verifies against port1.crypto.ca_file."),
    key("port1.crypto.verify_server", K::Bool, D::Bool(true), "Client role: verify the server's certificate and host name against port1.crypto.ca_file. false is an explicit, logged opt-out."),
    key("port1.crypto.server_name", K::Text { max_len: 253 }, D::Str(""), "Client role: the host name the server certificate must carry; empty = the host name or address that was dialled."),
    key("port1.crypto.cert_file", K::Text { max_len: 4096 }, D::Str(""), "PEM certificate chain of the device; empty = the device's own self-signed certificate, made on first boot and kept in the state directory.").on_reboot(),
    key("port1.crypto.key_file", K::Text { max_len: 4096 }, D::Str(""), "PEM private key for port1.crypto.cert_file.").on_reboot(),
    key("port1.crypto.ca_file", K::Text { max_len: 4096 }, D::Str(""), "PEM CA certificates used to verify peers (client certificates in server role, the server in client role).").on_reboot(),
    key("port1.crypto.min_version", K::OneOf(&["tls1.2"]), D::Str("tls1.2"), "Lowest protocol version offered. The engine (Mbed TLS 2.28) offers TLS 1.2 only."),
    key("port1.crypto.max_version", K::OneOf(&["tls1.2"]), D::Str("tls1.2"), "Highest protocol version offered."),
    key("port1.crypto.handshake_timeout_s", K::Int { min: 1, max: 3600 }, D::Int(30), "Seconds a TLS handshake may take (either role) before the session is closed, so a peer that connects and never finishes cannot hold a session slot; counted in tls_failures."),
    key("port1.crypto.ciphersuites", K::Text { max_len: 4096 }, D::Str(""), "Comma-separated IANA cipher suite names; empty = forward-secret AEAD suites (ECDHE with AES-GCM or CHACHA20-POLY1305)."),
    // Port event handling (manual §4.11; docs/snmp.md)
    key("port1.events.enabled", K::Bool, D::Bool(false), "Port event handling: watch the data received from the serial port for the keywords of port1.events.rules."),
    key("port1.events.email_to", K::Text { max_len: 127 }, D::Str(""), "Recipient of the rules' e-mails (through network.smtp); empty = no e-mail."),
    key("port1.events.min_interval_s", K::Int { min: 0, max: 86400 }, D::Int(10), "Minimum seconds between two notifications of the port; matches within it are counted but not notified."),
    key("port1.events.rules", K::List { max_items: 8 }, D::EmptyList, "Keyword rules over the serial data."),
    key("port1.events.rules[].keyword", K::Text { max_len: 31 }, D::Str(""), "Bytes to look for in the data from the serial port (case-sensitive, may span reads)."),
    key("port1.events.rules[].email", K::Bool, D::Bool(false), "On a match, send an e-mail to port1.events.email_to."),
    key("port1.events.rules[].trap", K::Bool, D::Bool(false), "On a match, send the m2285PortEvent trap to the SNMP trap receivers."),
    key("port1.events.rules[].reply", K::Text { max_len: 63 }, D::Str(""), "On a match, write this to the serial port (\\r and \\n are carriage return and line feed); empty = nothing."),
    // Port logging (notes §4.10)
    key("port1.log.enabled", K::Bool, D::Bool(false), "Port logging: keep the serial data of port 1 (both directions) in a ring in RAM, viewable with `ctl port-log` and lost at power off."),
    key("port1.log.size_bytes", K::Int { min: 256, max: 1_048_576 }, D::Int(4096), "Size of the port log ring in bytes; the oldest data is overwritten."),
    // 5 System administration
    key("system.device_name", K::Text { max_len: 31 }, D::Str("M2285"), "Device name, shown by the status pages and sent as the HOSTNAME of syslog messages."),
    key("system.users", K::List { max_items: 16 }, D::Records(crate::admin::accounts::FACTORY_USERS), "Accounts (docs/management.md \"Accounts\"): the administrator for the configuration menus, root, and ordinary users for port authentication. Factory: admin/admin (admin) and root/root (root)."),
    key("system.users[].name", K::Text { max_len: 31 }, D::Str(""), "User name (case-sensitive, unique)."),
    key("system.users[].role", K::OneOf(&["admin", "root", "user"]), D::Str("user"), "What the account may do: admin and root manage the device, user only logs in to the data port. Every account may log in to the data port."),
    key("system.users[].password", K::Secret { max_len: 63, hashed: true }, D::Str(""), "Password. Kept only as an Argon2id hash; given as plaintext (hashed at once) or as a PHC hash string; shown as \"***\" everywhere. Empty = the account cannot log in."),
    key("system.login.max_failures", K::Int { min: 1, max: 100 }, D::Int(5), "Failed logins from one address within system.login.lockout_s after which that address may not try again until lockout_s has passed without a failure."),
    key("system.login.lockout_s", K::Int { min: 1, max: 86400 }, D::Int(60), "The failed-login window and lockout time in seconds."),
    key("system.filter.rules", K::List { max_items: 32 }, D::EmptyList, "IP filter rules (notes §3.5, §11.3), first match wins; no match = accept (factory: no rules, everything accepted)."),
    key("system.filter.rules[].address", K::Ipv4, D::Str("0.0.0.0"), "Source address of the rule (with mask: 0.0.0.0/0.0.0.0 = any host)."),
    key("system.filter.rules[].mask", K::Ipv4, D::Str("255.255.255.255"), "Subnet mask: 255.255.255.255 = one host."),
    key("system.filter.rules[].service", K::OneOf(&["all", "telnet", "ssh", "http", "https", "snmp", "port1", "port1_udp"]), D::Str("all"), "Service the rule protects: the Telnet or SSH console, the web server (http, https), the SNMP agent, serial port 1's TCP data port, its UDP receiving port, or all."),
    key("system.filter.rules[].rule", K::OneOf(&["accept", "drop", "reject"]), D::Str("accept"), "Chain rule: accept; drop (no answer, no data); reject (refused at once with a reset)."),
    key("system.log.ram_entries", K::Int { min: 16, max: 100_000 }, D::Int(1000), "Size of the system log ring in RAM, in messages; lost at power off."),
    key("system.log.remote_host", K::Text { max_len: 63 }, D::Str(""), "Remote syslog server (RFC 5424 over UDP): a loopback address or a host name; empty = off."),
    key("system.log.remote_port", K::Int { min: 1, max: 65535 }, D::Int(514), "UDP port of the remote syslog server."),
    key("system.log.remote_severity", K::OneOf(&["emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"]), D::Str("info"), "Least severe message sent to the remote syslog server."),
    key("system.clock.ntp_server", K::Text { max_len: 63 }, D::Str(""), "SNTP server (loopback address or host name) the clock is set from; empty = manual clock only."),
    key("system.clock.ntp_port", K::Int { min: 1, max: 65535 }, D::Int(123), "UDP port of the SNTP server."),
    key("system.clock.ntp_interval_s", K::Int { min: 1, max: 86400 }, D::Int(3600), "Seconds between SNTP requests (the first is sent at boot); an unanswered request is retried after a tenth of this, at least 1 s."),
    // Simulator settings (not part of the real device)
    key("sim.free_ports", K::Bool, D::Bool(false), "Listen on free host ports (reported in the ready line) instead of the configured numbers; for parallel tests. A listening port of 0 still means 'not listening'.").on_restart(),
    key("sim.pacing", K::Bool, D::Bool(true), "Pace the serial line at the configured baud rate. false moves bytes as fast as the host allows (benchmarks)."),
    key("sim.control_port", K::Int { min: 0, max: 65535 }, D::Int(8285), "Port of the control API (HTTP + JSON on the device's loopback address; `m2285-sim ctl`). 0, or sim.free_ports, picks a free port; the ready line reports it as ports.control.").on_restart(),
    key("sim.snmp_port", K::Int { min: 0, max: 65535 }, D::Int(0), "Host UDP port of the SNMP agent (the device's port 161). 0, or sim.free_ports, picks a free port (a non-root user cannot bind 161); the ready line reports it as ports.snmp.").on_restart(),
    key("sim.telnet_port", K::Int { min: 0, max: 65535 }, D::Int(23), "Host port of the Telnet console (the device's port 23; docs/console.md). 0, or sim.free_ports, picks a free port; the ready line reports it as ports.telnet. A port that cannot be opened (23 needs privileges) is logged and the console is left out. Read at start.").on_restart(),
    key("sim.ssh_port", K::Int { min: 0, max: 65535 }, D::Int(22), "Host port of the SSH console (the device's port 22; docs/console.md). 0, or sim.free_ports, picks a free port; the ready line reports it as ports.ssh. A port that cannot be opened is logged and the console is left out. Read at start.").on_restart(),
    key("sim.minute_s", K::Int { min: 1, max: 60 }, D::Int(60), "Seconds in one device minute, for minute-based timers (the cyclic connection interval). Tests shorten it; the device has 60."),
    key("sim.control_auth", K::OneOf(&["changes", "all", "off"]), D::Str("changes"), "Which control API requests must carry the token the device keeps in its state directory (control.token, made on first start; `ctl` reads it): changes = every request but GET/HEAD, all = every request, off = none. Read at start.").on_restart(),
    key("sim.control_idle_timeout_ms", K::Int { min: 100, max: 3600000 }, D::Int(10000), "Control API: a connection that sends no complete request headers (idle, or between keep-alive requests) or no complete body for this long is closed. Read at start; tests shorten it.").on_restart(),
    key("sim.boot_time_ms", K::Int { min: 0, max: 600_000 }, D::Int(8000), "Time from power-on (or a reboot) until the device serves again; its ports refuse connections meanwhile. 8000 ms is the factory value (a small embedded Linux device server); tests use e.g. 200. The first power-on when the simulator starts is immediate."),
    key("sim.http_port", K::Int { min: 0, max: 65535 }, D::Int(8080), "Host port of the device's web server over HTTP (its port 80). 0, or sim.free_ports, picks a free port; the ready line reports it as ports.http. Read at start.").on_restart(),
    key("sim.https_port", K::Int { min: 0, max: 65535 }, D::Int(8443), "Host port of the device's web server over HTTPS (its port 443). 0, or sim.free_ports, picks a free port; the ready line reports it as ports.https. Read at start.").on_restart(),
    key("sim.web_session_idle_min", K::Int { min: 1, max: 1440 }, D::Int(15), "Minutes a web session may stay idle before the browser must log in again."),
];

/// The spec of a key, by its dotted path (list items as `list[].field`).
pub fn find(path: &str) -> Option<&'static KeySpec> {
    KEYS.iter().find(|k| k.path == path)
}

/// A human description of what `kind` allows, used in error messages and docs.
pub fn allowed(kind: &Kind) -> String {
    match kind {
        K::Bool => "true or false".into(),
        K::Int { min, max } => format!("an integer from {min} to {max}"),
        K::OneOfInt(list) => format!(
            "one of {}",
            list.iter()
                .map(i64::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
        K::OneOf(list) => format!("one of {}", list.join(", ")),
        K::Text { max_len } => format!("text of at most {max_len} bytes"),
        K::Ipv4 => "an IPv4 address like 192.168.1.10".into(),
        K::Secret {
            max_len,
            hashed: true,
        } => {
            format!("a password of at most {max_len} bytes, or its Argon2 PHC hash")
        }
        K::Secret {
            max_len,
            hashed: false,
        } => {
            format!("a password of at most {max_len} bytes (never shown)")
        }
        K::List { max_items } => format!("a list of at most {max_items} records"),
    }
}
