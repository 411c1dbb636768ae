//! Descriptors opened with `fdflags::append`. The subcommand (first argument) picks the case.
//! Fixture: `log.txt` = "0123456789" in the preopen (fd 3).

use test_programs::fd_fs::{pread, pwrite, subcommand, tell};
use test_programs::{FOLLOW, PREOPEN, check_eq, fd_filestat, fdflags, fdstat, open, raw, read, rights, seek, write};

const RWST: u64 = rights::FD_READ | rights::FD_WRITE | rights::FD_SEEK | rights::FD_TELL | rights::FD_FILESTAT_GET;

fn open_append(extra: u64) -> u32 {
    let fd = open(PREOPEN, FOLLOW, "log.txt", 0, RWST | extra, 0, fdflags::APPEND).unwrap();
    check_eq!(fdstat(fd).unwrap().1, fdflags::APPEND as u16);
    fd
}

fn main() {
    let cmd = subcommand();
    match cmd.as_str() {
        "seek" => after_seek(),
        "tell" => tell_after_write(),
        "pwrite" => pwrite_appends(),
        other => panic!("unknown subcommand {other:?}"),
    }
    println!("{cmd} ok");
}

/// Writes go to the end, even after seeking back to 0; reads still use the position.
fn after_seek() {
    let fd = open_append(0);
    check_eq!(write(fd, b"abc"), Ok(3));
    check_eq!(seek(fd, 0, 0), Ok(0));
    check_eq!(write(fd, b"X"), Ok(1));
    check_eq!(seek(fd, 0, 0), Ok(0));
    let mut buf = [0u8; 4];
    check_eq!(read(fd, &mut buf), Ok(4));
    check_eq!(&buf, b"0123");
    check_eq!(write(fd, b"Y"), Ok(1));
    check_eq!(fd_filestat(fd).unwrap().size, 15);
}

/// The position after an appending write is the new end of the file.
fn tell_after_write() {
    let fd = open_append(0);
    check_eq!(tell(fd), Ok(0));
    check_eq!(write(fd, b"abc"), Ok(3));
    check_eq!(tell(fd), Ok(13));
    check_eq!(seek(fd, 2, 0), Ok(2));
    check_eq!(tell(fd), Ok(2));
    check_eq!(write(fd, b"d"), Ok(1));
    check_eq!(tell(fd), Ok(14));
}

/// fd_pwrite on an appending descriptor: the data goes to the end of the file whatever the
/// offset (as Linux does; Lucent documents it), and the position does not move.
fn pwrite_appends() {
    let fd = open_append(rights::FD_FDSTAT_SET_FLAGS);
    check_eq!(seek(fd, 3, 0), Ok(3));
    check_eq!(pwrite(fd, b"P", 0), Ok(1));
    check_eq!(tell(fd), Ok(3));
    check_eq!(pwrite(fd, b"QR", 5), Ok(2));
    check_eq!(tell(fd), Ok(3));
    check_eq!(pwrite(fd, b"S", 100), Ok(1));
    check_eq!(tell(fd), Ok(3));
    check_eq!(fd_filestat(fd).unwrap().size, 14);
    let mut buf = [0u8; 20];
    check_eq!(pread(fd, &mut buf, 0), Ok(14));
    check_eq!(&buf[..14], b"0123456789PQRS");
    // Without APPEND, pwrite writes at its offset again.
    // SAFETY: no pointers.
    check_eq!(unsafe { raw::fd_fdstat_set_flags(fd, 0) }, 0);
    check_eq!(pwrite(fd, b"z", 0), Ok(1));
    check_eq!(tell(fd), Ok(3));
}
