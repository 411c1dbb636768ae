//! A minimal `wasmtime run` for the whole-process benchmarks, used because the `wasmtime` CLI
//! is not installed here: wasmtime-wasi's preview 1 with the host's standard streams, and,
//! like the CLI, wasmtime's default compilation cache (`~/.cache/wasmtime`) unless
//! `--no-cache` is given. The engine configuration is Lucent's, so both runners compile the
//! same code.
//!
//! ```text
//! wasmtime-run [--no-cache] [--dir HOST::GUEST]... [--trap-unknown-imports] [--invoke NAME]
//!              [--argv0 NAME] MODULE [ARGS]...
//! ```
//!
//! With `--invoke NAME` (a reactor, such as CPython for WASI), `_initialize` runs first, then
//! NAME, which takes no parameters.

use anyhow::{Context as _, bail};
use std::path::PathBuf;
use wasmtime::{Cache, Engine, Linker, Module, Store};
use wasmtime_wasi::p1::{self, WasiP1Ctx};
use wasmtime_wasi::{FsPerms, I32Exit, WasiCtxBuilder};

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let (mut cache, mut trap_unknown, mut invoke, mut argv0) = (true, false, None, None);
    let mut dirs = Vec::new();
    let module = loop {
        match args.next().as_deref() {
            Some("--no-cache") => cache = false,
            Some("--trap-unknown-imports") => trap_unknown = true,
            Some("--invoke") => invoke = Some(args.next().context("--invoke NAME")?),
            Some("--argv0") => argv0 = Some(args.next().context("--argv0 NAME")?),
            Some("--dir") => {
                let spec = args.next().context("--dir HOST::GUEST")?;
                let (host, guest) = spec.split_once("::").unwrap_or((&spec, &spec));
                dirs.push((PathBuf::from(host), guest.to_string()));
            }
            Some(option) if option.starts_with("--") => bail!("unknown option {option}"),
            Some(module) => break PathBuf::from(module),
            None => bail!("usage: wasmtime-run [OPTIONS] MODULE [ARGS]..."),
        }
    };
    let guest_args: Vec<String> = args.collect();

    let mut config = lucent_wasmtime::default_config();
    if cache {
        config.cache(Some(Cache::from_file(None)?));
    }
    let engine = Engine::new(&config)?;
    let module = Module::from_file(&engine, &module)?;
    let mut linker: Linker<WasiP1Ctx> = Linker::new(&engine);
    p1::add_to_linker_sync(&mut linker, |ctx| ctx)?;
    if trap_unknown {
        linker.define_unknown_imports_as_traps(&module)?;
    }
    let mut builder = WasiCtxBuilder::new();
    // On-thread blocking I/O, as the `wasmtime` CLI has for synchronous runs (before the
    // preopens, which take the setting when they are added).
    builder.allow_blocking_current_thread(true);
    builder.inherit_stdio().arg(argv0.unwrap_or_else(|| "module".into())).args(&guest_args);
    for (host, guest) in &dirs {
        builder.preopened_dir(host, guest, FsPerms::ReadWrite)?;
    }
    let mut store = Store::new(&engine, builder.build_p1());
    let instance = linker.instantiate(&mut store, &module)?;
    let result = match invoke {
        None => instance.get_typed_func::<(), ()>(&mut store, "_start")?.call(&mut store, ()),
        Some(name) => {
            if let Ok(init) = instance.get_typed_func::<(), ()>(&mut store, "_initialize") {
                init.call(&mut store, ())?;
            }
            // Results (CPython's `run` returns its exit status) are not needed here.
            let func = instance.get_func(&mut store, &name).with_context(|| format!("no function {name}"))?;
            let mut results = vec![wasmtime::Val::I32(0); func.ty(&store).results().len()];
            func.call(&mut store, &[], &mut results)
        }
    };
    match result {
        Ok(()) => Ok(()),
        Err(e) => match e.downcast_ref::<I32Exit>() {
            Some(I32Exit(code)) => std::process::exit(*code),
            None => Err(e.into()),
        },
    }
}
