//! The one `unsafe` of this crate: mapping an archive file read-only.

use std::fs::File;
use std::io;

/// Archives up to this size are mapped with all their pages at once (`MAP_POPULATE`): reading
/// every header touches pages all through the archive, and one pass costs less than a fault
/// every 64 KiB (10,000 files of 1 KiB: 11.5 ms to mount, 6.9 ms populated). A larger archive's
/// pages are mapped as they are touched, so that mounting it does not read it all.
const POPULATE_LIMIT: u64 = 256 << 20;

/// Maps all of `file` (a regular file the caller opened read-only) into memory, read-only.
///
/// The caller must only pass an image the operator chose (`--image`, or an embedder's
/// [`crate::Image::open`]), and the runner refuses an image that a guest could change through
/// a writable preopen (docs/RATIONALE.md, "Why an image is mapped").
#[allow(unsafe_code)]
pub(crate) fn map(file: &File) -> io::Result<memmap2::Mmap> {
    // SAFETY: `memmap2` requires that the file not change while the map lives: the slice
    // would change under a shared reference, and a truncation would fault (SIGBUS) on the
    // pages past the new end. An image is what the operator mounts, the same trust as a
    // shared library the process maps: Lucent never writes it, the metadata is read once at
    // load and kept in the tree (later changes to the bytes cannot reach the parser), and no
    // guest can reach the file unless the operator also preopens it writable, which the
    // runner refuses. An embedder that cannot promise this uses `Image::from_bytes`.
    let mut options = memmap2::MmapOptions::new();
    if file.metadata()?.len() <= POPULATE_LIMIT {
        options.populate();
    }
    unsafe { options.map(file) }
}
