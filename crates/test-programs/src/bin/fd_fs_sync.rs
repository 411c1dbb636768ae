//! `fd_advise`, `fd_datasync` and `fd_sync`. The subcommand (first argument) picks the case.
//! Fixture: `file.txt` = "hello" and the directory `sub/` in the preopen (fd 3).

use test_programs::fd_fs::{rights as more, subcommand};
use test_programs::{FOLLOW, PREOPEN, check_eq, close, errno, oflags, open, raw, rights, write};

fn advise(fd: u32, offset: u64, len: u64, advice: u32) -> u16 {
    // SAFETY: no pointers.
    unsafe { raw::fd_advise(fd, offset, len, advice) }
}

fn datasync(fd: u32) -> u16 {
    // SAFETY: no pointers.
    unsafe { raw::fd_datasync(fd) }
}

fn sync(fd: u32) -> u16 {
    // SAFETY: no pointers.
    unsafe { raw::fd_sync(fd) }
}

fn main() {
    let cmd = subcommand();
    match cmd.as_str() {
        "advise" => advise_cases(),
        "datasync" => datasync_cases(),
        "sync" => sync_cases(),
        other => panic!("unknown subcommand {other:?}"),
    }
    println!("{cmd} ok");
}

fn advise_cases() {
    let fd = open(PREOPEN, FOLLOW, "file.txt", 0, rights::FD_READ | more::FD_ADVISE, 0, 0).unwrap();
    // normal, sequential, random, willneed, dontneed, noreuse; the whole file or a range,
    // also past the end.
    for advice in 0..=5 {
        check_eq!(advise(fd, 0, 0, advice), errno::SUCCESS);
        check_eq!(advise(fd, 2, 3, advice), errno::SUCCESS);
        check_eq!(advise(fd, 100, 1000, advice), errno::SUCCESS);
    }
    // Unknown advice: inval (also when the fd is fine and the value only fits 32 bits).
    for advice in [6, 7, 255, 256, 0x1_0000, u32::MAX] {
        check_eq!(advise(fd, 0, 0, advice), errno::INVAL);
    }
    // The preopen holds FD_ADVISE; advice on a directory is accepted and ignored.
    check_eq!(advise(PREOPEN, 0, 0, 0), errno::SUCCESS);
    // Bad descriptor, missing right.
    check_eq!(advise(99, 0, 0, 0), errno::BADF);
    let no_right = open(PREOPEN, FOLLOW, "file.txt", 0, rights::FD_READ, 0, 0).unwrap();
    check_eq!(advise(no_right, 0, 0, 0), errno::NOTCAPABLE);
    let dir = open(PREOPEN, FOLLOW, "sub", oflags::DIRECTORY, rights::FD_READDIR, 0, 0).unwrap();
    check_eq!(advise(dir, 0, 0, 0), errno::NOTCAPABLE);
    close(fd);
    check_eq!(advise(fd, 0, 0, 0), errno::BADF);
}

fn datasync_cases() {
    let fd = open(PREOPEN, FOLLOW, "file.txt", 0, rights::FD_WRITE | rights::FD_DATASYNC, 0, 0).unwrap();
    check_eq!(write(fd, b"HE"), Ok(2));
    check_eq!(datasync(fd), errno::SUCCESS);
    // FD_DATASYNC alone is enough (the host file is opened for writing).
    let only = open(PREOPEN, FOLLOW, "file.txt", 0, rights::FD_DATASYNC, 0, 0).unwrap();
    check_eq!(datasync(only), errno::SUCCESS);
    check_eq!(datasync(99), errno::BADF);
    // Without the right: a file, and directories (which never hold FD_DATASYNC).
    let no_right = open(PREOPEN, FOLLOW, "file.txt", 0, rights::FD_WRITE | rights::FD_SYNC, 0, 0).unwrap();
    check_eq!(datasync(no_right), errno::NOTCAPABLE);
    check_eq!(datasync(PREOPEN), errno::NOTCAPABLE);
    let dir = open(PREOPEN, FOLLOW, "sub", oflags::DIRECTORY, rights::DIR, 0, 0).unwrap();
    check_eq!(datasync(dir), errno::NOTCAPABLE);
    close(fd);
    check_eq!(datasync(fd), errno::BADF);
}

fn sync_cases() {
    let fd = open(PREOPEN, FOLLOW, "file.txt", 0, rights::FD_WRITE | rights::FD_SYNC, 0, 0).unwrap();
    check_eq!(write(fd, b"HE"), Ok(2));
    check_eq!(sync(fd), errno::SUCCESS);
    // A read-only file can be synced too.
    let ro = open(PREOPEN, FOLLOW, "file.txt", 0, rights::FD_READ | rights::FD_SYNC, 0, 0).unwrap();
    check_eq!(sync(ro), errno::SUCCESS);
    // Directories: the preopen and an opened one hold FD_SYNC.
    check_eq!(sync(PREOPEN), errno::SUCCESS);
    let dir = open(PREOPEN, FOLLOW, "sub", oflags::DIRECTORY, rights::FD_READDIR | rights::FD_SYNC, 0, 0).unwrap();
    check_eq!(sync(dir), errno::SUCCESS);
    check_eq!(sync(99), errno::BADF);
    // Without the right.
    let no_right = open(PREOPEN, FOLLOW, "file.txt", 0, rights::FD_WRITE | rights::FD_DATASYNC, 0, 0).unwrap();
    check_eq!(sync(no_right), errno::NOTCAPABLE);
    let dir = open(PREOPEN, FOLLOW, "sub", oflags::DIRECTORY, rights::FD_READDIR, 0, 0).unwrap();
    check_eq!(sync(dir), errno::NOTCAPABLE);
    close(fd);
    check_eq!(sync(fd), errno::BADF);
}
