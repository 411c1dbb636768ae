//! Clocks and randomness the host controls: coarsened clocks against timing side channels,
//! and fully virtual clocks, scheduler and randomness for reproducible runs. Pure logic: the
//! real clocks and the real waiting come from the host crate.

use crate::env::{FdState, Interest, RandomSource, WasiClocks, WasiSched};
use crate::fs::WasiFile;
use crate::stop::Stop;
use lucent_abi::{Clockid, Errno};
use rand_core::{Rng, SeedableRng};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

/// Rounds `t` down to a multiple of `resolution` (0 leaves `t` as it is).
pub fn coarsen(t: u64, resolution: u64) -> u64 {
    // The remainder is never more than `t`: the subtraction cannot saturate.
    t.saturating_sub(t.checked_rem(resolution).unwrap_or(0))
}

/// Clocks whose readings are rounded down to a multiple of `resolution` nanoseconds, for every
/// clock (realtime, monotonic, CPU time), and whose reported resolution is at least that.
/// Rounding down keeps a monotonic clock monotonic.
///
/// This limits how finely a guest can time things, which blunts timing side channels; it
/// does not stop a guest from building a clock of its own (a counting thread, or counting
/// loop iterations between two readings). See `docs/RATIONALE.md`.
#[derive(Debug)]
pub struct CoarseClocks {
    inner: Arc<dyn WasiClocks>,
    resolution: u64,
}

impl CoarseClocks {
    /// Wraps `inner`, coarsening to `resolution` nanoseconds (0 is taken as 1).
    pub fn new(inner: Arc<dyn WasiClocks>, resolution: u64) -> Self {
        CoarseClocks { inner, resolution: resolution.max(1) }
    }
}

impl WasiClocks for CoarseClocks {
    fn resolution(&self, id: Clockid) -> Result<u64, Errno> {
        Ok(self.inner.resolution(id)?.max(self.resolution))
    }

    fn now(&self, id: Clockid, precision: u64) -> Result<u64, Errno> {
        Ok(coarsen(self.inner.now(id, precision)?, self.resolution))
    }

    fn start(&self) {
        self.inner.start();
    }

    fn for_thread(&self) -> Option<Arc<dyn WasiClocks>> {
        let inner = self.inner.for_thread()?;
        Some(Arc::new(CoarseClocks::new(inner, self.resolution)))
    }
}

/// Virtual time: nothing here reads a real clock.
///
/// * monotonic time starts at 0 and advances by `step` nanoseconds at every read of any clock,
///   and by the requested amount when the guest sleeps ([`VirtualSched`]);
/// * realtime is `epoch` plus the monotonic time;
/// * the CPU-time clocks advance by `step` per read only: sleeping uses no CPU.
#[derive(Debug)]
pub struct VirtualClocks {
    epoch: u64,
    step: u64,
    elapsed: AtomicU64,
    cpu: AtomicU64,
}

impl VirtualClocks {
    /// Virtual clocks starting at `epoch` (nanoseconds since 1970) and advancing `step`
    /// nanoseconds per read.
    pub fn new(epoch: u64, step: u64) -> Self {
        VirtualClocks { epoch, step, elapsed: AtomicU64::new(0), cpu: AtomicU64::new(0) }
    }

    /// Moves virtual time forward by `ns`.
    pub fn advance(&self, ns: u64) {
        let _ = self.elapsed.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |t| Some(t.saturating_add(ns)));
    }
}

impl WasiClocks for VirtualClocks {
    fn resolution(&self, _id: Clockid) -> Result<u64, Errno> {
        Ok(self.step.max(1))
    }

    fn now(&self, id: Clockid, _precision: u64) -> Result<u64, Errno> {
        let bump = |counter: &AtomicU64| {
            counter
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |t| Some(t.saturating_add(self.step)))
                .unwrap_or_else(|t| t)
        };
        let cpu = bump(&self.cpu);
        let t = bump(&self.elapsed);
        Ok(match id {
            Clockid::Realtime => self.epoch.saturating_add(t),
            Clockid::Monotonic => t,
            Clockid::ProcessCputimeId | Clockid::ThreadCputimeId => cpu,
        })
    }
}

/// A scheduler for virtual time: a wait that would time out advances the [`VirtualClocks`]
/// instead of sleeping; descriptors are still asked, through `inner`, whether they are ready
/// (a guest waiting on stdin with no timeout still waits for real input).
#[derive(Debug)]
pub struct VirtualSched {
    clocks: Arc<VirtualClocks>,
    inner: Arc<dyn WasiSched>,
}

impl VirtualSched {
    /// Virtual waits on `clocks`, asking `inner` about descriptors.
    pub fn new(clocks: Arc<VirtualClocks>, inner: Arc<dyn WasiSched>) -> Self {
        VirtualSched { clocks, inner }
    }
}

impl WasiSched for VirtualSched {
    fn poll(
        &self,
        fds: &[(&dyn WasiFile, Interest)],
        timeout: Option<u64>,
        stop: &Stop,
    ) -> Result<Vec<FdState>, Errno> {
        stop.check()?;
        let states = if fds.is_empty() { Vec::new() } else { self.inner.poll(fds, Some(0), stop)? };
        if states.iter().any(|s| *s != FdState::Pending) {
            return Ok(states);
        }
        match timeout {
            Some(ns) => {
                self.clocks.advance(ns);
                Ok(states)
            }
            None if fds.is_empty() => Err(Errno::Inval),
            None => self.inner.poll(fds, None, stop),
        }
    }

    fn pause(&self, ns: u64, stop: &Stop) -> Result<(), Errno> {
        self.inner.pause(ns, stop)
    }

    fn yield_now(&self) {}
}

/// `random_get` from ChaCha20 seeded with a number: the same seed gives the same bytes. Guest
/// thread `tid` draws from the ChaCha20 stream numbered `tid` of the same seed (the main
/// thread from stream 0).
#[derive(Debug)]
pub struct SeededRandom {
    seed: u64,
    rng: Mutex<rand_chacha::ChaCha20Rng>,
}

impl SeededRandom {
    /// A generator seeded with `seed`.
    pub fn new(seed: u64) -> Self {
        SeededRandom { seed, rng: Mutex::new(rand_chacha::ChaCha20Rng::seed_from_u64(seed)) }
    }
}

impl RandomSource for SeededRandom {
    fn fill(&mut self, buf: &mut [u8]) -> Result<(), Errno> {
        self.rng.get_mut().unwrap_or_else(PoisonError::into_inner).fill_bytes(buf);
        Ok(())
    }

    fn for_thread(&self, tid: u32) -> Box<dyn RandomSource> {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(self.seed);
        rng.set_stream(u64::from(tid));
        Box::new(SeededRandom { seed: self.seed, rng: Mutex::new(rng) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A clock that returns a programmed sequence.
    #[derive(Debug)]
    struct Script(Mutex<Vec<u64>>);

    impl WasiClocks for Script {
        fn resolution(&self, _id: Clockid) -> Result<u64, Errno> {
            Ok(1)
        }
        fn now(&self, _id: Clockid, _precision: u64) -> Result<u64, Errno> {
            Ok(self.0.lock().unwrap().remove(0))
        }
    }

    #[test]
    fn coarsening_rounds_down() {
        assert_eq!(coarsen(1_999_999, 1_000_000), 1_000_000);
        assert_eq!(coarsen(2_000_000, 1_000_000), 2_000_000);
        assert_eq!(coarsen(5, 0), 5);
        assert_eq!(coarsen(u64::MAX, 1_000), u64::MAX - u64::MAX % 1_000);
        let clocks = CoarseClocks::new(Arc::new(Script(Mutex::new(vec![1_234_567, 1_999_999]))), 1_000_000);
        assert_eq!(clocks.now(Clockid::Monotonic, 0), Ok(1_000_000));
        assert_eq!(clocks.now(Clockid::Realtime, 0), Ok(1_000_000));
        assert_eq!(clocks.resolution(Clockid::Monotonic), Ok(1_000_000));
    }

    #[test]
    fn virtual_time_advances_per_read_and_per_sleep() {
        let clocks = Arc::new(VirtualClocks::new(1_000_000_000, 10));
        assert_eq!(clocks.now(Clockid::Monotonic, 0), Ok(0));
        assert_eq!(clocks.now(Clockid::Monotonic, 0), Ok(10));
        assert_eq!(clocks.now(Clockid::Realtime, 0), Ok(1_000_000_020));
        let sched = VirtualSched::new(clocks.clone(), Arc::new(crate::env::NoSched));
        let stop = Stop::new();
        assert_eq!(sched.poll(&[], Some(10_000_000_000), &stop), Ok(vec![]));
        assert_eq!(clocks.now(Clockid::Monotonic, 0), Ok(10_000_000_030));
        // CPU time moves only with reads, not with sleeps.
        assert_eq!(clocks.now(Clockid::ProcessCputimeId, 0), Ok(40));
        assert_eq!(sched.poll(&[], None, &stop), Err(Errno::Inval));
        stop.stop();
        assert_eq!(sched.poll(&[], Some(1), &stop), Err(Errno::Canceled));
    }

    #[test]
    fn seeded_random_is_reproducible() {
        let (mut a, mut b, mut c) = (SeededRandom::new(7), SeededRandom::new(7), SeededRandom::new(8));
        let (mut x, mut y, mut z) = ([0u8; 32], [0u8; 32], [0u8; 32]);
        a.fill(&mut x).unwrap();
        b.fill(&mut y).unwrap();
        c.fill(&mut z).unwrap();
        assert_eq!(x, y);
        assert_ne!(x, z);
        // Threads: a stream each, the same for the same seed and thread.
        let (mut t1, mut t1_again, mut t2) = (a.for_thread(1), b.for_thread(1), a.for_thread(2));
        let (mut p, mut q, mut r) = ([0u8; 32], [0u8; 32], [0u8; 32]);
        t1.fill(&mut p).unwrap();
        t1_again.fill(&mut q).unwrap();
        t2.fill(&mut r).unwrap();
        assert_eq!(p, q);
        assert_ne!(p, r);
        assert_ne!(p, x);
    }

    proptest::proptest! {
        /// Coarsening a non-decreasing sequence keeps it non-decreasing, on a multiple of the
        /// resolution, never above the reading and less than one resolution below it.
        #[test]
        fn coarsened_clocks_stay_monotonic(mut readings: Vec<u64>, resolution in 1u64..10_000_000) {
            readings.sort_unstable();
            let clocks = CoarseClocks::new(Arc::new(Script(Mutex::new(readings.clone()))), resolution);
            let mut last = 0;
            for raw in readings {
                let t = clocks.now(Clockid::Monotonic, 0).unwrap();
                proptest::prop_assert!(t >= last);
                proptest::prop_assert_eq!(t % resolution, 0);
                proptest::prop_assert!(t <= raw && raw - t < resolution);
                last = t;
            }
        }
    }
}
