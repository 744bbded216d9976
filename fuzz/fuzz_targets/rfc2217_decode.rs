//! RFC 2217 decoding (`crates/telnet/src/comport.rs`): any COM-PORT-OPTION payload decodes or is
//! refused without a panic, and the session agrees with the decoder: the same payload framed as
//! IAC SB 44 ... IAC SE (IAC doubled) reaches the device as exactly the decoded request.
#![no_main]

use libfuzzer_sys::fuzz_target;
use m2285_telnet::codec::{write_negotiation, write_subnegotiation, Verb, MAX_SUBNEGOTIATION};
use m2285_telnet::comport::{decode, Incoming};
use m2285_telnet::options::COM_PORT_OPTION;
use m2285_telnet::{TelnetConfig, TelnetEvent, TelnetSession};

fuzz_target!(|payload: &[u8]| {
    let decoded = decode(payload);
    if payload.len() + 1 > MAX_SUBNEGOTIATION {
        return;
    }
    let mut tn = TelnetSession::new(TelnetConfig::default());
    let _ = tn.take_output();
    let mut wire = Vec::new();
    write_negotiation(&mut wire, Verb::Do, COM_PORT_OPTION);
    write_subnegotiation(&mut wire, COM_PORT_OPTION, payload);
    tn.receive(&wire);
    let events: Vec<TelnetEvent> = std::iter::from_fn(|| tn.poll_event()).collect();
    match decoded {
        Some(Incoming::Request { request, .. }) => {
            assert_eq!(events, vec![TelnetEvent::ComPort(request)], "{payload:?}");
        }
        _ => assert!(events.is_empty(), "{payload:?} gave {events:?}"),
    }
});
