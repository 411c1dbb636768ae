//! Host directories, opened one component at a time and never following symlinks.

use crate::errno::{from_host, retry};
use crate::file::{HostFile, fdflags, oflags};
use crate::listing;
use crate::stat::{filestat, timestamps};
use crate::withheld::Withheld;
use lucent_abi::{Errno, Fdflags, Filestat};
use lucent_core::fs::{DirEntry, Found, OpenOptions, Opened, SetTime, WasiDir};
use lucent_core::path::Component;
use rustix::fd::{AsFd, OwnedFd};
use rustix::fs::{AtFlags, FileType, Mode, OFlags, ResolveFlags, Stat};
use std::any::Any;
use std::collections::VecDeque;
use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

/// Mode for new files, before the process umask.
const NEW_FILE_MODE: u32 = 0o666;

/// Mode for new directories, before the process umask.
const NEW_DIR_MODE: u32 = 0o777;

/// Directories a preopen keeps open among those opened by name directly in it.
const CACHED_CHILDREN: usize = 8;

/// Filesystems (`statfs` magic numbers, from `linux/magic.h`) on which a directory's device
/// and inode number identify it while a descriptor holds it open: local filesystems that
/// never give a live inode's number to another. Network and FUSE filesystems, where a server
/// may reuse numbers, and overlayfs, whose numbers can collide across layers, are not here.
const STABLE_INODE_FILESYSTEMS: [u64; 4] = [
    0xEF53,      // ext2, ext3, ext4
    0x5846_5342, // XFS
    0x9123_683E, // Btrfs
    0x0102_1994, // tmpfs
];

/// The directories a preopen keeps open (found by [`WasiDir::lookup`]).
#[derive(Debug)]
struct Kept {
    /// The preopen's device: only directories on it are kept.
    dev: u64,
    /// Most recently used last.
    entries: Mutex<VecDeque<CachedChild>>,
}

/// A directory a preopen keeps open, with the identity it had when opened.
#[derive(Debug)]
struct CachedChild {
    name: Vec<u8>,
    dir: Arc<HostDir>,
    dev: u64,
    ino: u64,
}

/// A directory on the host filesystem, held by an open descriptor.
#[derive(Debug)]
pub struct HostDir {
    fd: OwnedFd,
    /// Serialises listings (the descriptor's position is shared).
    listing: Mutex<()>,
    /// This directory's inode if it is the sandbox's root (where `..` lists as itself).
    at_root: OnceLock<Option<u64>>,
    /// The descriptor flags, once read: nothing changes them (Lucent opened the descriptor and
    /// shares it with no other process, and a directory's flags cannot be set through WASI),
    /// so `fd_fdstat_get`, which Rust's std calls before every open, need not ask the kernel.
    flags: OnceLock<Fdflags>,
    /// For a preopen ([`HostDir::open_ambient`]) on a filesystem with stable inode numbers:
    /// the directories most recently used by name directly in it, kept open, so that a walk
    /// through `dir/...` costs a `stat` of `dir` (to check the name still is that directory)
    /// instead of an open and a close. `None` elsewhere, which bounds the descriptors kept to
    /// a few per preopen.
    children: Option<Kept>,
    /// The device and inode of the preopen this directory was opened beneath (or is): where
    /// a listing shows `..`, as at the root of a file system, as the directory itself rather
    /// than the host directory above the sandbox.
    root: Option<(u64, u64)>,
    /// Directories no guest may enter ([`HostDir::withholding`]), shared by everything
    /// opened beneath the preopen.
    withheld: Option<Arc<Withheld>>,
    /// Whether this directory is pinned ([`Withheld`]), or not known not to be: a withheld
    /// directory may lie beneath it, and only a pinned directory holds pinned entries. Then
    /// `openat2`'s one-step walk is not used (the kernel would not stop at a withheld
    /// directory), and renames and removals look at what they touch.
    pinned: bool,
}

impl HostDir {
    /// After `openat(O_NOFOLLOW)` failed with `Loop` or `Notdir`: the target if `name` is a
    /// symlink, `None` if it is something else.
    fn link_target(&self, name: &Component) -> Result<Option<Vec<u8>>, Errno> {
        match rustix::fs::readlinkat(&self.fd, name.as_bytes(), Vec::new()) {
            Ok(target) => Ok(Some(target.into_bytes())),
            Err(rustix::io::Errno::INVAL) => Ok(None),
            Err(e) => Err(from_host(e)),
        }
    }

    /// Opens the host directory at `path`, as the host process sees it (so symlinks in `path`
    /// are followed): this is how the embedder or the CLI chooses a preopen, never guest input.
    ///
    /// # Errors
    ///
    /// The host error: the path is missing, not a directory, or not readable.
    pub fn open_ambient(path: &Path) -> std::io::Result<Self> {
        let fd = rustix::fs::open(path, OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC, Mode::empty())?;
        let stable = rustix::fs::fstatfs(&fd)
            .is_ok_and(|fs| u64::try_from(fs.f_type).is_ok_and(|kind| STABLE_INODE_FILESYSTEMS.contains(&kind)));
        let st = rustix::fs::fstat(&fd)?;
        let children = stable.then(|| Kept { dev: st.st_dev, entries: Mutex::default() });
        Ok(HostDir { children, root: Some((st.st_dev, st.st_ino)), ..HostDir::from_fd(fd) })
    }

    fn from_fd(fd: OwnedFd) -> Self {
        HostDir {
            fd,
            listing: Mutex::default(),
            at_root: OnceLock::new(),
            flags: OnceLock::new(),
            children: None,
            root: None,
            withheld: None,
            pinned: false,
        }
    }

    /// Refuses, from now on, every path beneath this directory that enters a directory of
    /// `withheld` (whatever the route: a name, a symlink, a mount), and every rename of a
    /// directory above one of them; `openat2`'s one-step walk is not used where a withheld
    /// directory lies beneath.
    ///
    /// # Errors
    ///
    /// `PermissionDenied` if this directory is withheld or lies inside a withheld directory:
    /// it must never be given to a guest. A host error if its ancestors cannot be walked.
    pub fn withholding(mut self, withheld: Arc<Withheld>) -> std::io::Result<Self> {
        if let Some(what) = withheld.covering(&self.fd)? {
            return Err(std::io::Error::new(
                std::io::ErrorKind::PermissionDenied,
                format!("it is {what}, or lies inside it, which no guest may be given"),
            ));
        }
        let st = rustix::fs::fstat(&self.fd)?;
        self.pinned = withheld.pins(st.st_dev, st.st_ino);
        self.withheld = Some(withheld);
        self.forget_children();
        Ok(self)
    }

    /// `Acces` if the entry `name` is pinned ([`Withheld`]): it may not be renamed, removed or
    /// replaced.
    fn refuse_pinned(&self, name: &Component) -> Result<(), Errno> {
        let Some(withheld) = self.withheld.as_ref().filter(|_| self.pinned) else { return Ok(()) };
        match rustix::fs::statat(&self.fd, name.as_bytes(), AtFlags::SYMLINK_NOFOLLOW) {
            Ok(st) if withheld.pins(st.st_dev, st.st_ino) => Err(Errno::Acces),
            _ => Ok(()),
        }
    }

    /// `Acces` if the directory just opened (`st`) is withheld.
    fn refuse_withheld(&self, st: &Stat) -> Result<(), Errno> {
        match &self.withheld {
            Some(withheld) if withheld.withholds(st.st_dev, st.st_ino) => Err(Errno::Acces),
            _ => Ok(()),
        }
    }

    /// The kept directory `name`, if the name still is that directory: the same device and
    /// inode, looked up without following a symlink. An entry that fails the check is dropped.
    fn cached_child(&self, kept: &Kept, name: &Component) -> Option<Arc<HostDir>> {
        let (dir, dev, ino) = {
            let mut cache = kept.entries.lock().unwrap_or_else(PoisonError::into_inner);
            let at = cache.iter().position(|c| c.name == name.as_bytes())?;
            // Most recently used last.
            let entry = cache.remove(at)?;
            let found = (entry.dir.clone(), entry.dev, entry.ino);
            cache.push_back(entry);
            found
        };
        let same = rustix::fs::statat(&self.fd, name.as_bytes(), AtFlags::SYMLINK_NOFOLLOW).is_ok_and(|st| {
            FileType::from_raw_mode(st.st_mode) == FileType::Directory && st.st_dev == dev && st.st_ino == ino
        });
        if same {
            return Some(dir);
        }
        kept.entries.lock().unwrap_or_else(PoisonError::into_inner).retain(|c| !Arc::ptr_eq(&c.dir, &dir));
        None
    }

    /// Keeps `dir`, just opened as `name`, with the identity of the open descriptor itself,
    /// if it is on the preopen's filesystem (not a mount beneath it).
    fn keep_child(kept: &Kept, name: &Component, dir: &Arc<HostDir>, st: &Stat) {
        if st.st_dev != kept.dev {
            return;
        }
        let child = CachedChild { name: name.as_bytes().to_vec(), dir: dir.clone(), dev: st.st_dev, ino: st.st_ino };
        let mut cache = kept.entries.lock().unwrap_or_else(PoisonError::into_inner);
        cache.retain(|c| c.name != name.as_bytes());
        // The least recently used entry goes.
        if cache.len() >= CACHED_CHILDREN {
            cache.pop_front();
        }
        cache.push_back(child);
    }

    /// Stops keeping the directory `name` (removed or renamed by the guest), so that a
    /// removed directory is not held open.
    fn forget_child(&self, name: &Component) {
        if let Some(kept) = &self.children {
            kept.entries.lock().unwrap_or_else(PoisonError::into_inner).retain(|c| c.name != name.as_bytes());
        }
    }

    /// Drops every kept directory: they were opened with the settings being changed.
    fn forget_children(&mut self) {
        if let Some(kept) = &mut self.children {
            kept.entries.get_mut().unwrap_or_else(PoisonError::into_inner).clear();
        }
    }

    /// The file system's allocation unit (`f_frsize`), what a quota counts file data in
    /// ([`lucent_core::wrap::Quota::with_unit`]); [`lucent_core::wrap::DEFAULT_UNIT`] if
    /// it does not say or says something odd.
    pub fn allocation_unit(&self) -> u64 {
        rustix::fs::fstatvfs(&self.fd)
            .ok()
            .map(|fs| fs.f_frsize)
            .filter(|unit| (512..=1 << 20).contains(unit))
            .unwrap_or(lucent_core::wrap::DEFAULT_UNIT)
    }

    /// This directory's inode if it is the root of the sandbox.
    fn root_ino(&self) -> Option<u64> {
        *self.at_root.get_or_init(|| {
            let root = self.root?;
            let st = rustix::fs::fstat(&self.fd).ok()?;
            ((st.st_dev, st.st_ino) == root).then_some(st.st_ino)
        })
    }

    /// A directory opened beneath this one (`st`: its `stat`, where one was made), listing
    /// and withholding as this one does.
    fn child(&self, fd: OwnedFd, st: Option<&Stat>) -> HostDir {
        let pinned = match (&self.withheld, st) {
            (None, _) => false,
            (Some(withheld), Some(st)) => withheld.pins(st.st_dev, st.st_ino),
            (Some(_), None) => true,
        };
        HostDir { root: self.root, withheld: self.withheld.clone(), pinned, ..HostDir::from_fd(fd) }
    }

    /// Wraps a descriptor just opened as `options` say as a directory or a file.
    fn opened(&self, fd: OwnedFd, options: &OpenOptions) -> Result<Opened, Errno> {
        let stat = rustix::fs::fstat(&fd).map_err(from_host)?;
        Ok(match FileType::from_raw_mode(stat.st_mode) {
            FileType::Directory => {
                self.refuse_withheld(&stat)?;
                Opened::Dir(Arc::new(self.child(fd, Some(&stat))))
            }
            _ => {
                let nonblock = options.fdflags.contains(lucent_abi::Fdflags::NONBLOCK);
                Opened::File(Arc::new(HostFile::opened(fd, &stat, nonblock, options.read)))
            }
        })
    }

    /// The other directory of a two-directory operation, which must be a host directory too.
    fn same_backend(other: &dyn WasiDir) -> Result<&HostDir, Errno> {
        other.as_any().downcast_ref::<HostDir>().ok_or(Errno::Xdev)
    }
}

/// Host open flags for `options`, without `O_NOFOLLOW`. Always `O_NONBLOCK`, whatever the
/// guest asked: opening a FIFO must not wait, and reading or writing one must return
/// `EAGAIN` for the core to wait on (regular files ignore the flag).
fn open_flags(options: &OpenOptions) -> OFlags {
    let mut flags = OFlags::CLOEXEC | OFlags::NOCTTY | OFlags::NONBLOCK | oflags(options.fdflags);
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
    fn lookup(&self, name: &Component) -> Result<Found, Errno> {
        if let Some(kept) = &self.children
            && let Some(dir) = self.cached_child(kept, name)
        {
            return Ok(Found::Dir(dir));
        }
        // O_PATH: enough to look up further components, and works without read permission.
        let flags = OFlags::PATH | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        let fd = match retry(|| rustix::fs::openat(&self.fd, name.as_bytes(), flags, Mode::empty())) {
            Ok(fd) => fd,
            Err(Errno::Noent) => return Ok(Found::Nothing),
            // Not a directory: a symlink (`O_NOFOLLOW`), or something else.
            Err(Errno::Loop | Errno::Notdir) => {
                return Ok(match self.link_target(name)? {
                    Some(target) => Found::Symlink(target),
                    None => Found::File,
                });
            }
            Err(e) => return Err(e),
        };
        let st = if self.withheld.is_some() || self.children.is_some() {
            Some(rustix::fs::fstat(&fd).map_err(from_host)?)
        } else {
            None
        };
        if let Some(st) = &st {
            self.refuse_withheld(st)?;
        }
        let dir = Arc::new(self.child(fd, st.as_ref()));
        if let (Some(kept), Some(st)) = (&self.children, &st) {
            HostDir::keep_child(kept, name, &dir, st);
        }
        Ok(Found::Dir(dir))
    }

    fn open(&self, name: &Component, options: &OpenOptions) -> Result<Opened, Errno> {
        let flags = open_flags(options) | OFlags::NOFOLLOW;
        let opened =
            match retry(|| rustix::fs::openat(&self.fd, name.as_bytes(), flags, Mode::from_raw_mode(NEW_FILE_MODE))) {
                Ok(fd) => self.opened(fd, options)?,
                // A FIFO opened for writing has no reader: a blocking open would wait for one.
                Err(Errno::Nxio) if !options.fdflags.contains(lucent_abi::Fdflags::NONBLOCK) => {
                    let fifo = rustix::fs::statat(&self.fd, name.as_bytes(), AtFlags::SYMLINK_NOFOLLOW)
                        .is_ok_and(|st| FileType::from_raw_mode(st.st_mode) == FileType::Fifo);
                    return Err(if fifo { Errno::Again } else { Errno::Nxio });
                }
                // `O_NOFOLLOW` met a symlink (with `O_DIRECTORY`, the kernel says "not a
                // directory"): the resolver decides what to do with it.
                Err(e @ (Errno::Loop | Errno::Notdir)) => {
                    return match self.link_target(name)? {
                        Some(target) => Ok(Opened::Symlink(target)),
                        None => Err(e),
                    };
                }
                Err(e) => return Err(e),
            };
        Ok(opened)
    }

    fn open_beneath(&self, path: &[u8], follow: bool, options: &OpenOptions) -> Option<Result<Opened, Errno>> {
        if self.pinned {
            return None;
        }
        let mut flags = open_flags(options);
        if !follow {
            flags |= OFlags::NOFOLLOW;
        }
        // NO_XDEV: a path that crosses a mount (where a withheld directory may be bound)
        // takes the walk, which checks every directory it enters.
        let resolve = ResolveFlags::BENEATH | ResolveFlags::NO_MAGICLINKS | ResolveFlags::NO_XDEV;
        // openat2 refuses a mode without O_CREAT.
        let mode = if options.create { Mode::from_raw_mode(NEW_FILE_MODE) } else { Mode::empty() };
        match rustix::fs::openat2(&self.fd, path, flags, mode, resolve) {
            Ok(fd) => Some(self.opened(fd, options)),
            // An escape attempt (`..` above this directory, an absolute symlink) or a mount
            // crossed; no openat2 on this kernel (or a seccomp filter refusing it with EPERM),
            // a concurrent rename the kernel wants retried, or a path at the kernel's PATH_MAX
            // (which counts the NUL): the walk handles them all, with the real errno (`perm`
            // for an escape).
            Err(
                rustix::io::Errno::XDEV
                | rustix::io::Errno::NXIO
                | rustix::io::Errno::NOSYS
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
        // Lucent opens everything `O_NONBLOCK`; a directory has no use for the flag, and the
        // guest did not ask for it.
        let known = fdflags(rustix::fd::AsFd::as_fd(&self.fd))?.difference(Fdflags::NONBLOCK);
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
        self.refuse_pinned(name)?;
        let removed = rustix::fs::unlinkat(&self.fd, name.as_bytes(), AtFlags::REMOVEDIR).map_err(from_host);
        self.forget_child(name);
        removed
    }

    fn unlink_file(&self, name: &Component) -> Result<(), Errno> {
        self.refuse_pinned(name)?;
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
        // A pinned directory or symlink stays where it is, and is not replaced: moved, its
        // path could be given to a directory of the guest's making.
        self.refuse_pinned(name)?;
        new_dir.refuse_pinned(new_name)?;
        let renamed =
            rustix::fs::renameat(&self.fd, name.as_bytes(), &new_dir.fd, new_name.as_bytes()).map_err(from_host);
        self.forget_child(name);
        new_dir.forget_child(new_name);
        renamed
    }

    fn read_dir(&self, cookie: u64, each: &mut dyn FnMut(&DirEntry, u64) -> bool) -> Result<(), Errno> {
        let _listing = self.listing.lock().unwrap_or_else(PoisonError::into_inner);
        listing::stream(self.fd.as_fd(), cookie, self.root_ino(), each)
    }

    fn sync(&self) -> Result<(), Errno> {
        retry(|| rustix::fs::fsync(&self.fd))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lucent_core::path::{Follow, Step, resolve};
    use std::os::unix::fs::symlink;

    /// `root/sandbox` preopened, with `sandbox/a/x`, and `root/outside/x` beside it.
    fn sandbox() -> (tempfile::TempDir, Arc<dyn WasiDir>) {
        let root = tempfile::tempdir().unwrap();
        let s = root.path().join("sandbox");
        std::fs::create_dir_all(s.join("a")).unwrap();
        std::fs::create_dir_all(root.path().join("outside")).unwrap();
        std::fs::write(s.join("a/x"), "inside").unwrap();
        std::fs::write(root.path().join("outside/x"), "outside").unwrap();
        let dir: Arc<dyn WasiDir> = Arc::new(HostDir::open_ambient(&s).unwrap());
        (root, dir)
    }

    fn stat(dir: &Arc<dyn WasiDir>, path: &str) -> Result<Filestat, Errno> {
        resolve(dir, path.as_bytes(), Follow::Never, |t| t.dir.stat_at(t.name).map(Step::Done))
    }

    fn kept(dir: &Arc<dyn WasiDir>) -> Vec<Vec<u8>> {
        let host = dir.as_any().downcast_ref::<HostDir>().unwrap();
        let cache = host.children.as_ref().unwrap().entries.lock().unwrap();
        cache.iter().map(|c| c.name.clone()).collect()
    }

    #[test]
    fn a_kept_directory_replaced_by_an_escaping_symlink_is_not_used() {
        let (root, dir) = sandbox();
        let s = root.path().join("sandbox");
        assert_eq!(stat(&dir, "a/x").unwrap().size, 6);
        assert_eq!(kept(&dir), [b"a".to_vec()]);
        std::fs::rename(s.join("a"), s.join("b")).unwrap();
        symlink("../outside", s.join("a")).unwrap();
        assert_eq!(stat(&dir, "a/x"), Err(Errno::Perm));
        assert!(kept(&dir).is_empty());
    }

    #[test]
    fn a_name_given_to_another_directory_reaches_the_new_one() {
        let (root, dir) = sandbox();
        let s = root.path().join("sandbox");
        assert!(stat(&dir, "a/x").is_ok());
        std::fs::rename(s.join("a"), s.join("b")).unwrap();
        std::fs::create_dir(s.join("a")).unwrap();
        std::fs::write(s.join("a/y"), "y").unwrap();
        assert_eq!(stat(&dir, "a/x"), Err(Errno::Noent));
        assert_eq!(stat(&dir, "a/y").unwrap().size, 1);
        assert_eq!(stat(&dir, "b/x").unwrap().size, 6);
        std::fs::remove_dir_all(s.join("a")).unwrap();
        assert_eq!(stat(&dir, "a/y"), Err(Errno::Noent));
    }

    #[test]
    fn a_preopen_keeps_a_few_directories_and_others_keep_none() {
        let (root, dir) = sandbox();
        let s = root.path().join("sandbox");
        for i in 0..20 {
            std::fs::create_dir_all(s.join(format!("d{i}/e"))).unwrap();
            assert!(stat(&dir, &format!("d{i}/e/.")).is_ok());
        }
        let names = kept(&dir);
        assert_eq!(names.len(), CACHED_CHILDREN);
        assert_eq!(names.last().unwrap(), b"d19");
        // The directories opened beneath keep nothing, so deep walks hold no descriptors.
        let Ok(Found::Dir(child)) = dir.lookup(&Component::new(b"d19").unwrap()) else { panic!("d19") };
        assert!(child.as_any().downcast_ref::<HostDir>().unwrap().children.is_none());
    }

    #[test]
    fn the_least_recently_used_directory_goes_first() {
        let (root, dir) = sandbox();
        let s = root.path().join("sandbox");
        for i in 0..8 {
            std::fs::create_dir(s.join(format!("d{i}"))).unwrap();
        }
        assert!(stat(&dir, "a/x").is_ok());
        for i in 0..7 {
            assert!(stat(&dir, &format!("d{i}/.")).is_ok());
        }
        assert!(stat(&dir, "a/x").is_ok());
        assert!(stat(&dir, "d7/.").is_ok());
        let names = kept(&dir);
        assert!(names.contains(&b"a".to_vec()) && !names.contains(&b"d0".to_vec()), "{names:?}");
    }

    #[test]
    fn removing_or_renaming_a_kept_directory_lets_it_go() {
        let (root, dir) = sandbox();
        let s = root.path().join("sandbox");
        std::fs::create_dir(s.join("e")).unwrap();
        assert!(stat(&dir, "e/.").is_ok() && stat(&dir, "a/x").is_ok());
        dir.remove_dir(&Component::new(b"e").unwrap()).unwrap();
        assert_eq!(kept(&dir), [b"a".to_vec()]);
        dir.rename(&Component::new(b"a").unwrap(), &*dir, &Component::new(b"b").unwrap()).unwrap();
        assert!(kept(&dir).is_empty());
    }

    #[test]
    fn only_directories_on_the_preopens_filesystem_are_kept() {
        // /proc's inode numbers are not in the list of stable ones: nothing is kept.
        let proc = HostDir::open_ambient(Path::new("/proc")).unwrap();
        assert!(proc.children.is_none());
        // /dev/shm is usually a mount of its own beneath /dev: walking into it keeps nothing.
        let (Ok(dev), Ok(shm)) = (std::fs::metadata("/dev"), std::fs::metadata("/dev/shm")) else { return };
        let dev_dir: Arc<dyn WasiDir> = Arc::new(HostDir::open_ambient(Path::new("/dev")).unwrap());
        if std::os::unix::fs::MetadataExt::dev(&dev) != std::os::unix::fs::MetadataExt::dev(&shm)
            && dev_dir.as_any().downcast_ref::<HostDir>().unwrap().children.is_some()
        {
            assert!(stat(&dev_dir, "shm/.").is_ok());
            assert!(kept(&dev_dir).is_empty());
        }
    }

    /// `root/home` preopened with `home/.cache/lucent` withheld (holding `key` and
    /// `modules/`), `home/other/x` beside it, and `home/link -> .cache/lucent`.
    fn withheld_home() -> (tempfile::TempDir, Arc<dyn WasiDir>) {
        let root = tempfile::tempdir().unwrap();
        let home = root.path().join("home");
        let cache = home.join(".cache/lucent");
        std::fs::create_dir_all(cache.join("modules")).unwrap();
        std::fs::write(cache.join("key"), "secret").unwrap();
        std::fs::create_dir_all(home.join("other")).unwrap();
        std::fs::write(home.join("other/x"), "x").unwrap();
        symlink(".cache/lucent", home.join("link")).unwrap();
        let mut withheld = Withheld::new();
        withheld.withhold(&cache, "the cache").unwrap();
        let dir = HostDir::open_ambient(&home).unwrap().withholding(Arc::new(withheld)).unwrap();
        (root, Arc::new(dir))
    }

    fn open_path(dir: &Arc<dyn WasiDir>, path: &str, directory: bool) -> Result<Opened, Errno> {
        let options = OpenOptions { read: true, directory, ..OpenOptions::default() };
        lucent_core::path::open(dir, path.as_bytes(), true, &options)
    }

    #[test]
    fn no_path_enters_a_withheld_directory() {
        let (_root, home) = withheld_home();
        for path in [".cache/lucent/key", ".cache/lucent/modules/.", "link/key", "other/../.cache/lucent/key"] {
            assert_eq!(open_path(&home, path, false).err(), Some(Errno::Acces), "{path}");
            assert_eq!(stat(&home, path).err(), Some(Errno::Acces), "{path}");
        }
        for path in [".cache/lucent", "link", ".cache/lucent/", "link/."] {
            assert_eq!(open_path(&home, path, true).err(), Some(Errno::Acces), "{path}");
        }
        // Around it, everything works (and the walk is the one used above the cache).
        assert!(open_path(&home, "other/x", false).is_ok());
        assert!(open_path(&home, ".cache", true).is_ok());
        assert!(stat(&home, ".cache/lucent").is_ok());
        let host = home.as_any().downcast_ref::<HostDir>().unwrap();
        assert!(host.pinned);
        let Ok(Opened::Dir(other)) = open_path(&home, "other", true) else { panic!("open other") };
        assert!(!other.as_any().downcast_ref::<HostDir>().unwrap().pinned);
        let Ok(Opened::Dir(cache_parent)) = open_path(&home, ".cache", true) else { panic!("open .cache") };
        assert_eq!(cache_parent.lookup(&Component::new(b"lucent").unwrap()).err(), Some(Errno::Acces));
    }

    #[test]
    fn directories_above_a_withheld_one_cannot_be_renamed() {
        let (root, home) = withheld_home();
        let name = |n: &[u8]| Component::new(n).unwrap();
        assert_eq!(home.rename(&name(b".cache"), &*home, &name(b"moved")), Err(Errno::Acces));
        let Ok(Found::Dir(cache_parent)) = home.lookup(&name(b".cache")) else { panic!(".cache") };
        assert_eq!(cache_parent.rename(&name(b"lucent"), &*home, &name(b"moved")), Err(Errno::Acces));
        assert!(root.path().join("home/.cache/lucent/key").exists());
        // Others can.
        assert_eq!(home.rename(&name(b"other"), &*home, &name(b"moved")), Ok(()));
    }

    #[test]
    fn a_withheld_directory_or_one_inside_it_is_never_a_preopen() {
        let (root, _home) = withheld_home();
        let cache = root.path().join("home/.cache/lucent");
        let mut withheld = Withheld::new();
        withheld.withhold(&cache, "the cache").unwrap();
        let withheld = Arc::new(withheld);
        for dir in [cache.clone(), cache.join("modules")] {
            let refused = HostDir::open_ambient(&dir).unwrap().withholding(withheld.clone());
            assert_eq!(refused.err().map(|e| e.kind()), Some(std::io::ErrorKind::PermissionDenied), "{dir:?}");
        }
        assert!(HostDir::open_ambient(root.path()).unwrap().withholding(withheld).is_ok());
    }

    /// Listed entries: name to inode.
    fn listing(dir: &dyn WasiDir) -> std::collections::HashMap<Vec<u8>, u64> {
        let mut names = std::collections::HashMap::new();
        dir.read_dir(0, &mut |e, _| {
            names.insert(e.name.clone(), e.ino);
            true
        })
        .unwrap();
        names
    }

    #[test]
    fn dot_dot_at_the_sandbox_root_is_the_root_itself() {
        let (root, dir) = sandbox();
        let parent_ino = std::os::unix::fs::MetadataExt::ino(&std::fs::metadata(root.path()).unwrap());
        let top = listing(&*dir);
        assert_eq!(top[&b"..".to_vec()], top[&b".".to_vec()]);
        assert_ne!(top[&b"..".to_vec()], parent_ino);
        // The same directory opened again through the sandbox hides its parent too.
        let options = OpenOptions { directory: true, read: true, ..OpenOptions::default() };
        let Ok(Opened::Dir(again)) = dir.open(&Component::dot(), &options) else { panic!("open .") };
        assert_eq!(listing(&*again)[&b"..".to_vec()], top[&b".".to_vec()]);
        // Beneath the root, `..` is the real parent.
        let Ok(Opened::Dir(a)) = dir.open(&Component::new(b"a").unwrap(), &options) else { panic!("open a") };
        assert_eq!(listing(&*a)[&b"..".to_vec()], top[&b".".to_vec()]);
        assert_ne!(listing(&*a)[&b".".to_vec()], top[&b".".to_vec()]);
    }
}
