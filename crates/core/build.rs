//! Links this package's test binaries with the TLS engine's time hook (`-Wl,--wrap=time`), so
//! Mbed TLS inside the device model reads the time the model hands it, never the host clock
//! (docs/tls.md "Time: the `--wrap=time` hook"; `tests/tls_clock.rs` checks it).
fn main() {
    println!("cargo:rustc-link-arg-tests=-Wl,--wrap=time");
    println!("cargo:rustc-link-arg-tests=-Wl,--undefined=__wrap_time");
    println!("cargo:rerun-if-changed=build.rs");
}
