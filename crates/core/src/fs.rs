//! The filesystem traits the core works through. Implementations live elsewhere (the host
//! crate for the real filesystem); the core never touches a file itself.
//!
//! Most methods have a default that refuses (each says which errno), so a backend implements
//! only what it supports; a few defaults succeed as a no-op where that is what a file without
//! the feature does: `fdflags` (none), `advise`, `sync` and `datasync` (and a directory's
//! `fdflags` and `sync`).

use crate::path::Component;
use lucent_abi::{Advice, Errno, Fdflags, Filestat, Filetype, Riflags, Roflags, Sdflags, Whence};
use std::any::Any;
use std::fmt::Debug;
use std::io::{IoSlice, IoSliceMut};
use std::sync::Arc;

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
    /// The backend object, so that a backend's scheduler can find its own files.
    fn as_any(&self) -> &dyn Any;

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
    fn fdflags(&self) -> Result<Fdflags, Errno> {
        Ok(Fdflags::empty())
    }

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
    /// None by default.
    fn advise(&self, _offset: u64, _len: u64, _advice: Advice) -> Result<(), Errno> {
        Ok(())
    }

    /// Makes sure `len` bytes from `offset` are allocated, extending the file if needed.
    ///
    /// # Errors
    ///
    /// `Notsup` by default; `Nospc`, `Fbig` from the backend.
    fn allocate(&self, _offset: u64, _len: u64) -> Result<(), Errno> {
        Err(Errno::Notsup)
    }

    /// Writes data and metadata to the device (`fsync`).
    ///
    /// # Errors
    ///
    /// None by default (nothing to write); `Io` from the backend.
    fn sync(&self) -> Result<(), Errno> {
        Ok(())
    }

    /// Writes data to the device (`fdatasync`).
    ///
    /// # Errors
    ///
    /// None by default; `Io` from the backend.
    fn datasync(&self) -> Result<(), Errno> {
        Ok(())
    }

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
}

/// A directory, seen one component at a time.
///
/// The core's path resolver walks paths by calling these methods with single, checked
/// components; a backend never sees a `/`, a `..`, or a path that could leave it. Methods that
/// take a name must not follow a symbolic link in that name.
pub trait WasiDir: Send + Sync + Debug {
    /// Opens the subdirectory `name` for further lookups, without following a symlink.
    ///
    /// # Errors
    ///
    /// `Noent`; `Notdir` if it is not a directory; `Loop` or `Notdir` if it is a symlink (the
    /// resolver then reads the link).
    fn open_dir(&self, name: &Component) -> Result<Arc<dyn WasiDir>, Errno>;

    /// Opens (or creates) `name` as `options` say, without following a symlink. The name `.`
    /// opens this directory itself. It never waits: a FIFO opened for reading is open at
    /// once (the first read waits for a writer), and one opened for writing with no reader
    /// is `Again` (the core sleeps and tries again), or `Nxio` with `NONBLOCK`.
    ///
    /// # Errors
    ///
    /// `Noent`, `Exist`, `Isdir`, `Notdir`, `Acces`…; `Loop` (or `Notdir` with
    /// `options.directory`) if it is a symlink; `Again`, `Nxio` as above.
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
    fn fdflags(&self) -> Result<Fdflags, Errno> {
        Ok(Fdflags::empty())
    }

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

    /// Writes this directory's changes to the device (`fsync`).
    ///
    /// # Errors
    ///
    /// None by default.
    fn sync(&self) -> Result<(), Errno> {
        Ok(())
    }
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
}
