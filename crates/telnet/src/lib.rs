//! Sans-IO Telnet (NVT) and RFC 2217 COM-PORT-OPTION *access server* for the m2285 simulator.
//!
//! A [`TelnetSession`] is one TCP connection's protocol state. It never touches a socket, a
//! clock or a thread: the device model feeds it the bytes the network delivered, takes the
//! events it decoded, and writes whatever output it produced. What it promises to clients
//! (pyserial, gensio/ser2net clients, C-Kermit, plain `telnet`) is in `docs/telnet-rfc2217.md`.
//!
//! Layers, one module each:
//! - [`codec`]: IAC framing, escaping, bounded subnegotiation buffer;
//! - [`options`]: option negotiation (RFC 1143 Q method): every offer answered, never looped;
//! - [`comport`]: RFC 2217 subnegotiation decoding and encoding;
//! - [`values`]: the RFC 2217 value spaces, typed (parity, stop size, control, purge, bits);
//! - `notify`: when modem/line state notifications go out, honouring the client's masks;
//! - [`session`]: the session tying them together;
//! - [`console`]: the same codec and negotiation for the device's Telnet console (ECHO, NAWS).
//!
//! ```
//! use m2285_telnet::{ComPortReply, ComPortRequest, TelnetConfig, TelnetEvent, TelnetSession};
//!
//! let mut tn = TelnetSession::new(TelnetConfig::default());
//! let mut baud = 9600;
//! let _to_socket = tn.take_output(); // opening negotiation: WILL/DO BINARY, WILL SGA, WILL 44
//! tn.receive(&[255, 251, 44, 255, 250, 44, 1, 0, 1, 0xC2, 0, 255, 240, b'h', b'i']);
//! while let Some(event) = tn.poll_event() {
//!     match event {
//!         TelnetEvent::Data(bytes) => assert_eq!(bytes, b"hi"), // to the UART
//!         TelnetEvent::ComPort(ComPortRequest::SetBaudRate(rate)) => {
//!             if rate != 0 { baud = rate; }                    // 0 = query
//!             tn.reply(ComPortReply::BaudRate(baud));         // the value in effect
//!         }
//!         TelnetEvent::ComPort(_) | TelnetEvent::Break => {}
//!     }
//! }
//! tn.send_data(b"from the UART \xff");                        // IAC doubled
//! let to_socket = tn.take_output();
//! assert!(to_socket.ends_with(b"UART \xff\xff"));
//! ```

pub mod codec;
pub mod comport;
pub mod console;
mod notify;
pub mod options;
pub mod session;
pub mod values;

pub use comport::{ComPortReply, ComPortRequest};
pub use console::{ConsoleEvent, TelnetConsole};
pub use session::{TelnetConfig, TelnetEvent, TelnetSession, DEFAULT_SIGNATURE};
pub use values::{line_state, modem_state, Control, ControlGroup, Parity, Purge, StopSize, QUERY};

#[cfg(test)]
mod tests;
