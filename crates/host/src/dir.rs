//! Host directories, opened one component at a time and never following symlinks.

use crate::errno::from_host;
use crate::file::{HostFile, fdflags, oflags};
use lucent_abi::{Errno, Fdflags};
use lucent_core::fs::{OpenOptions, Opened, WasiDir};
use lucent_core::path::Component;
use rustix::fd::OwnedFd;
use rustix::fs::{FileType, Mode, OFlags};
use std::path::Path;
use std::sync::Arc;

/// Mode for new files, before the process umask.
const NEW_FILE_MODE: u32 = 0o666;

/// A directory on the host filesystem, held by an open descriptor.
#[derive(Debug)]
pub struct HostDir {
    fd: OwnedFd,
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
        Ok(HostDir { fd })
    }
}

impl WasiDir for HostDir {
    fn open_dir(&self, name: &Component) -> Result<Arc<dyn WasiDir>, Errno> {
        // O_PATH: enough to look up further components, and works without read permission.
        let flags = OFlags::PATH | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        let fd = crate::errno::retry(|| rustix::fs::openat(&self.fd, name.as_bytes(), flags, Mode::empty()))?;
        Ok(Arc::new(HostDir { fd }))
    }

    fn open(&self, name: &Component, options: &OpenOptions) -> Result<Opened, Errno> {
        let mut flags = OFlags::CLOEXEC | OFlags::NOFOLLOW | OFlags::NOCTTY | oflags(options.fdflags);
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
        let mode = Mode::from_raw_mode(NEW_FILE_MODE);
        let fd = crate::errno::retry(|| rustix::fs::openat(&self.fd, name.as_bytes(), flags, mode))?;
        let stat = rustix::fs::fstat(&fd).map_err(from_host)?;
        Ok(match FileType::from_raw_mode(stat.st_mode) {
            FileType::Directory => Opened::Dir(Arc::new(HostDir { fd })),
            _ => Opened::File(Arc::new(HostFile::new(fd))),
        })
    }

    fn read_link(&self, name: &Component) -> Result<Vec<u8>, Errno> {
        let target = rustix::fs::readlinkat(&self.fd, name.as_bytes(), Vec::new()).map_err(from_host)?;
        Ok(target.into_bytes())
    }

    fn fdflags(&self) -> Result<Fdflags, Errno> {
        fdflags(rustix::fd::AsFd::as_fd(&self.fd))
    }
}
