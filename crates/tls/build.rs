//! Links this crate's own test, example and bench binaries with `-Wl,--wrap=time`, so Mbed TLS's
//! calls to `time()` reach `clock::__wrap_time` (see `src/clock.rs` and `docs/tls.md`).
//!
//! Cargo does not pass these flags on to other packages: a binary crate that depends on
//! m2285-tls must print the same lines for its own targets (`rustc-link-arg-bins=...`).

fn main() {
    // Applies to every test (unit and integration), example and bench binary of this package;
    // a library artefact ignores it. `--undefined` makes the linker pull the archive member
    // that defines the hook even though only the C library refers to it.
    println!("cargo:rustc-link-arg=-Wl,--wrap=time");
    println!("cargo:rustc-link-arg=-Wl,--undefined=__wrap_time");
    println!("cargo:rerun-if-changed=build.rs");
}
