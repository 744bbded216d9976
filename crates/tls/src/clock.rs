//! The clock Mbed TLS sees: the link-time `time()` hook.
//!
//! Mbed TLS 2.28 calls libc `time()` to fill the `gmt_unix_time` of the hello randoms and to
//! check certificate validity (`notBefore`/`notAfter`). The `mbedtls` crate has no way to
//! inject a time, so this crate defines `__wrap_time`, and a binary linked with
//! `-Wl,--wrap=time` sends every call to `time()` there. Rust's std does not call `time()`
//! (it uses `clock_gettime`), so only Mbed TLS is affected.
//!
//! What the hook returns, first match wins:
//! 1. the session's own time, while a [`crate::TlsSession`] given one
//!    ([`crate::TlsSession::set_unix_time`]) is inside an Mbed TLS call on this thread;
//! 2. the process-wide time set with [`set_unix_time`];
//! 3. the real wall clock (`SystemTime::now()`), for sessions given no time (this crate's tests
//!    and examples). The device model (`m2285-core`) always gives its sessions the device's
//!    date, so it never reaches this case.
//!
//! **Every binary (and test or example target) that links this crate must pass
//! `-Wl,--wrap=time` to the linker**, e.g. from its `build.rs`:
//!
//! ```text
//! println!("cargo:rustc-link-arg-bins=-Wl,--wrap=time");
//! println!("cargo:rustc-link-arg-bins=-Wl,--undefined=__wrap_time");
//! ```
//!
//! Without it Mbed TLS reads the real clock whatever is set here (the hook is simply unused,
//! and the link still succeeds); [`hook_linked`] tells which case a binary is in.

use std::cell::Cell;
use std::ffi::c_long;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// `i64::MIN` stands for "not set".
const UNSET: i64 = i64::MIN;

static GLOBAL: AtomicI64 = AtomicI64::new(UNSET);

thread_local! {
    /// The time of the session currently inside Mbed TLS on this thread, if it has one.
    static SCOPED: Cell<Option<i64>> = const { Cell::new(None) };
    /// How often the hook ran on this thread; lets [`hook_linked`] see whether it is wired.
    static CALLS: Cell<u64> = const { Cell::new(0) };
}

/// Sets the process-wide time Mbed TLS sees, in seconds since the Unix epoch; `None` goes
/// back to the real wall clock.
///
/// Meant for the virtual-time runtime and for tests. Sessions that carry their own time
/// ([`crate::TlsSession::set_unix_time`]) take precedence over it.
pub fn set_unix_time(secs: Option<i64>) {
    // i64::MIN is the "unset" marker; nudge an explicit i64::MIN by one second.
    let v = match secs {
        None => UNSET,
        Some(UNSET) => UNSET + 1,
        Some(s) => s,
    };
    GLOBAL.store(v, Ordering::SeqCst);
}

/// The process-wide time set with [`set_unix_time`], if any.
pub fn configured_unix_time() -> Option<i64> {
    match GLOBAL.load(Ordering::SeqCst) {
        UNSET => None,
        s => Some(s),
    }
}

/// The time the hook would give Mbed TLS now, on this thread (see the module docs for the
/// order of precedence).
pub fn unix_time() -> i64 {
    if let Some(t) = SCOPED.try_with(Cell::get).ok().flatten() {
        return t;
    }
    if let Some(t) = configured_unix_time() {
        return t;
    }
    match SystemTime::now().duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(e) => -i64::try_from(e.duration().as_secs()).unwrap_or(i64::MAX),
    }
}

/// Whether this binary was linked with `-Wl,--wrap=time`, i.e. whether Mbed TLS's calls to
/// `time()` reach this module. When false, injected times are ignored by Mbed TLS.
pub fn hook_linked() -> bool {
    extern "C" {
        fn time(t: *mut c_long) -> c_long;
    }
    let before = CALLS.try_with(Cell::get).unwrap_or(0);
    // SAFETY: time(NULL) is always valid. With --wrap=time this reference is redirected to
    // __wrap_time, exactly like Mbed TLS's.
    unsafe { time(std::ptr::null_mut()) };
    CALLS.try_with(Cell::get).unwrap_or(0) != before
}

/// Runs `f` with Mbed TLS seeing `secs` on this thread (nothing changes when `secs` is None).
/// Restores the previous scoped time afterwards, so nested sessions behave.
pub(crate) fn with_time<R>(secs: Option<i64>, f: impl FnOnce() -> R) -> R {
    struct Restore(Option<i64>);
    impl Drop for Restore {
        fn drop(&mut self) {
            let prev = self.0;
            let _ = SCOPED.try_with(|c| c.set(prev));
        }
    }
    let Some(t) = secs else { return f() };
    let prev = SCOPED.try_with(|c| c.replace(Some(t))).ok().flatten();
    let _restore = Restore(prev);
    f()
}

/// The hook itself. `-Wl,--wrap=time` makes the linker resolve every undefined reference to
/// `time` (Mbed TLS's) to this symbol.
///
/// # Safety
/// `t` must be null or valid for writing one `time_t`, as for libc `time()`.
#[no_mangle]
pub unsafe extern "C" fn __wrap_time(t: *mut c_long) -> c_long {
    let _ = CALLS.try_with(|c| c.set(c.get().wrapping_add(1)));
    let now = unix_time();
    let v = c_long::try_from(now).unwrap_or(if now < 0 { c_long::MIN } else { c_long::MAX });
    if !t.is_null() {
        // SAFETY: the caller passes null or a valid time_t pointer.
        unsafe { *t = v };
    }
    v
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn the_test_binary_is_linked_with_the_hook() {
        assert!(
            hook_linked(),
            "build.rs must pass -Wl,--wrap=time to test targets"
        );
    }

    #[test]
    fn scoped_time_wins_and_is_restored() {
        let outer = with_time(Some(1_000), || {
            let inner = with_time(Some(2_000), unix_time);
            assert_eq!(inner, 2_000);
            unix_time()
        });
        assert_eq!(outer, 1_000);
        // SAFETY: null is allowed.
        let via_hook = with_time(Some(42), || unsafe { __wrap_time(std::ptr::null_mut()) });
        assert_eq!(via_hook, 42);
        let mut out: c_long = 0;
        // SAFETY: valid pointer.
        let r = with_time(Some(43), || unsafe { __wrap_time(&mut out) });
        assert_eq!((r, out), (43, 43));
    }
}
