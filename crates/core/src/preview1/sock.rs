//! `sock_*`: sockets the host handed the guest. Not implemented yet: every call is `Nosys`.

use super::Result;
use crate::WasiCtx;
use lucent_abi::{Errno, GuestMemory};

/// `sock_accept(fd, flags) -> fd`.
///
/// # Errors
///
/// `Nosys`.
pub fn sock_accept(_ctx: &mut WasiCtx, _mem: &mut GuestMemory<'_>, _fd: u32, _flags: u32, _out: u32) -> Result {
    Err(Errno::Nosys)
}

/// `sock_recv(fd, ri_data, ri_data_len, ri_flags) -> (size, roflags)`.
///
/// # Errors
///
/// `Nosys`.
#[allow(clippy::too_many_arguments)]
pub fn sock_recv(
    _ctx: &mut WasiCtx,
    _mem: &mut GuestMemory<'_>,
    _fd: u32,
    _ri_data: u32,
    _ri_data_len: u32,
    _ri_flags: u32,
    _ro_datalen: u32,
    _ro_flags: u32,
) -> Result {
    Err(Errno::Nosys)
}

/// `sock_send(fd, si_data, si_data_len, si_flags) -> size`.
///
/// # Errors
///
/// `Nosys`.
pub fn sock_send(
    _ctx: &mut WasiCtx,
    _mem: &mut GuestMemory<'_>,
    _fd: u32,
    _si_data: u32,
    _si_data_len: u32,
    _si_flags: u32,
    _so_datalen: u32,
) -> Result {
    Err(Errno::Nosys)
}

/// `sock_shutdown(fd, how)`.
///
/// # Errors
///
/// `Nosys`.
pub fn sock_shutdown(_ctx: &mut WasiCtx, _mem: &mut GuestMemory<'_>, _fd: u32, _how: u32) -> Result {
    Err(Errno::Nosys)
}
