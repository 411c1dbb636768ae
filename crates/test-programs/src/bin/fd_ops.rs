//! The fd_* seed calls on regular files and directories: fdstat, flags, prestat, seek and its
//! rights, read/write rights, close.
//! Fixture: `data.txt` = "0123456789" and `sub/inner.txt` = "inner" in the preopen (fd 3).

use test_programs::{
    FOLLOW, PREOPEN, check, check_eq, close, errno, fdflags, fdstat, oflags, open, raw, read, rights, seek, write,
};

const FILETYPE_DIRECTORY: u8 = 3;
const FILETYPE_REGULAR: u8 = 4;

fn main() {
    // The preopen: a directory with directory rights, no read/write on itself.
    let (ft, flags, base, inheriting) = fdstat(PREOPEN).unwrap();
    check_eq!(ft, FILETYPE_DIRECTORY);
    check_eq!(flags, 0);
    check!(base & rights::PATH_OPEN != 0);
    check_eq!(base & rights::FD_READ, 0);
    check!(inheriting & (rights::FD_READ | rights::FD_WRITE) == rights::FD_READ | rights::FD_WRITE);

    // prestat: a directory named ".".
    let mut prestat = [0u32; 2];
    // SAFETY: an 8-byte, 4-aligned buffer.
    check_eq!(unsafe { raw::fd_prestat_get(PREOPEN, prestat.as_mut_ptr().cast()) }, errno::SUCCESS);
    check_eq!(prestat, [0, 1]);
    let mut name = [0u8; 8];
    // SAFETY: live buffers; the runtime checks lengths and pointers.
    unsafe {
        check_eq!(raw::fd_prestat_dir_name(PREOPEN, name.as_mut_ptr(), 8), errno::SUCCESS);
        check_eq!(name[0], b'.');
        check_eq!(raw::fd_prestat_dir_name(PREOPEN, name.as_mut_ptr(), 0), errno::NAMETOOLONG);
        check_eq!(raw::fd_prestat_get(1, prestat.as_mut_ptr().cast()), errno::BADF);
        check_eq!(raw::fd_prestat_get(4, prestat.as_mut_ptr().cast()), errno::BADF);
        check_eq!(raw::fd_prestat_dir_name(1, name.as_mut_ptr(), 8), errno::BADF);
    }

    // A file opened read-only gets only what it asked for, narrowed to file rights.
    let ro = open(PREOPEN, FOLLOW, "data.txt", 0, rights::FD_READ | rights::FD_SEEK | rights::PATH_OPEN, 0, 0).unwrap();
    let (ft, _, base, inheriting) = fdstat(ro).unwrap();
    check_eq!(ft, FILETYPE_REGULAR);
    check_eq!(base, rights::FD_READ | rights::FD_SEEK);
    check_eq!(inheriting, 0);
    let mut buf = [0u8; 4];
    check_eq!(read(ro, &mut buf), Ok(4));
    check_eq!(&buf, b"0123");
    check_eq!(write(ro, b"x"), Err(errno::NOTCAPABLE));
    // Scattered read into three buffers.
    let mut a = [0u8; 2];
    let mut b = [0u8; 0];
    let mut c = [0u8; 10];
    let iovs = [
        raw::Iovec { buf: a.as_mut_ptr(), len: 2 },
        raw::Iovec { buf: b.as_mut_ptr(), len: 0 },
        raw::Iovec { buf: c.as_mut_ptr(), len: 10 },
    ];
    let mut n = 0u32;
    // SAFETY: iovecs over live buffers.
    check_eq!(unsafe { raw::fd_read(ro, iovs.as_ptr(), 3, &mut n) }, errno::SUCCESS);
    check_eq!(n, 6);
    check_eq!(&a, b"45");
    check_eq!(&c[..4], b"6789");
    check_eq!(read(ro, &mut buf), Ok(0));
    // Seek: set, cur, end, negative, bad whence.
    check_eq!(seek(ro, 2, 0), Ok(2));
    check_eq!(seek(ro, 3, 1), Ok(5));
    check_eq!(seek(ro, -1, 2), Ok(9));
    // FD_SEEK implies FD_TELL: a zero move from the current position works without FD_TELL.
    check_eq!(seek(ro, 0, 1), Ok(9));
    check_eq!(seek(ro, -20, 1), Err(errno::INVAL));
    check_eq!(seek(ro, 0, 3), Err(errno::INVAL));
    check_eq!(seek(ro, 0, 256), Err(errno::INVAL));
    check_eq!(close(ro), errno::SUCCESS);
    check_eq!(close(ro), errno::BADF);
    check_eq!(read(ro, &mut buf), Err(errno::BADF));

    // FD_TELL alone allows only a zero move from the current position.
    let tell = open(PREOPEN, FOLLOW, "data.txt", 0, rights::FD_READ | rights::FD_TELL, 0, 0).unwrap();
    check_eq!(read(tell, &mut buf), Ok(4));
    check_eq!(seek(tell, 0, 1), Ok(4));
    check_eq!(seek(tell, 1, 1), Err(errno::NOTCAPABLE));
    check_eq!(seek(tell, 0, 0), Err(errno::NOTCAPABLE));
    close(tell);

    // Write-only: reading is refused, writing works.
    let wo = open(PREOPEN, FOLLOW, "written.txt", oflags::CREAT, rights::FD_WRITE | rights::FD_SEEK, 0, 0).unwrap();
    check_eq!(read(wo, &mut buf), Err(errno::NOTCAPABLE));
    check_eq!(write(wo, b"abc"), Ok(3));

    // Flags: APPEND can be set and then writes go to the end; sync flags cannot change;
    // unknown bits are refused; without the right, nothing changes.
    let app = open(
        PREOPEN,
        FOLLOW,
        "appended.txt",
        oflags::CREAT,
        rights::FD_WRITE | rights::FD_SEEK | rights::FD_FDSTAT_SET_FLAGS,
        0,
        0,
    )
    .unwrap();
    check_eq!(write(app, b"first"), Ok(5));
    check_eq!(seek(app, 0, 0), Ok(0));
    // SAFETY: no pointers.
    unsafe {
        check_eq!(raw::fd_fdstat_set_flags(app, fdflags::APPEND), errno::SUCCESS);
        check_eq!(raw::fd_fdstat_set_flags(app, fdflags::APPEND | fdflags::SYNC), errno::INVAL);
        check_eq!(raw::fd_fdstat_set_flags(app, 0x20), errno::INVAL);
        check_eq!(raw::fd_fdstat_set_flags(app, 0x10000 | fdflags::APPEND), errno::INVAL);
        check_eq!(raw::fd_fdstat_set_flags(wo, fdflags::APPEND), errno::NOTCAPABLE);
        check_eq!(raw::fd_fdstat_set_flags(99, 0), errno::BADF);
    }
    check_eq!(fdstat(app).unwrap().1, fdflags::APPEND as u16);
    check_eq!(write(app, b"+second"), Ok(7));
    // SAFETY: no pointers.
    check_eq!(unsafe { raw::fd_fdstat_set_flags(app, fdflags::NONBLOCK) }, errno::SUCCESS);
    check_eq!(fdstat(app).unwrap().1, fdflags::NONBLOCK as u16);
    check_eq!(write(app, b"!"), Ok(1));

    // Descriptors are allocated lowest-first: closing one frees its number for the next open.
    let x = open(PREOPEN, FOLLOW, "data.txt", 0, rights::FD_READ, 0, 0).unwrap();
    let y = open(PREOPEN, FOLLOW, "data.txt", 0, rights::FD_READ, 0, 0).unwrap();
    check_eq!(y, x + 1);
    close(x);
    check_eq!(open(PREOPEN, FOLLOW, "data.txt", 0, rights::FD_READ, 0, 0), Ok(x));

    // Directories: not readable as files, fdstat says directory.
    let dir = open(PREOPEN, FOLLOW, "sub", oflags::DIRECTORY, rights::FD_READDIR | rights::PATH_OPEN, rights::ALL, 0)
        .unwrap();
    check_eq!(fdstat(dir).unwrap().0, FILETYPE_DIRECTORY);
    check_eq!(read(dir, &mut buf), Err(errno::NOTCAPABLE));
    // Opening through the new directory works, with rights it inherited.
    let inner = open(dir, FOLLOW, "inner.txt", 0, rights::FD_READ, 0, 0).unwrap();
    check_eq!(read(inner, &mut buf), Ok(4));
    check_eq!(&buf, b"inne");

    // The preopen can be closed; then it is gone.
    check_eq!(close(PREOPEN), errno::SUCCESS);
    check_eq!(fdstat(PREOPEN), Err(errno::BADF));
    check_eq!(open(PREOPEN, FOLLOW, "data.txt", 0, rights::FD_READ, 0, 0), Err(errno::BADF));
    println!("fd ops ok");
}
