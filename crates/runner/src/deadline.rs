//! Deadlines for many guests on one engine, kept by one thread: never a thread per guest.
//!
//! A guest's deadline is its stop signal ([`Stop`]) and an instant. When the instant comes,
//! the thread gives the signal, which ends a wait inside a hostcall at once, and moves the
//! engine's epoch, which stops running WebAssembly code at its next epoch check (for stores
//! set up with [`lucent_wasmtime::interrupt_on_stop`], or with an epoch deadline of 1). Made
//! with [`Deadlines::new`], the epoch moves only when a deadline passes, so guests that finish
//! in time never see a tick; made with [`Deadlines::with_time_slices`], it also moves every
//! time slice while deadlines are pending, for guests that take turns on an async executor.

use lucent_core::stop::Stop;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};
use wasmtime::Engine;

/// The deadlines of one engine's guests, and the thread that keeps them. Dropping it ends the
/// thread; deadlines still pending then never pass.
pub struct Deadlines {
    shared: Arc<Shared>,
}

struct Shared {
    state: Mutex<State>,
    changed: Condvar,
    /// The time slice: while any deadline is pending, the epoch also moves this often.
    slice: Option<Duration>,
}

#[derive(Default)]
struct State {
    /// When each pending deadline passes, earliest first.
    queue: BinaryHeap<Reverse<(Instant, u64)>>,
    /// The stop signals of the deadlines not yet passed or cancelled.
    stops: HashMap<u64, Arc<Stop>>,
    next: u64,
    closed: bool,
    /// How many deadlines have passed.
    passed: u64,
    /// How many times the thread has moved the epoch.
    ticks: u64,
    /// How many [`Deadline`] guards are alive, passed or not: their guests may still run, and
    /// time slices go on until they end (a guest that was stopped while it yielded sees its
    /// stop only at a later tick).
    live: usize,
    /// When the thread will wake by itself; `None` while it waits to be woken.
    wakes_at: Option<Instant>,
    /// When the last guard was dropped.
    last_release: Option<Instant>,
}

/// How long time slices go on once no guard is alive: a server between two short requests
/// keeps its ticker instead of waking it (a system call and a switch) for every request.
const LINGER: Duration = Duration::from_millis(100);

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Deadlines {
    /// Starts the thread that keeps deadlines for guests of `engine`.
    ///
    /// # Errors
    ///
    /// If the thread cannot be started.
    pub fn new(engine: &Engine) -> std::io::Result<Deadlines> {
        Deadlines::start(engine, None)
    }

    /// As [`Deadlines::new`], and while any [`Deadline`] guard is alive the thread also moves
    /// the epoch every `slice`: guests that yield at epoch ticks
    /// ([`lucent_wasmtime::interrupt_on_stop_or_yield`]) then take turns on an async
    /// executor's threads.
    ///
    /// # Errors
    ///
    /// If the thread cannot be started.
    pub fn with_time_slices(engine: &Engine, slice: Duration) -> std::io::Result<Deadlines> {
        Deadlines::start(engine, Some(slice))
    }

    fn start(engine: &Engine, slice: Option<Duration>) -> std::io::Result<Deadlines> {
        let shared = Arc::new(Shared { state: Mutex::default(), changed: Condvar::new(), slice });
        let kept = shared.clone();
        let engine = engine.clone();
        std::thread::Builder::new().name("lucent-deadlines".into()).spawn(move || keep(&kept, &engine))?;
        Ok(Deadlines { shared })
    }

    /// Stops `stop`'s guest `after` from now, unless the returned guard is dropped first.
    pub fn add(&self, after: Duration, stop: Arc<Stop>) -> Deadline {
        let at = Instant::now().checked_add(after);
        let mut state = self.shared.lock();
        let id = state.next;
        state.next = id.wrapping_add(1);
        state.live = state.live.saturating_add(1);
        // The thread needs waking only if it would otherwise sleep past this deadline or past
        // the guest's first time slice: not on every request of a busy server, where it
        // wakes every slice anyway (see `LINGER`).
        let due = match (at, self.shared.slice.and_then(|s| Instant::now().checked_add(s))) {
            (Some(at), Some(slice)) => Some(at.min(slice)),
            (at, slice) => at.or(slice),
        };
        let wake = due.is_some_and(|due| state.wakes_at.is_none_or(|planned| due < planned));
        // A deadline too far to represent never passes.
        if let Some(at) = at {
            state.queue.push(Reverse((at, id)));
            state.stops.insert(id, stop);
        }
        drop(state);
        if wake {
            self.shared.changed.notify_one();
        }
        Deadline { shared: self.shared.clone(), id }
    }

    /// How many deadlines have passed so far.
    pub fn passed(&self) -> u64 {
        self.shared.lock().passed
    }

    /// How many times the epoch has moved (deadlines passing, time slices).
    pub fn ticks(&self) -> u64 {
        self.shared.lock().ticks
    }

    /// How many deadlines are pending (neither passed nor cancelled).
    pub fn pending(&self) -> usize {
        self.shared.lock().stops.len()
    }
}

impl Drop for Deadlines {
    fn drop(&mut self) {
        self.shared.lock().closed = true;
        self.shared.changed.notify_one();
    }
}

impl std::fmt::Debug for Deadlines {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Deadlines").field("pending", &self.pending()).finish()
    }
}

/// A pending deadline; dropping it cancels it (the guest finished in time).
#[derive(Debug)]
pub struct Deadline {
    shared: Arc<Shared>,
    id: u64,
}

impl Drop for Deadline {
    fn drop(&mut self) {
        let mut state = self.shared.lock();
        state.stops.remove(&self.id);
        state.live = state.live.saturating_sub(1);
        state.last_release = Some(Instant::now());
        // Cancelled entries leave the queue when they come up; when none is pending, at once;
        // and all together when they outnumber the pending ones, so that a busy server with long
        // deadlines keeps a queue of about what is pending, not of every request of the last
        // deadline's length.
        if state.stops.is_empty() {
            state.queue.clear();
        } else if state.queue.len() > state.stops.len().saturating_mul(2).saturating_add(64) {
            let State { queue, stops, .. } = &mut *state;
            queue.retain(|Reverse((_, id))| stops.contains_key(id));
        }
    }
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Shared")
    }
}

/// The thread: sleeps until the earliest deadline, stops its guest and moves the epoch.
fn keep(shared: &Shared, engine: &Engine) {
    let mut state = shared.lock();
    let mut last_tick = Instant::now();
    loop {
        if state.closed {
            return;
        }
        let now = Instant::now();
        let lingering = state.last_release.and_then(|at| at.checked_add(LINGER)).is_some_and(|until| now < until);
        let slicing = state.live > 0 || lingering;
        let next_slice = shared.slice.filter(|_| slicing).and_then(|s| last_tick.checked_add(s));
        let mut fired = next_slice.is_some_and(|at| at <= now);
        while let Some(&Reverse((at, id))) = state.queue.peek() {
            if at > now {
                break;
            }
            state.queue.pop();
            if let Some(stop) = state.stops.remove(&id) {
                stop.stop();
                state.passed = state.passed.wrapping_add(1);
                fired = true;
            }
        }
        if fired {
            engine.increment_epoch();
            state.ticks = state.ticks.wrapping_add(1);
            last_tick = now;
        }
        let next_slice = shared.slice.filter(|_| slicing).and_then(|s| last_tick.checked_add(s));
        let next = match (state.queue.peek(), next_slice) {
            (Some(&Reverse((at, _))), Some(slice)) => Some(at.min(slice)),
            (Some(&Reverse((at, _))), None) => Some(at),
            (None, slice) => slice,
        };
        state.wakes_at = next;
        state = match next {
            None => shared.changed.wait(state).unwrap_or_else(PoisonError::into_inner),
            Some(at) => {
                let wait = at.saturating_duration_since(Instant::now());
                shared.changed.wait_timeout(state, wait).unwrap_or_else(PoisonError::into_inner).0
            }
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_slices_go_on_while_a_guard_lives_even_past_its_deadline() {
        let engine = Engine::default();
        let deadlines = Deadlines::with_time_slices(&engine, Duration::from_millis(2)).unwrap();
        std::thread::sleep(Duration::from_millis(20));
        assert_eq!(deadlines.ticks(), 0, "no guest, no ticks");
        let guard = deadlines.add(Duration::ZERO, Arc::new(Stop::new()));
        assert!(wait_until(|| deadlines.passed() == 1));
        let after = deadlines.ticks();
        // A guest stopped while it yielded sees its stop at a later tick: they go on.
        assert!(wait_until(|| deadlines.ticks() > after + 3));
        drop(guard);
        std::thread::sleep(LINGER + Duration::from_millis(20));
        let settled = deadlines.ticks();
        std::thread::sleep(Duration::from_millis(50));
        assert_eq!(deadlines.ticks(), settled, "no guard, no ticks");
    }

    #[test]
    fn cancelled_deadlines_do_not_pile_up_behind_a_pending_one() {
        let engine = Engine::default();
        let deadlines = Deadlines::new(&engine).unwrap();
        let _pending = deadlines.add(Duration::from_secs(3600), Arc::new(Stop::new()));
        for _ in 0..10_000 {
            drop(deadlines.add(Duration::from_secs(3600), Arc::new(Stop::new())));
        }
        let queued = deadlines.shared.lock().queue.len();
        assert!(queued <= 2 + 64, "{queued} entries queued for 1 pending deadline");
        assert_eq!(deadlines.pending(), 1);
    }

    fn wait_until(what: impl Fn() -> bool) -> bool {
        wait_within(Duration::from_secs(10), what)
    }

    fn wait_within(limit: Duration, what: impl Fn() -> bool) -> bool {
        let start = Instant::now();
        while start.elapsed() < limit {
            if what() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        false
    }

    #[test]
    fn an_earlier_deadline_wakes_the_thread_from_a_later_ones_sleep() {
        for slices in [None, Some(Duration::from_secs(5))] {
            let engine = Engine::default();
            let deadlines = Deadlines::start(&engine, slices).unwrap();
            let _far = deadlines.add(Duration::from_secs(10), Arc::new(Stop::new()));
            // The thread now sleeps until the far deadline (or its first slice, 5 s away).
            std::thread::sleep(Duration::from_millis(20));
            let near = Arc::new(Stop::new());
            let _near = deadlines.add(Duration::from_millis(10), near.clone());
            assert!(wait_within(Duration::from_secs(2), || near.is_stopped()), "slices {slices:?}");
        }
    }

    #[test]
    fn a_new_guest_gets_its_first_time_slice_though_the_thread_sleeps_until_a_deadline() {
        let engine = Engine::default();
        let deadlines = Deadlines::with_time_slices(&engine, Duration::from_millis(5)).unwrap();
        drop(deadlines.add(Duration::from_secs(10), Arc::new(Stop::new())));
        // Past the linger: the thread sleeps with no guest (and a cancelled entry queued).
        std::thread::sleep(LINGER + Duration::from_millis(30));
        let before = deadlines.ticks();
        let _guest = deadlines.add(Duration::from_secs(10), Arc::new(Stop::new()));
        let slices = || deadlines.ticks() > before + 2;
        assert!(wait_within(Duration::from_secs(2), slices), "a guest that computes would never yield");
    }

    #[test]
    fn deadlines_pass_in_order_and_cancelled_ones_do_not() {
        let engine = Engine::default();
        let deadlines = Deadlines::new(&engine).unwrap();
        let (late, early, cancelled) = (Arc::new(Stop::new()), Arc::new(Stop::new()), Arc::new(Stop::new()));
        let _late = deadlines.add(Duration::from_millis(300), late.clone());
        let _early = deadlines.add(Duration::from_millis(20), early.clone());
        drop(deadlines.add(Duration::from_millis(10), cancelled.clone()));
        assert!(wait_until(|| early.is_stopped()));
        assert!(!late.is_stopped(), "a later deadline passed with an earlier one");
        assert!(wait_until(|| late.is_stopped()));
        std::thread::sleep(Duration::from_millis(20));
        assert!(!cancelled.is_stopped());
        assert_eq!((deadlines.passed(), deadlines.pending()), (2, 0));
    }

    #[test]
    fn a_passing_deadline_interrupts_running_code() {
        let mut config = wasmtime::Config::new();
        config.epoch_interruption(true);
        let engine = Engine::new(&config).unwrap();
        let module = wasmtime::Module::new(&engine, r#"(module (func (export "spin") (loop (br 0))))"#).unwrap();
        let deadlines = Deadlines::new(&engine).unwrap();
        let mut store = wasmtime::Store::new(&engine, Arc::new(Stop::new()));
        store.set_epoch_deadline(1);
        let stop = store.data().clone();
        store.epoch_deadline_callback(move |_| {
            if stop.is_stopped() {
                Err(wasmtime::Trap::Interrupt.into())
            } else {
                Ok(wasmtime::UpdateDeadline::Continue(1))
            }
        });
        let instance = wasmtime::Instance::new(&mut store, &module, &[]).unwrap();
        let spin = instance.get_typed_func::<(), ()>(&mut store, "spin").unwrap();
        let _deadline = deadlines.add(Duration::from_millis(50), store.data().clone());
        let error = spin.call(&mut store, ()).unwrap_err();
        assert_eq!(error.downcast_ref::<wasmtime::Trap>(), Some(&wasmtime::Trap::Interrupt));
    }

    #[test]
    fn thousands_of_guests_share_the_one_thread() {
        let engine = Engine::default();
        let deadlines = Deadlines::new(&engine).unwrap();
        let stops: Vec<Arc<Stop>> = (0..5_000).map(|_| Arc::new(Stop::new())).collect();
        let guards: Vec<Deadline> = stops
            .iter()
            .enumerate()
            .map(|(i, s)| deadlines.add(Duration::from_millis(i as u64 % 50), s.clone()))
            .collect();
        assert!(wait_until(|| stops.iter().all(|s| s.is_stopped())));
        assert_eq!(deadlines.passed(), 5_000);
        drop(guards);
        assert_eq!(deadlines.pending(), 0);
    }
}
