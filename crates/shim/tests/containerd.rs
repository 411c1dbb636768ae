//! The shim under a real containerd: each test starts its own `containerd` (Debian's, with
//! runc) with its root, state and socket in a temporary directory and the shim on its PATH,
//! imports an OCI image layout it builds itself (no registry is reachable), runs it with
//! `ctr run --runtime io.containerd.lucent.v1`, and stops containerd by its process id.
//!
//! Needs root, `containerd`, `ctr` and `runc` (`.ci/run` installs them); a machine without
//! them fails here, saying what is missing.

mod support;

use std::process::Stdio;
use std::time::{Duration, Instant};
use support::{Containerd, Image, RUNTIME, text};

#[test]
fn hello_gets_its_arguments_and_environment() {
    let containerd = Containerd::start();
    let image = Image::guest("hello", &["hello", "one", "two words"], &[]);
    containerd.import(&image);
    let (status, out, err) = containerd.run(&image, "hello", &[], &[]);
    assert_eq!(status, 0, "stderr: {err}\nlog: {}", containerd.log());
    assert_eq!(out, "hello from /app/guest.wasm: [\"one\", \"two words\"]\nGREETING=from the image\n");
    // Arguments and environment given to `ctr run` replace the image's.
    let (status, out, err) =
        containerd.run(&image, "hello2", &["--env", "GREETING=from ctr"], &["/app/guest.wasm", "hello", "-x"]);
    assert_eq!(status, 0, "stderr: {err}");
    assert_eq!(out, "hello from /app/guest.wasm: [\"-x\"]\nGREETING=from ctr\n");
}

#[test]
fn files_exit_statuses_and_traps() {
    let containerd = Containerd::start();
    let image = Image::guest("files", &["cat", "/etc/motd"], &[("etc/motd", b"shipped in the image\n")]);
    containerd.import(&image);
    let (status, out, err) = containerd.run(&image, "cat", &[], &[]);
    assert_eq!((status, out.as_str()), (0, "shipped in the image\n"), "stderr: {err}");
    let (status, _, err) = containerd.run(&image, "exit", &[], &["/app/guest.wasm", "exit", "42"]);
    assert_eq!(status, 42, "stderr: {err}");
    let (status, out, err) = containerd.run(&image, "trap", &[], &["/app/guest.wasm", "trap"]);
    assert_eq!((status, out.as_str()), (134, "about to trap\n"), "stderr: {err}");
    assert!(err.contains("unreachable"), "the trap is reported on stderr: {err}");
    // What is not a module is refused, saying why.
    let (status, _, err) = containerd.run(&image, "notwasm", &[], &["/etc/motd"]);
    assert_ne!(status, 0, "stderr: {err}");
}

/// `path#function` as the entrypoint calls that export instead of `_start`.
#[test]
fn an_entrypoint_may_name_the_function() {
    let containerd = Containerd::start();
    let wat = br#"(module
        (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
        (memory (export "memory") 1)
        (func (export "_start") (call $exit (i32.const 3)))
        (func (export "seven") (call $exit (i32.const 7))))"#;
    let image = Image::guest("func", &[], &[("app/funcs.wat", wat)]);
    containerd.import(&image);
    let (status, _, err) = containerd.run(&image, "start", &[], &["/app/funcs.wat"]);
    assert_eq!(status, 3, "{err}");
    let (status, _, err) = containerd.run(&image, "seven", &[], &["/app/funcs.wat#seven"]);
    assert_eq!(status, 7, "{err}");
}

/// The container's `/proc` (where `/proc/self/mem` is the runtime's own memory), `/sys` and
/// `/dev` are the kernel's, not the guest's: none can be entered.
#[test]
fn the_kernels_files_are_withheld() {
    let containerd = Containerd::start();
    let image = Image::guest("kernel", &["kernel"], &[]);
    containerd.import(&image);
    let (status, out, err) = containerd.run(&image, "kernel", &[], &[]);
    assert_eq!(status, 0, "stderr: {err}");
    for path in ["/proc/self/mem", "/proc/self/environ", "/sys/fs/cgroup", "/dev/null", "/proc"] {
        let line = out.lines().find(|l| l.starts_with(&format!("{path}: "))).unwrap_or_default();
        assert!(line.contains("errno 2"), "{path} must not be opened: {out}");
    }
    assert!(out.contains("/ holds proc: true"), "the root itself is listed: {out}");
}

/// The container's memory limit is the guest's (less the runtime's reserve): growth fails in
/// the guest instead of the kernel killing the container. The shim reads the limit from the
/// container's cgroup, which the container sees where its spec mounts the cgroup file system
/// (Kubernetes' do; `ctr run` needs `--mount type=cgroup,...`).
#[test]
fn the_memory_limit_bounds_the_guest() {
    let containerd = Containerd::start();
    let image = Image::guest("grow", &["grow"], &[]);
    containerd.import(&image);
    let limit = (128u64 << 20).to_string();
    let cgroup = "type=cgroup,src=cgroup,dst=/sys/fs/cgroup,options=ro:nosuid:noexec:nodev";
    let (status, out, err) = containerd.run(&image, "grow", &["--memory-limit", &limit, "--mount", cgroup], &[]);
    assert_eq!(status, 0, "stderr: {err}");
    let held: u64 = out.trim().strip_prefix("held ").and_then(|s| s.strip_suffix(" MiB")).unwrap().parse().unwrap();
    assert!((80..=96).contains(&held), "a 128 MiB container's guest held {held} MiB: {out}");
}

/// `ctr task kill` (SIGTERM) stops a guest spinning in WebAssembly code, promptly.
#[test]
fn kill_stops_a_spinning_guest() {
    let containerd = Containerd::start();
    let image = Image::guest("spin", &["spin"], &[]);
    containerd.import(&image);
    let name = image.name();
    let out = containerd.ctr(&["run", "-d", "--runtime", RUNTIME, &name, "spin"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    std::thread::sleep(Duration::from_millis(500));
    let started = Instant::now();
    let out = containerd.ctr(&["task", "kill", "spin"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    loop {
        let out = containerd.ctr(&["task", "ls"]);
        let line = text(&out.stdout).lines().find(|l| l.starts_with("spin ")).map(str::to_string);
        if line.as_deref().is_some_and(|l| l.contains("STOPPED")) {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(5), "still running: {line:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
    // `ctr task delete` reports the task's status: 128 + SIGTERM.
    let deleted = containerd.ctr(&["task", "delete", "spin"]);
    assert!(text(&deleted.stderr).contains("exit code 143"), "{}", text(&deleted.stderr));
    let _ = containerd.ctr(&["container", "delete", "spin"]);
}

/// Two containers of one image at once, each with its own arguments.
#[test]
fn two_containers_of_one_image_run_at_once() {
    let containerd = Containerd::start();
    let image = Image::guest("twice", &["hello"], &[]);
    containerd.import(&image);
    let runs: Vec<_> = ["a", "b"]
        .into_iter()
        .map(|id| {
            let name = image.name();
            let mut command =
                containerd.command(&["run", "--rm", "--runtime", RUNTIME, &name, id, "/app/guest.wasm", "hello", id]);
            command.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap()
        })
        .collect();
    for (run, id) in runs.into_iter().zip(["a", "b"]) {
        let out = run.wait_with_output().unwrap();
        assert!(out.status.success(), "{}", text(&out.stderr));
        assert!(text(&out.stdout).starts_with(&format!("hello from /app/guest.wasm: [\"{id}\"]")));
    }
}

/// The shim compiles the modules of an image's layers when its first container is created and
/// containerd keeps the code beside the layer (labelled for this shim); later containers load
/// it. The start-up benchmark (`benches/startup.rs`) reports the time either way.
#[test]
fn the_modules_of_an_image_are_compiled_once_and_kept() {
    let containerd = Containerd::start();
    let image = Image::guest("aot", &["hello", "aot"], &[]);
    containerd.import(&image);
    let labelled = || text(&containerd.ctr(&["content", "ls"]).stdout).contains("runwasi.io/precompiled/lucent/");
    assert!(!labelled(), "nothing is compiled before a container is created");
    for id in ["first", "second"] {
        let (status, out, err) = containerd.run(&image, id, &[], &[]);
        assert_eq!((status, out.lines().next()), (0, Some("hello from /app/guest.wasm: [\"aot\"]")), "{err}");
        assert!(labelled(), "the compiled code is kept: {}", containerd.log());
    }
}
