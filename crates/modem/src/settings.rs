//! The volatile modem profile that AT commands change: E, Q, V, &D, &K, &S, \T and the
//! S-registers. Power-on, `ATZ` and `AT&F` restore [`ModemSettings::factory`]; nothing is ever
//! stored (`AT&W` does nothing, as on the real unit).

use std::time::Duration;

use crate::registers::SRegisters;

/// Serial flow control selected with `AT&Kn`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Flow {
    /// `&K0`: no flow control.
    None,
    /// `&K3` (default): hardware RTS/CTS.
    RtsCts,
    /// `&K4`: software XON/XOFF (0x11/0x13).
    XonXoff,
}

/// What a DTR drop from the DTE (the unit's DSR input) does, chosen with `AT&Dn`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DtrDropAction {
    /// `&D0`: ignore DTR.
    Ignore,
    /// `&D1` (Hayes meaning, decided by us): leave data mode for online-command mode, answer OK.
    OnlineCommand,
    /// `&D2` (default): hang up the session, answer NO CARRIER.
    HangUp,
}

/// How the unit's DTR output (the DTE's DSR input) behaves, chosen with `AT&Sn`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DtrOutputMode {
    /// `&S0` (default): always high.
    AlwaysHigh,
    /// `&S1`: high exactly while a session is connected.
    FollowsSession,
}

/// The modem profile. Read it through [`crate::ModemEmulator::settings`]; change it with AT
/// commands.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ModemSettings {
    /// `ATEn`: echo command-mode input back to the DTE (default on).
    pub echo: bool,
    /// `ATQn`: suppress result codes (default off).
    pub quiet: bool,
    /// `ATVn`: verbose result codes (default) instead of numeric ones.
    pub verbose: bool,
    /// `AT&Dn`: reaction to a DTR drop.
    pub dtr_drop: DtrDropAction,
    /// `AT&Kn`: serial flow control.
    pub flow: Flow,
    /// `AT&Sn`: the unit's DTR output.
    pub dtr_output: DtrOutputMode,
    /// `AT\Tn`: inactivity timer in minutes, 0 = off (default).
    pub inactivity_minutes: u8,
    /// `ATSn=x`: the S-registers.
    pub registers: SRegisters,
}

impl Default for ModemSettings {
    fn default() -> Self {
        Self::factory()
    }
}

impl ModemSettings {
    /// Factory values: E1 Q0 V1 &D2 &K3 &S0 \T0 and the S-register defaults.
    pub const fn factory() -> Self {
        ModemSettings {
            echo: true,
            quiet: false,
            verbose: true,
            dtr_drop: DtrDropAction::HangUp,
            flow: Flow::RtsCts,
            dtr_output: DtrOutputMode::AlwaysHigh,
            inactivity_minutes: 0,
            registers: SRegisters::defaults(),
        }
    }

    /// The `\T` inactivity timeout, or `None` when it is off.
    pub fn inactivity_timeout(&self) -> Option<Duration> {
        (self.inactivity_minutes > 0)
            .then(|| Duration::from_secs(60 * u64::from(self.inactivity_minutes)))
    }
}
