//! The hostcalls of `wasi_snapshot_preview1`, one function per WASI function, grouped in files
//! named after their families.
//!
//! Each function takes the context, the guest's memory and the raw arguments exactly as the
//! witx signature gives them (pointers as `u32` offsets), decodes and checks them, and returns
//! `Ok(())` or the errno for the guest. None of them panics on any input, and every one is
//! implemented: none returns `Nosys`.

// Signatures mirror the witx functions, argument for argument.
#![allow(clippy::too_many_arguments)]

mod args_env;
mod clock;
mod fd;
mod path;
mod poll;
mod proc;
mod random;
mod sock;

pub use args_env::{args_get, args_sizes_get, environ_get, environ_sizes_get};
pub use clock::{clock_res_get, clock_time_get};
pub use fd::{
    fd_advise, fd_allocate, fd_close, fd_datasync, fd_fdstat_get, fd_fdstat_set_flags, fd_fdstat_set_rights,
    fd_filestat_get, fd_filestat_set_size, fd_filestat_set_times, fd_pread, fd_prestat_dir_name, fd_prestat_get,
    fd_pwrite, fd_read, fd_readdir, fd_renumber, fd_seek, fd_sync, fd_tell, fd_write,
};
pub use path::{
    path_create_directory, path_filestat_get, path_filestat_set_times, path_link, path_open, path_readlink,
    path_remove_directory, path_rename, path_symlink, path_unlink_file,
};
pub use poll::{PollAbi, PollCall, poll_oneoff};
pub use proc::{Exit, proc_exit, proc_raise, sched_yield};
pub use random::random_get;
pub use sock::{sock_accept, sock_recv, sock_send, sock_shutdown};

pub(crate) use fd::{filestat_of_fd, seek};
pub(crate) use path::filestat_of_path;
pub(crate) use poll::poll_with;

use lucent_abi::{Errno, GuestMemory, GuestPtr, GuestType};

/// The result of a hostcall: nothing, or the errno the guest receives.
pub type Result<T = ()> = std::result::Result<T, Errno>;

/// Narrows a guest `i32` argument that witx types as a smaller integer (`u8`, `u16`).
pub(crate) fn narrow<T: TryFrom<u32>>(raw: u32) -> Result<T> {
    T::try_from(raw).map_err(|_| Errno::Inval)
}

/// Writes a result through a guest pointer.
pub(crate) fn put<T: GuestType>(mem: &mut GuestMemory<'_>, ptr: u32, value: T) -> Result {
    mem.write(GuestPtr::<T>::new(ptr), &value)
}

/// Converts a host byte count to the guest's `size`.
pub(crate) fn guest_size(n: usize) -> Result<u32> {
    u32::try_from(n).map_err(|_| Errno::Overflow)
}
