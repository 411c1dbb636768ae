//! Listings sorted by name, for reproducible runs (`--deterministic`), on any backend.
//!
//! A sorted listing needs the whole directory: each descriptor keeps a snapshot, taken when
//! it is read from cookie 0, under a byte budget shared by everything beneath the preopen
//! ([`SortedBudget`]); a snapshot that does not fit is read for the call and dropped (the
//! listing is then read again at every call). A snapshot's cookies are indices: entry `i` has
//! cookie `i + 1`.

use crate::fs::{DirEntry, Found, OpenOptions, Opened, SetTime, WasiDir};
use crate::path::Component;
use lucent_abi::{Errno, Fdflags, Filestat};
use std::any::Any;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

/// What sorted snapshots beneath one preopen may hold at once, in bytes.
pub const SORTED_BUDGET_BYTES: usize = 16 << 20;

/// What an entry of a snapshot costs the budget: its name and its fixed part.
fn entry_cost(entry: &DirEntry) -> usize {
    entry.name.len().saturating_add(std::mem::size_of::<DirEntry>())
}

/// The bytes sorted snapshots beneath one preopen may hold.
#[derive(Debug)]
pub struct SortedBudget {
    limit: usize,
    used: AtomicUsize,
}

impl SortedBudget {
    /// A budget of `limit` bytes.
    pub fn new(limit: usize) -> Self {
        SortedBudget { limit, used: AtomicUsize::new(0) }
    }

    /// Bytes held now.
    pub fn used(&self) -> usize {
        self.used.load(Ordering::SeqCst)
    }
}

/// A sorted listing kept for a descriptor, its bytes charged to the budget until it goes.
#[derive(Debug)]
struct Snapshot {
    entries: Vec<DirEntry>,
    charged: usize,
    budget: Arc<SortedBudget>,
}

impl Snapshot {
    /// Keeps `entries` if the budget has room for them.
    fn keep(entries: Vec<DirEntry>, budget: &Arc<SortedBudget>) -> Result<Snapshot, Vec<DirEntry>> {
        let charged = entries.iter().fold(0usize, |total, e| total.saturating_add(entry_cost(e)));
        let taken = budget.used.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |used| {
            used.checked_add(charged).filter(|total| *total <= budget.limit)
        });
        match taken {
            Ok(_) => Ok(Snapshot { entries, charged, budget: budget.clone() }),
            Err(_) => Err(entries),
        }
    }
}

impl Drop for Snapshot {
    fn drop(&mut self) {
        let charged = self.charged;
        let _ = self.budget.used.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |u| Some(u.saturating_sub(charged)));
    }
}

/// Calls `each` with `entries` from index `cookie` on, each with the next index as its cookie.
fn replay(entries: &[DirEntry], cookie: u64, each: &mut dyn FnMut(&DirEntry, u64) -> bool) {
    let start = usize::try_from(cookie).unwrap_or(usize::MAX);
    for (index, entry) in entries.iter().enumerate().skip(start) {
        let next = u64::try_from(index).map_or(u64::MAX, |i| i.saturating_add(1));
        if !each(entry, next) {
            break;
        }
    }
}

/// A directory listed sorted by name, and every directory opened beneath it too.
#[derive(Debug)]
pub struct SortedDir {
    inner: Arc<dyn WasiDir>,
    budget: Arc<SortedBudget>,
    /// This descriptor's snapshot; its lock also serialises listings.
    kept: Mutex<Option<Snapshot>>,
}

impl SortedDir {
    /// `dir`, listed sorted, with a budget of [`SORTED_BUDGET_BYTES`] for everything beneath.
    pub fn new(dir: Arc<dyn WasiDir>) -> SortedDir {
        SortedDir::with_budget(dir, Arc::new(SortedBudget::new(SORTED_BUDGET_BYTES)))
    }

    /// `dir`, listed sorted, its snapshots charged to `budget`.
    pub fn with_budget(dir: Arc<dyn WasiDir>, budget: Arc<SortedBudget>) -> SortedDir {
        SortedDir { inner: dir, budget, kept: Mutex::new(None) }
    }

    fn beneath(&self, dir: Arc<dyn WasiDir>) -> Arc<dyn WasiDir> {
        Arc::new(SortedDir::with_budget(dir, self.budget.clone()))
    }

    fn wrap(&self, opened: Opened) -> Opened {
        match opened {
            Opened::Dir(dir) => Opened::Dir(self.beneath(dir)),
            other => other,
        }
    }

    /// The other directory of a `link` or `rename`, unwrapped, if it is sorted too.
    fn unwrap_other(other: &dyn WasiDir) -> Result<&dyn WasiDir, Errno> {
        match other.as_any().downcast_ref::<SortedDir>() {
            Some(dir) => Ok(dir.inner.as_ref()),
            None => Err(Errno::Xdev),
        }
    }

    /// Every entry, sorted by name.
    fn read_sorted(&self) -> Result<Vec<DirEntry>, Errno> {
        let mut all = Vec::new();
        self.inner.read_dir(0, &mut |entry, _| {
            all.push(entry.clone());
            true
        })?;
        all.sort_unstable_by(|a, b| a.name.cmp(&b.name));
        Ok(all)
    }
}

impl WasiDir for SortedDir {
    fn lookup(&self, name: &Component) -> Result<Found, Errno> {
        Ok(match self.inner.lookup(name)? {
            Found::Dir(dir) => Found::Dir(self.beneath(dir)),
            found => found,
        })
    }

    fn open(&self, name: &Component, options: &OpenOptions) -> Result<Opened, Errno> {
        self.inner.open(name, options).map(|o| self.wrap(o))
    }

    fn open_beneath(&self, path: &[u8], follow: bool, options: &OpenOptions) -> Option<Result<Opened, Errno>> {
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
        self.inner.create_dir(name)
    }

    fn remove_dir(&self, name: &Component) -> Result<(), Errno> {
        self.inner.remove_dir(name)
    }

    fn unlink_file(&self, name: &Component) -> Result<(), Errno> {
        self.inner.unlink_file(name)
    }

    fn symlink(&self, target: &[u8], name: &Component) -> Result<(), Errno> {
        self.inner.symlink(target, name)
    }

    fn link(&self, name: &Component, new_dir: &dyn WasiDir, new_name: &Component) -> Result<(), Errno> {
        self.inner.link(name, SortedDir::unwrap_other(new_dir)?, new_name)
    }

    fn rename(&self, name: &Component, new_dir: &dyn WasiDir, new_name: &Component) -> Result<(), Errno> {
        self.inner.rename(name, SortedDir::unwrap_other(new_dir)?, new_name)
    }

    /// From a snapshot taken at cookie 0 (or when there is none): cookies are indices.
    fn read_dir(&self, cookie: u64, each: &mut dyn FnMut(&DirEntry, u64) -> bool) -> Result<(), Errno> {
        let mut kept = self.kept.lock().unwrap_or_else(PoisonError::into_inner);
        if cookie == 0 || kept.is_none() {
            // The old snapshot's bytes go back to the budget before the new one is counted.
            *kept = None;
            match Snapshot::keep(self.read_sorted()?, &self.budget) {
                Ok(snapshot) => *kept = Some(snapshot),
                Err(entries) => {
                    replay(&entries, cookie, each);
                    return Ok(());
                }
            }
        }
        if let Some(snapshot) = kept.as_ref() {
            replay(&snapshot.entries, cookie, each);
        }
        Ok(())
    }

    fn sync(&self) -> Result<(), Errno> {
        self.inner.sync()
    }
}
