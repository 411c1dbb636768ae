//! The host's clocks and randomness.

use crate::errno::from_host;
use lucent_abi::{Clockid, Errno};
use lucent_core::env::{RandomSource, WasiClocks};
use rustix::time::{ClockId, Timespec};
use std::sync::atomic::{AtomicI32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

/// The host's clocks (`clock_gettime`).
///
/// The CPU-time clocks measure the guest, not the host process. A guest thread's
/// `thread_cputime_id` is the CPU time of the host thread running it, counted from
/// [`WasiClocks::start`] (called right before it runs guest code), so time the host spends
/// before, and other instances on other threads, are not counted. `process_cputime_id` is the
/// sum over the instance's guest threads: the finished ones' totals and the running ones'
/// times so far (read from `/proc/self/task/TID/schedstat` for threads other than the
/// caller). An instance with one thread reads the same on both.
#[derive(Debug)]
pub struct HostClocks {
    me: Arc<ThreadCpu>,
    instance: Arc<InstanceCpu>,
}

/// One guest thread's CPU clock: its host thread, and that thread's CPU time at `start`.
#[derive(Debug, Default)]
struct ThreadCpu {
    /// The host thread's kernel id, once started (0 before).
    tid: AtomicI32,
    origin: AtomicU64,
}

/// The instance's threads, for the process CPU-time clock.
#[derive(Debug, Default)]
struct InstanceCpu {
    running: Mutex<Vec<Arc<ThreadCpu>>>,
    /// CPU time of the threads that have ended.
    finished: AtomicU64,
}

impl Default for HostClocks {
    fn default() -> Self {
        HostClocks::new()
    }
}

impl HostClocks {
    /// Host clocks whose CPU-time clocks count from the thread's start until `start` is called.
    pub fn new() -> Self {
        HostClocks { me: Arc::default(), instance: Arc::default() }
    }

    /// CPU time of this guest thread so far (0 before `start`).
    fn own_cpu(&self) -> Result<u64, Errno> {
        let now = nanos(rustix::time::clock_gettime(ClockId::ThreadCPUTime))?;
        Ok(now.saturating_sub(self.me.origin.load(Ordering::Relaxed)))
    }

    /// CPU time of the instance's threads so far.
    fn instance_cpu(&self) -> Result<u64, Errno> {
        let own = self.own_cpu()?;
        let me = rustix::thread::gettid().as_raw_nonzero().get();
        let running = self.instance.running.lock().unwrap_or_else(PoisonError::into_inner);
        let others = running
            .iter()
            .filter(|t| t.tid.load(Ordering::Relaxed) != me)
            .map(|t| thread_cpu(t.tid.load(Ordering::Relaxed)).saturating_sub(t.origin.load(Ordering::Relaxed)))
            .fold(0u64, u64::saturating_add);
        Ok(own.saturating_add(others).saturating_add(self.instance.finished.load(Ordering::Relaxed)))
    }
}

/// The CPU time of another host thread of this process, in nanoseconds (0 if it is gone).
fn thread_cpu(tid: i32) -> u64 {
    std::fs::read_to_string(format!("/proc/self/task/{tid}/schedstat"))
        .ok()
        .and_then(|s| s.split_whitespace().next().and_then(|n| n.parse().ok()))
        .unwrap_or(0)
}

impl Drop for HostClocks {
    fn drop(&mut self) {
        let tid = self.me.tid.load(Ordering::Relaxed);
        if tid == 0 {
            return;
        }
        let mut running = self.instance.running.lock().unwrap_or_else(PoisonError::into_inner);
        running.retain(|t| !Arc::ptr_eq(t, &self.me));
        let total = if tid == rustix::thread::gettid().as_raw_nonzero().get() {
            self.own_cpu().unwrap_or(0)
        } else {
            thread_cpu(tid).saturating_sub(self.me.origin.load(Ordering::Relaxed))
        };
        let _ = self.instance.finished.fetch_add(total, Ordering::Relaxed);
    }
}

fn host_clock(id: Clockid) -> ClockId {
    match id {
        Clockid::Realtime => ClockId::Realtime,
        Clockid::Monotonic => ClockId::Monotonic,
        // The instance's CPU time is that of the threads running it (see `HostClocks`).
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
        match id {
            Clockid::ThreadCputimeId => self.own_cpu(),
            Clockid::ProcessCputimeId => self.instance_cpu(),
            Clockid::Realtime | Clockid::Monotonic => nanos(rustix::time::clock_gettime(host_clock(id))),
        }
    }

    fn start(&self) {
        if let Ok(now) = nanos(rustix::time::clock_gettime(ClockId::ThreadCPUTime)) {
            self.me.origin.store(now, Ordering::Relaxed);
        }
        let tid = rustix::thread::gettid().as_raw_nonzero().get();
        if self.me.tid.swap(tid, Ordering::Relaxed) == 0 {
            self.instance.running.lock().unwrap_or_else(PoisonError::into_inner).push(self.me.clone());
        }
    }

    fn for_thread(&self) -> Option<Arc<dyn WasiClocks>> {
        Some(Arc::new(HostClocks { me: Arc::default(), instance: self.instance.clone() }))
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

    fn for_thread(&self, _tid: u32) -> Box<dyn RandomSource> {
        Box::new(HostRandom)
    }
}
