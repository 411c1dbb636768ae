//! Quotas on writable mounts: a cap on what the guest adds through one preopen, on any
//! backend.
//!
//! What a quota counts, all of it before the operation runs (so a refused operation changes
//! nothing):
//!
//! - **file data**, in the filesystem's allocation unit (`f_frsize`, usually 4 KiB): growing a
//!   file from `a` to `b` bytes (a write past the end, `fd_allocate`, `fd_filestat_set_size`)
//!   costs `units(b) - units(a)` units, whether or not the range is sparse;
//! - **every new name** (a created file, directory or symlink, a hard link) costs
//!   [`ENTRY_BYTES`] plus the length of the name: an inode and a directory entry;
//! - **a directory** costs one unit more (its first block);
//! - **a symlink** costs its target, in units.
//!
//! Renaming or linking between mounts with different quotas is refused with `xdev` (as
//! between file systems: programs copy instead, and the copy is charged). Nothing is given
//! back: deleting or shrinking files does not free quota. A quota caps what the guest can make
//! the host store, it is not an account of what is stored.

use crate::env::Interest;
use crate::fs::{DirEntry, Found, OpenOptions, Opened, Readiness, SetTime, WasiDir, WasiFile};
use crate::path::Component;
use lucent_abi::{Advice, Errno, Fdflags, Filestat, Filetype, Riflags, Roflags, Sdflags, Whence};
use std::any::Any;
use std::io::{IoSlice, IoSliceMut};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// What a new name costs besides its length: an inode (ext4's default size).
pub const ENTRY_BYTES: u64 = 256;

/// The allocation unit assumed when the file system does not say.
pub const DEFAULT_UNIT: u64 = 4096;

/// The bytes a guest may still add beneath one mount. Every file and directory opened
/// beneath the mount shares it.
#[derive(Debug)]
pub struct Quota {
    limit: u64,
    used: AtomicU64,
    /// The file system's allocation unit.
    unit: u64,
}

impl Quota {
    /// A quota of `limit` bytes, counting file data in units of [`DEFAULT_UNIT`].
    pub fn new(limit: u64) -> Self {
        Quota::with_unit(limit, DEFAULT_UNIT)
    }

    /// A quota of `limit` bytes on a file system that allocates in units of `unit` bytes.
    pub fn with_unit(limit: u64, unit: u64) -> Self {
        Quota { limit, used: AtomicU64::new(0), unit: unit.max(1) }
    }

    /// The allocation unit.
    pub fn unit(&self) -> u64 {
        self.unit
    }

    /// `bytes` rounded up to whole units.
    fn units(&self, bytes: u64) -> u64 {
        bytes.checked_next_multiple_of(self.unit).unwrap_or(u64::MAX)
    }

    /// Takes `bytes` from the quota.
    ///
    /// # Errors
    ///
    /// `Dquot` if fewer are left; nothing is taken then.
    pub fn charge(&self, bytes: u64) -> Result<(), Errno> {
        if bytes == 0 {
            return Ok(());
        }
        self.used
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |used| {
                used.checked_add(bytes).filter(|total| *total <= self.limit)
            })
            .map(drop)
            .map_err(|_| Errno::Dquot)
    }

    /// Gives back `bytes` charged for something that did not happen.
    pub fn refund(&self, bytes: u64) {
        let _ = self.used.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |used| Some(used.saturating_sub(bytes)));
    }

    /// What growing a file from `from` to `to` bytes costs (0 if it does not grow).
    pub fn growth(&self, from: u64, to: u64) -> u64 {
        self.units(to).saturating_sub(self.units(from))
    }

    /// What a new name of `name_len` bytes costs.
    pub fn entry(&self, name_len: usize) -> u64 {
        ENTRY_BYTES.saturating_add(u64::try_from(name_len).unwrap_or(u64::MAX))
    }

    /// What a new directory named with `name_len` bytes costs: the name and a first block.
    pub fn directory(&self, name_len: usize) -> u64 {
        self.entry(name_len).saturating_add(self.unit)
    }

    /// What a new symlink costs: the name and the target, in units.
    pub fn symlink(&self, name_len: usize, target_len: usize) -> u64 {
        self.entry(name_len).saturating_add(self.units(u64::try_from(target_len).unwrap_or(u64::MAX)))
    }

    /// Bytes added so far.
    pub fn used(&self) -> u64 {
        self.used.load(Ordering::SeqCst)
    }
}

/// A directory whose every addition is charged to a [`Quota`] first (see the module's
/// documentation for what each costs); past it the call fails with `Dquot`, changing nothing.
/// Everything opened beneath shares the quota; renames and links to a directory without the
/// same quota are `Xdev`.
#[derive(Debug)]
pub struct QuotaDir {
    inner: Arc<dyn WasiDir>,
    quota: Arc<Quota>,
}

impl QuotaDir {
    /// `dir` with `quota`.
    pub fn new(dir: Arc<dyn WasiDir>, quota: Arc<Quota>) -> QuotaDir {
        QuotaDir { inner: dir, quota }
    }

    /// The quota.
    pub fn quota(&self) -> &Arc<Quota> {
        &self.quota
    }

    fn wrap(&self, opened: Opened) -> Opened {
        match opened {
            Opened::Dir(dir) => Opened::Dir(Arc::new(QuotaDir::new(dir, self.quota.clone()))),
            Opened::File(file) => Opened::File(Arc::new(QuotaFile { inner: file, quota: self.quota.clone() })),
            symlink @ Opened::Symlink(_) => symlink,
        }
    }

    /// Runs `op`, which adds something costing `cost`, charged first and given back if it
    /// fails.
    fn charging<R>(&self, cost: u64, op: impl FnOnce() -> Result<R, Errno>) -> Result<R, Errno> {
        self.quota.charge(cost)?;
        op().inspect_err(|_| self.quota.refund(cost))
    }

    /// The other directory of a `link` or `rename`, unwrapped, if it shares this quota.
    fn same_quota<'a>(&self, other: &'a dyn WasiDir) -> Result<&'a dyn WasiDir, Errno> {
        match other.as_any().downcast_ref::<QuotaDir>() {
            Some(dir) if Arc::ptr_eq(&dir.quota, &self.quota) => Ok(dir.inner.as_ref()),
            _ => Err(Errno::Xdev),
        }
    }
}

impl WasiDir for QuotaDir {
    fn lookup(&self, name: &Component) -> Result<Found, Errno> {
        Ok(match self.inner.lookup(name)? {
            Found::Dir(dir) => Found::Dir(Arc::new(QuotaDir::new(dir, self.quota.clone()))),
            found => found,
        })
    }

    /// A new name costs quota: it is created exclusively, charged first; what was already
    /// there is then opened as without `create`, as `O_CREAT` would have.
    fn open(&self, name: &Component, options: &OpenOptions) -> Result<Opened, Errno> {
        if !options.create || name.is_dot() {
            return self.inner.open(name, options).map(|o| self.wrap(o));
        }
        let exclusive = OpenOptions { exclusive: true, ..*options };
        let created = self.charging(self.quota.entry(name.as_bytes().len()), || self.inner.open(name, &exclusive));
        match created {
            Ok(opened) => return Ok(self.wrap(opened)),
            Err(Errno::Exist) => {}
            // No room for a new name: fine only if the name is there already.
            Err(Errno::Dquot) if !matches!(self.inner.lookup(name)?, Found::Nothing) => {}
            Err(e) => return Err(e),
        }
        if options.exclusive {
            return Err(Errno::Exist);
        }
        match self.inner.open(name, &OpenOptions { create: false, ..*options })? {
            // `O_CREAT` on an existing directory is `EISDIR`, quota or not.
            Opened::Dir(_) => Err(Errno::Isdir),
            opened => Ok(self.wrap(opened)),
        }
    }

    /// The one-step open cannot charge a new name: with `create`, the resolver walks.
    fn open_beneath(&self, path: &[u8], follow: bool, options: &OpenOptions) -> Option<Result<Opened, Errno>> {
        if options.create {
            return None;
        }
        Some(self.inner.open_beneath(path, follow, options)?.map(|o| self.wrap(o)))
    }

    fn read_link(&self, name: &Component) -> Result<Vec<u8>, Errno> {
        self.inner.read_link(name)
    }

    fn fdflags(&self) -> Result<Fdflags, Errno> {
        self.inner.fdflags()
    }

    fn as_any(&self) -> &dyn Any {
        self
    }

    fn filestat(&self) -> Result<Filestat, Errno> {
        self.inner.filestat()
    }

    fn stat_at(&self, name: &Component) -> Result<Filestat, Errno> {
        self.inner.stat_at(name)
    }

    fn set_times_at(&self, name: &Component, atim: SetTime, mtim: SetTime) -> Result<(), Errno> {
        self.inner.set_times_at(name, atim, mtim)
    }

    fn set_times(&self, atim: SetTime, mtim: SetTime) -> Result<(), Errno> {
        self.inner.set_times(atim, mtim)
    }

    fn create_dir(&self, name: &Component) -> Result<(), Errno> {
        self.charging(self.quota.directory(name.as_bytes().len()), || self.inner.create_dir(name))
    }

    fn remove_dir(&self, name: &Component) -> Result<(), Errno> {
        self.inner.remove_dir(name)
    }

    fn unlink_file(&self, name: &Component) -> Result<(), Errno> {
        self.inner.unlink_file(name)
    }

    fn symlink(&self, target: &[u8], name: &Component) -> Result<(), Errno> {
        self.charging(self.quota.symlink(name.as_bytes().len(), target.len()), || self.inner.symlink(target, name))
    }

    fn link(&self, name: &Component, new_dir: &dyn WasiDir, new_name: &Component) -> Result<(), Errno> {
        let new_dir = self.same_quota(new_dir)?;
        self.charging(self.quota.entry(new_name.as_bytes().len()), || self.inner.link(name, new_dir, new_name))
    }

    fn rename(&self, name: &Component, new_dir: &dyn WasiDir, new_name: &Component) -> Result<(), Errno> {
        let new_dir = self.same_quota(new_dir)?;
        self.inner.rename(name, new_dir, new_name)
    }

    fn read_dir(&self, cookie: u64, each: &mut dyn FnMut(&DirEntry, u64) -> bool) -> Result<(), Errno> {
        self.inner.read_dir(cookie, each)
    }

    fn sync(&self) -> Result<(), Errno> {
        self.inner.sync()
    }
}

/// A file opened beneath a [`QuotaDir`]: growing it is charged first, in the quota's units;
/// a short write gives back what it did not use.
#[derive(Debug)]
pub struct QuotaFile {
    inner: Arc<dyn WasiFile>,
    quota: Arc<Quota>,
}

impl QuotaFile {
    /// Runs `op`, which writes `len` bytes at `at` (`None`: the position, or the end in append
    /// mode), charging the file's growth first.
    fn charged(&self, at: Option<u64>, len: u64, op: impl FnOnce() -> Result<usize, Errno>) -> Result<usize, Errno> {
        if self.inner.filetype()? != Filetype::RegularFile {
            return op();
        }
        let size = self.inner.filestat()?.size;
        let start = match at {
            _ if self.inner.fdflags()?.contains(Fdflags::APPEND) => size,
            Some(offset) => offset,
            None => self.inner.seek(0, Whence::Cur)?,
        };
        let cost = self.quota.growth(size, start.saturating_add(len));
        self.quota.charge(cost)?;
        let result = op();
        let written = result.as_ref().map_or(0, |n| u64::try_from(*n).unwrap_or(0));
        self.quota.refund(cost.saturating_sub(self.quota.growth(size, start.saturating_add(written))));
        result
    }

    /// Runs `op`, which grows the file to `end` bytes, charged first.
    fn growing(&self, end: u64, op: impl FnOnce() -> Result<(), Errno>) -> Result<(), Errno> {
        let cost = self.quota.growth(self.inner.filestat()?.size, end);
        self.quota.charge(cost)?;
        op().inspect_err(|_| self.quota.refund(cost))
    }
}

/// The bytes in `bufs`, saturated: it only sizes the charge.
fn total(bufs: &[IoSlice<'_>]) -> u64 {
    bufs.iter().fold(0u64, |sum, b| sum.saturating_add(u64::try_from(b.len()).unwrap_or(u64::MAX)))
}

impl WasiFile for QuotaFile {
    fn as_any(&self) -> &dyn Any {
        self
    }

    fn readiness(&self, interest: Interest) -> Result<Readiness<'_>, Errno> {
        self.inner.readiness(interest)
    }

    fn filetype(&self) -> Result<Filetype, Errno> {
        self.inner.filetype()
    }

    fn fdflags(&self) -> Result<Fdflags, Errno> {
        self.inner.fdflags()
    }

    fn set_fdflags(&self, flags: Fdflags) -> Result<(), Errno> {
        self.inner.set_fdflags(flags)
    }

    fn read_vectored(&self, bufs: &mut [IoSliceMut<'_>]) -> Result<usize, Errno> {
        self.inner.read_vectored(bufs)
    }

    fn write_vectored(&self, bufs: &[IoSlice<'_>]) -> Result<usize, Errno> {
        self.charged(None, total(bufs), || self.inner.write_vectored(bufs))
    }

    fn seek(&self, offset: i64, whence: Whence) -> Result<u64, Errno> {
        self.inner.seek(offset, whence)
    }

    fn pread_vectored(&self, bufs: &mut [IoSliceMut<'_>], offset: u64) -> Result<usize, Errno> {
        self.inner.pread_vectored(bufs, offset)
    }

    fn pwrite_vectored(&self, bufs: &[IoSlice<'_>], offset: u64) -> Result<usize, Errno> {
        self.charged(Some(offset), total(bufs), || self.inner.pwrite_vectored(bufs, offset))
    }

    fn filestat(&self) -> Result<Filestat, Errno> {
        self.inner.filestat()
    }

    fn set_size(&self, size: u64) -> Result<(), Errno> {
        self.growing(size, || self.inner.set_size(size))
    }

    fn set_times(&self, atim: SetTime, mtim: SetTime) -> Result<(), Errno> {
        self.inner.set_times(atim, mtim)
    }

    fn advise(&self, offset: u64, len: u64, advice: Advice) -> Result<(), Errno> {
        self.inner.advise(offset, len, advice)
    }

    fn allocate(&self, offset: u64, len: u64) -> Result<(), Errno> {
        self.growing(offset.saturating_add(len), || self.inner.allocate(offset, len))
    }

    fn sync(&self) -> Result<(), Errno> {
        self.inner.sync()
    }

    fn datasync(&self) -> Result<(), Errno> {
        self.inner.datasync()
    }

    fn sock_accept(&self, nonblock: bool) -> Result<Arc<dyn WasiFile>, Errno> {
        self.inner.sock_accept(nonblock)
    }

    fn sock_recv(&self, bufs: &mut [IoSliceMut<'_>], flags: Riflags) -> Result<(usize, Roflags), Errno> {
        self.inner.sock_recv(bufs, flags)
    }

    fn sock_send(&self, bufs: &[IoSlice<'_>]) -> Result<usize, Errno> {
        self.inner.sock_send(bufs)
    }

    fn sock_shutdown(&self, how: Sdflags) -> Result<(), Errno> {
        self.inner.sock_shutdown(how)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charges_up_to_the_limit_and_no_further() {
        let quota = Quota::new(100);
        assert_eq!(quota.charge(60), Ok(()));
        assert_eq!(quota.charge(50), Err(Errno::Dquot));
        assert_eq!(quota.used(), 60);
        assert_eq!(quota.charge(40), Ok(()));
        assert_eq!(quota.charge(1), Err(Errno::Dquot));
        quota.refund(10);
        assert_eq!(quota.charge(10), Ok(()));
        assert_eq!(quota.charge(u64::MAX), Err(Errno::Dquot));
        assert_eq!(quota.charge(0), Ok(()));
    }

    #[test]
    fn data_counts_in_units_and_names_directories_and_symlinks_count_too() {
        let quota = Quota::with_unit(1 << 20, 4096);
        assert_eq!(quota.growth(0, 1), 4096);
        assert_eq!(quota.growth(1, 4096), 0);
        assert_eq!(quota.growth(4096, 4097), 4096);
        assert_eq!(quota.growth(10_000, 5), 0, "shrinking is free");
        assert_eq!(quota.growth(0, u64::MAX), u64::MAX);
        assert_eq!(quota.entry(5), 261);
        assert_eq!(quota.directory(1), 257 + 4096);
        assert_eq!(quota.symlink(1, 4000), 257 + 4096);
        assert_eq!(quota.symlink(1, 4097), 257 + 8192);
    }
}
