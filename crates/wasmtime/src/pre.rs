//! Fast instantiation for embedders: link a module once ([`WasiPre`]), then instantiate it as
//! often as needed, from a pooling allocator with copy-on-write memory images
//! ([`pooling_config`]).
//!
//! ```no_run
//! use lucent_core::WasiCtx;
//! use lucent_wasmtime::{WasiPre, add_to_linker, pooling_config};
//! use wasmtime::{Engine, Linker, Module, Store};
//!
//! let engine = Engine::new(&pooling_config(1000, 64 << 20, 256 << 10))?;
//! let module = Module::from_file(&engine, "hello.wasm")?;
//! let mut linker = Linker::new(&engine);
//! add_to_linker(&mut linker, |ctx: &mut WasiCtx| ctx)?;
//! let pre = WasiPre::new(&linker, &module, |ctx: &mut WasiCtx| ctx)?;
//! for _ in 0..10_000 {
//!     let mut store = Store::new(&engine, WasiCtx::builder().build()?);
//!     let status = pre.run(&mut store)?; // `_start`; the `proc_exit` code, or 0
//!     assert_eq!(status, 0);
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use lucent_core::WasiCtx;
use lucent_core::preview1::Exit;
use wasmtime::{Instance, InstanceAllocationStrategy, InstancePre, Linker, Module, PoolingAllocationConfig, Store};

/// [`crate::default_config`] with the pooling instance allocator: room for `instances`
/// instances at once, each with up to `max_memory` bytes of linear memory, their memories
/// initialised copy-on-write from the module's image (wasmtime's `memory_init_cow`, on by
/// default). When an instance is dropped, the first `keep_resident` bytes of its memory (and
/// of its tables, up to 64 KiB) stay mapped and are reset by writing zeros and the image
/// back; the rest is returned with `madvise`, so its pages fault in again on the next
/// instance's first touch. A small guest (a C hello: 128 KiB of memory) is reset fastest
/// entirely resident (`docs/benchmarks.md`); each slot then keeps `keep_resident` bytes of
/// memory for good. 0 returns everything. An instantiation past `instances` live ones fails
/// with an error.
pub fn pooling_config(instances: u32, max_memory: usize, keep_resident: usize) -> wasmtime::Config {
    let mut config = crate::default_config();
    use_pooling(&mut config, instances, max_memory, keep_resident);
    config
}

/// Switches `config` to the pooling allocator, as [`pooling_config`] describes.
pub fn use_pooling(config: &mut wasmtime::Config, instances: u32, max_memory: usize, keep_resident: usize) {
    let mut pool = PoolingAllocationConfig::default();
    pool.total_core_instances(instances)
        .total_memories(instances)
        .total_tables(instances)
        // Async guests' stacks (fibers) come from the pool too.
        .total_stacks(instances)
        .max_memory_size(max_memory)
        .linear_memory_keep_resident(keep_resident)
        .table_keep_resident(keep_resident.min(64 << 10))
        // Linux 6.7 and later: reset only the pages the instance touched (found with the
        // PAGEMAP_SCAN ioctl), not the whole resident prefix. A Rust guest's 1 MiB stack
        // region is mostly untouched: without it, zeroing it was a quarter of serve's CPU.
        .pagemap_scan(wasmtime::Enabled::Auto);
    config.allocation_strategy(InstanceAllocationStrategy::Pooling(pool)).memory_init_cow(true);
}

/// A module linked once against a [`Linker`] holding the WASI functions (and whatever else
/// the embedder added): instantiating it does no name resolution or type checking.
pub struct WasiPre<T: 'static> {
    pre: InstancePre<T>,
    get: fn(&mut T) -> &mut WasiCtx,
}

impl<T: 'static> WasiPre<T> {
    /// Links `module`; `get` finds the WASI context in the store's data. [`WasiPre::run`]
    /// binds the instance's memory to the context while `_start` runs: stores it runs in must
    /// hold no other instance making hostcalls with that context (such as a library module
    /// instantiated beside it), whose hostcalls would otherwise read and write the command's
    /// memory.
    ///
    /// # Errors
    ///
    /// If an import is missing from `linker` or has the wrong type.
    pub fn new(linker: &Linker<T>, module: &Module, get: fn(&mut T) -> &mut WasiCtx) -> wasmtime::Result<Self> {
        Ok(WasiPre { pre: linker.instantiate_pre(module)?, get })
    }

    /// A new instance in `store`.
    ///
    /// # Errors
    ///
    /// If the module's start function traps or the allocator is full.
    pub fn instantiate(&self, store: &mut Store<T>) -> wasmtime::Result<Instance> {
        self.pre.instantiate(store)
    }

    /// Instantiates the module as a command and runs `_start`: starts the context's CPU-time
    /// clocks, and returns the `proc_exit` code, or 0 if `_start` returned. The instance's
    /// memory is bound to the context while `_start` runs ([`crate::call_bound`]): the store
    /// must not hold another instance that makes hostcalls with the same context.
    ///
    /// # Errors
    ///
    /// A trap (with its wasm backtrace), a missing `_start`, or an instantiation error.
    pub fn run(&self, store: &mut Store<T>) -> wasmtime::Result<u32> {
        let instance = self.pre.instantiate(&mut *store)?;
        let start = instance.get_typed_func::<(), ()>(&mut *store, "_start")?;
        (self.get)(store.data_mut()).start_clocks();
        match crate::call_bound(store, &instance, self.get, |store| start.call(store, ())) {
            Ok(()) => Ok(0),
            Err(e) => match e.downcast_ref::<Exit>() {
                Some(exit) => Ok(exit.0),
                None => Err(e),
            },
        }
    }
}
