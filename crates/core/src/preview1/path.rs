//! `path_*`: operations on paths beneath a directory descriptor. Every path goes through the
//! one resolver in [`crate::path`].

use super::{Result, narrow};
use crate::WasiCtx;
use crate::fs::Opened;
use crate::path::{Follow, MAX_PATH_LEN, Step, resolve};
use crate::rights::{FdRights, PathOpenRequest};
use crate::table::{Descriptor, Object};
use lucent_abi::{Errno, Fdflags, Filestat, Filetype, GuestMemory, GuestPtr, Lookupflags, Oflags, Region, Rights};
use std::borrow::Cow;

/// The first and longest sleeps between tries to open a FIFO for writing that has no reader
/// yet (the host offers nothing to wait on for a reader to come).
const FIFO_PAUSE_MIN: u64 = 1_000_000;
const FIFO_PAUSE_MAX: u64 = 50_000_000;

/// The guest's path: at most [`MAX_PATH_LEN`] bytes of UTF-8 (`string` in witx).
fn guest_path<'m>(mem: &'m GuestMemory<'_>, path: u32, path_len: u32) -> Result<Cow<'m, [u8]>> {
    if usize::try_from(path_len).map_or(true, |len| len > MAX_PATH_LEN) {
        return Err(Errno::Nametoolong);
    }
    let bytes = mem.bytes(Region::new(path, path_len))?;
    std::str::from_utf8(&bytes).map_err(|_| Errno::Ilseq)?;
    Ok(bytes)
}

/// `path_open(fd, dirflags, path, oflags, fs_rights_base, fs_rights_inheriting, fdflags) -> fd`.
///
/// The path is resolved beneath `fd` (see [`crate::path::resolve`]); the new descriptor's
/// rights are computed by [`crate::rights::path_open`] and then narrowed to what its file type
/// supports.
///
/// # Errors
///
/// `Badf`; `Notdir` if `fd` is not a directory; `Notcapable` if `fd` lacks a right the request
/// needs; `Inval` for unknown flag bits; `Perm` for an absolute path or an escape; `Loop`;
/// `Nametoolong`; `Ilseq` for a path that is not UTF-8; `Noent`, `Exist`, `Isdir`, `Notdir`,
/// `Acces` from the filesystem; `Nfile` if the descriptor table is full; `Nxio` for a FIFO
/// opened for writing with `NONBLOCK` and no reader; `Canceled` if the instance is stopped
/// while a blocking open of a FIFO waits.
#[allow(clippy::too_many_arguments)]
pub fn path_open(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    dirflags: u32,
    path: u32,
    path_len: u32,
    oflags: u32,
    fs_rights_base: u64,
    fs_rights_inheriting: u64,
    fdflags: u32,
    opened_fd: u32,
) -> Result {
    let lookup = Lookupflags::from_guest(dirflags)?;
    let request = PathOpenRequest {
        oflags: Oflags::from_guest(narrow(oflags)?)?,
        fdflags: Fdflags::from_guest(narrow(fdflags)?)?,
        rights_base: Rights::from_guest(fs_rights_base),
        rights_inheriting: Rights::from_guest(fs_rights_inheriting),
    };
    let desc = ctx.table.get(fd)?;
    let dir = desc.dir()?;
    let plan = crate::rights::path_open(&request, &desc.rights)?;
    desc.require(plan.dir_requires)?;
    mem.check(GuestPtr::<u32>::new(opened_fd))?;
    let path = guest_path(mem, path, path_len)?;
    let follow = lookup.contains(Lookupflags::SYMLINK_FOLLOW);
    // A FIFO opened for writing waits for a reader, in short sleeps the instance's stop ends.
    let mut pause = FIFO_PAUSE_MIN;
    let opened = loop {
        match crate::path::open(dir, &path, follow, &plan.options) {
            Err(Errno::Again) if !request.fdflags.contains(Fdflags::NONBLOCK) => {
                ctx.pause(pause)?;
                pause = pause.saturating_mul(2).min(FIFO_PAUSE_MAX);
            }
            other => break other?,
        }
    };
    let granted = plan.granted;
    let descriptor = match opened {
        Opened::File(file) => {
            let supported = match file.filetype()? {
                Filetype::RegularFile => Rights::REGULAR_FILE,
                Filetype::SocketStream | Filetype::SocketDgram => Rights::SOCKET,
                _ => Rights::STREAM,
            };
            let rights = FdRights::new(granted.base & supported, granted.inheriting);
            Descriptor { object: Object::File(file), rights, preopen: None }
        }
        Opened::Dir(dir) => {
            let rights =
                FdRights::new(granted.base & Rights::DIRECTORY, granted.inheriting & crate::PREOPEN_RIGHTS.inheriting);
            Descriptor { object: Object::Dir(dir), rights, preopen: None }
        }
        // The resolver follows or refuses a final symlink; none reaches here.
        Opened::Symlink(_) => return Err(Errno::Loop),
    };
    let new_fd = ctx.table.insert(descriptor)?;
    if let Err(e) = super::put(mem, opened_fd, new_fd) {
        // Checked above, so this cannot happen; do not leak the descriptor if it does.
        let _ = ctx.table.remove(new_fd);
        return Err(e);
    }
    Ok(())
}

/// How a path operation treats a symlink in the last component.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Last {
    /// Follow it (`SYMLINK_FOLLOW`).
    Follow,
    /// Follow it only if the path ends in `/` (POSIX lookup without following).
    TrailingSlash,
    /// Act on the name itself, whatever the path ends in (`unlink`, `rmdir`, `rename`,
    /// `mkdir`, the new name of `link` and `symlink`); the operation checks a trailing slash.
    Itself,
}

/// Where a path leads: the held directory containing the last component, the component, and
/// whether the path ended in `/`.
struct Located {
    dir: std::sync::Arc<dyn crate::fs::WasiDir>,
    name: crate::path::Component,
    must_be_dir: bool,
    /// The path ended in `..`.
    dotdot: bool,
}

impl Located {
    /// Whether the named entry is a directory.
    fn is_dir(&self) -> Result<bool> {
        Ok(self.dir.stat_at(&self.name)?.filetype == Filetype::Directory.raw())
    }

    /// With a trailing slash, the entry must be a directory: `Notdir` otherwise.
    fn check_dir(&self) -> Result {
        if self.must_be_dir && !self.is_dir()? { Err(Errno::Notdir) } else { Ok(()) }
    }
}

/// Resolves `path` beneath descriptor `fd`, which must hold `rights`, to the directory that
/// holds its last component. With [`Last::Follow`], a final symlink is followed (its target
/// read when a `stat` shows one, and handed back to the resolver).
fn locate(
    ctx: &WasiCtx,
    mem: &GuestMemory<'_>,
    fd: u32,
    rights: Rights,
    path: u32,
    path_len: u32,
    last: Last,
) -> Result<Located> {
    let desc = ctx.table.get(fd)?;
    let dir = desc.require(rights)?.dir()?;
    let path = guest_path(mem, path, path_len)?;
    let follow = match last {
        Last::Follow => Follow::Always,
        Last::TrailingSlash => Follow::TrailingSlash,
        Last::Itself => Follow::Never,
    };
    resolve(dir, &path, follow, |target| {
        if target.follow
            && matches!(target.dir.stat_at(target.name), Ok(stat) if stat.filetype == Filetype::SymbolicLink.raw())
        {
            return Ok(Step::Follow(target.dir.read_link(target.name)?));
        }
        Ok(Step::Done(Located {
            dir: target.dir.clone(),
            name: target.name.clone(),
            must_be_dir: target.must_be_dir,
            dotdot: target.dotdot,
        }))
    })
}

/// The lookup flags' answer to "follow a final symlink?".
fn last_of(flags: u32) -> Result<Last> {
    let flags = Lookupflags::from_guest(flags)?;
    Ok(if flags.contains(Lookupflags::SYMLINK_FOLLOW) { Last::Follow } else { Last::TrailingSlash })
}

/// The `filestat` of a path (shared by both ABIs).
pub(crate) fn filestat_of_path(
    ctx: &mut WasiCtx,
    mem: &GuestMemory<'_>,
    fd: u32,
    flags: u32,
    path: u32,
    path_len: u32,
) -> Result<Filestat> {
    let last = last_of(flags)?;
    let desc = ctx.table.get(fd)?;
    let dir = desc.require(Rights::PATH_FILESTAT_GET)?.dir()?;
    let path = guest_path(mem, path, path_len)?;
    let follow = if last == Last::Follow { Follow::Always } else { Follow::TrailingSlash };
    // As `locate`, but the `stat` that looks for a final symlink is the answer: one `stat`.
    let (stat, must_be_dir) = resolve(dir, &path, follow, |target| {
        let stat = target.dir.stat_at(target.name)?;
        if target.follow && stat.filetype == Filetype::SymbolicLink.raw() {
            return Ok(Step::Follow(target.dir.read_link(target.name)?));
        }
        Ok(Step::Done((stat, target.must_be_dir)))
    })?;
    if must_be_dir && stat.filetype != Filetype::Directory.raw() {
        return Err(Errno::Notdir);
    }
    Ok(stat)
}

/// `path_filestat_get(fd, flags, path) -> filestat`.
///
/// # Errors
///
/// `Badf`; `Notdir`; `Notcapable` without `PATH_FILESTAT_GET`; the resolver's errors
/// (`Perm`, `Loop`, `Noent`…); `Fault` / `Inval` for the result pointer.
pub fn path_filestat_get(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    flags: u32,
    path: u32,
    path_len: u32,
    out: u32,
) -> Result {
    mem.check(GuestPtr::<Filestat>::new(out))?;
    let stat = filestat_of_path(ctx, mem, fd, flags, path, path_len)?;
    mem.write(GuestPtr::<Filestat>::new(out), &stat)
}

/// `path_filestat_set_times(fd, flags, path, atim, mtim, fst_flags)`.
///
/// # Errors
///
/// `Notcapable` without `PATH_FILESTAT_SET_TIMES`; `Inval` for contradictory flags; the
/// resolver's errors.
#[allow(clippy::too_many_arguments)]
pub fn path_filestat_set_times(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    flags: u32,
    path: u32,
    path_len: u32,
    atim: u64,
    mtim: u64,
    fst_flags: u32,
) -> Result {
    let (atim, mtim) = super::fd::set_times_args(ctx, atim, mtim, fst_flags)?;
    let at = locate(ctx, mem, fd, Rights::PATH_FILESTAT_SET_TIMES, path, path_len, last_of(flags)?)?;
    at.check_dir()?;
    at.dir.set_times_at(&at.name, atim, mtim)
}

/// `path_create_directory(fd, path)`.
///
/// # Errors
///
/// `Notcapable` without `PATH_CREATE_DIRECTORY`; `Exist`; the resolver's errors.
pub fn path_create_directory(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    path: u32,
    path_len: u32,
) -> Result {
    let at = locate(ctx, mem, fd, Rights::PATH_CREATE_DIRECTORY, path, path_len, Last::Itself)?;
    if at.name.is_dot() {
        return Err(Errno::Exist);
    }
    at.dir.create_dir(&at.name)
}

/// `path_remove_directory(fd, path)`.
///
/// # Errors
///
/// `Notcapable` without `PATH_REMOVE_DIRECTORY`; `Notempty` (also for a path ending in `..`,
/// as Linux says); `Notdir` (also for a symlink); `Inval` for `.`; the resolver's errors.
pub fn path_remove_directory(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    path: u32,
    path_len: u32,
) -> Result {
    let at = locate(ctx, mem, fd, Rights::PATH_REMOVE_DIRECTORY, path, path_len, Last::Itself)?;
    if at.dotdot {
        return Err(Errno::Notempty);
    }
    if at.name.is_dot() {
        return Err(Errno::Inval);
    }
    at.dir.remove_dir(&at.name)
}

/// `path_unlink_file(fd, path)`: removes a file or a symlink (never what it points to).
///
/// # Errors
///
/// `Notcapable` without `PATH_UNLINK_FILE`; `Isdir`; `Notdir` for a trailing slash on a
/// non-directory; the resolver's errors.
pub fn path_unlink_file(ctx: &mut WasiCtx, mem: &mut GuestMemory<'_>, fd: u32, path: u32, path_len: u32) -> Result {
    let at = locate(ctx, mem, fd, Rights::PATH_UNLINK_FILE, path, path_len, Last::Itself)?;
    if at.name.is_dot() || (at.must_be_dir && at.is_dir()?) {
        return Err(Errno::Isdir);
    }
    at.check_dir()?;
    at.dir.unlink_file(&at.name)
}

/// `path_readlink(fd, path, buf, buf_len) -> size`: the symlink's contents, cut to `buf_len`.
///
/// # Errors
///
/// `Notcapable` without `PATH_READLINK`; `Inval` if it is not a symlink; the resolver's
/// errors; `Fault` for the buffer.
pub fn path_readlink(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    path: u32,
    path_len: u32,
    buf: u32,
    buf_len: u32,
    bufused: u32,
) -> Result {
    mem.check(GuestPtr::<u32>::new(bufused))?;
    let dst_ok = mem.check_region(Region::new(buf, buf_len));
    let at = locate(ctx, mem, fd, Rights::PATH_READLINK, path, path_len, Last::TrailingSlash)?;
    at.check_dir()?;
    let target = at.dir.read_link(&at.name)?;
    dst_ok?;
    let n = target.len().min(usize::try_from(buf_len).unwrap_or(usize::MAX));
    let n32 = super::guest_size(n)?;
    mem.write_bytes(buf, target.get(..n).ok_or(Errno::Fault)?)?;
    super::put(mem, bufused, n32)
}

/// `path_symlink(old_path, fd, new_path)`: creates `new_path` containing `old_path`. The
/// contents are not resolved now (they are at every later use); absolute ones are refused.
///
/// # Errors
///
/// `Notcapable` without `PATH_SYMLINK`; `Perm` for an absolute `old_path`; `Noent` for an
/// empty one or a trailing slash on `new_path`; `Exist`; the resolver's errors.
pub fn path_symlink(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    old_path: u32,
    old_path_len: u32,
    fd: u32,
    new_path: u32,
    new_path_len: u32,
) -> Result {
    let target = guest_path(mem, old_path, old_path_len)?;
    if target.is_empty() {
        return Err(Errno::Noent);
    }
    if target.first() == Some(&b'/') {
        return Err(Errno::Perm);
    }
    if target.contains(&0) {
        return Err(Errno::Inval);
    }
    let at = locate(ctx, mem, fd, Rights::PATH_SYMLINK, new_path, new_path_len, Last::Itself)?;
    if at.name.is_dot() {
        return Err(Errno::Exist);
    }
    if at.must_be_dir {
        return Err(if at.dir.stat_at(&at.name).is_ok() { Errno::Exist } else { Errno::Noent });
    }
    at.dir.symlink(&target, &at.name)
}

/// `path_link(old_fd, old_flags, old_path, new_fd, new_path)`: a hard link.
///
/// # Errors
///
/// `Notcapable` without `PATH_LINK_SOURCE` on `old_fd` and `PATH_LINK_TARGET` on `new_fd`;
/// `Exist`; `Perm` for a directory; `Noent` for a trailing slash on `new_path`; `Xdev`; the
/// resolver's errors.
#[allow(clippy::too_many_arguments)]
pub fn path_link(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    old_fd: u32,
    old_flags: u32,
    old_path: u32,
    old_path_len: u32,
    new_fd: u32,
    new_path: u32,
    new_path_len: u32,
) -> Result {
    let from = locate(ctx, mem, old_fd, Rights::PATH_LINK_SOURCE, old_path, old_path_len, last_of(old_flags)?)?;
    let to = locate(ctx, mem, new_fd, Rights::PATH_LINK_TARGET, new_path, new_path_len, Last::Itself)?;
    if from.name.is_dot() || from.is_dir()? {
        return Err(Errno::Perm);
    }
    from.check_dir()?;
    if to.name.is_dot() {
        return Err(Errno::Exist);
    }
    if to.must_be_dir {
        return Err(if to.dir.stat_at(&to.name).is_ok() { Errno::Exist } else { Errno::Noent });
    }
    from.dir.link(&from.name, to.dir.as_ref(), &to.name)
}

/// `path_rename(fd, old_path, new_fd, new_path)`.
///
/// # Errors
///
/// `Notcapable` without `PATH_RENAME_SOURCE` on `fd` and `PATH_RENAME_TARGET` on `new_fd`;
/// `Notdir` for a trailing slash on a non-directory; `Notempty`, `Isdir`, `Xdev`; `Busy` for
/// `.`; the resolver's errors.
#[allow(clippy::too_many_arguments)]
pub fn path_rename(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    old_path: u32,
    old_path_len: u32,
    new_fd: u32,
    new_path: u32,
    new_path_len: u32,
) -> Result {
    let from = locate(ctx, mem, fd, Rights::PATH_RENAME_SOURCE, old_path, old_path_len, Last::Itself)?;
    let to = locate(ctx, mem, new_fd, Rights::PATH_RENAME_TARGET, new_path, new_path_len, Last::Itself)?;
    if from.name.is_dot() || to.name.is_dot() {
        return Err(Errno::Busy);
    }
    if (from.must_be_dir || to.must_be_dir) && !from.is_dir()? {
        return Err(Errno::Notdir);
    }
    from.dir.rename(&from.name, to.dir.as_ref(), &to.name)
}
