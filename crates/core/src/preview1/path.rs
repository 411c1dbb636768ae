//! `path_*`: operations on paths beneath a directory descriptor. Every path goes through the
//! one resolver in [`crate::path`].

use super::{Result, narrow};
use crate::WasiCtx;
use crate::fs::Opened;
use crate::path::{MAX_PATH_LEN, resolve};
use crate::rights::{FdRights, PathOpenRequest};
use crate::table::{Descriptor, Object};
use lucent_abi::{Errno, Fdflags, Filestat, Filetype, GuestMemory, GuestPtr, Lookupflags, Oflags, Region, Rights};

/// The guest's path: at most [`MAX_PATH_LEN`] bytes of UTF-8 (`string` in witx).
fn guest_path<'m>(mem: &'m GuestMemory<'_>, path: u32, path_len: u32) -> Result<&'m [u8]> {
    if usize::try_from(path_len).map_or(true, |len| len > MAX_PATH_LEN) {
        return Err(Errno::Nametoolong);
    }
    let bytes = mem.bytes(Region::new(path, path_len))?;
    std::str::from_utf8(bytes).map_err(|_| Errno::Ilseq)?;
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
/// `Acces` from the filesystem; `Nfile` if the descriptor table is full.
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
    let opened = resolve(dir, path, lookup.contains(Lookupflags::SYMLINK_FOLLOW), |target| {
        let mut options = plan.options;
        options.directory |= target.must_be_dir;
        target.dir.open(target.name, &options)
    })?;
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
    };
    let new_fd = ctx.table.insert(descriptor)?;
    if let Err(e) = super::put(mem, opened_fd, new_fd) {
        // Checked above, so this cannot happen; do not leak the descriptor if it does.
        let _ = ctx.table.remove(new_fd);
        return Err(e);
    }
    Ok(())
}

/// The `filestat` of a path (shared by both ABIs). Not implemented yet.
pub(crate) fn filestat_of_path(
    _ctx: &mut WasiCtx,
    _mem: &GuestMemory<'_>,
    _fd: u32,
    _flags: u32,
    _path: u32,
    _path_len: u32,
) -> Result<Filestat> {
    Err(Errno::Nosys)
}

/// `path_filestat_get(fd, flags, path) -> filestat`.
///
/// # Errors
///
/// `Nosys` until the filesystem issue lands.
pub fn path_filestat_get(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    flags: u32,
    path: u32,
    path_len: u32,
    out: u32,
) -> Result {
    let stat = filestat_of_path(ctx, mem, fd, flags, path, path_len)?;
    mem.write(GuestPtr::<Filestat>::new(out), &stat)
}

super::fd::nosys! {
    path_create_directory(fd: u32, path: u32, path_len: u32);
    #[allow(clippy::too_many_arguments)]
    path_filestat_set_times(fd: u32, flags: u32, path: u32, path_len: u32, atim: u64, mtim: u64, fst_flags: u32);
    #[allow(clippy::too_many_arguments)]
    path_link(old_fd: u32, old_flags: u32, old_path: u32, old_path_len: u32, new_fd: u32, new_path: u32, new_path_len: u32);
    #[allow(clippy::too_many_arguments)]
    path_readlink(fd: u32, path: u32, path_len: u32, buf: u32, buf_len: u32, bufused: u32);
    path_remove_directory(fd: u32, path: u32, path_len: u32);
    #[allow(clippy::too_many_arguments)]
    path_rename(fd: u32, old_path: u32, old_path_len: u32, new_fd: u32, new_path: u32, new_path_len: u32);
    path_symlink(old_path: u32, old_path_len: u32, fd: u32, new_path: u32, new_path_len: u32);
    path_unlink_file(fd: u32, path: u32, path_len: u32);
}
