//! Links this package's test binaries with the TLS engine's time hook (`-Wl,--wrap=time`), so
//! Mbed TLS reads the simulated calendar, never the host clock (docs/tls.md).
fn main() {
    println!("cargo:rustc-link-arg-tests=-Wl,--wrap=time");
    println!("cargo:rustc-link-arg-tests=-Wl,--undefined=__wrap_time");
    println!("cargo:rerun-if-changed=build.rs");
}
