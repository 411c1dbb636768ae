//! `fd_*`: operations on open descriptors.

use super::{Result, guest_size, narrow, put};
use crate::WasiCtx;
use crate::env::Interest;
use crate::fs::{DirEntry, SetTime, WasiFile};
use crate::rights::FdRights;
use crate::table::Descriptor;
use crate::table::Object;
use lucent_abi::{
    Advice, Clockid, Dirent, Errno, Fdflags, Fdstat, Filestat, Filetype, Fstflags, GuestMemory, GuestPtr, GuestType,
    Iovec, Prestat, Region, Rights, Whence,
};
use std::io::{IoSlice, IoSliceMut};

/// Most buffers in one scatter/gather list (`IOV_MAX` on Linux).
pub const MAX_IOVS: u32 = 1024;

/// Iovec lists at most this long are kept on the stack: hostcalls like a 16-byte `fd_write`
/// (one or two buffers) then allocate nothing.
const INLINE_IOVS: usize = 4;

/// A checked iovec list: the guest's buffers, in order.
pub(super) enum Regions {
    /// Up to [`INLINE_IOVS`] buffers (the first `.1` of the array).
    Inline([Region; INLINE_IOVS], usize),
    /// Longer lists.
    Heap(Vec<Region>),
}

impl std::ops::Deref for Regions {
    type Target = [Region];

    fn deref(&self) -> &[Region] {
        match self {
            Regions::Inline(regions, len) => regions.get(..*len).unwrap_or_default(),
            Regions::Heap(regions) => regions,
        }
    }
}

/// Reads and checks an iovec list: at most [`MAX_IOVS`] entries whose lengths add up to at
/// most `u32::MAX` (the count must fit the guest's `size` result).
pub(super) fn iovecs(mem: &GuestMemory<'_>, iovs: u32, iovs_len: u32) -> Result<Regions> {
    if iovs_len > MAX_IOVS {
        return Err(Errno::Inval);
    }
    // One buffer, what most writes and reads pass: no list to walk, no total to check.
    if iovs_len == 1 {
        let only = mem.read(GuestPtr::<Iovec>::new(iovs))?;
        let mut inline = [Region::new(0, 0); INLINE_IOVS];
        inline[0] = Region::new(only.buf, only.buf_len);
        return Ok(Regions::Inline(inline, 1));
    }
    let list = mem.array(GuestPtr::<Iovec>::new(iovs), iovs_len)?;
    let regions = if list.len() <= INLINE_IOVS {
        let mut inline = [Region::new(0, 0); INLINE_IOVS];
        for (slot, v) in inline.iter_mut().zip(list) {
            let v = v?;
            *slot = Region::new(v.buf, v.buf_len);
        }
        Regions::Inline(inline, usize::try_from(iovs_len).map_err(|_| Errno::Inval)?)
    } else {
        Regions::Heap(list.map(|v| v.map(|v| Region::new(v.buf, v.buf_len))).collect::<Result<_>>()?)
    };
    regions.iter().try_fold(0u32, |total, r| total.checked_add(r.len)).ok_or(Errno::Inval)?;
    Ok(regions)
}

/// Most bytes one read or write moves through a host buffer when the guest's memory is
/// shared (it is copied, not lent): more makes a short count, which callers handle.
pub const SHARED_CHUNK: usize = 64 << 10;

/// Reads straight into the guest's buffers with `read` (`readv` or `preadv`). Buffers that
/// overlap cannot be lent out together; then only the first non-empty one is filled (a short
/// read, which callers must handle anyway). A shared memory is read into a host buffer of at
/// most [`SHARED_CHUNK`] bytes, then copied into the guest's buffers in order.
pub(super) fn read_into(
    mem: &mut GuestMemory<'_>,
    regions: &[Region],
    read: impl FnOnce(&mut [IoSliceMut<'_>]) -> Result<usize>,
) -> Result<usize> {
    if mem.is_shared() {
        return read_shared(mem, regions, read);
    }
    // One buffer (the common case) cannot overlap another.
    if let [only] = regions {
        let buf = mem.direct_mut(*only)?.ok_or(Errno::Fault)?;
        return read(&mut [IoSliceMut::new(buf)]);
    }
    if let Some(mut bufs) = mem.disjoint_direct_mut(regions)? {
        let mut slices: Vec<IoSliceMut<'_>> = bufs.iter_mut().map(|b| IoSliceMut::new(b)).collect();
        return read(&mut slices);
    }
    let Some(first) = regions.iter().find(|r| r.len > 0) else { return Ok(0) };
    let buf = mem.direct_mut(*first)?.ok_or(Errno::Fault)?;
    read(&mut [IoSliceMut::new(buf)])
}

/// [`read_into`] for a shared memory: every region is checked first, so a bad one is `Fault`
/// before anything is read.
fn read_shared(
    mem: &mut GuestMemory<'_>,
    regions: &[Region],
    read: impl FnOnce(&mut [IoSliceMut<'_>]) -> Result<usize>,
) -> Result<usize> {
    let mut total = 0usize;
    for region in regions {
        mem.check_region(*region)?;
        total = total.saturating_add(usize::try_from(region.len).unwrap_or(usize::MAX));
    }
    let mut buf = vec![0u8; total.min(SHARED_CHUNK)];
    let n = read(&mut [IoSliceMut::new(&mut buf)])?.min(buf.len());
    let mut done = 0usize;
    for region in regions {
        let Some(rest) = buf.get(done..n) else { break };
        let take = rest.len().min(usize::try_from(region.len).unwrap_or(usize::MAX));
        mem.write_bytes(region.offset, rest.get(..take).unwrap_or_default())?;
        done = done.saturating_add(take);
    }
    Ok(n)
}

/// Runs `op` until it returns anything but `Again`, waiting for `interest` on `file` in
/// between, unless the descriptor is non-blocking (then the guest gets `Again`). Files never
/// block the thread themselves: every wait goes through the scheduler, where stopping the
/// instance ends it.
pub(super) fn blocking<R>(
    ctx: &WasiCtx,
    file: &dyn WasiFile,
    interest: Interest,
    mut op: impl FnMut() -> Result<R>,
) -> Result<R> {
    loop {
        match op() {
            Err(Errno::Again) if !file.fdflags()?.contains(Fdflags::NONBLOCK) => ctx.wait(file, interest)?,
            result => return result,
        }
    }
}

/// The bytes in `bufs`, saturated.
fn total_len(bufs: &[IoSlice<'_>]) -> usize {
    bufs.iter().fold(0usize, |total, b| total.saturating_add(b.len()))
}

/// Writes `bufs` as a blocking `write` does: after a short write to a blocking descriptor it
/// waits for room and writes the rest (a non-blocking one returns the short count). An error
/// after some bytes went out returns their count, as POSIX `write` does.
pub(super) fn write_all(
    ctx: &WasiCtx,
    file: &dyn WasiFile,
    bufs: &[IoSlice<'_>],
    mut write: impl FnMut(&[IoSlice<'_>]) -> Result<usize>,
) -> Result<usize> {
    let first = blocking(ctx, file, Interest::Write, || write(bufs))?;
    let total = total_len(bufs);
    if first == 0 || first >= total || file.fdflags()?.contains(Fdflags::NONBLOCK) {
        return Ok(first);
    }
    let mut rest = bufs.to_vec();
    let mut left: &mut [IoSlice<'_>] = &mut rest;
    let mut done = 0usize;
    let mut n = first;
    loop {
        // A file that reports more than it was given must not make the host panic.
        let n_clamped = n.min(total_len(left));
        #[allow(clippy::disallowed_methods, reason = "`n_clamped` is at most what is left")]
        IoSlice::advance_slices(&mut left, n_clamped);
        done = done.saturating_add(n_clamped);
        if left.is_empty() || n_clamped == 0 {
            return Ok(done);
        }
        n = match blocking(ctx, file, Interest::Write, || write(left)) {
            Ok(n) => n,
            Err(_) => return Ok(done),
        };
    }
}

/// Lends the guest's buffers to `write` (`writev` or `pwritev`) without copying them. From a
/// shared memory, at most [`SHARED_CHUNK`] bytes are gathered into a host buffer first.
pub(super) fn write_from(
    mem: &GuestMemory<'_>,
    regions: &[Region],
    write: impl FnOnce(&[IoSlice<'_>]) -> Result<usize>,
) -> Result<usize> {
    if mem.is_shared() {
        let mut buf = Vec::new();
        for region in regions {
            let room = SHARED_CHUNK.saturating_sub(buf.len());
            let len = usize::try_from(region.len).unwrap_or(usize::MAX);
            mem.check_region(*region)?;
            if room == 0 {
                continue;
            }
            let start = buf.len();
            buf.resize(start.saturating_add(len.min(room)), 0);
            mem.copy_in(*region, buf.get_mut(start..).unwrap_or_default())?;
        }
        return write(&[IoSlice::new(&buf)]);
    }
    if let [only] = regions {
        return write(&[IoSlice::new(mem.direct(*only)?.ok_or(Errno::Fault)?)]);
    }
    if regions.len() <= INLINE_IOVS {
        let mut slices = [IoSlice::new(&[]); INLINE_IOVS];
        for (slot, region) in slices.iter_mut().zip(regions) {
            *slot = IoSlice::new(mem.direct(*region)?.ok_or(Errno::Fault)?);
        }
        return write(slices.get(..regions.len()).unwrap_or_default());
    }
    let slices = regions
        .iter()
        .map(|r| mem.direct(*r).and_then(|b| b.ok_or(Errno::Fault)).map(IoSlice::new))
        .collect::<Result<Vec<_>>>()?;
    write(&slices)
}

/// `fd_read(fd, iovs) -> size`. On a blocking descriptor with nothing to read yet (a pipe, a
/// terminal, a socket) it waits, through the scheduler, until there is.
///
/// # Errors
///
/// `Badf`; `Notcapable` without `FD_READ`; `Isdir`; `Inval` for too many buffers; `Fault` for
/// buffers outside memory; `Again` on a non-blocking descriptor with nothing to read;
/// `Canceled` if the instance is stopped while it waits; errors of the file.
pub fn fd_read(ctx: &mut WasiCtx, mem: &mut GuestMemory<'_>, fd: u32, iovs: u32, iovs_len: u32, nread: u32) -> Result {
    let ctx = &*ctx;
    read_with(ctx, mem, fd, Rights::FD_READ, iovs, iovs_len, nread, |file, bufs| {
        blocking(ctx, file, Interest::Read, || file.read_vectored(bufs))
    })
}

/// What `fd_read` and `fd_pread` share: the rights check, the iovecs, and the count.
fn read_with(
    ctx: &WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    rights: Rights,
    iovs: u32,
    iovs_len: u32,
    nread: u32,
    read: impl FnOnce(&dyn WasiFile, &mut [IoSliceMut<'_>]) -> Result<usize>,
) -> Result {
    let desc = ctx.table.get(fd)?;
    let file = desc.require(rights)?.file()?;
    mem.check(GuestPtr::<u32>::new(nread))?;
    let regions = iovecs(mem, iovs, iovs_len)?;
    let n = read_into(mem, &regions, |bufs| read(file.as_ref(), bufs))?;
    put(mem, nread, guest_size(n)?)
}

/// What `fd_write` and `fd_pwrite` share: the rights check, the iovecs, and the count.
fn write_with(
    ctx: &WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    rights: Rights,
    iovs: u32,
    iovs_len: u32,
    nwritten: u32,
    write: impl FnOnce(&dyn WasiFile, &[IoSlice<'_>]) -> Result<usize>,
) -> Result {
    let desc = ctx.table.get(fd)?;
    let file = desc.require(rights)?.file()?;
    mem.check(GuestPtr::<u32>::new(nwritten))?;
    let regions = iovecs(mem, iovs, iovs_len)?;
    let n = write_from(mem, &regions, |bufs| write(file.as_ref(), bufs))?;
    put(mem, nwritten, guest_size(n)?)
}

/// `fd_write(fd, iovs) -> size`. Unbuffered: the bytes reach the file before this returns.
/// On a blocking descriptor everything is written, waiting for room as needed; a
/// non-blocking one may write less.
///
/// # Errors
///
/// `Badf`; `Notcapable` without `FD_WRITE`; `Isdir`; `Inval` for too many buffers; `Fault` for
/// buffers outside memory; `Again` on a non-blocking descriptor with no room; `Canceled` if
/// the instance is stopped while it waits; errors of the file.
pub fn fd_write(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    iovs: u32,
    iovs_len: u32,
    nwritten: u32,
) -> Result {
    let ctx = &*ctx;
    write_with(ctx, mem, fd, Rights::FD_WRITE, iovs, iovs_len, nwritten, |file, bufs| {
        write_all(ctx, file, bufs, |bufs| file.write_vectored(bufs))
    })
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
    mem.write_bytes(path, name)
}

/// The `filestat` of an open descriptor (shared by both ABIs).
pub(crate) fn filestat_of_fd(ctx: &mut WasiCtx, fd: u32) -> Result<Filestat> {
    let desc = ctx.table.get(fd)?;
    desc.require(Rights::FD_FILESTAT_GET)?;
    match &desc.object {
        Object::File(file) => file.filestat(),
        Object::Dir(dir) => dir.filestat(),
    }
}

/// `fd_filestat_get(fd) -> filestat`.
///
/// # Errors
///
/// `Badf`; `Notcapable` without `FD_FILESTAT_GET`; `Fault` / `Inval` for the result pointer.
pub fn fd_filestat_get(ctx: &mut WasiCtx, mem: &mut GuestMemory<'_>, fd: u32, out: u32) -> Result {
    let stat = filestat_of_fd(ctx, fd)?;
    mem.write(GuestPtr::<Filestat>::new(out), &stat)
}

/// Decodes the timestamps of `*_set_times`: each is left alone, set to the given time, or set
/// to the context's realtime clock (`*_NOW`).
///
/// # Errors
///
/// `Inval` for unknown flag bits, or for both a time and `NOW` for the same timestamp.
pub(crate) fn set_times_args(ctx: &WasiCtx, atim: u64, mtim: u64, fst_flags: u32) -> Result<(SetTime, SetTime)> {
    let flags = Fstflags::from_guest(narrow(fst_flags)?)?;
    if flags.contains(Fstflags::ATIM | Fstflags::ATIM_NOW) || flags.contains(Fstflags::MTIM | Fstflags::MTIM_NOW) {
        return Err(Errno::Inval);
    }
    let now = if flags.intersects(Fstflags::ATIM_NOW | Fstflags::MTIM_NOW) {
        Some(ctx.clocks.now(Clockid::Realtime, 0)?)
    } else {
        None
    };
    let pick = |given: Fstflags, at_now: Fstflags, value: u64| match now {
        Some(now) if flags.contains(at_now) => SetTime::At(now),
        _ if flags.contains(given) => SetTime::At(value),
        _ => SetTime::Omit,
    };
    Ok((pick(Fstflags::ATIM, Fstflags::ATIM_NOW, atim), pick(Fstflags::MTIM, Fstflags::MTIM_NOW, mtim)))
}

/// `fd_filestat_set_times(fd, atim, mtim, fst_flags)`.
///
/// # Errors
///
/// `Badf`; `Notcapable` without `FD_FILESTAT_SET_TIMES`; `Inval` as [`set_times_args`].
pub fn fd_filestat_set_times(
    ctx: &mut WasiCtx,
    _mem: &mut GuestMemory<'_>,
    fd: u32,
    atim: u64,
    mtim: u64,
    fst_flags: u32,
) -> Result {
    let (atim, mtim) = set_times_args(ctx, atim, mtim, fst_flags)?;
    let desc = ctx.table.get(fd)?;
    desc.require(Rights::FD_FILESTAT_SET_TIMES)?;
    match &desc.object {
        Object::File(file) => file.set_times(atim, mtim),
        Object::Dir(dir) => dir.set_times(atim, mtim),
    }
}

/// `fd_filestat_set_size(fd, size)`: truncates or extends.
///
/// # Errors
///
/// `Badf`; `Notcapable` without `FD_FILESTAT_SET_SIZE`; `Isdir`; `Fbig`, `Inval` from the host.
pub fn fd_filestat_set_size(ctx: &mut WasiCtx, _mem: &mut GuestMemory<'_>, fd: u32, size: u64) -> Result {
    let desc = ctx.table.get(fd)?;
    desc.require(Rights::FD_FILESTAT_SET_SIZE)?.file()?.set_size(size)
}

/// `fd_advise(fd, offset, len, advice)`.
///
/// # Errors
///
/// `Badf`; `Notcapable` without `FD_ADVISE`; `Inval` for unknown advice.
pub fn fd_advise(ctx: &mut WasiCtx, _mem: &mut GuestMemory<'_>, fd: u32, offset: u64, len: u64, advice: u32) -> Result {
    let advice = Advice::from_guest(narrow(advice)?)?;
    let desc = ctx.table.get(fd)?;
    desc.require(Rights::FD_ADVISE)?;
    match &desc.object {
        Object::File(file) => file.advise(offset, len, advice),
        Object::Dir(_) => Ok(()),
    }
}

/// `fd_allocate(fd, offset, len)`: extends the file so that the range is allocated.
///
/// # Errors
///
/// `Badf`; `Notcapable` without `FD_ALLOCATE`; `Isdir`; `Inval` for a zero length or a range
/// past `i64::MAX`; `Nospc`, `Fbig` from the host.
pub fn fd_allocate(ctx: &mut WasiCtx, _mem: &mut GuestMemory<'_>, fd: u32, offset: u64, len: u64) -> Result {
    let desc = ctx.table.get(fd)?;
    let file = desc.require(Rights::FD_ALLOCATE)?.file()?;
    let end = offset.checked_add(len).ok_or(Errno::Inval)?;
    if len == 0 || end > i64::MAX.unsigned_abs() {
        return Err(Errno::Inval);
    }
    file.allocate(offset, len)
}

/// `fd_datasync(fd)`.
///
/// # Errors
///
/// `Badf`; `Notcapable` without `FD_DATASYNC`; `Io`.
pub fn fd_datasync(ctx: &mut WasiCtx, _mem: &mut GuestMemory<'_>, fd: u32) -> Result {
    let desc = ctx.table.get(fd)?;
    desc.require(Rights::FD_DATASYNC)?;
    match &desc.object {
        Object::File(file) => file.datasync(),
        Object::Dir(dir) => dir.sync(),
    }
}

/// `fd_sync(fd)`.
///
/// # Errors
///
/// `Badf`; `Notcapable` without `FD_SYNC`; `Io`.
pub fn fd_sync(ctx: &mut WasiCtx, _mem: &mut GuestMemory<'_>, fd: u32) -> Result {
    let desc = ctx.table.get(fd)?;
    desc.require(Rights::FD_SYNC)?;
    match &desc.object {
        Object::File(file) => file.sync(),
        Object::Dir(dir) => dir.sync(),
    }
}

/// `fd_fdstat_set_rights(fd, fs_rights_base, fs_rights_inheriting)`: narrows the rights. The
/// check and the change are one step on the table, so a concurrent close and reopen of the
/// same number never receives the old object's rights.
///
/// # Errors
///
/// `Badf`; `Inval` for bits that are no right; `Notcapable` if either set would grow.
pub fn fd_fdstat_set_rights(
    ctx: &mut WasiCtx,
    _mem: &mut GuestMemory<'_>,
    fd: u32,
    base: u64,
    inheriting: u64,
) -> Result {
    let (Some(base), Some(inheriting)) = (Rights::from_bits(base), Rights::from_bits(inheriting)) else {
        return Err(Errno::Inval);
    };
    let wanted = FdRights::new(base, inheriting);
    ctx.table.update(fd, |desc| {
        if !desc.rights.base.contains(wanted.base) || !desc.rights.inheriting.contains(wanted.inheriting) {
            return Err(Errno::Notcapable);
        }
        Ok(Descriptor { object: desc.object.clone(), rights: wanted, preopen: desc.preopen.clone() })
    })
}

/// An offset for `pread`/`pwrite`, which the host takes as a signed 64-bit value.
fn file_offset(offset: u64) -> Result<u64> {
    if offset > i64::MAX.unsigned_abs() { Err(Errno::Inval) } else { Ok(offset) }
}

/// `fd_pread(fd, iovs, offset) -> size`: reads at `offset`, leaving the position alone.
///
/// # Errors
///
/// `Badf`; `Notcapable` without `FD_READ` and `FD_SEEK`; `Isdir`; `Spipe` on a stream;
/// `Inval`, `Fault` as [`fd_read`].
pub fn fd_pread(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    iovs: u32,
    iovs_len: u32,
    offset: u64,
    nread: u32,
) -> Result {
    let offset = file_offset(offset)?;
    let rights = Rights::FD_READ | Rights::FD_SEEK;
    read_with(ctx, mem, fd, rights, iovs, iovs_len, nread, |file, bufs| file.pread_vectored(bufs, offset))
}

/// `fd_pwrite(fd, iovs, offset) -> size`: writes at `offset`, leaving the position alone. On a
/// descriptor in append mode the data goes to the end of the file, as on Linux.
///
/// # Errors
///
/// `Badf`; `Notcapable` without `FD_WRITE` and `FD_SEEK`; `Isdir`; `Spipe` on a stream;
/// `Inval`, `Fault` as [`fd_write`].
pub fn fd_pwrite(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    iovs: u32,
    iovs_len: u32,
    offset: u64,
    nwritten: u32,
) -> Result {
    let offset = file_offset(offset)?;
    let rights = Rights::FD_WRITE | Rights::FD_SEEK;
    write_with(ctx, mem, fd, rights, iovs, iovs_len, nwritten, |file, bufs| file.pwrite_vectored(bufs, offset))
}

/// `fd_tell(fd) -> filesize`.
///
/// # Errors
///
/// `Badf`; `Notcapable` without `FD_TELL`; `Isdir`; `Spipe` on a stream.
pub fn fd_tell(ctx: &mut WasiCtx, mem: &mut GuestMemory<'_>, fd: u32, offset_out: u32) -> Result {
    let desc = ctx.table.get(fd)?;
    let file = desc.require(Rights::FD_TELL)?.file()?;
    mem.check(GuestPtr::<u64>::new(offset_out))?;
    let position = file.seek(0, Whence::Cur)?;
    put(mem, offset_out, position)
}

/// `fd_renumber(fd, to)`: moves `fd` to `to`, closing what `to` held. Both must be open.
///
/// # Errors
///
/// `Badf` if either is not open.
pub fn fd_renumber(ctx: &mut WasiCtx, _mem: &mut GuestMemory<'_>, fd: u32, to: u32) -> Result {
    ctx.table.renumber(fd, to)
}

/// The size of a `dirent` header, for a buffer on the stack.
#[allow(clippy::as_conversions, reason = "a constant (24): `usize::try_from` cannot size an array")]
const DIRENT_SIZE: usize = Dirent::SIZE as usize;

/// `fd_readdir(fd, buf, buf_len, cookie) -> size`: fills `buf` with `dirent` headers each
/// followed by its name, starting at `cookie` (0 for the beginning). The last entry is cut off
/// when the buffer is full; `bufused == buf_len` then tells the guest to read on, with a larger
/// buffer if one entry did not fit. `.` and `..` are listed, as POSIX `readdir` does.
///
/// # Errors
///
/// `Badf`; `Notcapable` without `FD_READDIR`; `Notdir`; `Fault` for a buffer outside memory.
pub fn fd_readdir(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    buf: u32,
    buf_len: u32,
    cookie: u64,
    bufused: u32,
) -> Result {
    let desc = ctx.table.get(fd)?;
    let dir = desc.require(Rights::FD_READDIR)?.dir()?;
    mem.check(GuestPtr::<u32>::new(bufused))?;
    // The entries are written into the guest's buffer one at a time (whatever its size, it
    // costs the host nothing), the last cut off where the buffer ends.
    mem.check_region(Region::new(buf, buf_len))?;
    let room = usize::try_from(buf_len).unwrap_or(usize::MAX);
    let mut used = 0usize;
    let mut failure = None;
    dir.read_dir(cookie, &mut |entry: &DirEntry, next: u64| {
        let header = Dirent {
            next,
            ino: entry.ino,
            namlen: match guest_size(entry.name.len()) {
                Ok(n) => n,
                Err(e) => {
                    failure = Some(e);
                    return false;
                }
            },
            filetype: entry.filetype,
        };
        let mut bytes = [0u8; DIRENT_SIZE];
        header.encode(&mut bytes);
        for part in [&bytes[..], &entry.name[..]] {
            let n = part.len().min(room.saturating_sub(used));
            let at = guest_size(used).ok().and_then(|used| buf.checked_add(used));
            let written = at.ok_or(Errno::Fault).and_then(|at| mem.write_bytes(at, part.get(..n).unwrap_or_default()));
            if let Err(e) = written {
                failure = Some(e);
                return false;
            }
            // `n` is at most the room left, so `used` stays within the buffer.
            used = used.saturating_add(n);
        }
        used < room
    })?;
    if let Some(e) = failure {
        return Err(e);
    }
    put(mem, bufused, guest_size(used)?)
}
