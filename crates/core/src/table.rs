//! The descriptor table: numbers the guest sees, mapped to open objects and their rights.
//!
//! New descriptors take the lowest free number, as POSIX `open` does. Entries are `Arc`s
//! behind a lock, so one table can later be shared by several guest threads: a hostcall takes
//! its own reference and releases the lock before doing any I/O.

use crate::fs::{WasiDir, WasiFile};
use crate::rights::FdRights;
use lucent_abi::{Errno, Fd, Rights};
use std::collections::BTreeSet;
use std::sync::{Arc, PoisonError, RwLock};

/// Default ceiling on open descriptors per context.
pub const DEFAULT_MAX_FDS: u32 = 1024;

/// What a descriptor refers to.
#[derive(Debug, Clone)]
pub enum Object {
    /// A file-like object.
    File(Arc<dyn WasiFile>),
    /// A directory.
    Dir(Arc<dyn WasiDir>),
}

/// One open descriptor.
#[derive(Debug, Clone)]
pub struct Descriptor {
    /// The object.
    pub object: Object,
    /// Its rights.
    pub rights: FdRights,
    /// For a preopened directory, the name the guest sees (`fd_prestat_dir_name`).
    pub preopen: Option<Vec<u8>>,
}

impl Descriptor {
    /// Checks the descriptor holds `required` base rights.
    ///
    /// # Errors
    ///
    /// `Notcapable` if one is missing.
    pub fn require(&self, required: Rights) -> Result<&Self, Errno> {
        self.rights.require(required)?;
        Ok(self)
    }

    /// The file, for file operations.
    ///
    /// # Errors
    ///
    /// `Isdir` if it is a directory.
    pub fn file(&self) -> Result<&Arc<dyn WasiFile>, Errno> {
        match &self.object {
            Object::File(f) => Ok(f),
            Object::Dir(_) => Err(Errno::Isdir),
        }
    }

    /// The directory, for path operations.
    ///
    /// # Errors
    ///
    /// `Notdir` if it is not a directory.
    pub fn dir(&self) -> Result<&Arc<dyn WasiDir>, Errno> {
        match &self.object {
            Object::Dir(d) => Ok(d),
            Object::File(_) => Err(Errno::Notdir),
        }
    }
}

/// Records that slot `index` (number `fd`), already emptied, is free. Trailing free slots are
/// dropped so the free set stays small.
fn release(slots: &mut Slots, index: usize, fd: Fd) {
    while slots.entries.last().is_some_and(Option::is_none) {
        slots.entries.pop();
        let len = u32::try_from(slots.entries.len()).unwrap_or(u32::MAX);
        slots.free.remove(&len);
    }
    if index < slots.entries.len() {
        slots.free.insert(fd);
    }
}

#[derive(Debug, Default)]
struct Slots {
    entries: Vec<Option<Arc<Descriptor>>>,
    /// Numbers below `entries.len()` that are free.
    free: BTreeSet<u32>,
}

/// The descriptor table of one context.
#[derive(Debug)]
pub struct FdTable {
    slots: RwLock<Slots>,
    max: u32,
}

impl Default for FdTable {
    fn default() -> Self {
        FdTable::new(DEFAULT_MAX_FDS)
    }
}

impl FdTable {
    /// An empty table that holds at most `max` descriptors.
    pub fn new(max: u32) -> Self {
        FdTable { slots: RwLock::default(), max }
    }

    /// The descriptor `fd`.
    ///
    /// # Errors
    ///
    /// `Badf` if `fd` is not open.
    pub fn get(&self, fd: Fd) -> Result<Arc<Descriptor>, Errno> {
        let slots = self.slots.read().unwrap_or_else(PoisonError::into_inner);
        let index = usize::try_from(fd).map_err(|_| Errno::Badf)?;
        slots.entries.get(index).and_then(Option::clone).ok_or(Errno::Badf)
    }

    /// Adds `descriptor` at the lowest free number.
    ///
    /// # Errors
    ///
    /// `Nfile` if the table is full.
    pub fn insert(&self, descriptor: Descriptor) -> Result<Fd, Errno> {
        let mut slots = self.slots.write().unwrap_or_else(PoisonError::into_inner);
        let entry = Some(Arc::new(descriptor));
        if let Some(fd) = slots.free.pop_first()
            && let Some(slot) = usize::try_from(fd).ok().and_then(|i| slots.entries.get_mut(i))
        {
            *slot = entry;
            return Ok(fd);
        }
        let fd = u32::try_from(slots.entries.len()).map_err(|_| Errno::Nfile)?;
        if fd >= self.max {
            return Err(Errno::Nfile);
        }
        slots.entries.push(entry);
        Ok(fd)
    }

    /// Replaces the descriptor at `fd` with what `change` makes of it, in one step: no other
    /// change to `fd` (a close, a renumbering onto it) can come between reading the old
    /// descriptor and storing the new one.
    ///
    /// # Errors
    ///
    /// `Badf` if `fd` is not open; whatever `change` returns (then nothing changes).
    pub fn update(&self, fd: Fd, change: impl FnOnce(&Descriptor) -> Result<Descriptor, Errno>) -> Result<(), Errno> {
        let mut slots = self.slots.write().unwrap_or_else(PoisonError::into_inner);
        let index = usize::try_from(fd).map_err(|_| Errno::Badf)?;
        match slots.entries.get_mut(index) {
            Some(Some(slot)) => {
                *slot = Arc::new(change(slot)?);
                Ok(())
            }
            _ => Err(Errno::Badf),
        }
    }

    /// Removes `fd`, returning its descriptor. The object closes when its last user lets go.
    ///
    /// # Errors
    ///
    /// `Badf` if `fd` is not open.
    pub fn remove(&self, fd: Fd) -> Result<Arc<Descriptor>, Errno> {
        let mut slots = self.slots.write().unwrap_or_else(PoisonError::into_inner);
        let index = usize::try_from(fd).map_err(|_| Errno::Badf)?;
        let removed = slots.entries.get_mut(index).and_then(Option::take).ok_or(Errno::Badf)?;
        release(&mut slots, index, fd);
        Ok(removed)
    }

    /// Moves descriptor `from` to number `to`, closing what `to` held (`fd_renumber`). Both
    /// must be open; renumbering a descriptor onto itself changes nothing.
    ///
    /// # Errors
    ///
    /// `Badf` if either is not open.
    pub fn renumber(&self, from: Fd, to: Fd) -> Result<(), Errno> {
        let mut slots = self.slots.write().unwrap_or_else(PoisonError::into_inner);
        let (Ok(from_i), Ok(to_i)) = (usize::try_from(from), usize::try_from(to)) else {
            return Err(Errno::Badf);
        };
        if !slots.entries.get(from_i).is_some_and(Option::is_some)
            || !slots.entries.get(to_i).is_some_and(Option::is_some)
        {
            return Err(Errno::Badf);
        }
        if from == to {
            return Ok(());
        }
        let moved = slots.entries.get_mut(from_i).and_then(Option::take);
        if let Some(slot) = slots.entries.get_mut(to_i) {
            // The replaced descriptor's object closes when this last reference drops.
            *slot = moved;
        }
        release(&mut slots, from_i, from);
        Ok(())
    }

    /// How many descriptors are open.
    pub fn len(&self) -> usize {
        let slots = self.slots.read().unwrap_or_else(PoisonError::into_inner);
        // `free` only holds numbers below `entries.len()`.
        slots.entries.len().saturating_sub(slots.free.len())
    }

    /// Whether no descriptor is open.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fs::NullFile;

    fn file() -> Descriptor {
        Descriptor {
            object: Object::File(Arc::new(NullFile)),
            rights: FdRights::new(Rights::FD_READ, Rights::empty()),
            preopen: None,
        }
    }

    #[test]
    fn lowest_free_number_is_reused() {
        let table = FdTable::new(16);
        for expected in 0..5 {
            assert_eq!(table.insert(file()), Ok(expected));
        }
        table.remove(1).unwrap();
        table.remove(3).unwrap();
        assert_eq!(table.insert(file()), Ok(1));
        assert_eq!(table.insert(file()), Ok(3));
        assert_eq!(table.insert(file()), Ok(5));
        assert_eq!(table.len(), 6);
    }

    #[test]
    fn closed_and_unknown_numbers_are_badf() {
        let table = FdTable::new(16);
        assert_eq!(table.get(0).err(), Some(Errno::Badf));
        assert_eq!(table.insert(file()), Ok(0));
        assert_eq!(table.remove(0).err(), None);
        assert_eq!(table.remove(0).err(), Some(Errno::Badf));
        assert_eq!(table.get(u32::MAX).err(), Some(Errno::Badf));
        assert!(table.is_empty());
        assert_eq!(table.insert(file()), Ok(0));
    }

    #[test]
    fn a_full_table_refuses_with_nfile() {
        let table = FdTable::new(2);
        table.insert(file()).unwrap();
        table.insert(file()).unwrap();
        assert_eq!(table.insert(file()), Err(Errno::Nfile));
        table.remove(0).unwrap();
        assert_eq!(table.insert(file()), Ok(0));
    }

    #[test]
    fn trailing_removals_shrink_and_keep_the_free_set_consistent() {
        let table = FdTable::new(16);
        for _ in 0..4 {
            table.insert(file()).unwrap();
        }
        table.remove(2).unwrap();
        table.remove(3).unwrap();
        assert_eq!(table.insert(file()), Ok(2));
        assert_eq!(table.insert(file()), Ok(3));
        assert_eq!(table.insert(file()), Ok(4));
    }

    #[test]
    fn renumber_moves_and_closes() {
        let table = FdTable::new(16);
        for _ in 0..4 {
            table.insert(file()).unwrap();
        }
        let moved = table.get(3).unwrap();
        assert_eq!(table.renumber(3, 1), Ok(()));
        assert!(Arc::ptr_eq(&table.get(1).unwrap(), &moved));
        assert_eq!(table.get(3).err(), Some(Errno::Badf));
        assert_eq!(table.len(), 3);
        // Onto itself: nothing changes; onto or from a closed number: badf.
        assert_eq!(table.renumber(1, 1), Ok(()));
        assert_eq!(table.renumber(1, 3), Err(Errno::Badf));
        assert_eq!(table.renumber(3, 1), Err(Errno::Badf));
        assert_eq!(table.renumber(1, 1), Ok(()));
        assert_eq!(table.insert(file()), Ok(3));
        // A freed middle slot is reused.
        assert_eq!(table.renumber(0, 2), Ok(()));
        assert_eq!(table.insert(file()), Ok(0));
    }

    #[test]
    fn table_is_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<FdTable>();
    }
}
