//! Links the TLS engine's time hook: Mbed TLS reads the clock through libc `time()`, which
//! `-Wl,--wrap=time` points at `m2285_tls::clock::__wrap_time`, so the simulated clock (virtual
//! time) can drive certificate checks and hello randoms (docs/tls.md).
fn main() {
    for target in ["bins", "tests"] {
        println!("cargo:rustc-link-arg-{target}=-Wl,--wrap=time");
        println!("cargo:rustc-link-arg-{target}=-Wl,--undefined=__wrap_time");
    }
}
