//! Disk quotas on writable mounts: a cap on the bytes the guest adds through one preopen.

use lucent_abi::Errno;
use std::sync::atomic::{AtomicU64, Ordering};

/// The bytes a guest may still add beneath one mount. Every file opened beneath the mount
/// shares it. It counts bytes added (writes past the end, `fd_allocate`,
/// `fd_filestat_set_size` growing a file); deleting or shrinking files does not give any back.
#[derive(Debug)]
pub struct Quota {
    limit: u64,
    used: AtomicU64,
}

impl Quota {
    /// A quota of `limit` bytes.
    pub fn new(limit: u64) -> Self {
        Quota { limit, used: AtomicU64::new(0) }
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

    /// Gives back `bytes` charged for a write that wrote less than asked.
    pub fn refund(&self, bytes: u64) {
        let _ = self.used.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |used| Some(used.saturating_sub(bytes)));
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
}
