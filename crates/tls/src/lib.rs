//! Sans-IO TLS engine of the m2285 simulator.
//!
//! The Patton 2285 can wrap a serial port's TCP session in SSL/TLS (manual §4.7). This crate
//! is that layer: Mbed TLS (through the `mbedtls` crate) driven over in-memory byte buffers,
//! so the same engine serves host sockets and the simulated network (architecture invariant
//! 5). It never opens a socket, never sleeps and never spawns a thread:
//!
//! * ciphertext from the peer goes in with [`TlsSession::receive_ciphertext`], ciphertext for
//!   the peer comes out of [`TlsSession::take_ciphertext`];
//! * plaintext goes in with [`TlsSession::send_plaintext`], and everything the session has to
//!   say (handshake done, plaintext, close, failure) comes out of [`TlsSession::poll_event`];
//! * randomness comes from a ChaCha20 stream seeded with the 32 bytes handed to
//!   [`TlsSession::new`], and "now" (written into the hello randoms and used to check
//!   certificate validity) comes from [`clock`], which a link-time `--wrap=time` hook feeds
//!   to Mbed TLS. Same seed + same clock = byte-identical transcript.
//!
//! It does no file I/O either: [`identity`] makes and checks the device's certificate and key
//! as PEM bytes, which the runtime keeps in the device's state directory.
//!
//! Binaries that link this crate must pass `-Wl,--wrap=time` to the linker: see [`clock`] and
//! `docs/tls.md`.

mod config;
mod engine;
mod error;
mod pem;
mod rng;
mod settings;
mod suites;

pub mod clock;
pub mod device_cert;
pub mod identity;

pub use config::TlsEngineConfig;
pub use engine::{TlsEvent, TlsSession};
pub use error::TlsError;
pub use settings::{TlsSettings, TlsVersion};
pub use suites::{available_ciphersuites, default_ciphersuites};
