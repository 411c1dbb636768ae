//! Clocks and randomness, as the context sees them. The host crate provides the real ones;
//! nothing in the core reads a real clock or real randomness.

use crate::fs::WasiFile;
use crate::stop::Stop;
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

    /// The instance starts running guest code on the calling thread: CPU-time clocks count
    /// from here. Embedders call it through [`crate::WasiCtx::start_clocks`].
    fn start(&self) {}

    /// The clocks for another guest thread of the same instance (`None`: these serve every
    /// thread). Host clocks give each thread its own thread CPU-time clock.
    fn for_thread(&self) -> Option<std::sync::Arc<dyn WasiClocks>> {
        None
    }
}

/// A source of random bytes for `random_get`.
pub trait RandomSource: Send + Debug {
    /// Fills `buf` entirely.
    ///
    /// # Errors
    ///
    /// `Io` if the source fails.
    fn fill(&mut self, buf: &mut [u8]) -> Result<(), Errno>;

    /// The source for guest thread `tid` of the same instance: a seeded source gives each
    /// thread a stream of its own, derived from the seed and `tid`, so that what each thread
    /// draws does not depend on how the threads are scheduled.
    fn for_thread(&self, tid: u32) -> Box<dyn RandomSource>;
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

    fn for_thread(&self, _tid: u32) -> Box<dyn RandomSource> {
        Box::new(NoRandom)
    }
}

/// What `poll_oneoff` waits for on one descriptor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Interest {
    /// Data to read (or a connection to accept, or end of file).
    Read,
    /// Room to write.
    Write,
}

/// The state of one descriptor after a wait.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FdState {
    /// Not ready.
    Pending,
    /// Ready: `nbytes` available to read (or 0 where the host cannot tell), and whether the
    /// peer hung up.
    Ready {
        /// Bytes available (read) or 0.
        nbytes: u64,
        /// The other end is closed.
        hangup: bool,
    },
    /// This descriptor cannot be waited on.
    Error(Errno),
}

/// Waiting and yielding: the only way the core blocks. Files never block (they return
/// `Again` where an operation would wait); the core waits here instead, so that every wait
/// can be ended by the instance's [`Stop`].
pub trait WasiSched: Send + Sync + Debug {
    /// Waits until one of `fds` is ready, `timeout` nanoseconds pass (`None`: no limit), or
    /// `stop` is given. With no descriptors it sleeps for `timeout`. Returns one state per
    /// descriptor; it may return early with none ready (for example after a signal), and the
    /// caller waits again.
    ///
    /// # Errors
    ///
    /// `Canceled` once `stop` is given (at once, if it already was); `Notsup` if the scheduler
    /// cannot wait; `Inval` for no descriptors and no timeout.
    fn poll(&self, fds: &[(&dyn WasiFile, Interest)], timeout: Option<u64>, stop: &Stop)
    -> Result<Vec<FdState>, Errno>;

    /// Sleeps `ns` of real time, waiting for something outside the instance (another process
    /// opening the other end of a FIFO): a virtual scheduler, whose sleeps take no time, must
    /// still wait for real here, or the retry would spin.
    ///
    /// # Errors
    ///
    /// As [`WasiSched::poll`].
    fn pause(&self, ns: u64, stop: &Stop) -> Result<(), Errno> {
        self.poll(&[], Some(ns), stop).map(drop)
    }

    /// Lets other threads run (`sched_yield`).
    fn yield_now(&self) {}

    /// Whether a wait with no descriptors takes its timeout in real time, so that an embedder
    /// may spend that time some other way (an async executor sleeping the guest's task, see
    /// [`crate::preview1::PollCall`]) and find the wait over. `false` (the default) for
    /// schedulers whose sleeps are virtual or refused.
    fn sleeps_in_real_time(&self) -> bool {
        false
    }
}

/// A scheduler for a context given none: every wait fails with `Notsup` (deny by default),
/// including a read or write that would have to wait.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoSched;

impl WasiSched for NoSched {
    fn poll(&self, _fds: &[(&dyn WasiFile, Interest)], _timeout: Option<u64>, _: &Stop) -> Result<Vec<FdState>, Errno> {
        Err(Errno::Notsup)
    }
}
