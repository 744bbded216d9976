//! Per-port configuration the device model hands the emulator when it creates it (from the
//! port's configuration, not from AT commands).

/// Configuration of one emulated modem. AT commands never change it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ModemOptions {
    /// Port `ATA` listens on when no port is given (the port's configured local port).
    /// 0 means none: then a bare `ATA` answers ERROR.
    pub default_listen_port: u16,
    /// The manual's user option for `AT&Cn`, `AT&Wn`, `AT&Zn=x`: answer OK instead of the
    /// factory ERROR. Neither answer changes anything.
    pub special_commands_ok: bool,
    /// The `ATI0` line.
    pub vendor: String,
    /// The `ATI3` line.
    pub model: String,
}

impl Default for ModemOptions {
    /// The 2285 as shipped: listening port 7001 (Sena 7000+n numbering, unverified), ERROR for
    /// the special commands, Patton vendor and model strings.
    fn default() -> Self {
        ModemOptions {
            default_listen_port: 7001,
            special_commands_ok: false,
            vendor: "Patton Electronics Co.".to_owned(),
            model: "Model 2285".to_owned(),
        }
    }
}
