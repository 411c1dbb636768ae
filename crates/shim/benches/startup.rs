//! Time from `ctr run` to exit: a hello program (`benches/hello.c`) as a WebAssembly module
//! through the Lucent shim, beside the same program compiled natively (static) in a runc
//! container, on the same containerd; medians of 20 runs each, interleaved, after one warm-up.
//!
//! `cargo bench --manifest-path crates/shim/Cargo.toml` (root, with containerd, runc, clang
//! and wasi-libc installed). See docs/benchmarks.md.

#[path = "../tests/support/mod.rs"]
mod support;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};
use support::{Containerd, Image, RUNTIME};

const RUNS: usize = 20;

fn compile(args: &[&str]) {
    let status = Command::new(args[0]).args(&args[1..]).status().expect("a compiler");
    assert!(status.success(), "{args:?}");
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn main() {
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/hello.c");
    let dir = tempfile::tempdir().unwrap();
    let wasm = dir.path().join("hello.wasm");
    let native = dir.path().join("hello");
    compile(&["clang", "--target=wasm32-wasi", "-O2", "-o", wasm.to_str().unwrap(), source.to_str().unwrap()]);
    compile(&["cc", "-O2", "-static", "-o", native.to_str().unwrap(), source.to_str().unwrap()]);
    let image = |tag: &str, file: &Path, name: &str, platform: (&str, &str)| Image {
        tag: tag.into(),
        files: vec![(name.into(), std::fs::read(file).unwrap())],
        entrypoint: vec![format!("/{name}")],
        env: Vec::new(),
        platform: (platform.0.into(), platform.1.into()),
    };
    let lucent = image("hello-wasm", &wasm, "hello.wasm", ("wasip1", "wasm"));
    let runc = image("hello-native", &native, "hello", ("linux", "amd64"));
    let containerd = Containerd::start();
    containerd.import(&lucent);
    containerd.import(&runc);
    let mut times: [Vec<Duration>; 2] = [Vec::new(), Vec::new()];
    let mut first = [Duration::ZERO; 2];
    for run in 0..=RUNS {
        for (i, (image, extra)) in [(&lucent, &["--runtime", RUNTIME][..]), (&runc, &[][..])].into_iter().enumerate() {
            let start = Instant::now();
            let (status, out, err) = containerd.run(image, &format!("bench-{i}-{run}"), extra, &[]);
            let elapsed = start.elapsed();
            assert_eq!(status, 0, "{out}{err}");
            assert!(out.starts_with("hello from /"), "{out}");
            if run > 0 {
                times[i].push(elapsed);
            } else {
                first[i] = elapsed;
            }
        }
    }
    let [lucent, runc] = times.map(median);
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!("| `ctr run --rm` to exit, hello | first container of the image | median of the next {RUNS} |");
    println!("|---|--:|--:|");
    println!(
        "| Lucent shim (`io.containerd.lucent.v1`), wasm32-wasi | {:.1} ms (the shim compiles the image's modules) | {:.1} ms (compiled code from containerd) |",
        ms(first[0]),
        ms(lucent)
    );
    println!("| runc (`io.containerd.runc.v2`), native static | {:.1} ms | {:.1} ms |", ms(first[1]), ms(runc));
    println!("| Lucent / runc | | {:.2}× |", lucent.as_secs_f64() / runc.as_secs_f64());
}
