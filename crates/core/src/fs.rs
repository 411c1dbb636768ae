//! The filesystem traits the core works through. Implementations live elsewhere (the host
//! crate for the real filesystem); the core never touches a file itself.
//!
//! Every method has a default that refuses, so a backend implements only what it supports.

use crate::path::Component;
use lucent_abi::{Errno, Fdflags, Filetype, Whence};
use std::fmt::Debug;
use std::io::{IoSlice, IoSliceMut};
use std::sync::Arc;

/// An open file-like object: a regular file, a pipe, a terminal, a socket.
///
/// Methods take `&self`: one object may be shared by several descriptors and, later, by
/// several guest threads.
pub trait WasiFile: Send + Sync + Debug {
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
    /// opens this directory itself.
    ///
    /// # Errors
    ///
    /// `Noent`, `Exist`, `Isdir`, `Notdir`, `Acces`…; `Loop` (or `Notdir` with
    /// `options.directory`) if it is a symlink.
    fn open(&self, name: &Component, options: &OpenOptions) -> Result<Opened, Errno>;

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
}

/// A file that reads as empty and swallows writes, like `/dev/null`: the default standard I/O
/// of a context nobody gave any.
#[derive(Debug, Default, Clone, Copy)]
pub struct NullFile;

impl WasiFile for NullFile {
    fn filetype(&self) -> Result<Filetype, Errno> {
        Ok(Filetype::CharacterDevice)
    }

    fn read_vectored(&self, _bufs: &mut [IoSliceMut<'_>]) -> Result<usize, Errno> {
        Ok(0)
    }

    fn write_vectored(&self, bufs: &[IoSlice<'_>]) -> Result<usize, Errno> {
        Ok(bufs.iter().map(|b| b.len()).sum())
    }
}
