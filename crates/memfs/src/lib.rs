//! An in-memory filesystem behind the core's [`WasiDir`]/[`WasiFile`] contract: what
//! `--tmpfs` mounts. Files, directories, symlinks and hard links live in one inode table under
//! one lock (a rename is atomic, as on a real filesystem); file data is kept in 4 KiB pages, so
//! a file with holes costs only the pages written. A size limit counts pages, inodes and names:
//! past it a write or a creation fails with `Nospc` and changes nothing.
//!
//! No system call is made by any operation. Timestamps come from the clock given at creation
//! (the context's realtime clock, virtual in deterministic runs); reads do not update `atim`
//! (as a `noatime` mount). Identity: every inode has a number unique within its filesystem,
//! never reused while the filesystem lives, and the filesystem has the `dev` it was given.
//!
//! ```
//! use lucent_core::fs::{Opened, OpenOptions, WasiDir};
//! use lucent_core::path::Component;
//! let fs = lucent_memfs::MemFs::new(lucent_memfs::Options { limit: Some(1 << 20), ..Default::default() });
//! let root = fs.root();
//! let options = OpenOptions { write: true, create: true, ..OpenOptions::default() };
//! let Ok(Opened::File(file)) = root.open(&Component::new(b"hello")?, &options) else { panic!() };
//! assert_eq!(file.write_vectored(&[std::io::IoSlice::new(b"hi")])?, 2);
//! # Ok::<(), lucent_abi::Errno>(())
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

mod data;

use data::Data;
use lucent_abi::{Advice, Errno, Fdflags, Filestat, Filetype, Whence};
use lucent_core::env::Interest;
use lucent_core::fs::{DirEntry, Found, OpenOptions, Opened, Readiness, SetTime, WasiDir, WasiFile};
use lucent_core::path::Component;
use std::any::Any;
use std::collections::{BTreeMap, HashMap};
use std::hash::BuildHasherDefault;
use std::io::{IoSlice, IoSliceMut};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

/// What an inode costs against the size limit besides its data, in bytes: its slot in the inode
/// table (which is as little as 7/16 full after it grows) and its fields. The costs are what the
/// host holds, so that the limit bounds the host's memory, not only what the guest sees
/// (`tests/host_memory.rs` fills a filesystem with each kind of thing and counts).
pub const INODE_COST: u64 = 256;

/// What a directory costs besides [`INODE_COST`]: its own structure and the first nodes of its
/// two maps of entries.
pub const DIR_COST: u64 = 768;

/// What a name costs besides its bytes: its slots in the directory's two maps and its
/// allocation. A hard link is a name.
pub const ENTRY_COST: u64 = 192;

/// What a name costs against the limit.
fn entry_cost(name: &[u8]) -> u64 {
    ENTRY_COST.saturating_add(len64(name))
}

/// The largest file, in bytes (`Fbig` past it), as a 64-bit Linux filesystem allows.
pub const MAX_FILE_SIZE: u64 = i64::MAX.unsigned_abs();

/// How a filesystem is made.
#[derive(Clone)]
pub struct Options {
    /// The device number its files report.
    pub dev: u64,
    /// The most bytes its files, directories and names may take (`None`: no limit).
    pub limit: Option<u64>,
    /// The time now, in nanoseconds since the epoch, for timestamps.
    pub clock: Arc<dyn Fn() -> u64 + Send + Sync>,
}

impl Default for Options {
    /// Device 0, no limit, timestamps of 0.
    fn default() -> Self {
        Options { dev: 0, limit: None, clock: Arc::new(|| 0) }
    }
}

impl std::fmt::Debug for Options {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Options").field("dev", &self.dev).field("limit", &self.limit).finish_non_exhaustive()
    }
}

/// An in-memory filesystem. Cloning it shares the same tree.
#[derive(Clone, Debug)]
pub struct MemFs {
    fs: Arc<Fs>,
}

struct Fs {
    dev: u64,
    limit: u64,
    clock: Arc<dyn Fn() -> u64 + Send + Sync>,
    state: Mutex<State>,
}

impl std::fmt::Debug for Fs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fs").field("dev", &self.dev).field("limit", &self.limit).finish_non_exhaustive()
    }
}

/// The root directory's inode number.
const ROOT: u64 = 1;

/// Inodes by number. The numbers are ours (never the guest's choice), so a cheap hash serves;
/// names, which the guest chooses, keep the standard library's keyed one.
type Inodes = HashMap<u64, Inode, BuildHasherDefault<rustc_hash::FxHasher>>;

struct State {
    inodes: Inodes,
    next_ino: u64,
    /// Bytes counted against the limit.
    used: u64,
}

struct Inode {
    kind: Kind,
    /// Names linking to it (for a directory: 1 while it has a name, 0 once removed).
    nlink: u64,
    /// Open handles (directories and files); the inode goes when both counts are 0.
    handles: u64,
    atim: u64,
    mtim: u64,
    ctim: u64,
}

enum Kind {
    // Boxed: the table of inodes then holds small entries, most of them files.
    Dir(Box<Dir>),
    File(Data),
    Symlink(Vec<u8>),
}

impl Kind {
    /// What the inode costs against the limit, with its data.
    fn cost(&self) -> u64 {
        let own = match self {
            Kind::File(data) => data.cost(),
            Kind::Symlink(target) => len64(target),
            Kind::Dir(_) => DIR_COST,
        };
        own.saturating_add(INODE_COST)
    }

    fn filetype(&self) -> Filetype {
        match self {
            Kind::Dir(_) => Filetype::Directory,
            Kind::File(_) => Filetype::RegularFile,
            Kind::Symlink(_) => Filetype::SymbolicLink,
        }
    }
}

/// A directory: its entries by name, and in the order they were made (which `read_dir`
/// follows, so that cookies stay valid whatever else is created or removed). Each entry keeps
/// its inode's number and type (which never changes), so that a listing is one walk in order;
/// the two maps share each name.
#[derive(Default)]
struct Dir {
    parent: u64,
    by_name: HashMap<Arc<[u8]>, (u64, u64)>,
    by_seq: BTreeMap<u64, Entry>,
    next_seq: u64,
    subdirs: u64,
}

/// An entry of a [`Dir`] in the order they were made.
struct Entry {
    name: Arc<[u8]>,
    ino: u64,
    filetype: Filetype,
}

impl Dir {
    fn new(parent: u64) -> Box<Dir> {
        Box::new(Dir { parent, ..Dir::default() })
    }

    fn insert(&mut self, name: &[u8], ino: u64, filetype: Filetype) {
        let seq = self.next_seq;
        self.next_seq = seq.saturating_add(1);
        let name: Arc<[u8]> = Arc::from(name);
        self.by_seq.insert(seq, Entry { name: name.clone(), ino, filetype });
        self.by_name.insert(name, (ino, seq));
    }

    fn remove(&mut self, name: &[u8]) -> Option<u64> {
        let (ino, seq) = self.by_name.remove(name)?;
        self.by_seq.remove(&seq);
        Some(ino)
    }

    fn get(&self, name: &[u8]) -> Option<u64> {
        self.by_name.get(name).map(|&(ino, _)| ino)
    }
}

/// Read and write access to a [`State`] for one operation.
impl State {
    fn inode(&self, ino: u64) -> Result<&Inode, Errno> {
        self.inodes.get(&ino).ok_or(Errno::Noent)
    }

    fn inode_mut(&mut self, ino: u64) -> Result<&mut Inode, Errno> {
        self.inodes.get_mut(&ino).ok_or(Errno::Noent)
    }

    /// The directory `ino`, which must still have a name (a removed directory takes no new
    /// entries and finds nothing).
    fn dir(&self, ino: u64) -> Result<&Dir, Errno> {
        match self.inode(ino)? {
            Inode { kind: Kind::Dir(dir), nlink: 1.., .. } => Ok(dir),
            Inode { kind: Kind::Dir(_), .. } => Err(Errno::Noent),
            _ => Err(Errno::Notdir),
        }
    }

    fn dir_mut(&mut self, ino: u64) -> Result<&mut Dir, Errno> {
        match self.inode_mut(ino)? {
            Inode { kind: Kind::Dir(dir), nlink: 1.., .. } => Ok(dir),
            Inode { kind: Kind::Dir(_), .. } => Err(Errno::Noent),
            _ => Err(Errno::Notdir),
        }
    }

    /// Counts `bytes` more against `limit`, or refuses them all.
    fn charge(&mut self, bytes: u64, limit: u64) -> Result<(), Errno> {
        charge(&mut self.used, bytes, limit)
    }

    /// Takes `name` out of directory `dir` and drops the link it held (a directory's only one).
    fn unlink(&mut self, dir: u64, name: &[u8], now: u64) -> Result<(), Errno> {
        let ino = self.dir_mut(dir)?.remove(name).ok_or(Errno::Noent)?;
        let was_dir = matches!(self.inode(ino)?.kind, Kind::Dir(_));
        if was_dir {
            let dir = self.dir_mut(dir)?;
            dir.subdirs = dir.subdirs.saturating_sub(1);
        }
        self.refund(entry_cost(name));
        let inode = self.inode_mut(ino)?;
        inode.nlink = if was_dir { 0 } else { inode.nlink.saturating_sub(1) };
        inode.ctim = now;
        self.collect(ino);
        Ok(())
    }

    fn refund(&mut self, bytes: u64) {
        self.used = self.used.saturating_sub(bytes);
    }

    /// Adds an inode with one link and no handle.
    fn add(&mut self, kind: Kind, now: u64) -> u64 {
        let ino = self.next_ino;
        self.next_ino = ino.saturating_add(1);
        self.inodes.insert(ino, Inode { kind, nlink: 1, handles: 0, atim: now, mtim: now, ctim: now });
        ino
    }

    /// Drops the inode if nothing names it and nothing holds it, returning its cost.
    fn collect(&mut self, ino: u64) {
        let gone = self.inodes.get(&ino).is_some_and(|i| i.nlink == 0 && i.handles == 0);
        if gone && let Some(inode) = self.inodes.remove(&ino) {
            self.refund(inode.kind.cost());
        }
    }

    fn stat(&self, ino: u64, dev: u64) -> Result<Filestat, Errno> {
        let inode = self.inode(ino)?;
        let (filetype, size, nlink) = match &inode.kind {
            Kind::Dir(dir) => {
                (Filetype::Directory, 4096, if inode.nlink == 0 { 0 } else { dir.subdirs.saturating_add(2) })
            }
            Kind::File(data) => (Filetype::RegularFile, data.size(), inode.nlink),
            Kind::Symlink(target) => (Filetype::SymbolicLink, len64(target), inode.nlink),
        };
        Ok(Filestat {
            dev,
            ino,
            filetype: filetype.raw(),
            nlink,
            size,
            atim: inode.atim,
            mtim: inode.mtim,
            ctim: inode.ctim,
        })
    }

    /// Whether `ancestor` is `ino` or a directory above it.
    fn is_within(&self, mut ino: u64, ancestor: u64) -> bool {
        loop {
            if ino == ancestor {
                return true;
            }
            match self.inodes.get(&ino) {
                Some(Inode { kind: Kind::Dir(dir), .. }) if dir.parent != ino => ino = dir.parent,
                _ => return false,
            }
        }
    }
}

/// Counts `bytes` more in `used`, or refuses them all with `Nospc` past `limit`.
fn charge(used: &mut u64, bytes: u64, limit: u64) -> Result<(), Errno> {
    match used.checked_add(bytes) {
        Some(total) if total <= limit => {
            *used = total;
            Ok(())
        }
        _ => Err(Errno::Nospc),
    }
}

fn len64(bytes: &[u8]) -> u64 {
    u64::try_from(bytes.len()).unwrap_or(u64::MAX)
}

impl MemFs {
    /// An empty filesystem: a root directory and nothing in it.
    pub fn new(options: Options) -> MemFs {
        let now = (options.clock)();
        let mut state = State { inodes: Inodes::default(), next_ino: ROOT, used: 0 };
        let root = Kind::Dir(Dir::new(ROOT));
        state.used = root.cost();
        let root = state.add(root, now);
        debug_assert_eq!(root, ROOT);
        let fs = Fs {
            dev: options.dev,
            limit: options.limit.unwrap_or(u64::MAX),
            clock: options.clock,
            state: Mutex::new(state),
        };
        MemFs { fs: Arc::new(fs) }
    }

    /// The root directory, to preopen.
    pub fn root(&self) -> Arc<dyn WasiDir> {
        Arc::new(MemDir::hold(&self.fs, ROOT))
    }

    /// Bytes counted against the limit now.
    pub fn used(&self) -> u64 {
        self.fs.lock().used
    }
}

impl Fs {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn now(&self) -> u64 {
        (self.clock)()
    }

    /// A handle on `ino` closed: the inode goes if nothing names it any more.
    fn release(&self, ino: u64) {
        let mut state = self.lock();
        if let Ok(inode) = state.inode_mut(ino) {
            inode.handles = inode.handles.saturating_sub(1);
        }
        state.collect(ino);
    }
}

/// A handle on a directory of a [`MemFs`].
#[derive(Debug)]
pub struct MemDir {
    fs: Arc<Fs>,
    ino: u64,
}

impl MemDir {
    /// A new handle on `ino`, counted so that the inode outlives its name while held.
    fn hold(fs: &Arc<Fs>, ino: u64) -> MemDir {
        if let Ok(inode) = fs.lock().inode_mut(ino) {
            return MemDir::held(fs, inode, ino);
        }
        MemDir { fs: fs.clone(), ino }
    }

    /// As [`MemDir::hold`], under a lock the caller holds (so that the directory it looked up
    /// cannot go in between).
    fn held(fs: &Arc<Fs>, inode: &mut Inode, ino: u64) -> MemDir {
        inode.handles = inode.handles.saturating_add(1);
        MemDir { fs: fs.clone(), ino }
    }

    /// The other directory of a `link` or `rename`, if it is of this filesystem.
    fn same_fs<'a>(&self, other: &'a dyn WasiDir) -> Result<&'a MemDir, Errno> {
        match other.as_any().downcast_ref::<MemDir>() {
            Some(dir) if Arc::ptr_eq(&dir.fs, &self.fs) => Ok(dir),
            _ => Err(Errno::Xdev),
        }
    }

    /// Adds `name` to this directory as a new inode of `kind`, paying for both.
    fn create(&self, name: &Component, kind: Kind) -> Result<u64, Errno> {
        let now = self.fs.now();
        let mut state = self.fs.lock();
        let dir = state.dir(self.ino)?;
        if name.is_dot() || dir.get(name.as_bytes()).is_some() {
            return Err(Errno::Exist);
        }
        let filetype = kind.filetype();
        state.charge(kind.cost().saturating_add(entry_cost(name.as_bytes())), self.fs.limit)?;
        let ino = state.add(kind, now);
        let dir = state.dir_mut(self.ino)?;
        dir.insert(name.as_bytes(), ino, filetype);
        if filetype == Filetype::Directory {
            dir.subdirs = dir.subdirs.saturating_add(1);
        }
        let parent = state.inode_mut(self.ino)?;
        parent.mtim = now;
        parent.ctim = now;
        Ok(ino)
    }

    /// Removes the entry `name`, which must be what `check` accepts, and drops a link.
    fn remove(&self, name: &Component, check: impl Fn(&State, u64) -> Result<(), Errno>) -> Result<(), Errno> {
        let now = self.fs.now();
        let mut state = self.fs.lock();
        let ino = state.dir(self.ino)?.get(name.as_bytes()).ok_or(Errno::Noent)?;
        check(&state, ino)?;
        state.unlink(self.ino, name.as_bytes(), now)?;
        let parent = state.inode_mut(self.ino)?;
        parent.mtim = now;
        parent.ctim = now;
        Ok(())
    }
}

impl Drop for MemDir {
    fn drop(&mut self) {
        self.fs.release(self.ino);
    }
}

impl WasiDir for MemDir {
    fn lookup(&self, name: &Component) -> Result<Found, Errno> {
        if name.is_dot() {
            return Ok(Found::Dir(Arc::new(MemDir::hold(&self.fs, self.ino))));
        }
        let mut state = self.fs.lock();
        let Some(ino) = state.dir(self.ino)?.get(name.as_bytes()) else { return Ok(Found::Nothing) };
        let inode = state.inode_mut(ino)?;
        Ok(match &inode.kind {
            Kind::Dir(_) => Found::Dir(Arc::new(MemDir::held(&self.fs, inode, ino))),
            Kind::File(_) => Found::File,
            Kind::Symlink(target) => Found::Symlink(target.clone()),
        })
    }

    fn open(&self, name: &Component, options: &OpenOptions) -> Result<Opened, Errno> {
        if options.create && options.directory {
            return Err(Errno::Inval);
        }
        let existing = if name.is_dot() {
            // The directory itself, if it still has a name.
            self.fs.lock().dir(self.ino)?;
            Some(self.ino)
        } else {
            self.fs.lock().dir(self.ino)?.get(name.as_bytes())
        };
        let ino = match existing {
            Some(_) if options.create && options.exclusive => return Err(Errno::Exist),
            Some(ino) => ino,
            None if options.create => match self.create(name, Kind::File(Data::default())) {
                Ok(ino) => ino,
                // Made by another thread in between: without `exclusive`, that one is opened.
                Err(Errno::Exist) if !options.exclusive => {
                    self.fs.lock().dir(self.ino)?.get(name.as_bytes()).ok_or(Errno::Noent)?
                }
                Err(e) => return Err(e),
            },
            None => return Err(Errno::Noent),
        };
        let mut state = self.fs.lock();
        let now = self.fs.now();
        let inode = state.inode_mut(ino)?;
        match &mut inode.kind {
            Kind::Symlink(target) => Ok(Opened::Symlink(target.clone())),
            // As Linux: `O_CREAT` on a directory is `EISDIR`, as is writing one.
            Kind::Dir(_) if options.write || options.truncate || options.create => Err(Errno::Isdir),
            Kind::Dir(_) => Ok(Opened::Dir(Arc::new(MemDir::held(&self.fs, inode, ino)))),
            Kind::File(_) if options.directory => Err(Errno::Notdir),
            Kind::File(data) => {
                if options.truncate && options.write && data.size() > 0 {
                    let freed = data.set_size(0)?;
                    state.refund(freed);
                    let inode = state.inode_mut(ino)?;
                    inode.mtim = now;
                    inode.ctim = now;
                }
                let inode = state.inode_mut(ino)?;
                inode.handles = inode.handles.saturating_add(1);
                drop(state);
                Ok(Opened::File(Arc::new(MemFile {
                    fs: self.fs.clone(),
                    ino,
                    read: options.read,
                    write: options.write,
                    flags: Mutex::new(lucent_core::fs::opened_fdflags(options.fdflags)),
                    pos: Mutex::new(0),
                })))
            }
        }
    }

    fn read_link(&self, name: &Component) -> Result<Vec<u8>, Errno> {
        if name.is_dot() {
            // The directory itself: not a symlink.
            return Err(Errno::Inval);
        }
        let state = self.fs.lock();
        let ino = state.dir(self.ino)?.get(name.as_bytes()).ok_or(Errno::Noent)?;
        match &state.inode(ino)?.kind {
            Kind::Symlink(target) => Ok(target.clone()),
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
        self.fs.lock().stat(self.ino, self.fs.dev)
    }

    fn stat_at(&self, name: &Component) -> Result<Filestat, Errno> {
        let state = self.fs.lock();
        let ino =
            if name.is_dot() { self.ino } else { state.dir(self.ino)?.get(name.as_bytes()).ok_or(Errno::Noent)? };
        state.stat(ino, self.fs.dev)
    }

    fn set_times_at(&self, name: &Component, atim: SetTime, mtim: SetTime) -> Result<(), Errno> {
        let now = self.fs.now();
        let mut state = self.fs.lock();
        let ino =
            if name.is_dot() { self.ino } else { state.dir(self.ino)?.get(name.as_bytes()).ok_or(Errno::Noent)? };
        set_times(state.inode_mut(ino)?, atim, mtim, now);
        Ok(())
    }

    fn set_times(&self, atim: SetTime, mtim: SetTime) -> Result<(), Errno> {
        let now = self.fs.now();
        set_times(self.fs.lock().inode_mut(self.ino)?, atim, mtim, now);
        Ok(())
    }

    fn create_dir(&self, name: &Component) -> Result<(), Errno> {
        self.create(name, Kind::Dir(Dir::new(self.ino))).map(drop)
    }

    fn remove_dir(&self, name: &Component) -> Result<(), Errno> {
        if name.is_dot() {
            return Err(Errno::Inval);
        }
        self.remove(name, |state, ino| match &state.inode(ino)?.kind {
            Kind::Dir(dir) if dir.by_name.is_empty() => Ok(()),
            Kind::Dir(_) => Err(Errno::Notempty),
            _ => Err(Errno::Notdir),
        })
    }

    fn unlink_file(&self, name: &Component) -> Result<(), Errno> {
        if name.is_dot() {
            return Err(Errno::Isdir);
        }
        self.remove(name, |state, ino| match &state.inode(ino)?.kind {
            Kind::Dir(_) => Err(Errno::Isdir),
            _ => Ok(()),
        })
    }

    fn symlink(&self, target: &[u8], name: &Component) -> Result<(), Errno> {
        self.create(name, Kind::Symlink(target.to_vec())).map(drop)
    }

    fn link(&self, name: &Component, new_dir: &dyn WasiDir, new_name: &Component) -> Result<(), Errno> {
        let new_dir = self.same_fs(new_dir)?;
        let now = self.fs.now();
        let mut state = self.fs.lock();
        // In Linux's order: the source must exist, the new name must not, then no directory.
        let ino = state.dir(self.ino)?.get(name.as_bytes()).ok_or(Errno::Noent)?;
        if new_name.is_dot() || state.dir(new_dir.ino)?.get(new_name.as_bytes()).is_some() {
            return Err(Errno::Exist);
        }
        let filetype = state.inode(ino)?.kind.filetype();
        if filetype == Filetype::Directory {
            return Err(Errno::Perm);
        }
        state.charge(entry_cost(new_name.as_bytes()), self.fs.limit)?;
        state.dir_mut(new_dir.ino)?.insert(new_name.as_bytes(), ino, filetype);
        let inode = state.inode_mut(ino)?;
        inode.nlink = inode.nlink.saturating_add(1);
        inode.ctim = now;
        let parent = state.inode_mut(new_dir.ino)?;
        parent.mtim = now;
        parent.ctim = now;
        Ok(())
    }

    fn rename(&self, name: &Component, new_dir: &dyn WasiDir, new_name: &Component) -> Result<(), Errno> {
        let new_dir = self.same_fs(new_dir)?;
        if name.is_dot() || new_name.is_dot() {
            return Err(Errno::Busy);
        }
        let now = self.fs.now();
        let mut state = self.fs.lock();
        let ino = state.dir(self.ino)?.get(name.as_bytes()).ok_or(Errno::Noent)?;
        let replaced = state.dir(new_dir.ino)?.get(new_name.as_bytes());
        let filetype = state.inode(ino)?.kind.filetype();
        let moving_dir = filetype == Filetype::Directory;
        if replaced == Some(ino) {
            // Two names of one file: POSIX says nothing happens.
            return Ok(());
        }
        // In Linux's order, before what the two are: a directory cannot move beneath itself,
        // and nothing can replace a directory above it.
        if moving_dir && state.is_within(new_dir.ino, ino) {
            return Err(Errno::Inval);
        }
        if replaced.is_some_and(|old| state.is_within(self.ino, old)) {
            return Err(Errno::Notempty);
        }
        if let Some(old) = replaced {
            match (&state.inode(old)?.kind, moving_dir) {
                (Kind::Dir(dir), true) if !dir.by_name.is_empty() => return Err(Errno::Notempty),
                (Kind::Dir(_), false) => return Err(Errno::Isdir),
                (Kind::File(_) | Kind::Symlink(_), true) => return Err(Errno::Notdir),
                _ => {}
            }
        }
        let new_cost = len64(new_name.as_bytes());
        let old_cost = len64(name.as_bytes());
        if new_cost > old_cost {
            state.charge(new_cost.saturating_sub(old_cost), self.fs.limit)?;
        } else {
            state.refund(old_cost.saturating_sub(new_cost));
        }
        if replaced.is_some() {
            state.unlink(new_dir.ino, new_name.as_bytes(), now)?;
        }
        let source = state.dir_mut(self.ino)?;
        source.remove(name.as_bytes());
        if moving_dir {
            source.subdirs = source.subdirs.saturating_sub(1);
        }
        let target = state.dir_mut(new_dir.ino)?;
        target.insert(new_name.as_bytes(), ino, filetype);
        if moving_dir {
            target.subdirs = target.subdirs.saturating_add(1);
        }
        let inode = state.inode_mut(ino)?;
        inode.ctim = now;
        if let Kind::Dir(dir) = &mut inode.kind {
            dir.parent = new_dir.ino;
        }
        for parent in [self.ino, new_dir.ino] {
            let parent = state.inode_mut(parent)?;
            parent.mtim = now;
            parent.ctim = now;
        }
        Ok(())
    }

    /// `.` (cookie 0), `..` (1), then the entries in the order they were made: an entry's
    /// cookie is its sequence number plus 2, so that removing or adding entries never moves
    /// another's, and a listing resumed from a cookie goes on where it stopped.
    fn read_dir(&self, cookie: u64, each: &mut dyn FnMut(&DirEntry, u64) -> bool) -> Result<(), Errno> {
        let state = self.fs.lock();
        let dir = match &state.inode(self.ino)?.kind {
            Kind::Dir(dir) => dir,
            _ => return Err(Errno::Notdir),
        };
        let dot = DirEntry { name: b".".to_vec(), ino: self.ino, filetype: Filetype::Directory };
        let dotdot = DirEntry { name: b"..".to_vec(), ino: dir.parent, filetype: Filetype::Directory };
        if cookie == 0 && !each(&dot, 1) {
            return Ok(());
        }
        if cookie <= 1 && !each(&dotdot, 2) {
            return Ok(());
        }
        for (&seq, Entry { name, ino, filetype }) in dir.by_seq.range(cookie.saturating_sub(2)..) {
            let entry = DirEntry { name: name.to_vec(), ino: *ino, filetype: *filetype };
            if !each(&entry, seq.saturating_add(3)) {
                break;
            }
        }
        Ok(())
    }

    /// Memory has nothing to write back.
    fn sync(&self) -> Result<(), Errno> {
        Ok(())
    }
}

fn set_times(inode: &mut Inode, atim: SetTime, mtim: SetTime, now: u64) {
    if let SetTime::At(t) = atim {
        inode.atim = t;
    }
    if let SetTime::At(t) = mtim {
        inode.mtim = t;
    }
    inode.ctim = now;
}

/// An open regular file of a [`MemFs`].
#[derive(Debug)]
pub struct MemFile {
    fs: Arc<Fs>,
    ino: u64,
    read: bool,
    write: bool,
    flags: Mutex<Fdflags>,
    pos: Mutex<u64>,
}

impl MemFile {
    fn flags(&self) -> Fdflags {
        *self.flags.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs `op` on the file's data and the state (for charging).
    fn with_data<R>(&self, op: impl FnOnce(&mut Data, &mut u64, u64) -> Result<R, Errno>) -> Result<R, Errno> {
        let mut state = self.fs.lock();
        let State { inodes, used, .. } = &mut *state;
        match &mut inodes.get_mut(&self.ino).ok_or(Errno::Badf)?.kind {
            Kind::File(data) => op(data, used, self.fs.limit),
            _ => Err(Errno::Badf),
        }
    }

    fn touch(&self, modified: bool) {
        let now = self.fs.now();
        if let Ok(inode) = self.fs.lock().inode_mut(self.ino) {
            if modified {
                inode.mtim = now;
            }
            inode.ctim = now;
        }
    }

    fn read_at(&self, bufs: &mut [IoSliceMut<'_>], mut offset: u64) -> Result<usize, Errno> {
        if !self.read {
            return Err(Errno::Badf);
        }
        self.with_data(|data, _, _| {
            let mut total = 0usize;
            for buf in bufs.iter_mut() {
                let n = data.read(offset, buf);
                total = total.saturating_add(n);
                offset = offset.saturating_add(u64::try_from(n).unwrap_or(u64::MAX));
                if n < buf.len() {
                    break;
                }
            }
            Ok(total)
        })
    }

    /// Writes at `offset` (`None`: the end), all or nothing; returns the count and where the
    /// write ended.
    fn write_at(&self, bufs: &[IoSlice<'_>], offset: Option<u64>) -> Result<(usize, u64), Errno> {
        if !self.write {
            return Err(Errno::Badf);
        }
        let len = bufs.iter().try_fold(0u64, |total, b| total.checked_add(len64(b))).ok_or(Errno::Inval)?;
        let written = self.with_data(|data, used, limit| {
            let start = offset.unwrap_or(data.size());
            if len == 0 {
                // As `write(2)`: no bytes, no change (the file does not grow to `start`).
                return Ok((0, start));
            }
            let end = start.checked_add(len).filter(|&end| end <= MAX_FILE_SIZE).ok_or(Errno::Fbig)?;
            let cost = data.cost_to_write(start, end);
            charge(used, cost, limit)?;
            let mut at = start;
            for buf in bufs {
                data.write(at, buf);
                at = at.saturating_add(len64(buf));
            }
            Ok((usize::try_from(len).unwrap_or(usize::MAX), end))
        })?;
        if len > 0 {
            self.touch(true);
        }
        Ok(written)
    }
}

impl Drop for MemFile {
    fn drop(&mut self) {
        self.fs.release(self.ino);
    }
}

impl WasiFile for MemFile {
    fn as_any(&self) -> &dyn Any {
        self
    }

    /// Always ready, as a regular file: a read gets what is left after the position.
    fn readiness(&self, interest: Interest) -> Result<Readiness<'_>, Errno> {
        let nbytes = match interest {
            Interest::Read => {
                let pos = *self.pos.lock().unwrap_or_else(PoisonError::into_inner);
                self.with_data(|data, _, _| Ok(data.size().saturating_sub(pos)))?
            }
            Interest::Write => 0,
        };
        Ok(Readiness::Now { nbytes, hangup: false })
    }

    fn filetype(&self) -> Result<Filetype, Errno> {
        Ok(Filetype::RegularFile)
    }

    fn fdflags(&self) -> Result<Fdflags, Errno> {
        Ok(self.flags())
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

    fn write_vectored(&self, bufs: &[IoSlice<'_>]) -> Result<usize, Errno> {
        let mut pos = self.pos.lock().unwrap_or_else(PoisonError::into_inner);
        let at = if self.flags().contains(Fdflags::APPEND) { None } else { Some(*pos) };
        let (n, end) = self.write_at(bufs, at)?;
        *pos = end;
        Ok(n)
    }

    fn seek(&self, offset: i64, whence: Whence) -> Result<u64, Errno> {
        let mut pos = self.pos.lock().unwrap_or_else(PoisonError::into_inner);
        let base = match whence {
            Whence::Set => 0,
            Whence::Cur => *pos,
            Whence::End => self.with_data(|data, _, _| Ok(data.size()))?,
        };
        let new = base.checked_add_signed(offset).filter(|&p| p <= MAX_FILE_SIZE).ok_or(Errno::Inval)?;
        *pos = new;
        Ok(new)
    }

    fn pread_vectored(&self, bufs: &mut [IoSliceMut<'_>], offset: u64) -> Result<usize, Errno> {
        self.read_at(bufs, offset)
    }

    fn pwrite_vectored(&self, bufs: &[IoSlice<'_>], offset: u64) -> Result<usize, Errno> {
        // As Linux: with `APPEND`, a positioned write goes to the end all the same.
        let at = if self.flags().contains(Fdflags::APPEND) { None } else { Some(offset) };
        self.write_at(bufs, at).map(|(n, _)| n)
    }

    fn filestat(&self) -> Result<Filestat, Errno> {
        self.fs.lock().stat(self.ino, self.fs.dev)
    }

    fn set_size(&self, size: u64) -> Result<(), Errno> {
        if !self.write {
            return Err(Errno::Badf);
        }
        // As `ftruncate`: a size that is negative as `off_t` is invalid.
        if size > MAX_FILE_SIZE {
            return Err(Errno::Inval);
        }
        self.with_data(|data, used, _| {
            // Growing makes a hole (no pages); shrinking frees pages.
            let freed = data.set_size(size)?;
            *used = used.saturating_sub(freed);
            Ok(())
        })?;
        self.touch(true);
        Ok(())
    }

    fn set_times(&self, atim: SetTime, mtim: SetTime) -> Result<(), Errno> {
        let now = self.fs.now();
        set_times(self.fs.lock().inode_mut(self.ino)?, atim, mtim, now);
        Ok(())
    }

    /// Advice changes nothing in memory.
    fn advise(&self, _offset: u64, _len: u64, _advice: Advice) -> Result<(), Errno> {
        Ok(())
    }

    fn allocate(&self, offset: u64, len: u64) -> Result<(), Errno> {
        if !self.write {
            return Err(Errno::Badf);
        }
        let end = offset.checked_add(len).filter(|&end| end <= MAX_FILE_SIZE).ok_or(Errno::Fbig)?;
        self.with_data(|data, used, limit| {
            let cost = data.cost_to_write(offset, end);
            charge(used, cost, limit)?;
            data.allocate(offset, end);
            Ok(())
        })?;
        self.touch(true);
        Ok(())
    }

    /// Memory has nothing to write back.
    fn sync(&self) -> Result<(), Errno> {
        Ok(())
    }

    fn datasync(&self) -> Result<(), Errno> {
        Ok(())
    }
}

#[cfg(test)]
mod tests;
