//! One conformance suite over every writable backend: the filesystem guest programs (Rust and
//! C-level WASI calls, each checking its own errnos and results) run against the same fixture
//! mounted as
//!
//! - **host**: `--dir S::.` (the reference, as in `fs_fd` and `fs_path`);
//! - **overlay**: `--dir S::.:overlay` (the host directory under an in-memory layer);
//! - **memory**: `--image S.tar::.:overlay` (the fixture as a tar image under an in-memory
//!   layer: no host file at all).
//!
//! Each must print its verdict (`ok`), and none may change anything outside the sandbox; on
//! the overlay none may change the host directory either. The read-only backends run the
//! read-only battery (`fs_path::read_only_mount_from_an_image`), the escape battery runs over
//! the overlay (`fs_path::escape_battery_over_an_overlay`), and `fs_std` runs on a tmpfs
//! (`guests::fs_std_on_a_tmpfs`).
//!
//! The one deliberate difference, skipped where it applies (see docs/RATIONALE.md): an image
//! refuses symlinks pointing out of it, so fixtures with one have no memory run.

use crate::fs_path::snapshot;
use crate::harness::{Run, Sandbox};
use std::path::Path;
use test_programs_artifacts as guests;

/// One fixture entry: `f PATH=CONTENTS`, `d PATH`, `l PATH->TARGET` (a symlink; `X*N` is X
/// repeated N times), `h PATH=>FILE` (a hard link).
type Fixture = &'static [&'static str];

/// The cases: a guest, its subcommand (empty: none), its fixture.
const CASES: &[(&str, &str, Fixture)] = &[
    (guests::FD_FS_PIO, "position", &["f data.txt=0123456789"]),
    (guests::FD_FS_PIO, "eof", &["f data.txt=0123456789"]),
    (guests::FD_FS_PIO, "offset_too_big", &["f data.txt=0123456789"]),
    (guests::FD_FS_PIO, "errors", &["f data.txt=0123456789"]),
    (guests::FD_FS_PIO, "tell", &["f data.txt=0123456789"]),
    (guests::FD_FS_SIZE, "set_size", SIZE),
    (guests::FD_FS_SIZE, "set_size_errors", SIZE),
    (guests::FD_FS_SIZE, "allocate", SIZE),
    (guests::FD_FS_SIZE, "allocate_errors", SIZE),
    (guests::FD_FS_RIGHTS, "narrow", &["f file.txt=hello"]),
    (guests::FD_FS_RIGHTS, "inheriting", &["f file.txt=hello"]),
    (guests::FD_FS_READDIR, "truncated", &["f one/a_file_with_a_longer_name.txt=x"]),
    (guests::FD_FS_READDIR, "past_end", &["f few/a=a", "f few/b=b", "f few/c=c"]),
    (guests::FD_FS_READDIR, "types", &["f kinds/file.txt=file", "d kinds/subdir", "l kinds/link->file.txt"]),
    (guests::FD_FS_READDIR, "errors", &["f kinds/file.txt=file", "f few/a=a", "f few/b=b", "f few/c=c"]),
    (guests::FD_FS_APPEND, "seek", &["f log.txt=0123456789"]),
    (guests::FD_FS_APPEND, "tell", &["f log.txt=0123456789"]),
    (guests::FD_FS_APPEND, "pwrite", &["f log.txt=0123456789"]),
    (guests::FD_FS_RENUMBER, "onto_itself", &["f a.txt=alpha", "f b.txt=bravo"]),
    (guests::FD_FS_RENUMBER, "closed", &["f a.txt=alpha", "f b.txt=bravo"]),
    (guests::FD_FS_RENUMBER, "onto_open_file", &["f a.txt=alpha", "f b.txt=bravo"]),
    (guests::FD_FS_TIMES, "now", &["f t.txt=times", "d d"]),
    (guests::FD_FS_TIMES, "time_and_now", &["f t.txt=times", "d d"]),
    (guests::FD_FS_TIMES, "explicit", &["f t.txt=times", "d d"]),
    (guests::FD_FS_TIMES, "errors", &["f t.txt=times", "d d"]),
    (guests::FD_FS_FILESTAT, "show", &["f file.txt=hello", "h hard.txt=>file.txt", "d sub"]),
    (guests::FD_FS_FILESTAT, "errors", &["f file.txt=hello", "d sub"]),
    (guests::FD_FS_SYNC, "advise", &["f file.txt=hello", "d sub"]),
    (guests::FD_FS_SYNC, "datasync", &["f file.txt=hello", "d sub"]),
    (guests::FD_FS_SYNC, "sync", &["f file.txt=hello", "d sub"]),
    (guests::PATH_FS_OPS, "create_directory", &["f file.txt=f", "d dir", "l link_dir->dir", "l dangling->nowhere"]),
    (guests::PATH_FS_OPS, "filestat_get", STAT),
    (
        guests::PATH_FS_OPS,
        "set_times",
        &["f file.txt=hello", "f now.txt=now", "d dir", "l link_file->file.txt", "l dangling->nowhere"],
    ),
    (
        guests::PATH_FS_OPS,
        "link",
        &["f file.txt=hello", "f other.txt=other", "d dir", "d sub", "l link_file->file.txt", "l dangling->nowhere"],
    ),
    (guests::PATH_FS_OPS, "readlink", READLINK),
    (guests::PATH_FS_OPS, "remove_directory", RMDIR),
    (guests::PATH_FS_OPS, "rename", RENAME),
    (guests::PATH_FS_OPS, "symlink", &["f file.txt=hello", "d dir"]),
    (guests::PATH_FS_OPS, "unlink_file", UNLINK),
    (guests::PATH_FS_OPEN, "", OPEN),
    (guests::PATH_FS_SLASHES, "", SLASHES),
    (guests::FS_STD, "", &[]),
];

const SIZE: Fixture = &["f grow.txt=hello", "f shrink.txt=hello world", "f alloc.txt=abc"];
const STAT: Fixture = &[
    "f file.txt=hello",
    "d dir",
    "l link_file->file.txt",
    "l link_dir->dir",
    "l dangling->nowhere",
    "l loop_a->loop_b",
    "l loop_b->loop_a",
];
const READLINK: Fixture = &[
    "f file.txt=hello",
    "d dir",
    "d sub",
    "l link_file->file.txt",
    "l dangling->nowhere/at/all",
    "l long->a*200",
    "l sub/up->../file.txt",
    "l link_out->../outside.txt",
];
const RMDIR: Fixture = &[
    "f full/x.txt=x",
    "f file.txt=f",
    "d empty",
    "d target",
    "d nested/a/b",
    "d doomed",
    "l link_dir->target",
    "l dangling->nowhere",
];
const RENAME: Fixture = &[
    "f a.txt=A",
    "f b.txt=B",
    "f c.txt=C",
    "f e.txt=E",
    "f e2.txt=E2",
    "f d1/inner.txt=inner",
    "f d3/x.txt=x",
    "f open.txt=still here",
    "d d2",
    "d d5",
    "l link_e2->e2.txt",
    "l link_file->c.txt",
    "l link_dir->d5",
];
const UNLINK: Fixture = &[
    "f file.txt=f",
    "f keep.txt=keep",
    "f sub/inner.txt=inner",
    "f open.txt=open",
    "d dir",
    "l link_file->keep.txt",
    "l link_dir->dir",
    "l dangling->nowhere",
    "l loop_a->loop_b",
    "l loop_b->loop_a",
];
const OPEN: Fixture = &[
    "f data.txt=0123456789",
    "f trunc.txt=long content",
    "f trunc_r.txt=long",
    "f trunc2.txt=xx",
    "f target.txt=target",
    "f keep.txt=keep",
    "f app.txt=start",
    "d dir",
    "l link_dir->dir",
    "l link_data->data.txt",
    "l link_trunc->target.txt",
    "l dangling->made_by_link.txt",
    "l dangling2->never.txt",
];
const SLASHES: Fixture = &[
    "f file.txt=hello",
    "f dir/inner.txt=inner",
    "d empty",
    "l link_dir->dir",
    "l link_file->file.txt",
    "l link_dir_slash->dir/",
    "l dangling->nowhere",
    "l loop_a->loop_b",
    "l loop_b->loop_a",
    "l self->self",
];

/// A sandbox holding `fixture`.
fn make(fixture: Fixture) -> Sandbox {
    let sandbox = Sandbox::new();
    for entry in fixture {
        let (kind, rest) = entry.split_once(' ').unwrap();
        match kind {
            "f" => {
                let (path, contents) = rest.split_once('=').unwrap();
                sandbox.write(path, contents);
            }
            "d" => std::fs::create_dir_all(sandbox.path(rest)).unwrap(),
            "h" => {
                let (path, file) = rest.split_once("=>").unwrap();
                std::fs::hard_link(sandbox.path(file), sandbox.path(path)).unwrap();
            }
            "l" => {
                let (path, target) = rest.split_once("->").unwrap();
                let target = match target.split_once('*') {
                    Some((text, times)) => text.repeat(times.parse().unwrap()),
                    None => target.to_string(),
                };
                std::fs::create_dir_all(sandbox.path(path).parent().unwrap()).unwrap();
                sandbox.symlink(&target, path);
            }
            _ => panic!("bad fixture entry {entry:?}"),
        }
    }
    sandbox
}

/// Runs `guest case` with the sandbox mounted by `opts`; it must print its verdict.
#[track_caller]
fn run_case(backend: &str, opts: &[String], guest: &str, case: &str, sandbox: &Sandbox) {
    let args: Vec<&str> = if case.is_empty() { vec![] } else { vec![case] };
    let out = Run::new().opts(opts).run(guest, &args);
    let passed = match guest {
        // The one that prints what it saw: the same, byte for byte, as on the host.
        guests::FS_STD => out.stdout == crate::guests::FS_STD_OUT,
        _ => out.stdout.ends_with(&format!("{case} ok\n")) || out.stdout.lines().last() == Some("ok"),
    };
    let name = Path::new(guest).file_stem().unwrap().to_string_lossy();
    assert!(
        out.code == Some(0) && passed,
        "{name} {case} on the {backend} backend: status {:?}\nstdout:\n{}\nstderr:\n{}",
        out.code,
        out.stdout,
        out.stderr
    );
    sandbox.assert_outside_untouched();
}

/// Every case on the host, on an overlay of the host directory, and on an overlay of a tar
/// image of it.
#[test]
fn the_filesystem_guests_pass_on_every_writable_backend() {
    let images = tempfile::tempdir().unwrap();
    for (i, &(guest, case, fixture)) in CASES.iter().enumerate() {
        let host = make(fixture);
        run_case("host", &[format!("--dir={}::.", host.dir().display())], guest, case, &host);

        let lower = make(fixture);
        let before = snapshot(&lower.dir());
        run_case("overlay", &[format!("--dir={}::.:overlay", lower.dir().display())], guest, case, &lower);
        assert_eq!(snapshot(&lower.dir()), before, "{case}: the overlay changed its lower layer");

        if fixture.iter().any(|e| e.contains("->../outside")) {
            continue;
        }
        let archive = images.path().join(format!("{i}.tar"));
        let status =
            std::process::Command::new("tar").arg("-C").arg(lower.dir()).arg("-cf").arg(&archive).arg(".").status();
        assert!(status.unwrap().success());
        let empty = Sandbox::new();
        run_case("memory", &[format!("--image={}::.:overlay", archive.display())], guest, case, &empty);
    }
}
