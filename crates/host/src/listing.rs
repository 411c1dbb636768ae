//! `fd_readdir` on host directories.
//!
//! A listing is streamed from the kernel (`getdents64`), and its cookies are the kernel's own
//! (`d_off`, which `lseek` takes back), so a call costs one buffer of [`BUFFER_BYTES`] and
//! reads only from where the guest asks: no copy of the directory is kept per descriptor, and
//! reading a directory through is linear. Sorted listings (deterministic runs) need the whole
//! directory; each descriptor keeps a snapshot, under a byte budget shared by everything
//! beneath the preopen ([`SortedBudget`]): a snapshot that does not fit is read for the call
//! and dropped.

use crate::errno::{from_host, retry};
use crate::file::filetype;
use lucent_abi::{Errno, Filetype};
use lucent_core::fs::DirEntry;
use rustix::fd::{AsFd, BorrowedFd};
use rustix::fs::{AtFlags, FileType, RawDir, SeekFrom};
use std::mem::MaybeUninit;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Most bytes of directory entries read from the kernel at a time.
pub const BUFFER_BYTES: usize = 16 << 10;

/// Bytes read first: a call usually fills a guest buffer of 4 KiB (what wasi-libc and Rust's
/// std pass), and a kernel record is no larger than the guest's, so reading more first would
/// read entries the guest must ask for again. Later reads double, up to [`BUFFER_BYTES`].
const FIRST_READ_BYTES: usize = 4 << 10;

/// What sorted snapshots beneath one preopen may hold at once, in bytes.
pub const SORTED_BUDGET_BYTES: usize = 16 << 20;

/// What an entry of a snapshot costs the budget: its name and its fixed part.
fn entry_cost(entry: &DirEntry) -> usize {
    entry.name.len().saturating_add(std::mem::size_of::<DirEntry>())
}

/// One entry as the guest sees it: types the kernel did not report are looked up, and at the
/// sandbox's root (`root`: its inode) `..` is the root itself, not the host's parent.
fn entry(dir: BorrowedFd<'_>, name: &std::ffi::CStr, ino: u64, ft: FileType, root: Option<u64>) -> DirEntry {
    let mut kind = filetype(ft);
    if ft == FileType::Unknown {
        kind = rustix::fs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW)
            .map_or(Filetype::Unknown, |st| filetype(FileType::from_raw_mode(st.st_mode)));
    }
    let name = name.to_bytes().to_vec();
    let ino = match root {
        Some(root) if name == b".." => root,
        _ => ino,
    };
    DirEntry { name, ino, filetype: kind }
}

/// Calls `each` with the entries of the directory `dir` from `cookie` on (0: the start), each
/// with the cookie of the entry after it, until `each` returns `false` or the entries run
/// out. The caller holds the directory's lock: the position is shared.
pub(crate) fn stream(
    dir: BorrowedFd<'_>,
    cookie: u64,
    root: Option<u64>,
    each: &mut dyn FnMut(&DirEntry, u64) -> bool,
) -> Result<(), Errno> {
    // A cookie the kernel would not give (past its range, or refused by `lseek`) is past
    // every entry: nothing more to list.
    if cookie > i64::MAX.unsigned_abs() {
        return Ok(());
    }
    match retry(|| rustix::fs::seek(dir, SeekFrom::Start(cookie))) {
        Ok(_) => {}
        Err(Errno::Inval) => return Ok(()),
        Err(e) => return Err(e),
    }
    let mut buf = vec![MaybeUninit::<u8>::uninit(); BUFFER_BYTES];
    let mut size = FIRST_READ_BYTES;
    loop {
        // A reader over `size` bytes; it reads again when they run out, until the next size.
        let mut entries = RawDir::new(dir, buf.get_mut(..size).unwrap_or_default());
        let mut read_any = false;
        while let Some(raw) = entries.next() {
            let raw = raw.map_err(from_host)?;
            read_any = true;
            let next = raw.next_entry_cookie();
            let entry = entry(dir.as_fd(), raw.file_name(), raw.ino(), raw.file_type(), root);
            if !each(&entry, next) {
                return Ok(());
            }
            if entries.is_buffer_empty() && size < BUFFER_BYTES {
                break;
            }
        }
        if !read_any {
            return Ok(());
        }
        size = size.saturating_mul(2).min(BUFFER_BYTES);
    }
}

/// Every entry of `dir`, sorted by name.
pub(crate) fn read_sorted(dir: BorrowedFd<'_>, root: Option<u64>) -> Result<Vec<DirEntry>, Errno> {
    retry(|| rustix::fs::seek(dir, SeekFrom::Start(0)))?;
    let mut buf = vec![MaybeUninit::<u8>::uninit(); BUFFER_BYTES];
    let mut entries = RawDir::new(dir, &mut buf);
    let mut all = Vec::new();
    while let Some(raw) = entries.next() {
        let raw = raw.map_err(from_host)?;
        all.push(entry(dir.as_fd(), raw.file_name(), raw.ino(), raw.file_type(), root));
    }
    all.sort_unstable_by(|a, b| a.name.cmp(&b.name));
    Ok(all)
}

/// The bytes sorted snapshots beneath one preopen may hold.
#[derive(Debug)]
pub(crate) struct SortedBudget {
    limit: usize,
    used: AtomicUsize,
}

impl SortedBudget {
    /// A budget of `limit` bytes.
    pub fn new(limit: usize) -> Self {
        SortedBudget { limit, used: AtomicUsize::new(0) }
    }
}

/// A sorted listing kept for a descriptor, its bytes charged to the budget until it goes.
#[derive(Debug)]
pub(crate) struct Snapshot {
    pub(crate) entries: Vec<DirEntry>,
    charged: usize,
    budget: Arc<SortedBudget>,
}

impl Snapshot {
    /// Keeps `entries` if the budget has room for them.
    pub(crate) fn keep(entries: Vec<DirEntry>, budget: &Arc<SortedBudget>) -> Result<Snapshot, Vec<DirEntry>> {
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
pub(crate) fn replay(entries: &[DirEntry], cookie: u64, each: &mut dyn FnMut(&DirEntry, u64) -> bool) {
    let start = usize::try_from(cookie).unwrap_or(usize::MAX);
    for (index, entry) in entries.iter().enumerate().skip(start) {
        let next = u64::try_from(index).map_or(u64::MAX, |i| i.saturating_add(1));
        if !each(entry, next) {
            break;
        }
    }
}
