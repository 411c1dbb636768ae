//! Overlays: any directory as a read-only lower layer under an in-memory upper layer (a
//! [`MemFs`]), behind the core's [`WasiDir`]/[`WasiFile`] contract. What
//! `--dir HOST::GUEST:overlay` mounts: the guest creates, changes, renames and deletes freely,
//! and the lower tree is never changed (no method that changes anything is ever called on
//! it).
//!
//! As Linux's overlayfs:
//!
//! - A name is looked up in the upper layer first, then in the lower one; a directory in
//!   both is merged (its listing is the upper entries, then the lower entries the upper layer
//!   does not hide).
//! - **Copy-up**: the first change to a lower file (opening it for writing, truncating it,
//!   setting its times, linking or renaming it) copies it, data and times, into the upper
//!   layer, making its directories there first; later changes go to the copy. A file opened
//!   for reading only is read from the lower layer, and a descriptor opened before a copy-up
//!   keeps reading the lower file.
//! - **Whiteouts**: removing or renaming away a name the lower layer has hides it; a
//!   directory made where a lower one was removed is *opaque* (the lower one's entries stay
//!   hidden). Whiteouts and opaque marks are kept beside the upper layer, by upper inode.
//! - Renaming a directory that has a lower part first copies its whole tree up (then it is
//!   opaque, and moves as any upper directory): unlike overlayfs (`xdev` without
//!   `redirect_dir`), every rename works, at the cost of the tree's size in the upper layer.
//!   A descriptor opened on a directory beneath it before the move finds nothing after.
//! - Identity: a file reports the layer it is in: a lower file its own `(dev, ino)`, an upper
//!   file the memory filesystem's; a copy-up changes a file's identity, and hard links in the
//!   lower layer are copied up separately (overlayfs without its `index` feature).
//!
//! Every change takes one lock (the overlay's), so a copy-up and the change it is for are
//! atomic with respect to other changes; lookups and reads take none of it.

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

use lucent_abi::{Advice, Errno, Fdflags, Filestat, Filetype, Whence};
use lucent_core::env::Interest;
use lucent_core::fs::{DirEntry, Found, OpenOptions, Opened, Readiness, SetTime, WasiDir, WasiFile};
use lucent_core::path::Component;
use lucent_memfs::MemFs;
use std::any::Any;
use std::collections::{HashMap, HashSet};
use std::io::{IoSlice, IoSliceMut};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError, Weak};

/// Cookies of the lower layer's entries in a merged listing have this bit set (the upper
/// layer's, from the memory filesystem, never do).
const LOWER_COOKIE: u64 = 1 << 63;

/// The deepest tree a directory rename copies up.
const MAX_TREE_DEPTH: usize = 256;

/// Bytes copied at a time by a copy-up.
const COPY_CHUNK: usize = 64 << 10;

/// An overlay of an in-memory upper layer on a read-only lower directory. Cloning shares it.
#[derive(Clone, Debug)]
pub struct Overlay {
    fs: Arc<Fs>,
    lower: Arc<dyn WasiDir>,
}

#[derive(Debug)]
struct Fs {
    upper: MemFs,
    /// The upper layer's device number and root inode.
    upper_dev: u64,
    upper_root: u64,
    /// Held by every change.
    changes: Mutex<()>,
    marks: Mutex<Marks>,
}

/// What the upper layer hides of the lower one.
#[derive(Debug, Default)]
struct Marks {
    /// Lower names removed, by the upper directory's inode.
    whiteouts: HashMap<u64, HashSet<Vec<u8>>>,
    /// Upper directories that hide the lower directory of the same name.
    opaque: HashSet<u64>,
    /// The lower identity `(dev, ino)` of what was copied up, by upper inode.
    origin: HashMap<u64, (u64, u64)>,
}

impl Fs {
    fn change(&self) -> MutexGuard<'_, ()> {
        self.changes.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn marks(&self) -> MutexGuard<'_, Marks> {
        self.marks.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// `stat` as the guest sees it: a copied-up file or directory keeps the identity it had
    /// in the lower layer (as Linux's overlayfs keeps `st_ino`), so that a copy-up does not
    /// change what a program saw.
    fn seen(&self, mut stat: Filestat) -> Filestat {
        if stat.dev == self.upper_dev
            && let Some(&(dev, ino)) = self.marks().origin.get(&stat.ino)
        {
            (stat.dev, stat.ino) = (dev, ino);
        }
        stat
    }

    /// The upper inode `ino` is the copy of the lower file with identity `lower`: it keeps
    /// it, unless the lower file has other links (each would be copied up apart, and two
    /// files must not share an identity).
    fn copied(&self, ino: u64, lower: &Filestat) {
        let linked = lower.nlink > 1 && lower.filetype != Filetype::Directory.raw();
        if !linked {
            self.marks().origin.insert(ino, (lower.dev, lower.ino));
        }
    }

    /// The inode number a listing shows for the upper inode `ino`.
    fn seen_ino(&self, ino: u64) -> u64 {
        self.marks().origin.get(&ino).map_or(ino, |&(_, lower)| lower)
    }
}

impl Overlay {
    /// An overlay of `upper` (usually empty) on `lower`.
    ///
    /// # Errors
    ///
    /// If either root cannot be read.
    pub fn new(lower: Arc<dyn WasiDir>, upper: MemFs) -> Result<Overlay, Errno> {
        let root = upper.root().filestat()?;
        let fs =
            Fs { upper_dev: root.dev, upper_root: root.ino, upper, changes: Mutex::new(()), marks: Mutex::default() };
        fs.copied(root.ino, &lower.filestat()?);
        Ok(Overlay { fs: Arc::new(fs), lower })
    }

    /// The merged root directory, to preopen.
    pub fn root(&self) -> Arc<dyn WasiDir> {
        let dir = self.fs.upper.root();
        let upper = OnceLock::from(Upper { dir, ino: self.fs.upper_root });
        Arc::new_cyclic(|me| OverlayDir {
            fs: self.fs.clone(),
            me: me.clone(),
            parent: None,
            upper,
            lower: Some(self.lower.clone()),
            lower_id: OnceLock::new(),
        })
    }

    /// The upper layer: everything the guest made or changed.
    pub fn upper(&self) -> &MemFs {
        &self.fs.upper
    }
}

/// A directory's upper part and its inode number there.
#[derive(Debug)]
struct Upper {
    dir: Arc<dyn WasiDir>,
    ino: u64,
}

/// A directory of an [`Overlay`]: its upper part (made on the first change beneath it) and
/// its lower part, if any.
#[derive(Debug)]
pub struct OverlayDir {
    fs: Arc<Fs>,
    me: Weak<OverlayDir>,
    /// The directory holding this one, and this one's name there (`None`: the root).
    parent: Option<(Arc<OverlayDir>, Component)>,
    upper: OnceLock<Upper>,
    lower: Option<Arc<dyn WasiDir>>,
    /// The lower part's identity, once asked.
    lower_id: OnceLock<(u64, u64)>,
}

/// What a name is in the merged view.
enum Merged {
    /// In the upper layer (whatever the lower has).
    Upper(Found),
    /// Only in the lower layer.
    Lower(Found),
    Nothing,
}

impl OverlayDir {
    /// The upper part, if it exists now (another handle may have made it since this one
    /// was opened: it is this directory's if it was copied up from this lower directory).
    fn upper(&self) -> Option<&Upper> {
        if let Some(upper) = self.upper.get() {
            return Some(upper);
        }
        let (parent, name) = self.parent.as_ref()?;
        let Ok(Found::Dir(dir)) = parent.upper()?.dir.lookup(name) else { return None };
        let ino = dir.filestat().ok()?.ino;
        let origin = self.fs.marks().origin.get(&ino).copied();
        if origin.is_none() || origin != self.lower_id() {
            // Another directory by this name: this one was removed.
            return None;
        }
        Some(self.upper.get_or_init(|| Upper { dir, ino }))
    }

    /// The lower part's identity `(dev, ino)`.
    fn lower_id(&self) -> Option<(u64, u64)> {
        let lower = self.lower.as_ref()?;
        if let Some(id) = self.lower_id.get() {
            return Some(*id);
        }
        let stat = lower.filestat().ok()?;
        Some(*self.lower_id.get_or_init(|| (stat.dev, stat.ino)))
    }

    /// Whether this directory, which has no upper part, was removed (hidden by a whiteout,
    /// or replaced in the upper layer) since this handle was made.
    fn gone(&self) -> bool {
        if self.upper.get().is_some() {
            // Its upper part says: a removed upper directory finds nothing and takes nothing.
            return false;
        }
        let Some((parent, name)) = &self.parent else { return false };
        if parent.gone() || parent.hides(name.as_bytes()) {
            return true;
        }
        match parent.upper().map(|upper| upper.dir.lookup(name)) {
            None | Some(Ok(Found::Nothing)) => false,
            Some(Ok(Found::Dir(_))) => self.upper().is_none(),
            Some(_) => true,
        }
    }

    /// The upper part, made (with the upper parts above it) if missing, with the lower
    /// directory's times. The caller holds the change lock.
    ///
    /// # Errors
    ///
    /// `Noent` if this directory was removed.
    fn make_upper(&self) -> Result<&Upper, Errno> {
        if let Some(upper) = self.upper() {
            return Ok(upper);
        }
        if self.gone() {
            return Err(Errno::Noent);
        }
        let (parent, name) = self.parent.as_ref().ok_or(Errno::Io)?;
        let above = parent.make_upper()?;
        match above.dir.create_dir(name) {
            Ok(()) | Err(Errno::Exist) => {}
            Err(e) => return Err(e),
        }
        let Found::Dir(dir) = above.dir.lookup(name)? else { return Err(Errno::Io) };
        let ino = dir.filestat()?.ino;
        if let Some(lower) = &self.lower {
            let stat = lower.filestat()?;
            dir.set_times(SetTime::At(stat.atim), SetTime::At(stat.mtim))?;
            self.fs.copied(ino, &stat);
        }
        Ok(self.upper.get_or_init(|| Upper { dir, ino }))
    }

    /// Whether the upper part hides the lower name `name` (or the whole lower directory).
    fn hides(&self, name: &[u8]) -> bool {
        let Some(upper) = self.upper() else { return false };
        let marks = self.fs.marks();
        marks.opaque.contains(&upper.ino) || marks.whiteouts.get(&upper.ino).is_some_and(|set| set.contains(name))
    }

    /// The lower part, unless the upper part is opaque.
    fn lower(&self) -> Option<&Arc<dyn WasiDir>> {
        let lower = self.lower.as_ref()?;
        match self.upper() {
            Some(upper) if self.fs.marks().opaque.contains(&upper.ino) => None,
            None if self.gone() => None,
            _ => Some(lower),
        }
    }

    /// What `name` is in the lower layer, if the upper layer does not hide it.
    fn lower_lookup(&self, name: &Component) -> Result<Found, Errno> {
        match self.lower() {
            Some(lower) if !self.hides(name.as_bytes()) => lower.lookup(name),
            _ => Ok(Found::Nothing),
        }
    }

    /// What `name` is, and in which layer.
    fn merged(&self, name: &Component) -> Result<Merged, Errno> {
        if let Some(upper) = self.upper() {
            match upper.dir.lookup(name)? {
                Found::Nothing => {}
                found => return Ok(Merged::Upper(found)),
            }
        }
        Ok(match self.lower_lookup(name)? {
            Found::Nothing => Merged::Nothing,
            found => Merged::Lower(found),
        })
    }

    /// Whether the lower layer has `name` (hidden or not): removing it from the upper
    /// layer must leave a whiteout.
    fn lower_has(&self, name: &Component) -> Result<bool, Errno> {
        match self.lower() {
            Some(lower) => Ok(!matches!(lower.lookup(name)?, Found::Nothing)),
            None => Ok(false),
        }
    }

    /// A handle on the child directory `name` with these parts.
    fn child(
        &self,
        name: &Component,
        upper: Option<Arc<dyn WasiDir>>,
        lower: Option<Arc<dyn WasiDir>>,
    ) -> Result<Arc<OverlayDir>, Errno> {
        let cell = OnceLock::new();
        if let Some(dir) = upper {
            let ino = dir.filestat()?.ino;
            let _ = cell.set(Upper { dir, ino });
        }
        let parent = self.me.upgrade().ok_or(Errno::Io)?;
        Ok(Arc::new_cyclic(|me| OverlayDir {
            fs: self.fs.clone(),
            me: me.clone(),
            parent: Some((parent, name.clone())),
            upper: cell,
            lower,
            lower_id: OnceLock::new(),
        }))
    }

    /// The merged child directory `name`, given its upper part; `opened`: for a descriptor
    /// (its lower part opened for listing), rather than for a lookup.
    fn merged_child(&self, name: &Component, upper: Arc<dyn WasiDir>, opened: bool) -> Result<Arc<OverlayDir>, Errno> {
        let ino = upper.filestat()?.ino;
        let lower = match self.lower_lookup(name)? {
            Found::Dir(_) if self.fs.marks().opaque.contains(&ino) => None,
            Found::Dir(_) if opened => self.lower_open_dir(name)?,
            Found::Dir(lower) => Some(lower),
            _ => None,
        };
        self.child(name, Some(upper), lower)
    }

    /// The lower directory `name`, opened for a descriptor (a backend's lookup may give a
    /// handle good only for further lookups, as the host's `O_PATH` ones).
    fn lower_open_dir(&self, name: &Component) -> Result<Option<Arc<dyn WasiDir>>, Errno> {
        let lower = self.lower.as_ref().ok_or(Errno::Io)?;
        match lower.open(name, &OpenOptions { read: true, directory: true, ..OpenOptions::default() }) {
            Ok(Opened::Dir(dir)) => Ok(Some(dir)),
            Ok(_) | Err(Errno::Notdir | Errno::Noent | Errno::Loop) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Hides the lower `name` (its upper part exists).
    fn white_out(&self, name: &Component) -> Result<(), Errno> {
        let upper = self.make_upper()?;
        self.fs.marks().whiteouts.entry(upper.ino).or_default().insert(name.as_bytes().to_vec());
        Ok(())
    }

    /// Forgets the whiteout of `name`, returning whether there was one: something new has
    /// this name in the upper layer now.
    fn take_whiteout(&self, name: &Component) -> bool {
        let Some(upper) = self.upper() else { return false };
        let mut marks = self.fs.marks();
        marks.whiteouts.get_mut(&upper.ino).is_some_and(|set| set.remove(name.as_bytes()))
    }

    /// Marks the upper directory `name` opaque.
    fn make_opaque(&self, name: &Component) -> Result<(), Errno> {
        let upper = self.upper().ok_or(Errno::Io)?;
        let ino = upper.dir.stat_at(name)?.ino;
        self.fs.marks().opaque.insert(ino);
        Ok(())
    }

    /// Copies the lower `name` into the upper layer, if it is not there yet: a file with its
    /// data (unless `empty`: it is about to be truncated) and times, a symlink, or a directory
    /// (its upper part, without its entries). The caller holds the change lock.
    fn copy_up(&self, name: &Component, empty: bool) -> Result<(), Errno> {
        match self.merged(name)? {
            Merged::Upper(_) => Ok(()),
            Merged::Nothing => Err(Errno::Noent),
            Merged::Lower(Found::Dir(lower)) => self.child(name, None, Some(lower))?.make_upper().map(drop),
            Merged::Lower(Found::Symlink(target)) => {
                let stat = self.lower.as_ref().ok_or(Errno::Io)?.stat_at(name)?;
                let upper = self.make_upper()?;
                upper.dir.symlink(&target, name)?;
                self.fs.copied(upper.dir.stat_at(name)?.ino, &stat);
                upper.dir.set_times_at(name, SetTime::At(stat.atim), SetTime::At(stat.mtim))
            }
            Merged::Lower(_) => {
                let lower = self.lower.as_ref().ok_or(Errno::Io)?;
                let read = OpenOptions { read: true, ..OpenOptions::default() };
                let Opened::File(source) = lower.open(name, &read)? else { return Err(Errno::Io) };
                let stat = source.filestat()?;
                let upper = self.make_upper()?;
                let create = OpenOptions { write: true, create: true, exclusive: true, ..OpenOptions::default() };
                let Opened::File(copy) = upper.dir.open(name, &create)? else { return Err(Errno::Io) };
                let copied = if empty { Ok(()) } else { copy_data(source.as_ref(), copy.as_ref()) };
                let copied = copied.and_then(|()| copy.set_times(SetTime::At(stat.atim), SetTime::At(stat.mtim)));
                if copied.is_ok() {
                    self.fs.copied(copy.filestat()?.ino, &stat);
                } else {
                    // Nothing half-copied stays: the lower file shows through again.
                    let _ = upper.dir.unlink_file(name);
                }
                copied
            }
        }
    }

    /// Copies the directory `name` and everything the merged view shows beneath it into the
    /// upper layer, and makes it opaque: it no longer needs its lower part, so it can move.
    /// The caller holds the change lock.
    ///
    /// # Errors
    ///
    /// `Nospc` if the upper layer cannot hold it; `Xdev` past [`MAX_TREE_DEPTH`] levels.
    fn copy_up_tree(&self, name: &Component, depth: usize) -> Result<(), Errno> {
        if depth > MAX_TREE_DEPTH {
            return Err(Errno::Xdev);
        }
        let options = OpenOptions { read: true, directory: true, ..OpenOptions::default() };
        let Opened::Dir(dir) = self.open(name, &options)? else { return Err(Errno::Io) };
        let dir = dir.as_any().downcast_ref::<OverlayDir>().ok_or(Errno::Io)?;
        if dir.lower().is_none() {
            return Ok(());
        }
        let upper = dir.make_upper()?.ino;
        let mut entries = Vec::new();
        dir.read_dir(0, &mut |entry, _| {
            if entry.name != b"." && entry.name != b".." {
                entries.push((entry.name.clone(), entry.filetype));
            }
            true
        })?;
        for (entry, filetype) in entries {
            let entry = Component::new(&entry)?;
            if filetype == Filetype::Directory {
                dir.copy_up_tree(&entry, depth.saturating_add(1))?;
            } else {
                dir.copy_up(&entry, false)?;
            }
        }
        let mut marks = self.fs.marks();
        marks.whiteouts.remove(&upper);
        marks.opaque.insert(upper);
        Ok(())
    }

    /// The names from the root to this directory. A directory with a lower part never
    /// moves, nor does one beneath it, so for those this is where they are.
    fn path(&self) -> Vec<Vec<u8>> {
        let mut names = Vec::new();
        let mut at = self;
        while let Some((parent, name)) = &at.parent {
            names.push(name.as_bytes().to_vec());
            at = parent;
        }
        names.reverse();
        names
    }

    /// Whether the merged directory has no entries but `.` and `..`.
    fn is_empty(&self) -> Result<bool, Errno> {
        let mut empty = true;
        self.read_dir(0, &mut |entry, _| {
            empty = entry.name == b"." || entry.name == b"..";
            empty
        })?;
        Ok(empty)
    }

    /// The other directory of a `link` or `rename`, if it is of this overlay.
    fn same_overlay<'a>(&self, other: &'a dyn WasiDir) -> Result<&'a OverlayDir, Errno> {
        match other.as_any().downcast_ref::<OverlayDir>() {
            Some(dir) if Arc::ptr_eq(&dir.fs, &self.fs) => Ok(dir),
            _ => Err(Errno::Xdev),
        }
    }

    fn this(&self) -> Result<Arc<OverlayDir>, Errno> {
        self.me.upgrade().ok_or(Errno::Io)
    }

    /// Opens `name` in the upper layer, a directory coming back merged.
    fn open_upper(&self, name: &Component, options: &OpenOptions) -> Result<Opened, Errno> {
        let upper = self.upper().ok_or(Errno::Io)?;
        match upper.dir.open(name, options)? {
            Opened::Dir(dir) => Ok(Opened::Dir(self.merged_child(name, dir, true)?)),
            Opened::File(file) => Ok(Opened::File(Arc::new(OverlayFile { file, fs: self.fs.clone(), lower: None }))),
            other => Ok(other),
        }
    }
}

/// An open file of an overlay: an upper file, or a lower file opened without write access.
///
/// Reads of a lower file come from it; the one change such a descriptor can make, setting
/// its times, copies the file up first (the lower file must not change) and applies to the
/// copy, which then answers `filestat`. Either way `filestat` reports the file's lasting
/// identity ([`Fs::seen`]).
#[derive(Debug)]
struct OverlayFile {
    file: Arc<dyn WasiFile>,
    fs: Arc<Fs>,
    /// For a lower file: where it was opened (to copy it up), and the copy once made.
    lower: Option<LowerOrigin>,
}

/// Where a lower file was opened, and its upper copy once made.
type LowerOrigin = (Arc<OverlayDir>, Component, OnceLock<Arc<dyn WasiFile>>);

impl OverlayFile {
    /// The upper copy of a lower file, made if its name still is this lower file.
    fn copy(&self) -> Result<&Arc<dyn WasiFile>, Errno> {
        let Some((dir, name, copy)) = &self.lower else { return Ok(&self.file) };
        if let Some(copy) = copy.get() {
            return Ok(copy);
        }
        let _change = self.fs.change();
        let stat = self.file.filestat()?;
        let lower = dir.lower.as_ref().ok_or(Errno::Io)?;
        let still_named = !dir.hides(name.as_bytes())
            && lower.stat_at(name).is_ok_and(|now| (now.dev, now.ino) == (stat.dev, stat.ino));
        if !still_named {
            // Renamed or removed since it was opened: there is no name to copy it up to, and
            // the lower file must not change.
            return Err(Errno::Rofs);
        }
        dir.copy_up(name, false)?;
        let upper = dir.upper().ok_or(Errno::Io)?;
        let Opened::File(made) = upper.dir.open(name, &OpenOptions { read: true, ..OpenOptions::default() })? else {
            return Err(Errno::Io);
        };
        Ok(copy.get_or_init(|| made))
    }

    /// Whether this is a lower file (opened without write access).
    fn read_only(&self) -> bool {
        self.lower.is_some()
    }
}

impl WasiFile for OverlayFile {
    fn as_any(&self) -> &dyn Any {
        self
    }

    fn readiness(&self, interest: Interest) -> Result<Readiness<'_>, Errno> {
        self.file.readiness(interest)
    }

    fn filetype(&self) -> Result<Filetype, Errno> {
        self.file.filetype()
    }

    fn fdflags(&self) -> Result<Fdflags, Errno> {
        self.file.fdflags()
    }

    fn set_fdflags(&self, flags: Fdflags) -> Result<(), Errno> {
        self.file.set_fdflags(flags)
    }

    fn read_vectored(&self, bufs: &mut [IoSliceMut<'_>]) -> Result<usize, Errno> {
        self.file.read_vectored(bufs)
    }

    fn write_vectored(&self, bufs: &[IoSlice<'_>]) -> Result<usize, Errno> {
        if self.read_only() {
            return Err(Errno::Badf);
        }
        self.file.write_vectored(bufs)
    }

    fn seek(&self, offset: i64, whence: Whence) -> Result<u64, Errno> {
        self.file.seek(offset, whence)
    }

    fn pread_vectored(&self, bufs: &mut [IoSliceMut<'_>], offset: u64) -> Result<usize, Errno> {
        self.file.pread_vectored(bufs, offset)
    }

    fn pwrite_vectored(&self, bufs: &[IoSlice<'_>], offset: u64) -> Result<usize, Errno> {
        if self.read_only() {
            return Err(Errno::Badf);
        }
        self.file.pwrite_vectored(bufs, offset)
    }

    fn filestat(&self) -> Result<Filestat, Errno> {
        let copied = self.lower.as_ref().and_then(|(_, _, copy)| copy.get());
        Ok(self.fs.seen(copied.unwrap_or(&self.file).filestat()?))
    }

    fn set_size(&self, size: u64) -> Result<(), Errno> {
        if self.read_only() {
            return Err(Errno::Badf);
        }
        self.file.set_size(size)
    }

    fn set_times(&self, atim: SetTime, mtim: SetTime) -> Result<(), Errno> {
        self.copy()?.set_times(atim, mtim)
    }

    fn advise(&self, offset: u64, len: u64, advice: Advice) -> Result<(), Errno> {
        self.file.advise(offset, len, advice)
    }

    fn allocate(&self, offset: u64, len: u64) -> Result<(), Errno> {
        if self.read_only() {
            return Err(Errno::Badf);
        }
        self.file.allocate(offset, len)
    }

    /// A lower file: nothing of it was written.
    fn sync(&self) -> Result<(), Errno> {
        if self.read_only() { Ok(()) } else { self.file.sync() }
    }

    fn datasync(&self) -> Result<(), Errno> {
        if self.read_only() { Ok(()) } else { self.file.datasync() }
    }
}

/// Copies all of `source` into `copy`.
fn copy_data(source: &dyn WasiFile, copy: &dyn WasiFile) -> Result<(), Errno> {
    let mut buf = vec![0u8; COPY_CHUNK];
    let mut at = 0u64;
    loop {
        let n = source.pread_vectored(&mut [IoSliceMut::new(&mut buf)], at)?;
        if n == 0 {
            return Ok(());
        }
        let chunk = buf.get(..n).ok_or(Errno::Io)?;
        let mut written = 0usize;
        while written < n {
            let rest = chunk.get(written..).ok_or(Errno::Io)?;
            let w = copy.pwrite_vectored(
                &[IoSlice::new(rest)],
                at.saturating_add(u64::try_from(written).unwrap_or(u64::MAX)),
            )?;
            if w == 0 {
                return Err(Errno::Io);
            }
            written = written.saturating_add(w);
        }
        at = at.saturating_add(u64::try_from(n).unwrap_or(u64::MAX));
    }
}

impl WasiDir for OverlayDir {
    fn lookup(&self, name: &Component) -> Result<Found, Errno> {
        if name.is_dot() {
            return Ok(Found::Dir(self.this()?));
        }
        Ok(match self.merged(name)? {
            Merged::Upper(Found::Dir(upper)) => Found::Dir(self.merged_child(name, upper, false)?),
            Merged::Lower(Found::Dir(lower)) => Found::Dir(self.child(name, None, Some(lower))?),
            Merged::Upper(found) | Merged::Lower(found) => found,
            Merged::Nothing => Found::Nothing,
        })
    }

    fn open(&self, name: &Component, options: &OpenOptions) -> Result<Opened, Errno> {
        let exclusive = options.create && options.exclusive;
        if name.is_dot() {
            return match () {
                () if exclusive => Err(Errno::Exist),
                () if options.write || options.truncate => Err(Errno::Isdir),
                () => Ok(Opened::Dir(self.this()?)),
            };
        }
        match self.merged(name)? {
            Merged::Upper(Found::Dir(_)) | Merged::Upper(Found::File) | Merged::Upper(Found::Symlink(_)) => {
                self.open_upper(name, options)
            }
            Merged::Upper(Found::Nothing) | Merged::Nothing => {
                if !options.create {
                    return Err(Errno::Noent);
                }
                let _change = self.fs.change();
                self.make_upper()?;
                let opened = self.open_upper(name, options)?;
                self.take_whiteout(name);
                Ok(opened)
            }
            Merged::Lower(_) if exclusive => Err(Errno::Exist),
            Merged::Lower(Found::Symlink(target)) => Ok(Opened::Symlink(target)),
            Merged::Lower(Found::Dir(_)) if options.write || options.truncate || options.create => Err(Errno::Isdir),
            Merged::Lower(Found::Dir(_)) => Ok(Opened::Dir(self.child(name, None, self.lower_open_dir(name)?)?)),
            Merged::Lower(_) if options.directory => Err(Errno::Notdir),
            Merged::Lower(_) if options.write || options.truncate => {
                let _change = self.fs.change();
                self.copy_up(name, options.truncate)?;
                self.open_upper(name, &OpenOptions { create: false, exclusive: false, ..*options })
            }
            Merged::Lower(_) => {
                let lower = self.lower.as_ref().ok_or(Errno::Io)?;
                let read = OpenOptions { read: options.read, fdflags: options.fdflags, ..OpenOptions::default() };
                match lower.open(name, &read)? {
                    Opened::File(file) => Ok(Opened::File(Arc::new(OverlayFile {
                        file,
                        fs: self.fs.clone(),
                        lower: Some((self.this()?, name.clone(), OnceLock::new())),
                    }))),
                    other => Ok(other),
                }
            }
        }
    }

    fn read_link(&self, name: &Component) -> Result<Vec<u8>, Errno> {
        if name.is_dot() {
            return Err(Errno::Inval);
        }
        match self.merged(name)? {
            Merged::Upper(_) => self.upper().ok_or(Errno::Io)?.dir.read_link(name),
            Merged::Lower(_) => self.lower.as_ref().ok_or(Errno::Io)?.read_link(name),
            Merged::Nothing => Err(Errno::Noent),
        }
    }

    fn fdflags(&self) -> Result<Fdflags, Errno> {
        Ok(Fdflags::empty())
    }

    fn as_any(&self) -> &dyn Any {
        self
    }

    fn filestat(&self) -> Result<Filestat, Errno> {
        match (self.upper(), &self.lower) {
            (Some(upper), _) => upper.dir.filestat().map(|stat| self.fs.seen(stat)),
            (None, Some(lower)) => lower.filestat(),
            (None, None) => Err(Errno::Io),
        }
    }

    fn stat_at(&self, name: &Component) -> Result<Filestat, Errno> {
        if name.is_dot() {
            return self.filestat();
        }
        match self.merged(name)? {
            Merged::Upper(_) => self.upper().ok_or(Errno::Io)?.dir.stat_at(name).map(|stat| self.fs.seen(stat)),
            Merged::Lower(_) => self.lower.as_ref().ok_or(Errno::Io)?.stat_at(name),
            Merged::Nothing => Err(Errno::Noent),
        }
    }

    fn set_times_at(&self, name: &Component, atim: SetTime, mtim: SetTime) -> Result<(), Errno> {
        if name.is_dot() {
            return self.set_times(atim, mtim);
        }
        let _change = self.fs.change();
        self.copy_up(name, false)?;
        self.upper().ok_or(Errno::Io)?.dir.set_times_at(name, atim, mtim)
    }

    fn set_times(&self, atim: SetTime, mtim: SetTime) -> Result<(), Errno> {
        let _change = self.fs.change();
        self.make_upper()?.dir.set_times(atim, mtim)
    }

    fn create_dir(&self, name: &Component) -> Result<(), Errno> {
        let _change = self.fs.change();
        if name.is_dot() || !matches!(self.merged(name)?, Merged::Nothing) {
            return Err(Errno::Exist);
        }
        self.make_upper()?.dir.create_dir(name)?;
        if self.take_whiteout(name) {
            // Where a lower directory was removed: its entries must not show through.
            self.make_opaque(name)?;
        }
        Ok(())
    }

    fn remove_dir(&self, name: &Component) -> Result<(), Errno> {
        if name.is_dot() {
            return Err(Errno::Inval);
        }
        let _change = self.fs.change();
        let dir = match self.open(name, &OpenOptions { read: true, directory: true, ..OpenOptions::default() })? {
            Opened::Dir(dir) => dir,
            _ => return Err(Errno::Notdir),
        };
        let dir = dir.as_any().downcast_ref::<OverlayDir>().ok_or(Errno::Io)?;
        if !dir.is_empty()? {
            return Err(Errno::Notempty);
        }
        if let Some(upper) = dir.upper() {
            let ino = upper.ino;
            self.upper().ok_or(Errno::Io)?.dir.remove_dir(name)?;
            // A handle still open on it must find nothing of the lower part either.
            let mut marks = self.fs.marks();
            marks.whiteouts.remove(&ino);
            marks.opaque.insert(ino);
        }
        if self.lower_has(name)? {
            self.white_out(name)?;
        }
        Ok(())
    }

    fn unlink_file(&self, name: &Component) -> Result<(), Errno> {
        if name.is_dot() {
            return Err(Errno::Isdir);
        }
        let _change = self.fs.change();
        match self.merged(name)? {
            Merged::Nothing => Err(Errno::Noent),
            Merged::Upper(Found::Dir(_)) | Merged::Lower(Found::Dir(_)) => Err(Errno::Isdir),
            Merged::Upper(_) => {
                self.upper().ok_or(Errno::Io)?.dir.unlink_file(name)?;
                if self.lower_has(name)? {
                    self.white_out(name)?;
                }
                Ok(())
            }
            Merged::Lower(_) => self.white_out(name),
        }
    }

    fn symlink(&self, target: &[u8], name: &Component) -> Result<(), Errno> {
        let _change = self.fs.change();
        if name.is_dot() || !matches!(self.merged(name)?, Merged::Nothing) {
            return Err(Errno::Exist);
        }
        self.make_upper()?.dir.symlink(target, name)?;
        self.take_whiteout(name);
        Ok(())
    }

    fn link(&self, name: &Component, new_dir: &dyn WasiDir, new_name: &Component) -> Result<(), Errno> {
        let new_dir = self.same_overlay(new_dir)?;
        let _change = self.fs.change();
        // In Linux's order: the source must exist, the new name must not, then no directory.
        let source = self.merged(name)?;
        if matches!(source, Merged::Nothing) {
            return Err(Errno::Noent);
        }
        if new_name.is_dot() || !matches!(new_dir.merged(new_name)?, Merged::Nothing) {
            return Err(Errno::Exist);
        }
        if matches!(source, Merged::Upper(Found::Dir(_)) | Merged::Lower(Found::Dir(_))) {
            return Err(Errno::Perm);
        }
        self.copy_up(name, false)?;
        let target = new_dir.make_upper()?;
        self.upper().ok_or(Errno::Io)?.dir.link(name, target.dir.as_ref(), new_name)?;
        new_dir.take_whiteout(new_name);
        Ok(())
    }

    fn rename(&self, name: &Component, new_dir: &dyn WasiDir, new_name: &Component) -> Result<(), Errno> {
        let new_dir = self.same_overlay(new_dir)?;
        if name.is_dot() || new_name.is_dot() {
            return Err(Errno::Busy);
        }
        let _change = self.fs.change();
        let source = self.merged(name)?;
        // A directory with a lower part moves whole: its tree is copied up first (below).
        let (moving_dir, whole_tree) = match &source {
            Merged::Nothing => return Err(Errno::Noent),
            Merged::Lower(Found::Dir(_)) => (true, true),
            Merged::Upper(Found::Dir(upper)) => {
                let ino = upper.filestat()?.ino;
                let opaque = self.fs.marks().opaque.contains(&ino);
                (true, !opaque && matches!(self.lower_lookup(name)?, Found::Dir(_)))
            }
            _ => (false, false),
        };
        // Two names of one file (or one name twice): POSIX says nothing happens.
        if !matches!(new_dir.merged(new_name)?, Merged::Nothing) {
            let (from, to) = (self.stat_at(name)?, new_dir.stat_at(new_name)?);
            if (from.dev, from.ino) == (to.dev, to.ino) {
                return Ok(());
            }
        }
        if whole_tree {
            // In Linux's order, first: a directory cannot move beneath itself. (Paths of
            // directories with a lower part are where they are.)
            let mut moved = self.path();
            moved.push(name.as_bytes().to_vec());
            if new_dir.path().starts_with(&moved) {
                return Err(Errno::Inval);
            }
        }
        // A directory the new name has in the lower layer (alone or under an upper part) is
        // invisible to the upper layer's rename: its checks are made here, in Linux's order.
        let replaced_lower = match new_dir.merged(new_name)? {
            Merged::Upper(Found::Dir(_)) | Merged::Lower(Found::Dir(_)) => {
                let options = OpenOptions { read: true, directory: true, ..OpenOptions::default() };
                let Opened::Dir(dir) = new_dir.open(new_name, &options)? else { return Err(Errno::Io) };
                let dir = dir.as_any().downcast_ref::<OverlayDir>().ok_or(Errno::Io)?;
                match () {
                    // Without a lower part, the upper layer decides.
                    () if dir.lower().is_none() => false,
                    // Nothing can replace a directory above it.
                    () if self.path().starts_with(&dir.path()) => return Err(Errno::Notempty),
                    () if !moving_dir => return Err(Errno::Isdir),
                    () if !dir.is_empty()? => return Err(Errno::Notempty),
                    () => true,
                }
            }
            Merged::Lower(_) if moving_dir => return Err(Errno::Notdir),
            _ => false,
        };
        if whole_tree {
            self.copy_up_tree(name, 0)?;
        }
        self.copy_up(name, false)?;
        let target = new_dir.make_upper()?;
        self.upper().ok_or(Errno::Io)?.dir.rename(name, target.dir.as_ref(), new_name)?;
        let was_whited_out = new_dir.take_whiteout(new_name);
        if moving_dir && (replaced_lower || was_whited_out) {
            new_dir.make_opaque(new_name)?;
        }
        // The old name, if the lower layer has it, stays hidden (unless the rename was of a
        // name onto itself, which changes nothing).
        if matches!(self.upper().ok_or(Errno::Io)?.dir.lookup(name)?, Found::Nothing) && self.lower_has(name)? {
            self.white_out(name)?;
        }
        Ok(())
    }

    /// The upper part's entries (with its cookies), then the lower part's that the upper
    /// part neither has nor hides (with the lower cookies, [`LOWER_COOKIE`] set). `.` and
    /// `..` come from the upper part if there is one.
    fn read_dir(&self, cookie: u64, each: &mut dyn FnMut(&DirEntry, u64) -> bool) -> Result<(), Errno> {
        // The lower part's start is reached from the upper part's end, never given as a
        // cookie: like any cookie this overlay never gives, it is past the end.
        if cookie == LOWER_COOKIE {
            return Ok(());
        }
        let upper = self.upper();
        let mut going = true;
        if cookie & LOWER_COOKIE == 0
            && let Some(upper) = upper
        {
            upper.dir.read_dir(cookie, &mut |entry, next| {
                let seen = DirEntry { ino: self.fs.seen_ino(entry.ino), ..entry.clone() };
                going = each(&seen, next);
                going
            })?;
        }
        let Some(lower) = self.lower().filter(|_| going) else { return Ok(()) };
        let start = if cookie & LOWER_COOKIE == 0 { 0 } else { cookie & !LOWER_COOKIE };
        let hidden: HashSet<Vec<u8>> = match upper {
            Some(upper) => self.fs.marks().whiteouts.get(&upper.ino).cloned().unwrap_or_default(),
            None => HashSet::new(),
        };
        let mut failed = None;
        lower.read_dir(start, &mut |entry, next| {
            if next & LOWER_COOKIE != 0 {
                // A lower cookie this overlay cannot tell from its own (a stacked overlay):
                // the listing ends here rather than loop.
                failed = Some(Errno::Overflow);
                return false;
            }
            let shadowed = match upper {
                _ if hidden.contains(&entry.name) => true,
                Some(_) if entry.name == b"." || entry.name == b".." => true,
                Some(upper) => match Component::new(&entry.name) {
                    Ok(name) => upper.dir.stat_at(&name).is_ok(),
                    Err(_) => false,
                },
                None => false,
            };
            shadowed || each(entry, next | LOWER_COOKIE)
        })?;
        failed.map_or(Ok(()), Err)
    }

    /// Memory has nothing to write back, and the lower layer was not written.
    fn sync(&self) -> Result<(), Errno> {
        Ok(())
    }
}

#[cfg(test)]
mod tests;
