//! Read-only images: a tar archive (plain or gzip) mounted as a directory tree, behind the
//! core's [`WasiDir`]/[`WasiFile`] contract. What `--image ARCHIVE::GUEST` mounts.
//!
//! An image is read once: [`Image::open`] maps a plain archive and checks every member
//! (paths relative and never climbing, symlinks pointing inside, hard links to earlier files,
//! no duplicates, no devices, the data of each member inside the archive), then keeps only
//! the tree: names, modes, times and, for each file, where its bytes lie in the mapping. A
//! read copies from the mapping straight into the guest's buffer; nothing of a member is
//! copied at load, so an image costs memory for its metadata, not its contents. A gzip archive
//! is decompressed once into memory, up to [`Options::max_unpacked`] bytes.
//!
//! An [`Image`] is immutable and cheap to clone: one image mounted by any number of
//! instances at once takes no lock (`lucent serve` loads it once for every request).
//!
//! Identity: inode numbers follow the archive's order (the root is 1), the same on every
//! load; the filesystem has the `dev` it was given. Times are the archive's (reads do not
//! change them); modes are kept, and a file no one may read (`mode & 0o444 == 0`) cannot be
//! opened for reading (`Acces`), as on a host filesystem for an unprivileged user.
//!
//! ```
//! use lucent_core::fs::{Found, WasiDir};
//! use lucent_core::path::Component;
//! let mut tar = tar::Builder::new(Vec::new());
//! let mut header = tar::Header::new_gnu();
//! header.set_size(5);
//! header.set_mode(0o644);
//! tar.append_data(&mut header, "hello.txt", &b"hello"[..])?;
//! let image = lucent_image::Image::from_bytes(tar.into_inner()?, &lucent_image::Options::default())?;
//! let root = image.root();
//! assert!(matches!(root.lookup(&Component::new(b"hello.txt")?)?, Found::File));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

// Guest input never panics the host: outside tests, nothing that can panic or silently wrap on
// a value it is given (see docs/panic-audit.md).
#![cfg_attr(
    not(test),
    warn(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::unreachable,
        clippy::todo,
        clippy::unimplemented,
        clippy::indexing_slicing,
        clippy::arithmetic_side_effects,
        clippy::as_conversions,
        clippy::cast_possible_truncation,
        clippy::cast_possible_wrap,
        clippy::cast_sign_loss,
        clippy::disallowed_methods
    )
)]

mod load;
mod map;
mod ustar;

use lucent_abi::{Advice, Errno, Fdflags, Filestat, Filetype, Whence};
use lucent_core::env::Interest;
use lucent_core::fs::{DirEntry, Found, OpenOptions, Opened, Readiness, SetTime, WasiDir, WasiFile};
use lucent_core::path::Component;
use std::any::Any;
use std::io::{IoSlice, IoSliceMut};
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};

/// The root directory's node.
const ROOT: u32 = 0;

/// How an image is loaded.
#[derive(Clone, Debug)]
pub struct Options {
    /// The device number its files report.
    pub dev: u64,
    /// The most members (and directories made for their paths) an archive may have.
    pub max_members: usize,
    /// The most bytes a gzip archive may decompress to (a "gzip bomb" stops here).
    pub max_unpacked: u64,
}

/// Default [`Options::max_members`]: a million (a node costs about 64 bytes besides its name).
pub const MAX_MEMBERS: usize = 1_000_000;

/// Default [`Options::max_unpacked`]: 1 GiB.
pub const MAX_UNPACKED: u64 = 1 << 30;

impl Default for Options {
    /// Device 0, the default limits.
    fn default() -> Self {
        Options { dev: 0, max_members: MAX_MEMBERS, max_unpacked: MAX_UNPACKED }
    }
}

/// Why an archive cannot be mounted.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The file could not be opened or read.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// Not a tar archive (nor a gzip one): its first block is not a tar header.
    #[error("not a tar archive (plain or gzip): its first block is not a tar header")]
    NotAnArchive,
    /// A damaged tar archive (a header's checksum, a gzip stream).
    #[error("not a valid tar archive (at byte {at}): {reason}")]
    Corrupt {
        /// Where in the (decompressed) archive the damage was found.
        at: u64,
        /// What was wrong.
        reason: String,
    },
    /// The archive ends inside this member's data.
    #[error("truncated archive: it ends inside the data of member `{0}`")]
    Truncated(String),
    /// A member the image refuses, and why.
    #[error("member `{member}`: {reason}")]
    Member {
        /// The member's path, as the archive names it.
        member: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A gzip archive decompressing to more than the limit.
    #[error("the gzip archive decompresses to more than {0} bytes (the limit for an image)")]
    TooLarge(u64),
    /// More members than the limit.
    #[error("the archive has more than {0} members (the limit for an image)")]
    TooManyMembers(usize),
}

/// The bytes an image serves its files from.
enum Backing {
    /// A plain archive, mapped.
    Mapped(memmap2::Mmap),
    /// A decompressed (or given) archive.
    Owned(Vec<u8>),
}

impl Backing {
    fn bytes(&self) -> &[u8] {
        match self {
            Backing::Mapped(map) => map,
            Backing::Owned(bytes) => bytes,
        }
    }
}

/// One file, directory or symlink of an image.
pub(crate) struct Node {
    kind: Kind,
    mode: u32,
    mtim: u64,
    nlink: u64,
}

/// A directory entry: a name and the node it names.
pub(crate) type Entry = (Box<[u8]>, u32);

pub(crate) enum Kind {
    /// Entries sorted by name.
    Dir {
        parent: u32,
        entries: Vec<Entry>,
    },
    /// The file's bytes: `start..end` of the backing.
    File {
        start: usize,
        end: usize,
    },
    Symlink(Box<[u8]>),
}

struct Inner {
    dev: u64,
    nodes: Vec<Node>,
    backing: Backing,
}

/// A read-only tree loaded from a tar archive. Cloning shares it.
#[derive(Clone)]
pub struct Image {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Image {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Image").field("dev", &self.inner.dev).field("nodes", &self.inner.nodes.len()).finish()
    }
}

impl Image {
    /// Loads the archive at `path`: a plain tar archive is mapped (its members are served
    /// from the mapping), a gzip one decompressed into memory.
    ///
    /// # Errors
    ///
    /// [`LoadError`]: the file cannot be read, is not a tar archive, or has a member the
    /// image refuses (the error names it).
    pub fn open(path: &Path, options: &Options) -> Result<Image, LoadError> {
        let file = std::fs::File::open(path)?;
        if !file.metadata()?.is_file() {
            return Err(LoadError::Io(std::io::Error::other("not a regular file")));
        }
        let map = map::map(&file)?;
        if load::is_gzip(&map) {
            let bytes = load::gunzip(&map, options.max_unpacked)?;
            return Image::build(Backing::Owned(bytes), options);
        }
        Image::build(Backing::Mapped(map), options)
    }

    /// An image of the archive in `bytes` (plain or gzip).
    ///
    /// # Errors
    ///
    /// As [`Image::open`].
    pub fn from_bytes(bytes: Vec<u8>, options: &Options) -> Result<Image, LoadError> {
        let bytes = if load::is_gzip(&bytes) { load::gunzip(&bytes, options.max_unpacked)? } else { bytes };
        Image::build(Backing::Owned(bytes), options)
    }

    fn build(backing: Backing, options: &Options) -> Result<Image, LoadError> {
        let nodes = load::read_tree(backing.bytes(), options)?;
        Ok(Image { inner: Arc::new(Inner { dev: options.dev, nodes, backing }) })
    }

    /// The root directory, to preopen. Every call gives a new handle on the same tree.
    pub fn root(&self) -> Arc<dyn WasiDir> {
        Arc::new(ImageDir { image: self.inner.clone(), node: ROOT })
    }

    /// How many files, directories and symlinks the image has (its root included).
    pub fn nodes(&self) -> usize {
        self.inner.nodes.len()
    }

    /// Bytes of memory the tree takes (names and nodes), besides the archive's bytes.
    pub fn metadata_bytes(&self) -> usize {
        let names = |node: &Node| match &node.kind {
            Kind::Dir { entries, .. } => entries
                .iter()
                .fold(0usize, |sum, (name, _)| sum.saturating_add(name.len()).saturating_add(size_of::<Entry>())),
            Kind::Symlink(target) => target.len(),
            Kind::File { .. } => 0,
        };
        self.inner
            .nodes
            .iter()
            .fold(0usize, |sum, node| sum.saturating_add(size_of::<Node>()).saturating_add(names(node)))
    }

    /// Whether the archive's bytes are mapped (a plain archive from [`Image::open`]) rather
    /// than held in memory.
    pub fn is_mapped(&self) -> bool {
        matches!(self.inner.backing, Backing::Mapped(_))
    }
}

impl Inner {
    fn node(&self, index: u32) -> Result<&Node, Errno> {
        self.nodes.get(usize::try_from(index).map_err(|_| Errno::Io)?).ok_or(Errno::Io)
    }

    fn entries(&self, dir: u32) -> Result<&[Entry], Errno> {
        match &self.node(dir)?.kind {
            Kind::Dir { entries, .. } => Ok(entries),
            _ => Err(Errno::Notdir),
        }
    }

    /// The node named `name` in `dir` (`.` is `dir`).
    fn child(&self, dir: u32, name: &Component) -> Result<Option<u32>, Errno> {
        if name.is_dot() {
            return Ok(Some(dir));
        }
        let entries = self.entries(dir)?;
        Ok(entries
            .binary_search_by(|(n, _)| n.as_ref().cmp(name.as_bytes()))
            .ok()
            .and_then(|i| entries.get(i))
            .map(|&(_, node)| node))
    }

    fn stat(&self, index: u32) -> Result<Filestat, Errno> {
        let node = self.node(index)?;
        let (filetype, size) = match &node.kind {
            Kind::Dir { .. } => (Filetype::Directory, 4096),
            Kind::File { start, end } => (Filetype::RegularFile, end.saturating_sub(*start)),
            Kind::Symlink(target) => (Filetype::SymbolicLink, target.len()),
        };
        Ok(Filestat {
            dev: self.dev,
            ino: u64::from(index).saturating_add(1),
            filetype: filetype.raw(),
            nlink: node.nlink,
            size: u64::try_from(size).unwrap_or(u64::MAX),
            atim: node.mtim,
            mtim: node.mtim,
            ctim: node.mtim,
        })
    }

    fn filetype(&self, index: u32) -> Filetype {
        match self.node(index).map(|n| &n.kind) {
            Ok(Kind::Dir { .. }) => Filetype::Directory,
            Ok(Kind::File { .. }) => Filetype::RegularFile,
            Ok(Kind::Symlink(_)) => Filetype::SymbolicLink,
            Err(_) => Filetype::Unknown,
        }
    }

    /// The bytes of file `index`.
    fn data(&self, index: u32) -> Result<&[u8], Errno> {
        match &self.node(index)?.kind {
            Kind::File { start, end } => self.backing.bytes().get(*start..*end).ok_or(Errno::Io),
            _ => Err(Errno::Badf),
        }
    }
}

/// A directory of an [`Image`].
pub struct ImageDir {
    image: Arc<Inner>,
    node: u32,
}

impl std::fmt::Debug for ImageDir {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImageDir").field("node", &self.node).finish_non_exhaustive()
    }
}

impl ImageDir {
    fn at(&self, node: u32) -> ImageDir {
        ImageDir { image: self.image.clone(), node }
    }

    /// What creating `name` gives on a read-only filesystem: `Exist` if it is there (as
    /// Linux checks first), `Rofs` otherwise.
    fn create(&self, name: &Component) -> Result<(), Errno> {
        match self.image.child(self.node, name)? {
            Some(_) => Err(Errno::Exist),
            None => Err(Errno::Rofs),
        }
    }
}

impl WasiDir for ImageDir {
    fn lookup(&self, name: &Component) -> Result<Found, Errno> {
        let Some(node) = self.image.child(self.node, name)? else { return Ok(Found::Nothing) };
        Ok(match &self.image.node(node)?.kind {
            Kind::Dir { .. } => Found::Dir(Arc::new(self.at(node))),
            Kind::File { .. } => Found::File,
            Kind::Symlink(target) => Found::Symlink(target.to_vec()),
        })
    }

    fn open(&self, name: &Component, options: &OpenOptions) -> Result<Opened, Errno> {
        let Some(node) = self.image.child(self.node, name)? else {
            return Err(if options.create { Errno::Rofs } else { Errno::Noent });
        };
        if options.create && options.exclusive {
            return Err(Errno::Exist);
        }
        let found = self.image.node(node)?;
        match &found.kind {
            Kind::Symlink(target) => Ok(Opened::Symlink(target.to_vec())),
            Kind::Dir { .. } if options.write || options.truncate || options.create => Err(Errno::Isdir),
            Kind::Dir { .. } => Ok(Opened::Dir(Arc::new(self.at(node)))),
            Kind::File { .. } if options.directory => Err(Errno::Notdir),
            Kind::File { .. } if options.write || options.truncate => Err(Errno::Rofs),
            Kind::File { .. } if options.read && found.mode & 0o444 == 0 => Err(Errno::Acces),
            Kind::File { .. } => Ok(Opened::File(Arc::new(ImageFile {
                image: self.image.clone(),
                node,
                read: options.read,
                flags: Mutex::new(lucent_core::fs::opened_fdflags(options.fdflags)),
                pos: Mutex::new(0),
            }))),
        }
    }

    fn read_link(&self, name: &Component) -> Result<Vec<u8>, Errno> {
        let node = self.image.child(self.node, name)?.ok_or(Errno::Noent)?;
        match &self.image.node(node)?.kind {
            Kind::Symlink(target) => Ok(target.to_vec()),
            _ => Err(Errno::Inval),
        }
    }

    fn fdflags(&self) -> Result<Fdflags, Errno> {
        Ok(Fdflags::empty())
    }

    fn as_any(&self) -> &dyn Any {
        self
    }

    fn filestat(&self) -> Result<Filestat, Errno> {
        self.image.stat(self.node)
    }

    fn stat_at(&self, name: &Component) -> Result<Filestat, Errno> {
        self.image.stat(self.image.child(self.node, name)?.ok_or(Errno::Noent)?)
    }

    fn set_times_at(&self, name: &Component, _atim: SetTime, _mtim: SetTime) -> Result<(), Errno> {
        self.image.child(self.node, name)?.ok_or(Errno::Noent)?;
        Err(Errno::Rofs)
    }

    fn set_times(&self, _atim: SetTime, _mtim: SetTime) -> Result<(), Errno> {
        Err(Errno::Rofs)
    }

    fn create_dir(&self, name: &Component) -> Result<(), Errno> {
        self.create(name)
    }

    fn remove_dir(&self, _name: &Component) -> Result<(), Errno> {
        Err(Errno::Rofs)
    }

    fn unlink_file(&self, _name: &Component) -> Result<(), Errno> {
        Err(Errno::Rofs)
    }

    fn symlink(&self, _target: &[u8], name: &Component) -> Result<(), Errno> {
        self.create(name)
    }

    fn link(&self, _name: &Component, new_dir: &dyn WasiDir, new_name: &Component) -> Result<(), Errno> {
        match new_dir.as_any().downcast_ref::<ImageDir>() {
            Some(dir) if Arc::ptr_eq(&dir.image, &self.image) => dir.create(new_name),
            _ => Err(Errno::Xdev),
        }
    }

    fn rename(&self, _name: &Component, _new_dir: &dyn WasiDir, _new_name: &Component) -> Result<(), Errno> {
        Err(Errno::Rofs)
    }

    /// `.` (cookie 0), `..` (1), then the entries sorted by name: entry `i` has cookie `i + 2`.
    /// The tree never changes, so cookies never move.
    fn read_dir(&self, cookie: u64, each: &mut dyn FnMut(&DirEntry, u64) -> bool) -> Result<(), Errno> {
        let node = self.image.node(self.node)?;
        let Kind::Dir { parent, entries } = &node.kind else { return Err(Errno::Notdir) };
        let ino = |n: u32| u64::from(n).saturating_add(1);
        let dot = DirEntry { name: b".".to_vec(), ino: ino(self.node), filetype: Filetype::Directory };
        let dotdot = DirEntry { name: b"..".to_vec(), ino: ino(*parent), filetype: Filetype::Directory };
        if cookie == 0 && !each(&dot, 1) {
            return Ok(());
        }
        if cookie <= 1 && !each(&dotdot, 2) {
            return Ok(());
        }
        let skip = usize::try_from(cookie.saturating_sub(2)).unwrap_or(usize::MAX);
        for (index, (name, child)) in entries.iter().enumerate().skip(skip) {
            let entry = DirEntry { name: name.to_vec(), ino: ino(*child), filetype: self.image.filetype(*child) };
            let next = u64::try_from(index).unwrap_or(u64::MAX).saturating_add(3);
            if !each(&entry, next) {
                break;
            }
        }
        Ok(())
    }

    /// Nothing to write back.
    fn sync(&self) -> Result<(), Errno> {
        Ok(())
    }
}

/// An open file of an [`Image`]: read-only, served from the archive's bytes.
pub struct ImageFile {
    image: Arc<Inner>,
    node: u32,
    read: bool,
    flags: Mutex<Fdflags>,
    pos: Mutex<u64>,
}

impl std::fmt::Debug for ImageFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImageFile").field("node", &self.node).finish_non_exhaustive()
    }
}

impl ImageFile {
    fn size(&self) -> Result<u64, Errno> {
        Ok(u64::try_from(self.image.data(self.node)?.len()).unwrap_or(u64::MAX))
    }

    fn read_at(&self, bufs: &mut [IoSliceMut<'_>], offset: u64) -> Result<usize, Errno> {
        if !self.read {
            return Err(Errno::Badf);
        }
        let data = self.image.data(self.node)?;
        let mut rest = usize::try_from(offset).ok().and_then(|at| data.get(at..)).unwrap_or_default();
        let mut total = 0usize;
        for buf in bufs.iter_mut() {
            let n = buf.len().min(rest.len());
            let (Some((now, later)), Some(dest)) = (rest.split_at_checked(n), buf.get_mut(..n)) else { break };
            dest.iter_mut().zip(now).for_each(|(d, s)| *d = *s);
            rest = later;
            total = total.saturating_add(n);
            if rest.is_empty() {
                break;
            }
        }
        Ok(total)
    }
}

impl WasiFile for ImageFile {
    fn as_any(&self) -> &dyn Any {
        self
    }

    /// Always ready, as a regular file: a read gets what is left after the position.
    fn readiness(&self, interest: Interest) -> Result<Readiness<'_>, Errno> {
        let nbytes = match interest {
            Interest::Read => {
                let pos = *self.pos.lock().unwrap_or_else(PoisonError::into_inner);
                self.size()?.saturating_sub(pos)
            }
            Interest::Write => 0,
        };
        Ok(Readiness::Now { nbytes, hangup: false })
    }

    fn filetype(&self) -> Result<Filetype, Errno> {
        Ok(Filetype::RegularFile)
    }

    fn fdflags(&self) -> Result<Fdflags, Errno> {
        Ok(*self.flags.lock().unwrap_or_else(PoisonError::into_inner))
    }

    fn set_fdflags(&self, flags: Fdflags) -> Result<(), Errno> {
        let mut current = self.flags.lock().unwrap_or_else(PoisonError::into_inner);
        *current = lucent_core::fs::changed_fdflags(*current, flags);
        Ok(())
    }

    fn read_vectored(&self, bufs: &mut [IoSliceMut<'_>]) -> Result<usize, Errno> {
        let mut pos = self.pos.lock().unwrap_or_else(PoisonError::into_inner);
        let n = self.read_at(bufs, *pos)?;
        *pos = pos.saturating_add(u64::try_from(n).unwrap_or(u64::MAX));
        Ok(n)
    }

    /// Opened read-only, as every file of an image is.
    fn write_vectored(&self, _bufs: &[IoSlice<'_>]) -> Result<usize, Errno> {
        Err(Errno::Badf)
    }

    fn seek(&self, offset: i64, whence: Whence) -> Result<u64, Errno> {
        let mut pos = self.pos.lock().unwrap_or_else(PoisonError::into_inner);
        let base = match whence {
            Whence::Set => 0,
            Whence::Cur => *pos,
            Whence::End => self.size()?,
        };
        let new = base.checked_add_signed(offset).filter(|&p| i64::try_from(p).is_ok()).ok_or(Errno::Inval)?;
        *pos = new;
        Ok(new)
    }

    fn pread_vectored(&self, bufs: &mut [IoSliceMut<'_>], offset: u64) -> Result<usize, Errno> {
        self.read_at(bufs, offset)
    }

    fn pwrite_vectored(&self, _bufs: &[IoSlice<'_>], _offset: u64) -> Result<usize, Errno> {
        Err(Errno::Badf)
    }

    fn filestat(&self) -> Result<Filestat, Errno> {
        self.image.stat(self.node)
    }

    /// Not open for writing (as `ftruncate` on a read-only descriptor).
    fn set_size(&self, _size: u64) -> Result<(), Errno> {
        Err(Errno::Badf)
    }

    fn set_times(&self, _atim: SetTime, _mtim: SetTime) -> Result<(), Errno> {
        Err(Errno::Rofs)
    }

    /// Advice changes nothing in memory.
    fn advise(&self, _offset: u64, _len: u64, _advice: Advice) -> Result<(), Errno> {
        Ok(())
    }

    fn allocate(&self, _offset: u64, _len: u64) -> Result<(), Errno> {
        Err(Errno::Badf)
    }

    /// Nothing to write back.
    fn sync(&self) -> Result<(), Errno> {
        Ok(())
    }

    fn datasync(&self) -> Result<(), Errno> {
        Ok(())
    }
}

#[cfg(test)]
mod tests;
