//! Stopping an instance from outside, including one blocked in a hostcall.
//!
//! Every context has a [`Stop`]. Whoever holds its handle ([`crate::WasiCtx::stop_handle`]),
//! on any thread, can call [`Stop::stop`]: from then on every wait inside a hostcall (a sleep
//! or descriptor wait in `poll_oneoff`, a blocking read, write, accept or FIFO open) ends with
//! [`Errno::Canceled`], and the engine binding turns that, and every later hostcall, into a
//! trap that ends the instance. Running WebAssembly code is the engine's to interrupt (for
//! wasmtime, epochs).
//!
//! A scheduler waits on the stop's [`Wakeup`], which it makes the first time it waits (the
//! host's is an `eventfd` in its `poll` set), so that contexts that never block cost nothing.

use lucent_abi::Errno;
use std::any::Any;
use std::fmt::Debug;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

/// Something a waiting scheduler notices: [`Stop::stop`] calls [`Wakeup::wake`].
pub trait Wakeup: Send + Sync + Debug {
    /// Makes current and future waits on it return at once.
    fn wake(&self);

    /// The scheduler's own type, to find what it waits on.
    fn as_any(&self) -> &dyn Any;
}

/// The stop signal of one instance (shared by all its threads).
#[derive(Debug, Default)]
pub struct Stop {
    stopped: AtomicBool,
    wakeup: OnceLock<Arc<dyn Wakeup>>,
}

impl Stop {
    /// A signal not yet given.
    pub fn new() -> Self {
        Stop::default()
    }

    /// Asks the instance to stop: waits in hostcalls end, and hostcalls fail from now on.
    pub fn stop(&self) {
        self.stopped.store(true, Ordering::SeqCst);
        // Pairs with the fence in `wakeup`: either this sees the wakeup, or the waiter sees
        // the flag.
        std::sync::atomic::fence(Ordering::SeqCst);
        if let Some(wakeup) = self.wakeup.get() {
            wakeup.wake();
        }
    }

    /// Whether [`Stop::stop`] was called.
    #[inline]
    pub fn is_stopped(&self) -> bool {
        self.stopped.load(Ordering::Relaxed)
    }

    /// `Canceled` if the instance was asked to stop.
    ///
    /// # Errors
    ///
    /// `Canceled` after [`Stop::stop`].
    pub fn check(&self) -> Result<(), Errno> {
        if self.stopped.load(Ordering::SeqCst) { Err(Errno::Canceled) } else { Ok(()) }
    }

    /// The wakeup a scheduler waits on, made by `make` on first use. A scheduler must call
    /// [`Stop::check`] *after* getting it and before waiting: a stop that came before the
    /// wakeup existed did not wake it.
    pub fn wakeup(&self, make: impl FnOnce() -> Arc<dyn Wakeup>) -> &Arc<dyn Wakeup> {
        let wakeup = self.wakeup.get_or_init(make);
        std::sync::atomic::fence(Ordering::SeqCst);
        wakeup
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    #[derive(Debug, Default)]
    struct Count(AtomicUsize);

    impl Wakeup for Count {
        fn wake(&self) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
        fn as_any(&self) -> &dyn Any {
            self
        }
    }

    #[test]
    fn stopping_wakes_the_waiter_and_fails_checks() {
        let stop = Stop::new();
        assert_eq!(stop.check(), Ok(()));
        // Stopped before any wakeup exists: the check after making one sees it.
        stop.stop();
        let wakeup = stop.wakeup(|| Arc::new(Count::default())).clone();
        assert_eq!(stop.check(), Err(Errno::Canceled));
        assert!(stop.is_stopped());
        stop.stop();
        let count = wakeup.as_any().downcast_ref::<Count>().unwrap();
        assert_eq!(count.0.load(Ordering::SeqCst), 1);
    }
}
