//! Telnet option negotiation with the RFC 1143 "Q method", without the queue bit (the access
//! server only ever asks to *enable* options, once, at connection start, so the queue is never
//! needed).
//!
//! Every WILL and DO gets an answer: supported options (BINARY, SUPPRESS-GO-AHEAD and, when
//! RFC 2217 is on, COM-PORT-OPTION) are accepted in both directions, all others refused. The
//! console profile ([`Options::console`]) supports BINARY, SUPPRESS-GO-AHEAD, ECHO (we echo; the
//! client may not) and NAWS (the client reports its window size; we do not). A reply
//! is only sent when the option's state changes, so an acknowledgement is never answered with
//! another one and two well-behaved peers cannot loop.

use crate::codec::Verb;

/// TRANSMIT-BINARY (RFC 856): 8-bit transparent data, no NVT CR handling.
pub const BINARY: u8 = 0;
/// ECHO (RFC 857): refused on data ports (the serial device, not the access server, echoes);
/// performed by the console, which echoes what the user types.
pub const ECHO: u8 = 1;
/// SUPPRESS-GO-AHEAD (RFC 858): accepted; we never send GA.
pub const SGA: u8 = 3;
/// NAWS, negotiate about window size (RFC 1073): the console's client tells its width.
pub const NAWS: u8 = 31;
/// COM-PORT-OPTION (RFC 2217).
pub const COM_PORT_OPTION: u8 = 44;

/// RFC 1143 state of one side of one option.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Q {
    /// Disabled.
    #[default]
    No,
    /// Enabled.
    Yes,
    /// We asked to disable and wait for the answer.
    WantNo,
    /// We asked to enable and wait for the answer.
    WantYes,
}

/// Both sides of one option: `us` is whether we perform it (WILL/WONT we send, DO/DONT we
/// receive), `him` whether the peer does (DO/DONT we send, WILL/WONT we receive).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Pair {
    us: Q,
    him: Q,
}

/// Negotiation state of every option the access server supports.
#[derive(Clone, Debug)]
pub struct Options {
    com_port_allowed: bool,
    console: bool,
    binary: Pair,
    sga: Pair,
    com_port: Pair,
    echo: Pair,
    naws: Pair,
}

impl Options {
    /// All options off; COM-PORT-OPTION is accepted only when `com_port_allowed`.
    pub fn new(com_port_allowed: bool) -> Self {
        Options {
            com_port_allowed,
            console: false,
            binary: Pair::default(),
            sga: Pair::default(),
            com_port: Pair::default(),
            echo: Pair::default(),
            naws: Pair::default(),
        }
    }

    /// The console profile: BINARY, SUPPRESS-GO-AHEAD, ECHO performed by us, NAWS performed by
    /// the client; no COM-PORT-OPTION.
    pub fn console() -> Self {
        Options {
            console: true,
            ..Options::new(false)
        }
    }

    /// Whether `verb option` asks for something this profile never does: on the console the
    /// client may not echo (both sides echoing would loop) and we never send NAWS.
    fn one_sided(&self, verb: Verb, option: u8) -> bool {
        self.console && matches!((verb, option), (Verb::Will, ECHO) | (Verb::Do, NAWS))
    }

    fn pair(&self, option: u8) -> Option<&Pair> {
        match option {
            BINARY => Some(&self.binary),
            SGA => Some(&self.sga),
            COM_PORT_OPTION if self.com_port_allowed => Some(&self.com_port),
            ECHO if self.console => Some(&self.echo),
            NAWS if self.console => Some(&self.naws),
            _ => None,
        }
    }

    fn pair_mut(&mut self, option: u8) -> Option<&mut Pair> {
        match option {
            BINARY => Some(&mut self.binary),
            SGA => Some(&mut self.sga),
            COM_PORT_OPTION if self.com_port_allowed => Some(&mut self.com_port),
            ECHO if self.console => Some(&mut self.echo),
            NAWS if self.console => Some(&mut self.naws),
            _ => None,
        }
    }

    /// Starts asking to perform `option` ourselves; returns WILL to send, or `None` when the
    /// option is unsupported or already on/asked.
    pub fn offer(&mut self, option: u8) -> Option<Verb> {
        let pair = self.pair_mut(option)?;
        (pair.us == Q::No).then(|| {
            pair.us = Q::WantYes;
            Verb::Will
        })
    }

    /// Starts asking the peer to perform `option`; returns DO to send, or `None` when the option
    /// is unsupported or already on/asked.
    pub fn ask(&mut self, option: u8) -> Option<Verb> {
        let pair = self.pair_mut(option)?;
        (pair.him == Q::No).then(|| {
            pair.him = Q::WantYes;
            Verb::Do
        })
    }

    /// Whether we perform `option`.
    pub fn local(&self, option: u8) -> bool {
        self.pair(option).is_some_and(|p| p.us == Q::Yes)
    }

    /// Whether the peer performs `option`.
    pub fn remote(&self, option: u8) -> bool {
        self.pair(option).is_some_and(|p| p.him == Q::Yes)
    }

    /// Processes a received negotiation; returns the verb to answer with, if any.
    pub fn receive(&mut self, verb: Verb, option: u8) -> Option<Verb> {
        let one_sided = self.one_sided(verb, option);
        let Some(pair) = self.pair_mut(option).filter(|_| !one_sided) else {
            // Unsupported: refuse every offer and request, ignore refusals (already off).
            return match verb {
                Verb::Will => Some(Verb::Dont),
                Verb::Do => Some(Verb::Wont),
                Verb::Wont | Verb::Dont => None,
            };
        };
        match verb {
            Verb::Will => enable(&mut pair.him, Verb::Do),
            Verb::Wont => disable(&mut pair.him, Verb::Dont),
            Verb::Do => enable(&mut pair.us, Verb::Will),
            Verb::Dont => disable(&mut pair.us, Verb::Wont),
        }
    }
}

/// The peer wants the option on (WILL for `him`, DO for `us`); we always agree.
fn enable(q: &mut Q, agree: Verb) -> Option<Verb> {
    match *q {
        Q::No => {
            *q = Q::Yes;
            Some(agree)
        }
        Q::Yes => None,
        // RFC 1143: a disable request answered by an enable is an error; the option stays off.
        Q::WantNo => {
            *q = Q::No;
            None
        }
        Q::WantYes => {
            *q = Q::Yes;
            None
        }
    }
}

/// The peer wants the option off (WONT for `him`, DONT for `us`); this must always be honoured.
fn disable(q: &mut Q, ack: Verb) -> Option<Verb> {
    match *q {
        Q::No => None,
        Q::Yes => {
            *q = Q::No;
            Some(ack)
        }
        Q::WantNo | Q::WantYes => {
            *q = Q::No;
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_unsupported_and_ignores_refusals() {
        let mut o = Options::new(true);
        assert_eq!(o.receive(Verb::Will, 24), Some(Verb::Dont));
        assert_eq!(o.receive(Verb::Do, ECHO), Some(Verb::Wont));
        assert_eq!(o.receive(Verb::Wont, 24), None);
        assert_eq!(o.receive(Verb::Dont, ECHO), None);
    }

    #[test]
    fn com_port_only_when_allowed() {
        let mut off = Options::new(false);
        assert_eq!(off.receive(Verb::Will, COM_PORT_OPTION), Some(Verb::Dont));
        assert_eq!(off.offer(COM_PORT_OPTION), None);
        let mut on = Options::new(true);
        assert_eq!(on.receive(Verb::Will, COM_PORT_OPTION), Some(Verb::Do));
        assert!(on.remote(COM_PORT_OPTION));
    }

    #[test]
    fn our_offer_acknowledged_is_not_answered() {
        let mut o = Options::new(true);
        assert_eq!(o.offer(BINARY), Some(Verb::Will));
        assert_eq!(o.offer(BINARY), None);
        assert!(!o.local(BINARY));
        assert_eq!(o.receive(Verb::Do, BINARY), None);
        assert!(o.local(BINARY));
        // A repeated DO while enabled is not answered either.
        assert_eq!(o.receive(Verb::Do, BINARY), None);
    }

    #[test]
    fn refused_offer_goes_off_silently() {
        let mut o = Options::new(true);
        assert_eq!(o.ask(BINARY), Some(Verb::Do));
        assert_eq!(o.receive(Verb::Wont, BINARY), None);
        assert!(!o.remote(BINARY));
        // Later the peer changes its mind: accepted.
        assert_eq!(o.receive(Verb::Will, BINARY), Some(Verb::Do));
        assert!(o.remote(BINARY));
    }

    #[test]
    fn console_echoes_itself_and_takes_the_window_size() {
        let mut o = Options::console();
        assert_eq!(o.offer(ECHO), Some(Verb::Will));
        assert_eq!(o.receive(Verb::Do, ECHO), None);
        assert!(o.local(ECHO));
        assert_eq!(o.receive(Verb::Will, ECHO), Some(Verb::Dont));
        assert_eq!(o.ask(NAWS), Some(Verb::Do));
        assert_eq!(o.receive(Verb::Will, NAWS), None);
        assert!(o.remote(NAWS));
        assert_eq!(o.receive(Verb::Do, NAWS), Some(Verb::Wont));
        assert_eq!(o.receive(Verb::Will, COM_PORT_OPTION), Some(Verb::Dont));
        // The data-port profile still refuses both.
        let mut data = Options::new(true);
        assert_eq!(data.receive(Verb::Do, ECHO), Some(Verb::Wont));
        assert_eq!(data.receive(Verb::Will, NAWS), Some(Verb::Dont));
    }

    #[test]
    fn disabling_an_enabled_option_is_acknowledged_once() {
        let mut o = Options::new(true);
        assert_eq!(o.receive(Verb::Do, SGA), Some(Verb::Will));
        assert_eq!(o.receive(Verb::Dont, SGA), Some(Verb::Wont));
        assert_eq!(o.receive(Verb::Dont, SGA), None);
        assert!(!o.local(SGA));
    }
}
