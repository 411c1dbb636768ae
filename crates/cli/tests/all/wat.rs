//! WAT modules for what compilers never emit: bad pointers, invalid enum values, huge iovec
//! counts, and every seed syscall through the `wasi_unstable` ABI.
//!
//! Each module in `tests/wat/` checks its own results and exits with the id of the first
//! failed check (0 when all pass); the fixture files each one expects are set up here.

use crate::harness::{Output, Sandbox};
use std::path::PathBuf;

fn wat(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/wat").join(format!("{name}.wat"))
}

/// Runs `tests/wat/NAME.wat` in `sandbox` and asserts every check passed.
#[track_caller]
fn run_checks(name: &str, sandbox: &Sandbox) -> Output {
    run_checks_with(name, sandbox, &[], &[])
}

/// As [`run_checks`], with runner options `opts` and guest arguments `args`; returns the output.
#[track_caller]
fn run_checks_with(name: &str, sandbox: &Sandbox, opts: &[&str], args: &[&str]) -> Output {
    let out = sandbox.lucent().opts(opts).run(wat(name), args);
    assert_eq!(
        out.code,
        Some(0),
        "{name}.wat: check {:?} failed\nstdout:\n{}\nstderr:\n{}",
        out.code,
        out.stdout,
        out.stderr
    );
    sandbox.assert_outside_untouched();
    out
}

#[test]
fn unstable_fd_seek() {
    let sandbox = Sandbox::new();
    sandbox.write("file.txt", "hello world");
    run_checks("unstable_fd_seek", &sandbox);
}

#[test]
fn unstable_args() {
    let sandbox = Sandbox::new();
    run_checks_with("unstable_args", &sandbox, &["--argv0", "prog"], &["first", "", "with space"]);
}

#[test]
fn unstable_environ() {
    let sandbox = Sandbox::new();
    let opts = ["--env", "A=1", "--env", "EMPTY=", "--env", "GREETING=hi there"];
    run_checks_with("unstable_environ", &sandbox, &opts, &[]);
}

#[test]
fn unstable_clocks() {
    run_checks("unstable_clocks", &Sandbox::new());
}

#[test]
fn unstable_fd_close() {
    let sandbox = Sandbox::new();
    sandbox.write("file.txt", "hello world");
    run_checks("unstable_fd_close", &sandbox);
}

#[test]
fn unstable_fd_fdstat_get() {
    let sandbox = Sandbox::new();
    sandbox.write("file.txt", "hello world");
    sandbox.write("a/inner.txt", "inner");
    run_checks("unstable_fd_fdstat_get", &sandbox);
}

#[test]
fn unstable_fd_fdstat_set_flags() {
    let sandbox = Sandbox::new();
    sandbox.write("append.txt", "start\n");
    sandbox.write("file.txt", "hello world");
    run_checks("unstable_fd_fdstat_set_flags", &sandbox);
    assert_eq!(sandbox.read("append.txt"), "Xtart\nmore\n");
    assert_eq!(sandbox.read("file.txt"), "hello world");
}

#[test]
fn unstable_fd_prestat() {
    let sandbox = Sandbox::new();
    sandbox.write("file.txt", "hello world");
    run_checks("unstable_fd_prestat", &sandbox);
}

#[test]
fn unstable_fd_read() {
    let sandbox = Sandbox::new();
    sandbox.write("file.txt", "hello world");
    run_checks("unstable_fd_read", &sandbox);
}

#[test]
fn unstable_fd_write() {
    let sandbox = Sandbox::new();
    sandbox.write("file.txt", "hello world");
    let out = run_checks("unstable_fd_write", &sandbox);
    assert_eq!(sandbox.read("out.txt"), "Hello, WASI!\n");
    assert_eq!(sandbox.read("file.txt"), "hello world");
    assert_eq!(out.stdout, "to stdout\n");
    assert_eq!(out.stderr, "to stderr\n");
}

#[test]
fn unstable_path_open() {
    let sandbox = Sandbox::new();
    sandbox.write("file.txt", "hello world");
    sandbox.write("trunc.txt", "some content");
    sandbox.write("a/inner.txt", "inner");
    sandbox.symlink("file.txt", "link_in");
    sandbox.symlink("../outside.txt", "link_out");
    sandbox.symlink("/etc/passwd", "link_abs");
    sandbox.symlink("loop2", "loop1");
    sandbox.symlink("loop1", "loop2");
    sandbox.symlink("a", "link_dir");
    sandbox.symlink("../file.txt", "a/up");
    sandbox.symlink("../../outside.txt", "a/escape");
    sandbox.symlink("made.txt", "dangling");
    sandbox.symlink("../made_outside.txt", "dangling_out");
    run_checks("unstable_path_open", &sandbox);
    assert_eq!(sandbox.read("new.txt"), "");
    assert_eq!(sandbox.read("made.txt"), "");
    assert_eq!(sandbox.read("trunc.txt"), "");
    assert_eq!(sandbox.read("file.txt"), "hello world");
    assert_eq!(sandbox.read("a/inner.txt"), "inner");
    assert!(!sandbox.root().join("made_outside.txt").exists());
    assert!(!sandbox.root().join("made.txt").exists());
}

#[test]
fn unstable_proc_exit() {
    let sandbox = Sandbox::new();
    let out = sandbox.lucent().run(wat("unstable_proc_exit"), &[]);
    out.expect_code(42);
    sandbox.assert_outside_untouched();
}

#[test]
fn unstable_random_get() {
    run_checks("unstable_random_get", &Sandbox::new());
}

#[test]
fn p1_bad_pointers() {
    let sandbox = Sandbox::new();
    sandbox.write("file.txt", "hello world");
    let out = run_checks_with("p1_bad_pointers", &sandbox, &["--env", "X=1"], &[]);
    assert_eq!(out.stdout, "");
}

#[test]
fn p1_enums_flags() {
    let sandbox = Sandbox::new();
    sandbox.write("file.txt", "hello world");
    run_checks("p1_enums_flags", &sandbox);
    assert!(!sandbox.path("new.txt").exists());
}

#[test]
fn p1_iovecs() {
    let sandbox = Sandbox::new();
    sandbox.write("file.txt", "hello world");
    let pattern = |n: usize| (0..n).map(|i| char::from(b'a' + (i % 26) as u8)).collect::<String>();
    sandbox.write("big.txt", &pattern(2000));
    let out = run_checks("p1_iovecs", &sandbox);
    assert_eq!(sandbox.read("iov1024.txt"), pattern(1024));
    assert_eq!(sandbox.read("overlap.txt"), "abab");
    assert_eq!(out.stdout, "");
}

#[test]
fn p1_paths() {
    let sandbox = Sandbox::new();
    sandbox.write("file.txt", "hello world");
    run_checks("p1_paths", &sandbox);
    let names: Vec<_> = std::fs::read_dir(sandbox.dir()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(names, ["file.txt"], "a refused path created something");
}

#[test]
fn p1_all_imports() {
    let sandbox = Sandbox::new();
    sandbox.write("file.txt", "hello world");
    run_checks("p1_all_imports", &sandbox);
}

#[test]
fn p1_edge_values() {
    let sandbox = Sandbox::new();
    sandbox.write("file.txt", "hello world");
    sandbox.symlink("file.txt", "link");
    let out = run_checks_with("p1_edge_values", &sandbox, &["--env", "X=1", "--clock-resolution", "1ms"], &[]);
    assert_eq!(out.stdout, "");
    assert_eq!(sandbox.read("file.txt"), "hello world");
}

#[test]
fn p1_no_memory() {
    let out = run_checks("p1_no_memory", &Sandbox::new());
    assert_eq!(out.stdout, "");
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

/// The fixture of the `*_filestat_get` modules: `file.txt` with a hard link, known access and
/// modification times, a directory and a symlink.
fn filestat_sandbox() -> Sandbox {
    use std::time::{Duration, UNIX_EPOCH};
    let sandbox = Sandbox::new();
    sandbox.write("file.txt", "hello world");
    std::fs::hard_link(sandbox.path("file.txt"), sandbox.path("hard.txt")).unwrap();
    std::fs::create_dir(sandbox.path("sub")).unwrap();
    sandbox.symlink("file.txt", "link");
    let times = std::fs::FileTimes::new()
        .set_accessed(UNIX_EPOCH + Duration::new(1_500_000_000, 123))
        .set_modified(UNIX_EPOCH + Duration::new(1_600_000_000, 456));
    std::fs::File::options().write(true).open(sandbox.path("file.txt")).unwrap().set_times(times).unwrap();
    sandbox
}

#[test]
fn unstable_fd_filestat_get() {
    let sandbox = filestat_sandbox();
    run_checks("unstable_fd_filestat_get", &sandbox);
    assert_eq!(sandbox.read("file.txt"), "hello world");
}

#[test]
fn unstable_path_filestat_get() {
    let sandbox = filestat_sandbox();
    run_checks("unstable_path_filestat_get", &sandbox);
    assert_eq!(sandbox.read("file.txt"), "hello world");
}

#[test]
fn unstable_poll_oneoff() {
    let sandbox = Sandbox::new();
    sandbox.write("file.txt", "hello world");
    run_checks("unstable_poll_oneoff", &sandbox);
    assert_eq!(sandbox.read("file.txt"), "hello world");
}

#[test]
fn p1_poll_oneoff() {
    run_checks("p1_poll_oneoff", &Sandbox::new());
}
