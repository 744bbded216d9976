//! The seeded random generator handed to Mbed TLS.
//!
//! Each session (and each identity generation) gets its own ChaCha20 stream from a 32-byte
//! seed, so a run is reproducible: the same seed gives the same hello randoms, ECDHE keys,
//! ECDSA nonces and record IVs.

use std::ffi::{c_int, c_uchar, c_void};
use std::sync::Mutex;

use mbedtls::rng::{RngCallback, RngCallbackMut};
use rand_chacha::rand_core::{RngCore, SeedableRng};
use rand_chacha::ChaCha20Rng;

/// A ChaCha20 stream behind Mbed TLS's RNG callback.
pub(crate) struct SeededRng {
    inner: Mutex<ChaCha20Rng>,
}

impl SeededRng {
    /// A generator whose whole output is determined by `seed`.
    pub(crate) fn new(seed: [u8; 32]) -> Self {
        SeededRng {
            inner: Mutex::new(ChaCha20Rng::from_seed(seed)),
        }
    }

    /// Fills `out` with the next bytes of the stream.
    pub(crate) fn fill(&self, out: &mut [u8]) {
        // A poisoned lock only means another thread panicked mid-fill; the stream is still a
        // valid ChaCha20 state.
        let mut rng = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        rng.fill_bytes(out);
    }

    /// # Safety
    /// `user_data` must point to a live `SeededRng`; `data` must be valid for `len` bytes.
    unsafe fn fill_raw(user_data: *mut c_void, data: *mut c_uchar, len: usize) -> c_int {
        if user_data.is_null() || (data.is_null() && len > 0) {
            return -1;
        }
        if len == 0 {
            return 0;
        }
        // SAFETY: guaranteed by the caller (Mbed TLS passes back the pointer we registered).
        let (rng, out) = unsafe {
            (
                &*(user_data as *const SeededRng),
                std::slice::from_raw_parts_mut(data, len),
            )
        };
        rng.fill(out);
        0
    }
}

impl RngCallback for SeededRng {
    unsafe extern "C" fn call(user_data: *mut c_void, data: *mut c_uchar, len: usize) -> c_int {
        // SAFETY: Mbed TLS hands back the `data_ptr()` it was registered with.
        unsafe { Self::fill_raw(user_data, data, len) }
    }

    fn data_ptr(&self) -> *mut c_void {
        self as *const SeededRng as *mut c_void
    }
}

impl RngCallbackMut for SeededRng {
    unsafe extern "C" fn call_mut(user_data: *mut c_void, data: *mut c_uchar, len: usize) -> c_int {
        // SAFETY: as for `call`.
        unsafe { Self::fill_raw(user_data, data, len) }
    }

    fn data_ptr_mut(&mut self) -> *mut c_void {
        self as *mut SeededRng as *mut c_void
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_stream() {
        let (a, b, c) = (
            SeededRng::new([7; 32]),
            SeededRng::new([7; 32]),
            SeededRng::new([8; 32]),
        );
        let (mut x, mut y, mut z) = ([0u8; 48], [0u8; 48], [0u8; 48]);
        a.fill(&mut x);
        b.fill(&mut y);
        c.fill(&mut z);
        assert_eq!(x, y);
        assert_ne!(x, z);
    }
}
