//! Instantiate-and-run of a WASI hello world in one process (issue 7's target: ≤ 10 µs; Lucet
//! claimed under 50 µs). Each iteration builds a context, a store and an instance, runs
//! `_start` (which writes one line to a discarded stdout) and drops it all.
//!
//! `cargo bench -p lucent-wasmtime --bench instantiate`

#![allow(missing_docs, reason = "criterion's macros generate undocumented functions")]

use criterion::{Criterion, criterion_group, criterion_main};
use lucent_core::WasiCtx;
use lucent_wasmtime::{WasiPre, add_to_linker, default_config, pooling_config};
use wasmtime::{Engine, Linker, Module, Store};

fn prepared(config: &wasmtime::Config, wasm: &str) -> (Engine, WasiPre<WasiCtx>) {
    let engine = Engine::new(config).expect("engine");
    let module = Module::from_file(&engine, wasm).expect("module");
    let mut linker = Linker::new(&engine);
    add_to_linker(&mut linker, |ctx: &mut WasiCtx| ctx).expect("link");
    let pre = WasiPre::new(&linker, &module, |ctx: &mut WasiCtx| ctx).expect("pre");
    (engine, pre)
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("hello");
    let configs = [
        ("pooling", pooling_config(16, 16 << 20, 0)),
        ("pooling-resident-256k", pooling_config(16, 16 << 20, 256 << 10)),
        ("pooling-resident-2m", pooling_config(16, 16 << 20, 2 << 20)),
        ("on-demand", default_config()),
    ];
    for (lang, hello) in [("c", test_programs_artifacts::C_HELLO), ("rust", test_programs_artifacts::HELLO)] {
        for (name, config) in &configs {
            let (engine, pre) = prepared(config, hello);
            group.bench_function(format!("{lang}/instantiate+run/{name}"), |b| {
                b.iter(|| {
                    let mut store = Store::new(&engine, WasiCtx::builder().arg("hello").build().expect("ctx"));
                    assert_eq!(pre.run(&mut store).expect("run"), 0);
                });
            });
        }
    }
    for (name, config) in &configs {
        let (engine, pre) = prepared(config, test_programs_artifacts::HELLO);
        group.bench_function(format!("rust/instantiate/{name}"), |b| {
            b.iter(|| {
                let mut store = Store::new(&engine, WasiCtx::builder().build().expect("ctx"));
                pre.instantiate(&mut store).expect("instantiate");
            });
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
