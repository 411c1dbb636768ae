//! The filesystem traits the core works through. Implementations live elsewhere (the host
//! crate for the real filesystem); the core never touches a file itself.
//!
//! The contract is backend-neutral: the host filesystem, memory, overlays and images all
//! implement it, and the core's path resolver walks every one of them the same way.
//!
//! - A lookup says what it found ([`Found`], [`Opened::Symlink`]): a backend never signals a
//!   symbolic link through an errno, and never follows one.
//! - A file says how `poll_oneoff` learns it is ready ([`WasiFile::readiness`]); no scheduler
//!   downcasts a file to its own type.
//! - Methods a backend may not support have a default that refuses (each says which errno);
//!   none has a default that claims success: `sync`, `datasync`, `advise` and `fdflags` are
//!   each backend's to answer.
//! - Identity: [`Filestat::dev`] and [`Filestat::ino`] name a file within a running instance.
//!   Two names with the same pair are the same file (hard links); a backend that is not the
//!   host's gives itself a `dev` no host filesystem has and numbers its own inodes.

use crate::env::Interest;
use crate::path::Component;
use lucent_abi::{Advice, Errno, Fdflags, Filestat, Filetype, Riflags, Roflags, Sdflags, Whence};
use std::any::Any;
use std::fmt::Debug;
use std::io::{IoSlice, IoSliceMut};
use std::os::fd::BorrowedFd;
use std::sync::Arc;

/// How a scheduler learns that a file is ready (see [`WasiFile::readiness`]).
#[derive(Debug)]
pub enum Readiness<'a> {
    /// Ready now, and always: regular files and in-memory streams. `nbytes` is what a read
    /// would return at least (0 where unknown); `hangup` that the other end is closed.
    Now {
        /// Bytes a read would return.
        nbytes: u64,
        /// The other end is closed.
        hangup: bool,
    },
    /// Ready when this host descriptor is (`poll(2)`): pipes, terminals, sockets.
    HostFd(BorrowedFd<'a>),
}

/// An open file-like object: a regular file, a pipe, a terminal, a socket.
///
/// Methods take `&self`: one object may be shared by several descriptors and, later, by
/// several guest threads.
///
/// No method waits: where an operation would have to (nothing to read, no room to write, no
/// connection to accept) it returns `Again`, whatever the descriptor's `NONBLOCK` flag, and
/// the core waits for readiness through the context's scheduler, where stopping the instance
/// ends the wait. [`WasiFile::fdflags`] reports the guest's `NONBLOCK`, which decides
/// whether the guest gets `Again` or the core waits.
pub trait WasiFile: Send + Sync + Debug {
    /// The backend object, for an embedder that wants its own type back.
    fn as_any(&self) -> &dyn Any;

    /// How `poll_oneoff` waits for this file to be ready for `interest`.
    ///
    /// # Errors
    ///
    /// `Notsup` by default: the file cannot be waited on.
    fn readiness(&self, _interest: Interest) -> Result<Readiness<'_>, Errno> {
        Err(Errno::Notsup)
    }

    /// What kind of file this is.
    ///
    /// # Errors
    ///
    /// Whatever the backend reports (`Io` for a host failure).
    fn filetype(&self) -> Result<Filetype, Errno>;

    /// The descriptor flags in effect.
    ///
    /// # Errors
    ///
    /// Whatever the backend reports.
    fn fdflags(&self) -> Result<Fdflags, Errno>;

    /// Changes `APPEND` and `NONBLOCK`.
    ///
    /// # Errors
    ///
    /// `Notsup` by default; `Inval` for flags that cannot change after opening.
    fn set_fdflags(&self, _flags: Fdflags) -> Result<(), Errno> {
        Err(Errno::Notsup)
    }

    /// Reads into the buffers in order (`readv`), returning the byte count; 0 at end of file.
    ///
    /// # Errors
    ///
    /// `Badf` by default (not open for reading); `Again` for a non-blocking file with no data.
    fn read_vectored(&self, _bufs: &mut [IoSliceMut<'_>]) -> Result<usize, Errno> {
        Err(Errno::Badf)
    }

    /// Writes the buffers in order (`writev`), returning the byte count.
    ///
    /// # Errors
    ///
    /// `Badf` by default (not open for writing); `Pipe`, `Nospc`, `Again`… from the backend.
    fn write_vectored(&self, _bufs: &[IoSlice<'_>]) -> Result<usize, Errno> {
        Err(Errno::Badf)
    }

    /// Moves the file position and returns the new one.
    ///
    /// # Errors
    ///
    /// `Spipe` by default (not seekable); `Inval` for a negative resulting position.
    fn seek(&self, _offset: i64, _whence: Whence) -> Result<u64, Errno> {
        Err(Errno::Spipe)
    }

    /// Reads at `offset` without moving the file position (`preadv`).
    ///
    /// # Errors
    ///
    /// `Spipe` by default (not seekable).
    fn pread_vectored(&self, _bufs: &mut [IoSliceMut<'_>], _offset: u64) -> Result<usize, Errno> {
        Err(Errno::Spipe)
    }

    /// Writes at `offset` without moving the file position (`pwritev`).
    ///
    /// # Errors
    ///
    /// `Spipe` by default (not seekable).
    fn pwrite_vectored(&self, _bufs: &[IoSlice<'_>], _offset: u64) -> Result<usize, Errno> {
        Err(Errno::Spipe)
    }

    /// The file's attributes.
    ///
    /// # Errors
    ///
    /// `Notsup` by default.
    fn filestat(&self) -> Result<Filestat, Errno> {
        Err(Errno::Notsup)
    }

    /// Truncates or extends the file to `size` bytes.
    ///
    /// # Errors
    ///
    /// `Notsup` by default; `Fbig`, `Inval` from the backend.
    fn set_size(&self, _size: u64) -> Result<(), Errno> {
        Err(Errno::Notsup)
    }

    /// Sets the access and modification times.
    ///
    /// # Errors
    ///
    /// `Notsup` by default.
    fn set_times(&self, _atim: SetTime, _mtim: SetTime) -> Result<(), Errno> {
        Err(Errno::Notsup)
    }

    /// Announces an access pattern (`posix_fadvise`); advice may be ignored.
    ///
    /// # Errors
    ///
    /// `Spipe` for a pipe or socket, as `posix_fadvise`; `Badf` for a closed stream.
    fn advise(&self, offset: u64, len: u64, advice: Advice) -> Result<(), Errno>;

    /// Makes sure `len` bytes from `offset` are allocated, extending the file if needed.
    ///
    /// # Errors
    ///
    /// `Notsup` by default; `Nospc`, `Fbig` from the backend.
    fn allocate(&self, _offset: u64, _len: u64) -> Result<(), Errno> {
        Err(Errno::Notsup)
    }

    /// Writes data and metadata to the device (`fsync`); a file with no device behind it
    /// (memory) has nothing to write and says so with `Ok`.
    ///
    /// # Errors
    ///
    /// `Io` from the backend; `Inval` for a stream that cannot be synced, as `fsync`.
    fn sync(&self) -> Result<(), Errno>;

    /// Writes data to the device (`fdatasync`), as [`WasiFile::sync`].
    ///
    /// # Errors
    ///
    /// As [`WasiFile::sync`].
    fn datasync(&self) -> Result<(), Errno>;

    /// Accepts a connection on a listening socket; `nonblock` sets `NONBLOCK` on the new one.
    ///
    /// # Errors
    ///
    /// `Notsock` by default; `Again` when non-blocking and none is pending; `Inval` if not
    /// listening.
    fn sock_accept(&self, _nonblock: bool) -> Result<Arc<dyn WasiFile>, Errno> {
        Err(Errno::Notsock)
    }

    /// Receives into the buffers (`recvmsg`), with `RECV_PEEK` and `RECV_WAITALL`.
    ///
    /// # Errors
    ///
    /// `Notsock` by default; `Again`, `Connreset`… from the backend.
    fn sock_recv(&self, _bufs: &mut [IoSliceMut<'_>], _flags: Riflags) -> Result<(usize, Roflags), Errno> {
        Err(Errno::Notsock)
    }

    /// Sends the buffers (`sendmsg`), never raising `SIGPIPE`.
    ///
    /// # Errors
    ///
    /// `Notsock` by default; `Pipe`, `Again`… from the backend.
    fn sock_send(&self, _bufs: &[IoSlice<'_>]) -> Result<usize, Errno> {
        Err(Errno::Notsock)
    }

    /// Shuts down one or both directions.
    ///
    /// # Errors
    ///
    /// `Notsock` by default; `Notconn`.
    fn sock_shutdown(&self, _how: Sdflags) -> Result<(), Errno> {
        Err(Errno::Notsock)
    }
}

/// The descriptor flags a file opened with `requested` reports, as Linux keeps them:
/// `APPEND` and `NONBLOCK` as asked; `SYNC` (or `RSYNC`, which Linux reads back as `SYNC`)
/// reported alone, `DSYNC` otherwise. For backends without a host descriptor to ask.
pub fn opened_fdflags(requested: Fdflags) -> Fdflags {
    let mut flags = requested & (Fdflags::APPEND | Fdflags::NONBLOCK);
    if requested.intersects(Fdflags::SYNC | Fdflags::RSYNC) {
        flags |= Fdflags::SYNC;
    } else if requested.contains(Fdflags::DSYNC) {
        flags |= Fdflags::DSYNC;
    }
    flags
}

/// The flags after `fd_fdstat_set_flags(new)` on a file whose flags are `current`: as Linux's
/// `F_SETFL`, only `APPEND` and `NONBLOCK` change; the synchronous flags stay as opened.
pub fn changed_fdflags(current: Fdflags, new: Fdflags) -> Fdflags {
    let changeable = Fdflags::APPEND | Fdflags::NONBLOCK;
    current.difference(changeable) | (new & changeable)
}

/// How `*_set_times` changes one timestamp.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SetTime {
    /// Leave it as it is.
    Omit,
    /// Set it to this time, in nanoseconds since the epoch.
    At(u64),
}

/// One directory entry, as `fd_readdir` reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirEntry {
    /// The entry's name (may be `.` or `..`).
    pub name: Vec<u8>,
    /// The file serial number.
    pub ino: u64,
    /// The file type (`Unknown` if the backend cannot tell cheaply).
    pub filetype: Filetype,
}

/// How `path_open` wants the last component opened; derived from the request by
/// [`crate::rights::path_open`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct OpenOptions {
    /// Open for reading.
    pub read: bool,
    /// Open for writing.
    pub write: bool,
    /// Create the file if it is missing.
    pub create: bool,
    /// With `create`: fail if it exists.
    pub exclusive: bool,
    /// Truncate to zero length.
    pub truncate: bool,
    /// Fail unless it is a directory.
    pub directory: bool,
    /// Descriptor flags for the new file.
    pub fdflags: Fdflags,
}

/// What opening a name produced.
#[derive(Debug)]
pub enum Opened {
    /// A file-like object.
    File(Arc<dyn WasiFile>),
    /// A directory.
    Dir(Arc<dyn WasiDir>),
    /// A symbolic link with this target, not followed (the resolver decides).
    Symlink(Vec<u8>),
}

/// What [`WasiDir::lookup`] found under a name.
#[derive(Debug)]
pub enum Found {
    /// A directory, open for further lookups.
    Dir(Arc<dyn WasiDir>),
    /// Something that is not a directory nor a symlink.
    File,
    /// A symbolic link with this target, not followed.
    Symlink(Vec<u8>),
    /// Nothing has this name.
    Nothing,
}

/// A directory, seen one component at a time.
///
/// The core's path resolver walks paths by calling these methods with single, checked
/// components; a backend never sees a `/`, a `..`, or a path that could leave it. Methods that
/// take a name must not follow a symbolic link in that name.
pub trait WasiDir: Send + Sync + Debug {
    /// What `name` is, without following a symlink; a directory comes back open for further
    /// lookups.
    ///
    /// # Errors
    ///
    /// `Acces` for a directory that cannot be searched, `Io`…: not `Noent` (that is
    /// [`Found::Nothing`]).
    fn lookup(&self, name: &Component) -> Result<Found, Errno>;

    /// Opens (or creates) `name` as `options` say, without following a symlink: a symlink
    /// comes back as [`Opened::Symlink`] (with `create` and `exclusive`, `Exist`). The name
    /// `.` opens this directory itself. It never waits: a FIFO opened for reading is open at
    /// once (the first read waits for a writer), and one opened for writing with no reader
    /// is `Again` (the core sleeps and tries again), or `Nxio` with `NONBLOCK`.
    ///
    /// # Errors
    ///
    /// `Noent`, `Exist`, `Isdir` (also for `create` on an existing directory, as Linux's
    /// `O_CREAT`), `Notdir`, `Acces`…; `Again`, `Nxio` as above.
    fn open(&self, name: &Component, options: &OpenOptions) -> Result<Opened, Errno>;

    /// Opens a whole relative `path` beneath this directory in one step, when the backend can
    /// give the same guarantees as the component-by-component walk (Linux `openat2` with
    /// `RESOLVE_BENEATH`): never leaving this directory, `..` never above it, absolute symlinks
    /// refused. `follow` says whether a symlink in the last component is followed. `None`
    /// means "not available now": the resolver then walks the path itself.
    ///
    /// # Errors
    ///
    /// As [`WasiDir::open`]; `Perm` for an escape.
    fn open_beneath(&self, _path: &[u8], _follow: bool, _options: &OpenOptions) -> Option<Result<Opened, Errno>> {
        None
    }

    /// The target of the symlink `name`.
    ///
    /// # Errors
    ///
    /// `Inval` if it is not a symlink; `Noent` if it does not exist.
    fn read_link(&self, name: &Component) -> Result<Vec<u8>, Errno>;

    /// The descriptor flags of the open directory.
    ///
    /// # Errors
    ///
    /// Whatever the backend reports.
    fn fdflags(&self) -> Result<Fdflags, Errno>;

    /// The backend object, so that operations on two directories (`link`, `rename`) can
    /// check both belong to the same backend.
    fn as_any(&self) -> &dyn Any;

    /// The directory's own attributes.
    ///
    /// # Errors
    ///
    /// `Notsup` by default.
    fn filestat(&self) -> Result<Filestat, Errno> {
        Err(Errno::Notsup)
    }

    /// The attributes of `name`, not following a symlink (`.` is this directory).
    ///
    /// # Errors
    ///
    /// `Notsup` by default; `Noent`.
    fn stat_at(&self, _name: &Component) -> Result<Filestat, Errno> {
        Err(Errno::Notsup)
    }

    /// Sets the times of `name`, not following a symlink.
    ///
    /// # Errors
    ///
    /// `Notsup` by default; `Noent`.
    fn set_times_at(&self, _name: &Component, _atim: SetTime, _mtim: SetTime) -> Result<(), Errno> {
        Err(Errno::Notsup)
    }

    /// Sets this directory's own times.
    ///
    /// # Errors
    ///
    /// `Notsup` by default.
    fn set_times(&self, _atim: SetTime, _mtim: SetTime) -> Result<(), Errno> {
        Err(Errno::Notsup)
    }

    /// Creates the directory `name`.
    ///
    /// # Errors
    ///
    /// `Notsup` by default; `Exist`, `Noent`.
    fn create_dir(&self, _name: &Component) -> Result<(), Errno> {
        Err(Errno::Notsup)
    }

    /// Removes the empty directory `name`.
    ///
    /// # Errors
    ///
    /// `Notsup` by default; `Notempty`, `Notdir`, `Noent`.
    fn remove_dir(&self, _name: &Component) -> Result<(), Errno> {
        Err(Errno::Notsup)
    }

    /// Removes the non-directory `name` (a symlink itself, not its target).
    ///
    /// # Errors
    ///
    /// `Notsup` by default; `Isdir`, `Noent`.
    fn unlink_file(&self, _name: &Component) -> Result<(), Errno> {
        Err(Errno::Notsup)
    }

    /// Creates the symlink `name` with contents `target` (not interpreted here).
    ///
    /// # Errors
    ///
    /// `Notsup` by default; `Exist`.
    fn symlink(&self, _target: &[u8], _name: &Component) -> Result<(), Errno> {
        Err(Errno::Notsup)
    }

    /// Makes `new_name` in `new_dir` a hard link to `name` (a symlink is linked itself).
    ///
    /// # Errors
    ///
    /// `Notsup` by default; `Xdev` if `new_dir` is another backend; `Exist`, `Noent`, `Perm`.
    fn link(&self, _name: &Component, _new_dir: &dyn WasiDir, _new_name: &Component) -> Result<(), Errno> {
        Err(Errno::Notsup)
    }

    /// Renames `name` to `new_name` in `new_dir`, replacing what is there as POSIX `rename`.
    ///
    /// # Errors
    ///
    /// `Notsup` by default; `Xdev` if `new_dir` is another backend; `Noent`, `Notempty`,
    /// `Isdir`, `Notdir`.
    fn rename(&self, _name: &Component, _new_dir: &dyn WasiDir, _new_name: &Component) -> Result<(), Errno> {
        Err(Errno::Notsup)
    }

    /// Calls `each` with the entries from position `cookie` on (0 is the start), each with the
    /// cookie of the entry after it, until `each` returns `false` or the entries run out.
    /// Cookies stay valid across calls until the directory is read again from 0.
    ///
    /// # Errors
    ///
    /// `Notsup` by default; `Io`.
    fn read_dir(&self, _cookie: u64, _each: &mut dyn FnMut(&DirEntry, u64) -> bool) -> Result<(), Errno> {
        Err(Errno::Notsup)
    }

    /// Writes this directory's changes to the device (`fsync`); `Ok` where there is none.
    ///
    /// # Errors
    ///
    /// `Io` from the backend.
    fn sync(&self) -> Result<(), Errno>;
}

/// A standard stream the host process does not have open: every operation fails with
/// `Badf`, as on a closed descriptor.
#[derive(Debug, Default, Clone, Copy)]
pub struct ClosedFile;

impl WasiFile for ClosedFile {
    fn as_any(&self) -> &dyn Any {
        self
    }

    fn filetype(&self) -> Result<Filetype, Errno> {
        Err(Errno::Badf)
    }

    fn fdflags(&self) -> Result<Fdflags, Errno> {
        Err(Errno::Badf)
    }

    fn seek(&self, _offset: i64, _whence: Whence) -> Result<u64, Errno> {
        Err(Errno::Badf)
    }

    fn filestat(&self) -> Result<Filestat, Errno> {
        Err(Errno::Badf)
    }

    fn advise(&self, _offset: u64, _len: u64, _advice: Advice) -> Result<(), Errno> {
        Err(Errno::Badf)
    }

    fn sync(&self) -> Result<(), Errno> {
        Err(Errno::Badf)
    }

    fn datasync(&self) -> Result<(), Errno> {
        Err(Errno::Badf)
    }

    fn readiness(&self, _interest: Interest) -> Result<Readiness<'_>, Errno> {
        Err(Errno::Badf)
    }
}

/// A file that reads as empty and swallows writes, like `/dev/null`: the default standard I/O
/// of a context nobody gave any.
#[derive(Debug, Default, Clone, Copy)]
pub struct NullFile;

impl WasiFile for NullFile {
    fn as_any(&self) -> &dyn Any {
        self
    }

    fn filetype(&self) -> Result<Filetype, Errno> {
        Ok(Filetype::CharacterDevice)
    }

    fn read_vectored(&self, _bufs: &mut [IoSliceMut<'_>]) -> Result<usize, Errno> {
        Ok(0)
    }

    fn write_vectored(&self, bufs: &[IoSlice<'_>]) -> Result<usize, Errno> {
        // As `writev`: `Inval` if the lengths add up past what the count can hold.
        bufs.iter().try_fold(0usize, |total, b| total.checked_add(b.len())).ok_or(Errno::Inval)
    }

    fn filestat(&self) -> Result<Filestat, Errno> {
        Ok(Filestat { filetype: Filetype::CharacterDevice.raw(), nlink: 1, ..Filestat::default() })
    }

    fn readiness(&self, _interest: Interest) -> Result<Readiness<'_>, Errno> {
        Ok(Readiness::Now { nbytes: 0, hangup: false })
    }

    fn fdflags(&self) -> Result<Fdflags, Errno> {
        Ok(Fdflags::empty())
    }

    // As `/dev/null`: advice is accepted, syncing has nothing to write.
    fn advise(&self, _offset: u64, _len: u64, _advice: Advice) -> Result<(), Errno> {
        Ok(())
    }

    fn sync(&self) -> Result<(), Errno> {
        Ok(())
    }

    fn datasync(&self) -> Result<(), Errno> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_read_back_as_linux_keeps_them() {
        let (a, n, d, r, s) = (Fdflags::APPEND, Fdflags::NONBLOCK, Fdflags::DSYNC, Fdflags::RSYNC, Fdflags::SYNC);
        assert_eq!(opened_fdflags(d), d);
        assert_eq!(opened_fdflags(s), s);
        assert_eq!(opened_fdflags(r), s);
        assert_eq!(opened_fdflags(a | d | n | r | s), a | n | s);
        assert_eq!(changed_fdflags(a | s, n), n | s);
        assert_eq!(changed_fdflags(d, a | s), a | d);
    }
}
