//! `sock_*`: sockets the host handed the guest (listeners) and the connections accepted on
//! them.

use super::fd::{blocking, write_all};
use super::{Result, guest_size, narrow, put};
use crate::WasiCtx;
use crate::env::Interest;
use crate::fs::WasiFile;
use crate::rights::FdRights;
use crate::table::{Descriptor, Object};
use lucent_abi::{Errno, Fdflags, Filetype, GuestMemory, GuestPtr, Riflags, Rights, Sdflags};
use std::io::IoSliceMut;
use std::sync::Arc;

/// Rights of an accepted connection.
pub const CONNECTION_RIGHTS: Rights = Rights::SOCKET.difference(Rights::SOCK_ACCEPT);

/// The socket behind `desc`, which must hold `rights`: `Notsock` first for anything that is
/// not a socket (as `shutdown(2)` on a file or a pipe says, whatever the descriptor may do),
/// then `Notcapable` for a missing right.
fn socket(desc: &Descriptor, rights: Rights) -> Result<&Arc<dyn WasiFile>> {
    let file = match &desc.object {
        Object::File(file) if matches!(file.filetype(), Ok(Filetype::SocketStream | Filetype::SocketDgram)) => file,
        _ => return Err(Errno::Notsock),
    };
    desc.require(rights)?;
    Ok(file)
}

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
    let listener = socket(&desc, Rights::SOCK_ACCEPT)?;
    mem.check(GuestPtr::<u32>::new(out))?;
    let listener = listener.as_ref();
    let socket = blocking(ctx, listener, Interest::Read, || listener.sock_accept(flags.contains(Fdflags::NONBLOCK)))?;
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
    let socket = socket(&desc, Rights::FD_READ)?;
    mem.check(GuestPtr::<u32>::new(ro_datalen))?;
    mem.check(GuestPtr::<u16>::new(ro_flags))?;
    let regions = super::fd::iovecs(mem, ri_data, ri_data_len)?;
    let mut out_flags = lucent_abi::Roflags::empty();
    let socket = socket.as_ref();
    let n = super::fd::read_into(mem, &regions, |mut bufs| {
        let (mut n, got) = blocking(ctx, socket, Interest::Read, || socket.sock_recv(bufs, flags))?;
        out_flags = got;
        // `RECV_WAITALL` on a blocking socket: receive until the buffers are full or the peer
        // is done (the socket itself never waits).
        let waitall = flags.contains(Riflags::RECV_WAITALL) && !flags.contains(Riflags::RECV_PEEK);
        if !waitall || n == 0 || socket.fdflags()?.contains(Fdflags::NONBLOCK) {
            return Ok(n);
        }
        let mut done = 0usize;
        loop {
            let room = bufs.iter().fold(0usize, |total, b| total.saturating_add(b.len()));
            let step = n.min(room);
            #[allow(clippy::disallowed_methods, reason = "`step` is at most the room left")]
            IoSliceMut::advance_slices(&mut bufs, step);
            done = done.saturating_add(step);
            if bufs.is_empty() || step == 0 {
                return Ok(done);
            }
            n = match blocking(ctx, socket, Interest::Read, || socket.sock_recv(bufs, flags)) {
                Ok((n, _)) => n,
                Err(_) => return Ok(done),
            };
        }
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
    let socket = socket(&desc, Rights::FD_WRITE)?;
    mem.check(GuestPtr::<u32>::new(so_datalen))?;
    let regions = super::fd::iovecs(mem, si_data, si_data_len)?;
    let socket = socket.as_ref();
    let n = super::fd::write_from(mem, &regions, |bufs| write_all(ctx, socket, bufs, |bufs| socket.sock_send(bufs)))?;
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
    socket(&desc, Rights::SOCK_SHUTDOWN)?.sock_shutdown(how)
}
