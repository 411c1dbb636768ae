//! `add_to_linker_for` finds the memory of the module it was made for by index, and every
//! other module's by name: instances of several modules, even in one store sharing one
//! context, each write from their own memory.

mod common;

use common::Capture;
use lucent_abi::Errno;
use lucent_core::WasiCtx;
use std::sync::Arc;
use wasmtime::{Engine, Linker, Module, Store};

/// A module whose `run` writes `text` to stdout from offset `at` of its memory, the memory
/// being exported (as `memory`) after `exports_before` functions, or not at all.
fn writer(engine: &Engine, text: &str, at: u32, exports_before: usize, export_memory: bool) -> Module {
    let functions: String = (0..exports_before).map(|i| format!("(func (export \"f{i}\"))\n")).collect();
    let memory = if export_memory { "(memory (export \"memory\") 1)" } else { "(memory 1)" };
    let wat = format!(
        r#"(module
            (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
            {functions}
            {memory}
            (data (i32.const {at}) "{text}")
            (func (export "run") (result i32)
                (i32.store (i32.const 0) (i32.const {at}))
                (i32.store (i32.const 4) (i32.const {len}))
                (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))"#,
        len = text.len(),
    );
    Module::new(engine, wat).unwrap()
}

fn run(store: &mut Store<WasiCtx>, linker: &Linker<WasiCtx>, module: &Module) -> i32 {
    let instance = linker.instantiate(&mut *store, module).unwrap();
    instance.get_typed_func::<(), i32>(&mut *store, "run").unwrap().call(&mut *store, ()).unwrap()
}

#[test]
fn every_instance_writes_from_its_own_memory() {
    let engine = Engine::default();
    let a = writer(&engine, "from a ", 16, 0, true);
    let b = writer(&engine, "from b ", 64, 3, true);
    let hidden = writer(&engine, "hidden ", 16, 0, false);
    let mut linker = Linker::new(&engine);
    lucent_wasmtime::add_to_linker_for(&mut linker, &a, |ctx: &mut WasiCtx| ctx).unwrap();

    let stdout = Arc::new(Capture::default());
    let ctx = WasiCtx::builder().stdout(stdout.clone()).build().unwrap();
    let mut store = Store::new(&engine, ctx);
    // One store, one context: a, then b (another module), then a again, then a module whose
    // memory is not exported (every pointer is `fault`).
    assert_eq!(run(&mut store, &linker, &a), 0);
    assert_eq!(run(&mut store, &linker, &b), 0);
    assert_eq!(run(&mut store, &linker, &a), 0);
    assert_eq!(run(&mut store, &linker, &hidden), i32::from(Errno::Fault.raw()));
    assert_eq!(stdout.text(), "from a from b from a ");
}

/// `call_bound` binds one instance's memory for the length of a call: every hostcall made
/// with the context in that call uses it (here even one made by another instance, which is
/// why it is only for a store where one instance makes hostcalls), and afterwards the
/// lookup is back.
#[test]
fn a_bound_memory_serves_the_call_and_is_forgotten_after_it() {
    let engine = Engine::default();
    let a = writer(&engine, "from a ", 16, 0, true);
    let b = writer(&engine, "from b ", 64, 3, true);
    let mut linker = Linker::new(&engine);
    lucent_wasmtime::add_to_linker(&mut linker, |ctx: &mut WasiCtx| ctx).unwrap();
    let stdout = Arc::new(Capture::default());
    let mut store = Store::new(&engine, WasiCtx::builder().stdout(stdout.clone()).build().unwrap());
    let first = linker.instantiate(&mut store, &a).unwrap();
    let second = linker.instantiate(&mut store, &b).unwrap();
    let run_a = first.get_typed_func::<(), i32>(&mut store, "run").unwrap();
    let run_b = second.get_typed_func::<(), i32>(&mut store, "run").unwrap();
    assert_eq!(run_a.call(&mut store, ()).unwrap(), 0);
    // b's iovec, stored in b's memory at 0, is read from a's memory at 0: a's text.
    let bound = lucent_wasmtime::call_bound(&mut store, &first, |ctx| ctx, |store| run_b.call(store, ()));
    assert_eq!(bound.unwrap(), 0);
    assert!(store.data().bound_memory::<wasmtime::Memory>().is_none());
    assert_eq!(run_b.call(&mut store, ()).unwrap(), 0);
    assert_eq!(stdout.text(), "from a from a from b ");
}

/// The binding ends with the call even when the call fails, so a context taken out of its
/// store and put into another never reaches for the first store's memory (which would
/// panic in wasmtime).
#[test]
fn a_context_moved_to_another_store_after_a_failed_bound_call_still_works() {
    let engine = Engine::default();
    let a = writer(&engine, "from a ", 16, 0, true);
    let trapping =
        Module::new(&engine, r#"(module (memory (export "memory") 1) (func (export "boom") unreachable))"#).unwrap();
    let mut linker = Linker::new(&engine);
    lucent_wasmtime::add_to_linker(&mut linker, |ctx: &mut WasiCtx| ctx).unwrap();
    let stdout = Arc::new(Capture::default());
    let mut first = Store::new(&engine, WasiCtx::builder().stdout(stdout.clone()).build().unwrap());
    let instance = linker.instantiate(&mut first, &trapping).unwrap();
    let boom = instance.get_typed_func::<(), ()>(&mut first, "boom").unwrap();
    assert!(lucent_wasmtime::call_bound(&mut first, &instance, |ctx| ctx, |store| boom.call(store, ())).is_err());
    let mut second = Store::new(&engine, first.into_data());
    assert_eq!(run(&mut second, &linker, &a), 0);
    assert_eq!(stdout.text(), "from a ");
}
