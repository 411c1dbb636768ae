//! Threaded guests (wasi-threads): Rust programs built for wasm32-wasip1-threads and C
//! programs using pthreads, run unmodified, with the limits and process semantics of the
//! runner; WAT modules for what the toolchains never emit.

use crate::harness::{Blocked, Run, Sandbox, run_blocking, wat_file};
use std::time::Duration;
use test_programs_artifacts as guests;

#[test]
fn rust_threads_spawn_join_lock_wait_send_scope_and_rayon() {
    let out = Run::new().run(guests::THREADS_BASICS, &[]);
    out.expect_success();
    assert_eq!(
        out.stdout,
        "join 42\nmutex 8000\ncondvar woken\nmpsc 1000 1624500\nscope [10, 20, 30, 40]\nrayon primes 17984\ncycles 499500\n"
    );
}

#[test]
fn spawning_past_max_threads_fails_in_the_guest() {
    // The main thread counts: 4 threads are main and 3 more.
    let out = Run::new().opts(["--max-threads", "4"]).run(guests::THREADS_LIMIT, &[]);
    out.expect_success();
    assert_eq!(out.stdout, "spawned 3 then: operation would block\nagain 1\n");
    let out = Run::new().opts(["--max-threads", "0"]).run(guests::THREADS_LIMIT, &[]);
    out.expect_code(2);
    assert!(out.stderr.contains("--max-threads"), "{}", out.stderr);
}

#[test]
fn c_pthreads_create_join_mutex_cond_and_eagain() {
    let out = Run::new().opts(["--max-threads", "3"]).run(guests::C_PTHREADS, &[]);
    out.expect_success();
    assert_eq!(out.stdout, "join 144\nmutex 20000\ncond 1\npast the limit: EAGAIN\ndone\n");
}

/// Runs `threads_end CASE` with `opts`, its stdin a pipe that stays open and silent; kills it
/// after 20 s (a case that does not end would otherwise hang for ever).
fn run_end_case(opts: &[&str], case: &str) -> Blocked {
    let mut args: Vec<&str> = opts.to_vec();
    args.extend([guests::THREADS_END, case]);
    run_blocking(&args, Duration::from_secs(20), true)
}

/// `proc_exit` or a trap in any thread ends the program with its status while the others are
/// blocked (stdin, a join, a sleep, a channel), and `_start` returning ends it while another
/// thread spins: each promptly (the guests would otherwise wait 30 s or for ever).
#[test]
fn any_thread_ends_the_program_promptly() {
    let cases: [(&str, &[&str], i32, &str); 7] = [
        ("exit-from-thread", &[], 7, ""),
        ("exit-while-joining", &[], 9, ""),
        ("trap-in-thread", &[], 134, "unreachable"),
        ("panic-in-thread", &[], 134, "thread gave up"),
        ("main-returns", &[], 0, ""),
        ("spin", &["--timeout", "1s"], 124, "ran past its --timeout"),
        // Fuel covers all threads: the spinning ones run out of what main shared with them.
        ("spin", &["--fuel", "200000000"], 134, "out of fuel"),
    ];
    for (case, opts, code, stderr) in cases {
        let ended = run_end_case(opts, case);
        assert_eq!(ended.code, Some(code), "{case}: took {:?}; stderr:\n{}", ended.took, ended.stderr);
        assert!(ended.stderr.contains(stderr), "{case}: {}", ended.stderr);
        assert!(ended.took < Duration::from_secs(10), "{case}: took {:?}", ended.took);
        let returned = if case == "main-returns" { "main returned\n" } else { "" };
        assert_eq!(ended.stdout, returned, "{case}");
    }
}

#[test]
fn eight_threads_appending_lose_and_interleave_nothing() {
    let sandbox = Sandbox::new();
    sandbox.lucent().run(guests::THREADS_APPEND, &[]).expect_success();
    let log = sandbox.read("log.txt");
    let lines: Vec<&str> = log.lines().collect();
    assert_eq!(lines.len(), 4000);
    let padding = "x".repeat(40);
    for t in 0..8 {
        // Each thread's records, whole and in its own order.
        let records: Vec<String> = lines
            .iter()
            .filter(|line| line.starts_with(&format!("thread {t} ")))
            .map(|line| line.to_string())
            .collect();
        let expected: Vec<String> = (0..500).map(|n| format!("thread {t} record {n:03} {padding}")).collect();
        assert_eq!(records, expected, "thread {t}");
    }
}

/// The descriptor storm (see the guest), several times: no host panic, no descriptor left
/// open, every byte in the file it was written to.
#[test]
fn descriptor_storms_leak_nothing_and_cross_nothing() {
    // The last run under a descriptor limit all threads share: opens fail with `nfile` at
    // times, and what was written still lands where it should.
    for opts in [&[][..], &[], &[], &["--max-open-files", "10"]] {
        let sandbox = Sandbox::new();
        let out = sandbox.lucent().opts(opts).run(guests::THREADS_FDS, &[]);
        out.expect_success();
        let mut lines = out.stdout.lines();
        assert_eq!(lines.next(), Some("before [0, 1, 2, 3] after [0, 1, 2, 3]"), "{}", out.stdout);
        let mut files = 0;
        for line in lines {
            let words: Vec<&str> = line.split(' ').collect();
            let [_, "written", written, "found", found, "foreign", foreign] = words[..] else {
                panic!("unexpected line {line:?}")
            };
            assert_eq!((written, foreign), (found, "0"), "{line}");
            if opts.is_empty() {
                assert!(written.parse::<u32>().unwrap() > 900, "{line}");
            }
            files += 1;
        }
        assert_eq!(files, 8);
        sandbox.assert_outside_untouched();
    }
}

#[test]
fn cpu_clocks_sum_threads_for_the_process_and_not_for_the_thread() {
    let out = Run::new().run(guests::THREADS_CLOCKS, &[]);
    out.expect_success();
    let field = |name: &str| -> u64 {
        let text = out.stdout.trim().split(' ').find_map(|w| w.strip_prefix(name)).expect(name);
        text.parse().unwrap()
    };
    // Two threads burnt 200 ms each on their own thread clocks; main only waited.
    assert!(field("process_ms=") >= 390, "{}", out.stdout);
    assert!(field("thread_ms=") < 100, "{}", out.stdout);
}

#[test]
fn deterministic_randomness_is_per_thread_and_reproducible() {
    let run = |opts: &[&str]| {
        let out = Run::new().opts(opts).run(guests::THREADS_RANDOM, &[]);
        out.expect_success();
        out
    };
    let first = run(&["--deterministic"]);
    assert_eq!(first.stdout, run(&["--deterministic"]).stdout);
    let streams: Vec<&str> = first.stdout.lines().map(|l| l.split(": ").nth(1).unwrap()).collect();
    assert_eq!(streams.len(), 3);
    assert!(streams[0] != streams[1] && streams[1] != streams[2], "threads share a stream: {streams:?}");
    // Seeded differently, and without --deterministic, other bytes.
    assert_ne!(first.stdout, run(&["--deterministic", "--random-seed", "7"]).stdout);
    assert_ne!(first.stdout, run(&[]).stdout);
}

#[test]
fn trace_lines_carry_the_thread_id() {
    let out = Run::new().opts(["--trace"]).run(guests::THREADS_RANDOM, &[]);
    out.expect_success();
    assert!(out.stderr.lines().any(|l| l.starts_with("[thread 0] ")), "{}", out.stderr);
    let spawned: Vec<&str> =
        out.stderr.lines().filter(|l| l.contains("random_get") && !l.starts_with("[thread 0]")).collect();
    assert_eq!(spawned.len(), 3, "{}", out.stderr);
    assert!(spawned.iter().all(|l| l.starts_with("[thread ")), "{spawned:?}");
}

/// A threaded module: `thread-spawn` and a shared memory imported, `_start` running `body`
/// and then exiting with what it leaves on the stack; `extra` is more module fields.
fn threaded_wat(memory: &str, body: &str, extra: &str) -> String {
    format!(
        r#"(module
            (import "wasi" "thread-spawn" (func $spawn (param i32) (result i32)))
            (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
            (import "env" "memory" (memory {memory} shared))
            {extra}
            (func (export "_start") (call $exit {body})))"#
    )
}

#[test]
fn spawn_fails_cleanly_without_a_usable_wasi_thread_start() {
    // No export, then one of the wrong type: a negative result, never a host failure.
    for extra in ["", r#"(func (export "wasi_thread_start") (param i32))"#] {
        let (_dir, wat) = wat_file(&threaded_wat("1 1", "(i32.sub (i32.const 0) (call $spawn (i32.const 0)))", extra));
        Run::new().run(&wat, &[]).expect_code(6);
    }
}

#[test]
fn thread_ids_count_up_from_one() {
    // Two threads that do nothing: their ids are 1 and 2 (the status is 12).
    let body = "(i32.add (i32.mul (call $spawn (i32.const 0)) (i32.const 10)) (call $spawn (i32.const 0)))";
    let extra = r#"(func (export "wasi_thread_start") (param i32 i32))"#;
    let (_dir, wat) = wat_file(&threaded_wat("1 1", body, extra));
    Run::new().run(&wat, &[]).expect_code(12);
}

#[test]
fn max_memory_holds_shared_memories() {
    // Imported: made with its maximum cut to the limit, so growing to 128 MiB fails and
    // growing by 1 MiB works (status 0; 1 or 2 otherwise).
    let body = "(if (result i32) (i32.ne (memory.grow (i32.const 2048)) (i32.const -1))
                    (then (i32.const 1))
                    (else (if (result i32) (i32.eq (memory.grow (i32.const 16)) (i32.const -1))
                        (then (i32.const 2)) (else (i32.const 0)))))";
    let (_dir, wat) = wat_file(&threaded_wat("1 65536", body, ""));
    Run::new().opts(["--max-memory", "64M"]).run(&wat, &[]).expect_success();
    // Whose minimum does not fit: refused before it runs.
    let (_dir, big) = wat_file(&threaded_wat("2048 65536", "(i32.const 0)", ""));
    let out = Run::new().opts(["--max-memory", "64M"]).run(&big, &[]);
    out.expect_code(1);
    assert!(out.stderr.contains("more than --max-memory leaves"), "{}", out.stderr);
    // Defined by the module: its declared maximum must fit in the limit.
    let defined = r#"(module
        (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
        (memory 1 65536 shared)
        (func (export "_start")
            (call $exit (i32.eq (memory.grow (i32.const 16384)) (i32.const -1)))))"#;
    let (_dir, wat) = wat_file(defined);
    let out = Run::new().opts(["--max-memory", "64M"]).run(&wat, &[]);
    out.expect_code(1);
    assert!(out.stderr.contains("defines shared memories that may grow to 4294967296 bytes"), "{}", out.stderr);
    // Without a limit it runs (and grows).
    Run::new().run(&wat, &[]).expect_success();
}

#[test]
fn invoke_is_refused_for_threaded_modules() {
    let out = Run::new().opts(["--invoke", "_start"]).run(guests::THREADS_BASICS, &[]);
    out.expect_code(1);
    assert!(out.stderr.contains("threaded module"), "{}", out.stderr);
}

#[test]
fn threads_listing_one_directory_each_see_it_whole() {
    let sandbox = Sandbox::new();
    let out = sandbox.lucent().run(guests::THREADS_READDIR, &[]);
    out.expect_success();
    assert_eq!(out.stdout, "complete listings: 80 of 80\n");
}

#[test]
fn hostcalls_use_the_shared_memory_exported_as_memory() {
    // Two shared memories imported; the second is the module's `memory`, and holds the iovec
    // and the text that `fd_write` must find.
    let wat = r#"(module
        (import "wasi" "thread-spawn" (func $spawn (param i32) (result i32)))
        (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
        (import "env" "scratch" (memory 1 1 shared))
        (import "env" "memory" (memory 1 1 shared))
        (export "memory" (memory 1))
        (data (memory 1) (i32.const 0) "\10\00\00\00\03\00\00\00")
        (data (memory 1) (i32.const 16) "hi\n")
        (func (export "_start") (drop (call $write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 32)))))"#;
    let (_dir, path) = wat_file(wat);
    let out = Run::new().run(&path, &[]);
    out.expect_success();
    assert_eq!(out.stdout, "hi\n");
}
