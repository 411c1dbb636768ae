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
        pub fn path_readlink(
            fd: u32,
            path: *const u8,
            path_len: u32,
            buf: *mut u8,
            buf_len: u32,
            used: *mut u32,
        ) -> u16;
        pub fn path_remove_directory(fd: u32, path: *const u8, path_len: u32) -> u16;
        pub fn path_rename(
            fd: u32,
            old_path: *const u8,
            old_path_len: u32,
            new_fd: u32,
            new_path: *const u8,
            new_path_len: u32,
        ) -> u16;
        pub fn path_symlink(
            old_path: *const u8,
            old_path_len: u32,
            fd: u32,
            new_path: *const u8,
            new_path_len: u32,
        ) -> u16;
        pub fn path_unlink_file(fd: u32, path: *const u8, path_len: u32) -> u16;
        pub fn proc_exit(code: u32) -> !;
        pub fn random_get(buf: *mut u8, len: u32) -> u16;
        pub fn sched_yield() -> u16;
        pub fn poll_oneoff(input: *const u8, out: *mut u8, nsubscriptions: u32, nevents: *mut u32) -> u16;
        pub fn proc_raise(sig: u32) -> u16;
        pub fn sock_accept(fd: u32, flags: u32, fd_out: *mut u32) -> u16;
        pub fn sock_recv(
            fd: u32,
            ri_data: *const Iovec,
            ri_data_len: u32,
            ri_flags: u32,
            ro_datalen: *mut u32,
            ro_flags: *mut u16,
        ) -> u16;
        pub fn sock_send(fd: u32, si_data: *const Iovec, si_data_len: u32, si_flags: u32, so_datalen: *mut u32) -> u16;
        pub fn sock_shutdown(fd: u32, how: u32) -> u16;
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
    pub const ACCES: u16 = 2;
    pub const AGAIN: u16 = 6;
    pub const BADF: u16 = 8;
    pub const BUSY: u16 = 10;
    pub const EXIST: u16 = 20;
    pub const FAULT: u16 = 21;
    pub const FBIG: u16 = 22;
    pub const ILSEQ: u16 = 25;
    pub const INVAL: u16 = 28;
    pub const ISDIR: u16 = 31;
    pub const LOOP: u16 = 32;
    pub const NAMETOOLONG: u16 = 37;
    pub const NOENT: u16 = 44;
    pub const NOSYS: u16 = 52;
    pub const NOTDIR: u16 = 54;
    pub const NOTEMPTY: u16 = 55;
    pub const NOTSOCK: u16 = 57;
    pub const NOTSUP: u16 = 58;
    pub const PERM: u16 = 63;
    pub const PIPE: u16 = 64;
    pub const SPIPE: u16 = 70;
    pub const XDEV: u16 = 75;
    pub const NOTCAPABLE: u16 = 76;
}

/// Every right, by name.
pub mod rights {
    pub const FD_DATASYNC: u64 = 1 << 0;
    pub const FD_READ: u64 = 1 << 1;
    pub const FD_SEEK: u64 = 1 << 2;
    pub const FD_FDSTAT_SET_FLAGS: u64 = 1 << 3;
    pub const FD_SYNC: u64 = 1 << 4;
    pub const FD_TELL: u64 = 1 << 5;
    pub const FD_WRITE: u64 = 1 << 6;
    pub const FD_ADVISE: u64 = 1 << 7;
    pub const FD_ALLOCATE: u64 = 1 << 8;
    pub const PATH_CREATE_DIRECTORY: u64 = 1 << 9;
    pub const PATH_CREATE_FILE: u64 = 1 << 10;
    pub const PATH_LINK_SOURCE: u64 = 1 << 11;
    pub const PATH_LINK_TARGET: u64 = 1 << 12;
    pub const PATH_OPEN: u64 = 1 << 13;
    pub const FD_READDIR: u64 = 1 << 14;
    pub const PATH_READLINK: u64 = 1 << 15;
    pub const PATH_RENAME_SOURCE: u64 = 1 << 16;
    pub const PATH_RENAME_TARGET: u64 = 1 << 17;
    pub const PATH_FILESTAT_GET: u64 = 1 << 18;
    pub const PATH_FILESTAT_SET_SIZE: u64 = 1 << 19;
    pub const PATH_FILESTAT_SET_TIMES: u64 = 1 << 20;
    pub const FD_FILESTAT_GET: u64 = 1 << 21;
    pub const FD_FILESTAT_SET_SIZE: u64 = 1 << 22;
    pub const FD_FILESTAT_SET_TIMES: u64 = 1 << 23;
    pub const PATH_SYMLINK: u64 = 1 << 24;
    pub const PATH_REMOVE_DIRECTORY: u64 = 1 << 25;
    pub const PATH_UNLINK_FILE: u64 = 1 << 26;
    pub const POLL_FD_READWRITE: u64 = 1 << 27;
    pub const SOCK_SHUTDOWN: u64 = 1 << 28;
    pub const SOCK_ACCEPT: u64 = 1 << 29;
    pub const ALL: u64 = (1 << 30) - 1;
    /// Every right but those that open for writing: what a directory may be opened with
    /// (write rights on a directory are `isdir`, as Linux's `open(O_DIRECTORY|O_RDWR)`).
    pub const DIR: u64 = ALL & !(FD_WRITE | FD_DATASYNC | FD_ALLOCATE | FD_FILESTAT_SET_SIZE);
    /// What a read-only mount never grants (Lucent's `Rights::MUTATING`).
    pub const MUTATING: u64 = FD_DATASYNC
        | FD_WRITE
        | FD_ALLOCATE
        | FD_FILESTAT_SET_SIZE
        | FD_FILESTAT_SET_TIMES
        | PATH_CREATE_DIRECTORY
        | PATH_CREATE_FILE
        | PATH_LINK_SOURCE
        | PATH_LINK_TARGET
        | PATH_RENAME_SOURCE
        | PATH_RENAME_TARGET
        | PATH_FILESTAT_SET_SIZE
        | PATH_FILESTAT_SET_TIMES
        | PATH_SYMLINK
        | PATH_REMOVE_DIRECTORY
        | PATH_UNLINK_FILE;
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
    pub const RSYNC: u32 = 8;
    pub const SYNC: u32 = 16;
}

/// `fstflags`.
pub mod fstflags {
    pub const ATIM: u32 = 1;
    pub const ATIM_NOW: u32 = 2;
    pub const MTIM: u32 = 4;
    pub const MTIM_NOW: u32 = 8;
}

/// `filetype` values.
pub mod filetype {
    pub const DIRECTORY: u8 = 3;
    pub const REGULAR_FILE: u8 = 4;
    pub const SOCKET_STREAM: u8 = 6;
    pub const SYMBOLIC_LINK: u8 = 7;
}

/// `lookupflags::symlink_follow`.
pub const FOLLOW: u32 = 1;

/// The first preopened directory in Lucent's tests.
pub const PREOPEN: u32 = 3;

/// Opens `path` beneath `dir` with the given flags and rights; returns the fd or the errno.
pub fn open(
    dir: u32,
    lookup: u32,
    path: &str,
    oflags: u32,
    base: u64,
    inheriting: u64,
    fdflags: u32,
) -> Result<u32, u16> {
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
            eprintln!(
                "check failed at line {}: {} == {}: {:?} != {:?}",
                line!(),
                stringify!($left),
                stringify!($right),
                l,
                r
            );
            std::process::exit(1);
        }
    }};
}

/// Helpers for the `fd_fs_*` guest programs (the constants are the crate's, re-exported):
/// positional I/O, `fd_tell`, `fd_readdir` and its decoding, the realtime
/// clock and the program's subcommand.
pub mod fd_fs {
    use super::raw;

    pub use crate::{errno, filetype, fstflags, rights};

    /// A pointer far outside any guest memory (`fault`).
    pub const BAD_PTR: usize = 0xffff_fff0;

    /// The program's first argument (the subcommand), or the empty string.
    pub fn subcommand() -> String {
        std::env::args().nth(1).unwrap_or_default()
    }

    /// `fd_pread` into `buf` with one iovec; returns the count or the errno.
    pub fn pread(fd: u32, buf: &mut [u8], offset: u64) -> Result<u32, u16> {
        let iov = raw::Iovec { buf: buf.as_mut_ptr(), len: buf.len() as u32 };
        let mut n = 0;
        // SAFETY: pointers to live locals.
        let e = unsafe { raw::fd_pread(fd, &iov, 1, offset, &mut n) };
        if e == 0 { Ok(n) } else { Err(e) }
    }

    /// `fd_pwrite` of `data` with one iovec; returns the count or the errno.
    pub fn pwrite(fd: u32, data: &[u8], offset: u64) -> Result<u32, u16> {
        let iov = raw::Iovec { buf: data.as_ptr(), len: data.len() as u32 };
        let mut n = 0;
        // SAFETY: pointers to live locals.
        let e = unsafe { raw::fd_pwrite(fd, &iov, 1, offset, &mut n) };
        if e == 0 { Ok(n) } else { Err(e) }
    }

    /// `fd_tell`; returns the position or the errno.
    pub fn tell(fd: u32) -> Result<u64, u16> {
        let mut pos = 0;
        // SAFETY: pointer to a live local.
        let e = unsafe { raw::fd_tell(fd, &mut pos) };
        if e == 0 { Ok(pos) } else { Err(e) }
    }

    /// `fd_readdir` into `buf` from `cookie`; returns `bufused` or the errno.
    pub fn readdir(fd: u32, buf: &mut [u8], cookie: u64) -> Result<usize, u16> {
        let mut used = 0u32;
        // SAFETY: a live buffer and a live local.
        let e = unsafe { raw::fd_readdir(fd, buf.as_mut_ptr(), buf.len() as u32, cookie, &mut used) };
        if e == 0 { Ok(used as usize) } else { Err(e) }
    }

    /// `fd_filestat_set_times`; returns the errno.
    pub fn set_times(fd: u32, atim: u64, mtim: u64, flags: u32) -> u16 {
        // SAFETY: no pointers.
        unsafe { raw::fd_filestat_set_times(fd, atim, mtim, flags) }
    }

    /// The realtime clock, in nanoseconds.
    pub fn now() -> u64 {
        let mut t = 0;
        // SAFETY: pointer to a live local.
        let e = unsafe { raw::clock_time_get(0, 1, &mut t) };
        assert_eq!(e, 0, "clock_time_get");
        t
    }

    /// One decoded directory entry.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct Dirent {
        pub next: u64,
        pub ino: u64,
        pub namlen: u32,
        pub filetype: u8,
        pub name: Vec<u8>,
    }

    /// The size of a `dirent` header.
    pub const DIRENT_SIZE: usize = 24;

    /// Decodes the complete entries at the start of `buf` (a cut-off last one is left out).
    pub fn dirents(buf: &[u8]) -> Vec<Dirent> {
        let mut out = Vec::new();
        let mut at = 0;
        while let Some(header) = buf.get(at..at + DIRENT_SIZE) {
            let u64_at = |i: usize| u64::from_le_bytes(header[i..i + 8].try_into().unwrap());
            let namlen = u32::from_le_bytes(header[16..20].try_into().unwrap());
            let start = at + DIRENT_SIZE;
            let Some(name) = buf.get(start..start + namlen as usize) else { break };
            out.push(Dirent { next: u64_at(0), ino: u64_at(8), namlen, filetype: header[20], name: name.to_vec() });
            at = start + namlen as usize;
        }
        out
    }
}

/// Helpers for the `path_fs_*` and `escape_*` guest programs (the constants are the crate's,
/// re-exported): one wrapper per `path_*` call that returns the errno
/// (or the result).
pub mod path_fs {
    use super::raw;

    pub use crate::fdflags::RSYNC;
    pub use crate::fstflags as fst;
    pub use crate::{errno, filetype, rights};

    /// `path_create_directory`; returns the errno.
    pub fn mkdir(dir: u32, path: &str) -> u16 {
        // SAFETY: a live string.
        unsafe { raw::path_create_directory(dir, path.as_ptr(), path.len() as u32) }
    }

    /// `path_remove_directory`; returns the errno.
    pub fn rmdir(dir: u32, path: &str) -> u16 {
        // SAFETY: a live string.
        unsafe { raw::path_remove_directory(dir, path.as_ptr(), path.len() as u32) }
    }

    /// `path_unlink_file`; returns the errno.
    pub fn unlink(dir: u32, path: &str) -> u16 {
        // SAFETY: a live string.
        unsafe { raw::path_unlink_file(dir, path.as_ptr(), path.len() as u32) }
    }

    /// `path_rename`; returns the errno.
    pub fn rename(dir: u32, old: &str, new_dir: u32, new: &str) -> u16 {
        // SAFETY: live strings.
        unsafe { raw::path_rename(dir, old.as_ptr(), old.len() as u32, new_dir, new.as_ptr(), new.len() as u32) }
    }

    /// `path_link`; returns the errno.
    pub fn link(old_dir: u32, flags: u32, old: &str, new_dir: u32, new: &str) -> u16 {
        // SAFETY: live strings.
        unsafe {
            raw::path_link(old_dir, flags, old.as_ptr(), old.len() as u32, new_dir, new.as_ptr(), new.len() as u32)
        }
    }

    /// `path_readlink` into a buffer of `cap` bytes; returns the bytes placed or the errno.
    pub fn readlink(dir: u32, path: &str, cap: usize) -> Result<String, u16> {
        let mut buf = vec![0u8; cap];
        let mut used = 0u32;
        // SAFETY: a live buffer, string and local.
        let e = unsafe {
            raw::path_readlink(dir, path.as_ptr(), path.len() as u32, buf.as_mut_ptr(), cap as u32, &mut used)
        };
        if e != 0 {
            return Err(e);
        }
        buf.truncate(used as usize);
        Ok(String::from_utf8_lossy(&buf).into_owned())
    }

    /// `path_filestat_set_times`; returns the errno.
    pub fn set_times(dir: u32, flags: u32, path: &str, atim: u64, mtim: u64, fst_flags: u32) -> u16 {
        // SAFETY: a live string.
        unsafe { raw::path_filestat_set_times(dir, flags, path.as_ptr(), path.len() as u32, atim, mtim, fst_flags) }
    }

    /// The file type `path_filestat_get` reports, or the errno.
    pub fn filetype_of(dir: u32, flags: u32, path: &str) -> Result<u8, u16> {
        super::path_filestat(dir, flags, path).map(|st| st.filetype)
    }

    /// Opens `path` for reading (following a final symlink if `lookup` says so) and reads up to
    /// 256 bytes of it.
    pub fn read_file(dir: u32, lookup: u32, path: &str) -> Result<String, u16> {
        let fd = super::open(dir, lookup, path, 0, rights::FD_READ, 0, 0)?;
        let mut buf = [0u8; 256];
        let n = super::read(fd, &mut buf);
        super::close(fd);
        Ok(String::from_utf8_lossy(&buf[..n? as usize]).into_owned())
    }

    /// Creates or truncates `path` (following a final symlink) and writes `data` to it.
    pub fn write_file(dir: u32, path: &str, data: &str) -> Result<(), u16> {
        let oflags = crate::oflags::CREAT | crate::oflags::TRUNC;
        let fd = super::open(dir, crate::FOLLOW, path, oflags, rights::FD_WRITE, 0, 0)?;
        let n = super::write(fd, data.as_bytes());
        super::close(fd);
        n.map(drop)
    }
}

/// The sandbox-escape checks shared by the `escape_*` guest programs.
pub mod escape {
    use super::path_fs::{fst, link, mkdir, readlink, rename, rights, rmdir, set_times, unlink};
    use super::{FOLLOW, oflags, open, path_filestat, symlink};

    /// Exits with status 1, naming the call and the path, unless `got == want`.
    pub fn expect(call: &str, path: &str, got: u16, want: u16) {
        if got != want {
            eprintln!("{call} {path:?}: errno {got}, expected {want}");
            std::process::exit(1);
        }
    }

    /// The errno of a `Result` (0 for `Ok`), closing a descriptor that was opened after all.
    fn errno_of_open(result: Result<u32, u16>) -> u16 {
        match result {
            Ok(fd) => {
                super::close(fd);
                0
            }
            Err(e) => e,
        }
    }

    /// Every call that only reads, given `path` beneath `dir` (with and without
    /// `SYMLINK_FOLLOW`), fails with `want`.
    pub fn reads_refused(dir: u32, path: &str, want: u16) {
        let read = rights::FD_READ | rights::FD_SEEK;
        for lookup in [0, FOLLOW] {
            expect("path_open", path, errno_of_open(open(dir, lookup, path, 0, read, 0, 0)), want);
            let all = open(dir, lookup, path, oflags::DIRECTORY, rights::DIR, rights::ALL, 0);
            expect("path_open(DIRECTORY)", path, errno_of_open(all), want);
            expect("path_filestat_get", path, path_filestat(dir, lookup, path).err().unwrap_or(0), want);
        }
        expect("path_readlink", path, readlink(dir, path, 64).err().unwrap_or(0), want);
    }

    /// Every `path_*` call, given `path` beneath `dir` as its (source or target) path, fails
    /// with `want`. Calls with a second path use `victim.txt` (an existing file beneath `dir`)
    /// and `STOLEN` (a new name beneath `dir`).
    pub fn everything_refused(dir: u32, path: &str, want: u16) {
        reads_refused(dir, path, want);
        let rw = rights::FD_READ | rights::FD_WRITE;
        for lookup in [0, FOLLOW] {
            for oflags in [oflags::CREAT, oflags::CREAT | oflags::EXCL, oflags::TRUNC, oflags::CREAT | oflags::TRUNC] {
                expect("path_open(create/trunc)", path, errno_of_open(open(dir, lookup, path, oflags, rw, 0, 0)), want);
            }
            let e = set_times(dir, lookup, path, 1, 1, fst::ATIM | fst::MTIM);
            expect("path_filestat_set_times", path, e, want);
            let e = set_times(dir, lookup, path, 0, 0, fst::ATIM_NOW | fst::MTIM_NOW);
            expect("path_filestat_set_times(now)", path, e, want);
            expect("path_link(source)", path, link(dir, lookup, path, dir, "STOLEN"), want);
            expect("path_link(target)", path, link(dir, lookup, "victim.txt", dir, path), want);
        }
        expect("path_create_directory", path, mkdir(dir, path), want);
        expect("path_remove_directory", path, rmdir(dir, path), want);
        expect("path_unlink_file", path, unlink(dir, path), want);
        expect("path_rename(source)", path, rename(dir, path, dir, "STOLEN"), want);
        expect("path_rename(target)", path, rename(dir, "victim.txt", dir, path), want);
        expect("path_symlink", path, symlink("victim.txt", dir, path), want);
    }

    /// What following the symlink `link` (beneath `dir`) is refused for, with `want`: every
    /// call that follows it, and every path that goes through it (`link/`, `link/.`,
    /// `link/ESCAPED`). The link itself can still be looked at: it is a symlink whose size is
    /// the length of its contents.
    pub fn following_refused(dir: u32, link_path: &str, want: u16) {
        following_refused_with(dir, link_path, want, true);
    }

    /// As [`following_refused`], for a link that leads above the test's own temporary
    /// directory: `link/.` is only tried with calls that read (so that a regression could not
    /// remove or rename a directory that is not the test's); `link/ESCAPED` (which does not
    /// exist) with every call.
    pub fn following_far_refused(dir: u32, link_path: &str, want: u16) {
        following_refused_with(dir, link_path, want, false);
    }

    fn following_refused_with(dir: u32, link_path: &str, want: u16, near: bool) {
        let rw = rights::FD_READ | rights::FD_WRITE;
        let read = rights::FD_READ;
        expect("path_open(follow)", link_path, errno_of_open(open(dir, FOLLOW, link_path, 0, read, 0, 0)), want);
        for oflags in [oflags::CREAT, oflags::TRUNC, oflags::CREAT | oflags::TRUNC, oflags::DIRECTORY] {
            let e = errno_of_open(open(dir, FOLLOW, link_path, oflags, rw, 0, 0));
            expect("path_open(follow, oflags)", link_path, e, want);
        }
        let fd = open(dir, FOLLOW, link_path, oflags::DIRECTORY, rights::DIR, rights::ALL, 0);
        expect("path_open(follow, DIRECTORY, all rights)", link_path, errno_of_open(fd), want);
        expect("path_filestat_get(follow)", link_path, path_filestat(dir, FOLLOW, link_path).err().unwrap_or(0), want);
        let e = set_times(dir, FOLLOW, link_path, 0, 0, fst::MTIM_NOW);
        expect("path_filestat_set_times(follow)", link_path, e, want);
        expect("path_link(follow)", link_path, link(dir, FOLLOW, link_path, dir, "STOLEN"), want);
        // A trailing `/` follows for path_open.
        let slash = format!("{link_path}/");
        expect("path_open(slash)", &slash, errno_of_open(open(dir, 0, &slash, 0, read, 0, 0)), want);
        expect("path_filestat_get(slash, follow)", &slash, path_filestat(dir, FOLLOW, &slash).err().unwrap_or(0), want);
        // `/.` and deeper paths go through the link whatever the call.
        if near {
            everything_refused(dir, &format!("{link_path}/."), want);
        } else {
            reads_refused(dir, &format!("{link_path}/."), want);
        }
        everything_refused(dir, &format!("{link_path}/ESCAPED"), want);
        everything_refused(dir, &format!("{link_path}/./ESCAPED/"), want);
        // The link itself.
        let contents = readlink(dir, link_path, 4096).unwrap_or_default();
        if contents.is_empty() {
            expect("path_readlink(link itself)", link_path, 1, 0);
        }
        match path_filestat(dir, 0, link_path) {
            Ok(st) if st.filetype == super::path_fs::filetype::SYMBOLIC_LINK && st.size == contents.len() as u64 => {}
            other => {
                eprintln!("path_filestat_get {link_path:?} without follow: {other:?}");
                std::process::exit(1);
            }
        }
        let e = errno_of_open(open(dir, 0, link_path, 0, read, 0, 0));
        expect("path_open(no follow)", link_path, e, super::errno::LOOP);
    }
}

/// Helpers for the `sock_*` guest programs: raw `sock_*` and `poll_oneoff` imports, the
/// constants they need, and decoded results.
pub mod sock {
    use super::raw::Iovec;

    // Raw imports return the errno; tests pass addresses outside memory as pointers made from
    // integers (`0xffff_fff0 as *mut u32`).
    pub use crate::filetype::SOCKET_STREAM;
    pub use crate::raw;
    pub use crate::{errno, rights};

    /// `riflags::recv_peek`.
    pub const RECV_PEEK: u32 = 1;
    /// `riflags::recv_waitall`.
    pub const RECV_WAITALL: u32 = 2;
    /// `sdflags::rd`.
    pub const SHUT_RD: u32 = 1;
    /// `sdflags::wr`.
    pub const SHUT_WR: u32 = 2;
    /// `eventtype::clock`.
    pub const EVENT_CLOCK: u8 = 0;
    /// `eventtype::fd_read`.
    pub const EVENT_FD_READ: u8 = 1;
    /// `eventrwflags::fd_readwrite_hangup`.
    pub const HANGUP: u16 = 1;

    /// An address outside any test program's memory.
    pub const OUT_OF_BOUNDS: usize = 0xffff_fff0;

    /// `sock_accept`; returns the new descriptor or the errno.
    pub fn accept(fd: u32, flags: u32) -> Result<u32, u16> {
        let mut out = 0u32;
        // SAFETY: a pointer to a live local.
        let e = unsafe { raw::sock_accept(fd, flags, &mut out) };
        if e == 0 { Ok(out) } else { Err(e) }
    }

    /// `sock_recv` into `bufs` (one iovec each); returns (size, roflags) or the errno.
    pub fn recv(fd: u32, bufs: &mut [&mut [u8]], flags: u32) -> Result<(u32, u16), u16> {
        let iovs: Vec<Iovec> = bufs.iter_mut().map(|b| Iovec { buf: b.as_mut_ptr(), len: b.len() as u32 }).collect();
        let (mut n, mut ro) = (0u32, 0xffffu16);
        // SAFETY: live buffers and locals.
        let e = unsafe { raw::sock_recv(fd, iovs.as_ptr(), iovs.len() as u32, flags, &mut n, &mut ro) };
        if e == 0 { Ok((n, ro)) } else { Err(e) }
    }

    /// `sock_recv` into one buffer; returns the bytes received or the errno. Exits with
    /// status 1 if the roflags are not 0.
    pub fn recv1(fd: u32, buf: &mut [u8], flags: u32) -> Result<Vec<u8>, u16> {
        let (n, ro) = recv(fd, &mut [&mut *buf], flags)?;
        if ro != 0 {
            eprintln!("sock_recv: roflags {ro}, expected 0");
            std::process::exit(1);
        }
        Ok(buf[..n as usize].to_vec())
    }

    /// `sock_send` of `bufs` (one ciovec each); returns the count or the errno.
    pub fn send(fd: u32, bufs: &[&[u8]]) -> Result<u32, u16> {
        let iovs: Vec<Iovec> = bufs.iter().map(|b| Iovec { buf: b.as_ptr(), len: b.len() as u32 }).collect();
        let mut n = 0u32;
        // SAFETY: live buffers and a live local.
        let e = unsafe { raw::sock_send(fd, iovs.as_ptr(), iovs.len() as u32, 0, &mut n) };
        if e == 0 { Ok(n) } else { Err(e) }
    }

    /// `sock_shutdown`; returns the errno.
    pub fn shutdown(fd: u32, how: u32) -> u16 {
        // SAFETY: no pointers.
        unsafe { raw::sock_shutdown(fd, how) }
    }

    /// A decoded `event`.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub struct Event {
        pub userdata: u64,
        pub error: u16,
        pub kind: u8,
        pub nbytes: u64,
        pub flags: u16,
    }

    /// A `subscription` (48 bytes) for reading `fd`, with `userdata`: tag 1 (`fd_read`) at
    /// byte 8, the descriptor at byte 16.
    pub fn sub_read(userdata: u64, fd: u32) -> [u64; 6] {
        [userdata, 1, u64::from(fd), 0, 0, 0]
    }

    /// A `subscription` for a relative timeout of `ns` on the monotonic clock, with
    /// `userdata`: tag 0 (`clock`) at byte 8; clock id 1 at 16, the timeout at 24, precision
    /// at 32, flags (0) at 40.
    pub fn sub_timeout(userdata: u64, ns: u64) -> [u64; 6] {
        [userdata, 0, 1, ns, 0, 0]
    }

    /// `poll_oneoff` over `subs`; returns the events or the errno.
    pub fn poll(subs: &[[u64; 6]]) -> Result<Vec<Event>, u16> {
        // An event is 32 bytes: userdata; errno (u16) at 8 and type (u8) at 10; nbytes at 16
        // and flags (u16) at 24.
        let mut out = vec![[0u64; 4]; subs.len()];
        let mut n = 0u32;
        // SAFETY: live arrays of the sizes the ABI wants and a live local.
        let e = unsafe { raw::poll_oneoff(subs.as_ptr().cast(), out.as_mut_ptr().cast(), subs.len() as u32, &mut n) };
        if e != 0 {
            return Err(e);
        }
        Ok(out[..n as usize]
            .iter()
            .map(|ev| Event {
                userdata: ev[0],
                error: ev[1] as u16,
                kind: (ev[1] >> 16) as u8,
                nbytes: ev[2],
                flags: ev[3] as u16,
            })
            .collect())
    }
}

/// Helpers for the `poll_*` and `proc_*` guest programs: `poll_oneoff` with its subscription
/// and event records, `proc_raise`, the clocks, and the constants they need.
pub mod poll {
    pub use crate::raw;

    /// `eventtype`.
    pub mod eventtype {
        pub const CLOCK: u8 = 0;
        pub const FD_READ: u8 = 1;
        pub const FD_WRITE: u8 = 2;
    }

    /// `clockid`.
    pub mod clock {
        pub const REALTIME: u32 = 0;
        pub const MONOTONIC: u32 = 1;
        pub const PROCESS_CPUTIME: u32 = 2;
        pub const THREAD_CPUTIME: u32 = 3;
    }

    pub use crate::errno;

    /// `signal` values.
    pub mod signal {
        pub const NONE: u32 = 0;
        pub const KILL: u32 = 9;
        pub const TERM: u32 = 15;
        pub const CHLD: u32 = 16;
        pub const CONT: u32 = 17;
        pub const STOP: u32 = 18;
        pub const TSTP: u32 = 19;
        pub const TTIN: u32 = 20;
        pub const TTOU: u32 = 21;
        pub const URG: u32 = 22;
        pub const WINCH: u32 = 27;
    }

    /// `subclockflags::subscription_clock_abstime`.
    pub const ABSTIME: u16 = 1;
    /// `eventrwflags::fd_readwrite_hangup`.
    pub const HANGUP: u16 = 1;
    pub use crate::rights::POLL_FD_READWRITE;
    /// One millisecond in nanoseconds.
    pub const MS: u64 = 1_000_000;

    /// A preview1 `subscription` (48 bytes, 8-aligned), as the guest lays it out.
    #[repr(C, align(8))]
    #[derive(Clone, Copy)]
    pub struct Subscription(pub [u8; 48]);

    impl Subscription {
        /// A subscription with `userdata` and tag `tag`, its payload zeroed.
        pub fn tagged(userdata: u64, tag: u8) -> Self {
            let mut b = [0u8; 48];
            b[0..8].copy_from_slice(&userdata.to_le_bytes());
            b[8] = tag;
            Subscription(b)
        }

        /// A clock subscription: clock `id`, `timeout` (relative, or absolute with [`ABSTIME`]).
        pub fn clock(userdata: u64, id: u32, timeout: u64, precision: u64, flags: u16) -> Self {
            let mut s = Self::tagged(userdata, eventtype::CLOCK);
            s.0[16..20].copy_from_slice(&id.to_le_bytes());
            s.0[24..32].copy_from_slice(&timeout.to_le_bytes());
            s.0[32..40].copy_from_slice(&precision.to_le_bytes());
            s.0[40..42].copy_from_slice(&flags.to_le_bytes());
            s
        }

        /// A relative timeout of `ns` nanoseconds on the monotonic clock.
        pub fn timeout(userdata: u64, ns: u64) -> Self {
            Self::clock(userdata, clock::MONOTONIC, ns, 0, 0)
        }

        /// Waits for `fd` to be readable.
        pub fn read(userdata: u64, fd: u32) -> Self {
            let mut s = Self::tagged(userdata, eventtype::FD_READ);
            s.0[16..20].copy_from_slice(&fd.to_le_bytes());
            s
        }

        /// Waits for `fd` to be writable.
        pub fn write(userdata: u64, fd: u32) -> Self {
            let mut s = Self::tagged(userdata, eventtype::FD_WRITE);
            s.0[16..20].copy_from_slice(&fd.to_le_bytes());
            s
        }
    }

    /// A raw `event` (32 bytes, 8-aligned).
    #[repr(C, align(8))]
    #[derive(Clone, Copy)]
    pub struct RawEvent(pub [u8; 32]);

    /// A decoded `event`.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub struct Event {
        pub userdata: u64,
        pub error: u16,
        pub kind: u8,
        pub nbytes: u64,
        pub flags: u16,
    }

    impl Event {
        /// Decodes an event record.
        pub fn decode(raw: &RawEvent) -> Self {
            let b = &raw.0;
            Event {
                userdata: u64::from_le_bytes(b[0..8].try_into().unwrap()),
                error: u16::from_le_bytes([b[8], b[9]]),
                kind: b[10],
                nbytes: u64::from_le_bytes(b[16..24].try_into().unwrap()),
                flags: u16::from_le_bytes([b[24], b[25]]),
            }
        }

        /// A clock event that fired.
        pub fn clock(userdata: u64) -> Self {
            Event { userdata, error: 0, kind: eventtype::CLOCK, nbytes: 0, flags: 0 }
        }
    }

    /// `poll_oneoff` on raw pointers; returns the errno.
    ///
    /// # Safety
    ///
    /// `out` and `nevents` are written by the host (if in bounds): nothing else may use that
    /// memory during the call.
    pub unsafe fn poll_raw(input: *const u8, out: *mut u8, n: u32, nevents: *mut u32) -> u16 {
        // SAFETY: the host checks every pointer it is given; the caller vouches for the rest.
        unsafe { raw::poll_oneoff(input, out, n, nevents) }
    }

    /// `poll_oneoff` on `subs`; returns the events or the errno.
    pub fn poll(subs: &[Subscription]) -> Result<Vec<Event>, u16> {
        let mut out = vec![RawEvent([0; 32]); subs.len().max(1)];
        let mut n = 0u32;
        // SAFETY: a live array with room for every event and a live local.
        let e = unsafe { poll_raw(subs.as_ptr().cast(), out.as_mut_ptr().cast(), subs.len() as u32, &mut n) };
        if e != 0 {
            return Err(e);
        }
        Ok(out[..n as usize].iter().map(Event::decode).collect())
    }

    /// The event with `userdata`, if there is exactly one.
    pub fn find(events: &[Event], userdata: u64) -> Option<Event> {
        let mut found = events.iter().filter(|e| e.userdata == userdata);
        match (found.next(), found.next()) {
            (Some(e), None) => Some(*e),
            _ => None,
        }
    }

    /// The time on clock `id`, or the errno.
    pub fn now(id: u32) -> Result<u64, u16> {
        let mut t = 0;
        // SAFETY: pointer to a live local.
        let e = unsafe { crate::raw::clock_time_get(id, 1, &mut t) };
        if e == 0 { Ok(t) } else { Err(e) }
    }

    /// The monotonic clock, in nanoseconds.
    pub fn monotonic() -> u64 {
        now(clock::MONOTONIC).expect("clock_time_get(monotonic)")
    }

    /// Sleeps `ns` nanoseconds with a single clock subscription.
    pub fn sleep(ns: u64) {
        assert_eq!(poll(&[Subscription::timeout(0, ns)]), Ok(vec![Event::clock(0)]), "sleep");
    }

    /// `proc_raise`; returns the errno (if it returns).
    pub fn raise(sig: u32) -> u16 {
        // SAFETY: no pointers.
        unsafe { raw::proc_raise(sig) }
    }

    /// `sched_yield`; returns the errno.
    pub fn sched_yield() -> u16 {
        // SAFETY: no pointers.
        unsafe { crate::raw::sched_yield() }
    }

    /// `fd_fdstat_set_flags`; returns the errno.
    pub fn set_flags(fd: u32, flags: u32) -> u16 {
        // SAFETY: no pointers.
        unsafe { crate::raw::fd_fdstat_set_flags(fd, flags) }
    }

    /// The flags `fd_fdstat_get` reports for `fd`.
    pub fn flags_of(fd: u32) -> u16 {
        crate::fdstat(fd).expect("fd_fdstat_get").1
    }

    /// Writes `s` to stdout with one `fd_write` (no buffering): the test's sync points.
    pub fn say(s: &str) {
        assert_eq!(crate::write(1, s.as_bytes()), Ok(s.len() as u32), "write to stdout");
    }
}
