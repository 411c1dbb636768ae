//! The host's clocks and randomness.

use crate::errno::from_host;
use lucent_abi::{Clockid, Errno};
use lucent_core::env::{RandomSource, WasiClocks};
use rustix::time::{ClockId, Timespec};

/// The host's clocks (`clock_gettime`). The CPU-time clocks are the host process's and
/// thread's for now.
#[derive(Debug, Default, Clone, Copy)]
pub struct HostClocks;

fn host_clock(id: Clockid) -> ClockId {
    match id {
        Clockid::Realtime => ClockId::Realtime,
        Clockid::Monotonic => ClockId::Monotonic,
        Clockid::ProcessCputimeId => ClockId::ProcessCPUTime,
        Clockid::ThreadCputimeId => ClockId::ThreadCPUTime,
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
        nanos(rustix::time::clock_gettime(host_clock(id)))
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
