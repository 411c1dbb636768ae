//! `fd_*`: operations on open descriptors.

use super::{Result, guest_size, narrow, put};
use crate::WasiCtx;
use crate::fs::WasiFile;
use crate::table::Object;
use lucent_abi::{
    Errno, Fdflags, Fdstat, Filestat, Filetype, GuestMemory, GuestPtr, Iovec, Prestat, Region, Rights, Whence,
};
use std::io::{IoSlice, IoSliceMut};

/// Most buffers in one scatter/gather list (`IOV_MAX` on Linux).
pub const MAX_IOVS: u32 = 1024;

/// Reads and checks an iovec list: at most [`MAX_IOVS`] entries whose lengths add up to at
/// most `u32::MAX` (the count must fit the guest's `size` result).
fn iovecs(mem: &GuestMemory<'_>, iovs: u32, iovs_len: u32) -> Result<Vec<Region>> {
    if iovs_len > MAX_IOVS {
        return Err(Errno::Inval);
    }
    let list = mem.read_array(GuestPtr::<Iovec>::new(iovs), iovs_len)?;
    list.iter().try_fold(0u32, |total, v| total.checked_add(v.buf_len)).ok_or(Errno::Inval)?;
    Ok(list.into_iter().map(|v| Region::new(v.buf, v.buf_len)).collect())
}

/// Reads from `file` straight into the guest's buffers. Buffers that overlap cannot be lent
/// out together; then only the first non-empty one is filled (a short read, which callers
/// must handle anyway).
fn read_into(file: &dyn WasiFile, mem: &mut GuestMemory<'_>, regions: &[Region]) -> Result<usize> {
    if let Some(mut bufs) = mem.disjoint_bytes_mut(regions)? {
        let mut slices: Vec<IoSliceMut<'_>> = bufs.iter_mut().map(|b| IoSliceMut::new(b)).collect();
        return file.read_vectored(&mut slices);
    }
    let Some(first) = regions.iter().find(|r| r.len > 0) else { return Ok(0) };
    let buf = mem.bytes_mut(*first)?;
    file.read_vectored(&mut [IoSliceMut::new(buf)])
}

/// Writes the guest's buffers to `file` without copying them.
fn write_from(file: &dyn WasiFile, mem: &GuestMemory<'_>, regions: &[Region]) -> Result<usize> {
    let slices = regions.iter().map(|r| mem.bytes(*r).map(IoSlice::new)).collect::<Result<Vec<_>>>()?;
    file.write_vectored(&slices)
}

/// `fd_read(fd, iovs) -> size`.
///
/// # Errors
///
/// `Badf`; `Notcapable` without `FD_READ`; `Isdir`; `Inval` for too many buffers; `Fault` for
/// buffers outside memory; errors of the file.
pub fn fd_read(ctx: &mut WasiCtx, mem: &mut GuestMemory<'_>, fd: u32, iovs: u32, iovs_len: u32, nread: u32) -> Result {
    let desc = ctx.table.get(fd)?;
    let file = desc.require(Rights::FD_READ)?.file()?;
    mem.check(GuestPtr::<u32>::new(nread))?;
    let regions = iovecs(mem, iovs, iovs_len)?;
    let n = read_into(file.as_ref(), mem, &regions)?;
    put(mem, nread, guest_size(n)?)
}

/// `fd_write(fd, iovs) -> size`. Unbuffered: the bytes reach the file before this returns.
///
/// # Errors
///
/// `Badf`; `Notcapable` without `FD_WRITE`; `Isdir`; `Inval` for too many buffers; `Fault` for
/// buffers outside memory; errors of the file.
pub fn fd_write(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    iovs: u32,
    iovs_len: u32,
    nwritten: u32,
) -> Result {
    let desc = ctx.table.get(fd)?;
    let file = desc.require(Rights::FD_WRITE)?.file()?;
    mem.check(GuestPtr::<u32>::new(nwritten))?;
    let regions = iovecs(mem, iovs, iovs_len)?;
    let n = write_from(file.as_ref(), mem, &regions)?;
    put(mem, nwritten, guest_size(n)?)
}

/// `fd_seek` with `whence` already decoded (shared by both ABIs).
pub(crate) fn seek(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    offset: i64,
    whence: Whence,
    out: u32,
) -> Result {
    let desc = ctx.table.get(fd)?;
    let file = desc.require(crate::rights::fd_seek(offset, whence))?.file()?;
    mem.check(GuestPtr::<u64>::new(out))?;
    let position = file.seek(offset, whence)?;
    put(mem, out, position)
}

/// `fd_seek(fd, offset, whence) -> filesize`.
///
/// # Errors
///
/// `Badf`; `Notcapable` without `FD_SEEK` (or `FD_TELL` for a zero move from the current
/// position); `Inval` for an unknown `whence` or a negative result; `Spipe` on a pipe or
/// terminal; `Isdir`.
pub fn fd_seek(ctx: &mut WasiCtx, mem: &mut GuestMemory<'_>, fd: u32, offset: i64, whence: u32, out: u32) -> Result {
    let whence = Whence::from_guest(narrow(whence)?)?;
    seek(ctx, mem, fd, offset, whence, out)
}

/// `fd_close(fd)`. Preopened directories may be closed too.
///
/// # Errors
///
/// `Badf` if `fd` is not open.
pub fn fd_close(ctx: &mut WasiCtx, _mem: &mut GuestMemory<'_>, fd: u32) -> Result {
    ctx.table.remove(fd).map(drop)
}

/// `fd_fdstat_get(fd) -> fdstat`.
///
/// # Errors
///
/// `Badf`; `Fault` / `Inval` for a bad result pointer.
pub fn fd_fdstat_get(ctx: &mut WasiCtx, mem: &mut GuestMemory<'_>, fd: u32, out: u32) -> Result {
    let desc = ctx.table.get(fd)?;
    let (filetype, flags) = match &desc.object {
        Object::File(file) => (file.filetype()?, file.fdflags()?),
        Object::Dir(dir) => (Filetype::Directory, dir.fdflags()?),
    };
    let stat = Fdstat { filetype, flags, rights_base: desc.rights.base, rights_inheriting: desc.rights.inheriting };
    mem.write(GuestPtr::<Fdstat>::new(out), &stat)
}

/// Flags that cannot change after a file is opened.
const FIXED_FLAGS: Fdflags = Fdflags::DSYNC.union(Fdflags::RSYNC).union(Fdflags::SYNC);

/// `fd_fdstat_set_flags(fd, flags)`: changes `APPEND` and `NONBLOCK`.
///
/// # Errors
///
/// `Badf`; `Notcapable` without `FD_FDSTAT_SET_FLAGS`; `Inval` for unknown bits or for a change
/// to `DSYNC`, `RSYNC` or `SYNC` (fixed at open, as on Linux); `Notsup` where the file cannot
/// change them (a directory, the host's standard streams).
pub fn fd_fdstat_set_flags(ctx: &mut WasiCtx, _mem: &mut GuestMemory<'_>, fd: u32, flags: u32) -> Result {
    let flags = Fdflags::from_guest(narrow(flags)?)?;
    let desc = ctx.table.get(fd)?;
    desc.require(Rights::FD_FDSTAT_SET_FLAGS)?;
    match &desc.object {
        Object::File(file) => {
            let current = file.fdflags()?;
            if (current ^ flags).intersects(FIXED_FLAGS) {
                return Err(Errno::Inval);
            }
            if current == flags { Ok(()) } else { file.set_fdflags(flags) }
        }
        Object::Dir(dir) => {
            if dir.fdflags()? == flags {
                Ok(())
            } else {
                Err(Errno::Notsup)
            }
        }
    }
}

/// `fd_prestat_get(fd) -> prestat`.
///
/// # Errors
///
/// `Badf` if `fd` is not open or not a preopened directory.
pub fn fd_prestat_get(ctx: &mut WasiCtx, mem: &mut GuestMemory<'_>, fd: u32, out: u32) -> Result {
    let desc = ctx.table.get(fd)?;
    let name = desc.preopen.as_ref().ok_or(Errno::Badf)?;
    mem.write(GuestPtr::<Prestat>::new(out), &Prestat::Dir { name_len: guest_size(name.len())? })
}

/// `fd_prestat_dir_name(fd, path, path_len)`: the preopen's guest name, without a NUL.
///
/// # Errors
///
/// `Badf` as [`fd_prestat_get`]; `Nametoolong` if the buffer is shorter than the name; `Fault`.
pub fn fd_prestat_dir_name(ctx: &mut WasiCtx, mem: &mut GuestMemory<'_>, fd: u32, path: u32, path_len: u32) -> Result {
    let desc = ctx.table.get(fd)?;
    let name = desc.preopen.as_ref().ok_or(Errno::Badf)?;
    let len = guest_size(name.len())?;
    if path_len < len {
        return Err(Errno::Nametoolong);
    }
    mem.bytes_mut(Region::new(path, len))?.copy_from_slice(name);
    Ok(())
}

/// The `filestat` of an open descriptor (shared by both ABIs). Not implemented yet.
pub(crate) fn filestat_of_fd(_ctx: &mut WasiCtx, _fd: u32) -> Result<Filestat> {
    Err(Errno::Nosys)
}

/// `fd_filestat_get(fd) -> filestat`.
///
/// # Errors
///
/// `Nosys` until the filesystem issue lands.
pub fn fd_filestat_get(ctx: &mut WasiCtx, mem: &mut GuestMemory<'_>, fd: u32, out: u32) -> Result {
    let stat = filestat_of_fd(ctx, fd)?;
    mem.write(GuestPtr::<Filestat>::new(out), &stat)
}

/// Defines `fd_*` functions whose issue has not landed: they return `Nosys`.
macro_rules! nosys {
    ($($(#[$meta:meta])* $name:ident($($arg:ident: $ty:ty),*);)*) => {$(
        #[doc = concat!("`", stringify!($name), "`: not implemented yet.")]
        ///
        /// # Errors
        ///
        /// `Nosys`.
        $(#[$meta])*
        pub fn $name(_ctx: &mut WasiCtx, _mem: &mut GuestMemory<'_>, $($arg: $ty),*) -> Result {
            let _ = ($($arg,)*);
            Err(Errno::Nosys)
        }
    )*};
}

nosys! {
    fd_advise(fd: u32, offset: u64, len: u64, advice: u32);
    fd_allocate(fd: u32, offset: u64, len: u64);
    fd_datasync(fd: u32);
    fd_fdstat_set_rights(fd: u32, base: u64, inheriting: u64);
    fd_filestat_set_size(fd: u32, size: u64);
    fd_filestat_set_times(fd: u32, atim: u64, mtim: u64, fst_flags: u32);
    fd_pread(fd: u32, iovs: u32, iovs_len: u32, offset: u64, nread: u32);
    fd_pwrite(fd: u32, iovs: u32, iovs_len: u32, offset: u64, nwritten: u32);
    fd_readdir(fd: u32, buf: u32, buf_len: u32, cookie: u64, bufused: u32);
    fd_renumber(fd: u32, to: u32);
    fd_sync(fd: u32);
    fd_tell(fd: u32, offset: u32);
}

pub(crate) use nosys;
