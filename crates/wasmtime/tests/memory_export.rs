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
