//! `fd_readdir` on host directories.
//!
//! A listing is streamed from the kernel (`getdents64`), and its cookies are the kernel's own
//! (`d_off`, which `lseek` takes back), so a call costs one buffer of [`BUFFER_BYTES`] and
//! reads only from where the guest asks: no copy of the directory is kept per descriptor, and
//! reading a directory through is linear. Sorted listings (deterministic runs) are a wrapper
//! any backend can wear: [`lucent_core::wrap::SortedDir`].

use crate::errno::{from_host, retry};
use crate::file::filetype;
use lucent_abi::{Errno, Filetype};
use lucent_core::fs::DirEntry;
use rustix::fd::{AsFd, BorrowedFd};
use rustix::fs::{AtFlags, FileType, RawDir, SeekFrom};
use std::mem::MaybeUninit;

/// Most bytes of directory entries read from the kernel at a time.
pub const BUFFER_BYTES: usize = 16 << 10;

/// Bytes read first: a call usually fills a guest buffer of 4 KiB (what wasi-libc and Rust's
/// std pass), and a kernel record is no larger than the guest's, so reading more first would
/// read entries the guest must ask for again. Later reads double, up to [`BUFFER_BYTES`].
const FIRST_READ_BYTES: usize = 4 << 10;

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
