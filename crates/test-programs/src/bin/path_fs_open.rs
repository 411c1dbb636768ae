//! `path_open`: every `oflags` and `fdflags` combination that matters, with the rights each
//! needs; the host test checks the files afterwards.
//!
//! Fixture: `data.txt` = "0123456789", `trunc.txt` = "long content", `trunc_r.txt` = "long",
//! `trunc2.txt` = "xx", `target.txt` = "target", `link_trunc -> target.txt`, `keep.txt` = "keep",
//! `app.txt` = "start", `dir/`, `link_dir -> dir`, `link_data -> data.txt`,
//! `dangling -> made_by_link.txt`, `dangling2 -> never.txt`.

use test_programs::errno::*;
use test_programs::path_fs::filetype::{DIRECTORY as DIR_TYPE, REGULAR_FILE};
use test_programs::path_fs::rights::{ALL, DIR, FD_DATASYNC, FD_READ, FD_SEEK, FD_SYNC, FD_TELL, FD_WRITE};
use test_programs::path_fs::{RSYNC, read_file, rights};
use test_programs::{
    FOLLOW, PREOPEN as P, check_eq, close, fd_filestat, fdflags, fdstat, oflags::*, open, read, seek, write,
};

const N: u32 = 0;
const R: u64 = FD_READ | FD_SEEK | FD_TELL;
const RW: u64 = R | FD_WRITE;
/// `fdflags::{append, dsync, nonblock, rsync, sync}`.
const APPEND: u32 = fdflags::APPEND;
const DSYNC: u32 = fdflags::DSYNC;
const NONBLOCK: u32 = fdflags::NONBLOCK;
const SYNC: u32 = fdflags::SYNC;

/// The `fdflags` `fd_fdstat_get` reports for `fd`.
fn flags_of(fd: u32) -> u16 {
    fdstat(fd).unwrap().1
}

/// The size `fd_filestat_get` reports for `fd`.
fn size_of(fd: u32) -> u64 {
    fd_filestat(fd).unwrap().size
}

fn main() {
    // CREAT: a new file is created empty; an existing one is opened as it is.
    let fd = open(P, FOLLOW, "created.txt", CREAT, RW | rights::FD_FILESTAT_GET, 0, 0).unwrap();
    check_eq!((fd_filestat(fd).unwrap().filetype, size_of(fd)), (REGULAR_FILE, 0));
    check_eq!(write(fd, b"abc"), Ok(3));
    close(fd);
    let fd = open(P, FOLLOW, "data.txt", CREAT, R, 0, 0).unwrap();
    close(fd);
    check_eq!(read_file(P, N, "data.txt"), Ok("0123456789".into()));
    check_eq!(open(P, FOLLOW, "dir", CREAT, R, 0, 0), Err(ISDIR));
    check_eq!(open(P, FOLLOW, "no_dir/x.txt", CREAT, RW, 0, 0), Err(NOENT));
    // Through a dangling symlink: creates the target when following, `loop` when not.
    check_eq!(open(P, N, "dangling", CREAT, RW, 0, 0), Err(LOOP));
    let fd = open(P, FOLLOW, "dangling", CREAT, RW, 0, 0).unwrap();
    check_eq!(write(fd, b"via link"), Ok(8));
    close(fd);

    // CREAT | EXCL: only a new name; a symlink (even dangling) counts as existing.
    let fd = open(P, FOLLOW, "excl.txt", CREAT | EXCL, RW, 0, 0).unwrap();
    close(fd);
    check_eq!(open(P, FOLLOW, "excl.txt", CREAT | EXCL, RW, 0, 0), Err(EXIST));
    check_eq!(open(P, FOLLOW, "data.txt", CREAT | EXCL, RW, 0, 0), Err(EXIST));
    check_eq!(open(P, FOLLOW, "dir", CREAT | EXCL, R, 0, 0), Err(EXIST));
    check_eq!(open(P, FOLLOW, "link_data", CREAT | EXCL, RW, 0, 0), Err(EXIST));
    check_eq!(open(P, FOLLOW, "dangling2", CREAT | EXCL, RW, 0, 0), Err(EXIST));
    check_eq!(open(P, N, "dangling2", CREAT | EXCL, RW, 0, 0), Err(EXIST));
    check_eq!(open(P, FOLLOW, "keep.txt", CREAT | EXCL | TRUNC, RW, 0, 0), Err(EXIST));

    // TRUNC: empties the file, even when only read rights are asked for; then nothing more
    // than those rights is granted.
    let fd = open(P, FOLLOW, "trunc.txt", TRUNC, RW | rights::FD_FILESTAT_GET, 0, 0).unwrap();
    check_eq!(size_of(fd), 0);
    check_eq!(write(fd, b"new"), Ok(3));
    close(fd);
    let fd = open(P, FOLLOW, "trunc_r.txt", TRUNC, FD_READ, 0, 0).unwrap();
    check_eq!(write(fd, b"x"), Err(NOTCAPABLE));
    close(fd);
    check_eq!(open(P, FOLLOW, "dir", TRUNC, R, 0, 0), Err(ISDIR));
    let fd = open(P, FOLLOW, "trunc_new.txt", CREAT | TRUNC, RW, 0, 0).unwrap();
    close(fd);
    // Through a symlink, the target is truncated and the link stays.
    let fd = open(P, FOLLOW, "link_trunc", TRUNC, RW, 0, 0).unwrap();
    close(fd);

    // DIRECTORY: directories only.
    let fd = open(P, FOLLOW, "dir", DIRECTORY, DIR, ALL, 0).unwrap();
    let (filetype, _, base, _) = fdstat(fd).unwrap();
    check_eq!((filetype, base & (FD_READ | FD_WRITE)), (DIR_TYPE, 0));
    close(fd);
    check_eq!(open(P, FOLLOW, "data.txt", DIRECTORY, R, 0, 0), Err(NOTDIR));
    check_eq!(open(P, FOLLOW, "missing", DIRECTORY, R, 0, 0), Err(NOENT));
    check_eq!(open(P, FOLLOW, "dangling2", DIRECTORY, R, 0, 0), Err(NOENT));
    check_eq!(fdstat(open(P, FOLLOW, "link_dir", DIRECTORY, R, 0, 0).unwrap()).unwrap().0, DIR_TYPE);
    check_eq!(fdstat(open(P, FOLLOW, ".", DIRECTORY, R, 0, 0).unwrap()).unwrap().0, DIR_TYPE);
    check_eq!(fdstat(open(P, FOLLOW, "dir/..", DIRECTORY, R, 0, 0).unwrap()).unwrap().0, DIR_TYPE);
    // A directory also opens without DIRECTORY, for reading only.
    check_eq!(fdstat(open(P, FOLLOW, "dir", 0, R, 0, 0).unwrap()).unwrap().0, DIR_TYPE);
    check_eq!(open(P, FOLLOW, "dir", 0, RW, 0, 0), Err(ISDIR));

    // Rights each oflag needs on the directory.
    let no_create = open(P, FOLLOW, ".", DIRECTORY, DIR & !rights::PATH_CREATE_FILE, ALL, 0).unwrap();
    check_eq!(open(no_create, FOLLOW, "refused.txt", CREAT, RW, 0, 0), Err(NOTCAPABLE));
    check_eq!(open(no_create, FOLLOW, "data.txt", CREAT, R, 0, 0), Err(NOTCAPABLE));
    check_eq!(open(no_create, FOLLOW, "trunc2.txt", TRUNC, RW, 0, 0).map(close), Ok(0));
    let no_trunc = open(P, FOLLOW, ".", DIRECTORY, DIR & !rights::PATH_FILESTAT_SET_SIZE, ALL, 0).unwrap();
    check_eq!(open(no_trunc, FOLLOW, "data.txt", TRUNC, RW, 0, 0), Err(NOTCAPABLE));
    check_eq!(open(no_trunc, FOLLOW, "refused.txt", CREAT | TRUNC, RW, 0, 0), Err(NOTCAPABLE));
    check_eq!(open(no_trunc, FOLLOW, "created_no_trunc.txt", CREAT, RW, 0, 0).map(close), Ok(0));
    let no_open = open(P, FOLLOW, ".", DIRECTORY, DIR & !rights::PATH_OPEN, ALL, 0).unwrap();
    check_eq!(open(no_open, FOLLOW, "data.txt", 0, R, 0, 0), Err(NOTCAPABLE));

    // APPEND: every write goes to the end, wherever the offset was.
    let fd = open(P, FOLLOW, "app.txt", 0, RW, 0, APPEND).unwrap();
    check_eq!(flags_of(fd), APPEND as u16);
    check_eq!(seek(fd, 0, 0), Ok(0));
    check_eq!(write(fd, b"+one"), Ok(4));
    check_eq!(seek(fd, 0, 1), Ok(9));
    check_eq!(seek(fd, 2, 0), Ok(2));
    check_eq!(write(fd, b"+two"), Ok(4));
    let mut buf = [0u8; 32];
    check_eq!(seek(fd, 0, 0), Ok(0));
    check_eq!(read(fd, &mut buf), Ok(13));
    check_eq!(&buf[..13], b"start+one+two");
    close(fd);
    let fd = open(P, FOLLOW, "app_new.txt", CREAT | EXCL, FD_WRITE, 0, APPEND).unwrap();
    check_eq!(write(fd, b"appended"), Ok(8));
    close(fd);

    // The synchronous-I/O flags: the file works as usual and the flag reads back (Linux has
    // no separate O_RSYNC: it reads back as SYNC).
    let sync_rights = RW | FD_DATASYNC | FD_SYNC;
    let fd = open(P, FOLLOW, "dsync.txt", CREAT, sync_rights, 0, DSYNC).unwrap();
    check_eq!(flags_of(fd), DSYNC as u16);
    check_eq!(write(fd, b"dsync"), Ok(5));
    close(fd);
    let fd = open(P, FOLLOW, "sync.txt", CREAT, sync_rights, 0, SYNC).unwrap();
    check_eq!(flags_of(fd), SYNC as u16);
    check_eq!(write(fd, b"sync"), Ok(4));
    close(fd);
    let fd = open(P, FOLLOW, "rsync.txt", CREAT, sync_rights, 0, RSYNC).unwrap();
    check_eq!(flags_of(fd), SYNC as u16);
    check_eq!(write(fd, b"rsync"), Ok(5));
    close(fd);
    let fd = open(P, FOLLOW, "data.txt", 0, R, 0, NONBLOCK).unwrap();
    check_eq!(flags_of(fd), NONBLOCK as u16);
    check_eq!(read(fd, &mut buf), Ok(10));
    close(fd);
    let all_flags = APPEND | DSYNC | NONBLOCK | RSYNC | SYNC;
    let fd = open(P, FOLLOW, "all_flags.txt", CREAT | EXCL, sync_rights, 0, all_flags).unwrap();
    check_eq!(flags_of(fd), (APPEND | NONBLOCK | SYNC) as u16);
    check_eq!(write(fd, b"all"), Ok(3));
    close(fd);
    // The synchronous flags need the matching rights in the directory's inheriting rights;
    // APPEND and NONBLOCK need nothing.
    let plain = open(P, FOLLOW, ".", DIRECTORY, DIR, RW, 0).unwrap();
    check_eq!(open(plain, FOLLOW, "data.txt", 0, R, 0, DSYNC), Err(NOTCAPABLE));
    check_eq!(open(plain, FOLLOW, "data.txt", 0, R, 0, SYNC), Err(NOTCAPABLE));
    check_eq!(open(plain, FOLLOW, "data.txt", 0, R, 0, RSYNC), Err(NOTCAPABLE));
    check_eq!(open(plain, FOLLOW, "refused_sync.txt", CREAT, RW, 0, SYNC), Err(NOTCAPABLE));
    check_eq!(open(plain, FOLLOW, "data.txt", 0, RW, 0, APPEND | NONBLOCK).map(close), Ok(0));
    let dsync_only = open(P, FOLLOW, ".", DIRECTORY, DIR, R | FD_DATASYNC, 0).unwrap();
    check_eq!(open(dsync_only, FOLLOW, "data.txt", 0, R, 0, DSYNC).map(close), Ok(0));
    check_eq!(open(dsync_only, FOLLOW, "data.txt", 0, R, 0, RSYNC), Err(NOTCAPABLE));

    // Rights of the new descriptor: what was asked, narrowed to what a file supports.
    let fd = open(P, FOLLOW, "data.txt", 0, ALL, ALL, 0).unwrap();
    let (_, _, base, _) = fdstat(fd).unwrap();
    check_eq!(base & (FD_READ | FD_WRITE | FD_SEEK), FD_READ | FD_WRITE | FD_SEEK);
    check_eq!(base & (rights::PATH_OPEN | rights::FD_READDIR | rights::PATH_CREATE_FILE), 0);
    close(fd);
    let fd = open(P, FOLLOW, "data.txt", 0, 0, 0, 0).unwrap();
    check_eq!(read(fd, &mut buf), Err(NOTCAPABLE));
    check_eq!(write(fd, b"x"), Err(NOTCAPABLE));
    close(fd);

    // Without SYMLINK_FOLLOW a final symlink is not opened; with it, its target is.
    check_eq!(open(P, N, "link_data", 0, R, 0, 0), Err(LOOP));
    check_eq!(read_file(P, FOLLOW, "link_data"), Ok("0123456789".into()));

    // Unknown bits.
    check_eq!(open(P, FOLLOW, "data.txt", 16, R, 0, 0), Err(INVAL));
    check_eq!(open(P, FOLLOW, "data.txt", 0, R, 0, 32), Err(INVAL));
    println!("ok");
}
