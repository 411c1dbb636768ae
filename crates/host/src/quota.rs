//! Disk quotas on writable mounts: a cap on what the guest adds to the disk through one
//! preopen.
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

use lucent_abi::Errno;
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
