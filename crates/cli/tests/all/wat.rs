//! WAT modules for what compilers never emit: bad pointers, invalid enum values, huge iovec
//! counts, and every seed syscall through the `wasi_unstable` ABI.
//!
//! Each module in `tests/wat/` checks its own results and exits with the id of the first
//! failed check (0 when all pass); the fixture files each one expects are set up here.

use crate::harness::Sandbox;
use std::path::PathBuf;

fn wat(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/wat").join(format!("{name}.wat"))
}

/// Runs `tests/wat/NAME.wat` in `sandbox` and asserts every check passed.
#[track_caller]
fn run_checks(name: &str, sandbox: &Sandbox) {
    let out = sandbox.lucent().run(wat(name), &[]);
    assert_eq!(
        out.code,
        Some(0),
        "{name}.wat: check {:?} failed\nstdout:\n{}\nstderr:\n{}",
        out.code,
        out.stdout,
        out.stderr
    );
    sandbox.assert_outside_untouched();
}

#[test]
fn unstable_fd_seek() {
    let sandbox = Sandbox::new();
    sandbox.write("file.txt", "hello world");
    run_checks("unstable_fd_seek", &sandbox);
}

/// Every WAT module has a test here.
#[test]
fn every_wat_module_has_a_test() {
    let source = include_str!("wat.rs");
    for entry in std::fs::read_dir(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/wat")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        assert!(source.contains(&format!("\"{name}\"")), "tests/wat/{name}.wat has no test in wat.rs");
    }
}
