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
