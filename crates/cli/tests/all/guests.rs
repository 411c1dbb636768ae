//! Guest programs (Rust and C, compiled to wasm32-wasip1) run through the runner.

use crate::harness::{Run, Sandbox};
use test_programs_artifacts as guests;

/// Every guest program has a test in one of this binary's modules.
#[test]
fn every_guest_program_has_a_test() {
    // This binary's modules, the embedding tests of the wasmtime binding, and the containerd
    // shim's tests (a workspace of its own, tested by CI).
    let manifest = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut source = String::new();
    let dirs = [manifest.join("tests/all"), manifest.join("../wasmtime/tests"), manifest.join("../shim/tests/support")];
    for dir in dirs {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "rs") {
                // Code only: a guest named in a comment has no test for it.
                let text = std::fs::read_to_string(path).unwrap();
                for line in text.lines().filter(|l| !l.trim_start().starts_with("//")) {
                    source.push_str(line.split(" //").next().unwrap_or_default());
                    source.push('\n');
                }
            }
        }
    }
    for (name, _) in guests::ALL {
        let name = name.to_uppercase();
        assert!(
            source.contains(&format!("guests::{name}")) || source.contains(&format!("test_programs_artifacts::{name}")),
            "guest `{name}` has no test"
        );
    }
}

#[test]
fn args_env() {
    let sandbox = Sandbox::new();
    let out = sandbox
        .lucent()
        .opts(["--env", "GREETING=hi", "--env", "EMPTY="])
        .run(guests::ARGS_ENV, &["one", "two words", ""]);
    out.expect_success();
    assert_eq!(
        out.stdout,
        format!("argc=4\narg0={}\narg1=one\narg2=two words\narg3=\nenv EMPTY=\nenv GREETING=hi\n", guests::ARGS_ENV)
    );
}

#[test]
fn clocks() {
    let out = Sandbox::new().lucent().run(guests::CLOCKS, &[]);
    out.expect_success();
    assert_eq!(out.stdout, "clocks ok\n");
}

#[test]
fn stdio() {
    let out = Sandbox::new().lucent().stdin("line one\nline two\n").run(guests::STDIO, &[]);
    out.expect_success();
    assert_eq!(out.stdout, "gathered write\nLINE ONE\nLINE TWO\n");
    assert_eq!(out.stderr, "to stderr\n");
}

/// `fd_write` is unbuffered: a prompt without a newline reaches the reader before the guest
/// waits for input.
#[test]
fn prompt_appears_before_input_is_read() {
    use std::io::{Read, Write};
    use std::process::Stdio;
    let mut child = crate::harness::lucent_command()
        .arg(guests::PROMPT)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut prompt = [0u8; 6];
    stdout.read_exact(&mut prompt).unwrap();
    assert_eq!(&prompt, b"name? ");
    child.stdin.take().unwrap().write_all(b"Ada\n").unwrap();
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).unwrap();
    assert_eq!(rest, "hello Ada\n");
    assert!(child.wait().unwrap().success());
}

#[test]
fn files() {
    let sandbox = Sandbox::new();
    sandbox.write("input.txt", "from the host\n");
    std::fs::create_dir(sandbox.path("sub")).unwrap();
    let out = sandbox.lucent().run(guests::FILES, &[]);
    out.expect_success();
    assert_eq!(
        out.stdout,
        "input: from the host\nout: \"line 1\\nline 2\\n\"\nsize: 14\nrewritten: \"line A\\nline 2\\n\"\n\
         nested: nested\nmissing: entity not found\nescape: true\n"
    );
    assert_eq!(sandbox.read("out.txt"), "short");
    assert_eq!(sandbox.read("sub/nested.txt"), "nested");
    sandbox.assert_outside_untouched();
}

#[test]
fn fd_ops() {
    let sandbox = Sandbox::new();
    sandbox.write("data.txt", "0123456789");
    sandbox.write("sub/inner.txt", "inner");
    let out = sandbox.lucent().run(guests::FD_OPS, &[]);
    out.expect_success();
    assert_eq!(out.stdout, "fd ops ok\n");
    assert_eq!(sandbox.read("written.txt"), "abc");
    assert_eq!(sandbox.read("appended.txt"), "first+second!");
    assert_eq!(sandbox.read("data.txt"), "0123456789");
}

#[test]
fn path_open() {
    let sandbox = Sandbox::new();
    sandbox.write("file.txt", "hello");
    sandbox.write("sub/inner.txt", "inner");
    for (target, link) in [
        ("sub/inner.txt", "link_in"),
        ("sub", "link_sub"),
        ("../outside.txt", "link_out"),
        ("/etc/passwd", "link_abs"),
        ("..", "link_dotdot"),
        ("../file.txt", "sub/link_up"),
        ("../../outside.txt", "sub/link_up2"),
        ("loop_b", "loop_a"),
        ("loop_a", "loop_b"),
        ("nowhere.txt", "dangling"),
        ("sub/", "link_dir_slash"),
    ] {
        sandbox.symlink(target, link);
    }
    let out = sandbox.lucent().run(guests::PATH_OPEN, &[]);
    out.expect_success();
    assert_eq!(out.stdout, "path_open ok\n");
    assert_eq!(sandbox.read("new.txt"), "");
    assert_eq!(sandbox.read("nowhere.txt"), "");
    assert_eq!(sandbox.read("sub/inner.txt"), "inner");
    sandbox.assert_outside_untouched();
}

#[test]
fn random() {
    let out = Sandbox::new().lucent().run(guests::RANDOM, &[]);
    out.expect_success();
    assert_eq!(out.stdout, "random ok\n");
}

#[test]
fn exit_status_passes_through() {
    for code in [0, 1, 42, 255] {
        let out = Sandbox::new().lucent().run(guests::EXIT, &[&code.to_string()]);
        out.expect_code(code);
        assert_eq!(out.stdout, format!("exiting with {code}\n"));
        assert_eq!(out.stderr, "");
    }
}

#[test]
fn panic_traps_with_a_backtrace() {
    let out = Sandbox::new().lucent().run(guests::PANIC, &[]);
    out.expect_code(134);
    assert_eq!(out.stdout, "before the panic\n");
    assert!(out.stderr.contains("the guest gave up"), "{}", out.stderr);
    assert!(out.stderr.contains("lucent: guest trapped: "), "{}", out.stderr);
    assert!(out.stderr.contains("wasm backtrace:"), "{}", out.stderr);
    assert!(out.stderr.contains("deepest_function"), "{}", out.stderr);
}

#[test]
fn c_files() {
    let sandbox = Sandbox::new();
    sandbox.write("input.txt", "host data\n");
    let out = sandbox.lucent().run(guests::C_FILES, &[]);
    out.expect_success();
    assert_eq!(
        out.stdout,
        "read 13 bytes: alpha 1\nbeta\nat 2: p\nexcl: EEXIST\ninput: host data\nescape: EPERM\nmissing: ENOENT\n"
    );
    assert_eq!(sandbox.read("c_out.txt"), "alpha 1\nbeta\n");
    sandbox.assert_outside_untouched();
}

#[test]
fn c_stdio() {
    let sandbox = Sandbox::new();
    let out = sandbox.lucent().opts(["--env", "GREETING=bonjour"]).stdin("a\nb\n").run(guests::C_STDIO, &["x", "y z"]);
    out.expect_success();
    assert_eq!(
        out.stdout,
        "argc=3\nargv[1]=x\nargv[2]=y z\nGREETING=bonjour\nstdin: a\nstdin: b\nlines=2\nshutdown(stdout)=-1 ENOTSOCK\n"
    );
    assert_eq!(out.stderr, "to stderr\n");
    let out = sandbox.lucent().run(guests::C_STDIO, &["fail"]);
    out.expect_code(3);
    assert!(out.stdout.contains("GREETING=(unset)"));
}

/// What `fs_std` prints, on every backend.
pub(crate) const FS_STD_OUT: &str = "create_dir again: entity already exists\n\
         list d: [\"a.txt\", \"e\"]\n\
         b.txt: file=true len=9\n\
         d/e: dir=true\n\
         missing: entity not found\n\
         after rename d: [\"e\"], f: [\"a2.txt\"]\n\
         nlink-based read: beta beta\n\
         read_link: \"e/b.txt\"\n\
         through symlink: beta beta\n\
         symlink_metadata is_symlink: true\n\
         absolute symlink: 63\n\
         set_len 100: 100\n\
         pos after write: 3\n\
         content: \"xyz\"\n\
         mtime set: true\n\
         remove non-empty dir: true\n\
         final d: [\"sized.bin\"]\n\
         many: 300\n";

#[test]
fn fs_std() {
    let sandbox = Sandbox::new();
    let out = sandbox.lucent().run(guests::FS_STD, &[]);
    out.expect_success();
    assert_eq!(out.stdout, FS_STD_OUT);
    assert_eq!(std::fs::read(sandbox.path("d/sized.bin")).unwrap(), b"xyz");
    sandbox.assert_outside_untouched();
}

/// The same program, the same output, with its working directory in memory (`--tmpfs`).
#[test]
fn fs_std_on_a_tmpfs() {
    let out = Run::new().opts(["--tmpfs", "."]).run(guests::FS_STD, &[]);
    out.expect_success();
    assert_eq!(out.stdout, FS_STD_OUT);
    // Traced, the same calls show as on the host: the trace is the ABI's, whatever the backend.
    let out = Run::new().opts(["--tmpfs", ".", "--trace"]).run(guests::FS_STD, &[]);
    out.expect_success();
    assert_eq!(out.stdout, FS_STD_OUT);
    let traced = |call: &str| out.stderr.lines().filter(|l| l.starts_with(call)).count();
    assert!(traced("path_open(fd=3, ") > 3 && traced("fd_readdir(fd=") > 0, "{}", out.stderr);
    assert!(out.stderr.lines().any(|l| l.starts_with("path_create_directory(fd=3, ") && l.ends_with("= 20 (exist)")));
    let out = Run::new().opts(["--tmpfs", ".:size=lots"]).run(guests::FS_STD, &[]);
    assert!(out.stderr.contains("invalid --tmpfs `.:size=lots`"), "{}", out.stderr);
}
