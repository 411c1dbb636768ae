//! The WASI ABI as Lucent implements it: error codes, rights, flags, enumerations and records
//! with their exact guest layout for `wasi_snapshot_preview1` and `wasi_unstable`, and checked
//! access to guest memory.
//!
//! This crate knows nothing of the operating system or of any engine.
//!
//! ```
//! use lucent_abi::{Errno, Fdstat, Fdflags, Filetype, GuestMemory, GuestPtr, Rights};
//!
//! let mut bytes = vec![0u8; 64];
//! let mut memory = GuestMemory::new(&mut bytes);
//! let stat = Fdstat {
//!     filetype: Filetype::RegularFile,
//!     flags: Fdflags::APPEND,
//!     rights_base: Rights::FD_WRITE,
//!     rights_inheriting: Rights::empty(),
//! };
//! memory.write(GuestPtr::new(8), &stat)?;
//! assert_eq!(memory.read(GuestPtr::<Fdstat>::new(8))?, stat);
//! // Out of bounds is an error code, never a panic.
//! assert_eq!(memory.read(GuestPtr::<Fdstat>::new(48)), Err(Errno::Fault));
//! # Ok::<(), Errno>(())
//! ```

// Guest input never panics the host: outside tests, nothing that can panic or silently wrap on
// a value it is given. Each remaining site carries an `allow` with its reason; the audit is
// docs/panic-audit.md.
#![cfg_attr(
    not(test),
    warn(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::unreachable,
        clippy::todo,
        clippy::unimplemented,
        clippy::indexing_slicing,
        clippy::arithmetic_side_effects,
        clippy::as_conversions,
        clippy::cast_possible_truncation,
        clippy::cast_possible_wrap,
        clippy::cast_sign_loss,
        clippy::disallowed_methods
    )
)]

mod enums;
mod errno;
mod flags;
pub mod memory;
pub mod preview0;
pub mod records;
mod shared;

pub use enums::{Advice, Clockid, Eventtype, Filetype, Preopentype, Signal, Whence};
pub use errno::Errno;
pub use flags::{
    Eventrwflags, Fdflags, Fstflags, Lookupflags, Oflags, Riflags, Rights, Roflags, Sdflags, Subclockflags,
};
pub use memory::{GuestMemory, GuestPtr, GuestType, Region};
pub use records::{Dirent, Event, Fdstat, Filestat, Iovec, Prestat, Subscription, SubscriptionKind};

/// `ciovec`: same layout as [`Iovec`]; the buffer is only read.
pub type Ciovec = Iovec;

/// `fd`: a file descriptor number as the guest sees it.
pub type Fd = u32;

/// Timestamps are nanoseconds (`timestamp`, u64).
pub type Timestamp = u64;
