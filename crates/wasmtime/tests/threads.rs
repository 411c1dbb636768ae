//! Threaded guests through the library (`lucent_wasmtime::threads`), as an embedder runs
//! them: no process to exit, so the program's end must stop every thread, including threads
//! parked in `memory.atomic.wait`, which epochs do not reach; and a stop handle ends a
//! program from outside.

mod common;

use common::Capture;
use lucent_core::WasiCtx;
use lucent_wasmtime::threads::{Ending, Threads, ThreadsConfig};
use std::sync::Arc;
use std::time::{Duration, Instant};
use test_programs_artifacts as guests;
use wasmtime::{Engine, Linker, Module, Store, Trap};

/// A threaded guest ready to run in-process, its stdout captured.
struct Threaded {
    threads: Threads<WasiCtx>,
    store: Store<WasiCtx>,
    stdout: Arc<Capture>,
}

fn threaded(path: &str, args: &[&str]) -> Threaded {
    let mut config = lucent_wasmtime::default_config();
    config.epoch_interruption(true);
    let engine = Engine::new(&config).unwrap();
    let module = Module::from_file(&engine, path).unwrap();
    let mut linker = Linker::new(&engine);
    lucent_wasmtime::add_to_linker(&mut linker, |ctx: &mut WasiCtx| ctx).unwrap();
    let stdout = Arc::new(Capture::default());
    let ctx = lucent_host::host_builder().arg("guest").args(args).stdout(stdout.clone()).build().unwrap();
    let mut store = Store::new(&engine, ctx);
    lucent_wasmtime::interrupt_on_stop(&mut store, |ctx: &WasiCtx| ctx);
    let new_store = |engine: &Engine, ctx: &mut WasiCtx, tid| {
        let mut store = Store::new(engine, ctx.for_thread(tid));
        lucent_wasmtime::interrupt_on_stop(&mut store, |ctx: &WasiCtx| ctx);
        Ok(store)
    };
    let threads =
        Threads::new(&mut store, &mut linker, &module, ThreadsConfig::default(), |ctx: &mut WasiCtx| ctx, new_store)
            .unwrap();
    threads.link(&linker, &module).unwrap();
    Threaded { threads, store, stdout }
}

/// Runs the main thread; returns how the program ended and how long that took, having
/// checked that every thread then finishes.
fn run(guest: &mut Threaded) -> (Ending, Duration) {
    let started = Instant::now();
    let ending = guest.threads.run_main(&mut guest.store).unwrap();
    let took = started.elapsed();
    assert!(guest.threads.wait(Duration::from_secs(10)), "{} threads still running", guest.threads.running());
    assert_eq!(guest.threads.running(), 0);
    (ending, took)
}

#[test]
fn an_embedder_runs_a_threaded_program() {
    let mut guest = threaded(guests::THREADS_BASICS, &[]);
    let (ending, _) = run(&mut guest);
    assert!(matches!(ending, Ending::Exit(0)), "{ending:?}");
    assert!(guest.stdout.text().ends_with("rayon primes 17984\ncycles 499500\n"), "{}", guest.stdout.text());
}

#[test]
fn the_end_stops_threads_parked_in_atomic_wait() {
    // Main joins (parked in `memory.atomic.wait`) a thread that exits with 9.
    let (ending, took) = run(&mut threaded(guests::THREADS_END, &["exit-while-joining"]));
    assert!(matches!(ending, Ending::Exit(9)), "{ending:?}");
    assert!(took < Duration::from_secs(10), "took {took:?}");
    // Main waits on a channel for ever while a thread panics (an abort: a trap).
    let (ending, took) = run(&mut threaded(guests::THREADS_END, &["panic-in-thread"]));
    assert!(matches!(ending, Ending::Trap(_)), "{ending:?}");
    assert!(took < Duration::from_secs(10), "took {took:?}");
}

#[test]
fn main_returning_stops_a_spinning_thread() {
    let mut guest = threaded(guests::THREADS_END, &["main-returns"]);
    let (ending, _) = run(&mut guest);
    assert!(matches!(ending, Ending::Exit(0)), "{ending:?}");
    assert_eq!(guest.stdout.text(), "main returned\n");
}

#[test]
fn a_stop_handle_ends_every_thread() {
    // Two threads spin while main joins them: stopped from outside after 100 ms.
    let mut guest = threaded(guests::THREADS_END, &["spin"]);
    let stop = guest.threads.stop_handle();
    let stopper = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(100));
        stop.stop();
    });
    let (ending, took) = run(&mut guest);
    stopper.join().unwrap();
    match ending {
        Ending::Trap(e) => assert_eq!(e.downcast_ref::<Trap>(), Some(&Trap::Interrupt), "{e:?}"),
        Ending::Exit(status) => panic!("exited with {status}"),
    }
    assert!(took < Duration::from_secs(10), "took {took:?}");
}
