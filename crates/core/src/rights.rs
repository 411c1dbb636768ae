//! What each operation requires, computed in one place from the whole request.

use crate::fs::OpenOptions;
use lucent_abi::{Errno, Fdflags, Oflags, Rights};

/// A descriptor's rights: `base` for operations on it, `inheriting` for descriptors opened
/// through it. Both only ever narrow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FdRights {
    /// Rights for operations on this descriptor.
    pub base: Rights,
    /// The most a descriptor opened through this one may get.
    pub inheriting: Rights,
}

impl FdRights {
    /// Rights `base` and `inheriting`.
    pub const fn new(base: Rights, inheriting: Rights) -> Self {
        FdRights { base, inheriting }
    }

    /// Checks that `base` holds every right in `required`. `FD_SEEK` implies `FD_TELL`, as
    /// the specification says.
    ///
    /// # Errors
    ///
    /// `Notcapable` if one is missing.
    pub fn require(&self, required: Rights) -> Result<(), Errno> {
        let mut held = self.base;
        if held.contains(Rights::FD_SEEK) {
            held |= Rights::FD_TELL;
        }
        if held.contains(required) { Ok(()) } else { Err(Errno::Notcapable) }
    }
}

/// Rights of standard input, whatever the host gave as it: reading it, waiting on it, its
/// flags (`NONBLOCK`) and attributes. Not seeking, truncating, allocating, setting times or
/// shutting down: the stream belongs to the host (a file the host appends its log to, a
/// socket its parent shares).
pub const STDIN_RIGHTS: Rights =
    Rights::FD_READ.union(Rights::FD_FDSTAT_SET_FLAGS).union(Rights::FD_FILESTAT_GET).union(Rights::POLL_FD_READWRITE);

/// Rights of standard output and standard error: as [`STDIN_RIGHTS`], writing instead of
/// reading, and syncing what was written (`fsync(1)`).
pub const STDOUT_RIGHTS: Rights = Rights::FD_WRITE
    .union(Rights::FD_SYNC)
    .union(Rights::FD_DATASYNC)
    .union(Rights::FD_FDSTAT_SET_FLAGS)
    .union(Rights::FD_FILESTAT_GET)
    .union(Rights::POLL_FD_READWRITE);

/// Rights that make a file descriptor readable on the host.
const READ_RIGHTS: Rights = Rights::FD_READ.union(Rights::FD_READDIR);
/// Rights that need the host file opened for writing.
const WRITE_RIGHTS: Rights =
    Rights::FD_WRITE.union(Rights::FD_DATASYNC).union(Rights::FD_ALLOCATE).union(Rights::FD_FILESTAT_SET_SIZE);

/// A whole `path_open` request, as the guest made it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PathOpenRequest {
    /// `oflags`
    pub oflags: Oflags,
    /// `fdflags`
    pub fdflags: Fdflags,
    /// `fs_rights_base`
    pub rights_base: Rights,
    /// `fs_rights_inheriting`
    pub rights_inheriting: Rights,
}

/// What a `path_open` request needs and gets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PathOpenPlan {
    /// Base rights the directory descriptor must hold.
    pub dir_requires: Rights,
    /// Rights of the new descriptor, before narrowing to what its file type supports.
    pub granted: FdRights,
    /// How the host opens the last component.
    pub options: OpenOptions,
}

/// Computes what `path_open` needs on the directory `dir` and what the new descriptor gets.
///
/// * the directory needs `PATH_OPEN`, plus `PATH_CREATE_FILE` for `CREAT` and
///   `PATH_FILESTAT_SET_SIZE` for `TRUNC`;
/// * the new descriptor's rights are the requested ones narrowed to the directory's
///   inheriting rights — never more, whatever the guest asks;
/// * `DSYNC` needs `FD_DATASYNC` and `RSYNC`/`SYNC` need `FD_SYNC` in the directory's
///   inheriting rights;
/// * the host opens for reading if a read right was granted, for writing if a write right was
///   granted or the file is to be truncated; with `DIRECTORY` too, so that a directory asked
///   for writing is `Isdir` (and a file `Notdir`), as Linux's `open(O_DIRECTORY | O_RDWR)`.
///
/// # Errors
///
/// `Notcapable` if the directory's inheriting rights do not allow a synchronous-I/O flag.
pub fn path_open(request: &PathOpenRequest, dir: &FdRights) -> Result<PathOpenPlan, Errno> {
    let mut dir_requires = Rights::PATH_OPEN;
    if request.oflags.contains(Oflags::CREAT) {
        dir_requires |= Rights::PATH_CREATE_FILE;
    }
    if request.oflags.contains(Oflags::TRUNC) {
        dir_requires |= Rights::PATH_FILESTAT_SET_SIZE;
    }
    let granted = FdRights::new(request.rights_base & dir.inheriting, request.rights_inheriting & dir.inheriting);
    let mut sync_rights = Rights::empty();
    if request.fdflags.contains(Fdflags::DSYNC) {
        sync_rights |= Rights::FD_DATASYNC;
    }
    if request.fdflags.intersects(Fdflags::RSYNC | Fdflags::SYNC) {
        sync_rights |= Rights::FD_SYNC;
    }
    if !dir.inheriting.contains(sync_rights) {
        return Err(Errno::Notcapable);
    }
    let truncate = request.oflags.contains(Oflags::TRUNC);
    let directory = request.oflags.contains(Oflags::DIRECTORY);
    let options = OpenOptions {
        read: granted.base.intersects(READ_RIGHTS),
        write: granted.base.intersects(WRITE_RIGHTS) || truncate,
        create: request.oflags.contains(Oflags::CREAT),
        exclusive: request.oflags.contains(Oflags::EXCL),
        truncate,
        directory,
        fdflags: request.fdflags,
    };
    Ok(PathOpenPlan { dir_requires, granted, options })
}

/// Rights `fd_seek` needs: `FD_TELL` suffices for a zero move from the current position.
pub fn fd_seek(offset: i64, whence: lucent_abi::Whence) -> Rights {
    if offset == 0 && whence == lucent_abi::Whence::Cur { Rights::FD_TELL } else { Rights::FD_SEEK }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: FdRights = FdRights::new(Rights::all(), Rights::all());

    fn req(oflags: Oflags, fdflags: Fdflags, base: Rights) -> PathOpenRequest {
        PathOpenRequest { oflags, fdflags, rights_base: base, rights_inheriting: base }
    }

    /// One row per interesting request: flags in, directory rights required, host mode out.
    #[test]
    fn path_open_table() {
        let rw = Rights::FD_READ | Rights::FD_WRITE;
        #[rustfmt::skip]
        let rows: &[(Oflags, Fdflags, Rights, Rights, bool, bool)] = &[
            // oflags, fdflags, requested, dir requires, read, write
            (Oflags::empty(), Fdflags::empty(), Rights::FD_READ, Rights::PATH_OPEN, true, false),
            (Oflags::empty(), Fdflags::empty(), Rights::FD_WRITE, Rights::PATH_OPEN, false, true),
            (Oflags::empty(), Fdflags::empty(), rw, Rights::PATH_OPEN, true, true),
            (Oflags::empty(), Fdflags::empty(), Rights::FD_READDIR, Rights::PATH_OPEN, true, false),
            (Oflags::empty(), Fdflags::empty(), Rights::FD_FILESTAT_SET_SIZE, Rights::PATH_OPEN, false, true),
            (Oflags::empty(), Fdflags::empty(), Rights::FD_SEEK, Rights::PATH_OPEN, false, false),
            (Oflags::CREAT, Fdflags::empty(), Rights::FD_WRITE, Rights::PATH_OPEN | Rights::PATH_CREATE_FILE, false, true),
            (Oflags::CREAT | Oflags::EXCL, Fdflags::empty(), rw, Rights::PATH_OPEN | Rights::PATH_CREATE_FILE, true, true),
            (Oflags::TRUNC, Fdflags::empty(), Rights::FD_READ, Rights::PATH_OPEN | Rights::PATH_FILESTAT_SET_SIZE, true, true),
            (Oflags::CREAT | Oflags::TRUNC, Fdflags::APPEND, Rights::FD_WRITE,
                Rights::PATH_OPEN | Rights::PATH_CREATE_FILE | Rights::PATH_FILESTAT_SET_SIZE, false, true),
            (Oflags::DIRECTORY, Fdflags::empty(), Rights::FD_READDIR, Rights::PATH_OPEN, true, false),
            (Oflags::DIRECTORY, Fdflags::empty(), Rights::all(), Rights::PATH_OPEN, true, true),
            (Oflags::DIRECTORY, Fdflags::empty(), Rights::DIRECTORY, Rights::PATH_OPEN, true, false),
            (Oflags::empty(), Fdflags::DSYNC, Rights::FD_READ, Rights::PATH_OPEN, true, false),
        ];
        for &(oflags, fdflags, base, requires, read, write) in rows {
            let plan = path_open(&req(oflags, fdflags, base), &ALL).unwrap();
            assert_eq!(plan.dir_requires, requires, "{oflags:?} {fdflags:?} {base:?}");
            assert_eq!((plan.options.read, plan.options.write), (read, write), "{oflags:?} {fdflags:?} {base:?}");
            assert_eq!(plan.options.create, oflags.contains(Oflags::CREAT));
            assert_eq!(plan.options.truncate, oflags.contains(Oflags::TRUNC));
            assert_eq!(plan.options.exclusive, oflags.contains(Oflags::EXCL));
            assert_eq!(plan.options.directory, oflags.contains(Oflags::DIRECTORY));
            assert_eq!(plan.options.fdflags, fdflags);
        }
    }

    #[test]
    fn granted_rights_never_exceed_the_directory_inheriting_rights() {
        let dir = FdRights::new(Rights::all(), Rights::FD_READ | Rights::FD_SEEK);
        let plan = path_open(&req(Oflags::empty(), Fdflags::empty(), Rights::all()), &dir).unwrap();
        assert_eq!(plan.granted, FdRights::new(Rights::FD_READ | Rights::FD_SEEK, Rights::FD_READ | Rights::FD_SEEK));
        assert!(!plan.options.write);
    }

    #[test]
    fn sync_flags_need_sync_rights_in_the_inheriting_set() {
        let dir = FdRights::new(Rights::all(), Rights::FD_READ);
        assert_eq!(path_open(&req(Oflags::empty(), Fdflags::SYNC, Rights::FD_READ), &dir), Err(Errno::Notcapable));
        assert_eq!(path_open(&req(Oflags::empty(), Fdflags::DSYNC, Rights::FD_READ), &dir), Err(Errno::Notcapable));
        assert!(path_open(&req(Oflags::empty(), Fdflags::APPEND, Rights::FD_READ), &dir).is_ok());
    }

    #[test]
    fn tell_suffices_for_a_zero_relative_seek() {
        use lucent_abi::Whence;
        assert_eq!(fd_seek(0, Whence::Cur), Rights::FD_TELL);
        assert_eq!(fd_seek(1, Whence::Cur), Rights::FD_SEEK);
        assert_eq!(fd_seek(0, Whence::Set), Rights::FD_SEEK);
        assert_eq!(FdRights::new(Rights::FD_TELL, Rights::empty()).require(Rights::FD_SEEK), Err(Errno::Notcapable));
        // FD_SEEK implies FD_TELL.
        assert_eq!(FdRights::new(Rights::FD_SEEK, Rights::empty()).require(Rights::FD_TELL), Ok(()));
    }

    proptest::proptest! {
        #[test]
        fn narrowing_holds_for_any_request(oflags in 0u16..16, fdflags in 0u16..32, base: u64, inh: u64, dbase: u64, dinh: u64) {
            let request = PathOpenRequest {
                oflags: Oflags::from_bits_truncate(oflags),
                fdflags: Fdflags::from_bits_truncate(fdflags),
                rights_base: Rights::from_guest(base),
                rights_inheriting: Rights::from_guest(inh),
            };
            let dir = FdRights::new(Rights::from_guest(dbase), Rights::from_guest(dinh));
            if let Ok(plan) = path_open(&request, &dir) {
                proptest::prop_assert!(dir.inheriting.contains(plan.granted.base));
                proptest::prop_assert!(dir.inheriting.contains(plan.granted.inheriting));
            }
        }
    }
}
