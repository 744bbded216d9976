//! The device's notifications other than SNMP traps, sans-IO.
//!
//! * [`smtp`]: the client side of one SMTP conversation (RFC 5321) that delivers one e-mail,
//!   with optional AUTH PLAIN (manual §3.4). The runtime owns the TCP connection and feeds the
//!   server's bytes in; the dialogue says what to send and when it is over.
//! * [`locating`]: the locating-server report (manual §3.11, §11.9): magic cookie
//!   `F1 AA AA BC` and TLV items.

pub mod locating;
pub mod smtp;
