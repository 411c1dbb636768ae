//! The floor under a hostcall on this machine: what a wasmtime host function costs with
//! nothing in it, with a `clock_gettime` in it, and with the guest's memory found by index or
//! held, beside Lucent's own `clock_time_get` and `fd_write` and the native calls, each in a
//! loop of WAT (no guest library code).
//!
//! `cargo run --release --manifest-path bench/Cargo.toml --bin floor` (the `fd_write`s go to
//! `/dev/null`).

use anyhow::Context as _;
use lucent_core::fs::WasiFile as _;
use rustix::time::{ClockId, clock_gettime};
use std::sync::Arc;
use std::time::Instant;
use wasmtime::{Caller, Engine, Extern, Instance, Linker, Memory, Module, Store};

const CALLS: u32 = 10_000_000;

/// A module whose `run(n)` calls the import `module.name` (`clock_time_get`'s signature, or
/// `fd_write`'s) `n` times; for `fd_write`, one 16-byte buffer described at offset 16.
fn looping(engine: &Engine, module: &str, name: &str) -> anyhow::Result<Module> {
    let (params, args) = if name == "fd_write" {
        ("i32 i32 i32 i32", "(i32.const 1) (i32.const 16) (i32.const 1) (i32.const 8)")
    } else {
        ("i32 i64 i32", "(i32.const 1) (i64.const 1) (i32.const 8)")
    };
    let wat = format!(
        r#"(module
          (import "{module}" "{name}" (func $f (param {params}) (result i32)))
          (memory (export "memory") 1)
          (data (i32.const 16) "\20\00\00\00\10\00\00\00")
          (func (export "run") (param $n i32)
            (loop $l (drop (call $f {args}))
              (local.set $n (i32.sub (local.get $n) (i32.const 1)))
              (br_if $l (local.get $n)))))"#
    );
    Ok(Module::new(engine, wat)?)
}

/// Nanoseconds per iteration of `f`, run `n` times, after one warm-up round.
fn per_call(n: u32, mut f: impl FnMut(u32) -> anyhow::Result<()>) -> anyhow::Result<f64> {
    f(n / 10)?;
    let start = Instant::now();
    f(n)?;
    Ok(start.elapsed().as_secs_f64() * 1e9 / f64::from(n))
}

/// Writes a clock reading at `at` in `memory`, as `clock_time_get` does.
fn store_time(memory: Memory, caller: &mut Caller<'_, Held>, at: u32) -> i32 {
    let now = clock_gettime(ClockId::Monotonic);
    let t = u64::try_from(now.tv_nsec).unwrap_or(0).to_le_bytes();
    let start = usize::try_from(at).unwrap_or(usize::MAX);
    match memory.data_mut(caller).get_mut(start..start.saturating_add(8)) {
        Some(dst) => {
            dst.iter_mut().zip(t).for_each(|(d, s)| *d = s);
            0
        }
        None => 21,
    }
}

/// Store data for the bare host functions: the memory, once instantiated.
struct Held(Option<Memory>);

fn bare(engine: &Engine) -> anyhow::Result<()> {
    let mut rows = Vec::new();
    for (name, label) in [
        ("nop", "host function, empty"),
        ("clock", "host function, clock_gettime"),
        ("clock_lookup", "  + memory found by export index, 8 bytes stored"),
        ("clock_held", "  + memory held in the store, 8 bytes stored"),
    ] {
        let module = looping(engine, "host", name)?;
        let index = module.get_export_index("memory").context("memory")?;
        let mut linker = Linker::<Held>::new(engine);
        match name {
            "nop" => linker.func_wrap("host", name, |_: Caller<'_, Held>, _: u32, _: u64, _: u32| 0i32)?,
            "clock" => linker.func_wrap("host", name, |_: Caller<'_, Held>, _: u32, _: u64, _: u32| {
                std::hint::black_box(clock_gettime(ClockId::Monotonic));
                0i32
            })?,
            "clock_lookup" => {
                linker.func_wrap("host", name, move |mut c: Caller<'_, Held>, _: u32, _: u64, at: u32| {
                    match c.get_module_export(&index) {
                        Some(Extern::Memory(memory)) => store_time(memory, &mut c, at),
                        _ => 21,
                    }
                })?
            }
            _ => {
                linker.func_wrap("host", name, |mut c: Caller<'_, Held>, _: u32, _: u64, at: u32| match c.data().0 {
                    Some(memory) => store_time(memory, &mut c, at),
                    None => 21,
                })?
            }
        };
        let mut store = Store::new(engine, Held(None));
        let instance = linker.instantiate(&mut store, &module)?;
        store.data_mut().0 = instance.get_memory(&mut store, "memory");
        let run = instance.get_typed_func::<u32, ()>(&mut store, "run")?;
        rows.push((label, per_call(CALLS, |n| Ok(run.call(&mut store, n)?))?));
    }
    for (label, ns) in rows {
        println!("| {label} | {ns:.1} |");
    }
    Ok(())
}

fn lucent(engine: &Engine, name: &str, calls: u32) -> anyhow::Result<f64> {
    let module = looping(engine, "wasi_snapshot_preview1", name)?;
    let mut linker = Linker::<lucent_core::WasiCtx>::new(engine);
    lucent_wasmtime::add_to_linker_for(&mut linker, &module, |ctx| ctx)?;
    let null = lucent_host::HostFile::new(std::fs::File::options().write(true).open("/dev/null")?.into());
    let ctx = lucent_host::host_builder().stdout(Arc::new(null)).build()?;
    let mut store = Store::new(engine, ctx);
    let instance: Instance = linker.instantiate(&mut store, &module)?;
    let run = instance.get_typed_func::<u32, ()>(&mut store, "run")?;
    let by_index = per_call(calls, |n| Ok(run.call(&mut store, n)?))?;
    let bound =
        per_call(calls, |n| Ok(lucent_wasmtime::call_bound(&mut store, &instance, |c| c, |s| run.call(s, n))?))?;
    println!("| Lucent `{name}`, memory found by index (`add_to_linker_for`) | {by_index:.1} |");
    println!("| Lucent `{name}`, memory bound (`call_bound`: `lucent run`, `WasiPre::run`) | {bound:.1} |");
    Ok(bound)
}

fn main() -> anyhow::Result<()> {
    let mut config = lucent_wasmtime::default_config();
    config.parallel_compilation(false);
    let engine = Engine::new(&config)?;
    println!("| per call | ns |\n|---|--:|");
    bare(&engine)?;
    lucent(&engine, "clock_time_get", CALLS)?;
    let clock = per_call(CALLS, |n| {
        (0..n).for_each(|_| {
            let _ = std::hint::black_box(clock_gettime(ClockId::Monotonic));
        });
        Ok(())
    })?;
    println!("| native `clock_gettime` (vDSO) | {clock:.1} |");
    lucent(&engine, "fd_write", CALLS / 4)?;
    let null = std::fs::File::options().write(true).open("/dev/null")?;
    let write = per_call(CALLS / 4, |n| {
        (0..n).for_each(|_| {
            let _ = std::hint::black_box(rustix::io::write(&null, &[0u8; 16]));
        });
        Ok(())
    })?;
    println!("| native `write` of 16 bytes to /dev/null, inlined into the loop | {write:.1} |");
    // The same system call behind Lucent's host file, without the engine or the hostcall.
    let file = lucent_host::HostFile::new(std::fs::File::options().write(true).open("/dev/null")?.into());
    let host = per_call(CALLS / 4, |n| {
        (0..n).for_each(|_| {
            let _ = std::hint::black_box(file.write_vectored(&[std::io::IoSlice::new(&[0u8; 16])]));
        });
        Ok(())
    })?;
    println!("| `HostFile::write_vectored` called directly | {host:.1} |");
    Ok(())
}
