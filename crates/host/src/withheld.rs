//! Host directories no guest may enter through any preopen: Lucent's own compile cache, whose
//! files become native code in the host process.
//!
//! A directory is identified by its device and inode number, never by name, so a path that
//! reaches it another way (a preopen of one of its ancestors, a symlink, a bind mount, a
//! rename by the guest) meets the same refusal. The directories above a withheld one, and
//! every directory and symlink on the path the host named it by, are *pinned*: a guest may not
//! rename, remove or replace them, so it cannot move the withheld directory's path aside (or
//! point a symlink on it elsewhere) and have a later run put its cache where the guest can
//! reach it.

use rustix::fd::{AsFd, OwnedFd};
use rustix::fs::{Mode, OFlags};
use std::collections::{BTreeMap, BTreeSet};
use std::io;
use std::path::Path;

/// Most directories walked up from a withheld directory to the root: deeper trees are not
/// something a host chooses for its cache, and the walk must end somewhere.
const MAX_ANCESTORS: usize = 4096;

/// The set of withheld directories and the directories above them. Build it before the
/// preopens ([`crate::HostDir::withholding`]); it does not change afterwards.
///
/// ```no_run
/// use lucent_host::{HostDir, Withheld};
/// use std::sync::Arc;
///
/// let mut withheld = Withheld::new();
/// withheld.withhold("/home/me/.cache/lucent".as_ref(), "Lucent's compile cache")?;
/// let home = HostDir::open_ambient("/home/me".as_ref())?.withholding(Arc::new(withheld))?;
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug, Default, Clone)]
pub struct Withheld {
    /// Each withheld directory's device and inode, with what it is (for messages).
    dirs: BTreeMap<(u64, u64), String>,
    /// Every directory above a withheld one, and the withheld ones themselves.
    pinned: BTreeSet<(u64, u64)>,
}

/// The device and inode of an open descriptor.
fn identity(fd: impl AsFd) -> io::Result<(u64, u64)> {
    let st = rustix::fs::fstat(fd)?;
    Ok((st.st_dev, st.st_ino))
}

/// The parent of the directory `dir` (`..`, which at the root is the root itself).
fn parent(dir: &OwnedFd) -> io::Result<OwnedFd> {
    let flags = OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC;
    Ok(rustix::fs::openat(dir, "..", flags, Mode::empty())?)
}

/// Calls `each` with the identity of `dir` and of every directory above it, up to the root.
fn walk_up(dir: OwnedFd, mut each: impl FnMut((u64, u64)) -> bool) -> io::Result<()> {
    let mut current = dir;
    let mut id = identity(&current)?;
    for _ in 0..MAX_ANCESTORS {
        if !each(id) {
            return Ok(());
        }
        let up = parent(&current)?;
        let up_id = identity(&up)?;
        if up_id == id {
            return Ok(());
        }
        (current, id) = (up, up_id);
    }
    Err(io::Error::other("the directory is too deep to walk up from"))
}

impl Withheld {
    /// An empty set: nothing withheld.
    pub fn new() -> Self {
        Withheld::default()
    }

    /// Withholds the directory at `path` (symlinks in `path` followed, as the host sees it),
    /// described as `what` in messages, and pins every directory above it and every directory
    /// and symlink on `path` itself.
    ///
    /// # Errors
    ///
    /// If `path` cannot be opened as a directory, or walking up from it fails.
    pub fn withhold(&mut self, path: &Path, what: &str) -> io::Result<()> {
        let flags = OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC;
        let dir = rustix::fs::open(path, flags, Mode::empty())?;
        self.dirs.insert(identity(&dir)?, what.to_owned());
        walk_up(dir, |id| {
            self.pinned.insert(id);
            true
        })?;
        // Each name on the path as given, and the real directories that hold it (through a
        // symlink on the path they are not the ones above the withheld directory).
        let absolute = std::path::absolute(path)?;
        for prefix in absolute.ancestors() {
            if let Ok(st) = rustix::fs::lstat(prefix) {
                self.pinned.insert((st.st_dev, st.st_ino));
            }
            if let Some(Ok(holder)) = prefix.parent().map(|p| rustix::fs::open(p, flags, Mode::empty())) {
                walk_up(holder, |id| {
                    self.pinned.insert(id);
                    true
                })?;
            }
        }
        Ok(())
    }

    /// Whether nothing is withheld.
    pub fn is_empty(&self) -> bool {
        self.dirs.is_empty()
    }

    /// Whether the directory with this device and inode is withheld.
    pub(crate) fn withholds(&self, dev: u64, ino: u64) -> bool {
        self.dirs.contains_key(&(dev, ino))
    }

    /// Whether the directory or symlink with this device and inode is withheld, lies above
    /// one, or is on the path a withheld directory was named by.
    pub(crate) fn pins(&self, dev: u64, ino: u64) -> bool {
        self.pinned.contains(&(dev, ino))
    }

    /// What withheld directory the directory `dir` is, or lies beneath, if any.
    pub(crate) fn covering(&self, dir: &OwnedFd) -> io::Result<Option<&str>> {
        let copy = rustix::io::dup(dir)?;
        let mut found = None;
        walk_up(copy, |id| {
            found = self.dirs.get(&id).map(String::as_str);
            found.is_none()
        })?;
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn open(path: &Path) -> OwnedFd {
        rustix::fs::open(path, OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC, Mode::empty()).unwrap()
    }

    #[test]
    fn a_withheld_directory_pins_its_ancestors_and_covers_its_descendants() {
        let root = tempfile::tempdir().unwrap();
        let cache = root.path().join("home/.cache/lucent");
        std::fs::create_dir_all(cache.join("modules")).unwrap();
        std::fs::create_dir_all(root.path().join("home/other")).unwrap();
        let mut withheld = Withheld::new();
        withheld.withhold(&cache, "the cache").unwrap();
        let id = |p: &Path| identity(open(p)).unwrap();
        let (dev, ino) = id(&cache);
        assert!(withheld.withholds(dev, ino) && withheld.pins(dev, ino));
        for above in ["home/.cache", "home", ""] {
            let (dev, ino) = id(&root.path().join(above));
            assert!(withheld.pins(dev, ino) && !withheld.withholds(dev, ino), "{above}");
        }
        assert!(withheld.pins(id(Path::new("/")).0, id(Path::new("/")).1));
        let (dev, ino) = id(&root.path().join("home/other"));
        assert!(!withheld.pins(dev, ino));
        assert_eq!(withheld.covering(&open(&cache.join("modules"))).unwrap(), Some("the cache"));
        assert_eq!(withheld.covering(&open(&cache)).unwrap(), Some("the cache"));
        assert_eq!(withheld.covering(&open(&root.path().join("home"))).unwrap(), None);
    }

    #[test]
    fn symlinks_on_the_named_path_and_what_holds_them_are_pinned() {
        let root = tempfile::tempdir().unwrap();
        let real = root.path().join("data/caches");
        std::fs::create_dir_all(real.join("lucent")).unwrap();
        std::fs::create_dir_all(root.path().join("home")).unwrap();
        let link = root.path().join("home/.cache");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        let mut withheld = Withheld::new();
        withheld.withhold(&link.join("lucent"), "the cache").unwrap();
        let lst = rustix::fs::lstat(&link).unwrap();
        assert!(withheld.pins(lst.st_dev, lst.st_ino), "the symlink itself");
        for dir in ["home", "data", "data/caches"] {
            let (dev, ino) = identity(open(&root.path().join(dir))).unwrap();
            assert!(withheld.pins(dev, ino), "{dir}");
        }
    }
}
