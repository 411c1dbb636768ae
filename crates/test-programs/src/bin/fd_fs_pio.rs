//! `fd_pread`, `fd_pwrite` and `fd_tell`. The subcommand (first argument) picks the case.
//! Fixture: `data.txt` = "0123456789" in the preopen (fd 3).

use test_programs::fd_fs::{BAD_PTR, pread, pwrite, subcommand, tell};
use test_programs::{FOLLOW, PREOPEN, check_eq, close, errno, open, raw, read, rights, seek};

const RW: u64 = rights::FD_READ | rights::FD_WRITE | rights::FD_SEEK | rights::FD_TELL;

fn main() {
    let cmd = subcommand();
    match cmd.as_str() {
        "position" => position(),
        "eof" => eof(),
        "offset_too_big" => offset_too_big(),
        "errors" => errors(),
        "tell" => tell_cases(),
        other => panic!("unknown subcommand {other:?}"),
    }
    println!("{cmd} ok");
}

/// pread and pwrite leave the position alone; plain reads continue from it.
fn position() {
    let fd = open(PREOPEN, FOLLOW, "data.txt", 0, RW, 0, 0).unwrap();
    check_eq!(seek(fd, 3, 0), Ok(3));
    let mut buf = [0u8; 3];
    check_eq!(pread(fd, &mut buf, 5), Ok(3));
    check_eq!(&buf, b"567");
    check_eq!(tell(fd), Ok(3));
    check_eq!(pwrite(fd, b"AB", 8), Ok(2));
    check_eq!(tell(fd), Ok(3));
    // A plain read continues from position 3.
    let mut two = [0u8; 2];
    check_eq!(read(fd, &mut two), Ok(2));
    check_eq!(&two, b"34");
    check_eq!(tell(fd), Ok(5));
    // pread sees what pwrite wrote.
    check_eq!(pread(fd, &mut buf, 7), Ok(3));
    check_eq!(&buf, b"7AB");
    // pwrite past the end extends the file with a hole; the position still does not move.
    check_eq!(pwrite(fd, b"XY", 12), Ok(2));
    check_eq!(tell(fd), Ok(5));
    // Gathered pwrite and scattered pread, with an empty buffer in the middle.
    let (a, b) = (*b"a", *b"b");
    let iovs = [
        raw::Iovec { buf: a.as_ptr(), len: 1 },
        raw::Iovec { buf: b.as_ptr(), len: 0 },
        raw::Iovec { buf: b.as_ptr(), len: 1 },
    ];
    let mut n = 0u32;
    // SAFETY: iovecs over live buffers.
    check_eq!(unsafe { raw::fd_pwrite(fd, iovs.as_ptr(), 3, 0, &mut n) }, errno::SUCCESS);
    check_eq!(n, 2);
    let (mut x, mut y) = ([0u8; 4], [0u8; 20]);
    let iovs = [raw::Iovec { buf: x.as_mut_ptr(), len: 4 }, raw::Iovec { buf: y.as_mut_ptr(), len: 20 }];
    // SAFETY: iovecs over live buffers.
    check_eq!(unsafe { raw::fd_pread(fd, iovs.as_ptr(), 2, 0, &mut n) }, errno::SUCCESS);
    check_eq!(n, 14);
    check_eq!(&x, b"ab23");
    check_eq!(&y[..10], b"4567AB\0\0XY");
    check_eq!(tell(fd), Ok(5));
    // The position is shared with seek and read as usual.
    check_eq!(read(fd, &mut two), Ok(2));
    check_eq!(&two, b"56");
    check_eq!(tell(fd), Ok(7));
}

/// pread at or past the end of the file reads nothing; near the end, what is there.
fn eof() {
    let fd = open(PREOPEN, FOLLOW, "data.txt", 0, RW, 0, 0).unwrap();
    let mut buf = [0u8; 5];
    check_eq!(pread(fd, &mut buf, 10), Ok(0));
    check_eq!(pread(fd, &mut buf, 11), Ok(0));
    check_eq!(pread(fd, &mut buf, 1 << 40), Ok(0));
    check_eq!(pread(fd, &mut buf, i64::MAX as u64 - 10), Ok(0));
    check_eq!(pread(fd, &mut buf, 8), Ok(2));
    check_eq!(&buf[..2], b"89");
    check_eq!(pread(fd, &mut [], 0), Ok(0));
    check_eq!(tell(fd), Ok(0));
    // An empty pwrite writes nothing, anywhere.
    check_eq!(pwrite(fd, b"", 100), Ok(0));
}

/// Offsets the host cannot represent (above `i64::MAX`) are `inval`; nothing is written.
fn offset_too_big() {
    let fd = open(PREOPEN, FOLLOW, "data.txt", 0, RW, 0, 0).unwrap();
    let mut buf = [0u8; 4];
    for offset in [i64::MAX as u64 + 1, 1 << 63 | 5, u64::MAX] {
        check_eq!(pread(fd, &mut buf, offset), Err(errno::INVAL));
        check_eq!(pwrite(fd, b"zz", offset), Err(errno::INVAL));
    }
    check_eq!(tell(fd), Ok(0));
}

/// Bad descriptors, missing rights, directories, bad pointers and iovec lists.
fn errors() {
    let mut buf = [0u8; 4];
    // Bad descriptors.
    check_eq!(pread(99, &mut buf, 0), Err(errno::BADF));
    check_eq!(pwrite(99, b"x", 0), Err(errno::BADF));
    let closed = open(PREOPEN, FOLLOW, "data.txt", 0, RW, 0, 0).unwrap();
    close(closed);
    check_eq!(pread(closed, &mut buf, 0), Err(errno::BADF));
    check_eq!(pwrite(closed, b"x", 0), Err(errno::BADF));

    // pread needs FD_READ and FD_SEEK; pwrite needs FD_WRITE and FD_SEEK.
    let read_only = open(PREOPEN, FOLLOW, "data.txt", 0, rights::FD_READ | rights::FD_TELL, 0, 0).unwrap();
    check_eq!(pread(read_only, &mut buf, 0), Err(errno::NOTCAPABLE));
    check_eq!(read(read_only, &mut buf), Ok(4));
    let seek_only = open(PREOPEN, FOLLOW, "data.txt", 0, rights::FD_SEEK | rights::FD_WRITE, 0, 0).unwrap();
    check_eq!(pread(seek_only, &mut buf, 0), Err(errno::NOTCAPABLE));
    let read_seek = open(PREOPEN, FOLLOW, "data.txt", 0, rights::FD_READ | rights::FD_SEEK, 0, 0).unwrap();
    check_eq!(pwrite(read_seek, b"x", 0), Err(errno::NOTCAPABLE));
    let write_only = open(PREOPEN, FOLLOW, "data.txt", 0, rights::FD_WRITE, 0, 0).unwrap();
    check_eq!(pwrite(write_only, b"x", 0), Err(errno::NOTCAPABLE));
    // A directory never holds FD_READ, FD_WRITE or FD_SEEK.
    check_eq!(pread(PREOPEN, &mut buf, 0), Err(errno::NOTCAPABLE));
    check_eq!(pwrite(PREOPEN, b"x", 0), Err(errno::NOTCAPABLE));

    let fd = open(PREOPEN, FOLLOW, "data.txt", 0, RW, 0, 0).unwrap();
    let mut n = 0u32;
    let good = [raw::Iovec { buf: buf.as_mut_ptr(), len: 4 }];
    let bad_buf = [raw::Iovec { buf: BAD_PTR as *const u8, len: 4 }];
    let bad_list = BAD_PTR as *const raw::Iovec;
    let bad_n = BAD_PTR as *mut u32;
    let mut words = [0u32; 2];
    let misaligned_n = words.as_mut_ptr().cast::<u8>().wrapping_add(1).cast::<u32>();
    let big = [raw::Iovec { buf: buf.as_ptr(), len: 0x8000_0000 }, raw::Iovec { buf: buf.as_ptr(), len: 0x8000_0000 }];
    // SAFETY: the runtime checks every pointer; none is dereferenced here.
    unsafe {
        // Buffers or the iovec list outside memory: fault.
        check_eq!(raw::fd_pread(fd, bad_buf.as_ptr(), 1, 0, &mut n), errno::FAULT);
        check_eq!(raw::fd_pread(fd, bad_list, 1, 0, &mut n), errno::FAULT);
        check_eq!(raw::fd_pread(fd, good.as_ptr(), 1, 0, bad_n), errno::FAULT);
        check_eq!(raw::fd_pwrite(fd, bad_buf.as_ptr(), 1, 0, &mut n), errno::FAULT);
        check_eq!(raw::fd_pwrite(fd, bad_list, 1, 0, &mut n), errno::FAULT);
        // A bad result pointer is found before anything is written.
        check_eq!(raw::fd_pwrite(fd, good.as_ptr(), 1, 0, bad_n), errno::FAULT);
        // A misaligned result pointer: inval.
        check_eq!(raw::fd_pread(fd, good.as_ptr(), 1, 0, misaligned_n), errno::INVAL);
        check_eq!(raw::fd_pwrite(fd, good.as_ptr(), 1, 0, misaligned_n), errno::INVAL);
        // More than 1024 iovecs, or lengths adding up past u32::MAX: inval.
        check_eq!(raw::fd_pread(fd, good.as_ptr(), 1025, 0, &mut n), errno::INVAL);
        check_eq!(raw::fd_pwrite(fd, good.as_ptr(), 1025, 0, &mut n), errno::INVAL);
        check_eq!(raw::fd_pread(fd, big.as_ptr(), 2, 0, &mut n), errno::INVAL);
        check_eq!(raw::fd_pwrite(fd, big.as_ptr(), 2, 0, &mut n), errno::INVAL);
    }
    check_eq!(tell(fd), Ok(0));
}

/// fd_tell: the position after reads and seeks; rights, directories, bad pointers.
fn tell_cases() {
    let fd = open(PREOPEN, FOLLOW, "data.txt", 0, RW, 0, 0).unwrap();
    check_eq!(tell(fd), Ok(0));
    let mut buf = [0u8; 4];
    check_eq!(read(fd, &mut buf), Ok(4));
    check_eq!(tell(fd), Ok(4));
    check_eq!(seek(fd, 0, 2), Ok(10));
    check_eq!(tell(fd), Ok(10));
    check_eq!(seek(fd, 25, 0), Ok(25));
    check_eq!(tell(fd), Ok(25));
    // FD_TELL alone is enough; without it (and without FD_SEEK), fd_tell is refused. (FD_SEEK
    // without FD_TELL is left out: the spec says FD_SEEK implies FD_TELL, Lucent refuses.)
    let tell_only = open(PREOPEN, FOLLOW, "data.txt", 0, rights::FD_TELL, 0, 0).unwrap();
    check_eq!(tell(tell_only), Ok(0));
    let no_tell = open(PREOPEN, FOLLOW, "data.txt", 0, rights::FD_READ | rights::FD_WRITE, 0, 0).unwrap();
    check_eq!(tell(no_tell), Err(errno::NOTCAPABLE));
    // Directories have no FD_TELL.
    check_eq!(tell(PREOPEN), Err(errno::NOTCAPABLE));
    let dir = open(PREOPEN, FOLLOW, ".", test_programs::oflags::DIRECTORY, rights::DIR, 0, 0).unwrap();
    check_eq!(tell(dir), Err(errno::NOTCAPABLE));
    // Bad descriptors.
    check_eq!(tell(99), Err(errno::BADF));
    close(tell_only);
    check_eq!(tell(tell_only), Err(errno::BADF));
    // Bad result pointers: outside memory is fault, misaligned is inval; nothing moves.
    let mut words = [0u64; 2];
    let misaligned = words.as_mut_ptr().cast::<u8>().wrapping_add(4).cast::<u64>();
    // SAFETY: the runtime checks the pointers.
    unsafe {
        check_eq!(raw::fd_tell(fd, BAD_PTR as *mut u64), errno::FAULT);
        check_eq!(raw::fd_tell(fd, misaligned), errno::INVAL);
    }
    check_eq!(tell(fd), Ok(25));
}
