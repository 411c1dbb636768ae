//! The runner's command line: exit statuses, one-line messages, options.

use crate::harness::{Run, Sandbox, lucent_command, wat_file};
use test_programs_artifacts as guests;

/// The one line Lucent prints for a failure it reports itself.
#[track_caller]
fn single_error_line(stderr: &str) -> &str {
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "expected one line, got:\n{stderr}");
    assert!(lines[0].starts_with("lucent: error: "), "{stderr}");
    lines[0]
}

#[test]
fn missing_module_file() {
    let out = Run::new().run("/nonexistent/prog.wasm", &[]);
    out.expect_code(1);
    let line = single_error_line(&out.stderr);
    assert!(line.contains("cannot read module `/nonexistent/prog.wasm`: No such file or directory"), "{line}");
}

#[test]
fn not_a_wasm_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notes.txt");
    std::fs::write(&path, "just some text\n").unwrap();
    let out = Run::new().run(&path, &[]);
    out.expect_code(1);
    assert!(single_error_line(&out.stderr).contains("is not a WebAssembly module"));
}

#[test]
fn truncated_and_invalid_modules() {
    let dir = tempfile::tempdir().unwrap();
    let wasm = std::fs::read(guests::EXIT).unwrap();
    let truncated = dir.path().join("truncated.wasm");
    std::fs::write(&truncated, &wasm[..wasm.len() / 2]).unwrap();
    let out = Run::new().run(&truncated, &[]);
    out.expect_code(1);
    assert!(single_error_line(&out.stderr).contains("cannot compile"));

    let bad_section = dir.path().join("bad.wasm");
    std::fs::write(&bad_section, b"\0asm\x01\0\0\0\x63\x02\xff\xff").unwrap();
    let out = Run::new().run(&bad_section, &[]);
    out.expect_code(1);
    assert!(single_error_line(&out.stderr).contains("cannot compile"));
}

#[test]
fn missing_start() {
    let (_dir, path) = wat_file(r#"(module (memory (export "memory") 1) (func (export "main")))"#);
    let out = Run::new().run(&path, &[]);
    out.expect_code(1);
    assert!(
        single_error_line(&out.stderr)
            .contains("exports no `_start` function; choose a function to call with --invoke")
    );
}

#[test]
fn unknown_import_is_named() {
    let wat = r#"(module
        (import "env" "host_magic" (func $magic (result i32)))
        (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
        (func (export "_start") (call $exit (i32.const 7)))
        (func (export "use_magic") (result i32) (call $magic)))"#;
    let (_dir, path) = wat_file(wat);
    let out = Run::new().run(&path, &[]);
    out.expect_code(1);
    let line = single_error_line(&out.stderr);
    assert!(line.contains("imports `env::host_magic`, which Lucent does not provide"), "{line}");

    // Opting in: the module runs as long as it does not call the import...
    let out = Run::new().opts(["--trap-unknown-imports"]).run(&path, &[]);
    out.expect_code(7);
    // ... and calling it traps.
    let out = Run::new().opts(["--trap-unknown-imports", "--invoke", "use_magic"]).run(&path, &[]);
    out.expect_code(134);
    assert!(out.stderr.contains("guest trapped"), "{}", out.stderr);
}

#[test]
fn unknown_wasi_function_is_an_unknown_import() {
    let (_dir, path) =
        wat_file(r#"(module (import "wasi_snapshot_preview1" "fd_frobnicate" (func)) (func (export "_start")))"#);
    let out = Run::new().run(&path, &[]);
    out.expect_code(1);
    assert!(single_error_line(&out.stderr).contains("`wasi_snapshot_preview1::fd_frobnicate`"));
}

#[test]
fn trap_prints_kind_and_backtrace() {
    let wat = r#"(module
        (func $inner (unreachable))
        (func $outer (call $inner))
        (func (export "_start") (call $outer)))"#;
    let (_dir, path) = wat_file(wat);
    let out = Run::new().run(&path, &[]);
    out.expect_code(134);
    assert!(out.stderr.starts_with("lucent: guest trapped: "), "{}", out.stderr);
    assert!(out.stderr.contains("unreachable"), "{}", out.stderr);
    assert!(out.stderr.contains("wasm backtrace:"), "{}", out.stderr);
    let inner = out.stderr.find("inner").expect("inner in backtrace");
    let outer = out.stderr.find("outer").expect("outer in backtrace");
    assert!(inner < outer, "innermost frame first:\n{}", out.stderr);
}

#[test]
fn reactor_needs_invoke_and_is_initialised_first() {
    let wat = r#"(module
        (global $ready (mut i32) (i32.const 0))
        (func (export "_initialize") (global.set $ready (i32.const 40)))
        (func (export "add") (param i32 i64) (result i32 i64)
            (i32.add (global.get $ready) (local.get 0)) (i64.mul (local.get 1) (i64.const 2))))"#;
    let (_dir, path) = wat_file(wat);
    let out = Run::new().run(&path, &[]);
    out.expect_code(1);
    assert!(single_error_line(&out.stderr).contains("is a reactor"));

    let out = Run::new().opts(["--invoke", "add"]).run(&path, &["2", "-21"]);
    out.expect_success();
    assert_eq!(out.stdout, "42\n-42\n");

    let out = Run::new().opts(["--invoke", "add"]).run(&path, &["2"]);
    out.expect_code(1);
    assert!(single_error_line(&out.stderr).contains("takes 2 parameter(s), 1 given"));
    let out = Run::new().opts(["--invoke", "nope"]).run(&path, &[]);
    out.expect_code(1);
    assert!(single_error_line(&out.stderr).contains("exports no function `nope`"));
}

#[test]
fn command_and_reactor_at_once_is_refused() {
    let (_dir, path) = wat_file(r#"(module (func (export "_start")) (func (export "_initialize")))"#);
    let out = Run::new().run(&path, &[]);
    out.expect_code(1);
    assert!(single_error_line(&out.stderr).contains("both `_start` and `_initialize`"));
}

#[test]
fn trace_prints_one_line_per_hostcall() {
    let sandbox = Sandbox::new();
    sandbox.write("input.txt", "hi");
    std::fs::create_dir(sandbox.path("sub")).unwrap();
    let out = sandbox.lucent().opts(["--trace"]).run(guests::EXIT, &["3"]);
    out.expect_code(3);
    let lines: Vec<&str> = out.stderr.lines().collect();
    assert!(lines.iter().any(|l| l.starts_with("args_sizes_get(") && l.contains(" = 0 (argc=2, ")), "{}", out.stderr);
    assert!(
        lines.iter().any(|l| l.starts_with("fd_write(fd=1, iovs=0x") && l.contains("(nwritten=15)")),
        "{}",
        out.stderr
    );
    assert_eq!(lines.last(), Some(&"proc_exit(rval=3) -> exit"));

    let out = sandbox.lucent().opts(["--trace"]).run(guests::FILES, &[]);
    out.expect_success();
    assert!(
        out.stderr.lines().any(|l| l.starts_with("fd_prestat_get(fd=4, ") && l.ends_with("= 8 (badf)")),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.lines().any(|l| l.starts_with(
            "path_open(fd=3, dirflags=Lookupflags(SYMLINK_FOLLOW), path=\"input.txt\", oflags=Oflags(0x0)"
        )),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.lines().any(|l| l.contains("path=\"missing.txt\"") && l.ends_with("= 44 (noent)")),
        "{}",
        out.stderr
    );
}

#[test]
fn argv0_and_inherit_env() {
    let out = Sandbox::new()
        .lucent()
        .opts(["--argv0", "myprog", "--inherit-env", "--env", "LUCENT_TEST_B=override"])
        .run(guests::ARGS_ENV, &["x"]);
    out.expect_success();
    assert!(out.stdout.starts_with("argc=2\narg0=myprog\narg1=x\n"), "{}", out.stdout);
    assert!(out.stdout.contains("env LUCENT_TEST_B=override\n"), "{}", out.stdout);
    // Inherited from the test's own environment.
    assert!(out.stdout.contains("env PATH="), "{}", out.stdout);
}

#[test]
fn env_name_alone_passes_the_host_value() {
    let out = lucent_command()
        .env("LUCENT_TEST_VAR", "from host")
        .args(["--env", "LUCENT_TEST_VAR", "--env", "LUCENT_UNSET_VAR", guests::ARGS_ENV])
        .output()
        .unwrap();
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.ends_with("env LUCENT_TEST_VAR=from host\n"), "{stdout}");
}

#[test]
fn dir_with_guest_name_and_missing_dir() {
    let sandbox = Sandbox::new();
    let wat = r#"(module
        (import "wasi_snapshot_preview1" "fd_prestat_dir_name" (func $name (param i32 i32 i32) (result i32)))
        (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
        (memory (export "memory") 1)
        (func (export "_start")
            (drop (call $name (i32.const 3) (i32.const 100) (i32.const 5)))
            (i32.store (i32.const 0) (i32.const 100))
            (i32.store (i32.const 4) (i32.const 5))
            (drop (call $write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))"#;
    let (_dir, path) = wat_file(wat);
    let out = Run::new().opts(["--dir".to_string(), format!("{}::/data", sandbox.dir().display())]).run(&path, &[]);
    out.expect_success();
    assert_eq!(out.stdout, "/data");

    let out = Run::new().opts(["--dir", "/nonexistent/dir"]).run(&path, &[]);
    out.expect_code(1);
    assert!(single_error_line(&out.stderr).contains("cannot open --dir `/nonexistent/dir`"));
}

#[test]
fn proposals_current_toolchains_emit_are_enabled() {
    let wat = r#"(module
        (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
        (tag $oops (param i32))
        (func $throws (throw $oops (i32.const 5)))
        (func (export "_start") (local v128)
            (local.set 0 (i32x4.splat (i32.const 1)))
            (block $caught (result i32)
                (try_table (catch $oops $caught) (call $throws))
                (i32.const 0))
            (i32.add (i32x4.extract_lane 3 (local.get 0)))
            (call $exit)))"#;
    let (_dir, path) = wat_file(wat);
    Run::new().run(&path, &[]).expect_code(6);
}

#[test]
fn help_and_bad_flags() {
    let out = lucent_command().arg("--help").output().unwrap();
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(help.contains("Exit status:") && help.contains("134"), "{help}");
    let out = lucent_command().args(["run", "--help"]).output().unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    for option in ["--dir", "--env", "--inherit-env", "--argv0", "--invoke", "--trace", "--trap-unknown-imports"] {
        assert!(help.contains(option), "{option} missing from run --help");
    }
    let out = lucent_command().args(["run", "--no-such-flag", "x.wasm"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = lucent_command().output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

/// Log lines (`LUCENT_LOG`) carry no terminal colour codes when stderr is not a terminal.
#[test]
fn logs_to_a_pipe_are_plain_text() {
    let sandbox = Sandbox::new();
    let out = lucent_command()
        .env("LUCENT_LOG", "lucent=debug")
        .env("LUCENT_CACHE_DIR", sandbox.path("no-such-parent/cache"))
        .arg(guests::EXIT)
        .arg("0")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("DEBUG"), "{stderr}");
    assert!(!stderr.contains('\u{1b}'), "{stderr:?}");
}
