//! The hostcalls of `wasi_unstable` (preview 0).
//!
//! Most functions are identical to preview1's and are re-exported. The ones whose arguments or
//! results are laid out differently translate to and from the preview1 forms here: `fd_seek`
//! (`whence` numbering), `fd_filestat_get` and `path_filestat_get` (32-bit link count),
//! `poll_oneoff` (`subscription_clock` with an `identifier`). `sock_accept` does not exist in
//! this ABI.

use crate::WasiCtx;
use crate::preview1::{self, Result};
use lucent_abi::{GuestMemory, GuestPtr, preview0};

pub use crate::preview1::{
    args_get, args_sizes_get, clock_res_get, clock_time_get, environ_get, environ_sizes_get, fd_advise, fd_allocate,
    fd_close, fd_datasync, fd_fdstat_get, fd_fdstat_set_flags, fd_fdstat_set_rights, fd_filestat_set_size,
    fd_filestat_set_times, fd_pread, fd_prestat_dir_name, fd_prestat_get, fd_pwrite, fd_read, fd_readdir, fd_renumber,
    fd_sync, fd_tell, fd_write, path_create_directory, path_filestat_set_times, path_link, path_open, path_readlink,
    path_remove_directory, path_rename, path_symlink, path_unlink_file, proc_exit, proc_raise, random_get, sched_yield,
    sock_recv, sock_send, sock_shutdown,
};

/// `fd_seek` with `wasi_unstable`'s `whence` (`cur = 0`, `end = 1`, `set = 2`).
///
/// # Errors
///
/// As [`preview1::fd_seek`].
pub fn fd_seek(ctx: &mut WasiCtx, mem: &mut GuestMemory<'_>, fd: u32, offset: i64, whence: u32, out: u32) -> Result {
    let whence = preview0::Whence::from_guest(preview1::narrow(whence)?)?;
    preview1::seek(ctx, mem, fd, offset, whence.into(), out)
}

/// `fd_filestat_get` writing `wasi_unstable`'s 56-byte `filestat`.
///
/// # Errors
///
/// As [`preview1::fd_filestat_get`].
pub fn fd_filestat_get(ctx: &mut WasiCtx, mem: &mut GuestMemory<'_>, fd: u32, out: u32) -> Result {
    let stat = preview1::filestat_of_fd(ctx, fd)?;
    mem.write(GuestPtr::<preview0::Filestat>::new(out), &preview0::Filestat(stat))
}

/// `path_filestat_get` writing `wasi_unstable`'s 56-byte `filestat`.
///
/// # Errors
///
/// As [`preview1::path_filestat_get`].
pub fn path_filestat_get(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    flags: u32,
    path: u32,
    path_len: u32,
    out: u32,
) -> Result {
    let stat = preview1::filestat_of_path(ctx, mem, fd, flags, path, path_len)?;
    mem.write(GuestPtr::<preview0::Filestat>::new(out), &preview0::Filestat(stat))
}

/// `poll_oneoff` reading `wasi_unstable`'s 56-byte `subscription`.
///
/// # Errors
///
/// As [`preview1::poll_oneoff`].
pub fn poll_oneoff(ctx: &mut WasiCtx, mem: &mut GuestMemory<'_>, input: u32, out: u32, n: u32, nevents: u32) -> Result {
    preview1::poll_with::<preview0::Subscription>(ctx, mem, input, out, n, nevents, |s| s.inner)
}
