//! Bit sets of `wasi_snapshot_preview1` (shared with `wasi_unstable` unless noted).
//!
//! Each flag's doc names the witx constant. Decoding from the guest keeps only known bits:
//! [`Fdflags::from_guest`] and friends reject unknown bits with `Inval`.

use crate::Errno;
use bitflags::bitflags;

bitflags! {
    /// `rights`: what a descriptor may be used for. Rights only ever narrow.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    pub struct Rights: u64 {
        /// `fd_datasync`
        const FD_DATASYNC = 1 << 0;
        /// `fd_read` (also `sock_recv`)
        const FD_READ = 1 << 1;
        /// `fd_seek` (implies `fd_tell`)
        const FD_SEEK = 1 << 2;
        /// `fd_fdstat_set_flags`
        const FD_FDSTAT_SET_FLAGS = 1 << 3;
        /// `fd_sync`
        const FD_SYNC = 1 << 4;
        /// `fd_tell`
        const FD_TELL = 1 << 5;
        /// `fd_write` (also `sock_send`)
        const FD_WRITE = 1 << 6;
        /// `fd_advise`
        const FD_ADVISE = 1 << 7;
        /// `fd_allocate`
        const FD_ALLOCATE = 1 << 8;
        /// `path_create_directory`
        const PATH_CREATE_DIRECTORY = 1 << 9;
        /// `path_create_file` (with `path_open` and `oflags::creat`)
        const PATH_CREATE_FILE = 1 << 10;
        /// `path_link_source`
        const PATH_LINK_SOURCE = 1 << 11;
        /// `path_link_target`
        const PATH_LINK_TARGET = 1 << 12;
        /// `path_open`
        const PATH_OPEN = 1 << 13;
        /// `fd_readdir`
        const FD_READDIR = 1 << 14;
        /// `path_readlink`
        const PATH_READLINK = 1 << 15;
        /// `path_rename_source`
        const PATH_RENAME_SOURCE = 1 << 16;
        /// `path_rename_target`
        const PATH_RENAME_TARGET = 1 << 17;
        /// `path_filestat_get`
        const PATH_FILESTAT_GET = 1 << 18;
        /// `path_filestat_set_size` (also `path_open` with `oflags::trunc`)
        const PATH_FILESTAT_SET_SIZE = 1 << 19;
        /// `path_filestat_set_times`
        const PATH_FILESTAT_SET_TIMES = 1 << 20;
        /// `fd_filestat_get`
        const FD_FILESTAT_GET = 1 << 21;
        /// `fd_filestat_set_size`
        const FD_FILESTAT_SET_SIZE = 1 << 22;
        /// `fd_filestat_set_times`
        const FD_FILESTAT_SET_TIMES = 1 << 23;
        /// `path_symlink`
        const PATH_SYMLINK = 1 << 24;
        /// `path_remove_directory`
        const PATH_REMOVE_DIRECTORY = 1 << 25;
        /// `path_unlink_file`
        const PATH_UNLINK_FILE = 1 << 26;
        /// `poll_fd_readwrite`
        const POLL_FD_READWRITE = 1 << 27;
        /// `sock_shutdown`
        const SOCK_SHUTDOWN = 1 << 28;
        /// `sock_accept` (preview1 only; `wasi_unstable` has no such right)
        const SOCK_ACCEPT = 1 << 29;
    }
}

impl Rights {
    /// Rights that make sense on a regular file.
    pub const REGULAR_FILE: Rights = Rights::FD_DATASYNC
        .union(Rights::FD_READ)
        .union(Rights::FD_SEEK)
        .union(Rights::FD_FDSTAT_SET_FLAGS)
        .union(Rights::FD_SYNC)
        .union(Rights::FD_TELL)
        .union(Rights::FD_WRITE)
        .union(Rights::FD_ADVISE)
        .union(Rights::FD_ALLOCATE)
        .union(Rights::FD_FILESTAT_GET)
        .union(Rights::FD_FILESTAT_SET_SIZE)
        .union(Rights::FD_FILESTAT_SET_TIMES)
        .union(Rights::POLL_FD_READWRITE);

    /// Rights that make sense on a directory.
    pub const DIRECTORY: Rights = Rights::FD_FDSTAT_SET_FLAGS
        .union(Rights::FD_SYNC)
        .union(Rights::FD_ADVISE)
        .union(Rights::PATH_CREATE_DIRECTORY)
        .union(Rights::PATH_CREATE_FILE)
        .union(Rights::PATH_LINK_SOURCE)
        .union(Rights::PATH_LINK_TARGET)
        .union(Rights::PATH_OPEN)
        .union(Rights::FD_READDIR)
        .union(Rights::PATH_READLINK)
        .union(Rights::PATH_RENAME_SOURCE)
        .union(Rights::PATH_RENAME_TARGET)
        .union(Rights::PATH_FILESTAT_GET)
        .union(Rights::PATH_FILESTAT_SET_SIZE)
        .union(Rights::PATH_FILESTAT_SET_TIMES)
        .union(Rights::FD_FILESTAT_GET)
        .union(Rights::FD_FILESTAT_SET_TIMES)
        .union(Rights::PATH_SYMLINK)
        .union(Rights::PATH_REMOVE_DIRECTORY)
        .union(Rights::PATH_UNLINK_FILE);

    /// Rights that make sense on a character device, pipe or terminal (standard I/O). Seeking
    /// is included so that the host, not the rights check, answers: `Spipe` on a pipe, success
    /// on a seekable device, as POSIX programs expect.
    pub const STREAM: Rights = Rights::FD_READ
        .union(Rights::FD_WRITE)
        .union(Rights::FD_SEEK)
        .union(Rights::FD_TELL)
        .union(Rights::FD_FDSTAT_SET_FLAGS)
        .union(Rights::FD_FILESTAT_GET)
        .union(Rights::POLL_FD_READWRITE);

    /// Rights that make sense on a socket.
    pub const SOCKET: Rights = Rights::FD_READ
        .union(Rights::FD_WRITE)
        .union(Rights::FD_FDSTAT_SET_FLAGS)
        .union(Rights::FD_FILESTAT_GET)
        .union(Rights::POLL_FD_READWRITE)
        .union(Rights::SOCK_SHUTDOWN)
        .union(Rights::SOCK_ACCEPT);

    /// Rights that change the filesystem or open a file for writing: what a read-only mount
    /// never grants. Linking or renaming *out of* a directory counts too: a hard link or a
    /// moved file would make its contents writable elsewhere.
    pub const MUTATING: Rights = Rights::FD_DATASYNC
        .union(Rights::FD_WRITE)
        .union(Rights::FD_ALLOCATE)
        .union(Rights::FD_FILESTAT_SET_SIZE)
        .union(Rights::FD_FILESTAT_SET_TIMES)
        .union(Rights::PATH_CREATE_DIRECTORY)
        .union(Rights::PATH_CREATE_FILE)
        .union(Rights::PATH_LINK_SOURCE)
        .union(Rights::PATH_LINK_TARGET)
        .union(Rights::PATH_RENAME_SOURCE)
        .union(Rights::PATH_RENAME_TARGET)
        .union(Rights::PATH_FILESTAT_SET_SIZE)
        .union(Rights::PATH_FILESTAT_SET_TIMES)
        .union(Rights::PATH_SYMLINK)
        .union(Rights::PATH_REMOVE_DIRECTORY)
        .union(Rights::PATH_UNLINK_FILE);

    /// Keeps only the rights this version of WASI defines (the guest may pass anything).
    pub const fn from_guest(raw: u64) -> Rights {
        Rights::from_bits_truncate(raw)
    }
}

/// Decodes a flag set from a guest value, refusing bits the specification does not define.
macro_rules! from_guest {
    ($ty:ty, $raw:ty) => {
        impl $ty {
            /// Decodes the guest's value.
            ///
            /// # Errors
            ///
            /// `Inval` if a bit is set that the specification does not define.
            pub fn from_guest(raw: $raw) -> Result<Self, Errno> {
                Self::from_bits(raw).ok_or(Errno::Inval)
            }
        }
    };
}

bitflags! {
    /// `fdflags`: file descriptor flags.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
    pub struct Fdflags: u16 {
        /// `append`: writes go to the end of the file (`O_APPEND`).
        const APPEND = 1 << 0;
        /// `dsync`: write data with integrity (`O_DSYNC`).
        const DSYNC = 1 << 1;
        /// `nonblock`: non-blocking mode (`O_NONBLOCK`).
        const NONBLOCK = 1 << 2;
        /// `rsync`: synchronized reads (`O_RSYNC`).
        const RSYNC = 1 << 3;
        /// `sync`: write data and metadata with integrity (`O_SYNC`).
        const SYNC = 1 << 4;
    }
}
from_guest!(Fdflags, u16);

bitflags! {
    /// `oflags`: how `path_open` creates or opens.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
    pub struct Oflags: u16 {
        /// `creat`: create the file if it does not exist (`O_CREAT`).
        const CREAT = 1 << 0;
        /// `directory`: fail if not a directory (`O_DIRECTORY`).
        const DIRECTORY = 1 << 1;
        /// `excl`: fail if it already exists (`O_EXCL`).
        const EXCL = 1 << 2;
        /// `trunc`: truncate to size 0 (`O_TRUNC`).
        const TRUNC = 1 << 3;
    }
}
from_guest!(Oflags, u16);

bitflags! {
    /// `lookupflags`: how a path is resolved.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
    pub struct Lookupflags: u32 {
        /// `symlink_follow`: follow a symbolic link in the last component.
        const SYMLINK_FOLLOW = 1 << 0;
    }
}
from_guest!(Lookupflags, u32);

bitflags! {
    /// `fstflags`: which timestamps `*_set_times` changes.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
    pub struct Fstflags: u16 {
        /// `atim`: set the access time to the given value.
        const ATIM = 1 << 0;
        /// `atim_now`: set the access time to now.
        const ATIM_NOW = 1 << 1;
        /// `mtim`: set the modification time to the given value.
        const MTIM = 1 << 2;
        /// `mtim_now`: set the modification time to now.
        const MTIM_NOW = 1 << 3;
    }
}
from_guest!(Fstflags, u16);

bitflags! {
    /// `eventrwflags`: the state of a descriptor in an `fd_read`/`fd_write` event.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
    pub struct Eventrwflags: u16 {
        /// `fd_readwrite_hangup`: the peer closed its end.
        const FD_READWRITE_HANGUP = 1 << 0;
    }
}

bitflags! {
    /// `subclockflags`: how a clock subscription's timeout is read.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
    pub struct Subclockflags: u16 {
        /// `subscription_clock_abstime`: the timeout is an absolute time.
        const SUBSCRIPTION_CLOCK_ABSTIME = 1 << 0;
    }
}
from_guest!(Subclockflags, u16);

bitflags! {
    /// `riflags`: `sock_recv` input flags.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
    pub struct Riflags: u16 {
        /// `recv_peek` (`MSG_PEEK`).
        const RECV_PEEK = 1 << 0;
        /// `recv_waitall` (`MSG_WAITALL`).
        const RECV_WAITALL = 1 << 1;
    }
}
from_guest!(Riflags, u16);

bitflags! {
    /// `roflags`: `sock_recv` output flags.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
    pub struct Roflags: u16 {
        /// `recv_data_truncated`: message data was truncated.
        const RECV_DATA_TRUNCATED = 1 << 0;
    }
}

bitflags! {
    /// `sdflags`: which directions `sock_shutdown` shuts.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
    pub struct Sdflags: u8 {
        /// `rd`: shut the receiving side.
        const RD = 1 << 0;
        /// `wr`: shut the sending side.
        const WR = 1 << 1;
    }
}
from_guest!(Sdflags, u8);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_bits_are_refused() {
        assert_eq!(Oflags::from_guest(1 << 4), Err(Errno::Inval));
        assert_eq!(Oflags::from_guest(0b1001), Ok(Oflags::CREAT | Oflags::TRUNC));
        assert_eq!(Fdflags::from_guest(0x20), Err(Errno::Inval));
        assert_eq!(Lookupflags::from_guest(2), Err(Errno::Inval));
        assert_eq!(Rights::from_guest(u64::MAX), Rights::all());
    }

    #[test]
    fn rights_groups_are_subsets_of_all() {
        assert_eq!(Rights::all().bits(), (1 << 30) - 1);
        assert!(Rights::all().contains(Rights::REGULAR_FILE | Rights::DIRECTORY | Rights::SOCKET));
    }
}
