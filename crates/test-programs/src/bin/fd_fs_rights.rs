//! `fd_fdstat_set_rights` only narrows. The subcommand (first argument) picks the case.
//! Fixture: `file.txt` = "hello" in the preopen (fd 3).

use test_programs::fd_fs::{pread, subcommand, tell};
use test_programs::{FOLLOW, PREOPEN, check_eq, close, errno, fdstat, oflags, open, raw, read, rights, seek, write};

fn set_rights(fd: u32, base: u64, inheriting: u64) -> u16 {
    // SAFETY: no pointers.
    unsafe { raw::fd_fdstat_set_rights(fd, base, inheriting) }
}

fn rights_of(fd: u32) -> (u64, u64) {
    let (_, _, base, inheriting) = fdstat(fd).unwrap();
    (base, inheriting)
}

const R: u64 = rights::FD_READ;
const W: u64 = rights::FD_WRITE;
const S: u64 = rights::FD_SEEK;
const T: u64 = rights::FD_TELL;
const G: u64 = rights::FD_FILESTAT_GET;

fn main() {
    let cmd = subcommand();
    match cmd.as_str() {
        "narrow" => narrow(),
        "inheriting" => inheriting(),
        other => panic!("unknown subcommand {other:?}"),
    }
    println!("{cmd} ok");
}

fn narrow() {
    let fd = open(PREOPEN, FOLLOW, "file.txt", 0, R | W | S | T | G, R | W, 0).unwrap();
    check_eq!(rights_of(fd), (R | W | S | T | G, R | W));

    // Narrowing works and fdstat shows exactly the new rights.
    check_eq!(set_rights(fd, R | S | T | G, R), errno::SUCCESS);
    check_eq!(rights_of(fd), (R | S | T | G, R));
    check_eq!(write(fd, b"x"), Err(errno::NOTCAPABLE));
    let mut buf = [0u8; 2];
    check_eq!(read(fd, &mut buf), Ok(2));
    check_eq!(&buf, b"he");

    // Widening either set afterwards is refused and changes nothing.
    check_eq!(set_rights(fd, R | W | S | T | G, R), errno::NOTCAPABLE);
    check_eq!(set_rights(fd, R | S | T | G, R | W), errno::NOTCAPABLE);
    check_eq!(set_rights(fd, R | S | T | G | rights::FD_SYNC, R), errno::NOTCAPABLE);
    check_eq!(rights_of(fd), (R | S | T | G, R));
    check_eq!(write(fd, b"x"), Err(errno::NOTCAPABLE));

    // The same rights again: fine.
    check_eq!(set_rights(fd, R | S | T | G, R), errno::SUCCESS);
    check_eq!(rights_of(fd), (R | S | T | G, R));

    // Without FD_READ, fd_read and fd_pread are refused; what is left still works.
    check_eq!(set_rights(fd, S | T, 0), errno::SUCCESS);
    check_eq!(rights_of(fd), (S | T, 0));
    check_eq!(read(fd, &mut buf), Err(errno::NOTCAPABLE));
    check_eq!(pread(fd, &mut buf, 0), Err(errno::NOTCAPABLE));
    check_eq!(tell(fd), Ok(2));
    check_eq!(seek(fd, 0, 0), Ok(0));
    // FD_READ cannot come back.
    check_eq!(set_rights(fd, R | S | T, 0), errno::NOTCAPABLE);
    check_eq!(read(fd, &mut buf), Err(errno::NOTCAPABLE));

    // Down to nothing: fdstat needs no right, the descriptor can still be closed.
    check_eq!(set_rights(fd, 0, 0), errno::SUCCESS);
    check_eq!(rights_of(fd), (0, 0));
    check_eq!(tell(fd), Err(errno::NOTCAPABLE));
    check_eq!(close(fd), errno::SUCCESS);

    // Bad descriptors.
    check_eq!(set_rights(99, 0, 0), errno::BADF);
    check_eq!(set_rights(fd, 0, 0), errno::BADF);

    // Bits that are no right are `inval`, not silently dropped (which would narrow to
    // nothing), and change nothing.
    let fd = open(PREOPEN, FOLLOW, "file.txt", 0, R | S, 0, 0).unwrap();
    check_eq!(set_rights(fd, R | (1 << 40), 0), errno::INVAL);
    check_eq!(set_rights(fd, R, 1 << 63), errno::INVAL);
    check_eq!(rights_of(fd), (R | S, 0));
}

/// Narrowing a directory's inheriting rights limits what is opened through it.
fn inheriting() {
    // Asking for write rights on a directory is `isdir`, as Linux's `open(O_DIRECTORY|O_RDWR)`
    // (and on a file with `DIRECTORY`, `notdir`).
    check_eq!(open(PREOPEN, FOLLOW, ".", oflags::DIRECTORY, rights::ALL, rights::ALL, 0), Err(errno::ISDIR));
    check_eq!(open(PREOPEN, FOLLOW, ".", oflags::DIRECTORY, R | W, 0, 0), Err(errno::ISDIR));
    check_eq!(open(PREOPEN, FOLLOW, "file.txt", oflags::DIRECTORY, R | W, 0, 0), Err(errno::NOTDIR));
    let dir = open(PREOPEN, FOLLOW, ".", oflags::DIRECTORY, rights::DIR, rights::ALL, 0).unwrap();
    let (base, inh) = rights_of(dir);
    check_eq!(inh & (R | W), R | W);
    check_eq!(set_rights(dir, base, R | S), errno::SUCCESS);
    check_eq!(rights_of(dir), (base, R | S));
    // Asking for write gets only what the directory may pass on.
    let fd = open(dir, FOLLOW, "file.txt", 0, R | W | S, 0, 0).unwrap();
    check_eq!(rights_of(fd), (R | S, 0));
    check_eq!(write(fd, b"x"), Err(errno::NOTCAPABLE));
    // Dropping PATH_OPEN from the base rights stops opening altogether.
    check_eq!(set_rights(dir, base & !rights::PATH_OPEN, R | S), errno::SUCCESS);
    check_eq!(open(dir, FOLLOW, "file.txt", 0, R, 0, 0), Err(errno::NOTCAPABLE));
    // The preopen itself is unaffected.
    let fd = open(PREOPEN, FOLLOW, "file.txt", 0, R | W, 0, 0).unwrap();
    check_eq!(rights_of(fd), (R | W, 0));
}
