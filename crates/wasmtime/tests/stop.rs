//! Stopping an instance from another thread, through its context's stop handle: a guest
//! waiting in a hostcall (a 30 s sleep, a read of a pipe nobody writes) and a guest spinning
//! in WebAssembly code both end promptly with `Trap::Interrupt`.

use lucent_core::WasiCtx;
use std::sync::Arc;
use std::time::{Duration, Instant};
use wasmtime::{Config, Engine, Linker, Module, Store, Trap};

const GUEST: &str = r#"(module
    (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll (param i32 i32 i32 i32) (result i32)))
    (import "wasi_snapshot_preview1" "fd_read" (func $read (param i32 i32 i32 i32) (result i32)))
    (memory (export "memory") 1)
    (func (export "sleep")
        ;; a relative 30 s subscription on the monotonic clock
        (i32.store (i32.const 16) (i32.const 1))
        (i64.store (i32.const 24) (i64.const 30000000000))
        (drop (call $poll (i32.const 0) (i32.const 128) (i32.const 1) (i32.const 256))))
    (func (export "read")
        (i32.store (i32.const 0) (i32.const 64))
        (i32.store (i32.const 4) (i32.const 16))
        (drop (call $read (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 8))))
    (func (export "spin") (loop $l (br $l))))"#;

/// Calls `name` in a new instance, stopping it from another thread after 100 ms; returns the
/// error and how long the call took.
fn stopped_call(engine: &Engine, ctx: WasiCtx, name: &str, interrupt: bool) -> (wasmtime::Error, Duration) {
    let module = Module::new(engine, GUEST).unwrap();
    let mut linker = Linker::new(engine);
    lucent_wasmtime::add_to_linker(&mut linker, |ctx: &mut WasiCtx| ctx).unwrap();
    let mut store = Store::new(engine, ctx);
    if interrupt {
        lucent_wasmtime::interrupt_on_stop(&mut store, |ctx: &WasiCtx| ctx);
    }
    let instance = linker.instantiate(&mut store, &module).unwrap();
    let func = instance.get_typed_func::<(), ()>(&mut store, name).unwrap();
    let stop = store.data().stop_handle();
    let ticker = engine.clone();
    let stopper = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(100));
        stop.stop();
        ticker.increment_epoch();
    });
    let started = Instant::now();
    let error = func.call(&mut store, ()).expect_err("the call was stopped");
    let took = started.elapsed();
    stopper.join().unwrap();
    (error, took)
}

#[test]
fn a_guest_waiting_in_a_hostcall_is_stopped() {
    let engine = Engine::default();
    let ctx = lucent_host::host_builder().build().unwrap();
    let (error, took) = stopped_call(&engine, ctx, "sleep", false);
    assert_eq!(error.downcast_ref::<Trap>(), Some(&Trap::Interrupt), "{error:?}");
    assert!(took < Duration::from_secs(20), "took {took:?}");

    // A read of a pipe whose writer stays open and silent.
    let (reader, _writer) = std::io::pipe().unwrap();
    let stdin = Arc::new(lucent_host::HostFile::new(reader.into()));
    let ctx = lucent_host::host_builder().stdin(stdin).build().unwrap();
    let (error, took) = stopped_call(&engine, ctx, "read", false);
    assert_eq!(error.downcast_ref::<Trap>(), Some(&Trap::Interrupt), "{error:?}");
    assert!(took < Duration::from_secs(20), "took {took:?}");
}

#[test]
fn a_guest_running_code_is_stopped_at_the_next_epoch() {
    let engine = Engine::new(Config::new().epoch_interruption(true)).unwrap();
    let ctx = lucent_host::host_builder().build().unwrap();
    let (error, took) = stopped_call(&engine, ctx, "spin", true);
    assert_eq!(error.downcast_ref::<Trap>(), Some(&Trap::Interrupt), "{error:?}");
    assert!(took < Duration::from_secs(20), "took {took:?}");
}
