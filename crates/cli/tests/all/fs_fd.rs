//! Filesystem functions on open descriptors (`fd_*`), guest-program tests.
//!
//! Each guest program (`fd_fs_*`) covers one family of calls and takes a subcommand naming
//! the case; it checks errnos itself, prints `SUBCOMMAND ok` at the end, and sometimes prints
//! what it saw so that the test can compare with the host's view of the files.

use crate::harness::{Output, Sandbox};
use std::os::unix::fs::MetadataExt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use test_programs_artifacts as guests;

/// Runs `guest` with the subcommand `case` in `sandbox`; asserts it succeeded and ended with
/// `CASE ok`, and that nothing outside the sandbox changed.
#[track_caller]
fn run(sandbox: &Sandbox, guest: &str, case: &str) -> Output {
    let out = sandbox.lucent().run(guest, &[case]);
    out.expect_success();
    assert!(out.stdout.ends_with(&format!("{case} ok\n")), "stdout:\n{}\nstderr:\n{}", out.stdout, out.stderr);
    assert_eq!(out.stderr, "");
    sandbox.assert_outside_untouched();
    out
}

/// The value of `key=` in the line of `out` starting with `prefix`.
#[track_caller]
fn field(out: &Output, prefix: &str, key: &str) -> u64 {
    let line = out.stdout.lines().find(|l| l.starts_with(prefix)).unwrap_or_else(|| panic!("no {prefix} line"));
    let value = line
        .split_whitespace()
        .find_map(|w| w.strip_prefix(&format!("{key}=")))
        .unwrap_or_else(|| panic!("no {key}= in {line:?}"));
    value.parse().unwrap_or_else(|e| panic!("{key}= in {line:?}: {e}"))
}

/// Nanoseconds since the epoch of a host time.
fn nanos(t: SystemTime) -> u64 {
    u64::try_from(t.duration_since(UNIX_EPOCH).unwrap().as_nanos()).unwrap()
}

/// `atime` and `mtime` of a host path in nanoseconds (not following a symlink).
fn host_times(path: &std::path::Path) -> (u64, u64) {
    let m = std::fs::symlink_metadata(path).unwrap();
    let ns = |secs: i64, nsec: i64| u64::try_from(secs).unwrap() * 1_000_000_000 + u64::try_from(nsec).unwrap();
    (ns(m.atime(), m.atime_nsec()), ns(m.mtime(), m.mtime_nsec()))
}

fn data_sandbox() -> Sandbox {
    let sandbox = Sandbox::new();
    sandbox.write("data.txt", "0123456789");
    sandbox
}

// fd_pread, fd_pwrite, fd_tell

/// pread and pwrite leave the position unchanged (fd_tell before and after); plain reads
/// continue from it; pwrite past the end leaves a hole; iovec lists gather and scatter.
#[test]
fn pread_pwrite_leave_the_position_unchanged() {
    let sandbox = data_sandbox();
    run(&sandbox, guests::FD_FS_PIO, "position");
    assert_eq!(std::fs::read(sandbox.path("data.txt")).unwrap(), b"ab234567AB\0\0XY");
}

/// pread at or past the end of the file returns 0 bytes.
#[test]
fn pread_at_eof_returns_zero() {
    let sandbox = data_sandbox();
    run(&sandbox, guests::FD_FS_PIO, "eof");
    assert_eq!(sandbox.read("data.txt"), "0123456789");
}

/// An offset above `i64::MAX` is `inval` for both, and nothing is written.
#[test]
fn pread_pwrite_offset_beyond_i64_max_is_inval() {
    let sandbox = data_sandbox();
    run(&sandbox, guests::FD_FS_PIO, "offset_too_big");
    assert_eq!(sandbox.read("data.txt"), "0123456789");
}

/// badf, notcapable (each of the two rights missing, directories), fault for buffers, iovec
/// lists and result pointers outside memory (a faulting pwrite writes nothing), inval for
/// misaligned results and oversized iovec lists.
#[test]
fn pread_pwrite_errors() {
    let sandbox = data_sandbox();
    run(&sandbox, guests::FD_FS_PIO, "errors");
    assert_eq!(sandbox.read("data.txt"), "0123456789");
}

/// fd_tell after reads and seeks; FD_TELL is the right it needs; directories, bad
/// descriptors and bad result pointers.
#[test]
fn tell() {
    let sandbox = data_sandbox();
    run(&sandbox, guests::FD_FS_PIO, "tell");
    assert_eq!(sandbox.read("data.txt"), "0123456789");
}

// fd_filestat_set_size, fd_allocate

fn size_sandbox() -> Sandbox {
    let sandbox = Sandbox::new();
    sandbox.write("grow.txt", "hello");
    sandbox.write("shrink.txt", "hello world");
    sandbox.write("alloc.txt", "abc");
    sandbox
}

/// fd_filestat_set_size extends (with zeros) and shrinks; the host sees the sizes; the
/// position does not move.
#[test]
fn set_size_extends_and_shrinks() {
    let sandbox = size_sandbox();
    run(&sandbox, guests::FD_FS_SIZE, "set_size");
    let mut grown = b"hello".to_vec();
    grown.resize(100, 0);
    assert_eq!(std::fs::read(sandbox.path("grow.txt")).unwrap(), grown);
    assert_eq!(sandbox.read("shrink.txt"), "hel");
}

/// badf, notcapable (no right, directories), inval for a size above `i64::MAX`.
#[test]
fn set_size_errors() {
    let sandbox = size_sandbox();
    run(&sandbox, guests::FD_FS_SIZE, "set_size_errors");
    assert_eq!(sandbox.read("grow.txt"), "hello");
}

/// fd_allocate extends the file to the end of the range and never shrinks it.
#[test]
fn allocate_extends() {
    let sandbox = size_sandbox();
    run(&sandbox, guests::FD_FS_SIZE, "allocate");
    let mut want = b"abc".to_vec();
    want.resize(250, 0);
    assert_eq!(std::fs::read(sandbox.path("alloc.txt")).unwrap(), want);
}

/// A zero length, or a range past `i64::MAX`, is inval; badf; notcapable.
#[test]
fn allocate_len_zero_is_inval() {
    let sandbox = size_sandbox();
    run(&sandbox, guests::FD_FS_SIZE, "allocate_errors");
    assert_eq!(sandbox.read("alloc.txt"), "abc");
}

// fd_fdstat_set_rights

/// Narrowing works and fdstat shows it; widening afterwards is notcapable; without FD_READ,
/// fd_read is notcapable; badf.
#[test]
fn set_rights_only_narrows() {
    let sandbox = Sandbox::new();
    sandbox.write("file.txt", "hello");
    run(&sandbox, guests::FD_FS_RIGHTS, "narrow");
    assert_eq!(sandbox.read("file.txt"), "hello");
}

/// Narrowing a directory's inheriting rights limits what is opened through it.
#[test]
fn set_rights_narrows_inheriting_rights() {
    let sandbox = Sandbox::new();
    sandbox.write("file.txt", "hello");
    run(&sandbox, guests::FD_FS_RIGHTS, "inheriting");
    assert_eq!(sandbox.read("file.txt"), "hello");
}

// fd_readdir

/// A 200-entry directory read through a 100-byte buffer, resuming each time from the last
/// complete entry's `d_next` (with other reads in between): every name once, the same as the
/// host's listing plus `.` and `..`.
#[test]
fn readdir_cookies_stay_valid_across_calls() {
    let sandbox = Sandbox::new();
    std::fs::create_dir(sandbox.path("many")).unwrap();
    for i in 0..200 {
        sandbox.write(&format!("many/f{i:03}"), "");
    }
    let out = run(&sandbox, guests::FD_FS_READDIR, "cookies");
    let mut host: Vec<String> = std::fs::read_dir(sandbox.path("many"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .chain([".".to_string(), "..".to_string()])
        .collect();
    host.sort();
    assert_eq!(host.len(), 202);
    let line = out.stdout.lines().find_map(|l| l.strip_prefix("names: ")).expect("names line");
    assert_eq!(line.split(',').collect::<Vec<_>>(), host);
}

/// A buffer too small for one entry comes back full (bufused == buf_len) with the start of
/// the entry; a larger buffer then gets it.
#[test]
fn readdir_buffer_too_small_for_one_entry() {
    let sandbox = Sandbox::new();
    sandbox.write("one/a_file_with_a_longer_name.txt", "x");
    run(&sandbox, guests::FD_FS_READDIR, "truncated");
}

/// A cookie at or past the end gives bufused 0.
#[test]
fn readdir_cookie_past_the_end() {
    let sandbox = Sandbox::new();
    for name in ["a", "b", "c"] {
        sandbox.write(&format!("few/{name}"), name);
    }
    run(&sandbox, guests::FD_FS_READDIR, "past_end");
}

/// d_type and d_ino of a file, a directory, a symlink (not followed), `.` and `..` match the
/// host's.
#[test]
fn readdir_types_and_inodes() {
    let sandbox = Sandbox::new();
    sandbox.write("kinds/file.txt", "file");
    std::fs::create_dir(sandbox.path("kinds/subdir")).unwrap();
    sandbox.symlink("file.txt", "kinds/link");
    let out = run(&sandbox, guests::FD_FS_READDIR, "types");
    let ino = |p: &std::path::Path| std::fs::symlink_metadata(p).unwrap().ino();
    let kinds = sandbox.path("kinds");
    let want = format!(
        "entry . 3 {}\nentry .. 3 {}\nentry file.txt 4 {}\nentry link 7 {}\nentry subdir 3 {}\ntop kinds 3 {}\ntypes ok\n",
        ino(&kinds),
        ino(&sandbox.dir()),
        ino(&kinds.join("file.txt")),
        ino(&kinds.join("link")),
        ino(&kinds.join("subdir")),
        ino(&kinds),
    );
    assert_eq!(out.stdout, want);
    // The symlink's inode is its own, not its target's.
    assert_ne!(ino(&kinds.join("link")), ino(&kinds.join("file.txt")));
}

/// badf; notcapable on a file and on a directory without FD_READDIR; fault for the buffer
/// and for bufused outside memory; inval for a misaligned bufused.
#[test]
fn readdir_errors() {
    let sandbox = Sandbox::new();
    sandbox.write("kinds/file.txt", "file");
    for name in ["a", "b", "c"] {
        sandbox.write(&format!("few/{name}"), name);
    }
    run(&sandbox, guests::FD_FS_READDIR, "errors");
}

// O_APPEND

fn log_sandbox() -> Sandbox {
    let sandbox = Sandbox::new();
    sandbox.write("log.txt", "0123456789");
    sandbox
}

/// With APPEND, writes go to the end even after fd_seek to 0; reads use the position.
#[test]
fn append_writes_go_to_the_end_after_seek() {
    let sandbox = log_sandbox();
    run(&sandbox, guests::FD_FS_APPEND, "seek");
    assert_eq!(sandbox.read("log.txt"), "0123456789abcXY");
}

/// fd_tell after an appending write reports the end of the file.
#[test]
fn append_tell_after_write_is_the_end() {
    let sandbox = log_sandbox();
    run(&sandbox, guests::FD_FS_APPEND, "tell");
    assert_eq!(sandbox.read("log.txt"), "0123456789abcd");
}

/// fd_pwrite on an APPEND descriptor writes at the end whatever the offset (Lucent documents
/// it, as Linux does) and leaves the position unchanged; without APPEND it writes in place.
#[test]
fn append_pwrite_goes_to_the_end() {
    let sandbox = log_sandbox();
    run(&sandbox, guests::FD_FS_APPEND, "pwrite");
    assert_eq!(sandbox.read("log.txt"), "z123456789PQRS");
}

// fd_renumber

fn ab_sandbox() -> Sandbox {
    let sandbox = Sandbox::new();
    sandbox.write("a.txt", "alpha");
    sandbox.write("b.txt", "bravo");
    sandbox
}

/// Renumbering a descriptor onto itself succeeds; it still works.
#[test]
fn renumber_onto_itself() {
    run(&ab_sandbox(), guests::FD_FS_RENUMBER, "onto_itself");
}

/// From or onto a closed (or never opened) descriptor: badf, nothing changes.
#[test]
fn renumber_closed_descriptors_are_badf() {
    run(&ab_sandbox(), guests::FD_FS_RENUMBER, "closed");
}

/// Onto an open file: it is replaced, the source number is freed and reused.
#[test]
fn renumber_onto_an_open_file() {
    run(&ab_sandbox(), guests::FD_FS_RENUMBER, "onto_open_file");
}

/// Onto the preopen: fd_prestat_get on it is then badf, the file works under number 3, the
/// old number is free and taken by the next open.
#[test]
fn renumber_onto_the_preopen_replaces_it() {
    let sandbox = ab_sandbox();
    run(&sandbox, guests::FD_FS_RENUMBER, "onto_preopen");
    assert_eq!(sandbox.read("a.txt"), "alpha");
    assert_eq!(sandbox.read("b.txt"), "bravo");
}

// fd_filestat_set_times

fn times_sandbox() -> Sandbox {
    let sandbox = Sandbox::new();
    sandbox.write("t.txt", "times");
    std::fs::create_dir(sandbox.path("d")).unwrap();
    sandbox
}

/// ATIM_NOW and MTIM_NOW set times close to the guest's realtime clock (and to the host's),
/// each flag only its own time.
#[test]
fn set_times_now() {
    let sandbox = times_sandbox();
    let before = nanos(SystemTime::now());
    let out = run(&sandbox, guests::FD_FS_TIMES, "now");
    let after = nanos(SystemTime::now());
    let slack = Duration::from_secs(5).as_nanos() as u64;
    let (atim, mtim) = host_times(&sandbox.path("t.txt"));
    assert_eq!((field(&out, "now", "atim"), field(&out, "now", "mtim")), (atim, mtim));
    for t in [atim, mtim, field(&out, "now", "clock")] {
        assert!(t + slack >= before && t <= after + slack, "{t} not within [{before}, {after}]");
    }
}

/// ATIM with ATIM_NOW (or MTIM with MTIM_NOW), and unknown flag bits: inval, nothing changes.
#[test]
fn set_times_time_and_now_together_is_inval() {
    let sandbox = times_sandbox();
    run(&sandbox, guests::FD_FS_TIMES, "time_and_now");
    assert_eq!(host_times(&sandbox.path("t.txt")), (1_234_567_890_123_456_789, 1_111_111_111_987_654_321));
}

/// Explicit times round-trip through fd_filestat_get to the nanosecond, and the host sees
/// them: on a file, on a directory (the epoch), on the preopen.
#[test]
fn set_times_explicit_round_trip() {
    let sandbox = times_sandbox();
    run(&sandbox, guests::FD_FS_TIMES, "explicit");
    assert_eq!(host_times(&sandbox.path("t.txt")), (1_300_000_000_000_000_001, 1_400_000_000_999_999_999));
    assert_eq!(host_times(&sandbox.path("d")), (0, 5));
    assert_eq!(host_times(&sandbox.dir()), (1_234_567_890_123_456_789, 1_111_111_111_987_654_321));
}

/// u64::MAX nanoseconds (2554-07-21) is past what ext4 stores (2446): Linux clamps it to
/// the filesystem's latest time and the call succeeds; what reads back in the guest is what
/// the host sees, at least 2038-01-19 (the smallest range a Linux filesystem has) and never
/// more than asked. The run exits cleanly.
#[test]
fn set_times_beyond_the_host_range() {
    let sandbox = times_sandbox();
    let out = run(&sandbox, guests::FD_FS_TIMES, "huge");
    let y2038 = i32::MAX as u64 * 1_000_000_000;
    assert_eq!(field(&out, "huge errno", "errno"), 0, "{}", out.stdout);
    let (atim, mtim) = (field(&out, "huge errno", "atim"), field(&out, "huge errno", "mtim"));
    assert!(atim >= y2038 && mtim >= y2038, "{}", out.stdout);
    assert_eq!(field(&out, "huge mtim only", "errno"), 0, "{}", out.stdout);
    let (atim2, mtim2) = (field(&out, "huge mtim only", "atim"), field(&out, "huge mtim only", "mtim"));
    assert_eq!(atim2, atim, "MTIM alone changed atim");
    assert!(mtim2 >= y2038, "{}", out.stdout);
    assert_eq!(host_times(&sandbox.path("t.txt")), (atim2, mtim2));
    let host = std::fs::metadata(sandbox.path("t.txt")).unwrap();
    assert!(host.modified().unwrap() > UNIX_EPOCH + Duration::from_secs(i32::MAX as u64 - 1));
}

/// badf; notcapable on a file and on a directory without FD_FILESTAT_SET_TIMES.
#[test]
fn set_times_errors() {
    let sandbox = times_sandbox();
    let before = host_times(&sandbox.path("t.txt"));
    run(&sandbox, guests::FD_FS_TIMES, "errors");
    assert_eq!(host_times(&sandbox.path("t.txt")), before);
}

// fd_filestat_get

/// size, filetype, nlink (2 after a host hard link), ino and dev equal to the host's, on a
/// file, the preopen and a subdirectory.
#[test]
fn filestat_get_matches_the_host() {
    let sandbox = Sandbox::new();
    sandbox.write("file.txt", "hello");
    std::fs::hard_link(sandbox.path("file.txt"), sandbox.path("hard.txt")).unwrap();
    std::fs::create_dir(sandbox.path("sub")).unwrap();
    let out = run(&sandbox, guests::FD_FS_FILESTAT, "show");
    for (what, path, filetype) in
        [("file", sandbox.path("file.txt"), 4), ("preopen", sandbox.dir(), 3), ("sub", sandbox.path("sub"), 3)]
    {
        let m = std::fs::metadata(&path).unwrap();
        assert_eq!(field(&out, what, "dev"), m.dev(), "{what}");
        assert_eq!(field(&out, what, "ino"), m.ino(), "{what}");
        assert_eq!(field(&out, what, "filetype"), filetype, "{what}");
        assert_eq!(field(&out, what, "nlink"), m.nlink(), "{what}");
        assert_eq!(field(&out, what, "size"), m.size(), "{what}");
        let (_, mtim) = host_times(&path);
        assert_eq!(field(&out, what, "mtim"), mtim, "{what}");
        let ctim = u64::try_from(m.ctime()).unwrap() * 1_000_000_000 + u64::try_from(m.ctime_nsec()).unwrap();
        assert_eq!(field(&out, what, "ctim"), ctim, "{what}");
    }
    assert_eq!(field(&out, "file", "nlink"), 2);
    assert_eq!(field(&out, "file", "size"), 5);
    assert_eq!(sandbox.read("new.txt"), "four");
}

/// badf; notcapable without FD_FILESTAT_GET on a file and a directory; fault and inval for
/// bad result pointers.
#[test]
fn filestat_get_errors() {
    let sandbox = Sandbox::new();
    sandbox.write("file.txt", "hello");
    std::fs::create_dir(sandbox.path("sub")).unwrap();
    run(&sandbox, guests::FD_FS_FILESTAT, "errors");
}

// fd_advise, fd_datasync, fd_sync

fn sync_sandbox() -> Sandbox {
    let sandbox = Sandbox::new();
    sandbox.write("file.txt", "hello");
    std::fs::create_dir(sandbox.path("sub")).unwrap();
    sandbox
}

/// Every advice on ranges of a file (and on the preopen); unknown advice inval; badf;
/// notcapable.
#[test]
fn advise() {
    let sandbox = sync_sandbox();
    run(&sandbox, guests::FD_FS_SYNC, "advise");
    assert_eq!(sandbox.read("file.txt"), "hello");
}

/// fd_datasync on a written file; badf; notcapable on a file without the right and on
/// directories (which never hold FD_DATASYNC).
#[test]
fn datasync() {
    let sandbox = sync_sandbox();
    run(&sandbox, guests::FD_FS_SYNC, "datasync");
    assert_eq!(sandbox.read("file.txt"), "HEllo");
}

/// fd_sync on files and directories; badf; notcapable.
#[test]
fn sync() {
    let sandbox = sync_sandbox();
    run(&sandbox, guests::FD_FS_SYNC, "sync");
    assert_eq!(sandbox.read("file.txt"), "HEllo");
}

/// Runs the `readdir_hog` guest on `dir` (beneath the sandbox) with `count` descriptors;
/// returns the runner's peak resident memory (KiB) while it holds them all, after checking
/// that the last one still reads all `entries` (and `.` and `..`).
fn hog(sandbox: &Sandbox, dir: &str, count: usize, entries: usize, opts: &[&str]) -> u64 {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    let mut child = crate::harness::lucent_command()
        .arg("run")
        .args(["--max-memory", "16M", "--dir", &format!("{}::.", sandbox.dir().display())])
        .args(opts)
        .arg(guests::READDIR_HOG)
        .args([dir, &count.to_string()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let held = lines.next().unwrap().unwrap();
    assert!(held.starts_with(&format!("held {count} descriptors")), "{held}");
    let status = std::fs::read_to_string(format!("/proc/{}/status", child.id())).unwrap();
    let peak_kib: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse().ok())
        .unwrap();
    drop(child.stdin.take());
    let total = lines.next().unwrap().unwrap();
    assert!(child.wait().unwrap().success());
    assert_eq!(total, format!("{} entries", entries + 2), "{opts:?}");
    peak_kib
}

/// Makes `count` empty files with names of about `len` bytes in `dir`.
fn many_files(dir: &std::path::Path, count: usize, len: usize) {
    std::fs::create_dir(dir).unwrap();
    for i in 0..count {
        std::fs::File::create(dir.join(format!("{i:05}-{}", "n".repeat(len - 6)))).unwrap();
    }
}

/// The review's host-memory attack: 300 descriptors on a directory of 20,000 long names, each
/// having read its first entries, took 1.7 GB of host memory under `--max-memory 16M` (a copy
/// of the listing per descriptor). Now a listing is streamed from the kernel and the runner
/// stays small. With sorted listings (`--deterministic`), which need the whole directory, the
/// descriptors' snapshots share one bounded budget.
#[test]
fn many_descriptors_on_a_big_directory_do_not_grow_the_host() {
    let sandbox = Sandbox::new();
    many_files(&sandbox.path("big"), 20_000, 206);
    let peak = hog(&sandbox, "big", 300, 20_000, &[]);
    assert!(peak < 100 * 1024, "the runner peaked at {peak} KiB");
    // Sorted: 100 descriptors on 5,000 names of 250 bytes (1.5 MB a listing: 150 MB if each
    // kept its own).
    many_files(&sandbox.path("sorted"), 5_000, 250);
    let peak = hog(&sandbox, "sorted", 100, 5_000, &["--deterministic"]);
    assert!(peak < 100 * 1024, "the runner peaked at {peak} KiB with sorted listings");
}

/// The review's attack on the host's own log: with stdout a host file the host appends to
/// (`lucent prog >> app.log`), the guest could truncate it, preallocate 100 MiB and set its
/// times to 1970. The standard streams now carry only a stream's rights: each attempt is
/// `notcapable` (76), and the guest's line is appended after the host's.
#[test]
fn the_hosts_stdout_file_is_not_the_guests_to_change() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("app.log");
    std::fs::write(&log, "host line\n").unwrap();
    let wat = r#"(module
        (import "wasi_snapshot_preview1" "fd_filestat_set_size" (func $set_size (param i32 i64) (result i32)))
        (import "wasi_snapshot_preview1" "fd_allocate" (func $allocate (param i32 i64 i64) (result i32)))
        (import "wasi_snapshot_preview1" "fd_filestat_set_times" (func $set_times (param i32 i64 i64 i32) (result i32)))
        (import "wasi_snapshot_preview1" "fd_seek" (func $seek (param i32 i64 i32 i32) (result i32)))
        (import "wasi_snapshot_preview1" "fd_pwrite" (func $pwrite (param i32 i32 i32 i64 i32) (result i32)))
        (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
        (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
        (memory (export "memory") 1)
        (data (i32.const 16) "guest line\0a")
        (func $expect (param $got i32) (param $id i32)
            (if (i32.ne (local.get $got) (i32.const 76)) (then (call $exit (local.get $id)))))
        (func (export "_start")
            (i32.store (i32.const 0) (i32.const 16))
            (i32.store (i32.const 4) (i32.const 11))
            (call $expect (call $set_size (i32.const 1) (i64.const 0)) (i32.const 1))
            (call $expect (call $allocate (i32.const 1) (i64.const 0) (i64.const 104857600)) (i32.const 2))
            ;; both times to 0 (1970)
            (call $expect (call $set_times (i32.const 1) (i64.const 0) (i64.const 0) (i32.const 5)) (i32.const 3))
            (call $expect (call $seek (i32.const 1) (i64.const 0) (i32.const 0) (i32.const 8)) (i32.const 4))
            (call $expect (call $pwrite (i32.const 1) (i32.const 0) (i32.const 1) (i64.const 0) (i32.const 8)) (i32.const 5))
            (call $expect (call $set_size (i32.const 2) (i64.const 0)) (i32.const 6))
            (drop (call $write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))"#;
    let (_wat_dir, module) = crate::harness::wat_file(wat);
    let stdout = std::fs::OpenOptions::new().append(true).open(&log).unwrap();
    let stderr = std::fs::OpenOptions::new().append(true).open(&log).unwrap();
    let status =
        crate::harness::lucent_command().arg("run").arg(&module).stdout(stdout).stderr(stderr).status().unwrap();
    assert_eq!(status.code(), Some(0), "{}", std::fs::read_to_string(&log).unwrap());
    assert_eq!(std::fs::read_to_string(&log).unwrap(), "host line\nguest line\n");
    let meta = std::fs::metadata(&log).unwrap();
    assert!(meta.modified().unwrap() > std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1 << 30));
    use std::os::unix::fs::MetadataExt;
    assert!(meta.blocks() * 512 < 1 << 20, "space was preallocated");
}
