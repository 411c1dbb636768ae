//! Fast instantiation for embedders: a module linked once with `WasiPre` and instantiated
//! many times from the pooling allocator, each instance with its own context and output.

mod common;

use common::Capture;
use lucent_core::WasiCtx;
use lucent_wasmtime::{WasiPre, add_to_linker, pooling_config};
use std::sync::Arc;
use wasmtime::{Engine, Linker, Module, Store};

fn prepared(engine: &Engine, guest: &str) -> WasiPre<WasiCtx> {
    let module = Module::from_file(engine, guest).unwrap();
    let mut linker = Linker::new(engine);
    add_to_linker(&mut linker, |ctx: &mut WasiCtx| ctx).unwrap();
    WasiPre::new(&linker, &module, |ctx: &mut WasiCtx| ctx).unwrap()
}

#[test]
fn a_prepared_module_runs_many_times_from_the_pool() {
    let engine = Engine::new(&pooling_config(4, 16 << 20, 0)).unwrap();
    for guest in [test_programs_artifacts::HELLO, test_programs_artifacts::C_HELLO] {
        let pre = prepared(&engine, guest);
        for _ in 0..200 {
            let stdout = Arc::new(Capture::default());
            let mut store = Store::new(&engine, WasiCtx::builder().stdout(stdout.clone()).build().unwrap());
            assert_eq!(pre.run(&mut store).unwrap(), 0);
            assert_eq!(stdout.text(), "hello, world\n");
        }
    }
}

#[test]
fn run_returns_the_proc_exit_code_and_each_instance_sees_its_own_arguments() {
    let engine = Engine::new(&pooling_config(4, 16 << 20, 0)).unwrap();
    let pre = prepared(&engine, test_programs_artifacts::EXIT);
    for code in [0, 3, 42] {
        let stdout = Arc::new(Capture::default());
        let ctx = WasiCtx::builder().arg("exit").arg(code.to_string()).stdout(stdout.clone()).build().unwrap();
        let mut store = Store::new(&engine, ctx);
        assert_eq!(pre.run(&mut store).unwrap(), code);
        assert_eq!(stdout.text(), format!("exiting with {code}\n"));
    }
}

/// The pool is really in use: with room for two instances, a third live one is refused (an
/// error, not a crash), and dropping a store gives its slot back.
#[test]
fn the_pool_bounds_live_instances() {
    let engine = Engine::new(&pooling_config(2, 16 << 20, 0)).unwrap();
    let pre = prepared(&engine, test_programs_artifacts::HELLO);
    let mut stores: Vec<_> = (0..2).map(|_| Store::new(&engine, WasiCtx::builder().build().unwrap())).collect();
    for store in &mut stores {
        pre.instantiate(store).unwrap();
    }
    let mut third = Store::new(&engine, WasiCtx::builder().build().unwrap());
    let err = pre.instantiate(&mut third).expect_err("the pool is full");
    assert!(format!("{err:#}").contains("maximum concurrent"), "{err:#}");
    stores.pop();
    pre.instantiate(&mut third).unwrap();
}

/// Slots kept resident are still reset: each instance sees zeroed memory and the module's
/// data again, whatever the previous instance in the slot wrote.
#[test]
fn a_resident_slot_is_reset_between_instances() {
    let engine = Engine::new(&pooling_config(1, 16 << 20, 1 << 20)).unwrap();
    // Exits with mem[100] * 10 + mem[200] (data: 7), then scribbles over both.
    let module = Module::new(
        &engine,
        r#"(module
            (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
            (memory (export "memory") 2)
            (data (i32.const 200) "\07")
            (func (export "_start")
                (local $seen i32)
                (local.set $seen (i32.add (i32.mul (i32.load8_u (i32.const 100)) (i32.const 10))
                                          (i32.load8_u (i32.const 200))))
                (i32.store8 (i32.const 100) (i32.const 5))
                (i32.store8 (i32.const 200) (i32.const 9))
                (i32.store8 (i32.const 70000) (i32.const 1))
                (call $exit (local.get $seen))))"#,
    )
    .unwrap();
    let mut linker = Linker::new(&engine);
    add_to_linker(&mut linker, |ctx: &mut WasiCtx| ctx).unwrap();
    let pre = WasiPre::new(&linker, &module, |ctx: &mut WasiCtx| ctx).unwrap();
    for _ in 0..3 {
        let mut store = Store::new(&engine, WasiCtx::builder().build().unwrap());
        assert_eq!(pre.run(&mut store).unwrap(), 7);
    }
}
