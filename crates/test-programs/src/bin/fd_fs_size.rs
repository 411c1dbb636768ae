//! `fd_filestat_set_size` and `fd_allocate`. The subcommand (first argument) picks the case.
//! Fixture: `grow.txt` = "hello", `shrink.txt` = "hello world", `alloc.txt` = "abc" in the
//! preopen (fd 3).

use test_programs::fd_fs::{self, pread, subcommand, tell};
use test_programs::{FOLLOW, PREOPEN, check_eq, close, errno, fd_filestat, open, raw, rights, seek};

const STAT: u64 = rights::FD_READ | rights::FD_SEEK | rights::FD_TELL | rights::FD_FILESTAT_GET;

fn set_size(fd: u32, size: u64) -> u16 {
    // SAFETY: no pointers.
    unsafe { raw::fd_filestat_set_size(fd, size) }
}

fn allocate(fd: u32, offset: u64, len: u64) -> u16 {
    // SAFETY: no pointers.
    unsafe { raw::fd_allocate(fd, offset, len) }
}

fn main() {
    let cmd = subcommand();
    match cmd.as_str() {
        "set_size" => set_size_cases(),
        "set_size_errors" => set_size_errors(),
        "allocate" => allocate_cases(),
        "allocate_errors" => allocate_errors(),
        other => panic!("unknown subcommand {other:?}"),
    }
    println!("{cmd} ok");
}

/// Extending and shrinking; the position does not move.
fn set_size_cases() {
    let grow = open(PREOPEN, FOLLOW, "grow.txt", 0, STAT | fd_fs::rights::FD_FILESTAT_SET_SIZE, 0, 0).unwrap();
    check_eq!(seek(grow, 2, 0), Ok(2));
    check_eq!(set_size(grow, 100), errno::SUCCESS);
    check_eq!(fd_filestat(grow).unwrap().size, 100);
    check_eq!(tell(grow), Ok(2));
    let mut buf = [0xffu8; 8];
    check_eq!(pread(grow, &mut buf, 0), Ok(8));
    check_eq!(&buf, b"hello\0\0\0");
    check_eq!(pread(grow, &mut buf, 96), Ok(4));
    check_eq!(&buf[..4], b"\0\0\0\0");
    // The same size again changes nothing.
    check_eq!(set_size(grow, 100), errno::SUCCESS);
    check_eq!(fd_filestat(grow).unwrap().size, 100);

    // FD_FILESTAT_SET_SIZE alone is enough (the host file is opened for writing).
    let shrink = open(PREOPEN, FOLLOW, "shrink.txt", 0, fd_fs::rights::FD_FILESTAT_SET_SIZE, 0, 0).unwrap();
    check_eq!(set_size(shrink, 5), errno::SUCCESS);
    let check = open(PREOPEN, FOLLOW, "shrink.txt", 0, STAT, 0, 0).unwrap();
    check_eq!(fd_filestat(check).unwrap().size, 5);
    // A position past the new end stays where it was.
    check_eq!(seek(check, 8, 0), Ok(8));
    check_eq!(set_size(shrink, 3), errno::SUCCESS);
    check_eq!(tell(check), Ok(8));
    check_eq!(fd_filestat(check).unwrap().size, 3);
}

fn set_size_errors() {
    check_eq!(set_size(99, 0), errno::BADF);
    let fd = open(PREOPEN, FOLLOW, "grow.txt", 0, STAT | rights::FD_WRITE, 0, 0).unwrap();
    check_eq!(set_size(fd, 0), errno::NOTCAPABLE);
    // Directories never hold FD_FILESTAT_SET_SIZE.
    check_eq!(set_size(PREOPEN, 0), errno::NOTCAPABLE);
    let sized = open(PREOPEN, FOLLOW, "grow.txt", 0, STAT | fd_fs::rights::FD_FILESTAT_SET_SIZE, 0, 0).unwrap();
    // A size the host cannot represent (negative as `off_t`).
    check_eq!(set_size(sized, u64::MAX), errno::INVAL);
    check_eq!(set_size(sized, 1 << 63), errno::INVAL);
    check_eq!(fd_filestat(sized).unwrap().size, 5);
    close(sized);
    check_eq!(set_size(sized, 0), errno::BADF);
}

/// fd_allocate extends the file, never shrinks it, and keeps its contents and position.
fn allocate_cases() {
    let fd = open(PREOPEN, FOLLOW, "alloc.txt", 0, STAT | fd_fs::rights::FD_ALLOCATE, 0, 0).unwrap();
    check_eq!(seek(fd, 1, 0), Ok(1));
    check_eq!(allocate(fd, 0, 100), errno::SUCCESS);
    check_eq!(fd_filestat(fd).unwrap().size, 100);
    // A range inside the file changes nothing.
    check_eq!(allocate(fd, 10, 5), errno::SUCCESS);
    check_eq!(fd_filestat(fd).unwrap().size, 100);
    // A range past the end extends to its end.
    check_eq!(allocate(fd, 200, 50), errno::SUCCESS);
    check_eq!(fd_filestat(fd).unwrap().size, 250);
    check_eq!(tell(fd), Ok(1));
    let mut buf = [0xffu8; 6];
    check_eq!(pread(fd, &mut buf, 0), Ok(6));
    check_eq!(&buf, b"abc\0\0\0");
}

fn allocate_errors() {
    let fd = open(PREOPEN, FOLLOW, "alloc.txt", 0, STAT | fd_fs::rights::FD_ALLOCATE, 0, 0).unwrap();
    // A zero length, or a range past i64::MAX (or past u64::MAX): inval.
    check_eq!(allocate(fd, 0, 0), errno::INVAL);
    check_eq!(allocate(fd, 1, 0), errno::INVAL);
    check_eq!(allocate(fd, i64::MAX as u64, 1), errno::INVAL);
    check_eq!(allocate(fd, u64::MAX, 1), errno::INVAL);
    check_eq!(allocate(fd, 0, u64::MAX), errno::INVAL);
    check_eq!(allocate(fd, 1, i64::MAX as u64), errno::INVAL);
    check_eq!(fd_filestat(fd).unwrap().size, 3);
    // Bad descriptors, missing right, a directory.
    check_eq!(allocate(99, 0, 1), errno::BADF);
    let no_right = open(PREOPEN, FOLLOW, "alloc.txt", 0, STAT | rights::FD_WRITE, 0, 0).unwrap();
    check_eq!(allocate(no_right, 0, 10), errno::NOTCAPABLE);
    check_eq!(allocate(PREOPEN, 0, 10), errno::NOTCAPABLE);
    close(fd);
    check_eq!(allocate(fd, 0, 10), errno::BADF);
}
