//! The CPU-time clocks measure the guest instance, not the host process: time the host spends
//! before starting the guest is not counted, and two instances running at once on two threads
//! each see only their own time.

mod common;

use common::Capture;
use lucent_core::WasiCtx;
use std::sync::Arc;
use std::time::{Duration, Instant};
use wasmtime::{Engine, Linker, Module, Store};

/// Spins on this thread for `ms` of CPU time.
fn burn_host_cpu(ms: u64) {
    let start = Instant::now();
    let mut x = 0u64;
    while start.elapsed() < Duration::from_millis(ms) {
        x = std::hint::black_box(x.wrapping_add(1));
    }
}

/// Runs the CPU-burning guest for `ms` and returns the (process, thread) CPU milliseconds it
/// reported.
fn run_guest(engine: &Engine, module: &Module, ms: u64) -> (u64, u64) {
    let stdout = Arc::new(Capture::default());
    let ctx = lucent_host::host_builder().arg("cpu_burn").arg(ms.to_string()).stdout(stdout.clone()).build().unwrap();
    let mut linker = Linker::new(engine);
    lucent_wasmtime::add_to_linker(&mut linker, |ctx: &mut WasiCtx| ctx).unwrap();
    let mut store = Store::new(engine, ctx);
    let instance = linker.instantiate(&mut store, module).unwrap();
    let start = instance.get_typed_func::<(), ()>(&mut store, "_start").unwrap();
    store.data().start_clocks();
    start.call(&mut store, ()).unwrap();
    let text = stdout.text();
    let field = |name: &str| -> u64 {
        text.split_whitespace().find_map(|kv| kv.strip_prefix(name)).and_then(|v| v.trim().parse().ok()).unwrap()
    };
    (field("process_ms="), field("thread_ms="))
}

fn engine_and_module() -> (Engine, Module) {
    let engine = Engine::new(&lucent_wasmtime::default_config()).unwrap();
    let module = Module::from_file(&engine, test_programs_artifacts::CPU_BURN).unwrap();
    (engine, module)
}

#[test]
fn host_time_before_the_guest_is_not_counted() {
    let (engine, module) = engine_and_module();
    burn_host_cpu(500);
    let (process, thread) = run_guest(&engine, &module, 200);
    // About 200 ms (less if the machine was busy); never the host's 500 ms on top.
    assert!((30..450).contains(&process), "process CPU {process} ms");
    assert!((30..450).contains(&thread), "thread CPU {thread} ms");
}

#[test]
fn concurrent_instances_each_see_their_own_time() {
    let (engine, module) = engine_and_module();
    let threads: Vec<_> = (0..2)
        .map(|_| {
            let (engine, module) = (engine.clone(), module.clone());
            std::thread::spawn(move || {
                burn_host_cpu(300);
                run_guest(&engine, &module, 200)
            })
        })
        .collect();
    for thread in threads {
        let (process, _) = thread.join().unwrap();
        // Not the sum of both guests (about 400 ms) and not the host's time (300 ms each).
        assert!((30..380).contains(&process), "process CPU {process} ms");
    }
}
