//! `poll_oneoff` (clocks, descriptors, per-subscription errors), non-blocking stdin,
//! `proc_raise` and `sched_yield`. Guests that wait on stdin are driven by hand: the test
//! writes to (or closes) their stdin only after reading the line that says they got there.

use crate::harness::{Sandbox, lucent_command};
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::thread::JoinHandle;
use std::time::Duration;
use test_programs_artifacts as guests;

/// How long to wait for a guest's next line before declaring it stuck.
const PATIENCE: Duration = Duration::from_secs(60);

/// A guest run with piped stdio, its stdout read line by line.
struct Driven {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<String>,
    stderr: Option<JoinHandle<String>>,
}

impl Driven {
    /// Starts `module` with the sandbox preopened as `.` and guest arguments `args`.
    fn spawn(sandbox: &Sandbox, module: &str, args: &[&str]) -> Self {
        let mut child = lucent_command()
            .arg("run")
            .arg("--dir")
            .arg(format!("{}::.", sandbox.dir().display()))
            .arg(module)
            .args(args)
            .env_remove("LUCENT_LOG")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn lucent");
        let stdout = child.stdout.take().unwrap();
        let (send, lines) = channel();
        std::thread::spawn(move || {
            let mut stdout = BufReader::new(stdout);
            loop {
                let mut line = String::new();
                match stdout.read_line(&mut line) {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {
                        if send.send(line).is_err() {
                            break;
                        }
                    }
                }
            }
        });
        let mut stderr = child.stderr.take().unwrap();
        let stderr = std::thread::spawn(move || {
            let mut text = String::new();
            let _ = stderr.read_to_string(&mut text);
            text
        });
        Driven { stdin: child.stdin.take(), child, lines, stderr: Some(stderr) }
    }

    /// Stops the guest and fails the test with `what` and the guest's stderr.
    #[track_caller]
    fn fail(&mut self, what: &str) -> ! {
        let _ = self.child.kill();
        let status = self.child.wait();
        self.stdin = None;
        let stderr = self.stderr.take().map(|h| h.join().unwrap_or_default()).unwrap_or_default();
        panic!("{what}\nstatus: {status:?}\nstderr:\n{stderr}");
    }

    /// Waits for the guest's next line and asserts it is `want`.
    #[track_caller]
    fn expect(&mut self, want: &str) {
        match self.lines.recv_timeout(PATIENCE) {
            Ok(line) if line == want => {}
            Ok(line) => self.fail(&format!("expected {want:?}, the guest printed {line:?}")),
            Err(RecvTimeoutError::Timeout) => self.fail(&format!("the guest never printed {want:?}")),
            Err(RecvTimeoutError::Disconnected) => self.fail(&format!("the guest ended before printing {want:?}")),
        }
    }

    /// Writes `data` to the guest's stdin, keeping it open.
    fn write(&mut self, data: &[u8]) {
        let stdin = self.stdin.as_mut().expect("stdin is open");
        stdin.write_all(data).unwrap();
        stdin.flush().unwrap();
    }

    /// Closes the guest's stdin.
    fn close_stdin(&mut self) {
        self.stdin = None;
    }

    /// Waits for the guest to end; asserts it succeeded and printed nothing more.
    #[track_caller]
    fn finish(mut self) {
        self.stdin = None;
        match self.lines.recv_timeout(PATIENCE) {
            Err(RecvTimeoutError::Disconnected) => {}
            Ok(line) => self.fail(&format!("unexpected output {line:?}")),
            Err(RecvTimeoutError::Timeout) => self.fail("the guest did not end"),
        }
        let status = self.child.wait().unwrap();
        let stderr = self.stderr.take().unwrap().join().unwrap();
        assert!(status.success(), "status {status:?}\nstderr:\n{stderr}");
        assert_eq!(stderr, "");
    }
}

/// Relative and absolute timeouts on every clock, past deadlines, the earliest of several
/// clocks, the event array.
#[test]
fn clock_subscriptions() {
    let out = Sandbox::new().lucent().run(guests::POLL_CLOCKS, &[]);
    out.expect_success();
    assert_eq!(out.stdout, "poll clocks ok\n");
    assert_eq!(out.stderr, "");
}

/// Stdout writable, regular files ready with the bytes left, per-subscription errors (`badf`,
/// `notcapable` for a missing right and for directories) alongside ready events, and the
/// errors of the whole call.
#[test]
fn descriptor_subscriptions_and_errors() {
    let sandbox = Sandbox::new();
    sandbox.write("data.txt", "0123456789");
    std::fs::create_dir(sandbox.path("sub")).unwrap();
    let out = sandbox.lucent().run(guests::POLL_FDS, &[]);
    out.expect_success();
    assert_eq!(out.stdout, "poll fds ok\n");
    assert_eq!(out.stderr, "");
    assert_eq!(sandbox.read("data.txt"), "0123456789");
    sandbox.assert_outside_untouched();
}

/// Stdin: open and empty (the clock fires), five bytes written (ready with `nbytes` 5, also
/// mixed with a clock and a file), closed (hang-up).
#[test]
fn stdin_pipe_empty_then_data_then_hangup() {
    let sandbox = Sandbox::new();
    sandbox.write("data.txt", "0123456789");
    let mut guest = Driven::spawn(&sandbox, guests::POLL_STDIN, &[]);
    guest.expect("ready\n");
    guest.expect("empty: timeout\n");
    guest.write(b"hello");
    guest.expect("data: hello\n");
    guest.close_stdin();
    guest.expect("hangup\n");
    guest.finish();
}

/// Emulated `NONBLOCK` on stdin: `again` on an open empty pipe, the data once written, end of
/// file once closed; the flag clears; `append` is `notsup`.
#[test]
fn nonblocking_stdin() {
    let sandbox = Sandbox::new();
    let mut guest = Driven::spawn(&sandbox, guests::POLL_STDIN_NONBLOCK, &[]);
    guest.expect("again\n");
    // The guest's NONBLOCK is emulated: the open file description Lucent shares with its
    // parent (this test) is still blocking.
    let fdinfo = std::fs::read_to_string(format!("/proc/{}/fdinfo/0", guest.child.id())).unwrap();
    let flags = fdinfo.lines().find_map(|l| l.strip_prefix("flags:")).expect("flags in fdinfo");
    let flags = u32::from_str_radix(flags.trim(), 8).unwrap();
    assert_eq!(flags & 0o4000, 0, "O_NONBLOCK is set on Lucent's stdin: {fdinfo}");
    guest.write(b"data");
    guest.expect("data: data\n");
    guest.close_stdin();
    guest.expect("eof\n");
    guest.finish();
}

/// Emulated `NONBLOCK` on stdout: writes into a pipe nobody reads fill it and then give
/// `again`; none blocks, however large (`poll` promises room for `PIPE_BUF` bytes only, so a
/// write larger than the free space would otherwise wait for a reader forever).
#[test]
fn nonblocking_stdout_never_blocks_on_a_full_pipe() {
    // Sets NONBLOCK on fd 1, then writes 1 MiB at a time until `again` (exit 0); another
    // error exits 2, and 64 MiB written (a pipe cannot hold that) exits 3.
    let (_dir, wat) = crate::harness::wat_file(
        r#"(module
            (import "wasi_snapshot_preview1" "fd_fdstat_set_flags" (func $flags (param i32 i32) (result i32)))
            (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
            (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
            (memory (export "memory") 18)
            (func (export "_start")
                (local $err i32) (local $total i32)
                (drop (call $flags (i32.const 1) (i32.const 4)))
                (i32.store (i32.const 0) (i32.const 65536))
                (i32.store (i32.const 4) (i32.const 1048576))
                (loop $more
                    (local.set $err (call $write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
                    (if (i32.eq (local.get $err) (i32.const 6)) (then (call $exit (i32.const 0))))
                    (if (local.get $err) (then (call $exit (i32.const 2))))
                    (local.set $total (i32.add (local.get $total) (i32.load (i32.const 8))))
                    (if (i32.gt_u (local.get $total) (i32.const 67108864)) (then (call $exit (i32.const 3))))
                    (br $more))))"#,
    );
    let (reader, writer) = std::io::pipe().unwrap();
    let mut child =
        lucent_command().arg(&wat).stdin(Stdio::null()).stdout(writer).stderr(Stdio::piped()).spawn().unwrap();
    let deadline = std::time::Instant::now() + PATIENCE;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if std::time::Instant::now() > deadline {
            child.kill().unwrap();
            panic!("the guest blocked writing to a full pipe with NONBLOCK set");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    drop(reader);
    let mut stderr = String::new();
    child.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
    assert_eq!(status.code(), Some(0), "{stderr}");
}

/// Signals whose default action is to ignore or stop return 0; unknown ones are `inval`;
/// `sched_yield` returns 0.
#[test]
fn proc_raise_ignored_signals_and_sched_yield() {
    let out = Sandbox::new().lucent().run(guests::PROC_RAISE, &["continue"]);
    out.expect_success();
    assert_eq!(out.stdout, "still running\n");
    assert_eq!(out.stderr, "");
}

/// A signal whose default action terminates ends the run at once, with status 128 + its
/// Linux number (one more than WASI's from `chld` on: xcpu 23 → 152, sys 30 → 159).
#[test]
fn proc_raise_terminating_signals() {
    for (sig, status) in [
        (15, 143),
        (9, 137),
        (1, 129),
        (2, 130),
        (3, 131),
        (6, 134),
        (10, 138),
        (13, 141),
        (14, 142),
        (23, 152),
        (30, 159),
    ] {
        let out = Sandbox::new().lucent().run(guests::PROC_RAISE, &["raise", &sig.to_string()]);
        out.expect_code(status);
        assert_eq!(out.stdout, format!("before {sig}\n"), "signal {sig}");
        assert_eq!(out.stderr, "", "signal {sig}");
    }
}
