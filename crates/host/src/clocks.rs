//! The host's clocks and randomness.

use crate::errno::from_host;
use lucent_abi::{Clockid, Errno};
use lucent_core::env::{RandomSource, WasiClocks};
use rustix::time::{ClockId, Timespec};

/// The host's clocks (`clock_gettime`).
///
/// The CPU-time clocks measure the guest, not the host process: both read the CPU time of the
/// host thread running the instance, counted from [`WasiClocks::start`] (called right before
/// the guest starts), so time the host spends before it, and other instances on other
/// threads, are not counted. An instance runs on one host thread; a guest thread (a later
/// issue) will have a context of its own.
#[derive(Debug, Default)]
pub struct HostClocks {
    /// Thread CPU time at `start`, in nanoseconds.
    cpu_start: std::sync::atomic::AtomicU64,
}

impl HostClocks {
    /// Host clocks whose CPU-time clocks count from the thread's start until `start` is called.
    pub fn new() -> Self {
        HostClocks::default()
    }
}

fn host_clock(id: Clockid) -> ClockId {
    match id {
        Clockid::Realtime => ClockId::Realtime,
        Clockid::Monotonic => ClockId::Monotonic,
        // The instance's CPU time is that of the thread running it (see `HostClocks`).
        Clockid::ProcessCputimeId | Clockid::ThreadCputimeId => ClockId::ThreadCPUTime,
    }
}

fn nanos(ts: Timespec) -> Result<u64, Errno> {
    let secs = u64::try_from(ts.tv_sec).map_err(|_| Errno::Overflow)?;
    let nsec = u64::try_from(ts.tv_nsec).map_err(|_| Errno::Overflow)?;
    secs.checked_mul(1_000_000_000).and_then(|n| n.checked_add(nsec)).ok_or(Errno::Overflow)
}

impl WasiClocks for HostClocks {
    fn resolution(&self, id: Clockid) -> Result<u64, Errno> {
        nanos(rustix::time::clock_getres(host_clock(id)))
    }

    fn now(&self, id: Clockid, _precision: u64) -> Result<u64, Errno> {
        let now = nanos(rustix::time::clock_gettime(host_clock(id)))?;
        Ok(match id {
            Clockid::ProcessCputimeId | Clockid::ThreadCputimeId => {
                now.saturating_sub(self.cpu_start.load(std::sync::atomic::Ordering::Relaxed))
            }
            Clockid::Realtime | Clockid::Monotonic => now,
        })
    }

    fn start(&self) {
        if let Ok(now) = nanos(rustix::time::clock_gettime(ClockId::ThreadCPUTime)) {
            self.cpu_start.store(now, std::sync::atomic::Ordering::Relaxed);
        }
    }
}

/// The host's CSPRNG (`getrandom(2)`).
#[derive(Debug, Default, Clone, Copy)]
pub struct HostRandom;

impl RandomSource for HostRandom {
    fn fill(&mut self, buf: &mut [u8]) -> Result<(), Errno> {
        getrandom::fill(buf)
            .map_err(|e| e.raw_os_error().map_or(Errno::Io, |c| from_host(rustix::io::Errno::from_raw_os_error(c))))
    }
}
