//! Registers Lucent's WASI hostcalls with a wasmtime [`Linker`], under both
//! `wasi_snapshot_preview1` and `wasi_unstable`, for the same context.
//!
//! Each shim only fetches the guest's memory and the context, calls the function of the same
//! name in [`lucent_core::preview1`] or [`lucent_core::preview0`], and turns the result into
//! the guest's return value as [`policy`] says.
//!
//! ```no_run
//! use lucent_core::WasiCtx;
//! use wasmtime::{Engine, Linker, Module, Store};
//!
//! let engine = Engine::default();
//! let mut linker = Linker::<WasiCtx>::new(&engine);
//! lucent_wasmtime::add_to_linker(&mut linker, |ctx| ctx)?;
//! let module = Module::from_file(&engine, "hello.wasm")?;
//! let mut store = Store::new(&engine, WasiCtx::builder().arg("hello").build()?);
//! let instance = linker.instantiate(&mut store, &module)?;
//! instance.get_typed_func::<(), ()>(&mut store, "_start")?.call(&mut store, ())?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

// Guest input never panics the host: outside tests, nothing that can panic or silently wrap on
// a value it is given. Each remaining site carries an `allow` with its reason; the audit is
// docs/panic-audit.md.
#![cfg_attr(
    not(test),
    warn(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::unreachable,
        clippy::todo,
        clippy::unimplemented,
        clippy::indexing_slicing,
        clippy::arithmetic_side_effects,
        clippy::as_conversions,
        clippy::cast_possible_truncation,
        clippy::cast_possible_wrap,
        clippy::cast_sign_loss,
        clippy::disallowed_methods
    )
)]

/// The README's examples, compiled so that they stay true.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
pub struct ReadmeDoctests;

mod limits;
pub mod policy;
mod pre;
pub mod threads;
pub mod trace;

pub use limits::{MemoryBudget, TABLE_ELEMENT_BYTES, defined_shared_memory_bytes};
pub use pre::{WasiPre, pooling_config, use_pooling};

use lucent_abi::{Errno, GuestMemory};
use lucent_core::WasiCtx;
use lucent_core::preview1::{PollAbi, PollCall};
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;
use wasmtime::{Caller, Extern, Instance, Linker, Memory, Module, ModuleExport, SharedMemory, Store};

/// The module names under which hostcalls are registered.
pub const MODULES: [&str; 2] = ["wasi_snapshot_preview1", "wasi_unstable"];

/// Runs one hostcall: lends the guest's memory and the context to `call`, traces it, and
/// applies the errno policy. A module without a `memory` export gets an empty memory, so
/// every pointer it passes is `Fault`.
///
/// The memory is, in order: the one bound to the context for the duration of a call
/// ([`call_bound`]), which costs nothing to find; the `memory` export of the module the linker
/// was made for (`memory`), found by index; or the caller's export named `memory`, a hash
/// lookup of the string. Each lookup costs about as much as a `clock_time_get` itself.
#[inline]
fn hostcall<T: 'static, const N: usize>(
    caller: &mut Caller<'_, T>,
    memory: Option<&ModuleExport>,
    get: impl Fn(&mut T) -> &mut WasiCtx,
    name: &str,
    args: impl FnOnce() -> [(&'static str, u64); N],
    call: impl FnOnce(&mut WasiCtx, &mut GuestMemory<'_>) -> Result<(), Errno>,
) -> wasmtime::Result<i32> {
    if get(caller.data_mut()).is_stopped() {
        return Err(policy::stopped());
    }
    with_memory(caller, memory, get, |ctx, mem| finish(ctx, mem, name, args, call))
}

/// Lends the guest's memory and the context to `f`, the memory found as [`hostcall`] says.
#[inline]
fn with_memory<T: 'static, R>(
    caller: &mut Caller<'_, T>,
    memory: Option<&ModuleExport>,
    get: impl Fn(&mut T) -> &mut WasiCtx,
    f: impl FnOnce(&mut WasiCtx, &mut GuestMemory<'_>) -> R,
) -> R {
    let bound = get(caller.data_mut()).bound_memory::<Memory>().copied();
    let export = match bound {
        Some(bound) => Some(Extern::Memory(bound)),
        None if get(caller.data_mut()).bound_memory::<SharedMemory>().is_some() => {
            // A shared memory (threaded guests) is copied, never lent: other threads write
            // it. Its handle is taken out of the context for the call, not cloned.
            let taken = get(caller.data_mut()).take_bound_memory();
            let shared = taken.as_deref().and_then(|m| m.downcast_ref::<SharedMemory>());
            let mut mem = shared.map_or_else(|| GuestMemory::new(&mut []), |m| GuestMemory::shared(m.data()));
            let ctx = get(caller.data_mut());
            let result = f(ctx, &mut mem);
            ctx.put_back_memory(taken);
            return result;
        }
        None => memory.and_then(|index| caller.get_module_export(index)).or_else(|| caller.get_export("memory")),
    };
    let shared = match &export {
        Some(Extern::SharedMemory(shared)) => Some(shared.clone()),
        _ => None,
    };
    let (mut mem, data) = match (export, &shared) {
        (Some(Extern::Memory(memory)), _) => {
            let (bytes, data) = memory.data_and_store_mut(&mut *caller);
            (GuestMemory::new(bytes), data)
        }
        (_, Some(shared)) => (GuestMemory::shared(shared.data()), caller.data_mut()),
        _ => (GuestMemory::new(&mut []), caller.data_mut()),
    };
    f(get(data), &mut mem)
}

/// Makes the call, traces it, and turns its result into the guest's (or a stop).
#[inline]
fn finish<const N: usize>(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    name: &str,
    args: impl FnOnce() -> [(&'static str, u64); N],
    call: impl FnOnce(&mut WasiCtx, &mut GuestMemory<'_>) -> Result<(), Errno>,
) -> wasmtime::Result<i32> {
    let result = call(ctx, mem);
    if trace::enabled() {
        trace::line(ctx.threaded().then(|| ctx.thread_id()), name, &args(), mem, Some(result));
    }
    if result.is_err() && ctx.is_stopped() {
        return Err(policy::stopped());
    }
    policy::errno_result(result)
}

/// Calls `f` (a call into `instance`, such as its `_start`) with `instance`'s `memory` export
/// bound to the store's WASI context, so that the hostcalls it makes skip looking the memory
/// up, and unbinds it afterwards, whatever `f` returns (or if it panics).
///
/// Use it only when `instance` is the one instance in `store` that makes hostcalls with this
/// context (as for a command run by [`WasiPre::run`] or the CLI): while bound, every hostcall
/// made with the context reads and writes that memory, whichever instance makes it.
pub fn call_bound<T: 'static, R>(
    store: &mut Store<T>,
    instance: &Instance,
    get: impl Fn(&mut T) -> &mut WasiCtx,
    f: impl FnOnce(&mut Store<T>) -> R,
) -> R {
    let memory = instance.get_memory(&mut *store, "memory");
    get(store.data_mut()).bind_memory(memory);
    // A panic in a host function the embedder added unwinds through `f`: unbind first.
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(&mut *store)));
    get(store.data_mut()).bind_memory::<Memory>(None);
    result.unwrap_or_else(|panic| std::panic::resume_unwind(panic))
}

/// Makes the instance in `store` stop when its context's stop handle is given
/// ([`WasiCtx::stop_handle`]) while it runs WebAssembly code, not only while it waits in a
/// hostcall: at every epoch tick ([`wasmtime::Engine::increment_epoch`], with
/// [`wasmtime::Config::epoch_interruption`] on) the store looks at the handle and traps with
/// [`wasmtime::Trap::Interrupt`] once it is given; otherwise it runs on to the next tick.
/// Waits inside hostcalls end at the stop itself, with or without this.
///
/// ```no_run
/// # use lucent_core::WasiCtx;
/// # fn f(engine: &wasmtime::Engine, mut store: wasmtime::Store<WasiCtx>) {
/// lucent_wasmtime::interrupt_on_stop(&mut store, |ctx: &WasiCtx| ctx);
/// let stop = store.data().stop_handle();
/// let engine = engine.clone();
/// std::thread::spawn(move || {
///     std::thread::sleep(std::time::Duration::from_secs(1));
///     stop.stop(); // ends waits in hostcalls now...
///     engine.increment_epoch(); // ...and running code at its next epoch check
/// });
/// # }
/// ```
pub fn interrupt_on_stop<T: 'static>(store: &mut Store<T>, get: fn(&T) -> &WasiCtx) {
    store.set_epoch_deadline(1);
    store.epoch_deadline_callback(move |ctx| {
        if get(ctx.data()).is_stopped() { Err(policy::stopped()) } else { Ok(wasmtime::UpdateDeadline::Continue(1)) }
    });
}

/// As [`interrupt_on_stop`], for a store whose guest runs on an async executor
/// ([`wasmtime::Config::async_support`], called with `call_async`): at an epoch tick when no
/// stop was given, the guest yields to the executor before it runs on, so that guests that
/// compute for long share the executor's threads with everything else instead of holding
/// one until they finish. Ticks must then come regularly (a time slice) while guests run.
pub fn interrupt_on_stop_or_yield<T: 'static>(store: &mut Store<T>, get: fn(&T) -> &WasiCtx) {
    store.set_epoch_deadline(1);
    store.epoch_deadline_callback(move |ctx| {
        if get(ctx.data()).is_stopped() { Err(policy::stopped()) } else { Ok(wasmtime::UpdateDeadline::Yield(1)) }
    });
}

/// How an async embedder sleeps a guest that waits for clocks only: given the store's data
/// and how long, a future that completes once that time has passed. It may complete earlier
/// once the guest's stop is given (its `poll_oneoff` then ends as stopped); if it completes
/// early otherwise, the call sleeps the rest on its thread.
pub type Sleep<T> = fn(&T, Duration) -> Pin<Box<dyn Future<Output = ()> + Send>>;

/// Replaces `poll_oneoff` in `linker` (both ABIs) with a version for guests run on an async
/// executor ([`wasmtime::Config::async_support`], instantiated and called with the `_async`
/// methods): a call that would only sleep (clock subscriptions only, on a real-time
/// scheduler) awaits `sleep` instead of blocking its thread, so that thousands of sleeping
/// guests hold no thread each. Every other call (descriptors, errors, a virtual clock)
/// behaves and blocks exactly as the synchronous `poll_oneoff` does. `module`: as in
/// [`add_to_linker_for`]. Call it after [`add_to_linker`] or [`add_to_linker_for`].
///
/// # Errors
///
/// If the engine has no async support.
pub fn add_async_poll_to_linker<T: Send + 'static>(
    linker: &mut Linker<T>,
    module: Option<&Module>,
    get: impl Fn(&mut T) -> &mut WasiCtx + Send + Sync + Copy + 'static,
    sleep: Sleep<T>,
) -> wasmtime::Result<()> {
    let memory = module.and_then(|m| m.get_export_index("memory"));
    linker.allow_shadowing(true);
    for (name, abi) in [(MODULES[0], PollAbi::Preview1), (MODULES[1], PollAbi::Preview0)] {
        linker.func_wrap_async(
            name,
            "poll_oneoff",
            move |mut caller: Caller<'_, T>, (input, out, n, nevents): (u32, u32, u32, u32)| {
                Box::new(async move {
                    if get(caller.data_mut()).is_stopped() {
                        return Err(policy::stopped());
                    }
                    let read = with_memory(&mut caller, memory.as_ref(), get, |ctx, mem| {
                        PollCall::read(ctx, mem, abi, input, out, n, nevents).map(|call| {
                            let asleep = call.sleep(ctx);
                            (call, asleep)
                        })
                    });
                    if let Ok((_, Some(ns))) = &read {
                        sleep(caller.data(), Duration::from_nanos(*ns)).await;
                    }
                    let args = || {
                        [
                            ("input", u64::from(input)),
                            ("out", u64::from(out)),
                            ("nsubscriptions", u64::from(n)),
                            ("nevents", u64::from(nevents)),
                        ]
                    };
                    hostcall(&mut caller, memory.as_ref(), get, "poll_oneoff", args, |ctx, mem| {
                        read?.0.finish(ctx, mem)
                    })
                })
            },
        )?;
    }
    linker.allow_shadowing(false);
    Ok(())
}

/// Registers every hostcall of one ABI (`$abi` is `preview1` or `preview0`).
macro_rules! register {
    ($linker:ident, $memory:ident, $get:ident, $module:expr, $abi:ident; $($name:ident($($arg:ident: $ty:ty),*);)*) => {$(
        $linker.func_wrap($module, stringify!($name), move |mut caller: Caller<'_, T>, $($arg: $ty),*| {
            #[allow(clippy::cast_sign_loss)]
            let args = || [$((stringify!($arg), $arg as u64)),*];
            hostcall(&mut caller, $memory.as_ref(), $get, stringify!($name), args, |ctx, mem| {
                lucent_core::$abi::$name(ctx, mem, $($arg),*)
            })
        })?;
    )*};
}

/// Registers the functions that are the same in both ABIs (by name and signature; the core
/// translates layouts where they differ).
macro_rules! register_common {
    ($linker:ident, $memory:ident, $get:ident, $module:expr, $abi:ident) => {
        register! { $linker, $memory, $get, $module, $abi;
            args_get(argv: u32, argv_buf: u32);
            args_sizes_get(argc: u32, argv_buf_size: u32);
            environ_get(environ: u32, environ_buf: u32);
            environ_sizes_get(count: u32, buf_size: u32);
            clock_res_get(id: u32, resolution: u32);
            clock_time_get(id: u32, precision: u64, time: u32);
            fd_advise(fd: u32, offset: u64, len: u64, advice: u32);
            fd_allocate(fd: u32, offset: u64, len: u64);
            fd_close(fd: u32);
            fd_datasync(fd: u32);
            fd_fdstat_get(fd: u32, stat: u32);
            fd_fdstat_set_flags(fd: u32, fdflags: u32);
            fd_fdstat_set_rights(fd: u32, fs_rights_base: u64, fs_rights_inheriting: u64);
            fd_filestat_get(fd: u32, buf: u32);
            fd_filestat_set_size(fd: u32, size: u64);
            fd_filestat_set_times(fd: u32, atim: u64, mtim: u64, fst_flags: u32);
            fd_pread(fd: u32, iovs: u32, iovs_len: u32, offset: u64, nread: u32);
            fd_prestat_get(fd: u32, prestat: u32);
            fd_prestat_dir_name(fd: u32, path: u32, path_len: u32);
            fd_pwrite(fd: u32, iovs: u32, iovs_len: u32, offset: u64, nwritten: u32);
            fd_read(fd: u32, iovs: u32, iovs_len: u32, nread: u32);
            fd_readdir(fd: u32, buf: u32, buf_len: u32, cookie: u64, bufused: u32);
            fd_renumber(fd: u32, to: u32);
            fd_seek(fd: u32, offset: i64, whence: u32, newoffset: u32);
            fd_sync(fd: u32);
            fd_tell(fd: u32, offset_out: u32);
            fd_write(fd: u32, iovs: u32, iovs_len: u32, nwritten: u32);
            path_create_directory(fd: u32, path: u32, path_len: u32);
            path_filestat_get(fd: u32, lookupflags: u32, path: u32, path_len: u32, buf: u32);
            path_filestat_set_times(fd: u32, lookupflags: u32, path: u32, path_len: u32, atim: u64, mtim: u64, fst_flags: u32);
            path_link(old_fd: u32, lookupflags: u32, old_path: u32, old_path_len: u32, new_fd: u32, new_path: u32, new_path_len: u32);
            path_open(fd: u32, dirflags: u32, path: u32, path_len: u32, oflags: u32, fs_rights_base: u64, fs_rights_inheriting: u64, fdflags: u32, opened_fd: u32);
            path_readlink(fd: u32, path: u32, path_len: u32, buf: u32, buf_len: u32, bufused: u32);
            path_remove_directory(fd: u32, path: u32, path_len: u32);
            path_rename(fd: u32, old_path: u32, old_path_len: u32, new_fd: u32, new_path: u32, new_path_len: u32);
            path_symlink(old_path: u32, old_path_len: u32, fd: u32, new_path: u32, new_path_len: u32);
            path_unlink_file(fd: u32, path: u32, path_len: u32);
            poll_oneoff(input: u32, out: u32, nsubscriptions: u32, nevents: u32);
            sched_yield();
            random_get(buf: u32, buf_len: u32);
            sock_recv(fd: u32, ri_data: u32, ri_data_len: u32, ri_flags: u32, ro_datalen: u32, ro_flags: u32);
            sock_send(fd: u32, si_data: u32, si_data_len: u32, si_flags: u32, so_datalen: u32);
            sock_shutdown(fd: u32, how: u32);
        }
    };
}

/// Registers `proc_exit` and `proc_raise`, which may unwind instead of returning.
fn register_proc<T: 'static>(
    linker: &mut Linker<T>,
    module: &str,
    get: impl Fn(&mut T) -> &mut WasiCtx + Send + Sync + Copy + 'static,
) -> wasmtime::Result<()> {
    linker.func_wrap(module, "proc_exit", move |mut caller: Caller<'_, T>, rval: u32| -> wasmtime::Result<()> {
        let exit = lucent_core::preview1::proc_exit(get(caller.data_mut()), &mut GuestMemory::new(&mut []), rval);
        if trace::enabled() {
            let ctx = get(caller.data_mut());
            let thread = ctx.threaded().then(|| ctx.thread_id());
            trace::line(thread, "proc_exit", &[("rval", u64::from(rval))], &GuestMemory::new(&mut []), None);
        }
        Err(policy::exit(exit))
    })?;
    linker.func_wrap(module, "proc_raise", move |mut caller: Caller<'_, T>, sig: u32| -> wasmtime::Result<i32> {
        let outcome = lucent_core::preview1::proc_raise(get(caller.data_mut()), &mut GuestMemory::new(&mut []), sig);
        if trace::enabled() {
            let result = outcome.map(drop);
            let shown = if matches!(outcome, Ok(Some(_))) { None } else { Some(result) };
            let ctx = get(caller.data_mut());
            let thread = ctx.threaded().then(|| ctx.thread_id());
            trace::line(thread, "proc_raise", &[("sig", u64::from(sig))], &GuestMemory::new(&mut []), shown);
        }
        match outcome {
            Ok(Some(exit)) => Err(policy::exit(exit)),
            Ok(None) => policy::errno_result(Ok(())),
            Err(errno) => policy::errno_result(Err(errno)),
        }
    })?;
    Ok(())
}

/// Registers every `wasi_snapshot_preview1` and `wasi_unstable` function in `linker`; `get`
/// finds the context in the store's data.
///
/// # Errors
///
/// If a function of the same name is already defined in `linker`.
pub fn add_to_linker<T: 'static>(
    linker: &mut Linker<T>,
    get: impl Fn(&mut T) -> &mut WasiCtx + Send + Sync + Copy + 'static,
) -> wasmtime::Result<()> {
    register_all(linker, None, get)
}

/// As [`add_to_linker`], for a linker that will instantiate `module`: hostcalls from its
/// instances find the guest's memory by index instead of by name, which makes short hostcalls
/// (`clock_time_get`, small `fd_write`s) cheaper. Instances of other modules still work.
///
/// # Errors
///
/// If a function of the same name is already defined in `linker`.
pub fn add_to_linker_for<T: 'static>(
    linker: &mut Linker<T>,
    module: &Module,
    get: impl Fn(&mut T) -> &mut WasiCtx + Send + Sync + Copy + 'static,
) -> wasmtime::Result<()> {
    register_all(linker, module.get_export_index("memory"), get)
}

fn register_all<T: 'static>(
    linker: &mut Linker<T>,
    memory: Option<ModuleExport>,
    get: impl Fn(&mut T) -> &mut WasiCtx + Send + Sync + Copy + 'static,
) -> wasmtime::Result<()> {
    let [preview1, preview0] = MODULES;
    register_common!(linker, memory, get, preview1, preview1);
    register! { linker, memory, get, preview1, preview1;
        sock_accept(fd: u32, flags: u32, opened_fd: u32);
    }
    register_proc(linker, preview1, get)?;
    register_common!(linker, memory, get, preview0, preview0);
    register_proc(linker, preview0, get)?;
    Ok(())
}

/// The engine configuration Lucent runs guests with: the proposals current toolchains emit
/// (exception handling, SIMD and relaxed SIMD, bulk memory, reference types, multi-value, tail
/// calls, extended constants, multiple memories). Traps carry wasm backtraces (wasmtime's default).
pub fn default_config() -> wasmtime::Config {
    let mut config = wasmtime::Config::new();
    config
        .wasm_exceptions(true)
        .wasm_simd(true)
        .wasm_relaxed_simd(true)
        .wasm_bulk_memory(true)
        .wasm_reference_types(true)
        .wasm_multi_value(true)
        .wasm_tail_call(true)
        .wasm_extended_const(true)
        .wasm_multi_memory(true)
        // Threaded guests: shared memories (made by `threads::Threads`, their maximum cut to
        // the memory limit, since they grow without asking the store's limiter) and atomics.
        .wasm_threads(true)
        .shared_memory(true);
    config
}
