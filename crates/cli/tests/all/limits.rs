//! Resource limits: memory, time, fuel, stack and descriptors. The guest hits the limit; the
//! host carries on and says what happened.

use crate::harness::{Blocked, Run, Sandbox, run_blocking, wat_file};
use std::time::{Duration, Instant};
use test_programs_artifacts as guests;

#[test]
fn memory_growth_past_max_memory_returns_minus_one() {
    let wat = r#"(module
        (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
        (memory 1)
        (func (export "_start")
            ;; 16 more pages (1 MiB) fit in 2 MiB; 100 more do not: -1, and the guest goes on
            (if (i32.ne (memory.grow (i32.const 16)) (i32.const 1)) (then (call $exit (i32.const 1))))
            (if (i32.ne (memory.grow (i32.const 100)) (i32.const -1)) (then (call $exit (i32.const 2))))
            (call $exit (i32.const 0))))"#;
    let (_dir, path) = wat_file(wat);
    Run::new().opts(["--max-memory", "2M"]).run(&path, &[]).expect_success();
    // Without the limit the same growth succeeds (so the guest exits 2).
    Run::new().run(&path, &[]).expect_code(2);
}

#[test]
fn an_infinite_loop_stops_at_the_timeout() {
    let (_dir, path) = wat_file(r#"(module (func (export "_start") (loop $l (br $l))))"#);
    let started = Instant::now();
    let out = Run::new().opts(["--timeout", "200ms"]).run(&path, &[]);
    let took = started.elapsed();
    out.expect_code(124);
    assert_eq!(out.stderr, "lucent: the guest ran past its --timeout and was stopped\n");
    assert!(took >= Duration::from_millis(200), "stopped after {took:?}");
    assert!(took < Duration::from_secs(5), "took {took:?}");
}

#[test]
fn fuel_stops_a_loop() {
    let (_dir, path) = wat_file(r#"(module (func $spin (loop $l (br $l))) (func (export "_start") (call $spin)))"#);
    let out = Run::new().opts(["--fuel", "100000"]).run(&path, &[]);
    out.expect_code(134);
    assert!(out.stderr.starts_with("lucent: guest trapped: "), "{}", out.stderr);
    assert!(out.stderr.starts_with("lucent: guest trapped: out of fuel ("), "{}", out.stderr);
    assert!(out.stderr.contains("spin"), "{}", out.stderr);
}

#[test]
fn deep_recursion_is_a_stack_overflow_trap() {
    let wat = r#"(module
        (func $recurse (param i32) (result i32) (i32.add (call $recurse (local.get 0)) (i32.const 1)))
        (func (export "_start") (drop (call $recurse (i32.const 0)))))"#;
    let (_dir, path) = wat_file(wat);
    for opts in [&[][..], &["--max-wasm-stack", "64K"][..]] {
        let out = Run::new().opts(opts).run(&path, &[]);
        out.expect_code(134);
        assert!(out.stderr.starts_with("lucent: guest trapped: stack overflow (wasm trap: call stack exhausted)"));
        assert!(out.stderr.contains("recurse"), "{}", out.stderr);
    }
}

#[test]
fn opening_past_max_open_files_is_nfile() {
    // Each path_open of `f` takes a descriptor; with room for 6 (stdio, the preopen, two
    // more), the third open fails with nfile (41).
    let wat = r#"(module
        (import "wasi_snapshot_preview1" "path_open"
            (func $open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
        (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
        (memory (export "memory") 1)
        (data (i32.const 16) "f")
        (func $open_f (result i32)
            (call $open (i32.const 3) (i32.const 0) (i32.const 16) (i32.const 1) (i32.const 0)
                (i64.const 2) (i64.const 0) (i32.const 0) (i32.const 64)))
        (func (export "_start")
            (if (call $open_f) (then (call $exit (i32.const 1))))
            (if (call $open_f) (then (call $exit (i32.const 2))))
            (call $exit (call $open_f))))"#;
    let (_dir, path) = wat_file(wat);
    let sandbox = Sandbox::new();
    sandbox.write("f", "x");
    sandbox.lucent().opts(["--max-open-files", "6"]).run(&path, &[]).expect_code(41);
    sandbox.lucent().run(&path, &[]).expect_code(0);
}

#[test]
fn bad_limit_values_are_one_line() {
    let (_dir, path) = wat_file(r#"(module (func (export "_start")))"#);
    for (flag, value, says) in [
        ("--max-memory", "lots", "is not a size"),
        ("--timeout", "soon", "is not a duration"),
        ("--fuel", "many", "invalid value"),
    ] {
        let out = Run::new().opts([flag, value]).run(&path, &[]);
        out.expect_code(2);
        assert!(out.stderr.contains(says), "{flag} {value}: {}", out.stderr);
    }
}

/// The file system's allocation unit under `dir` (`stat -f`'s fundamental block size).
fn allocation_unit(dir: &std::path::Path) -> usize {
    let out = std::process::Command::new("stat").args(["-f", "-c", "%S"]).arg(dir).output().expect("stat -f");
    String::from_utf8_lossy(&out.stdout).trim().parse().expect("a block size")
}

#[test]
fn a_quota_counts_data_in_units_names_directories_and_symlinks() {
    let sandbox = Sandbox::new();
    let other = tempfile::tempdir().unwrap();
    std::fs::write(other.path().join("elsewhere.txt"), "elsewhere").unwrap();
    let unit = allocation_unit(&sandbox.dir());
    let quota_mount = format!("{}::.:quota={}", sandbox.dir().display(), 4 * unit);
    let other_mount = format!("{}::/other", other.path().display());
    let args = [unit.to_string(), "4".to_string()];
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = Run::new().opts(["--dir", &quota_mount, "--dir", &other_mount]).run(guests::QUOTA, &args);
    out.expect_success();
    assert_eq!(out.stdout, "quota ok\n");
    let a = std::fs::read(sandbox.path("a.txt")).unwrap();
    assert_eq!(a.len(), unit + 1);
    assert!(a[..500].iter().all(|&c| c == b'A') && a[500..].iter().all(|&c| c == b'a'));
    assert_eq!(std::fs::read(sandbox.path("b.txt")).unwrap().len(), 200);
    for refused in ["d", "s", "c.txt", "moved.txt", "linked.txt"] {
        assert!(std::fs::symlink_metadata(sandbox.path(refused)).is_err(), "{refused} exists");
    }
    assert!(other.path().join("elsewhere.txt").exists() && !other.path().join("out.txt").exists());
    // Without a quota the same program fails its first refusal check.
    let out = Run::new()
        .opts(["--dir", &format!("{}::.", sandbox.dir().display()), "--dir", &other_mount])
        .run(guests::QUOTA, &args);
    out.expect_code(1);
}

/// Bytes `path` and everything beneath it take on disk (allocated blocks).
fn disk_usage(path: &std::path::Path) -> u64 {
    use std::os::unix::fs::MetadataExt;
    let meta = std::fs::symlink_metadata(path).unwrap();
    let mut total = meta.blocks() * 512;
    if meta.is_dir() {
        for entry in std::fs::read_dir(path).unwrap() {
            total += disk_usage(&entry.unwrap().path());
        }
    }
    total
}

/// The review's attack: under `quota=1M` a guest made 20,000 directories and 20,000 symlinks
/// with 4,000-byte targets (160 MB on disk), and 20,000 one-byte files (82 MB). Now each kind
/// stops at what the quota pays for, with `dquot`, and the disk holds about the quota.
#[test]
fn a_quota_bounds_what_directories_symlinks_and_small_files_take_on_disk() {
    for kind in ["directories", "symlinks", "files"] {
        let sandbox = Sandbox::new();
        let before = disk_usage(&sandbox.dir());
        let quota_mount = format!("{}::.:quota=1M", sandbox.dir().display());
        let out = Run::new().opts(["--dir", &quota_mount]).run(guests::QUOTA_FILL, &[kind]);
        out.expect_success();
        let made: usize = out
            .stdout
            .strip_prefix(&format!("{kind}: "))
            .and_then(|rest| rest.split(' ').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("{}", out.stdout));
        assert!(out.stdout.ends_with("(stopped by errno 19)\n"), "{}", out.stdout);
        // Every item costs at least a unit: no more items than units in the quota.
        let unit = allocation_unit(&sandbox.dir());
        assert!(made > 0 && made <= (1 << 20) / unit, "{kind}: {made}");
        let used = disk_usage(&sandbox.dir()) - before;
        assert!(used <= (1 << 20) + (1 << 18), "{made} {kind} took {used} bytes of disk under a 1 MiB quota");
    }
}

/// The same attack on a `--tmpfs`: each kind stops at `nospc` (51) within the size, and the
/// memory it can take is bounded by it (the counts cannot exceed what the size pays for).
#[test]
fn a_tmpfs_stops_at_its_size() {
    for (kind, cheapest) in [("directories", lucent_memfs::INODE_COST), ("symlinks", 4000), ("files", 4096)] {
        let out = Run::new().opts(["--tmpfs", ".:size=1M"]).run(guests::QUOTA_FILL, &[kind]);
        out.expect_success();
        assert!(out.stdout.ends_with("(stopped by errno 51)\n"), "{}", out.stdout);
        let made: u64 = out.stdout[kind.len() + 2..].split(' ').next().unwrap().parse().unwrap();
        assert!(made > 0 && made <= (1 << 20) / cheapest, "{kind}: {made}");
    }
}

/// Each trap kind is named in plain words on the first line, before wasmtime's own message and
/// the backtrace; the exit status is 134 for all of them.
#[test]
fn traps_are_named_by_kind() {
    let cases = [
        ("(unreachable)", "unreachable executed"),
        ("(drop (i32.div_s (i32.const 1) (i32.const 0)))", "integer divide by zero"),
        ("(drop (i32.div_s (i32.const -2147483648) (i32.const -1)))", "integer overflow"),
        ("(drop (i32.load (i32.const 70000)))", "out-of-bounds memory access"),
        ("(drop (i32.trunc_f32_s (f32.const nan)))", "invalid conversion of a float to an integer"),
        ("(call_indirect (i32.const 5))", "out-of-bounds table access"),
        ("(call_indirect (i32.const 0))", "call through a null table entry"),
    ];
    for (body, kind) in cases {
        let wat = format!(r#"(module (memory (export "memory") 1) (table 1 funcref) (func (export "_start") {body}))"#);
        let (_dir, path) = wat_file(&wat);
        let out = Run::new().run(&path, &[]);
        out.expect_code(134);
        let first = out.stderr.lines().next().unwrap_or_default();
        assert!(first.starts_with(&format!("lucent: guest trapped: {kind} (wasm trap: ")), "{body}: {}", out.stderr);
        assert!(out.stderr.contains("wasm backtrace:"), "{body}: {}", out.stderr);
    }
}

/// How long a run that should stop at its 1 s `--timeout` may take before it is killed (it
/// would otherwise hang the test for 30 s or for ever).
const BLOCKED_PATIENCE: Duration = Duration::from_secs(20);

/// Runs `module` under `--timeout 1s` with `opts` (see [`run_blocking`]).
fn run_blocked(opts: &[&str], module: &std::path::Path) -> Blocked {
    let mut args: Vec<std::ffi::OsString> = vec!["--timeout".into(), "1s".into()];
    args.extend(opts.iter().map(Into::into));
    args.push(module.into());
    run_blocking(&args, BLOCKED_PATIENCE, false)
}

/// A WAT command whose `_start` runs `body`, with the preview1 functions it may need.
fn blocking_guest(body: &str) -> String {
    format!(
        r#"(module
            (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll (param i32 i32 i32 i32) (result i32)))
            (import "wasi_snapshot_preview1" "fd_read" (func $read (param i32 i32 i32 i32) (result i32)))
            (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
            (import "wasi_snapshot_preview1" "path_open"
                (func $open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
            (import "wasi_snapshot_preview1" "sock_accept" (func $accept (param i32 i32 i32) (result i32)))
            (memory (export "memory") 2)
            (data (i32.const 100) "fifo")
            (func (export "_start")
                ;; an iovec at 0: 65536 bytes from 65536
                (i32.store (i32.const 0) (i32.const 65536))
                (i32.store (i32.const 4) (i32.const 65536))
                {body}))"#
    )
}

#[track_caller]
fn assert_stopped_at_the_timeout(what: &str, run: &Blocked) {
    assert_eq!(run.code, Some(124), "{what}: ran {:?}; stderr:\n{}", run.took, run.stderr);
    assert!(run.stderr.contains("ran past its --timeout"), "{what}: {}", run.stderr);
    assert!(run.took >= Duration::from_secs(1), "{what}: stopped after {:?}", run.took);
}

/// `--timeout` holds while the guest waits in a hostcall, not only while it runs code: a
/// sleep, a read of a silent stdin, a write to a full pipe, a FIFO with no writer or no
/// reader, an accept with no client. Each would otherwise wait 30 s, or for ever.
#[test]
fn the_timeout_ends_waits_inside_hostcalls() {
    let sleep = r#"
        ;; one relative clock subscription of 30 s on the monotonic clock, at 1024
        (i32.store (i32.const 1040) (i32.const 1))
        (i64.store (i32.const 1048) (i64.const 30000000000))
        (drop (call $poll (i32.const 1024) (i32.const 2048) (i32.const 1) (i32.const 8)))"#;
    let read_stdin = "(drop (call $read (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 8)))";
    let fill_stdout = "(loop $l (drop (call $write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))) (br $l))";
    let fifo = |rights: u64, then: &str| {
        format!(
            "(drop (call $open (i32.const 3) (i32.const 0) (i32.const 100) (i32.const 4) (i32.const 0)
                (i64.const {rights}) (i64.const 0) (i32.const 0) (i32.const 8)))
             {then}"
        )
    };
    let read_fifo = fifo(2, "(drop (call $read (i32.load (i32.const 8)) (i32.const 0) (i32.const 1) (i32.const 12)))");
    let write_fifo = fifo(64, "");
    let accept = "(drop (call $accept (i32.const 3) (i32.const 0) (i32.const 8)))";

    let dir = tempfile::tempdir().unwrap();
    let fifo_path = dir.path().join("fifo");
    let made = std::process::Command::new("mkfifo").arg(&fifo_path).status().expect("mkfifo");
    assert!(made.success());
    let preopen = format!("{}::.", dir.path().display());
    let cases: [(&str, String, Vec<&str>); 6] = [
        ("a 30 s sleep in poll_oneoff", blocking_guest(sleep), vec![]),
        ("a read of a silent stdin", blocking_guest(read_stdin), vec![]),
        ("writes to a pipe nobody reads", blocking_guest(fill_stdout), vec![]),
        ("a read of a FIFO nobody opens", blocking_guest(&read_fifo), vec!["--dir", &preopen]),
        ("an open of a FIFO for writing, with no reader", blocking_guest(&write_fifo), vec!["--dir", &preopen]),
        ("an accept with no client", blocking_guest(accept), vec!["--tcplisten", "127.0.0.1:0"]),
    ];
    for (what, wat, opts) in cases {
        let (_wat_dir, path) = wat_file(&wat);
        assert_stopped_at_the_timeout(what, &run_blocked(&opts, &path));
    }
}

/// `--max-memory` is the instance's total: several memories, or tables, cannot each take it.
#[test]
fn max_memory_counts_every_memory_and_table_together() {
    // Sixteen memories of 64 MiB each: each alone fits 64 MiB, all together do not.
    let memories: String = (0..16).map(|_| "(memory 1024)").collect();
    let (_dir, many) = wat_file(&format!(r#"(module {memories} (func (export "_start")))"#));
    let out = Run::new().opts(["--max-memory", "64M"]).run(&many, &[]);
    out.expect_code(1);
    assert!(out.stderr.contains("within --max-memory"), "{}", out.stderr);
    Run::new().opts(["--max-memory", "1G"]).run(&many, &[]).expect_success();

    // Two memories grown in turn: the second growth is the one that does not fit.
    let wat = r#"(module
        (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
        (memory $a 1) (memory $b 1)
        (func (export "_start")
            (if (i32.ne (memory.grow $a (i32.const 600)) (i32.const 1)) (then (call $exit (i32.const 1))))
            (if (i32.ne (memory.grow $b (i32.const 600)) (i32.const -1)) (then (call $exit (i32.const 2))))
            ;; what is left still fits
            (if (i32.ne (memory.grow $b (i32.const 100)) (i32.const 1)) (then (call $exit (i32.const 3))))
            (call $exit (i32.const 0))))"#;
    let (_dir, grown) = wat_file(wat);
    Run::new().opts(["--max-memory", "64M"]).run(&grown, &[]).expect_success();

    // Four tables of 4 M elements (8 bytes each: 128 MiB) under 16 MiB.
    let tables: String = (0..4).map(|_| "(table 4194304 funcref)").collect();
    let (_dir, big_tables) = wat_file(&format!(r#"(module {tables} (func (export "_start")))"#));
    let out = Run::new().opts(["--max-memory", "16M"]).run(&big_tables, &[]);
    out.expect_code(1);
    assert!(out.stderr.contains("within --max-memory"), "{}", out.stderr);
    // A table and a memory share the budget.
    let wat = r#"(module
        (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
        (memory 1) (table 1 funcref)
        (func (export "_start")
            (if (i32.ne (table.grow (ref.null func) (i32.const 1000000)) (i32.const 1)) (then (call $exit (i32.const 1))))
            ;; 8 MB of the 9 MiB are the table's now: 2 MiB more memory does not fit
            (if (i32.ne (memory.grow (i32.const 32)) (i32.const -1)) (then (call $exit (i32.const 2))))
            (call $exit (i32.const 0))))"#;
    let (_dir, shared) = wat_file(wat);
    Run::new().opts(["--max-memory", "9M"]).run(&shared, &[]).expect_success();

    // A growth that fails on the memory's own maximum takes nothing from the budget.
    let wat = r#"(module
        (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
        (memory $a 1 2) (memory $b 1)
        (func (export "_start")
            (if (i32.ne (memory.grow $a (i32.const 900)) (i32.const -1)) (then (call $exit (i32.const 1))))
            (if (i32.ne (memory.grow $b (i32.const 900)) (i32.const 1)) (then (call $exit (i32.const 2))))
            (call $exit (i32.const 0))))"#;
    let (_dir, refunded) = wat_file(wat);
    Run::new().opts(["--max-memory", "64M"]).run(&refunded, &[]).expect_success();

    // A shared memory grows without asking the limiter: refused until threads are supported.
    let (_dir, shared_memory) =
        wat_file(r#"(module (memory 1 65536 shared) (func (export "_start") (drop (memory.grow (i32.const 60000)))))"#);
    let out = Run::new().opts(["--max-memory", "64M"]).run(&shared_memory, &[]);
    out.expect_code(1);
    assert!(out.stderr.contains("shared memories"), "{}", out.stderr);
}
