//! Threaded guests: the wasi-threads ABI (`wasi`.`thread-spawn`), shared memories for the
//! module's shared memory imports, and process semantics across the threads of an instance.
//!
//! Each guest thread is an instance of the module in a store of its own, on a host thread of
//! its own, importing the same shared memory; its WASI context is
//! [`WasiCtx::for_thread`] of the spawning thread's, so the descriptor table, clocks,
//! scheduler and stop signal are the instance's. The program ends as a process does: when the
//! main thread returns from `_start` (status 0), when any thread calls `proc_exit` (its
//! status), or when any thread traps; the first of these is the [`Ending`], and every other
//! thread is stopped.
//!
//! Stopping threads: the instance's stop signal ends their waits inside hostcalls, an epoch
//! tick stops running code (the engine needs epoch interruption, and each store
//! [`crate::interrupt_on_stop`]), and threads parked in `memory.atomic.wait`, which neither
//! reaches, are woken by a notification of every 4-byte address of the shared memory (about
//! 30 ns per 4 bytes of its current size), after which their next epoch check stops them. A
//! runner that is a process (`lucent run`) instead exits as soon as the program ends
//! ([`Threads::on_end`]).
//!
//! ```no_run
//! use lucent_core::WasiCtx;
//! use lucent_wasmtime::threads::{Threads, ThreadsConfig};
//! use wasmtime::{Config, Engine, Linker, Module, Store};
//!
//! let mut config = lucent_wasmtime::default_config();
//! config.epoch_interruption(true);
//! let engine = Engine::new(&config)?;
//! let module = Module::from_file(&engine, "threads.wasm")?;
//! let mut linker = Linker::new(&engine);
//! lucent_wasmtime::add_to_linker(&mut linker, |ctx: &mut WasiCtx| ctx)?;
//! let mut store = Store::new(&engine, lucent_host::host_builder().build()?);
//! lucent_wasmtime::interrupt_on_stop(&mut store, |ctx: &WasiCtx| ctx);
//! let threads = Threads::new(&mut store, &mut linker, &module, ThreadsConfig::default(), |ctx: &mut WasiCtx| ctx,
//!     |engine, ctx: &mut WasiCtx, tid| {
//!         let mut store = Store::new(engine, ctx.for_thread(tid));
//!         lucent_wasmtime::interrupt_on_stop(&mut store, |ctx: &WasiCtx| ctx);
//!         Ok(store)
//!     })?;
//! threads.link(&linker, &module)?;
//! let ending = threads.run_main(&mut store)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use crate::policy;
use lucent_core::WasiCtx;
use lucent_core::preview1::Exit;
use lucent_core::stop::Stop;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use wasmtime::{Engine, ExternType, InstancePre, Linker, MemoryType, Module, SharedMemory, Store, Trap, ValType};

/// The import that spawns a thread.
pub const SPAWN: (&str, &str) = ("wasi", "thread-spawn");

/// The export a new thread runs: `wasi_thread_start(tid: i32, start_arg: i32)`.
pub const THREAD_START: &str = "wasi_thread_start";

/// Thread ids are below this (the wasi-threads ABI keeps the top bits for the guest's use).
pub const MAX_TID: u32 = 1 << 29;

/// What `thread-spawn` returns when no thread can be made: negative, as the ABI says (the
/// value is `-again`; wasi-libc's `pthread_create` then fails with `EAGAIN`).
pub const SPAWN_FAILED: i32 = -6;

/// How threads are limited.
#[derive(Debug, Clone, Copy)]
pub struct ThreadsConfig {
    /// The most threads running at once, the main thread included (default 64). A spawn
    /// past it fails in the guest.
    pub max_threads: u32,
    /// The bytes all the instance's memories and tables may take together (`--max-memory`),
    /// if limited: a shared memory's maximum is cut to what is left of it once the module's
    /// other memories and tables have their initial sizes, since a shared memory grows
    /// without asking the store's limiter.
    pub max_memory: Option<usize>,
}

impl Default for ThreadsConfig {
    fn default() -> Self {
        ThreadsConfig { max_threads: 64, max_memory: None }
    }
}

/// Ends a threaded program from outside it: see [`Threads::stop_handle`].
#[derive(Clone)]
pub struct ThreadsStop {
    inner: Arc<dyn EndAll>,
}

impl ThreadsStop {
    /// Ends the program (if it has not ended) as a trap, and stops every thread.
    pub fn stop(&self) {
        self.inner.end_stopped();
    }
}

impl std::fmt::Debug for ThreadsStop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ThreadsStop").finish_non_exhaustive()
    }
}

/// What a [`ThreadsStop`] needs of the threads, whatever their store's data type.
trait EndAll: Send + Sync {
    fn end_stopped(&self);
}

impl<T: Send + 'static> EndAll for Inner<T> {
    fn end_stopped(&self) {
        self.end(Ending::Trap(policy::stopped()));
    }
}

/// How a threaded program ended.
#[derive(Debug)]
pub enum Ending {
    /// `proc_exit(status)` in some thread, or the main thread's `_start` returning (0).
    Exit(u32),
    /// A thread trapped (or failed to start); the error carries the trap and its backtrace.
    Trap(wasmtime::Error),
}

/// Whether a module is a threaded one: it imports `thread-spawn` or a shared memory.
pub fn is_threaded(module: &Module) -> bool {
    module.imports().any(|import| {
        (import.module(), import.name()) == SPAWN || matches!(import.ty(), ExternType::Memory(ty) if ty.is_shared())
    })
}

/// Builds a new thread's store from the spawning thread's data and the new thread id.
type NewStore<T> = dyn Fn(&Engine, &mut T, u32) -> wasmtime::Result<Store<T>> + Send + Sync;

/// Called once, on the thread that ended the program, with how it ended.
type OnEnd = dyn Fn(&Ending) + Send + Sync;

struct Inner<T: 'static> {
    engine: Engine,
    pre: OnceLock<InstancePre<T>>,
    memories: Vec<SharedMemory>,
    config: ThreadsConfig,
    /// Whether the module exports a usable `wasi_thread_start`.
    can_start: bool,
    next_tid: AtomicU32,
    /// Threads running, the main one included.
    running: AtomicU32,
    ending: Mutex<Option<Ending>>,
    /// The instance's stop signal (shared by every thread's context), once the main thread
    /// has started.
    stop: OnceLock<Arc<Stop>>,
    get: fn(&mut T) -> &mut WasiCtx,
    new_store: Box<NewStore<T>>,
    on_end: OnceLock<Box<OnEnd>>,
}

/// The threads of one instance of a threaded module: made once per run, before the main
/// thread is instantiated (it defines the shared memories and `thread-spawn` in the linker).
pub struct Threads<T: 'static> {
    inner: Arc<Inner<T>>,
}

/// Bytes in a wasm page.
const PAGE: u64 = 64 << 10;

/// The type of the shared memory to make for an import of type `ty`: its maximum cut to
/// `limit` bytes (`None` when no page fits under it, or the minimum does not).
fn clamped(ty: &MemoryType, limit: Option<u64>) -> Option<MemoryType> {
    // With no maximum, the 32-bit address space (65,536 pages).
    let declared = ty.maximum().unwrap_or(1 << 16);
    let max = match limit {
        Some(bytes) => declared.min(bytes / PAGE),
        None => declared,
    };
    if max < ty.minimum() {
        return None;
    }
    let min = u32::try_from(ty.minimum()).ok()?;
    let max = u32::try_from(max).ok()?;
    Some(MemoryType::shared(min, max))
}

impl<T: Send + 'static> Threads<T> {
    /// Prepares `module` to run threaded in `store` (the main thread's): defines in `linker` a
    /// shared memory for each of its shared memory imports (see
    /// [`ThreadsConfig::max_memory`]) and `thread-spawn`; [`Threads::link`] then links it. `get` finds a
    /// store's WASI context; `new_store` makes a new thread's store from the spawning
    /// thread's data (typically `ctx.for_thread(tid)`, the same limits, and
    /// [`crate::interrupt_on_stop`]).
    ///
    /// # Errors
    ///
    /// If a shared memory cannot be made (its minimum is over the memory limit), or a name is
    /// already defined.
    pub fn new(
        store: &mut Store<T>,
        linker: &mut Linker<T>,
        module: &Module,
        config: ThreadsConfig,
        get: fn(&mut T) -> &mut WasiCtx,
        new_store: impl Fn(&Engine, &mut T, u32) -> wasmtime::Result<Store<T>> + Send + Sync + 'static,
    ) -> wasmtime::Result<Threads<T>> {
        let engine = linker.engine().clone();
        // What the module's own memories and tables take at first, which the shared memory's
        // maximum leaves room for.
        let needs = module.resources_required();
        let own =
            needs.max_initial_memory_size.unwrap_or(0).saturating_mul(u64::from(needs.num_memories)).saturating_add(
                needs
                    .max_initial_table_size
                    .unwrap_or(0)
                    .saturating_mul(u64::from(needs.num_tables))
                    .saturating_mul(u64::try_from(crate::TABLE_ELEMENT_BYTES).unwrap_or(u64::MAX)),
            );
        let mut left = config.max_memory.map(|bytes| u64::try_from(bytes).unwrap_or(u64::MAX).saturating_sub(own));
        let mut memories = Vec::new();
        for import in module.imports() {
            let ExternType::Memory(ty) = import.ty() else { continue };
            if !ty.is_shared() {
                continue;
            }
            let Some(made) = clamped(&ty, left) else {
                wasmtime::bail!(
                    "the shared memory `{}::{}` needs {} bytes at first, more than --max-memory leaves",
                    import.module(),
                    import.name(),
                    ty.minimum().saturating_mul(PAGE)
                );
            };
            left = left.map(|l| l.saturating_sub(made.maximum().unwrap_or(0).saturating_mul(PAGE)));
            let memory = SharedMemory::new(&engine, made)?;
            linker.define(&mut *store, import.module(), import.name(), memory.clone())?;
            memories.push(memory);
        }
        let can_start = module.get_export(THREAD_START).is_some_and(|e| {
            e.func().is_some_and(|f| {
                let params: Vec<ValType> = f.params().collect();
                params.len() == 2 && params.iter().all(|p| matches!(p, ValType::I32)) && f.results().len() == 0
            })
        });
        let inner = Arc::new(Inner {
            engine,
            pre: OnceLock::new(),
            memories,
            config,
            can_start,
            next_tid: AtomicU32::new(1),
            running: AtomicU32::new(1),
            ending: Mutex::new(None),
            stop: OnceLock::new(),
            get,
            new_store: Box::new(new_store),
            on_end: OnceLock::new(),
        });
        let weak = Arc::downgrade(&inner);
        linker.func_wrap(SPAWN.0, SPAWN.1, move |mut caller: wasmtime::Caller<'_, T>, start_arg: i32| -> i32 {
            match weak.upgrade() {
                Some(inner) => Inner::spawn(&inner, &mut caller, start_arg),
                None => SPAWN_FAILED,
            }
        })?;
        Ok(Threads { inner })
    }

    /// Links `module` against `linker`, once everything is defined in it (call it after
    /// [`Threads::new`] and any other definitions, before [`Threads::run_main`]).
    ///
    /// # Errors
    ///
    /// If an import is missing or has the wrong type.
    pub fn link(&self, linker: &Linker<T>, module: &Module) -> wasmtime::Result<()> {
        let _ = self.inner.pre.set(linker.instantiate_pre(module)?);
        Ok(())
    }

    /// Calls `on_end` on the thread that ends the program, as it ends (once): a runner that
    /// is a process exits there, without waiting for the other threads.
    pub fn on_end(&self, on_end: impl Fn(&Ending) + Send + Sync + 'static) {
        let _ = self.inner.on_end.set(Box::new(on_end));
    }

    /// The shared memories made for the module's imports.
    pub fn memories(&self) -> &[SharedMemory] {
        &self.inner.memories
    }

    /// Instantiates the module in `store` as the main thread and runs `_start`; returns how
    /// the program ended (whichever thread ended it), once it has, having stopped the others.
    ///
    /// # Errors
    ///
    /// If the module cannot be instantiated, or has no `_start`.
    pub fn run_main(&self, store: &mut Store<T>) -> wasmtime::Result<Ending> {
        let inner = &self.inner;
        let pre = inner.pre.get().ok_or_else(|| wasmtime::Error::msg("the module is not linked"))?;
        let ctx = (inner.get)(store.data_mut());
        ctx.set_threaded();
        let _ = inner.stop.set(ctx.stop_handle());
        let instance = pre.instantiate(&mut *store)?;
        let start = instance.get_typed_func::<(), ()>(&mut *store, "_start")?;
        if inner.ended() {
            // Stopped before it started.
            inner.running.fetch_sub(1, Ordering::SeqCst);
            return Ok(inner.take_ending());
        }
        let memory = inner.hostcall_memory(&instance, &mut *store);
        (inner.get)(store.data_mut()).bind_memory(memory);
        (inner.get)(store.data_mut()).start_clocks();
        let result = start.call(&mut *store, ());
        (inner.get)(store.data_mut()).bind_memory::<SharedMemory>(None);
        let ending = match result {
            Ok(()) => Ending::Exit(0),
            Err(e) => classify(e),
        };
        inner.end(ending);
        inner.running.fetch_sub(1, Ordering::SeqCst);
        Ok(inner.take_ending())
    }

    /// Waits up to `patience` for every thread to have finished after the program ended
    /// ([`Threads::run_main`] returns as soon as it ends), waking threads parked in
    /// `memory.atomic.wait` again meanwhile. `true` if none is left. A thread running code
    /// stops only at an epoch check: without epoch interruption in the engine, one in a loop
    /// never stops.
    pub fn wait(&self, patience: std::time::Duration) -> bool {
        let until = std::time::Instant::now().checked_add(patience);
        while self.running() > 0 {
            if until.is_some_and(|until| std::time::Instant::now() >= until) {
                return false;
            }
            self.inner.engine.increment_epoch();
            self.inner.wake_waiters();
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        true
    }

    /// A handle that ends the program from any thread of the host, as a trap ("stopped"):
    /// waits in hostcalls end, running code stops at its next epoch check, and threads in
    /// `memory.atomic.wait` are woken.
    pub fn stop_handle(&self) -> ThreadsStop {
        ThreadsStop { inner: self.inner.clone() }
    }

    /// How many threads are running, the main one included (0 once all have finished).
    pub fn running(&self) -> u32 {
        self.inner.running.load(Ordering::SeqCst)
    }
}

/// How an error out of a thread ends the program.
fn classify(e: wasmtime::Error) -> Ending {
    match e.downcast_ref::<Exit>() {
        Some(exit) => Ending::Exit(exit.0),
        None => Ending::Trap(e),
    }
}

impl<T: Send + 'static> Inner<T> {
    /// `thread-spawn(start_arg)`: a new thread running `wasi_thread_start(tid, start_arg)`.
    /// The new instance is made here, on the spawning thread, so that a failure to make it
    /// (a memory limit, say) is a failed spawn, not the program's end.
    fn spawn(self: &Arc<Self>, caller: &mut wasmtime::Caller<'_, T>, start_arg: i32) -> i32 {
        if !self.can_start || self.ended() {
            return SPAWN_FAILED;
        }
        let max = self.config.max_threads;
        if self
            .running
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| (n < max).then(|| n.saturating_add(1)))
            .is_err()
        {
            return SPAWN_FAILED;
        }
        let tid = self.next_tid.fetch_add(1, Ordering::SeqCst);
        match self.start(caller, tid, start_arg) {
            Some(()) => i32::try_from(tid).unwrap_or(SPAWN_FAILED),
            None => {
                self.running.fetch_sub(1, Ordering::SeqCst);
                SPAWN_FAILED
            }
        }
    }

    /// The memory hostcalls of `instance` use: its `memory` export if that is a shared
    /// memory (whichever import it is), else the first shared memory made.
    fn hostcall_memory(&self, instance: &wasmtime::Instance, store: &mut Store<T>) -> Option<SharedMemory> {
        instance.get_shared_memory(&mut *store, "memory").or_else(|| self.memories.first().cloned())
    }

    /// Makes thread `tid`'s store and instance and starts its host thread.
    fn start(self: &Arc<Self>, caller: &mut wasmtime::Caller<'_, T>, tid: u32, start_arg: i32) -> Option<()> {
        let pre = self.pre.get()?;
        if tid >= MAX_TID {
            return None;
        }
        let mut store = (self.new_store)(&self.engine, caller.data_mut(), tid).ok()?;
        // Fuel covers the instance: the new thread takes half of what its parent has.
        if let Ok(fuel) = caller.get_fuel() {
            let half = fuel / 2;
            if caller.set_fuel(fuel.saturating_sub(half)).is_ok() {
                let _ = store.set_fuel(half);
            }
        }
        let instance = pre.instantiate(&mut store).ok()?;
        let entry = instance.get_typed_func::<(i32, i32), ()>(&mut store, THREAD_START).ok()?;
        let memory = self.hostcall_memory(&instance, &mut store);
        let tid_arg = i32::try_from(tid).ok()?;
        let inner = self.clone();
        std::thread::Builder::new()
            .name(format!("wasi-thread-{tid}"))
            .spawn(move || inner.run_thread(store, entry, memory, tid_arg, start_arg))
            .ok()
            .map(drop)
    }

    /// A spawned thread, from its entry to its end.
    fn run_thread(
        self: Arc<Self>,
        mut store: Store<T>,
        entry: wasmtime::TypedFunc<(i32, i32), ()>,
        memory: Option<SharedMemory>,
        tid: i32,
        start_arg: i32,
    ) {
        (self.get)(store.data_mut()).bind_memory(memory);
        (self.get)(store.data_mut()).start_clocks();
        if let Err(e) = entry.call(&mut store, (tid, start_arg)) {
            // A thread stopped because the program ended is not news.
            let stopped = e.downcast_ref::<Trap>() == Some(&Trap::Interrupt) && self.ended();
            if !stopped {
                self.end(classify(e));
            }
        }
        drop(store);
        self.running.fetch_sub(1, Ordering::SeqCst);
    }

    fn ended(&self) -> bool {
        self.ending.lock().unwrap_or_else(PoisonError::into_inner).is_some()
    }

    /// Records how the program ended (the first ending wins), stops every thread, and calls
    /// the runner's `on_end`.
    fn end(&self, ending: Ending) {
        {
            let mut slot = self.ending.lock().unwrap_or_else(PoisonError::into_inner);
            if slot.is_some() {
                return;
            }
            if let Some(on_end) = self.on_end.get() {
                on_end(&ending);
            }
            *slot = Some(ending);
        }
        if let Some(stop) = self.stop.get() {
            stop.stop();
        }
        self.engine.increment_epoch();
        // Threads parked in `memory.atomic.wait` see neither: wake them, while any run.
        if self.running.load(Ordering::SeqCst) > 1 {
            self.wake_waiters();
        }
    }

    /// Notifies every 4-byte address of the shared memories (wasmtime does not say which
    /// addresses have waiters): a thread parked in `memory.atomic.wait` wakes, and, the
    /// program having ended, stops at its next epoch check.
    fn wake_waiters(&self) {
        for memory in &self.memories {
            let len = u64::try_from(memory.data_size()).unwrap_or(0);
            let mut addr = 0;
            while addr < len {
                let _ = memory.atomic_notify(addr, u32::MAX);
                addr = addr.saturating_add(4);
            }
        }
    }

    fn take_ending(&self) -> Ending {
        self.ending
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
            .unwrap_or_else(|| Ending::Trap(policy::stopped()))
    }
}
