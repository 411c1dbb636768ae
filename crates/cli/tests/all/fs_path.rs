//! Filesystem functions on paths (`path_*`), the sandbox-escape battery and read-only mounts.
//!
//! Each test makes a fixture in a fresh sandbox, runs a guest program that checks every call's
//! errno exactly, and then checks the host tree with `std::fs`.

use crate::harness::{Run, Sandbox};
use std::collections::BTreeMap;
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use test_programs_artifacts as guests;

/// Runs `guest` with `args` in `sandbox` and expects it to print `ok`.
#[track_caller]
fn run_ok(sandbox: &Sandbox, guest: &str, args: &[&str]) {
    let out = sandbox.lucent().run(guest, args);
    out.expect_success();
    assert_eq!(out.stdout, "ok\n", "stderr:\n{}", out.stderr);
}

/// Runs one subcommand of `path_fs_ops`.
#[track_caller]
fn ops(sandbox: &Sandbox, subcommand: &str) {
    run_ok(sandbox, guests::PATH_FS_OPS, &[subcommand]);
}

/// Makes the symlinks `(target, link)` in the sandbox.
fn symlinks(sandbox: &Sandbox, links: &[(&str, &str)]) {
    for (target, link) in links {
        sandbox.symlink(target, link);
    }
}

/// Makes the directories `dirs` in the sandbox.
fn dirs(sandbox: &Sandbox, dirs: &[&str]) {
    for dir in dirs {
        std::fs::create_dir_all(sandbox.path(dir)).unwrap();
    }
}

fn is_dir(path: &Path) -> bool {
    path.symlink_metadata().is_ok_and(|m| m.is_dir())
}

fn is_file(path: &Path) -> bool {
    path.symlink_metadata().is_ok_and(|m| m.is_file())
}

fn exists(path: &Path) -> bool {
    path.symlink_metadata().is_ok()
}

fn link_target(path: &Path) -> String {
    std::fs::read_link(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())).display().to_string()
}

fn ino(path: &Path) -> u64 {
    path.symlink_metadata().unwrap_or_else(|e| panic!("{}: {e}", path.display())).ino()
}

/// The modification time of `path` itself (not following a symlink), in nanoseconds.
fn mtime_ns(path: &Path) -> u64 {
    let meta = path.symlink_metadata().unwrap();
    u64::try_from(meta.mtime()).unwrap() * 1_000_000_000 + u64::try_from(meta.mtime_nsec()).unwrap()
}

/// The access time of `path` itself, in nanoseconds.
fn atime_ns(path: &Path) -> u64 {
    let meta = path.symlink_metadata().unwrap();
    u64::try_from(meta.atime()).unwrap() * 1_000_000_000 + u64::try_from(meta.atime_nsec()).unwrap()
}

fn now_ns() -> u64 {
    u64::try_from(SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_nanos()).unwrap()
}

#[test]
fn create_directory() {
    let sandbox = Sandbox::new();
    sandbox.write("file.txt", "f");
    dirs(&sandbox, &["dir"]);
    symlinks(&sandbox, &[("dir", "link_dir"), ("nowhere", "dangling")]);
    ops(&sandbox, "create_directory");
    for dir in ["new", "new/inner", "new/sibling", "new/deep", "slash", "slashes", "dir/via_link", "dir/made_via_fd"] {
        assert!(is_dir(&sandbox.path(dir)), "{dir}");
    }
    assert_eq!(sandbox.read("file.txt"), "f");
    assert_eq!(link_target(&sandbox.path("link_dir")), "dir");
    assert!(!exists(&sandbox.path("nowhere")));
    for refused in ["dir/refused", "abs", "bad"] {
        assert!(!exists(&sandbox.path(refused)), "{refused}");
    }
    assert!(!exists(&sandbox.root().join("escaped_mkdir")));
    sandbox.assert_outside_untouched();
}

#[test]
fn filestat_get() {
    let sandbox = Sandbox::new();
    sandbox.write("file.txt", "hello");
    dirs(&sandbox, &["dir"]);
    symlinks(
        &sandbox,
        &[
            ("file.txt", "link_file"),
            ("dir", "link_dir"),
            ("nowhere", "dangling"),
            ("loop_b", "loop_a"),
            ("loop_a", "loop_b"),
        ],
    );
    ops(&sandbox, "filestat_get");
    sandbox.assert_outside_untouched();
}

/// The times the `set_times` subcommand sets (as in the guest).
const T1: u64 = 1_000_000_000_123_456_789;
const T2: u64 = 1_100_000_000_000_000_000;
const T3: u64 = 1_234_567_890_000_000_000;

#[test]
fn filestat_set_times() {
    let sandbox = Sandbox::new();
    sandbox.write("file.txt", "hello");
    sandbox.write("now.txt", "now");
    dirs(&sandbox, &["dir"]);
    symlinks(&sandbox, &[("file.txt", "link_file"), ("nowhere", "dangling")]);
    let start = now_ns();
    ops(&sandbox, "set_times");
    let end = now_ns();
    // Explicit times, on the target through SYMLINK_FOLLOW and on the link itself without.
    assert_eq!((atime_ns(&sandbox.path("file.txt")), mtime_ns(&sandbox.path("file.txt"))), (T3, T3));
    assert_eq!(mtime_ns(&sandbox.path("link_file")), T2);
    assert_eq!(mtime_ns(&sandbox.path("dir")), T2);
    assert_eq!(mtime_ns(&sandbox.path("dangling")), T1);
    // ATIM_NOW | MTIM_NOW: the time of the run.
    let mtime = mtime_ns(&sandbox.path("now.txt"));
    assert!(mtime + 10_000_000 >= start && mtime <= end, "{start} <= {mtime} <= {end}");
    assert!(!exists(&sandbox.path("nowhere")));
    assert_eq!(sandbox.read("file.txt"), "hello");
    sandbox.assert_outside_untouched();
}

#[test]
fn link() {
    let sandbox = Sandbox::new();
    sandbox.write("file.txt", "hello");
    sandbox.write("other.txt", "other");
    dirs(&sandbox, &["dir", "sub"]);
    symlinks(&sandbox, &[("file.txt", "link_file"), ("nowhere", "dangling")]);
    ops(&sandbox, "link");
    let file = ino(&sandbox.path("file.txt"));
    for name in ["hard.txt", "sub/hard2.txt", "followed.txt", "back.txt"] {
        assert_eq!(ino(&sandbox.path(name)), file, "{name}");
    }
    assert_eq!(sandbox.path("file.txt").metadata().unwrap().nlink(), 5);
    assert_eq!(sandbox.read("file.txt"), "changed");
    assert_eq!(ino(&sandbox.path("sub/other_in_sub.txt")), ino(&sandbox.path("other.txt")));
    assert_eq!(link_target(&sandbox.path("link_copy")), "file.txt");
    assert_eq!(ino(&sandbox.path("link_copy")), ino(&sandbox.path("link_file")));
    assert_eq!(link_target(&sandbox.path("dangling_copy")), "nowhere");
    for refused in ["dir_link", "dot_link", "refused1", "refused2", "refused3", "x", "new", "nowhere"] {
        assert!(!exists(&sandbox.path(refused)), "{refused}");
    }
    assert_eq!(sandbox.read("other.txt"), "other");
    sandbox.assert_outside_untouched();
}

#[test]
fn readlink() {
    let sandbox = Sandbox::new();
    sandbox.write("file.txt", "hello");
    dirs(&sandbox, &["dir", "sub"]);
    let long = "a".repeat(200);
    symlinks(
        &sandbox,
        &[
            ("file.txt", "link_file"),
            ("nowhere/at/all", "dangling"),
            (&long, "long"),
            ("../file.txt", "sub/up"),
            ("../outside.txt", "link_out"),
        ],
    );
    ops(&sandbox, "readlink");
    sandbox.assert_outside_untouched();
}

#[test]
fn remove_directory() {
    let sandbox = Sandbox::new();
    sandbox.write("full/x.txt", "x");
    sandbox.write("file.txt", "f");
    dirs(&sandbox, &["empty", "target", "nested/a/b", "doomed"]);
    symlinks(&sandbox, &[("target", "link_dir"), ("nowhere", "dangling")]);
    ops(&sandbox, "remove_directory");
    for gone in ["empty", "nested/a/b", "doomed"] {
        assert!(!exists(&sandbox.path(gone)), "{gone}");
    }
    for dir in ["full", "target", "nested/a"] {
        assert!(is_dir(&sandbox.path(dir)), "{dir}");
    }
    assert_eq!(sandbox.read("full/x.txt"), "x");
    assert_eq!(sandbox.read("file.txt"), "f");
    assert_eq!(link_target(&sandbox.path("link_dir")), "target");
    assert_eq!(link_target(&sandbox.path("dangling")), "nowhere");
    sandbox.assert_outside_untouched();
}

#[test]
fn rename() {
    let sandbox = Sandbox::new();
    for (name, contents) in [
        ("a.txt", "A"),
        ("b.txt", "B"),
        ("c.txt", "C"),
        ("e.txt", "E"),
        ("e2.txt", "E2"),
        ("d1/inner.txt", "inner"),
        ("d3/x.txt", "x"),
        ("open.txt", "still here"),
    ] {
        sandbox.write(name, contents);
    }
    dirs(&sandbox, &["d2", "d5"]);
    symlinks(&sandbox, &[("e2.txt", "link_e2"), ("c.txt", "link_file"), ("d5", "link_dir")]);
    ops(&sandbox, "rename");
    let names = |dir: &str| -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(sandbox.path(dir))
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        names
    };
    assert_eq!(
        names("."),
        ["c.txt", "c_hard2.txt", "d2", "d3", "d5", "e2.txt", "link_dir2", "link_e2", "link_moved", "x_from_d3.txt"]
    );
    assert_eq!(names("d3"), ["b_in_d3.txt", "moved_open.txt"]);
    assert_eq!(names("d2"), ["inner.txt"]);
    assert_eq!(names("d5"), Vec::<String>::new());
    assert_eq!(sandbox.read("d3/b_in_d3.txt"), "A");
    assert_eq!(sandbox.read("d2/inner.txt"), "inner");
    assert_eq!(sandbox.read("x_from_d3.txt"), "x");
    assert_eq!(sandbox.read("d3/moved_open.txt"), "still here");
    assert_eq!(sandbox.read("c.txt"), "C");
    assert_eq!(ino(&sandbox.path("c_hard2.txt")), ino(&sandbox.path("c.txt")));
    assert_eq!(link_target(&sandbox.path("link_moved")), "c.txt");
    assert_eq!(link_target(&sandbox.path("link_dir2")), "d5");
    assert!(is_file(&sandbox.path("link_e2")));
    assert_eq!(sandbox.read("link_e2"), "E");
    assert_eq!(sandbox.read("e2.txt"), "E2");
    sandbox.assert_outside_untouched();
}

#[test]
fn symlink() {
    let sandbox = Sandbox::new();
    sandbox.write("file.txt", "hello");
    dirs(&sandbox, &["dir"]);
    ops(&sandbox, "symlink");
    for (link, target) in [
        ("l1", "file.txt"),
        ("dangling", "nowhere"),
        ("out", "../outside.txt"),
        ("up", ".."),
        ("dir/l2", "../file.txt"),
        ("ldir", "dir"),
    ] {
        assert_eq!(link_target(&sandbox.path(link)), target, "{link}");
    }
    for refused in ["abs", "empty", "nul", "long", "refused", "new", "nowhere"] {
        assert!(!exists(&sandbox.path(refused)), "{refused}");
    }
    assert!(!exists(&sandbox.root().join("escaped_symlink")));
    sandbox.assert_outside_untouched();
}

#[test]
fn unlink_file() {
    let sandbox = Sandbox::new();
    sandbox.write("file.txt", "f");
    sandbox.write("keep.txt", "keep");
    sandbox.write("sub/inner.txt", "inner");
    sandbox.write("open.txt", "open");
    dirs(&sandbox, &["dir"]);
    symlinks(
        &sandbox,
        &[
            ("keep.txt", "link_file"),
            ("dir", "link_dir"),
            ("nowhere", "dangling"),
            ("loop_b", "loop_a"),
            ("loop_a", "loop_b"),
        ],
    );
    ops(&sandbox, "unlink_file");
    for gone in ["file.txt", "sub/inner.txt", "link_file", "link_dir", "dangling", "loop_a", "open.txt"] {
        assert!(!exists(&sandbox.path(gone)), "{gone}");
    }
    assert_eq!(sandbox.read("keep.txt"), "keep");
    assert!(is_dir(&sandbox.path("dir")));
    assert!(is_dir(&sandbox.path("sub")));
    assert_eq!(link_target(&sandbox.path("loop_b")), "loop_a");
    sandbox.assert_outside_untouched();
}

#[test]
fn open_flags() {
    let sandbox = Sandbox::new();
    for (name, contents) in [
        ("data.txt", "0123456789"),
        ("trunc.txt", "long content"),
        ("trunc_r.txt", "long"),
        ("trunc2.txt", "xx"),
        ("target.txt", "target"),
        ("keep.txt", "keep"),
        ("app.txt", "start"),
    ] {
        sandbox.write(name, contents);
    }
    dirs(&sandbox, &["dir"]);
    symlinks(
        &sandbox,
        &[
            ("dir", "link_dir"),
            ("data.txt", "link_data"),
            ("target.txt", "link_trunc"),
            ("made_by_link.txt", "dangling"),
            ("never.txt", "dangling2"),
        ],
    );
    run_ok(&sandbox, guests::PATH_FS_OPEN, &[]);
    for (name, contents) in [
        ("created.txt", "abc"),
        ("data.txt", "0123456789"),
        ("made_by_link.txt", "via link"),
        ("excl.txt", ""),
        ("keep.txt", "keep"),
        ("trunc.txt", "new"),
        ("trunc_r.txt", ""),
        ("trunc_new.txt", ""),
        ("trunc2.txt", ""),
        ("target.txt", ""),
        ("created_no_trunc.txt", ""),
        ("app.txt", "start+one+two"),
        ("app_new.txt", "appended"),
        ("dsync.txt", "dsync"),
        ("sync.txt", "sync"),
        ("rsync.txt", "rsync"),
        ("all_flags.txt", "all"),
    ] {
        assert_eq!(sandbox.read(name), contents, "{name}");
    }
    assert_eq!(link_target(&sandbox.path("link_trunc")), "target.txt");
    assert_eq!(link_target(&sandbox.path("dangling2")), "never.txt");
    for refused in ["never.txt", "refused.txt", "refused_sync.txt", "no_dir", "dir/x.txt"] {
        assert!(!exists(&sandbox.path(refused)), "{refused}");
    }
    sandbox.assert_outside_untouched();
}

#[test]
fn trailing_slashes_dots_dangling_links_and_loops() {
    let sandbox = Sandbox::new();
    sandbox.write("file.txt", "hello");
    sandbox.write("dir/inner.txt", "inner");
    dirs(&sandbox, &["empty"]);
    symlinks(
        &sandbox,
        &[
            ("dir", "link_dir"),
            ("file.txt", "link_file"),
            ("dir/", "link_dir_slash"),
            ("nowhere", "dangling"),
            ("loop_b", "loop_a"),
            ("loop_a", "loop_b"),
            ("self", "self"),
        ],
    );
    let file_mtime = mtime_ns(&sandbox.path("file.txt"));
    run_ok(&sandbox, guests::PATH_FS_SLASHES, &[]);
    let mut names: Vec<String> =
        std::fs::read_dir(sandbox.dir()).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    names.sort();
    assert_eq!(
        names,
        ["dangling", "dir", "empty", "file.txt", "link_dir", "link_dir_slash", "link_file", "loop_a", "loop_b", "self"]
    );
    assert_eq!(sandbox.read("file.txt"), "hello");
    assert_eq!(mtime_ns(&sandbox.path("file.txt")), file_mtime);
    assert_eq!(mtime_ns(&sandbox.path("link_file")), 7);
    assert_eq!(link_target(&sandbox.path("link_dir")), "dir");
    assert_eq!(std::fs::read_dir(sandbox.path("dir")).unwrap().count(), 1);
    sandbox.assert_outside_untouched();
}

/// Everything beneath `root`, not following symlinks: relative path → what it is (directory,
/// file contents or symlink contents), with its inode, link count and modification time.
pub(crate) fn snapshot(root: &Path) -> BTreeMap<String, (String, u64, u64, i64, i64)> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, (String, u64, u64, i64, i64)>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let meta = path.symlink_metadata().unwrap();
            let what = if meta.is_dir() {
                "dir".to_string()
            } else if meta.is_symlink() {
                format!("-> {}", link_target(&path))
            } else {
                format!("file {:?}", std::fs::read_to_string(&path).unwrap())
            };
            let rel = path.strip_prefix(root).unwrap().display().to_string();
            out.insert(rel, (what, meta.ino(), meta.nlink(), meta.mtime(), meta.mtime_nsec()));
            if meta.is_dir() {
                walk(root, &path, out);
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(root, root, &mut out);
    out
}

/// The read-only mount's fixture (see `path_fs_readonly.rs`).
fn read_only_fixture() -> tempfile::TempDir {
    let ro = tempfile::Builder::new().prefix("lucent-ro").tempdir().unwrap();
    std::fs::write(ro.path().join("data.txt"), "read only data").unwrap();
    std::fs::create_dir_all(ro.path().join("sub")).unwrap();
    std::fs::write(ro.path().join("sub/inner.txt"), "inner").unwrap();
    std::fs::create_dir(ro.path().join("empty")).unwrap();
    std::os::unix::fs::symlink("data.txt", ro.path().join("link")).unwrap();
    ro
}

#[test]
fn read_only_mount() {
    let sandbox = Sandbox::new();
    sandbox.write("mine.txt", "mine");
    let ro = read_only_fixture();
    let before = snapshot(ro.path());
    let sandbox_before = snapshot(&sandbox.dir());
    let out =
        sandbox.lucent().opts(["--dir", &format!("{}::ro:ro", ro.path().display())]).run(guests::PATH_FS_READONLY, &[]);
    out.expect_success();
    assert_eq!(out.stdout, "ok\n", "stderr:\n{}", out.stderr);
    assert_eq!(snapshot(ro.path()), before);
    assert_eq!(snapshot(&sandbox.dir()), sandbox_before);
    sandbox.assert_outside_untouched();
}

/// Archives `dir` with the system's `tar` (GNU format, `./` names), plain and gzip.
fn tar_of(dir: &Path, into: &Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let plain = into.join("image.tar");
    let gz = into.join("image.tar.gz");
    for (archive, flags) in [(&plain, "-cf"), (&gz, "-czf")] {
        let status = std::process::Command::new("tar").arg("-C").arg(dir).arg(flags).arg(archive).arg(".").status();
        assert!(status.unwrap().success());
    }
    (plain, gz)
}

/// The same read-only battery over the same tree, mounted from a tar archive (plain: read in
/// place; gzip: decompressed) instead of a host directory.
#[test]
fn read_only_mount_from_an_image() {
    let ro = read_only_fixture();
    let archives = tempfile::tempdir().unwrap();
    let (plain, gz) = tar_of(ro.path(), archives.path());
    for archive in [&plain, &gz] {
        let sandbox = Sandbox::new();
        sandbox.write("mine.txt", "mine");
        let sandbox_before = snapshot(&sandbox.dir());
        let out = sandbox
            .lucent()
            .opts(["--image", &format!("{}::ro", archive.display())])
            .run(guests::PATH_FS_READONLY, &[]);
        out.expect_success();
        assert_eq!(out.stdout, "ok\n", "{}: stderr:\n{}", archive.display(), out.stderr);
        assert_eq!(snapshot(&sandbox.dir()), sandbox_before);
        sandbox.assert_outside_untouched();
    }
}

/// An image a guest could change (beneath a writable `--dir`, or hard-linked) is refused, and
/// a bad image is named with its member; all before the guest starts.
#[test]
fn images_are_checked_before_the_guest_runs() {
    let ro = read_only_fixture();
    let sandbox = Sandbox::new();
    let (plain, _) = tar_of(ro.path(), &sandbox.dir());
    let image = format!("{}::ro", plain.display());
    let out = sandbox.lucent().opts(["--image", &image]).run(guests::PATH_FS_READONLY, &[]);
    out.expect_code(1);
    assert!(out.stderr.contains("lies beneath the writable --dir"), "{}", out.stderr);
    // Hard-linked elsewhere: refused too.
    let elsewhere = tempfile::tempdir().unwrap();
    let linked = elsewhere.path().join("image.tar");
    std::fs::copy(&plain, &linked).unwrap();
    std::fs::hard_link(&linked, elsewhere.path().join("other.tar")).unwrap();
    let out = Sandbox::new().lucent().opts(["--image", &format!("{}::ro", linked.display())]).run(guests::HELLO, &[]);
    out.expect_code(1);
    assert!(out.stderr.contains("has 2 hard links"), "{}", out.stderr);
    // Not an archive; missing; a member climbing out; a bad spec.
    let not_tar = elsewhere.path().join("not.tar");
    std::fs::write(&not_tar, "hello ".repeat(200)).unwrap();
    let cases = [
        (format!("{}::x", not_tar.display()), "not a tar archive (plain or gzip)".to_string()),
        (
            "/nonexistent/image.tar::x".to_string(),
            "cannot load --image `/nonexistent/image.tar`: No such file".to_string(),
        ),
        (format!("{}", not_tar.display()), "expected ARCHIVE::GUEST".to_string()),
    ];
    for (spec, expected) in cases {
        let out = Sandbox::new().lucent().opts(["--image", &spec]).run(guests::HELLO, &[]);
        out.expect_code(1);
        assert!(out.stderr.contains(&expected), "{spec}: {}", out.stderr);
    }
    let climbing = elsewhere.path().join("climbing.tar");
    let status = std::process::Command::new("tar")
        .arg("-C")
        .arg(ro.path())
        .args(["-cf"])
        .arg(&climbing)
        .args(["--transform", "s,^\\./data,../data,", "./data.txt"])
        .status();
    assert!(status.unwrap().success());
    let out = Sandbox::new().lucent().opts(["--image", &format!("{}::x", climbing.display())]).run(guests::HELLO, &[]);
    out.expect_code(1);
    assert!(out.stderr.contains("member `../data.txt`: a `..` component"), "{}", out.stderr);
}

/// The sandbox for the escape battery: `victim.txt` and `file.txt` inside, and symlinks that
/// leave it in every way the guests try. `outside.txt`'s access time is set to a known value
/// so that a read of it would show (the filesystem is mounted `relatime` or stricter).
fn escape_fixture() -> Sandbox {
    let sandbox = Sandbox::new();
    sandbox.write("victim.txt", "victim");
    sandbox.write("file.txt", "inside");
    sandbox.write("sub/victim.txt", "sub victim");
    dirs(&sandbox, &["sub/deeper", "empty"]);
    let root = sandbox.root().display().to_string();
    let abs_out = format!("{root}/outside.txt");
    let abs_self = sandbox.dir().display().to_string();
    let abs_missing = format!("{root}/ESCAPED_abs");
    symlinks(
        &sandbox,
        &[
            ("../outside.txt", "link_out"),
            ("..", "link_dotdot"),
            ("../..", "link_dotdot2"),
            ("../sandbox", "link_parent_sandbox"),
            ("/etc", "link_etc"),
            ("/etc/passwd", "link_passwd"),
            (&abs_out, "link_abs_out"),
            (&root, "link_abs_root"),
            (&abs_self, "link_abs_self"),
            (&abs_missing, "link_abs_missing"),
            ("chain_b", "chain_a"),
            ("sub/chain_c", "chain_b"),
            ("../chain_d", "sub/chain_c"),
            ("../outside.txt", "chain_d"),
            ("..", "sub/up"),
            ("../..", "sub/up2"),
            ("../../outside.txt", "sub/up_out"),
            ("../sandbox/loop_out", "loop_out"),
            ("sub/loop_y", "loop_x"),
            ("../loop_x", "sub/loop_y"),
        ],
    );
    let outside = std::fs::File::options().write(true).open(sandbox.root().join("outside.txt")).unwrap();
    outside.set_times(std::fs::FileTimes::new().set_accessed(UNIX_EPOCH + Duration::from_secs(1))).unwrap();
    sandbox
}

/// Nothing outside the sandbox was read, changed or made; nothing named `ESCAPED*` or
/// `STOLEN` appeared anywhere; the files inside the guests aimed at are intact.
#[track_caller]
fn assert_nothing_escaped(sandbox: &Sandbox) {
    let outside = sandbox.root().join("outside.txt");
    // Checked before anything here reads it.
    assert_eq!(atime_ns(&outside), 1_000_000_000, "outside.txt was read");
    let meta = outside.symlink_metadata().unwrap();
    assert_eq!((meta.nlink(), meta.len()), (1, 6), "outside.txt was linked or changed");
    sandbox.assert_outside_untouched();
    let parent = sandbox.root().parent().unwrap();
    for entry in std::fs::read_dir(parent).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap_or_default();
        assert!(!name.starts_with("ESCAPED") && name != "STOLEN", "{name} appeared in {}", parent.display());
    }
    for top in ["/ESCAPED", "/STOLEN"] {
        assert!(!exists(Path::new(top)), "{top} appeared");
    }
    for path in snapshot(sandbox.root()).keys() {
        assert!(!path.contains("ESCAPED") && !path.contains("STOLEN"), "{path} appeared");
    }
    assert_eq!(sandbox.read("victim.txt"), "victim");
    assert_eq!(sandbox.read("sub/victim.txt"), "sub victim");
    assert_eq!(sandbox.read("file.txt"), "inside");
}

#[test]
fn escape_through_paths() {
    let sandbox = escape_fixture();
    let before = snapshot(&sandbox.dir());
    run_ok(&sandbox, guests::ESCAPE_PATHS, &[]);
    assert_nothing_escaped(&sandbox);
    // The guest changed nothing inside either (modification times aside: reads do not change
    // them, but this checks contents, links and inodes).
    let after = snapshot(&sandbox.dir());
    let strip = |s: BTreeMap<String, (String, u64, u64, i64, i64)>| -> Vec<(String, String, u64)> {
        s.into_iter().map(|(k, (what, ino, nlink, ..))| (k, what, ino * 1000 + nlink)).collect()
    };
    assert_eq!(strip(after), strip(before));
}

#[test]
fn escape_through_host_symlinks() {
    let sandbox = escape_fixture();
    run_ok(&sandbox, guests::ESCAPE_SYMLINKS, &[]);
    assert_nothing_escaped(&sandbox);
    for gone in ["link_out", "link_abs_out", "chain_d", "renamed_out"] {
        assert!(!exists(&sandbox.path(gone)), "{gone}");
    }
    assert_eq!(link_target(&sandbox.path("link_dotdot")), "..");
}

#[test]
fn escape_through_guest_symlinks() {
    let sandbox = escape_fixture();
    run_ok(&sandbox, guests::ESCAPE_GUEST_SYMLINKS, &[]);
    assert_nothing_escaped(&sandbox);
    // The links were made as asked, escaping contents included.
    assert_eq!(link_target(&sandbox.path("sub/mine2")), "../../outside.txt");
    assert_eq!(link_target(&sandbox.path("mine_back")), "../outside.txt");
    assert_eq!(link_target(&sandbox.path("mine2_copy")), "../../outside.txt");
    assert_eq!(link_target(&sandbox.path("up2")), "../..");
    assert_eq!(link_target(&sandbox.path("sub/to_parent")), "../victim.txt");
    assert!(!exists(&sandbox.path("abs")));
    assert!(!exists(&sandbox.path("mine")));
    assert!(!exists(&sandbox.path("mine2_target")));
    // The decoy was written inside the sandbox, through the link moved into `sub`.
    assert_eq!(sandbox.read("outside.txt"), "decoy, rewritten");
}

/// The escape battery again with the sandbox as an overlay's lower layer: the guests do the
/// same (their symlinks made, their decoys written, in memory), nothing leaves the mount, and
/// nothing at all changes on the host, inside the sandbox or out.
#[test]
fn escape_battery_over_an_overlay() {
    for guest in [guests::ESCAPE_PATHS, guests::ESCAPE_SYMLINKS, guests::ESCAPE_GUEST_SYMLINKS] {
        let sandbox = escape_fixture();
        let before = snapshot(&sandbox.dir());
        let out = Run::new().opts(["--dir", &format!("{}::.:overlay", sandbox.dir().display())]).run(guest, &[]);
        out.expect_success();
        assert_eq!(out.stdout, "ok\n", "{guest}: stderr:\n{}", out.stderr);
        assert_nothing_escaped(&sandbox);
        assert_eq!(snapshot(&sandbox.dir()), before, "{guest} changed the lower layer");
    }
}

/// One limit on depth for every path operation: 256 components open and stat, 257 are
/// `nametoolong` for both (the review found `path_open` opening what `path_filestat_get`
/// refused).
#[test]
fn path_depth_has_one_limit() {
    let sandbox = Sandbox::new();
    run_ok(&sandbox, guests::PATH_DEPTH, &[]);
    assert!(sandbox.path(&vec!["d"; 257].join("/")).is_dir());
}
