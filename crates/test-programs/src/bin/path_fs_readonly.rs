//! A read-only mount (`--dir HOST::ro:ro`, fd 4) beside the writable sandbox (fd 3): nothing
//! beneath it can be written, truncated, created, removed, renamed, linked or have its times
//! changed, whatever the path, flags or requested rights (`notcapable`); reading still works.
//!
//! Fixture: in `ro`, `data.txt` = "read only data", `sub/inner.txt` = "inner", `empty/`,
//! `link -> data.txt`; in the sandbox, `mine.txt` = "mine".

use test_programs::errno::*;
use test_programs::path_fs::filetype::{DIRECTORY as DIR_TYPE, SYMBOLIC_LINK};
use test_programs::path_fs::rights::{ALL, DIR, FD_READ, FD_SEEK, FD_WRITE, MUTATING};
use test_programs::path_fs::{
    RSYNC, filetype_of, fst, link, mkdir, read_file, readlink, rename, rmdir, set_times, unlink,
};
use test_programs::raw::{self, Iovec};
use test_programs::{
    FOLLOW, PREOPEN as SANDBOX, check, check_eq, close, fdflags, fdstat, oflags::*, open, read, symlink, write,
};

const RO: u32 = 4;
const N: u32 = 0;

/// Every `fd_*` call that would change `fd`'s file is `notcapable`.
fn file_is_read_only(fd: u32) {
    let (_, _, base, inheriting) = fdstat(fd).unwrap();
    check_eq!((base & MUTATING, inheriting & MUTATING), (0, 0));
    check_eq!(write(fd, b"x"), Err(NOTCAPABLE));
    let data = b"x";
    let iov = Iovec { buf: data.as_ptr(), len: 1 };
    let mut n = 0u32;
    // SAFETY: pointers to live locals.
    unsafe {
        check_eq!(raw::fd_pwrite(fd, &iov, 1, 0, &mut n), NOTCAPABLE);
        check_eq!(raw::fd_allocate(fd, 0, 100), NOTCAPABLE);
        check_eq!(raw::fd_filestat_set_size(fd, 0), NOTCAPABLE);
        check_eq!(raw::fd_filestat_set_size(fd, 100), NOTCAPABLE);
        check_eq!(raw::fd_filestat_set_times(fd, 1, 1, fst::ATIM | fst::MTIM), NOTCAPABLE);
        check_eq!(raw::fd_filestat_set_times(fd, 0, 0, fst::MTIM_NOW), NOTCAPABLE);
        check_eq!(raw::fd_datasync(fd), NOTCAPABLE);
        // Rights only narrow: asking for everything back is refused.
        check_eq!(raw::fd_fdstat_set_rights(fd, ALL, ALL), NOTCAPABLE);
        check_eq!(raw::fd_fdstat_set_rights(fd, base | FD_WRITE, inheriting), NOTCAPABLE);
    }
}

/// Every path call that would change something beneath `dir` (a descriptor on the read-only
/// mount) is `notcapable`, for existing, missing and escaping paths alike.
fn dir_is_read_only(dir: u32, file: &str, empty_dir: &str) {
    let (filetype, _, base, inheriting) = fdstat(dir).unwrap();
    check_eq!((filetype, base & MUTATING, inheriting & MUTATING), (DIR_TYPE, 0, 0));
    for lookup in [N, FOLLOW] {
        for path in [file, "new.txt", "missing/new.txt", "../escape.txt"] {
            for oflags in [CREAT, CREAT | EXCL, TRUNC, CREAT | TRUNC, CREAT | DIRECTORY, TRUNC | DIRECTORY] {
                for base in [FD_READ, FD_WRITE, ALL] {
                    check_eq!(open(dir, lookup, path, oflags, base, ALL, 0), Err(NOTCAPABLE));
                }
            }
            check_eq!(set_times(dir, lookup, path, 1, 1, fst::ATIM | fst::MTIM), NOTCAPABLE);
            check_eq!(set_times(dir, lookup, path, 0, 0, fst::ATIM_NOW | fst::MTIM_NOW), NOTCAPABLE);
            check_eq!(link(dir, lookup, path, dir, "hard.txt"), NOTCAPABLE);
            check_eq!(link(dir, lookup, path, SANDBOX, "hard_out.txt"), NOTCAPABLE);
            check_eq!(link(SANDBOX, lookup, "mine.txt", dir, path), NOTCAPABLE);
        }
    }
    for path in [file, empty_dir, "new", "missing/new", "../escape", "."] {
        check_eq!(mkdir(dir, path), NOTCAPABLE);
        check_eq!(rmdir(dir, path), NOTCAPABLE);
        check_eq!(unlink(dir, path), NOTCAPABLE);
        check_eq!(symlink("data.txt", dir, path), NOTCAPABLE);
        check_eq!(rename(dir, path, dir, "renamed"), NOTCAPABLE);
        check_eq!(rename(dir, path, SANDBOX, "moved_out"), NOTCAPABLE);
        check_eq!(rename(SANDBOX, "mine.txt", dir, path), NOTCAPABLE);
        check_eq!(rename(dir, file, dir, path), NOTCAPABLE);
    }
    // SAFETY: no pointers.
    unsafe {
        check_eq!(raw::fd_filestat_set_times(dir, 0, 0, fst::MTIM_NOW), NOTCAPABLE);
        check_eq!(raw::fd_datasync(dir), NOTCAPABLE);
        check_eq!(raw::fd_fdstat_set_rights(dir, ALL, ALL), NOTCAPABLE);
    }
}

fn main() {
    // fd 4 is the preopen `ro`.
    let mut name = [0u8; 2];
    // SAFETY: a live buffer.
    check_eq!(unsafe { raw::fd_prestat_dir_name(RO, name.as_mut_ptr(), 2) }, SUCCESS);
    check_eq!(&name, b"ro");

    // Reading works: files, directories, symlinks, stat, readdir.
    check_eq!(read_file(RO, N, "data.txt"), Ok("read only data".into()));
    check_eq!(read_file(RO, N, "sub/inner.txt"), Ok("inner".into()));
    check_eq!(read_file(RO, FOLLOW, "link"), Ok("read only data".into()));
    check_eq!(readlink(RO, "link", 64), Ok("data.txt".into()));
    check_eq!(filetype_of(RO, N, "link"), Ok(SYMBOLIC_LINK));
    check_eq!(path_size(RO, "data.txt"), Ok(14));
    let mut entries = [0u8; 512];
    let mut used = 0u32;
    // SAFETY: a live buffer and local.
    check_eq!(unsafe { raw::fd_readdir(RO, entries.as_mut_ptr(), 512, 0, &mut used) }, SUCCESS);
    check!(used > 4 * 24);
    // Escapes are still `perm` for reads.
    check_eq!(read_file(RO, N, "../outside.txt"), Err(PERM));

    // The mount itself and directories opened beneath it, even asking for every right.
    dir_is_read_only(RO, "data.txt", "empty");
    let sub = open(RO, FOLLOW, "sub", DIRECTORY, DIR, ALL, 0).unwrap();
    dir_is_read_only(sub, "inner.txt", "../empty");
    let dot = open(RO, FOLLOW, ".", DIRECTORY, DIR, ALL, 0).unwrap();
    dir_is_read_only(dot, "data.txt", "empty");
    let via_sub = open(sub, FOLLOW, "..", DIRECTORY, DIR, ALL, 0);
    check_eq!(via_sub, Err(PERM));

    // Files opened from it, with every right or with write rights only, cannot be changed.
    for (dir, path) in [(RO, "data.txt"), (RO, "link"), (sub, "inner.txt"), (dot, "sub/inner.txt")] {
        for base in [ALL, FD_WRITE, FD_READ | FD_WRITE | FD_SEEK] {
            for fdflags in [0, fdflags::APPEND, fdflags::SYNC, RSYNC, fdflags::NONBLOCK] {
                let fd = open(dir, FOLLOW, path, 0, base, ALL, fdflags).unwrap();
                file_is_read_only(fd);
                close(fd);
            }
        }
        // DSYNC needs FD_DATASYNC, which a read-only mount never grants.
        check_eq!(open(dir, FOLLOW, path, 0, FD_READ, 0, fdflags::DSYNC), Err(NOTCAPABLE));
    }
    // Reading through a descriptor asked with every right works.
    let fd = open(RO, FOLLOW, "data.txt", 0, ALL, ALL, 0).unwrap();
    let mut buf = [0u8; 32];
    check_eq!(read(fd, &mut buf), Ok(14));
    close(fd);

    // The writable sandbox is unaffected.
    check_eq!(mkdir(SANDBOX, "still_writable"), SUCCESS);
    check_eq!(rmdir(SANDBOX, "still_writable"), SUCCESS);
    println!("ok");
}

/// The size `path_filestat_get` reports.
fn path_size(dir: u32, path: &str) -> Result<u64, u16> {
    test_programs::path_filestat(dir, N, path).map(|s| s.size)
}
