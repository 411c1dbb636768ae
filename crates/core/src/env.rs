//! Clocks and randomness, as the context sees them. The host crate provides the real ones;
//! nothing in the core reads a real clock or real randomness.

use lucent_abi::{Clockid, Errno};
use std::fmt::Debug;

/// The clocks a guest can read.
pub trait WasiClocks: Send + Sync + Debug {
    /// The resolution of clock `id`, in nanoseconds.
    ///
    /// # Errors
    ///
    /// `Notsup` for a clock this source does not provide.
    fn resolution(&self, id: Clockid) -> Result<u64, Errno>;

    /// The time of clock `id` in nanoseconds; `precision` is the error the guest accepts.
    ///
    /// # Errors
    ///
    /// `Notsup` for a clock this source does not provide; `Overflow` if the time does not fit.
    fn now(&self, id: Clockid, precision: u64) -> Result<u64, Errno>;
}

/// A source of random bytes for `random_get`.
pub trait RandomSource: Send + Debug {
    /// Fills `buf` entirely.
    ///
    /// # Errors
    ///
    /// `Io` if the source fails.
    fn fill(&mut self, buf: &mut [u8]) -> Result<(), Errno>;
}

/// Clocks for a context given none: every read fails with `Notsup` (deny by default).
#[derive(Debug, Default, Clone, Copy)]
pub struct NoClocks;

impl WasiClocks for NoClocks {
    fn resolution(&self, _id: Clockid) -> Result<u64, Errno> {
        Err(Errno::Notsup)
    }
    fn now(&self, _id: Clockid, _precision: u64) -> Result<u64, Errno> {
        Err(Errno::Notsup)
    }
}

/// Randomness for a context given none: `random_get` fails with `Notsup` (deny by default).
#[derive(Debug, Default, Clone, Copy)]
pub struct NoRandom;

impl RandomSource for NoRandom {
    fn fill(&mut self, _buf: &mut [u8]) -> Result<(), Errno> {
        Err(Errno::Notsup)
    }
}
