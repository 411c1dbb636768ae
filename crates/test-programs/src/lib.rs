//! Helpers shared by the guest test programs: raw `wasi_snapshot_preview1` imports (to pass
//! arguments the standard library never would) and small assertion helpers.

#![allow(clippy::missing_safety_doc)]

/// Raw preview1 imports. Every function returns the errno (0 for success).
pub mod raw {
    #[link(wasm_import_module = "wasi_snapshot_preview1")]
    unsafe extern "C" {
        pub fn args_get(argv: *mut *mut u8, argv_buf: *mut u8) -> u16;
        pub fn args_sizes_get(argc: *mut u32, argv_buf_size: *mut u32) -> u16;
        pub fn environ_get(environ: *mut *mut u8, environ_buf: *mut u8) -> u16;
        pub fn environ_sizes_get(count: *mut u32, buf_size: *mut u32) -> u16;
        pub fn clock_res_get(id: u32, resolution: *mut u64) -> u16;
        pub fn clock_time_get(id: u32, precision: u64, time: *mut u64) -> u16;
        pub fn fd_close(fd: u32) -> u16;
        pub fn fd_fdstat_get(fd: u32, stat: *mut u8) -> u16;
        pub fn fd_fdstat_set_flags(fd: u32, flags: u32) -> u16;
        pub fn fd_prestat_get(fd: u32, prestat: *mut u8) -> u16;
        pub fn fd_prestat_dir_name(fd: u32, path: *mut u8, path_len: u32) -> u16;
        pub fn fd_read(fd: u32, iovs: *const Iovec, iovs_len: u32, nread: *mut u32) -> u16;
        pub fn fd_write(fd: u32, iovs: *const Iovec, iovs_len: u32, nwritten: *mut u32) -> u16;
        pub fn fd_seek(fd: u32, offset: i64, whence: u32, newoffset: *mut u64) -> u16;
        pub fn path_open(
            fd: u32,
            dirflags: u32,
            path: *const u8,
            path_len: u32,
            oflags: u32,
            rights_base: u64,
            rights_inheriting: u64,
            fdflags: u32,
            opened: *mut u32,
        ) -> u16;
        pub fn fd_advise(fd: u32, offset: u64, len: u64, advice: u32) -> u16;
        pub fn fd_allocate(fd: u32, offset: u64, len: u64) -> u16;
        pub fn fd_datasync(fd: u32) -> u16;
        pub fn fd_sync(fd: u32) -> u16;
        pub fn fd_fdstat_set_rights(fd: u32, base: u64, inheriting: u64) -> u16;
        pub fn fd_filestat_get(fd: u32, buf: *mut u8) -> u16;
        pub fn fd_filestat_set_size(fd: u32, size: u64) -> u16;
        pub fn fd_filestat_set_times(fd: u32, atim: u64, mtim: u64, fst_flags: u32) -> u16;
        pub fn fd_pread(fd: u32, iovs: *const Iovec, iovs_len: u32, offset: u64, nread: *mut u32) -> u16;
        pub fn fd_pwrite(fd: u32, iovs: *const Iovec, iovs_len: u32, offset: u64, nwritten: *mut u32) -> u16;
        pub fn fd_readdir(fd: u32, buf: *mut u8, buf_len: u32, cookie: u64, bufused: *mut u32) -> u16;
        pub fn fd_renumber(fd: u32, to: u32) -> u16;
        pub fn fd_tell(fd: u32, offset: *mut u64) -> u16;
        pub fn path_create_directory(fd: u32, path: *const u8, path_len: u32) -> u16;
        pub fn path_filestat_get(fd: u32, flags: u32, path: *const u8, path_len: u32, buf: *mut u8) -> u16;
        pub fn path_filestat_set_times(
            fd: u32,
            flags: u32,
            path: *const u8,
            path_len: u32,
            atim: u64,
            mtim: u64,
            fst_flags: u32,
        ) -> u16;
        pub fn path_link(
            old_fd: u32,
            old_flags: u32,
            old_path: *const u8,
            old_path_len: u32,
            new_fd: u32,
            new_path: *const u8,
            new_path_len: u32,
        ) -> u16;
        pub fn path_readlink(fd: u32, path: *const u8, path_len: u32, buf: *mut u8, buf_len: u32, used: *mut u32) -> u16;
        pub fn path_remove_directory(fd: u32, path: *const u8, path_len: u32) -> u16;
        pub fn path_rename(
            fd: u32,
            old_path: *const u8,
            old_path_len: u32,
            new_fd: u32,
            new_path: *const u8,
            new_path_len: u32,
        ) -> u16;
        pub fn path_symlink(old_path: *const u8, old_path_len: u32, fd: u32, new_path: *const u8, new_path_len: u32) -> u16;
        pub fn path_unlink_file(fd: u32, path: *const u8, path_len: u32) -> u16;
        pub fn proc_exit(code: u32) -> !;
        pub fn random_get(buf: *mut u8, len: u32) -> u16;
        pub fn sched_yield() -> u16;
    }

    /// `iovec` / `ciovec`.
    #[repr(C)]
    #[derive(Clone, Copy)]
    pub struct Iovec {
        pub buf: *const u8,
        pub len: u32,
    }
}

/// Errno values used by the tests.
pub mod errno {
    pub const SUCCESS: u16 = 0;
    pub const BADF: u16 = 8;
    pub const EXIST: u16 = 20;
    pub const FAULT: u16 = 21;
    pub const ILSEQ: u16 = 25;
    pub const INVAL: u16 = 28;
    pub const ISDIR: u16 = 31;
    pub const LOOP: u16 = 32;
    pub const NAMETOOLONG: u16 = 37;
    pub const NOENT: u16 = 44;
    pub const NOSYS: u16 = 52;
    pub const NOTDIR: u16 = 54;
    pub const PERM: u16 = 63;
    pub const SPIPE: u16 = 70;
    pub const NOTCAPABLE: u16 = 76;
}

/// Rights bits used by the tests.
pub mod rights {
    pub const FD_DATASYNC: u64 = 1 << 0;
    pub const FD_READ: u64 = 1 << 1;
    pub const FD_SEEK: u64 = 1 << 2;
    pub const FD_FDSTAT_SET_FLAGS: u64 = 1 << 3;
    pub const FD_SYNC: u64 = 1 << 4;
    pub const FD_TELL: u64 = 1 << 5;
    pub const FD_WRITE: u64 = 1 << 6;
    pub const PATH_CREATE_FILE: u64 = 1 << 10;
    pub const PATH_OPEN: u64 = 1 << 13;
    pub const FD_READDIR: u64 = 1 << 14;
    pub const FD_FILESTAT_GET: u64 = 1 << 21;
    pub const ALL: u64 = (1 << 30) - 1;
}

/// `oflags`.
pub mod oflags {
    pub const CREAT: u32 = 1;
    pub const DIRECTORY: u32 = 2;
    pub const EXCL: u32 = 4;
    pub const TRUNC: u32 = 8;
}

/// `fdflags`.
pub mod fdflags {
    pub const APPEND: u32 = 1;
    pub const DSYNC: u32 = 2;
    pub const NONBLOCK: u32 = 4;
    pub const SYNC: u32 = 16;
}

/// `lookupflags::symlink_follow`.
pub const FOLLOW: u32 = 1;

/// The first preopened directory in Lucent's tests.
pub const PREOPEN: u32 = 3;

/// Opens `path` beneath `dir` with the given flags and rights; returns the fd or the errno.
pub fn open(dir: u32, lookup: u32, path: &str, oflags: u32, base: u64, inheriting: u64, fdflags: u32) -> Result<u32, u16> {
    let mut fd = 0u32;
    // SAFETY: pointers to live locals and a live string.
    let e = unsafe {
        raw::path_open(dir, lookup, path.as_ptr(), path.len() as u32, oflags, base, inheriting, fdflags, &mut fd)
    };
    if e == 0 { Ok(fd) } else { Err(e) }
}

/// Writes `data` to `fd` with one iovec; returns the count or the errno.
pub fn write(fd: u32, data: &[u8]) -> Result<u32, u16> {
    let iov = raw::Iovec { buf: data.as_ptr(), len: data.len() as u32 };
    let mut n = 0;
    // SAFETY: pointers to live locals.
    let e = unsafe { raw::fd_write(fd, &iov, 1, &mut n) };
    if e == 0 { Ok(n) } else { Err(e) }
}

/// Reads into `buf` with one iovec; returns the count or the errno.
pub fn read(fd: u32, buf: &mut [u8]) -> Result<u32, u16> {
    let iov = raw::Iovec { buf: buf.as_mut_ptr(), len: buf.len() as u32 };
    let mut n = 0;
    // SAFETY: pointers to live locals.
    let e = unsafe { raw::fd_read(fd, &iov, 1, &mut n) };
    if e == 0 { Ok(n) } else { Err(e) }
}

/// Seeks; returns the new offset or the errno.
pub fn seek(fd: u32, offset: i64, whence: u32) -> Result<u64, u16> {
    let mut pos = 0;
    // SAFETY: pointer to a live local.
    let e = unsafe { raw::fd_seek(fd, offset, whence, &mut pos) };
    if e == 0 { Ok(pos) } else { Err(e) }
}

/// `fdstat` decoded: (filetype, flags, rights_base, rights_inheriting).
pub fn fdstat(fd: u32) -> Result<(u8, u16, u64, u64), u16> {
    let mut buf = [0u64; 3];
    // SAFETY: a 24-byte, 8-aligned buffer.
    let e = unsafe { raw::fd_fdstat_get(fd, buf.as_mut_ptr().cast()) };
    if e != 0 {
        return Err(e);
    }
    let bytes: [u8; 24] = unsafe { core::mem::transmute(buf) };
    Ok((bytes[0], u16::from_le_bytes([bytes[2], bytes[3]]), buf[1], buf[2]))
}

/// Creates the symlink `link` (beneath `dir`) containing `target`; returns the errno.
pub fn symlink(target: &str, dir: u32, link: &str) -> u16 {
    // SAFETY: pointers to live strings.
    unsafe { raw::path_symlink(target.as_ptr(), target.len() as u32, dir, link.as_ptr(), link.len() as u32) }
}

/// `filestat` decoded: (dev, ino, filetype, nlink, size, atim, mtim, ctim).
pub fn decode_filestat(buf: &[u64; 8]) -> Filestat {
    Filestat {
        dev: buf[0],
        ino: buf[1],
        filetype: buf[2] as u8,
        nlink: buf[3],
        size: buf[4],
        atim: buf[5],
        mtim: buf[6],
        ctim: buf[7],
    }
}

/// A decoded preview1 `filestat`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Filestat {
    pub dev: u64,
    pub ino: u64,
    pub filetype: u8,
    pub nlink: u64,
    pub size: u64,
    pub atim: u64,
    pub mtim: u64,
    pub ctim: u64,
}

/// `fd_filestat_get`, decoded.
pub fn fd_filestat(fd: u32) -> Result<Filestat, u16> {
    let mut buf = [0u64; 8];
    // SAFETY: a 64-byte, 8-aligned buffer.
    let e = unsafe { raw::fd_filestat_get(fd, buf.as_mut_ptr().cast()) };
    if e == 0 { Ok(decode_filestat(&buf)) } else { Err(e) }
}

/// `path_filestat_get`, decoded.
pub fn path_filestat(dir: u32, flags: u32, path: &str) -> Result<Filestat, u16> {
    let mut buf = [0u64; 8];
    // SAFETY: a 64-byte, 8-aligned buffer and a live string.
    let e = unsafe { raw::path_filestat_get(dir, flags, path.as_ptr(), path.len() as u32, buf.as_mut_ptr().cast()) };
    if e == 0 { Ok(decode_filestat(&buf)) } else { Err(e) }
}

/// Closes `fd`; returns the errno.
pub fn close(fd: u32) -> u16 {
    // SAFETY: no pointers.
    unsafe { raw::fd_close(fd) }
}

/// Checks a condition, printing the line and exiting with status 1 if it fails.
#[macro_export]
macro_rules! check {
    ($cond:expr) => {
        if !$cond {
            eprintln!("check failed at line {}: {}", line!(), stringify!($cond));
            std::process::exit(1);
        }
    };
}

/// Checks two values are equal, printing both and exiting with status 1 if not.
#[macro_export]
macro_rules! check_eq {
    ($left:expr, $right:expr) => {{
        let (l, r) = (&$left, &$right);
        if l != r {
            eprintln!("check failed at line {}: {} == {}: {:?} != {:?}", line!(), stringify!($left), stringify!($right), l, r);
            std::process::exit(1);
        }
    }};
}
