//! Host directories, opened one component at a time and never following symlinks.

use crate::errno::{from_host, retry};
use crate::file::{HostFile, fdflags, filetype, oflags};
use crate::quota::Quota;
use crate::stat::{filestat, timestamps};
use lucent_abi::{Errno, Fdflags, Filestat, Filetype};
use lucent_core::fs::{DirEntry, OpenOptions, Opened, SetTime, WasiDir};
use lucent_core::path::Component;
use rustix::fd::OwnedFd;
use rustix::fs::{AtFlags, FileType, Mode, OFlags, ResolveFlags};
use std::any::Any;
use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

/// Mode for new files, before the process umask.
const NEW_FILE_MODE: u32 = 0o666;

/// Mode for new directories, before the process umask.
const NEW_DIR_MODE: u32 = 0o777;

/// A directory on the host filesystem, held by an open descriptor.
#[derive(Debug)]
pub struct HostDir {
    fd: OwnedFd,
    /// The entries as read at the last `read_dir` from cookie 0; a cookie is an index into it,
    /// so cookies stay valid across calls and a listing costs one pass over the directory.
    listing: Mutex<Vec<DirEntry>>,
    /// List entries sorted by name (deterministic runs), rather than in the host's order.
    sorted: bool,
    /// The quota of the mount, shared by everything opened beneath it.
    quota: Option<Arc<Quota>>,
    /// The descriptor flags, once read: nothing changes them (Lucent opened the descriptor and
    /// shares it with no other process, and a directory's flags cannot be set through WASI),
    /// so `fd_fdstat_get`, which Rust's std calls before every open, need not ask the kernel.
    flags: OnceLock<Fdflags>,
}

impl HostDir {
    /// Opens the host directory at `path`, as the host process sees it (so symlinks in `path`
    /// are followed): this is how the embedder or the CLI chooses a preopen, never guest input.
    ///
    /// # Errors
    ///
    /// The host error: the path is missing, not a directory, or not readable.
    pub fn open_ambient(path: &Path) -> std::io::Result<Self> {
        let fd = rustix::fs::open(path, OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC, Mode::empty())?;
        Ok(HostDir::from_fd(fd))
    }

    fn from_fd(fd: OwnedFd) -> Self {
        HostDir { fd, listing: Mutex::default(), sorted: false, quota: None, flags: OnceLock::new() }
    }

    /// Caps the bytes the guest can add beneath this directory at `bytes` (writes past the end
    /// of files, `fd_allocate`, `fd_filestat_set_size`); beyond it calls fail with `Dquot`.
    pub fn with_quota(mut self, bytes: u64) -> Self {
        self.quota = Some(Arc::new(Quota::new(bytes)));
        self
    }

    /// Lists entries sorted by name, here and in every directory opened beneath, instead of in
    /// the host filesystem's order (for reproducible runs).
    pub fn with_sorted_listings(mut self, sorted: bool) -> Self {
        self.sorted = sorted;
        self
    }

    /// A directory opened beneath this one, listing as this one does.
    fn child(&self, fd: OwnedFd) -> HostDir {
        HostDir { quota: self.quota.clone(), ..HostDir::from_fd(fd).with_sorted_listings(self.sorted) }
    }

    /// Wraps a freshly opened descriptor as a directory or a file.
    fn opened(&self, fd: OwnedFd) -> Result<Opened, Errno> {
        let stat = rustix::fs::fstat(&fd).map_err(from_host)?;
        Ok(match FileType::from_raw_mode(stat.st_mode) {
            FileType::Directory => Opened::Dir(Arc::new(self.child(fd))),
            other => {
                Opened::File(Arc::new(HostFile::new(fd).with_quota(self.quota.clone()).with_filetype(filetype(other))))
            }
        })
    }

    /// The other directory of a two-directory operation, which must be a host directory too.
    fn same_backend(other: &dyn WasiDir) -> Result<&HostDir, Errno> {
        other.as_any().downcast_ref::<HostDir>().ok_or(Errno::Xdev)
    }

    /// Reads every entry, filling in types the kernel did not report.
    fn read_all(&self) -> Result<Vec<DirEntry>, Errno> {
        let mut dir = rustix::fs::Dir::read_from(&self.fd).map_err(from_host)?;
        let mut entries = Vec::new();
        while let Some(entry) = dir.read() {
            let entry = entry.map_err(from_host)?;
            let name = entry.file_name().to_bytes().to_vec();
            let mut kind = filetype(entry.file_type());
            if entry.file_type() == FileType::Unknown {
                kind = rustix::fs::statat(&self.fd, entry.file_name(), AtFlags::SYMLINK_NOFOLLOW)
                    .map_or(Filetype::Unknown, |st| filetype(FileType::from_raw_mode(st.st_mode)));
            }
            entries.push(DirEntry { name, ino: entry.ino(), filetype: kind });
        }
        if self.sorted {
            entries.sort_by(|a, b| a.name.cmp(&b.name));
        }
        Ok(entries)
    }
}

/// Host open flags for `options`, without `O_NOFOLLOW`.
fn open_flags(options: &OpenOptions) -> OFlags {
    let mut flags = OFlags::CLOEXEC | OFlags::NOCTTY | oflags(options.fdflags);
    flags |= match (options.read, options.write) {
        (_, false) => OFlags::RDONLY,
        (false, true) => OFlags::WRONLY,
        (true, true) => OFlags::RDWR,
    };
    for (wanted, flag) in [
        (options.create, OFlags::CREATE),
        (options.exclusive, OFlags::EXCL),
        (options.truncate, OFlags::TRUNC),
        (options.directory, OFlags::DIRECTORY),
    ] {
        if wanted {
            flags |= flag;
        }
    }
    flags
}

impl WasiDir for HostDir {
    fn open_dir(&self, name: &Component) -> Result<Arc<dyn WasiDir>, Errno> {
        // O_PATH: enough to look up further components, and works without read permission.
        let flags = OFlags::PATH | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        let fd = retry(|| rustix::fs::openat(&self.fd, name.as_bytes(), flags, Mode::empty()))?;
        Ok(Arc::new(self.child(fd)))
    }

    fn open(&self, name: &Component, options: &OpenOptions) -> Result<Opened, Errno> {
        let flags = open_flags(options) | OFlags::NOFOLLOW;
        let fd = retry(|| rustix::fs::openat(&self.fd, name.as_bytes(), flags, Mode::from_raw_mode(NEW_FILE_MODE)))?;
        self.opened(fd)
    }

    fn open_beneath(&self, path: &[u8], follow: bool, options: &OpenOptions) -> Option<Result<Opened, Errno>> {
        let mut flags = open_flags(options);
        if !follow {
            flags |= OFlags::NOFOLLOW;
        }
        let resolve = ResolveFlags::BENEATH | ResolveFlags::NO_MAGICLINKS;
        // openat2 refuses a mode without O_CREAT.
        let mode = if options.create { Mode::from_raw_mode(NEW_FILE_MODE) } else { Mode::empty() };
        match rustix::fs::openat2(&self.fd, path, flags, mode, resolve) {
            Ok(fd) => Some(self.opened(fd)),
            // An escape attempt (`..` above this directory, an absolute symlink).
            Err(rustix::io::Errno::XDEV) => Some(Err(Errno::Perm)),
            // No openat2 on this kernel (or a seccomp filter refusing it with EPERM), a
            // concurrent rename the kernel wants retried, or a path at the kernel's PATH_MAX
            // (which counts the NUL): the walk handles them all, with the real errno.
            Err(
                rustix::io::Errno::NOSYS
                | rustix::io::Errno::PERM
                | rustix::io::Errno::AGAIN
                | rustix::io::Errno::INTR
                | rustix::io::Errno::NAMETOOLONG,
            ) => None,
            Err(e) => Some(Err(from_host(e))),
        }
    }

    fn read_link(&self, name: &Component) -> Result<Vec<u8>, Errno> {
        let target = rustix::fs::readlinkat(&self.fd, name.as_bytes(), Vec::new()).map_err(from_host)?;
        Ok(target.into_bytes())
    }

    fn fdflags(&self) -> Result<Fdflags, Errno> {
        if let Some(known) = self.flags.get() {
            return Ok(*known);
        }
        let known = fdflags(rustix::fd::AsFd::as_fd(&self.fd))?;
        Ok(*self.flags.get_or_init(|| known))
    }

    fn as_any(&self) -> &dyn Any {
        self
    }

    fn filestat(&self) -> Result<Filestat, Errno> {
        Ok(filestat(&rustix::fs::fstat(&self.fd).map_err(from_host)?))
    }

    fn stat_at(&self, name: &Component) -> Result<Filestat, Errno> {
        let st = rustix::fs::statat(&self.fd, name.as_bytes(), AtFlags::SYMLINK_NOFOLLOW).map_err(from_host)?;
        Ok(filestat(&st))
    }

    fn set_times_at(&self, name: &Component, atim: SetTime, mtim: SetTime) -> Result<(), Errno> {
        let times = timestamps(atim, mtim)?;
        rustix::fs::utimensat(&self.fd, name.as_bytes(), &times, AtFlags::SYMLINK_NOFOLLOW).map_err(from_host)
    }

    fn set_times(&self, atim: SetTime, mtim: SetTime) -> Result<(), Errno> {
        rustix::fs::futimens(&self.fd, &timestamps(atim, mtim)?).map_err(from_host)
    }

    fn create_dir(&self, name: &Component) -> Result<(), Errno> {
        rustix::fs::mkdirat(&self.fd, name.as_bytes(), Mode::from_raw_mode(NEW_DIR_MODE)).map_err(from_host)
    }

    fn remove_dir(&self, name: &Component) -> Result<(), Errno> {
        rustix::fs::unlinkat(&self.fd, name.as_bytes(), AtFlags::REMOVEDIR).map_err(from_host)
    }

    fn unlink_file(&self, name: &Component) -> Result<(), Errno> {
        rustix::fs::unlinkat(&self.fd, name.as_bytes(), AtFlags::empty()).map_err(from_host)
    }

    fn symlink(&self, target: &[u8], name: &Component) -> Result<(), Errno> {
        rustix::fs::symlinkat(target, &self.fd, name.as_bytes()).map_err(from_host)
    }

    fn link(&self, name: &Component, new_dir: &dyn WasiDir, new_name: &Component) -> Result<(), Errno> {
        let new_dir = HostDir::same_backend(new_dir)?;
        rustix::fs::linkat(&self.fd, name.as_bytes(), &new_dir.fd, new_name.as_bytes(), AtFlags::empty())
            .map_err(from_host)
    }

    fn rename(&self, name: &Component, new_dir: &dyn WasiDir, new_name: &Component) -> Result<(), Errno> {
        let new_dir = HostDir::same_backend(new_dir)?;
        rustix::fs::renameat(&self.fd, name.as_bytes(), &new_dir.fd, new_name.as_bytes()).map_err(from_host)
    }

    fn read_dir(&self, cookie: u64, each: &mut dyn FnMut(&DirEntry, u64) -> bool) -> Result<(), Errno> {
        let mut listing = self.listing.lock().unwrap_or_else(PoisonError::into_inner);
        if cookie == 0 || listing.is_empty() {
            *listing = self.read_all()?;
        }
        let start = usize::try_from(cookie).unwrap_or(usize::MAX);
        for (index, entry) in listing.iter().enumerate().skip(start) {
            let next = u64::try_from(index).map_or(u64::MAX, |i| i.saturating_add(1));
            if !each(entry, next) {
                break;
            }
        }
        Ok(())
    }

    fn sync(&self) -> Result<(), Errno> {
        retry(|| rustix::fs::fsync(&self.fd))
    }
}
