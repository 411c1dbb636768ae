//! `sock_*`: sockets the host handed the guest (listeners) and the connections accepted on
//! them.

use super::{Result, guest_size, narrow, put};
use crate::WasiCtx;
use crate::rights::FdRights;
use crate::table::{Descriptor, Object};
use lucent_abi::{Errno, Fdflags, GuestMemory, GuestPtr, Riflags, Rights, Sdflags};

/// Rights of an accepted connection.
pub const CONNECTION_RIGHTS: Rights = Rights::SOCKET.difference(Rights::SOCK_ACCEPT);

/// `sock_accept(fd, flags) -> fd`: accepts a connection. `flags` are the new descriptor's
/// flags (only `NONBLOCK`), as with `accept4`: they do not make this call non-blocking.
///
/// # Errors
///
/// `Badf`; `Notcapable` without `SOCK_ACCEPT`; `Inval` for flags other than `NONBLOCK`;
/// `Again` when the listener itself is non-blocking (`fd_fdstat_set_flags`) and nothing is
/// pending; `Notsock`; `Nfile`.
pub fn sock_accept(ctx: &mut WasiCtx, mem: &mut GuestMemory<'_>, fd: u32, flags: u32, out: u32) -> Result {
    let flags = Fdflags::from_guest(narrow(flags)?)?;
    if !flags.difference(Fdflags::NONBLOCK).is_empty() {
        return Err(Errno::Inval);
    }
    let desc = ctx.table.get(fd)?;
    let listener = desc.require(Rights::SOCK_ACCEPT)?.file()?;
    mem.check(GuestPtr::<u32>::new(out))?;
    let socket = listener.sock_accept(flags.contains(Fdflags::NONBLOCK))?;
    // Narrowed by the listener's inheriting rights, like anything opened through a descriptor.
    let rights = FdRights::new(CONNECTION_RIGHTS & desc.rights.inheriting, Rights::empty());
    let new_fd = ctx.table.insert(Descriptor { object: Object::File(socket), rights, preopen: None })?;
    put(mem, out, new_fd)
}

/// `sock_recv(fd, ri_data, ri_flags) -> (size, roflags)`: receives into the buffers, straight
/// into guest memory; `RECV_PEEK` leaves the data queued, `RECV_WAITALL` waits for all of it.
///
/// # Errors
///
/// `Badf`; `Notcapable` without `FD_READ`; `Inval` for unknown flags or too many buffers;
/// `Fault`; `Notsock`; `Again` when non-blocking and empty.
pub fn sock_recv(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    ri_data: u32,
    ri_data_len: u32,
    ri_flags: u32,
    ro_datalen: u32,
    ro_flags: u32,
) -> Result {
    let flags = Riflags::from_guest(narrow(ri_flags)?)?;
    let desc = ctx.table.get(fd)?;
    let socket = desc.require(Rights::FD_READ)?.file()?;
    mem.check(GuestPtr::<u32>::new(ro_datalen))?;
    mem.check(GuestPtr::<u16>::new(ro_flags))?;
    let regions = super::fd::iovecs(mem, ri_data, ri_data_len)?;
    let mut out_flags = lucent_abi::Roflags::empty();
    let n = super::fd::read_into(mem, &regions, |bufs| {
        let (n, flags) = socket.sock_recv(bufs, flags)?;
        out_flags = flags;
        Ok(n)
    })?;
    put(mem, ro_datalen, guest_size(n)?)?;
    put(mem, ro_flags, out_flags.bits())
}

/// `sock_send(fd, si_data, si_flags) -> size`: sends the buffers from guest memory. No
/// `siflags` are defined; any value is ignored.
///
/// # Errors
///
/// `Badf`; `Notcapable` without `FD_WRITE`; `Inval`; `Fault`; `Notsock`; `Pipe` when the peer
/// is gone; `Again` when non-blocking and full.
pub fn sock_send(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    si_data: u32,
    si_data_len: u32,
    _si_flags: u32,
    so_datalen: u32,
) -> Result {
    let desc = ctx.table.get(fd)?;
    let socket = desc.require(Rights::FD_WRITE)?.file()?;
    mem.check(GuestPtr::<u32>::new(so_datalen))?;
    let regions = super::fd::iovecs(mem, si_data, si_data_len)?;
    let n = super::fd::write_from(mem, &regions, |bufs| socket.sock_send(bufs))?;
    put(mem, so_datalen, guest_size(n)?)
}

/// `sock_shutdown(fd, how)`.
///
/// # Errors
///
/// `Badf`; `Notcapable` without `SOCK_SHUTDOWN`; `Inval` for no or unknown directions;
/// `Notsock`; `Notconn`.
pub fn sock_shutdown(ctx: &mut WasiCtx, _mem: &mut GuestMemory<'_>, fd: u32, how: u32) -> Result {
    let how = Sdflags::from_guest(narrow(how)?)?;
    if how.is_empty() {
        return Err(Errno::Inval);
    }
    let desc = ctx.table.get(fd)?;
    desc.require(Rights::SOCK_SHUTDOWN)?.file()?.sock_shutdown(how)
}
