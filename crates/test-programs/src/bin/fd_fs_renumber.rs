//! `fd_renumber`. The subcommand (first argument) picks the case.
//! Fixture: `a.txt` = "alpha", `b.txt` = "bravo" in the preopen (fd 3).

use test_programs::fd_fs::{filetype, subcommand};
use test_programs::{FOLLOW, PREOPEN, check_eq, close, errno, fdstat, oflags, open, raw, read, rights};

fn renumber(from: u32, to: u32) -> u16 {
    // SAFETY: no pointers.
    unsafe { raw::fd_renumber(from, to) }
}

fn prestat(fd: u32) -> u16 {
    let mut buf = [0u32; 2];
    // SAFETY: an 8-byte, 4-aligned buffer.
    unsafe { raw::fd_prestat_get(fd, buf.as_mut_ptr().cast()) }
}

fn open_file(dir: u32, path: &str) -> u32 {
    open(dir, FOLLOW, path, 0, rights::FD_READ | rights::FD_SEEK, 0, 0).unwrap()
}

/// Reads what is left of the file (at most 16 bytes).
fn contents(fd: u32) -> Vec<u8> {
    let mut buf = [0u8; 16];
    let n = read(fd, &mut buf).unwrap() as usize;
    buf[..n].to_vec()
}

fn main() {
    let cmd = subcommand();
    match cmd.as_str() {
        "onto_itself" => onto_itself(),
        "closed" => closed(),
        "onto_open_file" => onto_open_file(),
        "onto_preopen" => onto_preopen(),
        other => panic!("unknown subcommand {other:?}"),
    }
    println!("{cmd} ok");
}

/// Renumbering onto itself succeeds and changes nothing.
fn onto_itself() {
    let fd = open_file(PREOPEN, "a.txt");
    check_eq!(renumber(fd, fd), errno::SUCCESS);
    check_eq!(fdstat(fd).unwrap().0, filetype::REGULAR_FILE);
    check_eq!(contents(fd), b"alpha");
    check_eq!(renumber(PREOPEN, PREOPEN), errno::SUCCESS);
    check_eq!(prestat(PREOPEN), errno::SUCCESS);
    check_eq!(open_file(PREOPEN, "b.txt"), fd + 1);
}

/// From or onto a descriptor that is not open: badf, and nothing changes.
fn closed() {
    let fd = open_file(PREOPEN, "a.txt");
    let gone = open_file(PREOPEN, "b.txt");
    check_eq!(close(gone), errno::SUCCESS);
    check_eq!(renumber(fd, gone), errno::BADF);
    check_eq!(renumber(fd, 50), errno::BADF);
    check_eq!(renumber(fd, u32::MAX), errno::BADF);
    check_eq!(renumber(gone, fd), errno::BADF);
    check_eq!(renumber(50, fd), errno::BADF);
    check_eq!(renumber(u32::MAX, fd), errno::BADF);
    check_eq!(renumber(50, 51), errno::BADF);
    check_eq!(renumber(50, 50), errno::BADF);
    // Both still as they were.
    check_eq!(contents(fd), b"alpha");
    check_eq!(fdstat(gone), Err(errno::BADF));
    check_eq!(fdstat(50), Err(errno::BADF));
    check_eq!(open_file(PREOPEN, "b.txt"), gone);
}

/// Onto an open file: the target is closed and replaced, the source number is freed.
fn onto_open_file() {
    let a = open_file(PREOPEN, "a.txt");
    let b = open_file(PREOPEN, "b.txt");
    check_eq!(renumber(b, a), errno::SUCCESS);
    check_eq!(contents(a), b"bravo");
    check_eq!(fdstat(b), Err(errno::BADF));
    check_eq!(close(b), errno::BADF);
    check_eq!(open_file(PREOPEN, "a.txt"), b);
}

/// Onto the preopen: the preopen is replaced (no longer a preopen), the file works under its
/// number, and the old number is reused by the next open.
fn onto_preopen() {
    let dir = open(PREOPEN, FOLLOW, ".", oflags::DIRECTORY, rights::DIR, rights::ALL, 0).unwrap();
    let file = open_file(PREOPEN, "a.txt");
    check_eq!(renumber(file, PREOPEN), errno::SUCCESS);
    check_eq!(prestat(PREOPEN), errno::BADF);
    let mut name = [0u8; 8];
    // SAFETY: a live buffer.
    check_eq!(unsafe { raw::fd_prestat_dir_name(PREOPEN, name.as_mut_ptr(), 8) }, errno::BADF);
    let (ft, _, base, _) = fdstat(PREOPEN).unwrap();
    check_eq!(ft, filetype::REGULAR_FILE);
    check_eq!(base, rights::FD_READ | rights::FD_SEEK);
    check_eq!(contents(PREOPEN), b"alpha");
    // Number 3 is a file now: no path operations through it.
    check_eq!(open(PREOPEN, FOLLOW, "b.txt", 0, rights::FD_READ, 0, 0), Err(errno::NOTDIR));
    // The old number is free and the next open takes it.
    check_eq!(fdstat(file), Err(errno::BADF));
    let b = open_file(dir, "b.txt");
    check_eq!(b, file);
    check_eq!(contents(b), b"bravo");
    // The new number 3 closes like any file.
    check_eq!(close(PREOPEN), errno::SUCCESS);
    check_eq!(fdstat(PREOPEN), Err(errno::BADF));
}
