//! Records of `wasi_snapshot_preview1` with their guest layout.
//!
//! Every record lists its fields' offsets in [`Layout`]; a test (`lucent-wasmtime`'s
//! `tests/spec.rs`) compares those with the offsets of the `wasi` crate's bindings, generated
//! from the specification and measured by a wasm32 guest, and the encoders use the same
//! constants, so a wrong offset cannot hide.

use crate::memory::field::{get, put};
use crate::{Clockid, Errno, Eventrwflags, Eventtype, Fdflags, Filetype, GuestType, Rights, Subclockflags};

/// A record's guest layout: size, alignment and the offset of each named field.
#[derive(Debug)]
pub struct Layout {
    /// The record's witx type name.
    pub name: &'static str,
    /// Size in bytes.
    pub size: u32,
    /// Alignment in bytes.
    pub align: u32,
    /// `(witx field name, offset)` for each field.
    pub fields: &'static [(&'static str, u32)],
}

/// A record whose layout is checked against the specification.
pub trait Record: GuestType {
    /// The layout of this record.
    const LAYOUT: Layout;
}

/// `iovec` / `ciovec`: one buffer of a scatter/gather list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Iovec {
    /// `buf`: offset of the buffer in guest memory.
    pub buf: u32,
    /// `buf_len`: length of the buffer.
    pub buf_len: u32,
}

impl Iovec {
    const BUF: u32 = 0;
    const BUF_LEN: u32 = 4;
}

impl GuestType for Iovec {
    const SIZE: u32 = 8;
    const ALIGN: u32 = 4;
    fn decode(b: &[u8]) -> Result<Self, Errno> {
        Ok(Iovec { buf: get(b, Self::BUF)?, buf_len: get(b, Self::BUF_LEN)? })
    }
    fn encode(&self, b: &mut [u8]) {
        put(b, Self::BUF, self.buf);
        put(b, Self::BUF_LEN, self.buf_len);
    }
}

impl Record for Iovec {
    const LAYOUT: Layout =
        Layout { name: "iovec", size: 8, align: 4, fields: &[("buf", Self::BUF), ("buf_len", Self::BUF_LEN)] };
}

/// `fdstat`: a descriptor's type, flags and rights.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fdstat {
    /// `fs_filetype`
    pub filetype: Filetype,
    /// `fs_flags`
    pub flags: Fdflags,
    /// `fs_rights_base`
    pub rights_base: Rights,
    /// `fs_rights_inheriting`
    pub rights_inheriting: Rights,
}

impl Fdstat {
    const FILETYPE: u32 = 0;
    const FLAGS: u32 = 2;
    const RIGHTS_BASE: u32 = 8;
    const RIGHTS_INHERITING: u32 = 16;
}

impl GuestType for Fdstat {
    const SIZE: u32 = 24;
    const ALIGN: u32 = 8;
    fn decode(b: &[u8]) -> Result<Self, Errno> {
        Ok(Fdstat {
            filetype: Filetype::from_guest(get(b, Self::FILETYPE)?)?,
            flags: Fdflags::from_guest(get(b, Self::FLAGS)?)?,
            rights_base: Rights::from_guest(get(b, Self::RIGHTS_BASE)?),
            rights_inheriting: Rights::from_guest(get(b, Self::RIGHTS_INHERITING)?),
        })
    }
    fn encode(&self, b: &mut [u8]) {
        b.fill(0);
        put(b, Self::FILETYPE, self.filetype.raw());
        put(b, Self::FLAGS, self.flags.bits());
        put(b, Self::RIGHTS_BASE, self.rights_base.bits());
        put(b, Self::RIGHTS_INHERITING, self.rights_inheriting.bits());
    }
}

impl Record for Fdstat {
    const LAYOUT: Layout = Layout {
        name: "fdstat",
        size: 24,
        align: 8,
        fields: &[
            ("fs_filetype", Self::FILETYPE),
            ("fs_flags", Self::FLAGS),
            ("fs_rights_base", Self::RIGHTS_BASE),
            ("fs_rights_inheriting", Self::RIGHTS_INHERITING),
        ],
    };
}

/// `prestat`: what a preopened descriptor is. Only directories exist.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Prestat {
    /// `dir`, with `pr_name_len`: the length of the directory's guest name.
    Dir {
        /// `pr_name_len`
        name_len: u32,
    },
}

impl Prestat {
    const TAG: u32 = 0;
    const DIR_NAME_LEN: u32 = 4;
}

impl GuestType for Prestat {
    const SIZE: u32 = 8;
    const ALIGN: u32 = 4;
    fn decode(b: &[u8]) -> Result<Self, Errno> {
        match crate::Preopentype::from_guest(get(b, Self::TAG)?)? {
            crate::Preopentype::Dir => Ok(Prestat::Dir { name_len: get(b, Self::DIR_NAME_LEN)? }),
        }
    }
    fn encode(&self, b: &mut [u8]) {
        b.fill(0);
        match self {
            Prestat::Dir { name_len } => {
                put(b, Self::TAG, crate::Preopentype::Dir.raw());
                put(b, Self::DIR_NAME_LEN, *name_len);
            }
        }
    }
}

impl Record for Prestat {
    // A union: the tag, then the payload at the payload's alignment.
    const LAYOUT: Layout =
        Layout { name: "prestat", size: 8, align: 4, fields: &[("tag", Self::TAG), ("dir", Self::DIR_NAME_LEN)] };
}

/// `filestat` of `wasi_snapshot_preview1` (64-bit link count; see
/// [`crate::preview0::Filestat`] for `wasi_unstable`'s).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Filestat {
    /// `dev`: device ID of the device containing the file.
    pub dev: u64,
    /// `ino`: file serial number.
    pub ino: u64,
    /// `filetype`
    pub filetype: u8,
    /// `nlink`: number of hard links.
    pub nlink: u64,
    /// `size`: size in bytes (for symlinks, the length of the target).
    pub size: u64,
    /// `atim`: last data access, in nanoseconds since the epoch.
    pub atim: u64,
    /// `mtim`: last data modification.
    pub mtim: u64,
    /// `ctim`: last status change.
    pub ctim: u64,
}

/// `filestat` field offsets, in order: dev, ino, filetype, nlink, size, atim, mtim, ctim. The
/// two ABIs differ only in the width of `nlink`, which moves the fields after it.
pub(crate) type FilestatOffsets = [u32; 8];

/// The `filestat` layout for the given offsets and size.
macro_rules! filestat_layout {
    ($o:expr, $size:literal) => {
        Layout {
            name: "filestat",
            size: $size,
            align: 8,
            fields: &[
                ("dev", $o[0]),
                ("ino", $o[1]),
                ("filetype", $o[2]),
                ("nlink", $o[3]),
                ("size", $o[4]),
                ("atim", $o[5]),
                ("mtim", $o[6]),
                ("ctim", $o[7]),
            ],
        }
    };
}
pub(crate) use filestat_layout;

impl Filestat {
    const OFFSETS: FilestatOffsets = [0, 8, 16, 24, 32, 40, 48, 56];

    /// Decodes with the given offsets; `nlink32` reads a 32-bit link count.
    pub(crate) fn decode_with(b: &[u8], offsets: FilestatOffsets, nlink32: bool) -> Result<Self, Errno> {
        let [dev, ino, filetype, nlink, size, atim, mtim, ctim] = offsets;
        Ok(Filestat {
            dev: get(b, dev)?,
            ino: get(b, ino)?,
            filetype: Filetype::from_guest(get(b, filetype)?)?.raw(),
            nlink: if nlink32 { u64::from(get::<u32>(b, nlink)?) } else { get(b, nlink)? },
            size: get(b, size)?,
            atim: get(b, atim)?,
            mtim: get(b, mtim)?,
            ctim: get(b, ctim)?,
        })
    }

    /// Encodes with the given offsets; `nlink32` writes a 32-bit link count, saturated rather
    /// than wrapped when the host's does not fit.
    pub(crate) fn encode_with(&self, b: &mut [u8], offsets: FilestatOffsets, nlink32: bool) {
        let [dev, ino, filetype, nlink, size, atim, mtim, ctim] = offsets;
        b.fill(0);
        put(b, dev, self.dev);
        put(b, ino, self.ino);
        put(b, filetype, self.filetype);
        if nlink32 {
            put(b, nlink, u32::try_from(self.nlink).unwrap_or(u32::MAX));
        } else {
            put(b, nlink, self.nlink);
        }
        put(b, size, self.size);
        put(b, atim, self.atim);
        put(b, mtim, self.mtim);
        put(b, ctim, self.ctim);
    }
}

impl GuestType for Filestat {
    const SIZE: u32 = 64;
    const ALIGN: u32 = 8;
    fn decode(b: &[u8]) -> Result<Self, Errno> {
        Self::decode_with(b, Self::OFFSETS, false)
    }
    fn encode(&self, b: &mut [u8]) {
        self.encode_with(b, Self::OFFSETS, false);
    }
}

impl Record for Filestat {
    const LAYOUT: Layout = filestat_layout!(Self::OFFSETS, 64);
}

/// `dirent`: the header of a directory entry in an `fd_readdir` buffer; the name follows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Dirent {
    /// `d_next`: the cookie of the next entry.
    pub next: u64,
    /// `d_ino`: the file's serial number.
    pub ino: u64,
    /// `d_namlen`: the length of the name that follows.
    pub namlen: u32,
    /// `d_type`
    pub filetype: Filetype,
}

impl Dirent {
    const NEXT: u32 = 0;
    const INO: u32 = 8;
    const NAMLEN: u32 = 16;
    const TYPE: u32 = 20;
}

impl GuestType for Dirent {
    const SIZE: u32 = 24;
    const ALIGN: u32 = 8;
    fn decode(b: &[u8]) -> Result<Self, Errno> {
        Ok(Dirent {
            next: get(b, Self::NEXT)?,
            ino: get(b, Self::INO)?,
            namlen: get(b, Self::NAMLEN)?,
            filetype: Filetype::from_guest(get(b, Self::TYPE)?)?,
        })
    }
    fn encode(&self, b: &mut [u8]) {
        b.fill(0);
        put(b, Self::NEXT, self.next);
        put(b, Self::INO, self.ino);
        put(b, Self::NAMLEN, self.namlen);
        put(b, Self::TYPE, self.filetype.raw());
    }
}

impl Record for Dirent {
    const LAYOUT: Layout = Layout {
        name: "dirent",
        size: 24,
        align: 8,
        fields: &[("d_next", Self::NEXT), ("d_ino", Self::INO), ("d_namlen", Self::NAMLEN), ("d_type", Self::TYPE)],
    };
}

/// `event`: one result of `poll_oneoff` (same layout in both ABIs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Event {
    /// `userdata` of the subscription.
    pub userdata: u64,
    /// `error`: the subscription's own error, or `Success`.
    pub error: Errno,
    /// `type`
    pub kind: Eventtype,
    /// `fd_readwrite.nbytes`: bytes available (read) or space (write).
    pub nbytes: u64,
    /// `fd_readwrite.flags`
    pub flags: Eventrwflags,
}

impl Event {
    const USERDATA: u32 = 0;
    const ERROR: u32 = 8;
    const TYPE: u32 = 10;
    const FD_READWRITE: u32 = 16;
    const NBYTES: u32 = 16;
    const RWFLAGS: u32 = 24;
}

impl GuestType for Event {
    const SIZE: u32 = 32;
    const ALIGN: u32 = 8;
    fn decode(b: &[u8]) -> Result<Self, Errno> {
        Ok(Event {
            userdata: get(b, Self::USERDATA)?,
            error: Errno::from_raw(get(b, Self::ERROR)?).ok_or(Errno::Inval)?,
            kind: Eventtype::from_guest(get(b, Self::TYPE)?)?,
            nbytes: get(b, Self::NBYTES)?,
            flags: Eventrwflags::from_bits(get(b, Self::RWFLAGS)?).ok_or(Errno::Inval)?,
        })
    }
    fn encode(&self, b: &mut [u8]) {
        b.fill(0);
        put(b, Self::USERDATA, self.userdata);
        put(b, Self::ERROR, self.error.raw());
        put(b, Self::TYPE, self.kind.raw());
        put(b, Self::NBYTES, self.nbytes);
        put(b, Self::RWFLAGS, self.flags.bits());
    }
}

impl Record for Event {
    const LAYOUT: Layout = Layout {
        name: "event",
        size: 32,
        align: 8,
        fields: &[
            ("userdata", Self::USERDATA),
            ("error", Self::ERROR),
            ("type", Self::TYPE),
            ("fd_readwrite", Self::FD_READWRITE),
        ],
    };
}

/// What a subscription waits for (the decoded `subscription_u`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SubscriptionKind {
    /// `clock`: a clock reaching a time.
    Clock {
        /// `id`
        id: Clockid,
        /// `timeout`: absolute or relative, per `flags`.
        timeout: u64,
        /// `precision`: how late the wake-up may be.
        precision: u64,
        /// `flags`
        flags: Subclockflags,
    },
    /// `fd_read`: the descriptor becoming readable.
    FdRead {
        /// `file_descriptor`
        fd: u32,
    },
    /// `fd_write`: the descriptor becoming writable.
    FdWrite {
        /// `file_descriptor`
        fd: u32,
    },
}

/// `subscription` of `wasi_snapshot_preview1` (see [`crate::preview0::Subscription`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Subscription {
    /// `userdata`, copied into the event.
    pub userdata: u64,
    /// `u`: what to wait for.
    pub kind: SubscriptionKind,
}

impl Subscription {
    const USERDATA: u32 = 0;
    const U: u32 = 8;
    /// Offsets inside `subscription_u`: tag, then the payload.
    const U_TAG: u32 = 8;
    const U_PAYLOAD: u32 = 16;
    /// Offsets inside `subscription_clock`.
    const CLOCK_ID: u32 = 0;
    const CLOCK_TIMEOUT: u32 = 8;
    const CLOCK_PRECISION: u32 = 16;
    const CLOCK_FLAGS: u32 = 24;

    /// Decodes a `subscription_u` whose clock payload starts with `clock_skip` extra bytes
    /// (8 in `wasi_unstable`, which has an `identifier` field first).
    pub(crate) fn decode_kind(b: &[u8], u: u32, payload: u32, clock_skip: u32) -> Result<SubscriptionKind, Errno> {
        let tag = Eventtype::from_guest(get(b, u)?)?;
        let field = |off: u32| payload.checked_add(clock_skip).and_then(|p| p.checked_add(off)).ok_or(Errno::Fault);
        Ok(match tag {
            Eventtype::Clock => SubscriptionKind::Clock {
                id: Clockid::from_guest(get(b, field(Self::CLOCK_ID)?)?)?,
                timeout: get(b, field(Self::CLOCK_TIMEOUT)?)?,
                precision: get(b, field(Self::CLOCK_PRECISION)?)?,
                flags: Subclockflags::from_guest(get(b, field(Self::CLOCK_FLAGS)?)?)?,
            },
            Eventtype::FdRead => SubscriptionKind::FdRead { fd: get(b, payload)? },
            Eventtype::FdWrite => SubscriptionKind::FdWrite { fd: get(b, payload)? },
        })
    }

    pub(crate) fn encode_kind(kind: &SubscriptionKind, b: &mut [u8], u: u32, payload: u32, clock_skip: u32) {
        match *kind {
            SubscriptionKind::Clock { id, timeout, precision, flags } => {
                put(b, u, Eventtype::Clock.raw());
                // Offsets past the record (impossible for the constants callers pass) saturate,
                // and `put` drops writes outside the bytes.
                let field = |off: u32| payload.saturating_add(clock_skip).saturating_add(off);
                put(b, field(Self::CLOCK_ID), id.raw());
                put(b, field(Self::CLOCK_TIMEOUT), timeout);
                put(b, field(Self::CLOCK_PRECISION), precision);
                put(b, field(Self::CLOCK_FLAGS), flags.bits());
            }
            SubscriptionKind::FdRead { fd } => {
                put(b, u, Eventtype::FdRead.raw());
                put(b, payload, fd);
            }
            SubscriptionKind::FdWrite { fd } => {
                put(b, u, Eventtype::FdWrite.raw());
                put(b, payload, fd);
            }
        }
    }

    /// The layout of `subscription_clock` in this ABI.
    pub const CLOCK_LAYOUT: Layout = Layout {
        name: "subscription_clock",
        size: 32,
        align: 8,
        fields: &[
            ("id", Self::CLOCK_ID),
            ("timeout", Self::CLOCK_TIMEOUT),
            ("precision", Self::CLOCK_PRECISION),
            ("flags", Self::CLOCK_FLAGS),
        ],
    };
}

impl GuestType for Subscription {
    const SIZE: u32 = 48;
    const ALIGN: u32 = 8;
    fn decode(b: &[u8]) -> Result<Self, Errno> {
        Ok(Subscription {
            userdata: get(b, Self::USERDATA)?,
            kind: Self::decode_kind(b, Self::U_TAG, Self::U_PAYLOAD, 0)?,
        })
    }
    fn encode(&self, b: &mut [u8]) {
        b.fill(0);
        put(b, Self::USERDATA, self.userdata);
        Self::encode_kind(&self.kind, b, Self::U_TAG, Self::U_PAYLOAD, 0);
    }
}

impl Record for Subscription {
    const LAYOUT: Layout =
        Layout { name: "subscription", size: 48, align: 8, fields: &[("userdata", Self::USERDATA), ("u", Self::U)] };
}
